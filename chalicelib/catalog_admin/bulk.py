"""Bulk price, stock and status changes: one selection, one action, one transaction.

All or nothing: every row is checked under its lock before anything is written; a single
price that would turn negative or a stock that would fall below its reserved quantity refuses
the whole request (400 `bulk_invalid` listing every offending variation).  The change is
recorded as ONE audit row (`product.bulk`) holding the selection, the action and the changed
rows' old and new values (the first AUDIT_ROWS of them), plus the usual per-row histories
(price_history; stock_movements, written with the stock by inventory.api).

Locks follow the area's order: variations (id order), then products (id order).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from chalicelib.catalog.api import Effects
from chalicelib.inventory import api as inventory
from chalicelib.platform import audit
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.errors import ApiError, BadRequest, NotFound
from chalicelib.platform.sql import marks

from . import product_repository as prepo
from .bulk_schemas import MAX_BULK_IDS, BulkIn
from .common import Actor, run
from .errors import field_problem
from .products import check_totals, filter_clause
from .values import MAX_PRICE, REASON_ADJUSTMENT, SOURCE_ADMIN, change_price

AUDIT_ROWS = 1000


def check_request(body: BulkIn) -> None:
    """400 naming the field when the selection or the action's parameters are not as required."""
    selectors = [name for name in ("product_ids", "variation_ids", "filter") if getattr(body, name) is not None]
    problems = []
    if len(selectors) != 1:
        problems.append(field_problem("product_ids", "selection_required",
                                      "Send exactly one of product_ids, variation_ids or filter."))
    if getattr(body, body.action) is None:
        problems.append(field_problem(body.action, "missing", "Field required."))
    for other in {"price", "stock", "status"} - {body.action}:
        if getattr(body, other) is not None:
            problems.append(field_problem(other, "not_for_this_action", f"Not used by the {body.action} action."))
    if body.action == "status" and body.variation_ids is not None:
        problems.append(field_problem("variation_ids", "not_for_this_action", "Status belongs to products."))
    if body.action == "price" and body.price and body.price.mode == "set" and body.price.value < 0:
        problems.append(field_problem("price.value", "negative", "Must not be negative."))
    if body.action == "price" and body.price and body.price.mode == "percent" and body.price.value <= -100:
        problems.append(field_problem("price.value", "price_negative", "A cut of 100 % or more leaves no price."))
    if body.action == "stock" and body.stock and body.stock.mode == "set" and body.stock.value < 0:
        problems.append(field_problem("stock.value", "negative", "Must not be negative."))
    if problems:
        raise BadRequest(details={"fields": problems})


def _missing(wanted: list[int], found: set[int], field: str) -> None:
    missing = sorted(set(wanted) - found)
    if missing:  # unknown ids, or another tenant's: the same answer
        raise NotFound(details={"field": field, "missing": missing[:100]})


def _select(uow: UnitOfWork, tenant_id: int, body: BulkIn) -> tuple[list[int], list[dict[str, Any]]]:
    """(product ids, locked variation rows) of the selection, variations locked before products."""
    if body.variation_ids is not None:
        variations = prepo.lock_variations(uow, tenant_id, body.variation_ids)
        _missing(body.variation_ids, {int(v["id"]) for v in variations}, "variation_ids")
        return sorted({int(v["product_id"]) for v in variations}), variations
    if body.product_ids is not None:
        where, params = prepo.product_filter(tenant_id)
        where += f" AND p.id IN ({marks(body.product_ids)})"
        product_ids = prepo.product_ids_where(uow, where, [*params, *body.product_ids], MAX_BULK_IDS + 1)
        _missing(body.product_ids, set(product_ids), "product_ids")
    else:
        assert body.filter is not None
        where, params = filter_clause(uow, tenant_id, body.filter.model_dump())
        product_ids = prepo.product_ids_where(uow, where, params, MAX_BULK_IDS + 1)
        if len(product_ids) > MAX_BULK_IDS:
            raise ApiError("bulk_too_large", status=400, params={"limit": MAX_BULK_IDS},
                           details={"limit": MAX_BULK_IDS})
    if body.action == "status":
        return product_ids, []
    active = [int(v["id"]) for v in prepo.variations_of(uow, tenant_id, product_ids) if v["is_active"]]
    return product_ids, prepo.lock_variations(uow, tenant_id, active)


def _refuse(problems: list[dict[str, Any]]) -> None:
    if problems:
        raise ApiError("bulk_invalid", status=400, details={"problems": problems[:AUDIT_ROWS],
                                                            "problem_count": len(problems)})


