"""Import, step 6: turn a validated plan into the smallest set of writes.

Only values that differ are written: importing an export unchanged writes nothing at all (no
rows, no history, no audit).  An empty cell never clears a value.  Stock counts and the opening
stock of new variations go through inventory.api (with their movements, reason 'import').
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.catalog.api import Effects
from chalicelib.inventory import api as inventory
from chalicelib.platform import audit
from chalicelib.platform.db import UnitOfWork

from . import naming
from . import product_repository as prepo
from . import repository as repo
from .common import Actor
from .importer import Group, Plan, Row
from .products import check_totals, insert_variations, product_slug
from .values import DRAFT, REASON_IMPORT, SOURCE_IMPORT

AUDIT_ROWS = 1000


@dataclass
class Changes:
    product_updates: dict[int, dict[str, Any]] = field(default_factory=dict)
    product_before: dict[int, dict[str, Any]] = field(default_factory=dict)
    variation_updates: dict[int, dict[str, Any]] = field(default_factory=dict)  # id → barcode / name / price
    variation_before: dict[int, dict[str, Any]] = field(default_factory=dict)
    stock_sets: dict[int, int] = field(default_factory=dict)  # variation id → new stock
    new_variations: list[tuple[int, Row]] = field(default_factory=list)  # on existing products
    new_groups: list[Group] = field(default_factory=list)
    unchanged_rows: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "products_created": len(self.new_groups),
            "products_updated": len(self.product_updates),
            "variations_created": len(self.new_variations) + sum(len(g.rows) for g in self.new_groups),
            "variations_updated": len(set(self.variation_updates) | set(self.stock_sets)),
            "unchanged_rows": self.unchanged_rows,
            "stock_changes": len(self.stock_sets),
            "price_changes": sum(1 for f in self.variation_updates.values() if "price" in f),
        }

    def any(self) -> bool:
        return bool(self.product_updates or self.variation_updates or self.stock_sets or self.new_variations
                    or self.new_groups)


def summarise(uow: UnitOfWork, tenant_id: int, plan: Plan) -> Changes:
    changes = Changes()
    categories = repo.category_names(uow, tenant_id)
    brands = {int(b["id"]): b["name"] for b in repo.all_brands(uow, tenant_id)}
    for group in plan.groups.values():
        if group.existing is None:
            changes.new_groups.append(group)
            continue
        product = group.existing
        fields = {k: v for k, (v, _) in group.values.items() if v != product[k]}
        if {"name", "brand_id", "category_id"} & set(fields):
            merged = {**product, **fields}
            fields["search_text"] = naming.search_text(merged["name"], brands.get(merged["brand_id"]),
                                                       merged["category_id"], categories)
        if fields:
            changes.product_updates[int(product["id"])] = fields
            changes.product_before[int(product["id"])] = {k: product[k] for k in fields if k != "search_text"}
        for row in group.rows:
            _row_changes(changes, plan, group, row)
    return changes


def _row_changes(changes: Changes, plan: Plan, group: Group, row: Row) -> None:
    current = plan.variations.get(row.sku)
    if current is None:
        assert group.existing is not None
        changes.new_variations.append((int(group.existing["id"]), row))
        return
    variation_id = int(current["id"])
    fields: dict[str, Any] = {}
    for name, value in (("barcode", row.barcode), ("name", row.variant), ("price", row.price)):
        if value is not None and value != current[name]:
            fields[name] = value
    if fields:
        changes.variation_updates[variation_id] = fields
        changes.variation_before[variation_id] = {k: current[k] for k in fields}
    if row.stock is not None and row.stock != current["stock"]:
        changes.stock_sets[variation_id] = row.stock
    product_changed = int(group.existing["id"]) in changes.product_updates if group.existing else False
    if not fields and variation_id not in changes.stock_sets and not product_changed:
        changes.unchanged_rows += 1


def apply(uow: UnitOfWork, tenant_id: int, actor: Actor, plan: Plan, changes: Changes, currency: str) -> None:
    effects = Effects.of(uow, tenant_id)
    by_id = {int(v["id"]): v for v in plan.variations.values()}
    for product_id, fields in sorted(changes.product_updates.items()):
        prepo.update_product(uow, tenant_id, product_id, fields)
        effects.product(product_id)
    prices = []
    for variation_id, fields in sorted(changes.variation_updates.items()):
        current = by_id[variation_id]
        prepo.update_variation(uow, tenant_id, variation_id, fields)
        effects.product(int(current["product_id"]))
        if "price" in fields:
            prices.append((tenant_id, current["product_id"], variation_id, current["price"], fields["price"],
                           currency, SOURCE_IMPORT, actor.user_id))
    prepo.insert_price_history(uow, prices)
    check_totals(inventory.set_counts(uow, tenant_id, [(by_id[v], new) for v, new in sorted(changes.stock_sets.items())],
                                      reason=REASON_IMPORT, reference_type="import", actor_id=actor.user_id, note=None),
                 "stock")  # locked and checked against reserved by the plan
    existing = {int(g.existing["id"]): g.existing for g in plan.groups.values() if g.existing is not None}
    for product_id, row in changes.new_variations:
        product = existing[product_id]
        insert_variations(uow, tenant_id, product_id, product["currency"], [_variation(row, product["base_price"])],
                          actor, field="stock", reason=REASON_IMPORT, source=SOURCE_IMPORT)
        effects.product(product_id)
    if changes.new_groups:
        names = _Names(repo.category_names(uow, tenant_id),
                       {int(b["id"]): b["name"] for b in repo.all_brands(uow, tenant_id)})
        created = [_create(uow, tenant_id, actor, group, currency, names) for group in changes.new_groups]
    else:
        created = []
    effects.products_of(created)
    _audit(uow, tenant_id, plan, changes, created, by_id)


def _variation(row: Row, default_price: Any) -> dict[str, Any]:
    return {"sku": row.sku, "barcode": row.barcode, "name": row.variant, "stock": row.stock or 0,
            "price": row.price if row.price is not None else default_price}


@dataclass
class _Names:
    categories: dict[int, tuple[str, str]]
    brands: dict[int, str]


def _create(uow: UnitOfWork, tenant_id: int, actor: Actor, group: Group, currency: str, names: _Names) -> int:
    values = {k: v for k, (v, _) in group.values.items()}
    variations = [_variation(r, None) for r in group.rows]
    base_price = min(v["price"] for v in variations)
    fields = {
        "name": values["name"], "category_id": values["category_id"], "brand_id": values.get("brand_id"),
        "status": values.get("status") or DRAFT, "base_price": base_price, "currency": currency,
        "vat_rate": values.get("vat_rate", 20),  # a feed's VAT rate (feed_upsert.py); else the column's default
        "slug": product_slug(uow, tenant_id, values.get("slug"), values["name"]),
        "search_text": naming.search_text(values["name"], names.brands.get(values.get("brand_id") or 0),
                                          values["category_id"], names.categories),
    }
    total = sum(v["stock"] for v in variations)
    if total > inventory.MAX_TOTAL_STOCK:  # products.total_stock is an INT
        raise inventory.OutOfRange("stock", inventory.MAX_TOTAL_STOCK)
    product_id = prepo.insert_product(uow, tenant_id, fields)
    prepo.insert_price_history(uow, [(tenant_id, product_id, None, None, base_price, currency, SOURCE_IMPORT,
                                      actor.user_id)])
    insert_variations(uow, tenant_id, product_id, currency, variations, actor, field="stock", reason=REASON_IMPORT,
                      source=SOURCE_IMPORT)
    return product_id


def _audit(uow: UnitOfWork, tenant_id: int, plan: Plan, changes: Changes, created: list[int],
           by_id: dict[int, dict[str, Any]]) -> None:
    """One row for the whole import: counts, plus old and new values of what changed (capped)."""
    before: dict[str, Any] = {"products": {}, "variations": {}}
    after: dict[str, Any] = {**changes.counts(), "rows": len(plan.rows), "created_product_ids": created[:AUDIT_ROWS],
                             "products": {}, "variations": {}}
    for product_id, fields in list(changes.product_updates.items())[:AUDIT_ROWS]:
        before["products"][str(product_id)] = changes.product_before[product_id]
        after["products"][str(product_id)] = {k: v for k, v in fields.items() if k != "search_text"}
    touched = sorted(set(changes.variation_updates) | set(changes.stock_sets))[:AUDIT_ROWS]
    for variation_id in touched:
        sku = by_id[variation_id]["sku"]
        old = dict(changes.variation_before.get(variation_id, {}))
        new = dict(changes.variation_updates.get(variation_id, {}))
        if variation_id in changes.stock_sets:
            old["stock"], new["stock"] = by_id[variation_id]["stock"], changes.stock_sets[variation_id]
        before["variations"][sku], after["variations"][sku] = old, new
    after["new_skus"] = ([r.sku for _, r in changes.new_variations]
                         + [r.sku for g in changes.new_groups for r in g.rows])[:AUDIT_ROWS]
    audit.record(uow, tenant_id, "product.import", entity_type="product", before=before, after=after)
