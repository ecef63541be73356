"""Products: admin listing and detail, create (with variations), partial update, archive.

Products are never deleted: order items keep referring to them (a foreign key that restricts
deletes), and a sold product's history stays readable.  DELETE archives: the product leaves the
shop at once (the public catalogue shows active products only) and can be re-activated.

Every write runs in one transaction with its audit row (before/after) and, after the commit,
drops the product's cached detail and bumps the catalogue version (catalog/effects.py).  Stock -
a new variation's opening stock, the product's total, the stock history - is the inventory
area's (inventory.api); this module validates and reports.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from chalicelib.catalog.api import Effects
from chalicelib.inventory import api as inventory
from chalicelib.platform import audit
from chalicelib.platform.db import Database, Session, UnitOfWork
from chalicelib.platform.errors import NotFound
from chalicelib.platform.text import fold

from . import naming
from . import product_repository as prepo
from . import repository as repo
from .common import Actor, run
from .errors import Taken, compare_at_below_price, unknown_brand, unknown_category
from .values import ARCHIVED, REASON_INITIAL, SOURCE_ADMIN

if TYPE_CHECKING:  # typing only: nothing more to import on a cold start
    from .schemas import ProductListQuery

HISTORY_LIMIT = 20
AUDITED_PRODUCT = ("id", "name", "slug", "status", "category_id", "brand_id", "base_price", "compare_at_price",
                   "vat_rate", "weight_grams", "description", "attributes")
AUDITED_VARIATION = ("id", "sku", "barcode", "name", "options", "price", "stock", "reserved", "low_stock_threshold",
                     "nfc_tag", "is_active")


# -- views ---------------------------------------------------------------------------------------
def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) and value else (value or None)


def variation_view(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "options": _json(row["options"]), "is_active": bool(row["is_active"]),
            "available": max(int(row["stock"]) - int(row["reserved"]), 0)}


def summary_view(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("id", "name", "slug", "status", "category_id", "category", "brand_id", "brand",
                                "base_price", "compare_at_price", "currency", "total_stock", "variation_count",
                                "updated_at")}


def audited_product(view: dict[str, Any]) -> dict[str, Any]:
    return {k: view[k] for k in AUDITED_PRODUCT}


def audited_variation(view: dict[str, Any]) -> dict[str, Any]:
    return {k: view[k] for k in AUDITED_VARIATION}


def load_product(session: Session, tenant_id: int, product_id: int) -> dict[str, Any]:
    row = prepo.get_product(session, tenant_id, product_id)
    if row is None:
        raise NotFound()
    return {**summary_view(row), **{k: row[k] for k in ("description", "vat_rate", "weight_grams", "sold_count",
                                                         "rating_avg", "rating_count", "created_at")},
            "attributes": _json(row["attributes"])}


def product_detail(db: Database, tenant_id: int, product_id: int) -> dict[str, Any]:
    # The writer, not the replica: an admin expects to see the change they just made.
    return product_detail_in(db.session(), tenant_id, product_id)


def product_detail_in(session: Session, tenant_id: int, product_id: int) -> dict[str, Any]:
    view = load_product(session, tenant_id, product_id)
    view["variations"] = [variation_view(v) for v in prepo.variations_of(session, tenant_id, [product_id])]
    view["images"] = prepo.images_of(session, tenant_id, product_id)
    view["history"] = {**inventory.history(session, tenant_id, product_id, limit=HISTORY_LIMIT),
                       **prepo.price_history(session, tenant_id, product_id, HISTORY_LIMIT)}
    return view


# -- listing -------------------------------------------------------------------------------------
def filter_clause(session: Session, tenant_id: int, filters: dict[str, Any]) -> tuple[str, list[Any]]:
    """The shared admin filter (status, category subtree, brand, q); 400 for an unknown category."""
    path = None
    if filters.get("category_id") is not None:
        path = prepo.category_path(session, tenant_id, filters["category_id"])
        if path is None:
            raise unknown_category("category_id")
    q = (filters.get("q") or "").strip()
    return prepo.product_filter(tenant_id, status=filters.get("status"), category_path=path,
                                brand_id=filters.get("brand_id"), words=fold(q).split() if q else None,
                                exact=q or None)


def list_products(db: Database, tenant_id: int, query: ProductListQuery) -> dict[str, Any]:
    session = db.session()
    where, params = filter_clause(session, tenant_id, query.model_dump())
    rows = prepo.list_products(session, tenant_id, where, params, before_id=query.cursor, limit=query.limit + 1)
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return {"items": [summary_view(r) for r in rows], "next_cursor": rows[-1]["id"] if more and rows else None}


# -- shared checks -------------------------------------------------------------------------------
def check_category_brand(uow: UnitOfWork, tenant_id: int, category_id: int | None, brand_id: int | None
                         ) -> tuple[dict[int, tuple[str, str]], str | None]:
    """(category names for the search text, brand name); 400 naming the unknown field."""
    categories = repo.category_names(uow, tenant_id)
    if category_id is not None and category_id not in categories:
        raise unknown_category("category_id")
    brand_name = None
    if brand_id is not None:
        brand = repo.get_brand(uow, tenant_id, brand_id)
        if brand is None:
            raise unknown_brand("brand_id")
        brand_name = brand["name"]
    return categories, brand_name


def check_unique_variations(uow: UnitOfWork, tenant_id: int, variations: list[dict[str, Any]], prefix: str,
                            except_ids: list[int] | None = None) -> None:
    """409 naming the first SKU / barcode / NFC tag that repeats in the request or is in use.
    Fields are named `<prefix><index>.<column>` ('variations.1.sku'), or just the column
    when `prefix` is empty (a single variation)."""
    def field(i: int, column: str) -> str:
        return f"{prefix}{i}.{column}" if prefix else column

    for column in ("sku", "barcode", "nfc_tag"):
        seen: set[str] = set()
        for i, v in enumerate(variations):
            value = v.get(column)
            if value is None:
                continue
            if value in seen:
                raise Taken(column, field(i, column), value)
            seen.add(value)
        taken = prepo.taken_values(uow, tenant_id, column, sorted(seen), except_ids)
        for i, v in enumerate(variations):
            if v.get(column) in taken:
                raise Taken(column, field(i, column), v[column])


def check_totals(refused: list[int], field: str) -> None:
    """A 400 naming `field` when inventory.api refused a product's total: it would leave its INT
    column (many variations each near the per-variation maximum)."""
    if refused:
        raise inventory.OutOfRange(field, inventory.MAX_TOTAL_STOCK)


def check_compare_at(base_price: Any, compare_at_price: Any) -> None:
    """The 'was' price a sale shows struck through is never below the price (400 naming
    compare_at_price).  Callers pass the values the row will hold, read under its lock."""
    if compare_at_price is not None and base_price is not None and compare_at_price < base_price:
        raise compare_at_below_price(base_price)


def product_slug(uow: UnitOfWork, tenant_id: int, given: str | None, name: str, except_id: int | None = None) -> str:
    if given is not None:
        if prepo.product_slug_exists(uow, tenant_id, given, except_id):
            raise Taken("slug", "slug", given)
        return given
    base = naming.base_slug(name, "urun")
    return naming.next_free(base, prepo.product_slugs_like(uow, tenant_id, base))


def insert_variations(uow: UnitOfWork, tenant_id: int, product_id: int, currency: str, variations: list[dict[str, Any]],
                      actor: Actor, *, field: str, reason: str = REASON_INITIAL, source: str = SOURCE_ADMIN
                      ) -> list[int]:
    """Insert variations with their price-history row; their opening stock (with its movement and
    the product's total, active ones only) goes through inventory.api (400 naming `field` when the
    total would leave its INT column)."""
    ids, prices = [], []
    for v in variations:
        variation_id = prepo.insert_variation(uow, tenant_id, product_id, v)
        ids.append(variation_id)
        prices.append((tenant_id, product_id, variation_id, None, v["price"], currency, source, actor.user_id))
    prepo.insert_price_history(uow, prices)
    opening = [(variation_id, int(v.get("stock") or 0), bool(v.get("is_active", True)))
               for variation_id, v in zip(ids, variations, strict=True)]
    check_totals(inventory.open_stock(uow, tenant_id, product_id, opening, reason=reason, actor_id=actor.user_id),
                 field)
    return ids


# -- writes --------------------------------------------------------------------------------------
def create_product(db: Database, tenant_id: int, actor: Actor, body: dict[str, Any], currency: str = "TRY"
                   ) -> dict[str, Any]:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        categories, brand_name = check_category_brand(uow, tenant_id, body["category_id"], body.get("brand_id"))
        variations = [{**v, "price": v.get("price") if v.get("price") is not None else body["base_price"]}
                      for v in body["variations"]]
        check_unique_variations(uow, tenant_id, variations, "variations.")
        fields = {**body, "slug": product_slug(uow, tenant_id, body.get("slug"), body["name"]),
                  "search_text": naming.search_text(body["name"], brand_name, body["category_id"], categories)}
        total = sum(v.get("stock", 0) for v in variations if v.get("is_active", True))
        if total > inventory.MAX_TOTAL_STOCK:
            raise inventory.OutOfRange("variations", inventory.MAX_TOTAL_STOCK)
        product_id = prepo.insert_product(uow, tenant_id, {**fields, "currency": currency})
        prepo.insert_price_history(uow, [(tenant_id, product_id, None, None, body["base_price"], currency,
                                          SOURCE_ADMIN, actor.user_id)])
        insert_variations(uow, tenant_id, product_id, currency, variations, actor, field="variations")
        view = product_detail_in(uow, tenant_id, product_id)
        audit.record(uow, tenant_id, "product.create", entity_type="product", entity_id=product_id,
                     after={**audited_product(view), "variations": [audited_variation(v) for v in view["variations"]]})
        Effects.of(uow, tenant_id).product(product_id)
        uow.commit()
        return view

    return run(db, work)


def _changed_fields(uow: UnitOfWork, tenant_id: int, product_id: int, current: dict[str, Any],
                    changes: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key in ("name", "status", "base_price", "vat_rate", "category_id"):  # never null (ProductUpdateIn)
        if changes.get(key) is not None and changes[key] != current[key]:
            fields[key] = changes[key]
    for key in ("description", "compare_at_price", "weight_grams", "attributes", "brand_id"):
        if key in changes and changes[key] != current[key]:
            fields[key] = changes[key]
    if changes.get("slug") is not None and changes["slug"] != current["slug"]:
        fields["slug"] = product_slug(uow, tenant_id, changes["slug"], current["name"], product_id)
    if {"base_price", "compare_at_price"} & set(changes):  # against the stored value of the other
        check_compare_at(changes.get("base_price", current["base_price"]),
                         changes["compare_at_price"] if "compare_at_price" in changes else current["compare_at_price"])
    if {"name", "category_id", "brand_id"} & set(fields):  # the search text holds all three
        categories, new_brand = check_category_brand(uow, tenant_id, fields.get("category_id"), fields.get("brand_id"))
        brand_name = (new_brand if "brand_id" in fields else current["brand"])
        fields["search_text"] = naming.search_text(fields.get("name", current["name"]), brand_name,
                                                   fields.get("category_id", current["category_id"]), categories)
    return fields


def update_product(db: Database, tenant_id: int, actor: Actor, product_id: int, changes: dict[str, Any]
                   ) -> dict[str, Any]:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        if not prepo.lock_products(uow, tenant_id, [product_id]):
            raise NotFound()
        current = load_product(uow, tenant_id, product_id)
        fields = _changed_fields(uow, tenant_id, product_id, current, changes)
        if not fields:
            return product_detail_in(uow, tenant_id, product_id)
        prepo.update_product(uow, tenant_id, product_id, fields)
        if "base_price" in fields:
            prepo.insert_price_history(uow, [(tenant_id, product_id, None, current["base_price"], fields["base_price"],
                                              current["currency"], SOURCE_ADMIN, actor.user_id)])
        after = product_detail_in(uow, tenant_id, product_id)
        audit.record(uow, tenant_id, "product.update", entity_type="product", entity_id=product_id,
                     before=audited_product(current), after=audited_product(after))
        Effects(tenant_id).product(product_id).schedule(uow)
        uow.commit()
        return after

    return run(db, work)


def archive_product(db: Database, tenant_id: int, product_id: int) -> None:
    def work(uow: UnitOfWork) -> None:
        locked = prepo.lock_products(uow, tenant_id, [product_id])
        if not locked:
            raise NotFound()
        if locked[0]["status"] == ARCHIVED:
            return  # already archived: DELETE is idempotent
        prepo.set_status(uow, tenant_id, [product_id], ARCHIVED)
        audit.record(uow, tenant_id, "product.archive", entity_type="product", entity_id=product_id,
                     before={"status": locked[0]["status"]}, after={"status": ARCHIVED})
        Effects(tenant_id).product(product_id).schedule(uow)
        uow.commit()

    run(db, work)
