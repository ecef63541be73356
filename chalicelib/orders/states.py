"""The order state machine: which status may follow which, who may move it, and the timeline.

    pending_payment ─▶ paid ─▶ preparing ─▶ shipped ─▶ delivered ─▶ return_requested ─▶ returned ─▶ refunded
          │             │          │                                   │        ▲              │         │
          └─────────────┴──────────┴─▶ cancelled                       └─▶ delivered (all      └─────────┴─▶ return_requested
                                                                            requests rejected)              (another item)

Every change goes through `transition()`: it locks the order row, refuses what the table below
does not allow (409 illegal_transition), stamps paid_at / shipped_at / delivered_at /
cancelled_at, appends to order_status_history (who, when, note) and writes an
OrderStatusChanged event to the outbox in the same transaction, so notifications (and the
invoice on "paid") follow every committed change and never an uncommitted one.  Delivered,
returned and refunded also write OrderBonusStatus to the wallet-bonus queue (the HPay bonus
earned on a delivery, taken back on a return).

What a transition *means* for stock, refunds and shipments is the caller's business
(orders.service, shipping, returns); this module only guards the order of events.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.platform import outbox
from chalicelib.platform.db import UnitOfWork
from chalicelib.platform.errors import Conflict, NotFound
from chalicelib.platform.sql import BY_ID, lock_row

PENDING_PAYMENT = "pending_payment"
PAID = "paid"
PREPARING = "preparing"
SHIPPED = "shipped"
DELIVERED = "delivered"
CANCELLED = "cancelled"
RETURN_REQUESTED = "return_requested"
RETURNED = "returned"
REFUNDED = "refunded"

STATUSES = (PENDING_PAYMENT, PAID, PREPARING, SHIPPED, DELIVERED, CANCELLED, RETURN_REQUESTED, RETURNED, REFUNDED)

TRANSITIONS: dict[str, frozenset[str]] = {
    PENDING_PAYMENT: frozenset({PAID, CANCELLED}),
    PAID: frozenset({PREPARING, CANCELLED}),
    PREPARING: frozenset({SHIPPED, CANCELLED}),
    SHIPPED: frozenset({DELIVERED}),
    DELIVERED: frozenset({RETURN_REQUESTED}),
    RETURN_REQUESTED: frozenset({RETURNED, DELIVERED}),
    RETURNED: frozenset({REFUNDED, RETURN_REQUESTED}),
    REFUNDED: frozenset({RETURN_REQUESTED}),
    CANCELLED: frozenset(),
}

# What a customer may do to their own order; admins and the system may make any legal move.
CUSTOMER_MOVES: dict[str, frozenset[str]] = {
    PENDING_PAYMENT: frozenset({CANCELLED}),
    PAID: frozenset({CANCELLED}),
    PREPARING: frozenset({CANCELLED}),  # cancellable until it leaves the warehouse
    DELIVERED: frozenset({RETURN_REQUESTED}),
    RETURNED: frozenset({RETURN_REQUESTED}),
    REFUNDED: frozenset({RETURN_REQUESTED}),
}

# Statuses in which the order still holds a reservation (stock counted in `reserved`).
RESERVING = frozenset({PENDING_PAYMENT})
# Statuses before the goods left: a cancel puts the stock back.
CANCELLABLE = frozenset({PENDING_PAYMENT, PAID, PREPARING})

_STAMPS = {PAID: "paid_at", SHIPPED: "shipped_at", DELIVERED: "delivered_at", CANCELLED: "cancelled_at"}

ORDER_EVENTS_QUEUE = "order-events"
# The wallet's HPay bonus follows deliveries and returns: its own queue, because order-events
# already has its consumer (the customer e-mails), as wallet-refunds is for refunds.
WALLET_BONUS_QUEUE = "wallet-bonus"
WALLET_BONUS_EVENT = "OrderBonusStatus"
BONUS_STATUSES = frozenset({DELIVERED, RETURNED, REFUNDED})
# Every area rewarding a delivered order (and taking it back on a return) gets the same event on a
# queue of its own (each queue has one consumer): the wallet's HPay bonus, loyalty points and levels,
# referral rewards, a promotion's bonus credit (issue 15).
REWARD_QUEUES = (WALLET_BONUS_QUEUE, "loyalty-events", "referral-events", "campaign-rewards")


@dataclass(frozen=True)
class Actor:
    type: str  # customer, admin, system
    user_id: int | None = None

    @classmethod
    def customer(cls, user_id: int) -> Actor:
        return cls("customer", user_id)

    @classmethod
    def admin(cls, user_id: int) -> Actor:
        return cls("admin", user_id)


SYSTEM = Actor("system")


def allowed(from_status: str, actor: Actor) -> frozenset[str]:
    moves = TRANSITIONS.get(from_status, frozenset())
    if actor.type == "customer":
        return moves & CUSTOMER_MOVES.get(from_status, frozenset())
    return moves


def check(from_status: str, to_status: str, actor: Actor) -> None:
    if to_status not in allowed(from_status, actor):
        raise Conflict("illegal_transition", params={"from": from_status, "to": to_status}, details={
            "from": from_status, "to": to_status, "allowed": sorted(allowed(from_status, actor))})


def lock_order(uow: UnitOfWork, tenant_id: int, order_id: int, *, user_id: int | None = None) -> dict[str, Any]:
    """The order row, locked for this transaction.  With `user_id`, another user's order is 404."""
    row = lock_row(uow, "orders", tenant_id, order_id)
    if row is None or (user_id is not None and row["user_id"] != user_id):
        raise NotFound("order_not_found")
    return row


