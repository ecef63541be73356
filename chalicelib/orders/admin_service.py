"""The admin order panel (issue 5 item 8, feature AO): list, detail, status moves, manual
payment confirmation, cancel, notes, the cancellations queue and the status counts.

What an order change *does* is written once, beside this module: the state machine
(lifecycle), cancel with its stock and refund (service.cancel_locked), a confirmed bank transfer
(payments.record_manual_payment).  This module decides which of them an admin request means, holds
the order's row lock around it, checks the panel's `expected_version`, and writes the audit row
in the same transaction.  Outbox events (order-events, invoices) and stock effects are
published by those functions after the commit.  service and payments (and with them stock and the
catalogue's effects) are imported on first use, as orders.api does, to keep them out of the
admin function's cold start.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from chalicelib.platform import audit
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.errors import Conflict

from . import admin_repository as repo
from . import states
from .admin_schemas import OrderListQuery, QueueQuery
from .states import Actor

# Legal for staff, but the move belongs to another flow with its own side effects.
RETURN_STATUSES = frozenset({states.RETURN_REQUESTED, states.RETURNED, states.REFUNDED})
# "S250131-ACDE4F", "s250131", "250131-AC": the start of an order number (S + yymmdd + - + 6).
# [0-9], not \d: \d also matches "٢٥٠١" and other scripts' digits, which no order number has.
_ORDER_NUMBER = re.compile(r"S?[0-9]{1,6}(-[A-Z0-9]{0,6})?")
MAX_NAME_WORDS = 3


# -- reads -------------------------------------------------------------------------------------
def list_orders(db: Database, tenant_id: int, query: OrderListQuery) -> dict[str, Any]:
    low, high = query.placed_range()
    filters = repo.Filters(
        statuses=query.status or (), payment_statuses=query.payment_status or (),
        payment_method=query.payment_method, placed_from=low, placed_to=high, customer_id=query.customer_id,
        customer_email=query.customer_email, min_total=query.min_total, max_total=query.max_total,
        source=query.source, **search_terms(query.q))
    rows = repo.list_orders(db.reader(), tenant_id, filters, sort=query.sort, after=query.after,
                            limit=query.limit + 1)
    return _page(rows, query.limit, query.sort)


def search_terms(q: str | None) -> dict[str, Any]:
    """What `q` searches, each an index prefix range: an order number, an e-mail, or names.

    Names are matched against the customer accounts (users.ix_name), not the billing JSON of
    every order, which no index covers: a name search is then two index reads instead of a
    scan of all the tenant's orders.  An order billed to another name than its account's is
    found by its number or e-mail."""
    if q is None:
        return {}
    if "@" in q:
        return {"email_prefix": q.lower()}
    upper = q.upper()
    if _ORDER_NUMBER.fullmatch(upper):
        return {"number_prefix": upper if upper.startswith("S") else "S" + upper}
    return {"name_words": tuple(q.split()[:MAX_NAME_WORDS])}


def _page(rows: list[dict[str, Any]], limit: int, sort: str) -> dict[str, Any]:
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [_row(r) for r in rows], "next_cursor": repo.SORTS[sort].encode_row(rows[-1]) if more else None}


def _row(row: dict[str, Any]) -> dict[str, Any]:
    names = [row.pop("billing_first_name"), row.pop("billing_last_name")]
    shown = " ".join(n for n in names if n and n != "null")
    return {**row, "item_count": int(row["item_count"]), "customer_name": shown or None}


def summary(db: Database, tenant_id: int) -> dict[str, Any]:
    counts = repo.status_counts(db.reader(), tenant_id)
    every = {status: counts.get(status, 0) for status in states.STATUSES}
    return {"counts": every, "total": sum(counts.values())}


def cancellations(db: Database, tenant_id: int, query: QueueQuery, *, now: dt.datetime | None = None
                  ) -> dict[str, Any]:
    """Orders staff should act on: cancelled orders whose refund has not gone through yet (pay
    back a bank transfer by hand, or chase the provider), and unpaid orders whose stock hold
    runs out within `within_minutes` (look for the customer's transfer and mark it paid, or let
    the sweeper cancel it)."""
    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    until = now + dt.timedelta(minutes=query.within_minutes)
    session = db.reader()
    rows = repo.queue(session, tenant_id, query.kind, until=until, after=query.after, limit=query.limit + 1)
    page = _page(rows, query.limit, query.kind)
    return {"kind": query.kind, **page, "counts": repo.queue_counts(session, tenant_id, until=until)}


def detail(db: Database, tenant_id: int, order_id: int, admin_id: int) -> dict[str, Any]:
    """The customer's view of the order (service.get_order) plus what only staff sees."""
    from . import service  # lazy: see the module docstring

    session = db.session()  # the writer: the panel reloads right after a change it made
    order = service.get_order(session, tenant_id, order_id)
    staff = repo.staff_columns(session, tenant_id, order_id) or {}
    account = repo.customer(session, tenant_id, order["user_id"]) if order["user_id"] else None
    allowed = states.allowed(order["status"], Actor.admin(admin_id))
    return {**order, **staff, "customer": account, "refunds": repo.refunds_of(session, tenant_id, order_id),
            "allowed_statuses": sorted(allowed),
            "next_steps": [{"status": s, "via": _via(order["status"], s)} for s in sorted(allowed)]}


