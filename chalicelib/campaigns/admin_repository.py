"""SQL of the staff side of campaigns: campaign rows, their performance, and the lookups the staff
routes validate against.

Every statement names the tenant.  Read models (platform/tables.py): `users` (a personal coupon's
or a preview's customer is this shop's), `product_variations` (a gift variation is this shop's),
`orders` (performance: the orders placed in a campaign's window, with and without it).
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from chalicelib.platform.db import Session, UnitOfWork
from chalicelib.platform.keyset import Keyset, Position
from chalicelib.platform.sql import BY_ID, lock_row, marks

# Newest campaigns first (ids grow with creation; the primary key (tenant_id, id) serves it).
CAMPAIGNS = Keyset("admin_campaigns", ("c.id",), (int,), id_column="c.id")
COLUMNS = """c.id, c.tenant_id, c.name, c.description, c.type, c.rules, c.priority, c.is_stackable, c.status,
             c.starts_at, c.ends_at, c.budget, c.spent_amount, c.usage_limit, c.used_count, c.usage_limit_per_user,
             c.created_by, c.created_at, c.updated_at, c.deleted_at"""
# The columns a staff write may set, as the API names them → the column.
WRITABLE = {"name": "name", "description": "description", "type": "type", "rules": "rules",
            "priority": "priority", "stackable": "is_stackable", "status": "status", "starts_at": "starts_at",
            "ends_at": "ends_at", "budget": "budget", "usage_limit": "usage_limit",
            "usage_limit_per_user": "usage_limit_per_user"}
# Orders that never became sales are not counted in the performance figures.
NOT_SALES = ("cancelled", "payment_failed", "pending_payment")
_LIKE_WILDCARDS = re.compile(r"([\\%_])")


def _values(fields: dict[str, Any]) -> tuple[list[str], list[Any]]:
    columns = [WRITABLE[name] for name in fields]
    values = [json.dumps(v, separators=(",", ":")) if name == "rules" and v is not None else v
              for name, v in fields.items()]
    return columns, values


def insert(uow: UnitOfWork, tenant_id: int, fields: dict[str, Any], created_by: int | None) -> int:
    columns, values = _values(fields)
    return uow.insert(f"""INSERT INTO campaigns (tenant_id, {", ".join(columns)}, created_by)
                          VALUES (%s, {marks(values)}, %s)""", (tenant_id, *values, created_by))


def update(uow: UnitOfWork, tenant_id: int, campaign_id: int, fields: dict[str, Any]) -> None:
    if not fields:
        return
    columns, values = _values(fields)
    assignments = ", ".join(f"{column} = %s" for column in columns)
    uow.execute(f"UPDATE campaigns {BY_ID} SET {assignments} WHERE tenant_id = %s AND id = %s",
                (*values, tenant_id, campaign_id))


def soft_delete(uow: UnitOfWork, tenant_id: int, campaign_id: int) -> None:
    uow.execute(f"""UPDATE campaigns {BY_ID} SET status = 'ended', deleted_at = UTC_TIMESTAMP(6)
                     WHERE tenant_id = %s AND id = %s AND deleted_at IS NULL""", (tenant_id, campaign_id))


def get(session: Session, tenant_id: int, campaign_id: int) -> dict[str, Any] | None:
    return session.one(f"SELECT {COLUMNS} FROM campaigns c WHERE c.tenant_id = %s AND c.id = %s",
                       (tenant_id, campaign_id))


def lock(uow: UnitOfWork, tenant_id: int, campaign_id: int) -> dict[str, Any] | None:
    return lock_row(uow, "campaigns", tenant_id, campaign_id, columns=COLUMNS, alias="c")


def _contains(text: str) -> str:
    return "%" + _LIKE_WILDCARDS.sub(r"\\\1", text) + "%"


def page(session: Session, tenant_id: int, *, statuses: Sequence[str], types: Sequence[str], q: str | None,
         active_at: datetime | None, include_deleted: bool, after: Position | None,
         limit: int) -> list[dict[str, Any]]:
    where: list[str] = ["c.tenant_id = %s"]
    params: list[Any] = [tenant_id]
    if not include_deleted:
        where.append("c.deleted_at IS NULL")
    if statuses:
        where.append(f"c.status IN ({marks(statuses)})")
        params += statuses
    if types:
        where.append(f"c.type IN ({marks(types)})")
        params += types
    if q:
        where.append("c.name LIKE %s")
        params.append(_contains(q))
    if active_at is not None:
        where.append("c.status = 'active' AND c.deleted_at IS NULL AND (c.starts_at IS NULL OR c.starts_at <= %s) "
                     "AND (c.ends_at IS NULL OR c.ends_at > %s)")
        params += [active_at, active_at]
    tail, values = CAMPAIGNS.page(where, params, after, limit)
    return session.all(f"SELECT {COLUMNS} FROM campaigns c {tail}", values)


# -- lookups of other areas' rows (declared read models) ------------------------------------------
def customer_exists(session: Session, tenant_id: int, user_id: int) -> bool:
    return session.scalar("""SELECT 1 FROM users WHERE tenant_id = %s AND id = %s AND deleted_at IS NULL
                               AND is_staff = 0""", (tenant_id, user_id)) is not None


def variation_exists(session: Session, tenant_id: int, variation_id: int) -> bool:
    return session.scalar("SELECT 1 FROM product_variations WHERE tenant_id = %s AND id = %s",
                          (tenant_id, variation_id)) is not None


# -- performance --------------------------------------------------------------------------------
_OF_CAMPAIGN = """r.tenant_id = %s AND (r.campaign_id = %s OR r.flash_deal_id IN
                    (SELECT d.id FROM flash_deals d WHERE d.tenant_id = %s AND d.campaign_id = %s))"""


def redemption_totals(session: Session, tenant_id: int, campaign_id: int) -> dict[str, Any]:
    """Uses claimed and released, and the claimed uses' discount, shipping discount, bonus and
    order revenue (each order's grand total once, however many of its claims are the campaign's)."""
    scope = (tenant_id, campaign_id, tenant_id, campaign_id)
    row = session.one(
        f"""SELECT COUNT(DISTINCT CASE WHEN r.status = 'claimed' THEN r.order_id END) AS claimed,
                   COUNT(DISTINCT CASE WHEN r.status = 'released' THEN r.order_id END) AS released,
                   COALESCE(SUM(CASE WHEN r.status = 'claimed' THEN r.discount_amount END), 0) AS discount_cost,
                   COALESCE(SUM(CASE WHEN r.status = 'claimed' THEN r.shipping_discount END), 0) AS shipping_discount,
                   COALESCE(SUM(CASE WHEN r.status = 'claimed' THEN r.bonus_amount END), 0) AS bonus
              FROM campaign_redemptions r WHERE {_OF_CAMPAIGN}""", scope)
    revenue = session.scalar(
        f"""SELECT COALESCE(SUM(t.order_total), 0) FROM
              (SELECT r.order_id, MAX(r.order_total) AS order_total FROM campaign_redemptions r
                WHERE {_OF_CAMPAIGN} AND r.status = 'claimed' GROUP BY r.order_id) t""", scope)
    assert row is not None  # an aggregate always answers a row
    return {**row, "revenue": revenue}


def orders_in_window(session: Session, tenant_id: int, campaign_id: int, start: datetime,
                     end: datetime) -> dict[bool, dict[str, Any]]:
    """Orders placed in [start, end) that are sales, split by whether they claimed the campaign:
    {True: {orders, revenue}, False: {...}}."""
    rows = session.all(
        f"""SELECT w.order_id IS NOT NULL AS with_it, COUNT(*) AS orders, COALESCE(SUM(o.grand_total), 0) AS revenue
              FROM orders o
              LEFT JOIN (SELECT DISTINCT r.order_id FROM campaign_redemptions r
                          WHERE {_OF_CAMPAIGN} AND r.status = 'claimed') w ON w.order_id = o.id
             WHERE o.tenant_id = %s AND o.created_at >= %s AND o.created_at < %s
               AND o.status NOT IN ({marks(NOT_SALES)})
             GROUP BY with_it""",
        (tenant_id, campaign_id, tenant_id, campaign_id, tenant_id, start, end, *NOT_SALES))
    return {bool(r["with_it"]): r for r in rows}
