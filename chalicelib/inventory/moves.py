"""Stock moves an order makes (moved here from orders/stock.py, issue 10 item 3).

    checkout        reserved += q                    (only if stock - reserved >= q)
    paid            stock -= q, reserved -= q         (the sale; products.total_stock/sold_count follow)
    unpaid cancel   reserved -= q                    (cancelled or the hold expired)
    paid cancel     stock += q                        (nothing left the warehouse)
    return received stock += q                        (when the item can be sold again)

Each move writes a stock_movements row (reason order / order_cancel / return, reference the
order) and collects what changed (tracking.Moves): the cached product details to drop after the
commit, and a StockReturned event for variations available again.  Reservations only touch
product details; a sale or restock that moves a product's total stock across zero also bumps
the listings.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.platform.db import UnitOfWork

from . import repository as repo
from .api import ReserveLineByLine
from .errors import InsufficientStock
from .tracking import Moves

Line = tuple[int, int, int, str]  # variation_id, product_id, quantity, name


def reserve(uow: UnitOfWork, tenant_id: int, order_id: int, lines: list[Line], actor_id: int | None, *,
            one_statement: bool = False) -> None:
    """Hold every line or none: the first line short of stock raises 409 insufficient_stock and
    the caller's transaction rolls the earlier holds back.  `one_statement`: several distinct lines
    in one UPDATE (the same rows, locked in the same id order); short anywhere → ReserveLineByLine."""
    moves = Moves(uow, tenant_id)
    ordered = sorted(lines)
    if one_statement and len(ordered) > 1 and len({v for v, *_ in ordered}) == len(ordered) \
            and all(q > 0 for _, _, q, _ in ordered):
        if not repo.reserve_all(uow, tenant_id, [(v, q) for v, _, q, _ in ordered]):
            raise ReserveLineByLine
        moves.effects.products.update(p for _, p, _, _ in ordered)
    else:
        for variation_id, product_id, quantity, name in ordered:
            if not repo.reserve(uow, tenant_id, variation_id, quantity):
                left = repo.available(uow, tenant_id, [variation_id]).get(variation_id, 0)
                raise InsufficientStock(variation_id, name, quantity, left)
            moves.effects.products.add(product_id)
    repo.insert_order_movements(uow, [(tenant_id, p, v, 0, q, "order", order_id, actor_id) for v, p, q, _ in lines])


def _items(items: Iterable[dict[str, Any]]) -> list[tuple[int, int, int]]:
    return sorted((int(i["variation_id"]), int(i["product_id"]), int(i["quantity"]))
                  for i in items if i.get("variation_id") is not None and int(i["quantity"]) > 0)


def release(uow: UnitOfWork, tenant_id: int, order_id: int, items: Iterable[dict[str, Any]],
            actor_id: int | None) -> None:
    """An unpaid order's hold goes back (cancel or expiry)."""
    moved = _items(items)
    moves = Moves(uow, tenant_id)
    for variation_id, product_id, quantity in moved:
        before = repo.available(uow, tenant_id, [variation_id]).get(variation_id, 0)
        repo.release(uow, tenant_id, variation_id, quantity)
        moves.effects.products.add(product_id)
        moves.stock(variation_id, before, before + quantity)
    repo.insert_order_movements(uow, [(tenant_id, p, v, 0, -q, "order_cancel", order_id, actor_id)
                                      for v, p, q in moved])
    moves.done()


def sell(uow: UnitOfWork, tenant_id: int, order_id: int, items: Iterable[dict[str, Any]]) -> None:
    """Payment arrived: held units leave stock for good."""
    moved = _items(items)
    moves = Moves(uow, tenant_id)
    counters: dict[int, tuple[int, int]] = {}
    for variation_id, product_id, quantity in moved:
        repo.sell(uow, tenant_id, variation_id, quantity)
        stock_delta, sold = counters.get(product_id, (0, 0))
        counters[product_id] = (stock_delta - quantity, sold + quantity)
        moves.effects.products.add(product_id)
    if repo.add_product_counters(uow, tenant_id, counters):
        moves.effects.catalog = True
    repo.insert_order_movements(uow, [(tenant_id, p, v, -q, -q, "order", order_id, None) for v, p, q in moved])


def restock(uow: UnitOfWork, tenant_id: int, order_id: int, items: Iterable[dict[str, Any]], actor_id: int | None,
            *, reason: str, unsell: bool) -> None:
    """Units come back to the shelf; `unsell` also takes them off sold_count (a cancelled sale)."""
    moved = _items(items)
    moves = Moves(uow, tenant_id)
    counters: dict[int, tuple[int, int]] = {}
    for variation_id, product_id, quantity in moved:
        before, after = repo.restock(uow, tenant_id, variation_id, quantity)
        stock_delta, sold = counters.get(product_id, (0, 0))
        counters[product_id] = (stock_delta + quantity, sold - (quantity if unsell else 0))
        moves.effects.products.add(product_id)
        moves.stock(variation_id, before, after)
    if repo.add_product_counters(uow, tenant_id, counters):
        moves.effects.catalog = True
    repo.insert_order_movements(uow, [(tenant_id, p, v, q, 0, reason, order_id, actor_id) for v, p, q in moved])
    moves.done()
