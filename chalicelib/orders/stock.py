"""Stock moves an order makes, and what they change in the shop afterwards.

    checkout        reserved += q                    (only if stock - reserved >= q)
    paid            stock -= q, reserved -= q         (the sale; products.total_stock/sold_count follow)
    unpaid cancel   reserved -= q                    (cancelled or the hold expired)
    paid cancel     stock += q                        (nothing left the warehouse)
    return received stock += q                        (when the item can be sold again)

Each move writes a stock_movements row (reason order / order_cancel / return, reference the
order) and collects what changed in the catalogue's `Effects` (chalicelib/catalog/effects.py,
shared with the catalogue admin); `Effects.schedule(uow)` runs the cache invalidation and
back-in-stock notices after the commit (never from an open or rolled-back transaction).
Reservations only touch product details; a sale or restock that moves a product's total stock
across zero also bumps the listings (`catalog`).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.catalog.api import Effects
from chalicelib.platform.db import UnitOfWork
from chalicelib.platform.errors import Conflict

from . import repository as repo

__all__ = ["Effects", "release", "reserve", "restock", "sell"]


Line = tuple[int, int, int, str]  # variation_id, product_id, quantity, name


def reserve(uow: UnitOfWork, tenant_id: int, order_id: int, lines: list[Line], actor_id: int | None,
            effects: Effects) -> None:
    """Hold every line or none: the first line short of stock raises 409 insufficient_stock and
    the caller's transaction rolls the earlier holds back."""
    for variation_id, product_id, quantity, name in sorted(lines):
        if not repo.reserve(uow, tenant_id, variation_id, quantity):
            left = repo.available(uow, tenant_id, [variation_id]).get(variation_id, 0)
            raise Conflict("insufficient_stock", params={"name": name, "available": left}, details={
                "variation_id": variation_id, "requested": quantity, "available": left})
        effects.products.add(product_id)
    repo.insert_movements(uow, [(tenant_id, p, v, 0, q, "order", order_id, actor_id) for v, p, q, _ in lines])


def _items(items: Iterable[dict[str, Any]]) -> list[tuple[int, int, int]]:
    return sorted((int(i["variation_id"]), int(i["product_id"]), int(i["quantity"]))
                  for i in items if i.get("variation_id") is not None and int(i["quantity"]) > 0)


def release(uow: UnitOfWork, tenant_id: int, order_id: int, items: Iterable[dict[str, Any]],
            actor_id: int | None, effects: Effects) -> None:
    """An unpaid order's hold goes back (cancel or expiry)."""
    moved = _items(items)
    for variation_id, product_id, quantity in moved:
        before = repo.available(uow, tenant_id, [variation_id]).get(variation_id, 0)
        repo.release(uow, tenant_id, variation_id, quantity)
        effects.products.add(product_id)
        effects.stock(variation_id, before, before + quantity)
    repo.insert_movements(uow, [(tenant_id, p, v, 0, -q, "order_cancel", order_id, actor_id) for v, p, q in moved])


def sell(uow: UnitOfWork, tenant_id: int, order_id: int, items: Iterable[dict[str, Any]], effects: Effects) -> None:
    """Payment arrived: held units leave stock for good."""
    moved = _items(items)
    counters: dict[int, tuple[int, int]] = {}
    for variation_id, product_id, quantity in moved:
        repo.sell(uow, tenant_id, variation_id, quantity)
        stock_delta, sold = counters.get(product_id, (0, 0))
        counters[product_id] = (stock_delta - quantity, sold + quantity)
        effects.products.add(product_id)
    if repo.add_product_counters(uow, tenant_id, counters):
        effects.catalog = True
    repo.insert_movements(uow, [(tenant_id, p, v, -q, -q, "order", order_id, None) for v, p, q in moved])


def restock(uow: UnitOfWork, tenant_id: int, order_id: int, items: Iterable[dict[str, Any]], actor_id: int | None,
            effects: Effects, *, reason: str, unsell: bool) -> None:
    """Units come back to the shelf; `unsell` also takes them off sold_count (a cancelled sale)."""
    moved = _items(items)
    counters: dict[int, tuple[int, int]] = {}
    for variation_id, product_id, quantity in moved:
        before, after = repo.restock(uow, tenant_id, variation_id, quantity)
        stock_delta, sold = counters.get(product_id, (0, 0))
        counters[product_id] = (stock_delta + quantity, sold - (quantity if unsell else 0))
        effects.products.add(product_id)
        effects.stock(variation_id, before, after)
    if repo.add_product_counters(uow, tenant_id, counters):
        effects.catalog = True
    repo.insert_movements(uow, [(tenant_id, p, v, q, 0, reason, order_id, actor_id) for v, p, q in moved])
