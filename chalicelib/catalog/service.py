"""Catalogue reads: listing, search and suggestions (catalog.browse), product detail (cache-aside,
the seed's diagram 14), the category tree and the brand list.  The per-version state they share
(metadata, vocabulary) is in catalog.state.

Writes elsewhere call, after commit:
- `forget_product(tenant_id, *product_ids)` when a product's detail changed (price, stock, images,
  status, reviews);
- `catalog_changed(tenant_id)` when anything a listing shows changed (every product write,
  categories, brands): listings, facets, suggestions, the tree and brand counts follow at once.
"""
from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from chalicelib.platform import cache
from chalicelib.platform.db import Database
from chalicelib.platform.errors import NotFound

from . import caching
from . import repository as repo
from .browse import list_products, suggest
from .state import catalog_meta, reset_memory, stock_status, vocabulary

__all__ = ["list_products", "suggest", "product_detail", "category_tree", "brand_list", "forget_product",
           "catalog_changed", "catalog_version_key", "catalog_meta", "vocabulary", "stock_status", "reset_memory"]

DETAIL_TTL_SECONDS = 600

# -- invalidation (called by other areas after commit) -------------------------------------------
def forget_product(tenant_id: int, *product_ids: int) -> None:
    """Drop the products' cached details, all in one DEL (a checkout of many lines: one round trip)."""
    cache.invalidate(*(_detail_key(tenant_id, product_id) for product_id in product_ids))


def catalog_version_key(tenant_id: int) -> str:
    return caching.version_key(tenant_id)


def catalog_changed(tenant_id: int) -> None:
    """Bump the tenant's catalogue version: cached listings, facets and search answers are keyed
    by it, so every one of them goes stale at once after a write (call from uow.on_commit)."""
    caching.bump(tenant_id)


# -- categories and brands ------------------------------------------------------------------------
def category_tree(db: Database, tenant_id: int) -> dict[str, Any]:
    meta = catalog_meta(db, tenant_id, caching.current_version(tenant_id))
    return {"items": meta.tree()}


def brand_list(db: Database, tenant_id: int) -> dict[str, Any]:
    meta = catalog_meta(db, tenant_id, caching.current_version(tenant_id))
    return {"items": meta.brand_list()}


# -- product detail -------------------------------------------------------------------------------
def _detail_key(tenant_id: int, product_id: int) -> str:
    return cache.tenant_key(tenant_id, "product", product_id)


def product_detail(db: Database, tenant_id: int, product_id: int) -> dict[str, Any]:
    detail = cache.get_or_load(_detail_key(tenant_id, product_id), DETAIL_TTL_SECONDS,
                               lambda: _load_detail(db, tenant_id, product_id))
    if detail is None:
        raise NotFound()
    return detail


def _load_detail(db: Database, tenant_id: int, product_id: int) -> dict[str, Any] | None:
    session = db.reader()
    row = repo.product(session, tenant_id, product_id)
    if row is None:
        return None
    variations = []
    for v in repo.variations(session, tenant_id, product_id):
        available = v["stock"] - v["reserved"]
        variations.append({
            "id": v["id"], "sku": v["sku"], "barcode": v["barcode"], "name": v["name"],
            "options": json.loads(v["options"]) if v["options"] else None, "price": v["price"],
            "stock_status": stock_status(available, v["low_stock_threshold"]), "available": max(available, 0),
            "low_stock_threshold": v["low_stock_threshold"],
        })
    total_available = sum(v["available"] for v in variations)
    stars = [int(n) for n in row["stars"].split(",")] if row["stars"] else [0] * 5
    meta = catalog_meta(db, tenant_id, caching.current_version(tenant_id))
    return {
        "id": row["id"], "name": row["name"], "slug": row["slug"], "description": row["description"],
        "brand": row["brand"], "brand_id": row["brand_id"], "category_id": row["category_id"],
        "price": row["base_price"], "compare_at_price": row["compare_at_price"], "currency": row["currency"],
        "vat_rate": row["vat_rate"], "stock_status": stock_status(total_available),
        "rating_avg": row["rating_avg"], "rating_count": row["rating_count"],
        "rating": rating_summary(row["rating_avg"], row["rating_count"], dict(zip(range(1, 6), stars, strict=True))),
        "breadcrumbs": meta.breadcrumbs(row["category_id"]),
        "attributes": json.loads(row["attributes"]) if row["attributes"] else None,
        "variations": variations,
        "images": [{"key": i["s3_key"], "thumb": i["thumb_key"], "alt": i["alt_text"]}
                   for i in repo.images(session, tenant_id, product_id)],
    }


def rating_summary(average: Decimal, count: int, stars: dict[int, int]) -> dict[str, Any]:
    """Average, count and per-star distribution.  With approved reviews, all three come from
    them (so they always agree); without, the product's own counters (e.g. imported ratings)."""
    total = sum(stars.values())
    if total:
        mean = Decimal(sum(star * n for star, n in stars.items())) / total
        average, count = mean.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), total
    return {"average": average, "count": count,
            "distribution": {str(star): stars.get(star, 0) for star in range(5, 0, -1)}}
