"""SQL of personalised offers: personal coupons (coupons.source 'offer', user_id set), tenant-scoped.

Lock order: the campaign row (`lock_campaign`), then its coupons.  Every issuance of one campaign's
codes runs under that lock, so two runs (a retry, two staff members) never give a customer two codes.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from chalicelib.platform.db import Session, UnitOfWork
from chalicelib.platform.sql import marks

SOURCE = "offer"


def lock_campaign(uow: UnitOfWork, tenant_id: int, campaign_id: int) -> dict[str, Any] | None:
    return uow.one("""SELECT id, type, name, deleted_at FROM campaigns
                       WHERE tenant_id = %s AND id = %s FOR UPDATE""", (tenant_id, campaign_id))


def campaign(session: Session, tenant_id: int, campaign_id: int) -> dict[str, Any] | None:
    return session.one("SELECT id, type, name, deleted_at FROM campaigns WHERE tenant_id = %s AND id = %s",
                       (tenant_id, campaign_id))


def holders(session: Session, tenant_id: int, campaign_id: int, user_ids: Sequence[int]) -> set[int]:
    """Which of `user_ids` already hold a personal code of the campaign."""
    if not user_ids:
        return set()
    rows = session.all(f"""SELECT DISTINCT user_id FROM coupons
                            WHERE tenant_id = %s AND campaign_id = %s AND user_id IN ({marks(user_ids)})""",
                       (tenant_id, campaign_id, *user_ids))
    return {int(r["user_id"]) for r in rows}


def insert_codes(uow: UnitOfWork, tenant_id: int, campaign_id: int, codes: dict[int, str], *, usage_limit: int,
                 starts_at: dt.datetime, ends_at: dt.datetime, created_by: int | None) -> int:
    """One multi-row INSERT IGNORE of personal codes (user id → code); a code another coupon of the
    shop holds is skipped (ux_code), the caller sees who still has none.  Returns rows inserted."""
    if not codes:
        return 0
    rows = [(tenant_id, campaign_id, code, usage_limit, 1, user_id, starts_at, ends_at, created_by, SOURCE)
            for user_id, code in codes.items()]
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(rows))
    return uow.execute(
        f"""INSERT IGNORE INTO coupons (tenant_id, campaign_id, code, usage_limit, usage_limit_per_user, user_id,
                                       starts_at, ends_at, created_by, source)
            VALUES {values}""",
        [value for row in rows for value in row])


def codes_of(session: Session, tenant_id: int, campaign_id: int, user_ids: Sequence[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = session.all(f"""SELECT user_id, code FROM coupons
                            WHERE tenant_id = %s AND campaign_id = %s AND user_id IN ({marks(user_ids)})""",
                       (tenant_id, campaign_id, *user_ids))
    return {int(r["user_id"]): str(r["code"]) for r in rows}


def stats(session: Session, tenant_id: int, campaign_id: int, now: dt.datetime) -> dict[str, int]:
    row = session.one(
        """SELECT COUNT(*) AS issued, COALESCE(SUM(used_count > 0), 0) AS used, COALESCE(SUM(used_count), 0) AS uses,
                  COALESCE(SUM(is_active = 1 AND (ends_at IS NULL OR ends_at > %s)
                               AND (usage_limit IS NULL OR used_count < usage_limit)), 0) AS active
             FROM coupons WHERE tenant_id = %s AND campaign_id = %s AND source = %s""",
        (now, tenant_id, campaign_id, SOURCE))
    return {k: int((row or {}).get(k) or 0) for k in ("issued", "used", "uses", "active")}


def customer_offers(session: Session, tenant_id: int, user_id: int, now: dt.datetime,
                    limit: int) -> list[dict[str, Any]]:
    """The customer's personal codes still valid, of live campaigns, ending soonest first."""
    return session.all(
        """SELECT c.code, c.campaign_id, k.name, k.description, c.starts_at AS valid_from,
                  c.ends_at AS valid_until, c.usage_limit, c.used_count
             FROM coupons c
             JOIN campaigns k ON k.tenant_id = c.tenant_id AND k.id = c.campaign_id
            WHERE c.tenant_id = %s AND c.user_id = %s AND c.source = %s AND c.is_active = 1
              AND (c.ends_at IS NULL OR c.ends_at > %s) AND k.deleted_at IS NULL
              AND k.status = 'active' AND (k.ends_at IS NULL OR k.ends_at > %s)
            ORDER BY c.ends_at IS NULL, c.ends_at, c.id LIMIT %s""",
        (tenant_id, user_id, SOURCE, now, now, limit))
