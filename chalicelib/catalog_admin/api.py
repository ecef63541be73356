"""What the catalogue-admin area publishes to other areas (issue 10 item 1).

Inside the caller's transaction:
    set_rating_summary(uow, tenant_id, product_id, average=, count=) → True when it changed
        the product's rating_avg / rating_count, which the engagement area computes from its
        approved reviews (call it holding the product row's lock, as the reviews do)

Everything else under chalicelib/catalog_admin/ is private.  This module imports nothing of the
area at import time: the engagement function imports it on a cold start, and must not load the
catalogue admin's services (spreadsheets, the importer) with it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from decimal import Decimal

    from chalicelib.platform.db import UnitOfWork

__all__ = ["set_rating_summary"]


def set_rating_summary(uow: UnitOfWork, tenant_id: int, product_id: int, *, average: Decimal, count: int) -> bool:
    from . import ratings  # lazy: see the module docstring

    return ratings.set_rating_summary(uow, tenant_id, product_id, average=average, count=count)
