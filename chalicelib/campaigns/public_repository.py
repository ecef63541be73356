"""SQL of the apps' public campaign lists, always tenant-scoped and bounded.

Read model (chalicelib/platform/tables.py READ_MODELS): product_variations - a flash deal on one
variation shows that variation's price as the original price.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.platform.db import Session

MAX_CAMPAIGNS = 200
MAX_DEALS = 200
PUBLIC_TYPES = ("promotion", "flash")


def campaigns(session: Session, tenant_id: int, now: dt.datetime) -> list[dict[str, Any]]:
    """Active automatic promotions and flash campaigns not ended yet (ix_status_window)."""
    return session.all(
        """SELECT id, name, description, type, rules, priority, starts_at, ends_at, usage_limit_per_user
             FROM campaigns
            WHERE tenant_id = %s AND status = 'active' AND deleted_at IS NULL AND type IN (%s, %s)
              AND (ends_at IS NULL OR ends_at > %s)
            ORDER BY priority DESC, id LIMIT %s""", (tenant_id, *PUBLIC_TYPES, now, MAX_CAMPAIGNS))


def uses(session: Session, tenant_id: int, user_id: int, scope: str, ids: list[int]) -> dict[int, int]:
    """The customer's uses of campaigns or flash deals (scope 'campaign' | 'flash') by id."""
    if not ids:
        return {}
    marks = ", ".join(["%s"] * len(ids))
    rows = session.all(f"""SELECT scope_id, uses FROM campaign_customer_uses
                            WHERE tenant_id = %s AND scope = %s AND user_id = %s AND scope_id IN ({marks})""",
                       (tenant_id, scope, user_id, *ids))
    return {int(r["scope_id"]): int(r["uses"]) for r in rows}


def flash_deals(session: Session, tenant_id: int, now: dt.datetime, live: bool, lead: dt.timedelta) -> list[dict[str, Any]]:
    """Active deals open now for a customer with `lead` early access (live), or starting later
    (upcoming); ending soonest / starting soonest first (ix_active_ends)."""
    opens = now + lead
    window, order = (("d.starts_at <= %s AND d.ends_at > %s", "d.ends_at, d.id") if live
                     else ("d.starts_at > %s AND d.ends_at > %s", "d.starts_at, d.id"))
    return session.all(
        f"""SELECT d.id, d.campaign_id, d.product_id, d.variation_id, d.title, d.deal_price, d.stock_limit,
                   d.sold_count, d.per_user_limit, d.starts_at, d.ends_at, v.price AS variation_price
              FROM flash_deals d
              LEFT JOIN product_variations v ON v.tenant_id = d.tenant_id AND v.id = d.variation_id
             WHERE d.tenant_id = %s AND d.is_active = 1 AND {window}
             ORDER BY {order} LIMIT %s""", (tenant_id, opens, now, MAX_DEALS))
