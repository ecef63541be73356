"""Variations: add, change, deactivate; stock adjustments and price changes with their history.

Stock: on-hand `stock` changes only by an atomic conditional update (`add_stock` /
`set_stock`: the new value must stay at or above `reserved`, which open orders hold), so
concurrent adjustments never lose an update and never oversell.  Each change writes a
stock_movements row (delta, stock after, actor, the admin's reason in `note`) and moves
products.total_stock by the same delta (an increment on the locked product row), which keeps
total_stock equal to the sum of the product's active variations' stock.

When a variation's available stock (stock - reserved, for an active variation) goes from 0 to
more than 0, back-in-stock subscribers are told after the commit (catalog/effects.py).

Variations are never deleted (order items refer to them): DELETE deactivates.  A deactivated
variation leaves the shop and stops counting towards total_stock; its SKU stays taken.
"""
from __future__ import annotations

from typing import Any

from chalicelib.catalog.api import Effects
from chalicelib.platform import audit
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.errors import NotFound

from . import product_repository as prepo
from .common import Actor, run
from .errors import StockBelowReserved, too_large
from .products import (
    add_total_stock,
    audited_variation,
    check_unique_variations,
    insert_variations,
    variation_view,
)
from .values import MAX_STOCK, REASON_ADJUSTMENT, SOURCE_ADMIN


def _available(row: dict[str, Any], stock: int | None = None) -> int:
    if not row["is_active"]:
        return 0
    return max((row["stock"] if stock is None else stock) - row["reserved"], 0)


def _locked_variation(uow: UnitOfWork, tenant_id: int, variation_id: int) -> dict[str, Any]:
    row = prepo.get_variation(uow, tenant_id, variation_id, for_update=True)
    if row is None:
        raise NotFound()
    return row


def _currency(uow: UnitOfWork, tenant_id: int, product_id: int) -> str:
    product = prepo.get_product(uow, tenant_id, product_id)
    return str(product["currency"]) if product else "TRY"


# -- add / change / deactivate -------------------------------------------------------------------
def create_variation(db: Database, tenant_id: int, actor: Actor, product_id: int, body: dict[str, Any]
                     ) -> dict[str, Any]:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        locked = prepo.lock_products(uow, tenant_id, [product_id])
        if not locked:
            raise NotFound()
        product = locked[0]
        variation = {**body, "price": body["price"] if body.get("price") is not None else product["base_price"]}
        check_unique_variations(uow, tenant_id, [variation], "")
        [variation_id] = insert_variations(uow, tenant_id, product_id, product["currency"], [variation], actor)
        if variation.get("is_active", True):
            add_total_stock(uow, tenant_id, {product_id: variation.get("stock", 0)}, "stock")
        view = variation_view(prepo.get_variation(uow, tenant_id, variation_id) or {})
        audit.record(uow, tenant_id, "variation.create", entity_type="variation", entity_id=variation_id,
                     after={"product_id": product_id, **audited_variation(view)})
        Effects(tenant_id).product(product_id).schedule(uow)
        uow.commit()
        return view

    return run(db, work)


def update_variation(db: Database, tenant_id: int, actor: Actor, variation_id: int, changes: dict[str, Any]
                     ) -> dict[str, Any]:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        current = _locked_variation(uow, tenant_id, variation_id)
        before = variation_view(current)
        fields: dict[str, Any] = {}
        for key in ("sku", "price", "low_stock_threshold", "is_active"):  # never null (VariationUpdateIn)
            if changes.get(key) is not None and changes[key] != before[key]:
                fields[key] = changes[key]
        for key in ("barcode", "name", "options", "nfc_tag"):
            if key in changes and changes[key] != before[key]:
                fields[key] = changes[key]
        if not fields:
            return before
        check_unique_variations(uow, tenant_id, [{k: fields.get(k) for k in ("sku", "barcode", "nfc_tag")}], "",
                                except_ids=[variation_id])
        prepo.update_variation(uow, tenant_id, variation_id, fields)
        product_id = int(current["product_id"])
        effects = Effects(tenant_id).product(product_id)
        if "is_active" in fields:
            add_total_stock(uow, tenant_id, {product_id: current["stock"] if fields["is_active"] else
                                             -current["stock"]}, "is_active")
            effects.stock(variation_id, _available(current), _available({**current, **fields}))
        if "price" in fields:
            prepo.insert_price_history(uow, [(tenant_id, product_id, variation_id, current["price"], fields["price"],
                                              _currency(uow, tenant_id, product_id), SOURCE_ADMIN, actor.user_id)])
        after = variation_view(prepo.get_variation(uow, tenant_id, variation_id) or {})
        audit.record(uow, tenant_id, "variation.update", entity_type="variation", entity_id=variation_id,
                     before=audited_variation(before), after=audited_variation(after))
        effects.schedule(uow)
        uow.commit()
        return after

    return run(db, work)


