"""What the catalogue-admin area publishes to other areas (issue 10 item 1).

Inside the caller's transaction:
    set_rating_summary(uow, tenant_id, product_id, average=, count=) → True when it changed
        the product's rating_avg / rating_count, which the engagement area computes from its
        approved reviews (call it holding the product row's lock, as the reviews do)
    upsert_rows(uow, tenant_id, rows, actor_id=, dry_run=) → {"created", "updated", "unchanged",
        "rejected": [{"index", "field", "reason"}]}: a product feed's batch, upserted by SKU under the
        spreadsheet import's rules (price history, stock movements through inventory.api, the cache
        effects once per transaction); bad rows are answered, the others written (feed_upsert.py).
        rows: {"sku", "name", "price" (str), "stock"?, "vat"?, "barcode"?, "category" | "category_id",
        "brand"? | "brand_id"?}

Everything else under chalicelib/catalog_admin/ is private.  This module imports nothing of the
area at import time: the engagement function imports it on a cold start, and must not load the
catalogue admin's services (spreadsheets, the importer) with it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from decimal import Decimal
    from typing import Any

    from chalicelib.platform.db import UnitOfWork

__all__ = ["set_rating_summary", "upsert_rows"]


def set_rating_summary(uow: UnitOfWork, tenant_id: int, product_id: int, *, average: Decimal, count: int) -> bool:
    from . import ratings  # lazy: see the module docstring

    return ratings.set_rating_summary(uow, tenant_id, product_id, average=average, count=count)


def upsert_rows(uow: UnitOfWork, tenant_id: int, rows: list[dict[str, Any]], *, actor_id: int | None,
                dry_run: bool) -> dict[str, Any]:
    from . import feed_upsert  # lazy: the importer loads only for a feed's batch

    return feed_upsert.upsert_rows(uow, tenant_id, rows, actor_id=actor_id, dry_run=dry_run)
