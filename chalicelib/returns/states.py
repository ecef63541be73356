"""A return's statuses and the moves between them (returns.status; the column comment lists them).

    requested ─▶ approved ─▶ received ─▶ refunded
        │  │         │
        │  │         └─▶ rejected   (the parcel never came, or staff refuse it before booking it in)
        │  └─▶ rejected
        └─▶ cancelled               (the customer withdraws; only while requested)

An *open* return (requested, approved) holds its quantities: they cannot be asked for again,
and its order stays return_requested.  A received return has added its quantities to
order_items.returned_quantity instead.  The order's own status follows in settle.py.
"""
from __future__ import annotations

from chalicelib.platform.errors import Conflict

REQUESTED = "requested"
APPROVED = "approved"
REJECTED = "rejected"
RECEIVED = "received"
REFUNDED = "refunded"
CANCELLED = "cancelled"

STATUSES = (REQUESTED, APPROVED, REJECTED, RECEIVED, REFUNDED, CANCELLED)
OPEN = frozenset({REQUESTED, APPROVED})

MOVES: dict[str, frozenset[str]] = {
    REQUESTED: frozenset({APPROVED, REJECTED, CANCELLED}),
    APPROVED: frozenset({RECEIVED, REJECTED}),
    RECEIVED: frozenset({REFUNDED}),
    REJECTED: frozenset(),
    REFUNDED: frozenset(),
    CANCELLED: frozenset(),
}
# What the customer may do to their own return.
CUSTOMER_MOVES: dict[str, frozenset[str]] = {REQUESTED: frozenset({CANCELLED})}


def check(current: str, target: str, *, customer: bool = False) -> None:
    """409 illegal_return_transition unless `target` may follow `current`."""
    allowed = (CUSTOMER_MOVES if customer else MOVES).get(current, frozenset())
    if target not in allowed:
        raise Conflict("illegal_return_transition", params={"from": current, "to": target},
                       details={"from": current, "to": target, "allowed": sorted(allowed)})