def _apply_price(uow: UnitOfWork, tenant_id: int, actor: Actor, body: BulkIn, products: list[dict[str, Any]],
                 variations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    assert body.price is not None
    p = body.price
    currency = {int(r["id"]): r["currency"] for r in products}
    targets = [("variation", v, v["price"]) for v in variations]
    if body.variation_ids is None:  # chosen by product: the product's base price moves too
        targets += [("product", r, r["base_price"]) for r in products]
    changes, problems = [], []
    for kind, row, old in targets:
        new = change_price(Decimal(old), p.mode, p.value, p.rounding)
        if new < 0 or new > MAX_PRICE:
            problems.append({f"{kind}_id": row["id"], "type": "price_negative" if new < 0 else "too_large",
                             "price": old, "requested": new})
        elif kind == "product" and row["compare_at_price"] is not None and new > row["compare_at_price"]:
            # A sale's struck-through 'was' price never sits below the price (as on PUT).
            problems.append({"product_id": row["id"], "type": "compare_at_below_price", "price": old,
                             "requested": new, "compare_at_price": row["compare_at_price"]})
        elif new != old:
            changes.append({"kind": kind, "id": int(row["id"]), "product_id": int(row.get("product_id") or row["id"]),
                            "old": old, "new": new})
    _refuse(problems)
    prepo.set_prices(uow, tenant_id, "product_variations", [(c["new"], c["id"]) for c in changes
                                                           if c["kind"] == "variation"])
    prepo.set_prices(uow, tenant_id, "products", [(c["new"], c["id"]) for c in changes if c["kind"] == "product"])
    prepo.insert_price_history(uow, [
        (tenant_id, c["product_id"], c["id"] if c["kind"] == "variation" else None, c["old"], c["new"],
         currency.get(c["product_id"], "TRY"), SOURCE_ADMIN, actor.user_id) for c in changes])
    return changes


def _apply_stock(uow: UnitOfWork, tenant_id: int, actor: Actor, body: BulkIn, variations: list[dict[str, Any]]
                 ) -> list[dict[str, Any]]:
    assert body.stock is not None
    s = body.stock
    changes, problems = [], []
    for v in variations:
        new = s.value if s.mode == "set" else v["stock"] + s.value
        if new < v["reserved"]:
            problems.append({"variation_id": v["id"], "type": "stock_below_reserved", "stock": v["stock"],
                             "reserved": v["reserved"], "requested": new})
        elif new != v["stock"]:
            changes.append({"kind": "variation", "id": int(v["id"]), "product_id": int(v["product_id"]),
                            "old": v["stock"], "new": new, "row": v})
    _refuse(problems)
    # Locked and checked above: inventory's conditional updates cannot refuse.
    check_totals(inventory.set_counts(uow, tenant_id, [(c.pop("row"), c["new"]) for c in changes],
                                      reason=REASON_ADJUSTMENT, reference_type="bulk", actor_id=actor.user_id,
                                      note=s.reason), "stock.value")
    return changes


def _apply_status(uow: UnitOfWork, tenant_id: int, body: BulkIn, products: list[dict[str, Any]]
                  ) -> list[dict[str, Any]]:
    changes = [{"kind": "product", "id": int(r["id"]), "product_id": int(r["id"]), "old": r["status"],
                "new": body.status} for r in products if r["status"] != body.status]
    assert body.status is not None
    prepo.set_status(uow, tenant_id, [c["id"] for c in changes], body.status)
    return changes


def bulk_change(db: Database, tenant_id: int, actor: Actor, body: BulkIn) -> dict[str, Any]:
    check_request(body)

    def work(uow: UnitOfWork) -> dict[str, Any]:
        product_ids, variations = _select(uow, tenant_id, body)
        products = prepo.lock_products(uow, tenant_id, product_ids)
        if body.action == "price":
            changes = _apply_price(uow, tenant_id, actor, body, products, variations)
        elif body.action == "stock":
            changes = _apply_stock(uow, tenant_id, actor, body, variations)
        else:
            changes = _apply_status(uow, tenant_id, body, products)
        result = {"action": body.action, "matched_products": len(product_ids), "matched_variations": len(variations),
                  "changed": len(changes)}
        if not changes:
            return result  # nothing to write or audit
        selection = body.model_dump(mode="json", include={"product_ids", "variation_ids", "filter"}, exclude_none=True)
        audit.record(uow, tenant_id, "product.bulk", entity_type="product", before={
            "selection": selection, "rows": [{"kind": c["kind"], "id": c["id"], "value": c["old"]}
                                             for c in changes[:AUDIT_ROWS]]}, after={
            "action": body.action, "parameters": body.model_dump(mode="json", include={str(body.action)}),
            **result, "rows": [{"kind": c["kind"], "id": c["id"], "value": c["new"]} for c in changes[:AUDIT_ROWS]],
            "truncated": max(len(changes) - AUDIT_ROWS, 0)})
        Effects.of(uow, tenant_id).products_of(c["product_id"] for c in changes)
        uow.commit()
        return result

    return run(db, work)