def deactivate_variation(db: Database, tenant_id: int, variation_id: int) -> None:
    def work(uow: UnitOfWork) -> None:
        current = _locked_variation(uow, tenant_id, variation_id)
        if not current["is_active"]:
            return  # already inactive: DELETE is idempotent
        product_id = int(current["product_id"])
        prepo.update_variation(uow, tenant_id, variation_id, {"is_active": False})
        add_total_stock(uow, tenant_id, {product_id: -current["stock"]}, "is_active")
        audit.record(uow, tenant_id, "variation.deactivate", entity_type="variation", entity_id=variation_id,
                     before={"is_active": True, "stock": current["stock"]}, after={"is_active": False})
        Effects(tenant_id).product(product_id).schedule(uow)
        uow.commit()

    run(db, work)


# -- stock ---------------------------------------------------------------------------------------
def _apply(uow: UnitOfWork, tenant_id: int, variation_id: int, delta: int | None, set_to: int | None
           ) -> tuple[dict[str, Any], int]:
    """The conditional update itself: (the variation as it is now, the change applied)."""
    if delta is not None:
        applied = delta != 0 and prepo.add_stock(uow, tenant_id, variation_id, delta)
        row = prepo.get_variation(uow, tenant_id, variation_id)  # after our update (we hold its lock)
        if row is None:
            raise NotFound()
        if delta != 0 and not applied:
            if row["stock"] + delta > MAX_STOCK:
                raise too_large("delta", MAX_STOCK)
            raise StockBelowReserved(variation_id, row["stock"], row["reserved"], row["stock"] + delta)
        return row, delta
    assert set_to is not None
    row = _locked_variation(uow, tenant_id, variation_id)
    change = set_to - row["stock"]
    if change and not prepo.set_stock(uow, tenant_id, variation_id, set_to):
        raise StockBelowReserved(variation_id, row["stock"], row["reserved"], set_to)
    return {**row, "stock": set_to}, change


def adjust_stock(db: Database, tenant_id: int, actor: Actor, variation_id: int, *, delta: int | None,
                 set_to: int | None, reason: str) -> dict[str, Any]:
    """Exactly one of `delta` / `set_to`.  409 when the result would fall below the reserved
    quantity; nothing is written when the stock would not change."""

    def work(uow: UnitOfWork) -> dict[str, Any]:
        row, change = _apply(uow, tenant_id, variation_id, delta, set_to)
        product_id = int(row["product_id"])
        result = {"variation_id": variation_id, "product_id": product_id, "delta": change, "stock": row["stock"],
                  "reserved": row["reserved"], "available": _available(row), "movement_id": None}
        if change and row["is_active"]:
            add_total_stock(uow, tenant_id, {product_id: change}, "delta" if delta is not None else "set")
        result["total_stock"] = (prepo.get_product(uow, tenant_id, product_id) or {}).get("total_stock", 0)
        if change == 0:
            return result
        before_stock = row["stock"] - change
        result["movement_id"] = prepo.insert_movements(uow, [(tenant_id, product_id, variation_id, change,
                                                              row["stock"], REASON_ADJUSTMENT, None, actor.user_id,
                                                              reason)])
        audit.record(uow, tenant_id, "variation.stock", entity_type="variation", entity_id=variation_id,
                     before={"stock": before_stock, "reserved": row["reserved"]},
                     after={"stock": row["stock"], "reserved": row["reserved"], "delta": change, "reason": reason})
        effects = Effects(tenant_id).product(product_id)
        effects.stock(variation_id, _available(row, before_stock), _available(row))
        effects.schedule(uow)
        uow.commit()
        return result

    return run(db, work)


# -- price ---------------------------------------------------------------------------------------
def change_price(db: Database, tenant_id: int, actor: Actor, variation_id: int, price: Any) -> dict[str, Any]:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        row = _locked_variation(uow, tenant_id, variation_id)
        product_id = int(row["product_id"])
        result = {"variation_id": variation_id, "product_id": product_id, "old_price": row["price"], "price": price,
                  "changed": price != row["price"]}
        if not result["changed"]:
            return result
        prepo.set_prices(uow, tenant_id, "product_variations", [(price, variation_id)])
        prepo.insert_price_history(uow, [(tenant_id, product_id, variation_id, row["price"], price,
                                          _currency(uow, tenant_id, product_id), SOURCE_ADMIN, actor.user_id)])
        audit.record(uow, tenant_id, "variation.price", entity_type="variation", entity_id=variation_id,
                     before={"price": row["price"]}, after={"price": price})
        Effects(tenant_id).product(product_id).schedule(uow)
        uow.commit()
        return result

    return run(db, work)