def transition(uow: UnitOfWork, order: dict[str, Any], to_status: str, actor: Actor, *,
               note: str | None = None, extra: dict[str, Any] | None = None,
               event: dict[str, Any] | None = None) -> dict[str, Any]:
    """Move a locked `order` (from lock_order) to `to_status`; returns the updated row.

    `extra` sets further columns in the same UPDATE (e.g. cancel_reason, payment_status);
    `event` adds fields to the OrderStatusChanged payload."""
    from_status = order["status"]
    check(from_status, to_status, actor)
    columns: dict[str, Any] = {"status": to_status, **(extra or {})}
    sets = [f"{name} = %s" for name in columns]
    if to_status in _STAMPS:
        sets.append(f"{_STAMPS[to_status]} = UTC_TIMESTAMP(6)")
    uow.execute(f"UPDATE orders {BY_ID} SET {', '.join(sets)}, version = version + 1 "
                "WHERE tenant_id = %s AND id = %s", (*columns.values(), order["tenant_id"], order["id"]))
    record(uow, order, from_status, to_status, actor, note=note, event=event)
    return {**order, **columns, "version": order["version"] + 1}


def record(uow: UnitOfWork, order: dict[str, Any], from_status: str | None, to_status: str, actor: Actor, *,
           note: str | None = None, event: dict[str, Any] | None = None, at: datetime | None = None,
           items: list[dict[str, Any]] | None = None) -> None:
    """Timeline row + outbox event (also used for the order's first entry, from None).

    The checkout passes `at` (the order's placed_at, so the first entry carries the same instant)
    and `items` (product_id, quantity, unit_price of the lines it has just written, so the ML
    event needs no read of them)."""
    uow.execute(
        """INSERT INTO order_status_history (tenant_id, order_id, from_status, to_status, actor_user_id,
                                             actor_type, note, created_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s, COALESCE(%s, CURRENT_TIMESTAMP(6)))""",
        (order["tenant_id"], order["id"], from_status, to_status, actor.user_id, actor.type, note, at))
    outbox.add(uow, order["tenant_id"], "OrderPlaced" if from_status is None else "OrderStatusChanged", {
        "order_id": order["id"], "order_number": order["order_number"], "user_id": order["user_id"],
        "from": from_status, "to": to_status, "actor": actor.type, "note": note, **(event or {}),
    }, queue=ORDER_EVENTS_QUEUE, aggregate_type="order", aggregate_id=order["id"])
    _to_ml(uow, order, from_status, to_status, event, items)
    if to_status in BONUS_STATUSES and order.get("user_id") is not None:
        payload = {"order_id": order["id"], "user_id": order["user_id"], "to": to_status,
                   "paid_total": order.get("paid_total"), "currency": order.get("currency")}
        if to_status != DELIVERED:  # how much of the goods came back: the bonus kept is in proportion
            payload.update(_returned_share(uow, order["tenant_id"], order["id"]))
        outbox.add_to_each(uow, order["tenant_id"], WALLET_BONUS_EVENT, payload,
                           queues=REWARD_QUEUES, aggregate_type="order", aggregate_id=order["id"])
    if to_status == CANCELLED:  # what its promotions gave goes back (usage, budget, flash units)
        from chalicelib.campaigns import api as campaigns

        campaigns.release(uow, order["tenant_id"], order["id"])


def _to_ml(uow: UnitOfWork, order: dict[str, Any], from_status: str | None, to_status: str,
           event: dict[str, Any] | None, items: list[dict[str, Any]] | None = None) -> None:
    """order_placed / order_status_changed for the ML service, sent after the commit (ml.api; losing
    one is harmless, so a plain queue send rather than the outbox)."""
    from chalicelib.ml import api as ml  # on first use: see tests/e2e/test_package.py

    if items is None:
        items = uow.all("SELECT product_id, quantity, unit_price FROM order_items WHERE tenant_id = %s AND order_id = %s",
                        (order["tenant_id"], order["id"]))
    total = order.get("grand_total", (event or {}).get("grand_total"))
    ml.order_changed(uow, order["tenant_id"], order_id=order["id"], user_id=order.get("user_id"), status=to_status,
                     total=total, items=items, placed=from_status is None)


def _returned_share(uow: UnitOfWork, tenant_id: int, order_id: int) -> dict[str, Any]:
    """{"items_total", "returned_total"}: the goods' value and the value of the units returned,
    each line's share rounded to the cent as returns/settle.py rounds a line's refund."""
    row = uow.one("""SELECT COALESCE(SUM(line_total), 0) AS items_total,
                            COALESCE(SUM(ROUND(line_total * returned_quantity / quantity, 2)), 0) AS returned_total
                       FROM order_items WHERE tenant_id = %s AND order_id = %s""", (tenant_id, order_id))
    return {"items_total": row["items_total"], "returned_total": row["returned_total"]} if row else {}
