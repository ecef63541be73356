"""Staff side of returns (feature C8, the returns queue of AO): the queue and the four decisions.

    approve   requested → approved    note, return shipping code; e-mail to the customer
    reject    requested / approved → rejected    note (the customer reads it); e-mail; order settles
    receive   approved → received     per line: restock or not, condition; returned_quantity,
                                      stock back (inventory.api.restock), order → returned when no
                                      other return is open
    refund    received → refunded     payments.request_refund: payment_refunds rows, RefundRequested
                                      (method original | wallet) for the payment side; the order
                                      becomes refunded when those rows are confirmed
                                      (payments.refund_succeeded)

Each runs in one transaction that locks the order row first, then the return row (the fixed
order every writer of a return follows), re-reads the status under the lock, and writes an
admin_logs row.  Asking for the status a return is already in answers it unchanged
(`changed` False): a retried call, or two staff clicking at once, acts once - two concurrent
"receive" calls restock once.  Any other move is 409 illegal_return_transition.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalicelib.inventory import api as inventory
from chalicelib.orders import api as orders
from chalicelib.orders.api import Actor
from chalicelib.platform import audit
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.keyset import Position

from . import mail, states, views
from . import repository as repo
from .errors import NothingToRefund, QuantityExceeded, RefundTooHigh, ReturnNotFound, invalid, problem
from .service import get_return
from .settle import settle, share

if TYPE_CHECKING:  # typing only: nothing more to import on a cold start
    from .schemas import ReceivedLineIn


# -- the queue ---------------------------------------------------------------------------------
def queue(db: Database, tenant_id: int, *, statuses: Sequence[str] | None, date_from: dt.date | None,
          date_to: dt.date | None, order_number: str | None, after: Position | None,
          limit: int) -> dict[str, Any]:
    session = db.session()
    rows = repo.list_for_admin(
        session, tenant_id, statuses=statuses,
        created_from=dt.datetime.combine(date_from, dt.time()) if date_from else None,
        created_before=_day_after(date_to),
        order_number=order_number, after=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": views.build(session, tenant_id, rows, admin=True),
            "next_cursor": repo.QUEUE.encode_row(rows[-1]) if more else None}


def _day_after(day: dt.date | None) -> dt.datetime | None:
    """Midnight after `day` (the exclusive upper bound), None for no bound: the day after
    9999-12-31 does not exist (OverflowError → 500, issue 9), and nothing is created after it."""
    if day is None or day == dt.date.max:
        return None
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time())


# -- decisions ---------------------------------------------------------------------------------
Decide = Callable[[UnitOfWork, dict[str, Any], dict[str, Any]], dict[str, Any]]


def _decide(db: Database, tenant_id: int, return_id: int, target: str, action: str,
            decide: Decide) -> tuple[dict[str, Any], bool]:
    """Lock order then return; replay when already at `target`; check the move; let `decide`
    make it (returning what the audit row records); audit; commit."""
    found = repo.order_of(db.session(), tenant_id, return_id)
    if found is None:
        raise ReturnNotFound()

    def work(uow: UnitOfWork) -> bool:
        order = orders.lock_order(uow, tenant_id, int(found["order_id"]))
        ret = repo.lock_return(uow, tenant_id, return_id)
        if ret is None:
            raise ReturnNotFound()
        if ret["status"] == target:
            return False
        states.check(ret["status"], target)
        after = decide(uow, order, ret)
        audit.record(uow, tenant_id, f"return.{action}", entity_type="return", entity_id=return_id,
                     before={"status": ret["status"], "order_status": order["status"]},
                     after={"status": target, **after})
        uow.commit()
        return True

    changed = db.transaction(work)
    return get_return(db, tenant_id, return_id, admin=True), changed


def approve(db: Database, tenant_id: int, staff_id: int, return_id: int, *, note: str | None,
            return_shipping_code: str | None) -> tuple[dict[str, Any], bool]:
    def decide(uow: UnitOfWork, order: dict[str, Any], ret: dict[str, Any]) -> dict[str, Any]:
        columns = {"status": states.APPROVED, "admin_note": note, "return_shipping_code": return_shipping_code,
                   "resolved_by": staff_id}
        repo.update_return(uow, tenant_id, ret["id"], columns, resolved=True)
        if return_shipping_code:
            mail.decision(uow, ret, order, mail.APPROVED_WITH_CODE, shipping_code=mail.one_line(return_shipping_code))
        else:
            mail.decision(uow, ret, order, mail.APPROVED)
        return {"note": note, "return_shipping_code": return_shipping_code}

    return _decide(db, tenant_id, return_id, states.APPROVED, "approve", decide)


def reject(db: Database, tenant_id: int, staff_id: int, return_id: int, *, note: str) -> tuple[dict[str, Any], bool]:
    def decide(uow: UnitOfWork, order: dict[str, Any], ret: dict[str, Any]) -> dict[str, Any]:
        repo.update_return(uow, tenant_id, ret["id"], {"status": states.REJECTED, "admin_note": note,
                                                       "resolved_by": staff_id}, resolved=True)
        settled = settle(uow, order, Actor.admin(staff_id), note=f"return {ret['return_number']} rejected",
                         event=_event(ret))
        mail.decision(uow, ret, order, mail.REJECTED, reason=mail.one_line(note))
        return {"note": note, "order_status": settled["status"]}

    return _decide(db, tenant_id, return_id, states.REJECTED, "reject", decide)


def receive(db: Database, tenant_id: int, staff_id: int, return_id: int, *,
            lines: list[ReceivedLineIn]) -> tuple[dict[str, Any], bool]:
    """The parcel arrived: each line of the return is booked in (returned_quantity), the ones
    that can be sold again go back to stock, the condition staff saw is kept."""

    def decide(uow: UnitOfWork, order: dict[str, Any], ret: dict[str, Any]) -> dict[str, Any]:
        items = {int(i["order_item_id"]): i for i in repo.items_of(uow, tenant_id, [ret["id"]])}
        _same_lines(items, lines)
        _book_in(uow, tenant_id, order["id"], items)
        for line in sorted(lines, key=lambda entry: entry.order_item_id):
            repo.set_item_condition(uow, tenant_id, int(items[line.order_item_id]["id"]), line.condition)
        sellable = [items[line.order_item_id] for line in lines if line.restock]
        inventory.restock(uow, tenant_id, order["id"], sellable, staff_id, reason="return", unsell=True)
        repo.update_return(uow, tenant_id, ret["id"], {"status": states.RECEIVED})
        settled = settle(uow, order, Actor.admin(staff_id), note=f"return {ret['return_number']} received",
                         event=_event(ret))
        return {"order_status": settled["status"], "items": [
            {"order_item_id": line.order_item_id, "quantity": int(items[line.order_item_id]["quantity"]),
             "restock": line.restock, "condition": line.condition} for line in lines]}

    return _decide(db, tenant_id, return_id, states.RECEIVED, "receive", decide)


def _event(ret: dict[str, Any]) -> dict[str, Any]:
    """What an OrderStatusChanged caused by a return adds to its payload."""
    return {"return_id": ret["id"], "return_number": ret["return_number"]}


def _same_lines(items: dict[int, dict[str, Any]], lines: list[ReceivedLineIn]) -> None:
    named = {line.order_item_id for line in lines}
    unknown, missing = sorted(named - set(items)), sorted(set(items) - named)
    if unknown or missing:
        raise invalid([problem("items", "items_mismatch", "List every line of the return exactly once.")
                       | {"unknown": unknown, "missing": missing}])


def _book_in(uow: UnitOfWork, tenant_id: int, order_id: int, items: dict[int, dict[str, Any]]) -> None:
    """The return's units on the order's lines (orders' own bookkeeping, through its api)."""
    try:
        orders.book_returned(uow, tenant_id, order_id, {item_id: int(item["quantity"]) for item_id, item in items.items()})
    except orders.ReturnedQuantityExceeded as exc:
        raise QuantityExceeded([{"order_item_id": exc.order_item_id, "requested": exc.quantity}]) from exc


def refund(db: Database, tenant_id: int, staff_id: int, return_id: int, *,
           amount: Decimal | None) -> tuple[dict[str, Any], bool]:
    """Ask the payment side to pay the return back: by default the returned units' share of
    their lines' totals (discounts are inside line_total), never more than the order has left
    to refund (paid − refunded − refunds already asked for).  For refund_method 'wallet' the
    RefundRequested event says so; the wallet issue credits the wallet from it."""

    def decide(uow: UnitOfWork, order: dict[str, Any], ret: dict[str, Any]) -> dict[str, Any]:
        refundable = _refundable(uow, order)
        wanted = amount if amount is not None else min(_value(uow, tenant_id, order["id"], ret["id"]), refundable)
        if wanted > refundable:
            raise RefundTooHigh(wanted, refundable)
        if wanted <= 0:
            raise NothingToRefund()
        ids = orders.request_refund(uow, order, wanted, reason=f"return {ret['return_number']}", return_id=ret["id"],
                                    requested_by=staff_id, method=ret["refund_method"])
        asked = repo.refund_amounts(uow, tenant_id, ids)
        if asked <= 0:
            raise NothingToRefund()  # paid, but by no payment left with room (nothing to pay back from)
        repo.update_return(uow, tenant_id, ret["id"], {"status": states.REFUNDED, "refund_amount": asked})
        return {"refund_amount": asked, "refund_ids": ids, "refund_method": ret["refund_method"]}

    return _decide(db, tenant_id, return_id, states.REFUNDED, "refund", decide)


def _refundable(uow: UnitOfWork, order: dict[str, Any]) -> Decimal:
    pending = repo.order_refunds_by_status(uow, order["tenant_id"], order["id"]).get("requested", Decimal("0"))
    return max(Decimal(order["paid_total"]) - Decimal(order["refunded_total"]) - pending, Decimal("0.00"))


def _value(uow: UnitOfWork, tenant_id: int, order_id: int, return_id: int) -> Decimal:
    """The return's lines' share of their totals, after the units of each line already paid back
    by the order's refunded returns (settle.share keeps a line's parts summing to its total)."""
    before = repo.held_quantities(uow, tenant_id, order_id, [states.REFUNDED])
    return sum((share(Decimal(i["line_total"]), int(i["ordered_quantity"]), before.get(int(i["order_item_id"]), 0),
                      int(i["quantity"])) for i in repo.items_of(uow, tenant_id, [return_id])), Decimal("0.00"))
