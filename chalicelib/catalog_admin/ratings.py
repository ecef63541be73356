"""The products' review summary (rating_avg, rating_count): the product row's columns that the
engagement area's reviews decide.  Engagement computes the summary from its approved reviews
under the product lock and stores it here, in its own transaction (catalog_admin/api.py)."""
from __future__ import annotations

from decimal import Decimal

from chalicelib.platform.db import Session
from chalicelib.platform.sql import BY_ID


def set_rating_summary(session: Session, tenant_id: int, product_id: int, *, average: Decimal, count: int) -> bool:
    """Store the product's rating summary; True when it changed (the session counts changed
    rows, not matched ones)."""
    changed = session.execute(
        f"UPDATE products {BY_ID} SET rating_avg = %s, rating_count = %s WHERE tenant_id = %s AND id = %s",
        (average, count, tenant_id, product_id),
    )
    return changed > 0
