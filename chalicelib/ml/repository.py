"""SQL of the ML area, always tenant-scoped.

Read models (chalicelib/platform/tables.py READ_MODELS): products (active, in stock, category,
sold_count), order_items and orders (best sellers and co-occurrence of the last days, cancelled
orders left out) for the popularity fallback; users (a segment's customers shown with their
e-mail and name).  Owned: ml_anomalies (staff review), user_data (the segment the ML service
writes back; read here).  Every query is bounded: a LIMIT, a date range on an index that starts
with the tenant, or both.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.platform.db import Session, UnitOfWork

NOT_SOLD = ("cancelled", "pending_payment")  # orders whose lines are not sales (yet, or any more)
CO_ORDERS = 500  # the newest orders holding the basket's products that co-occurrence looks at


def _since(days: int) -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=days)


def best_sellers(session: Session, tenant_id: int, days: int, limit: int,
                 category_id: int | None = None) -> list[int]:
    """Active, in-stock products by units sold in the last `days` days, then all-time sold_count."""
    category_sql, params = "", [tenant_id, _since(days), *NOT_SOLD, tenant_id]
    if category_id is not None:
        category_sql, params = " AND p.category_id = %s", [*params, category_id]
    rows = session.all(
        f"""SELECT p.id FROM products p
              LEFT JOIN (SELECT oi.product_id, SUM(oi.quantity) AS units
                           FROM order_items oi
                           JOIN orders o ON o.tenant_id = oi.tenant_id AND o.id = oi.order_id
                          WHERE oi.tenant_id = %s AND oi.created_at >= %s AND o.status NOT IN (%s, %s)
                          GROUP BY oi.product_id) s ON s.product_id = p.id
             WHERE p.tenant_id = %s AND p.status = 'active' AND p.total_stock > 0{category_sql}
             ORDER BY COALESCE(s.units, 0) DESC, p.sold_count DESC, p.id DESC
             LIMIT %s""",
        (*params, limit),
    )
    return [int(r["id"]) for r in rows]


def categories_of(session: Session, tenant_id: int, product_ids: list[int]) -> list[int]:
    if not product_ids:
        return []
    marks = ", ".join(["%s"] * len(product_ids))
    rows = session.all(f"SELECT DISTINCT category_id FROM products WHERE tenant_id = %s AND id IN ({marks})",
                       (tenant_id, *product_ids))
    return [int(r["category_id"]) for r in rows]


def bought_with(session: Session, tenant_id: int, product_ids: list[int], days: int, limit: int) -> list[int]:
    """Products most often in the same orders as any of `product_ids` (the newest CO_ORDERS such
    orders of the last `days` days), active and in stock."""
    if not product_ids:
        return []
    marks = ", ".join(["%s"] * len(product_ids))
    rows = session.all(
        f"""SELECT oi.product_id AS id, COUNT(DISTINCT oi.order_id) AS together
              FROM (SELECT DISTINCT b.order_id FROM order_items b
                      JOIN orders o ON o.tenant_id = b.tenant_id AND o.id = b.order_id
                     WHERE b.tenant_id = %s AND b.product_id IN ({marks}) AND b.created_at >= %s
                       AND o.status NOT IN (%s, %s)
                     ORDER BY b.order_id DESC LIMIT %s) basket
              JOIN order_items oi ON oi.tenant_id = %s AND oi.order_id = basket.order_id
              JOIN products p ON p.tenant_id = oi.tenant_id AND p.id = oi.product_id
             WHERE oi.product_id NOT IN ({marks}) AND p.status = 'active' AND p.total_stock > 0
             GROUP BY oi.product_id
             ORDER BY together DESC, oi.product_id DESC
             LIMIT %s""",
        (tenant_id, *product_ids, _since(days), *NOT_SOLD, CO_ORDERS, tenant_id, *product_ids, limit),
    )
    return [int(r["id"]) for r in rows]


# -- segments (user_data.segment, written back by the ML service) ----------------------------------
def segment_sizes(session: Session, tenant_id: int) -> list[dict[str, Any]]:
    return session.all(
        """SELECT segment AS name, COUNT(*) AS size, MAX(segment_updated_at) AS updated_at
             FROM user_data WHERE tenant_id = %s AND segment IS NOT NULL
            GROUP BY segment ORDER BY size DESC, segment""",
        (tenant_id,),
    )


def segment_customers(session: Session, tenant_id: int, segment: str, after_user_id: int,
                      limit: int) -> list[dict[str, Any]]:
    return session.all(
        """SELECT d.user_id, u.email, u.first_name, u.last_name, d.segment_updated_at
             FROM user_data d
             JOIN users u ON u.tenant_id = d.tenant_id AND u.id = d.user_id
            WHERE d.tenant_id = %s AND d.segment = %s AND d.user_id > %s
            ORDER BY d.user_id LIMIT %s""",
        (tenant_id, segment, after_user_id, limit),
    )


def segment_members(session: Session, tenant_id: int, segments: list[str], after_user_id: int,
                    limit: int) -> list[int]:
    """User ids in any of `segments`, by user id after `after_user_id` (ix_segment, then ux_user)."""
    if not segments:
        return []
    marks = ", ".join(["%s"] * len(segments))
    rows = session.all(f"""SELECT user_id FROM user_data
                            WHERE tenant_id = %s AND segment IN ({marks}) AND user_id > %s
                            ORDER BY user_id LIMIT %s""", (tenant_id, *segments, after_user_id, limit))
    return [int(r["user_id"]) for r in rows]


def has_segments(session: Session, tenant_id: int) -> bool:
    return session.one("SELECT 1 AS x FROM user_data WHERE tenant_id = %s AND segment IS NOT NULL LIMIT 1",
                       (tenant_id,)) is not None


def user_segment(session: Session, tenant_id: int, user_id: int) -> str | None:
    value = session.scalar("SELECT segment FROM user_data WHERE tenant_id = %s AND user_id = %s",
                           (tenant_id, user_id))
    return None if value is None else str(value)


# -- anomalies --------------------------------------------------------------------------------------
_ANOMALY = """id, kind, subject_type, subject_id, user_id, score, reasons, event_id, model_version, status,
              reviewed_by, reviewed_at, note, created_at"""


def anomalies(session: Session, tenant_id: int, *, status: str | None, kind: str | None, before_id: int | None,
              limit: int) -> list[dict[str, Any]]:
    where: list[str] = ["tenant_id = %s"]
    params: list[object] = [tenant_id]
    for column, value in (("status", status), ("kind", kind)):
        if value is not None:
            where.append(f"{column} = %s")
            params.append(value)
    if before_id is not None:
        where.append("id < %s")
        params.append(before_id)
    return session.all(f"SELECT {_ANOMALY} FROM ml_anomalies WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT %s",
                       (*params, limit))


def open_anomalies(session: Session, tenant_id: int) -> int:
    return int(session.scalar("SELECT COUNT(*) FROM ml_anomalies WHERE tenant_id = %s AND status = 'open'",
                              (tenant_id,)) or 0)


def anomaly_for_update(uow: UnitOfWork, tenant_id: int, anomaly_id: int) -> dict[str, Any] | None:
    return uow.one(f"SELECT {_ANOMALY} FROM ml_anomalies WHERE tenant_id = %s AND id = %s FOR UPDATE",
                   (tenant_id, anomaly_id))


def set_review(uow: UnitOfWork, tenant_id: int, anomaly_id: int, status: str, reviewer: int, note: str | None) -> None:
    uow.execute(
        """UPDATE ml_anomalies SET status = %s, reviewed_by = %s, reviewed_at = CURRENT_TIMESTAMP(6), note = %s
            WHERE tenant_id = %s AND id = %s""",
        (status, reviewer, note, tenant_id, anomaly_id),
    )
