"""SQL of the customer's applied coupon codes (cart_coupons), always tenant-scoped.

A code is read with everything that decides whether it still applies - the coupon's window,
counters and owner, its campaign's status, window and counters, and this customer's uses of the
coupon and of the campaign - in one statement, so the apply route, the list and the checkout's
`applied_coupons` judge a code by the same row (coupons_service.refusal).  Nothing here commits.
"""
from __future__ import annotations

from typing import Any

from chalicelib.platform.db import Session, UnitOfWork

_COLUMNS = """c.id AS coupon_id, c.code, c.user_id AS owner_id, c.is_active, c.starts_at, c.ends_at,
       c.usage_limit, c.used_count, c.usage_limit_per_user, c.campaign_id,
       k.name AS campaign_name, k.description AS campaign_description, k.status AS campaign_status,
       k.starts_at AS campaign_starts_at, k.ends_at AS campaign_ends_at, k.deleted_at AS campaign_deleted_at,
       k.usage_limit AS campaign_usage_limit, k.used_count AS campaign_used_count,
       k.usage_limit_per_user AS campaign_limit_per_user,
       COALESCE(uc.uses, 0) AS coupon_uses, COALESCE(uk.uses, 0) AS campaign_uses"""

# %s placeholders, in order: the user (coupon uses), the user (campaign uses)
_JOINS = """LEFT JOIN campaigns k ON k.tenant_id = c.tenant_id AND k.id = c.campaign_id
  LEFT JOIN campaign_customer_uses uc ON uc.tenant_id = c.tenant_id AND uc.scope = 'coupon'
        AND uc.scope_id = c.id AND uc.user_id = %s
  LEFT JOIN campaign_customer_uses uk ON uk.tenant_id = c.tenant_id AND uk.scope = 'campaign'
        AND uk.scope_id = c.campaign_id AND uk.user_id = %s"""


def by_code(session: Session, tenant_id: int, user_id: int, code: str) -> dict[str, Any] | None:
    """The coupon with this code (ux_code) and what decides whether this customer may apply it."""
    return session.one(f"SELECT {_COLUMNS} FROM coupons c {_JOINS} WHERE c.tenant_id = %s AND c.code = %s",
                       (user_id, user_id, tenant_id, code))


def applied(session: Session, tenant_id: int, user_id: int) -> list[dict[str, Any]]:
    """The customer's applied codes, oldest first, each with its validity columns."""
    return session.all(
        f"""SELECT {_COLUMNS}, cc.created_at AS applied_at
              FROM cart_coupons cc
              JOIN coupons c ON c.tenant_id = cc.tenant_id AND c.id = cc.coupon_id
              {_JOINS}
             WHERE cc.tenant_id = %s AND cc.user_id = %s
             ORDER BY cc.created_at, cc.coupon_id""",
        (user_id, user_id, tenant_id, user_id))


def applied_ids(session: Session, tenant_id: int, user_id: int) -> list[int]:
    rows = session.all("SELECT coupon_id FROM cart_coupons WHERE tenant_id = %s AND user_id = %s",
                       (tenant_id, user_id))
    return [int(r["coupon_id"]) for r in rows]


def add(session: Session, tenant_id: int, user_id: int, coupon_id: int) -> None:
    """Apply a code; applying it again changes nothing (the primary key)."""
    session.execute("INSERT IGNORE INTO cart_coupons (tenant_id, user_id, coupon_id) VALUES (%s, %s, %s)",
                    (tenant_id, user_id, coupon_id))


def remove(session: Session, tenant_id: int, user_id: int, code: str) -> int:
    return session.execute(
        """DELETE cc FROM cart_coupons cc
             JOIN coupons c ON c.tenant_id = cc.tenant_id AND c.id = cc.coupon_id
            WHERE cc.tenant_id = %s AND cc.user_id = %s AND c.code = %s""", (tenant_id, user_id, code))


def clear(uow: UnitOfWork, tenant_id: int, user_id: int) -> int:
    return uow.execute("DELETE FROM cart_coupons WHERE tenant_id = %s AND user_id = %s", (tenant_id, user_id))
