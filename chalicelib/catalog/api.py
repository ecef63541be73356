"""What the catalogue area publishes to other areas (issue 10 item 1).

After a write to catalogue data commits, the shop's caches follow:
    Effects(tenant_id)                 collect what a transaction changed (products, listings), then
                                       `effects.schedule(uow)` before commit
    Effects.of(uow, tenant_id)         the transaction's shared collector (scheduled on first use)
    forget_product(tenant_id, product_id)   drop a product's cached detail (call after commit)
    catalog_changed(tenant_id)               bump the catalogue version: listings, facets, search follow
How the catalogue shows things, for other areas' answers:
    stock_status(available) → "in_stock" | "low_stock" | "out_of_stock"
    rating_summary(average, count, stars) → {"average", "count", "distribution"}
    product_cards(tenant_id, product_ids) → {id: card} of the ACTIVE products among the ids (the ML
                                       area hydrates recommended ids with it; others are left out)
The catalogue's derived tables (facet counts, attribute values, search words: kept by triggers):
    created_in_bulk(uow, tenant_id)    a block that creates new products with those triggers off,
                                       then writes the new products' rows set-wise (derived_rows.py)

Everything else under chalicelib/catalog/ is private.  `Effects` imports only the platform; the
catalogue service (browse, search state, repository) is imported on the first call of the
functions, so the inventory's and catalogue admin's callers, which only collect `Effects`, do not
load it on a cold start.
"""
from __future__ import annotations

from contextlib import AbstractContextManager
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .effects import Effects

if TYPE_CHECKING:
    from chalicelib.platform.db import Session

__all__ = ["Effects", "catalog_changed", "created_in_bulk", "forget_product", "product_cards", "rating_summary", "stock_status"]


def created_in_bulk(session: Session, tenant_id: int) -> AbstractContextManager[list[int]]:
    """`with created_in_bulk(uow, tenant_id) as created:` (derived_rows.py); loaded on first use,
    as the service is: only the feeds' consumer and the seeder create products in bulk."""
    from . import derived_rows

    return derived_rows.created_in_bulk(session, tenant_id)


def forget_product(tenant_id: int, product_id: int) -> None:
    from . import service  # lazy: see the module docstring

    service.forget_product(tenant_id, product_id)


def catalog_changed(tenant_id: int) -> None:
    from . import service

    service.catalog_changed(tenant_id)


def stock_status(available: int) -> str:
    from . import service

    return service.stock_status(available)


def rating_summary(average: Decimal, count: int, stars: dict[int, int]) -> dict[str, Any]:
    from . import service

    return service.rating_summary(average, count, stars)


def product_cards(tenant_id: int, product_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Listing cards by id, from the reader: id, name, slug, category_id, price, compare_at_price,
    currency, stock_status, image (S3 key or None).  Only this tenant's active products appear."""
    from chalicelib.platform.db import get_db

    from . import repository, service

    rows = repository.cards(get_db().reader(), tenant_id, sorted(set(product_ids))[:200])
    return {int(r["id"]): {
        "id": int(r["id"]), "name": r["name"], "slug": r["slug"], "category_id": r["category_id"],
        "price": r["base_price"], "compare_at_price": r["compare_at_price"], "currency": r["currency"],
        "stock_status": service.stock_status(r["total_stock"]), "image": r["image"],
    } for r in rows}
