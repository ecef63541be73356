"""The catalogue admin's stock changes (moved here from catalog_admin, issue 10 item 3):
single adjustments, bulk and import counts, the opening stock of new variations, and a
variation going on or off sale.

On-hand `stock` changes only by an atomic conditional update (`add_stock` / `set_stock`: the
new value must stay at or above `reserved`, which open orders hold), so concurrent adjustments
never lose an update and never oversell.  Each change writes a stock_movements row (delta, stock
after, actor, the admin's reason in `note`) and moves products.total_stock by the same delta (an
increment on the locked product row), which keeps total_stock equal to the sum of the product's
active variations' stock.  A variation whose available stock (stock - reserved, for an active
variation) goes from 0 to more than 0 is announced with StockReturned (tracking.py).

The caller (the catalogue admin) has locked and checked the rows of bulk and import counts and
reports refusals in its own request's terms: these functions return the products whose total
would leave its INT column, and the caller answers 400 naming its field.
"""
from __future__ import annotations

from typing import Any

from chalicelib.platform.db import UnitOfWork
from chalicelib.platform.errors import NotFound

from . import repository as repo
from .api import MAX_STOCK, MAX_TOTAL_STOCK
from .errors import OutOfRange, StockBelowReserved
from .tracking import Moves

REASON_ADJUSTMENT = "adjustment"


def available(row: dict[str, Any], stock: int | None = None) -> int:
    if not row["is_active"]:
        return 0
    return max((row["stock"] if stock is None else stock) - row["reserved"], 0)


def _locked_variation(uow: UnitOfWork, tenant_id: int, variation_id: int) -> dict[str, Any]:
    row = repo.get_variation(uow, tenant_id, variation_id, for_update=True)
    if row is None:
        raise NotFound()
    return row


def _apply(uow: UnitOfWork, tenant_id: int, variation_id: int, delta: int | None, set_to: int | None
           ) -> tuple[dict[str, Any], int]:
    """The conditional update itself: (the variation as it is now, the change applied)."""
    if delta is not None:
        applied = delta != 0 and repo.add_stock(uow, tenant_id, variation_id, delta)
        row = repo.get_variation(uow, tenant_id, variation_id)  # after our update (we hold its lock)
        if row is None:
            raise NotFound()
        if delta != 0 and not applied:
            if row["stock"] + delta > MAX_STOCK:
                raise OutOfRange("delta", MAX_STOCK)
            raise StockBelowReserved(variation_id, row["stock"], row["reserved"], row["stock"] + delta)
        return row, delta
    assert set_to is not None
    row = _locked_variation(uow, tenant_id, variation_id)
    change = set_to - row["stock"]
    if change and not repo.set_stock(uow, tenant_id, variation_id, set_to):
        raise StockBelowReserved(variation_id, row["stock"], row["reserved"], set_to)
    return {**row, "stock": set_to}, change


def adjust(uow: UnitOfWork, tenant_id: int, variation_id: int, *, delta: int | None, set_to: int | None,
           actor_id: int | None, reason: str) -> dict[str, Any]:
    """Exactly one of `delta` / `set_to`.  409 when the result would fall below the reserved
    quantity, 400 (naming delta / set) beyond the INT columns; nothing is written when the stock
    would not change (movement_id None)."""
    row, change = _apply(uow, tenant_id, variation_id, delta, set_to)
    product_id = int(row["product_id"])
    result = {"variation_id": variation_id, "product_id": product_id, "delta": change, "stock": row["stock"],
              "reserved": row["reserved"], "available": available(row), "movement_id": None}
    if change and row["is_active"] and repo.add_total_stock(uow, tenant_id, {product_id: change}):
        raise OutOfRange("delta" if delta is not None else "set", MAX_TOTAL_STOCK)
    result["total_stock"] = repo.total_stock(uow, tenant_id, product_id)
    if change == 0:
        return result
    result["movement_id"] = repo.insert_movements(uow, [(tenant_id, product_id, variation_id, change, row["stock"],
                                                         REASON_ADJUSTMENT, None, actor_id, reason)])
    moves = Moves(uow, tenant_id)
    moves.effects.product(product_id)
    moves.stock(variation_id, available(row, row["stock"] - change), available(row))
    moves.done()
    return result


def set_counts(uow: UnitOfWork, tenant_id: int, counts: list[tuple[dict[str, Any], int]], *, reason: str,
               reference_type: str | None, actor_id: int | None, note: str | None) -> list[int]:
    """Set each (locked and checked variation row, new stock), in the order given."""
    moves = Moves(uow, tenant_id)
    totals: dict[int, int] = {}
    movements = []
    for row, new in counts:
        variation_id, product_id = int(row["id"]), int(row["product_id"])
        repo.set_stock(uow, tenant_id, variation_id, new)  # locked and checked by the caller: cannot refuse
        movements.append((tenant_id, product_id, variation_id, new - row["stock"], new, reason, reference_type,
                          actor_id, note))
        if row["is_active"]:
            totals[product_id] = totals.get(product_id, 0) + new - row["stock"]
            moves.stock(variation_id, row["stock"] - row["reserved"], new - row["reserved"])
        moves.effects.product(product_id)
    refused = repo.add_total_stock(uow, tenant_id, totals)
    repo.insert_movements(uow, movements)
    moves.done()
    return refused


def open_stock(uow: UnitOfWork, tenant_id: int, product_id: int, stocks: list[tuple[int, int, bool]], *,
               reason: str, actor_id: int | None) -> list[int]:
    """(variation id, stock, active) of variations just inserted (with 0): their opening stock and
    its movement; the product's total grows by the active ones'.  A new variation was never
    sold out, so no StockReturned."""
    opening = [(variation_id, stock) for variation_id, stock, _ in stocks if stock]
    repo.set_opening_stock(uow, tenant_id, opening)
    Moves(uow, tenant_id).effects.product(product_id)
    refused = repo.add_total_stock(uow, tenant_id, {product_id: sum(s for _, s, active in stocks if active)})
    repo.insert_movements(uow, [(tenant_id, product_id, variation_id, stock, stock, reason, None, actor_id, None)
                                for variation_id, stock in opening])
    return refused


def open_new_products(uow: UnitOfWork, tenant_id: int, stocks: list[tuple[int, int, int]], *, reason: str,
                      actor_id: int | None) -> None:
    """(product id, variation id, stock) of products just inserted with one active variation each
    (a feed's new items): opening stock, the product's total and the movements, set-wise.  Never
    refused: one variation's stock is at most MAX_STOCK, under the total's limit."""
    repo.open_new_products(uow, tenant_id, stocks)
    Moves(uow, tenant_id).effects.products_of(p for p, _, _ in stocks)
    repo.insert_movements(uow, [(tenant_id, p, v, n, n, reason, None, actor_id, None) for p, v, n in stocks if n])


def switched(uow: UnitOfWork, tenant_id: int, row: dict[str, Any], active: bool) -> list[int]:
    """The (locked) variation `row` went on sale (`active`) or off it: its stock joins or leaves
    the product's total; on sale with stock free, it is back in stock."""
    product_id = int(row["product_id"])
    moves = Moves(uow, tenant_id)
    moves.effects.product(product_id)
    refused = repo.add_total_stock(uow, tenant_id, {product_id: row["stock"] if active else -row["stock"]})
    moves.stock(int(row["id"]), available(row), available({**row, "is_active": active}))
    moves.done()
    return refused
