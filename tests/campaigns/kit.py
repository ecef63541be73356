"""Helpers of the campaigns tests: campaigns, coupons and flash deals written straight into their tables
(the staff API has its own tests), the live set invalidated as a staff write does."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def campaign(db: Any, tenant_id: int, action: dict[str, Any], *, conditions: dict[str, Any] | None = None,
             level: str = "basket", type: str = "promotion", name: str = "Kış İndirimi", priority: int = 0,
             stackable: bool = True, status: str = "active", budget: str | None = None,
             usage_limit: int | None = None, usage_limit_per_user: int | None = None,
             starts_at: dt.datetime | None = None, ends_at: dt.datetime | None = None) -> int:
    from chalicelib.campaigns.active import invalidate

    rules = {"level": level, "conditions": conditions or {}, "action": action}
    campaign_id = _insert(db, tenant_id, name, type, rules, priority, stackable, status, starts_at, ends_at, budget,
                          usage_limit, usage_limit_per_user)
    invalidate(tenant_id)
    return int(campaign_id)


def _insert(db: Any, tenant_id: int, name: str, type: str, rules: dict[str, Any], priority: int, stackable: bool,
            status: str, starts_at: Any, ends_at: Any, budget: str | None, usage_limit: int | None,
            per_user: int | None) -> int:
    def work(uow: Any) -> int:
        uow.execute(
            """INSERT INTO campaigns (tenant_id, name, type, rules, priority, is_stackable, status, starts_at, ends_at,
                                      budget, usage_limit, usage_limit_per_user)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            (tenant_id, name, type, json.dumps(rules), priority, int(stackable), status, starts_at, ends_at,
             None if budget is None else Decimal(budget), usage_limit, per_user))
        new_id = int(uow.scalar("SELECT LAST_INSERT_ID()"))
        uow.commit()
        return new_id

    return int(db.transaction(work))


def coupon(db: Any, tenant_id: int, campaign_id: int, code: str, *, usage_limit: int | None = None,
           usage_limit_per_user: int | None = None, user_id: int | None = None) -> int:
    from chalicelib.campaigns.active import invalidate

    def work(uow: Any) -> int:
        uow.execute("""INSERT INTO coupons (tenant_id, campaign_id, code, usage_limit, usage_limit_per_user, user_id)
                       VALUES (%s, %s, %s, %s, %s, %s)""", (tenant_id, campaign_id, code, usage_limit,
                                                            usage_limit_per_user, user_id))
        new_id = int(uow.scalar("SELECT LAST_INSERT_ID()"))
        uow.commit()
        return new_id

    coupon_id = int(db.transaction(work))
    invalidate(tenant_id)
    return coupon_id


def apply_coupon(db: Any, tenant_id: int, user_id: int, coupon_id: int) -> None:
    db.session().execute("INSERT IGNORE INTO cart_coupons (tenant_id, user_id, coupon_id) VALUES (%s, %s, %s)",
                         (tenant_id, user_id, coupon_id))


def flash_deal(db: Any, tenant_id: int, product_id: int, deal_price: str, *, variation_id: int | None = None,
               stock_limit: int | None = None, per_user_limit: int | None = None,
               starts_at: dt.datetime | None = None, ends_at: dt.datetime | None = None) -> int:
    from chalicelib.campaigns.active import invalidate

    now = utcnow()

    def work(uow: Any) -> int:
        uow.execute("""INSERT INTO flash_deals (tenant_id, product_id, variation_id, title, deal_price, stock_limit,
                                                per_user_limit, starts_at, ends_at)
                       VALUES (%s, %s, %s, 'Flaş', %s, %s, %s, %s, %s)""",
                    (tenant_id, product_id, variation_id, Decimal(deal_price), stock_limit, per_user_limit,
                     starts_at or now - dt.timedelta(minutes=5), ends_at or now + dt.timedelta(hours=2)))
        new_id = int(uow.scalar("SELECT LAST_INSERT_ID()"))
        uow.commit()
        return new_id

    deal_id = int(db.transaction(work))
    invalidate(tenant_id)
    return deal_id


def row(db: Any, table: str, tenant_id: int, row_id: int) -> dict[str, Any]:
    found = db.session().one(f"SELECT * FROM {table} WHERE tenant_id = %s AND id = %s", (tenant_id, row_id))
    assert found is not None
    return found


def redemptions(db: Any, tenant_id: int, **where: Any) -> list[dict[str, Any]]:
    sql = "SELECT * FROM campaign_redemptions WHERE tenant_id = %s"
    params: list[Any] = [tenant_id]
    for column, value in where.items():
        sql += f" AND {column} = %s"
        params.append(value)
    return db.session().all(sql + " ORDER BY id", tuple(params))
