"""Orders for customers and the rules around them: history, detail, tracking, cancel, and the
sweeper that gives back stock held by orders nobody paid for (issue 5 items 2-5).

Checkout is in checkout.py, the state machine in states.py, the payment side's entry points
in payments.py; stock moves are the inventory area's (inventory.api).
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from chalicelib.inventory import api as inventory
from chalicelib.platform.db import Database, Session, UnitOfWork
from chalicelib.platform.errors import NotFound
from chalicelib.platform.logging import get_logger

from . import payments, states
from . import repository as repo
from .states import Actor

log = get_logger("orders")
TRACKING_STEPS = (states.PENDING_PAYMENT, states.PAID, states.PREPARING, states.SHIPPED,
                  states.DELIVERED)


# -- reads -----------------------------------------------------------------------------------------
def list_orders(db: Database, tenant_id: int, user_id: int, *, statuses: list[str] | None, cursor: int | None,
                limit: int) -> dict[str, Any]:
    rows = repo.list_for_user(db.session(), tenant_id, user_id, statuses=statuses, before_id=cursor, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [{**r, "item_count": int(r["item_count"])} for r in rows],
            "next_cursor": rows[-1]["id"] if more else None}


def get_order(session: Session, tenant_id: int, order_id: int, *, user_id: int | None = None) -> dict[str, Any]:
    """The order with items, payments, shipments and timeline.  With `user_id`, another
    user's order is indistinguishable from a missing one (404)."""
    order = repo.get_order(session, tenant_id, order_id)
    if order is None or (user_id is not None and order["user_id"] != user_id):
        raise NotFound("order_not_found")
    return detail(session, order)


def detail(session: Session, order: dict[str, Any]) -> dict[str, Any]:
    tenant_id, order_id = order.get("tenant_id"), order["id"]
    if tenant_id is None:
        raise ValueError("order row without tenant_id")
    return render(order, repo.items_of(session, tenant_id, [order_id]), repo.history_of(session, tenant_id, order_id),
                  payments=repo.payments_of(session, tenant_id, order_id),
                  shipments=repo.shipments_of(session, tenant_id, order_id))


def render(order: dict[str, Any], items: list[dict[str, Any]], timeline: list[dict[str, Any]], *,
           payments: list[dict[str, Any]], shipments: list[dict[str, Any]]) -> dict[str, Any]:
    """The order as the API shows it (OrderOut) from its row (repository.ORDER_COLUMNS) and its
    items', timeline's, payments' and shipments' rows.  A GET and a replay render what they read;
    the checkout renders the order it has just written from the values it wrote (checkout.py), so
    the 201 is the very shape a later GET answers.  JSON columns may come as text or as the value."""
    return {
        **{k: v for k, v in order.items() if k not in ("shipping_address", "billing_address", "discounts", "tenant_id")},
        "shipping_address": _shown_address(order["shipping_address"]),
        "billing_address": _shown_address(order["billing_address"]),
        "discounts": _json(order["discounts"]) or [],
        "items": [{**i, "options": _json(i["options"])} for i in items],
        "payments": payments,
        "shipments": shipments,
        "timeline": timeline,
        "can_cancel": order["status"] in states.CANCELLABLE,
        "can_return": order["status"] in (states.DELIVERED, states.RETURNED, states.REFUNDED)
        and any(i["returned_quantity"] < i["quantity"] for i in items),
    }


def tracking(db: Database, tenant_id: int, order_id: int, user_id: int) -> dict[str, Any]:
    """The app's progress bar: each step with the time it was reached."""
    session = db.session()
    order = repo.get_order(session, tenant_id, order_id)
    if order is None or order["user_id"] != user_id:
        raise NotFound("order_not_found")
    reached: dict[str, Any] = {}
    for entry in repo.history_of(session, tenant_id, order_id):
        reached.setdefault(entry["to_status"], entry["created_at"])
    return {
        "order_id": order_id, "order_number": order["order_number"], "status": order["status"],
        "steps": [{"status": s, "reached_at": reached.get(s), "done": s in reached} for s in TRACKING_STEPS],
        "shipments": repo.shipments_of(session, tenant_id, order_id),
        "reserved_until": order["reserved_until"] if order["status"] == states.PENDING_PAYMENT else None,
    }


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def _shown_address(value: Any) -> dict[str, Any] | None:
    address = _json(value)
    if address is None:
        return None
    return {k: v for k, v in address.items() if k != "sealed"}  # sealed phone / tax ids stay server-side


# -- cancel ------------------------------------------------------------------------------------------
def cancel(db: Database, tenant_id: int, order_id: int, actor: Actor, *, reason: str | None,
           user_id: int | None = None) -> dict[str, Any]:
    """Cancel before shipping: an unpaid order's hold is released, a paid order's units go back to
    stock and a refund of what was paid is requested.  Cancelling a cancelled order answers the
    order again (a retried request must not fail)."""

    def work(uow: UnitOfWork) -> dict[str, Any]:
        order = states.lock_order(uow, tenant_id, order_id, user_id=user_id)
        if order["status"] != states.CANCELLED:
            cancel_locked(uow, order, actor, reason or ("customer" if actor.type == "customer" else "admin"))
        uow.commit()
        return order

    db.transaction(work)
    return get_order(db.session(), tenant_id, order_id)


def cancel_locked(uow: UnitOfWork, order: dict[str, Any], actor: Actor, reason: str) -> dict[str, Any]:
    states.check(order["status"], states.CANCELLED, actor)
    tenant_id = order["tenant_id"]
    items = repo.items_of(uow, tenant_id, [order["id"]])
    if order["status"] == states.PENDING_PAYMENT:
        inventory.release(uow, tenant_id, order["id"], items, actor.user_id)
    else:
        inventory.restock(uow, tenant_id, order["id"], items, actor.user_id, reason="order_cancel", unsell=True)
    updated = states.transition(uow, order, states.CANCELLED, actor, note=reason,
                                   extra={"cancel_reason": reason[:255], "reserved_until": None})
    if order["paid_total"] > order["refunded_total"]:
        payments.request_refund(uow, updated, order["paid_total"] - order["refunded_total"], reason="order_cancelled",
                             requested_by=actor.user_id)
    return updated


# -- reservations that ran out --------------------------------------------------------------------
def expire_reservations(db: Database, *, now: dt.datetime | None = None, limit: int = 200) -> int:
    """Cancel unpaid orders whose hold has passed and give their stock back.  Each order in its
    own short transaction, re-checked under its row lock: a payment that lands at the same
    moment either wins (the order is paid, nothing to do) or finds it cancelled (409)."""
    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    released = 0
    for row in repo.expired_reservations(db.session(), now, limit):
        def work(uow: UnitOfWork, row: dict[str, Any] = row) -> bool:
            order = states.lock_order(uow, row["tenant_id"], row["id"])
            if order["status"] != states.PENDING_PAYMENT or order["reserved_until"] is None \
                    or order["reserved_until"] >= now:
                return False
            cancel_locked(uow, order, states.SYSTEM, "payment_timeout")
            uow.commit()
            return True

        try:
            released += bool(db.transaction(work))
        except Exception:  # noqa: BLE001 - one bad order must not stop the sweep
            log.exception("could not release an expired reservation", extra={"order_id": row["id"]})
    return released
