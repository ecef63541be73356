"""SQL for favourites and back-in-stock alerts.  Every statement names the tenant, and the
customer's rows also name the user: another user's or tenant's id matches nothing (404).

"Available" is on-hand stock minus reservations of active variations, as on the product detail
(catalog.service): a product is available when any of its active variations is.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.platform.db import Session
from chalicelib.platform.keyset import Keyset, Position
from chalicelib.platform.sql import marks

# back_in_stock_subscriptions.status values.
ACTIVE, NOTIFIED, CANCELLED = "active", "notified", "cancelled"
# The customer's favourites, newest first (ix_user_created); the product id breaks ties.
FAVORITES = Keyset("favorites", ("f.created_at",), (datetime,), "f.product_id")

_PRODUCT_AVAILABLE = """(SELECT COALESCE(SUM(GREATEST(v.stock - v.reserved, 0)), 0) FROM product_variations v
                          WHERE v.tenant_id = p.tenant_id AND v.product_id = p.id AND v.is_active = 1)"""
_FIRST_IMAGE = """(SELECT i.s3_key FROM product_images i WHERE i.tenant_id = p.tenant_id AND i.product_id = p.id
                    ORDER BY i.sort_order, i.id LIMIT 1)"""
_FAVORITE = f"""f.product_id, f.created_at, p.name, p.slug, p.base_price, p.compare_at_price, p.currency,
                p.rating_avg, p.rating_count, {_FIRST_IMAGE} AS image, {_PRODUCT_AVAILABLE} AS available"""


def product_status(session: Session, tenant_id: int, product_id: int) -> str | None:
    value = session.scalar("SELECT status FROM products WHERE tenant_id = %s AND id = %s", (tenant_id, product_id))
    return None if value is None else str(value)


def lock_user(session: Session, tenant_id: int, user_id: int) -> dict[str, Any] | None:
    """Lock the user's row (serialises that user's alert writes); their e-mail and status."""
    return session.one("SELECT id, email, status FROM users WHERE tenant_id = %s AND id = %s FOR UPDATE",
                       (tenant_id, user_id))


# -- favourites ------------------------------------------------------------------------------
def list_favorites(session: Session, tenant_id: int, user_id: int, *, after: Position | None,
                   limit: int) -> list[dict[str, Any]]:
    """Newest first (ix_user_created); only products that are still active."""
    tail, params = FAVORITES.page(["f.tenant_id = %s", "f.user_id = %s"], [tenant_id, user_id], after, limit)
    return session.all(
        f"""SELECT {_FAVORITE} FROM favorites f
              JOIN products p ON p.tenant_id = f.tenant_id AND p.id = f.product_id AND p.status = 'active'
             {tail}""",
        params,
    )


def favorite(session: Session, tenant_id: int, user_id: int, product_id: int) -> dict[str, Any] | None:
    return session.one(
        f"""SELECT {_FAVORITE} FROM favorites f
              JOIN products p ON p.tenant_id = f.tenant_id AND p.id = f.product_id
             WHERE f.tenant_id = %s AND f.user_id = %s AND f.product_id = %s""",
        (tenant_id, user_id, product_id),
    )


def add_favorite(session: Session, tenant_id: int, user_id: int, product_id: int) -> None:
    """Idempotent: adding a favourite twice keeps the first one (and its date)."""
    session.execute(
        """INSERT INTO favorites (tenant_id, user_id, product_id) VALUES (%s, %s, %s)
           ON DUPLICATE KEY UPDATE product_id = product_id""",
        (tenant_id, user_id, product_id),
    )


def remove_favorite(session: Session, tenant_id: int, user_id: int, product_id: int) -> None:
    session.execute("DELETE FROM favorites WHERE tenant_id = %s AND user_id = %s AND product_id = %s",
                    (tenant_id, user_id, product_id))


# -- alerts: stock -----------------------------------------------------------------------------
def variation(session: Session, tenant_id: int, product_id: int, variation_id: int) -> dict[str, Any] | None:
    """An active variation of the product, with what is available of it."""
    return session.one(
        """SELECT id, name, stock - reserved AS available FROM product_variations
            WHERE tenant_id = %s AND product_id = %s AND id = %s AND is_active = 1""",
        (tenant_id, product_id, variation_id),
    )


def product_available(session: Session, tenant_id: int, product_id: int) -> int:
    value = session.scalar(f"SELECT {_PRODUCT_AVAILABLE} FROM products p WHERE p.tenant_id = %s AND p.id = %s",
                           (tenant_id, product_id))
    return int(value or 0)


# -- alerts: the customer's ------------------------------------------------------------------
_ALERT = """s.id, s.product_id, s.variation_id, s.status, s.created_at, s.notified_at, p.name AS product_name,
            p.slug AS product_slug, v.name AS variation_name"""
_ALERT_FROM = """FROM back_in_stock_subscriptions s
                 JOIN products p ON p.tenant_id = s.tenant_id AND p.id = s.product_id
                 LEFT JOIN product_variations v ON v.tenant_id = s.tenant_id AND v.id = s.variation_id"""


def find_alert(session: Session, tenant_id: int, user_id: int, product_id: int,
               variation_id: int | None) -> dict[str, Any] | None:
    return session.one(
        f"""SELECT {_ALERT} {_ALERT_FROM}
             WHERE s.tenant_id = %s AND s.user_id = %s AND s.product_id = %s AND s.variation_id <=> %s""",
        (tenant_id, user_id, product_id, variation_id),
    )


def get_alert(session: Session, tenant_id: int, user_id: int, alert_id: int) -> dict[str, Any] | None:
    return session.one(f"SELECT {_ALERT} {_ALERT_FROM} WHERE s.tenant_id = %s AND s.user_id = %s AND s.id = %s",
                       (tenant_id, user_id, alert_id))


def insert_alert(session: Session, tenant_id: int, user_id: int, product_id: int, variation_id: int | None) -> int:
    return session.insert(
        """INSERT INTO back_in_stock_subscriptions (tenant_id, user_id, product_id, variation_id, channel, status)
           VALUES (%s, %s, %s, %s, 'email', 'active')""",
        (tenant_id, user_id, product_id, variation_id),
    )


def reactivate_alert(session: Session, tenant_id: int, user_id: int, alert_id: int) -> None:
    session.execute(
        """UPDATE back_in_stock_subscriptions SET status = 'active', notified_at = NULL
            WHERE tenant_id = %s AND user_id = %s AND id = %s""",
        (tenant_id, user_id, alert_id),
    )


def list_alerts(session: Session, tenant_id: int, user_id: int, *, before_id: int | None,
                limit: int) -> list[dict[str, Any]]:
    """Newest first; cancelled ones are left out."""
    where = "s.tenant_id = %s AND s.user_id = %s AND s.status <> 'cancelled'"
    params: list[Any] = [tenant_id, user_id]
    if before_id is not None:
        where += " AND s.id < %s"
        params.append(before_id)
    return session.all(f"SELECT {_ALERT} {_ALERT_FROM} WHERE {where} ORDER BY s.id DESC LIMIT %s",
                       (*params, limit))


def delete_alert(session: Session, tenant_id: int, user_id: int, alert_id: int) -> int:
    return session.execute("DELETE FROM back_in_stock_subscriptions WHERE tenant_id = %s AND user_id = %s AND id = %s",
                           (tenant_id, user_id, alert_id))


# -- alerts: stock came back -----------------------------------------------------------------
def due_alerts(session: Session, tenant_id: int, variation_ids: list[int], limit: int) -> list[dict[str, Any]]:
    """Active alerts that stock returning to `variation_ids` answers: alerts of those variations
    while they are available, and product-level alerts of their products.  Only active products;
    lowest ids first.  A plain read: the caller locks what it picks with `lock_active_alerts`."""
    ids = marks(variation_ids)
    recipient = """s.id, s.user_id, s.product_id, u.email, u.language, u.status AS user_status,
                   p.name AS product_name, p.slug AS product_slug"""
    joins = """JOIN products p ON p.tenant_id = s.tenant_id AND p.id = s.product_id AND p.status = 'active'
               JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id"""
    return session.all(
        f"""SELECT {recipient} FROM back_in_stock_subscriptions s {joins}
              JOIN product_variations v ON v.tenant_id = s.tenant_id AND v.id = s.variation_id
             WHERE s.tenant_id = %s AND s.status = 'active' AND s.variation_id IN ({ids})
               AND v.is_active = 1 AND v.stock - v.reserved > 0
            UNION ALL
            SELECT {recipient} FROM back_in_stock_subscriptions s {joins}
             WHERE s.tenant_id = %s AND s.status = 'active' AND s.variation_id IS NULL
               AND s.product_id IN (SELECT r.product_id FROM product_variations r
                                     WHERE r.tenant_id = %s AND r.id IN ({ids})
                                       AND r.is_active = 1 AND r.stock - r.reserved > 0)
            ORDER BY id LIMIT %s""",
        (tenant_id, *variation_ids, tenant_id, tenant_id, *variation_ids, limit),
    )


def lock_active_alerts(session: Session, tenant_id: int, alert_ids: list[int]) -> set[int]:
    """Lock the alerts (id order) and return those still active: a concurrent call that
    notified one first makes it drop out here, after its commit."""
    rows = session.all(
        f"""SELECT id FROM back_in_stock_subscriptions
             WHERE tenant_id = %s AND id IN ({marks(alert_ids)}) AND status = 'active' ORDER BY id FOR UPDATE""",
        (tenant_id, *alert_ids),
    )
    return {int(r["id"]) for r in rows}


def close_alerts(session: Session, tenant_id: int, alert_ids: list[int], status: str) -> None:
    """Mark locked active alerts notified (or cancelled when there is no one to tell)."""
    if alert_ids:
        session.execute(
            f"""UPDATE back_in_stock_subscriptions
                   SET status = %s, notified_at = IF(%s = 'notified', CURRENT_TIMESTAMP(6), NULL)
                 WHERE tenant_id = %s AND id IN ({marks(alert_ids)}) AND status = 'active'""",
            (status, status, tenant_id, *alert_ids),
        )


def tenant_link_host(session: Session, tenant_id: int) -> dict[str, Any] | None:
    return session.one("SELECT domain, default_language FROM tenants WHERE id = %s", (tenant_id,))
