"""Catalogue reads.  Product detail is served cache-aside from Redis (the seed's diagram 14);
writes that change a product call `forget_product` after commit."""
from __future__ import annotations

import json
from typing import Any

from chalicelib.platform import cache
from chalicelib.platform.db import Database
from chalicelib.platform.errors import NotFound

from . import repository as repo

DETAIL_TTL_SECONDS = 600
LOW_STOCK_DEFAULT = 5


def stock_status(available: int, low_threshold: int = LOW_STOCK_DEFAULT) -> str:
    if available <= 0:
        return "out_of_stock"
    return "low_stock" if available <= low_threshold else "in_stock"


def list_products(db: Database, tenant_id: int, query: Any) -> dict[str, Any]:
    session = db.reader()
    path = None
    if query.category_id is not None:
        path = repo.category_path(session, tenant_id, query.category_id)
        if path is None:
            raise NotFound("not_found", details={"category_id": query.category_id})
    rows = repo.list_products(session, tenant_id, category_path=path, brand_id=query.brand_id,
                              before_id=query.cursor, limit=query.limit + 1)
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    items = [
        {
            "id": r["id"], "name": r["name"], "slug": r["slug"], "brand": r["brand"], "category_id": r["category_id"],
            "price": r["base_price"], "compare_at_price": r["compare_at_price"], "currency": r["currency"],
            "stock_status": stock_status(r["total_stock"]), "rating_avg": r["rating_avg"],
            "rating_count": r["rating_count"], "image": r["image"],
        }
        for r in rows
    ]
    return {"items": items, "next_cursor": rows[-1]["id"] if more and rows else None}


def _detail_key(tenant_id: int, product_id: int) -> str:
    return cache.tenant_key(tenant_id, "product", product_id)


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
        })
    total_available = sum(v["available"] for v in variations)
    return {
        "id": row["id"], "name": row["name"], "slug": row["slug"], "description": row["description"],
        "brand": row["brand"], "category_id": row["category_id"], "price": row["base_price"],
        "compare_at_price": row["compare_at_price"], "currency": row["currency"], "vat_rate": row["vat_rate"],
        "stock_status": stock_status(total_available), "rating_avg": row["rating_avg"],
        "rating_count": row["rating_count"],
        "attributes": json.loads(row["attributes"]) if row["attributes"] else None,
        "variations": variations,
        "images": [{"key": i["s3_key"], "thumb": i["thumb_key"], "alt": i["alt_text"]}
                   for i in repo.images(session, tenant_id, product_id)],
    }


def product_detail(db: Database, tenant_id: int, product_id: int) -> dict[str, Any]:
    detail = cache.get_or_load(_detail_key(tenant_id, product_id), DETAIL_TTL_SECONDS,
                               lambda: _load_detail(db, tenant_id, product_id))
    if detail is None:
        raise NotFound()
    return detail


def forget_product(tenant_id: int, product_id: int) -> None:
    cache.invalidate(_detail_key(tenant_id, product_id))


def catalog_version_key(tenant_id: int) -> str:
    return cache.tenant_key(tenant_id, "catalog", "version")


def catalog_changed(tenant_id: int) -> None:
    """Bump the tenant's catalogue version: cached listings, facets and search answers are keyed
    by it, so every one of them goes stale at once after a write (call from uow.on_commit)."""
    cache.redis_client().incr(catalog_version_key(tenant_id))