def _via(from_status: str, to_status: str) -> str:
    if to_status == states.PAID:
        return "mark_paid"
    if to_status in RETURN_STATUSES or from_status == states.RETURN_REQUESTED:
        return "returns"
    return "status"


# -- writes ------------------------------------------------------------------------------------
def change_status(db: Database, tenant_id: int, order_id: int, admin_id: int, *, to_status: str,
                  note: str | None, expected_version: int | None) -> dict[str, Any]:
    """Move the order along the lifecycle.  Cancelling gives the stock back and requests the
    refund (service.cancel_locked); shipped / delivered are allowed by hand (a shipment
    normally does it).  Paid needs the payment recorded (mark-paid), return steps come from the
    returns queue: both 409 here.  The order already in `to_status` answers unchanged, so a
    retried request does not fail."""
    actor = Actor.admin(admin_id)

    def work(uow: UnitOfWork) -> None:
        order = states.lock_order(uow, tenant_id, order_id)
        _check_version(order, expected_version)
        if order["status"] == to_status:
            return
        states.check(order["status"], to_status, actor)  # 409 illegal_transition
        via = _via(order["status"], to_status)
        if via == "mark_paid":
            raise Conflict("use_mark_paid", details={"from": order["status"], "to": to_status})
        if via == "returns":
            raise Conflict("status_managed_by_returns", details={"from": order["status"], "to": to_status})
        before = _state(order)
        if to_status == states.CANCELLED:
            from . import service

            service.cancel_locked(uow, order, actor, note or "admin")
        else:
            states.transition(uow, order, to_status, actor, note=note)
        _audit(uow, tenant_id, order_id, "order.status", before, note=note)
        uow.commit()

    db.transaction(work)
    return detail(db, tenant_id, order_id, admin_id)


def cancel(db: Database, tenant_id: int, order_id: int, admin_id: int, *, reason: str) -> dict[str, Any]:
    """Cancel before shipping: stock back (released or restocked), refund requested for what was
    paid.  A cancelled order answers unchanged (retries)."""
    from . import service

    actor = Actor.admin(admin_id)

    def work(uow: UnitOfWork) -> None:
        order = states.lock_order(uow, tenant_id, order_id)
        if order["status"] == states.CANCELLED:
            return
        before = _state(order)
        service.cancel_locked(uow, order, actor, reason)  # 409 illegal_transition once shipped
        _audit(uow, tenant_id, order_id, "order.cancel", before, note=reason)
        uow.commit()

    db.transaction(work)
    return detail(db, tenant_id, order_id, admin_id)


def mark_paid(db: Database, tenant_id: int, order_id: int, admin_id: int, *, method: str,
              reference: str | None) -> dict[str, Any]:
    """Staff saw the money (EFT / havale on the bank statement, cash at the counter): a manual
    payment for the amount due, the reservation becomes a sale, OrderPaid → invoice.  An order
    already paid answers unchanged (a double click, a retry); a cancelled one is 409."""
    from . import payments

    def work(uow: UnitOfWork) -> None:
        order = states.lock_order(uow, tenant_id, order_id)
        # payments.record_manual_payment would refuse a paid order with 409 illegal_transition
        # (paid → paid); here a repeated confirmation is the same confirmation.
        if order["payment_status"] == "paid" and order["status"] != states.PENDING_PAYMENT:
            return
        before = _state(order)
        payments.record_manual_payment(uow, tenant_id, order_id, method=method, reference=reference,
                                     actor=Actor.admin(admin_id))
        _audit(uow, tenant_id, order_id, "order.mark_paid", before, reference=reference)
        uow.commit()

    db.transaction(work)
    return detail(db, tenant_id, order_id, admin_id)


def set_note(db: Database, tenant_id: int, order_id: int, admin_id: int, *, note: str | None) -> dict[str, Any]:
    """The staff-only note.  Not part of the lifecycle: it does not move `version`, so writing a
    note never makes a colleague's status change stale."""

    def work(uow: UnitOfWork) -> None:
        order = states.lock_order(uow, tenant_id, order_id)
        if order["admin_note"] == note:
            return
        repo.set_note(uow, tenant_id, order_id, note)
        audit.record(uow, tenant_id, "order.note", entity_type="order", entity_id=order_id,
                     before={"admin_note": order["admin_note"]}, after={"admin_note": note})
        uow.commit()

    db.transaction(work)
    return detail(db, tenant_id, order_id, admin_id)


def _check_version(order: dict[str, Any], expected: int | None) -> None:
    if expected is not None and expected != order["version"]:
        raise Conflict("order_version_conflict", params={"status": order["status"]}, details={
            "expected_version": expected, "version": order["version"], "status": order["status"]})


def _state(order: dict[str, Any]) -> dict[str, Any]:
    return {name: order[name] for name in repo.STATE_COLUMNS}


def _audit(uow: UnitOfWork, tenant_id: int, order_id: int, action: str, before: dict[str, Any],
           **extra: Any) -> None:
    after = repo.state(uow, tenant_id, order_id)
    audit.record(uow, tenant_id, action, entity_type="order", entity_id=order_id, before=before,
                 after={**after, **{k: v for k, v in extra.items() if v is not None}})
