"""SQL of audiences: RFM figures of customers' paid orders and the shop's customers, tenant-scoped.

Read models (chalicelib/platform/tables.py READ_MODELS): orders (paid orders per customer: when
the last was paid, how many and how much in the last 365 days), users (the active, non-staff
customers of a send to everyone).  Both walk an index that starts with the tenant: orders.ix_user
(tenant_id, user_id, created_at), users' (tenant_id, id).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.platform.db import Session

# Orders that are no sale (any more): a paid order later refunded or cancelled does not count.
NOT_SALES = ("cancelled", "refunded", "payment_failed", "pending_payment")
_RFM = """MAX(paid_at) AS last_paid_at,
          SUM(paid_at >= %s) AS frequency,
          COALESCE(SUM(CASE WHEN paid_at >= %s THEN grand_total END), 0) AS monetary"""
_PAID = "paid_at IS NOT NULL AND status NOT IN (%s, %s, %s, %s)"


def rfm_of(session: Session, tenant_id: int, user_id: int, since: dt.datetime) -> dict[str, Any] | None:
    """One customer's figures (one ix_user range), or None without a paid order."""
    row = session.one(f"SELECT {_RFM} FROM orders WHERE tenant_id = %s AND user_id = %s AND {_PAID}",
                      (since, since, tenant_id, user_id, *NOT_SALES))
    return row if row is not None and row["last_paid_at"] is not None else None


def rfm_after(session: Session, tenant_id: int, since: dt.datetime, after_user_id: int,
              limit: int) -> list[dict[str, Any]]:
    """Figures of the next `limit` customers with a paid order, by user id after `after_user_id`."""
    return session.all(
        f"""SELECT user_id, {_RFM} FROM orders
             WHERE tenant_id = %s AND user_id > %s AND {_PAID}
             GROUP BY user_id ORDER BY user_id LIMIT %s""",
        (since, since, tenant_id, after_user_id, *NOT_SALES, limit))


def customers_after(session: Session, tenant_id: int, after_user_id: int, limit: int) -> list[int]:
    rows = session.all("""SELECT id FROM users
                           WHERE tenant_id = %s AND id > %s AND status = 'active' AND is_staff = 0
                           ORDER BY id LIMIT %s""", (tenant_id, after_user_id, limit))
    return [int(r["id"]) for r in rows]
