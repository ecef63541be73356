"""Variations: add, change, deactivate; stock adjustments and price changes with their history.

Stock is the inventory area's (inventory.api): an adjustment is its conditional update, never
below `reserved` (which open orders hold), with a stock_movements row (delta, stock after, actor,
the admin's reason in `note`) and products.total_stock moved by the same delta, so total_stock
stays the sum of the product's active variations' stock.  A variation switched on or off takes
its stock into or out of that total.  When a variation's available stock goes from 0 to more
than 0, inventory publishes StockReturned (back-in-stock alerts follow).  This module keeps the
variation's own fields, the audit rows and the answers.

Variations are never deleted (order items refer to them): DELETE deactivates.  A deactivated
variation leaves the shop and stops counting towards total_stock; its SKU stays taken.
"""
from __future__ import annotations

from typing import Any

from chalicelib.catalog.api import Effects
from chalicelib.inventory import api as inventory
from chalicelib.platform import audit
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.errors import NotFound

from . import product_repository as prepo
from .common import Actor, run
from .products import (
    audited_variation,
    check_totals,
    check_unique_variations,
    insert_variations,
    variation_view,
)
from .values import SOURCE_ADMIN


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
        [variation_id] = insert_variations(uow, tenant_id, product_id, product["currency"], [variation], actor,
                                           field="stock")
        view = variation_view(prepo.get_variation(uow, tenant_id, variation_id) or {})
        audit.record(uow, tenant_id, "variation.create", entity_type="variation", entity_id=variation_id,
                     after={"product_id": product_id, **audited_variation(view)})
        Effects.of(uow, tenant_id).product(product_id)
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
        Effects.of(uow, tenant_id).product(product_id)
        if "is_active" in fields:
            check_totals(inventory.switched(uow, tenant_id, current, bool(fields["is_active"])), "is_active")
        if "price" in fields:
            prepo.insert_price_history(uow, [(tenant_id, product_id, variation_id, current["price"], fields["price"],
                                              _currency(uow, tenant_id, product_id), SOURCE_ADMIN, actor.user_id)])
        after = variation_view(prepo.get_variation(uow, tenant_id, variation_id) or {})
        audit.record(uow, tenant_id, "variation.update", entity_type="variation", entity_id=variation_id,
                     before=audited_variation(before), after=audited_variation(after))
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
        check_totals(inventory.switched(uow, tenant_id, current, False), "is_active")
        audit.record(uow, tenant_id, "variation.deactivate", entity_type="variation", entity_id=variation_id,
                     before={"is_active": True, "stock": current["stock"]}, after={"is_active": False})
        Effects.of(uow, tenant_id).product(product_id)
        uow.commit()

    run(db, work)


# -- stock ---------------------------------------------------------------------------------------
def adjust_stock(db: Database, tenant_id: int, actor: Actor, variation_id: int, *, delta: int | None,
                 set_to: int | None, reason: str) -> dict[str, Any]:
    """Exactly one of `delta` / `set_to` (inventory.api.adjust: 409 when the result would fall
    below the reserved quantity; nothing is written when the stock would not change)."""

    def work(uow: UnitOfWork) -> dict[str, Any]:
        result = inventory.adjust(uow, tenant_id, variation_id, delta=delta, set_to=set_to, actor_id=actor.user_id,
                                  reason=reason)
        if result["delta"] == 0:
            return result
        audit.record(uow, tenant_id, "variation.stock", entity_type="variation", entity_id=variation_id,
                     before={"stock": result["stock"] - result["delta"], "reserved": result["reserved"]},
                     after={"stock": result["stock"], "reserved": result["reserved"], "delta": result["delta"],
                            "reason": reason})
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
