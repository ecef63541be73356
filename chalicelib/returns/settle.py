"""The order's status as its returns leave it, and the money a return is worth.

An order with returns rests in one of four statuses, decided by its returns alone:

    any return open (requested / approved)              return_requested
    none open, nothing ever received                    delivered   (all requests rejected / withdrawn)
    something received, a refund still to come          returned    (a received return, or refund
                                                                     rows not yet confirmed)
    everything received has been paid back             refunded

`settle` moves a locked order there through orders.states (the only writer of order
statuses), so the timeline shows every step; from return_requested to refunded that is two
legal steps (→ returned → refunded).  payments.refund_succeeded makes the returned → refunded
step itself when the last refund row is confirmed.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from chalicelib.orders import api as orders
from chalicelib.orders.api import Actor
from chalicelib.platform.db import UnitOfWork

from . import repository as repo
from . import states

CENT = Decimal("0.01")


def resting_status(uow: UnitOfWork, tenant_id: int, order_id: int) -> str:
    counts = repo.status_counts(uow, tenant_id, order_id)
    if any(counts.get(s) for s in states.OPEN):
        return orders.RETURN_REQUESTED
    if not (counts.get(states.RECEIVED) or counts.get(states.REFUNDED)):
        return orders.DELIVERED
    refunds = repo.order_refunds_by_status(uow, tenant_id, order_id)
    if counts.get(states.RECEIVED) or refunds.get("requested") or refunds.get("failed"):
        return orders.RETURNED
    return orders.REFUNDED


def settle(uow: UnitOfWork, order: dict[str, Any], actor: Actor, *, note: str,
           event: dict[str, Any] | None = None) -> dict[str, Any]:
    """Move the locked `order` to where its returns leave it (no-op when it is there)."""
    target = resting_status(uow, order["tenant_id"], order["id"])
    if order["status"] == target:
        return order
    if target == orders.REFUNDED and order["status"] == orders.RETURN_REQUESTED:
        order = orders.transition(uow, order, orders.RETURNED, actor, note=note, event=event)
    return orders.transition(uow, order, target, actor, note=note, event=event)


def share(line_total: Decimal, ordered: int, before: int, units: int) -> Decimal:
    """What `units` of a line (`ordered` units for `line_total`, discounts already in it) are
    worth when `before` of its units were already paid back: round(L·(b+u)/q) − round(L·b/q),
    so a line returned in parts adds up to exactly its total, never a kuruş more."""
    def upto(n: int) -> Decimal:
        return (line_total * n / ordered).quantize(CENT, rounding=ROUND_HALF_UP)

    return upto(before + units) - upto(before)
