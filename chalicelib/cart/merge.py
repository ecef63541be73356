"""Merge at login: a guest cart joins the customer's cart on the app's first cart call after
signing in (any cart route, signed in *and* carrying the X-Device-Id of a live guest cart).

Rules, per guest line (in the order they were added):
- same variation already in the customer's cart: quantities add up, capped by what is available
  now and by MAX_LINE_QUANTITY; the customer's own quantity is never lowered by the merge;
- new variation: the line moves over (keeping its id and its reference price), its quantity
  capped the same way; one with nothing available (sold out, switched off, product not active)
  moves over as it is, so the cart shows it flagged as unavailable like any line that goes off
  sale, instead of silently dropping what the customer picked;
- beyond MAX_LINES distinct lines, the rest are dropped.
The guest cart is then deleted (with the lines that did not move).  The caller holds the
customer's cart row; the guest cart is locked after it, the order every merge uses.
"""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.platform.db import UnitOfWork

from . import repository as repo
from .lines import MAX_LINE_QUANTITY, MAX_LINES, available, on_sale


@dataclass(frozen=True)
class MergeResult:
    merged: int  # guest lines added to an existing line or moved over
    capped: int  # of those, lines that got less than the sum asked for (stock or line limit)
    dropped: int  # lines left behind because the cart was full

    def as_dict(self) -> dict[str, int]:
        return {"merged": self.merged, "capped": self.capped, "dropped": self.dropped}


def merged_quantity(user_quantity: int, guest_quantity: int, free: int) -> int:
    """The line's quantity after the merge (see the module rules)."""
    wanted = min(user_quantity + guest_quantity, MAX_LINE_QUANTITY)
    if free <= 0:
        return user_quantity or min(guest_quantity, MAX_LINE_QUANTITY)
    return max(user_quantity, min(wanted, free))


def merge_guest_cart(uow: UnitOfWork, tenant_id: int, user_cart_id: int, device_id: str) -> MergeResult | None:
    """Fold the device's live guest cart into the (locked) user cart; None when there is none."""
    guest_cart_id = repo.lock_guest_cart(uow, tenant_id, device_id)
    if guest_cart_id is None:
        return None
    candidates = repo.merge_candidates(uow, tenant_id, guest_cart_id, user_cart_id)
    room = MAX_LINES - repo.count_lines(uow, tenant_id, user_cart_id) if candidates else 0
    updates: list[tuple[int, int]] = []
    moves: list[tuple[int, int]] = []
    merged = capped = dropped = 0
    for row in candidates:
        user_quantity = int(row["user_quantity"] or 0)
        guest_quantity = int(row["quantity"])
        free = available(row) if on_sale(row) else 0
        quantity = merged_quantity(user_quantity, guest_quantity, free)
        if row["user_item_id"] is None and room <= 0:
            dropped += 1
            continue
        merged += 1
        if free > 0 and quantity < min(user_quantity + guest_quantity, MAX_LINE_QUANTITY):
            capped += 1
        if row["user_item_id"] is not None:
            if quantity != user_quantity:
                updates.append((int(row["user_item_id"]), quantity))
        else:
            moves.append((int(row["id"]), quantity))
            room -= 1
    repo.set_quantities(uow, tenant_id, updates)
    repo.move_lines(uow, tenant_id, guest_cart_id, user_cart_id, moves)
    repo.delete_cart(uow, tenant_id, guest_cart_id)
    return MergeResult(merged, capped, dropped)
