"""SQL for reviews, and the approved reviews' totals behind the products' rating summary.
Every statement names the tenant; the customer's own rows also name the user, so another
user's or tenant's id matches nothing.

Locks, always in this order: the product row (`lock_product`), then the review row
(`lock_review`).  Everything that changes which reviews of a product are approved takes the
product lock first, so the totals read after it see every committed change and two
moderators approving at once are applied one after the other.  Favourites and back-in-stock
alerts are in alerts_repository.py.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import pymysql

from chalicelib.platform.db import Session
from chalicelib.platform.keyset import Keyset, Position

# orders.status of an order the customer received (the orders area owns the full list).
ORDER_DELIVERED = "delivered"
DUPLICATE_KEY = 1062
MISSING_PARENT = 1452

# Public sort orders (platform/keyset.py).  The id breaks ties in the same direction, so each
# order walks one index (ix_product_status / _helpful / _rating).
ORDERS: dict[str, Keyset] = {
    "newest": Keyset("newest", ("r.created_at",), (datetime,), "r.id"),
    "helpful": Keyset("helpful", ("r.helpful_count",), (int,), "r.id"),
    "rating_high": Keyset("rating_high", ("r.rating",), (int,), "r.id"),
    "rating_low": Keyset("rating_low", ("r.rating",), (int,), "r.id", descending=False),
}
# oldest first: the queue is worked from its front
MODERATION = Keyset("moderation", ("r.created_at",), (datetime,), "r.id", descending=False)

_REVIEW = """r.id, r.product_id, r.user_id, r.order_id, r.rating, r.title, r.body, r.status, r.is_verified_purchase,
             r.helpful_count, r.moderated_by, r.moderated_at, r.reject_reason, r.created_at, r.updated_at,
             u.first_name, u.last_name"""
_FROM = "FROM reviews r LEFT JOIN users u ON u.tenant_id = r.tenant_id AND u.id = r.user_id"


# -- products ------------------------------------------------------------------------------
def active_product(session: Session, tenant_id: int, product_id: int) -> dict[str, Any] | None:
    return session.one("SELECT id, name, slug, rating_avg, rating_count FROM products "
                       "WHERE tenant_id = %s AND id = %s AND status = 'active'", (tenant_id, product_id))


def lock_product(session: Session, tenant_id: int, product_id: int) -> bool:
    """Lock the product row (any status) for the rest of the transaction; False when it is gone."""
    return session.one("SELECT id FROM products WHERE tenant_id = %s AND id = %s FOR UPDATE",
                       (tenant_id, product_id)) is not None


def approved_totals(session: Session, tenant_id: int, product_id: int) -> tuple[int, int]:
    """(how many, the sum of their stars) of the product's approved reviews.  Read under
    `lock_product`: at READ COMMITTED the statement sees every change committed before the lock
    was granted, and every change to which reviews are approved takes that lock first."""
    row = session.all(  # an aggregate without GROUP BY: always one row
        """SELECT COUNT(*) AS n, COALESCE(SUM(rating), 0) AS total FROM reviews
            WHERE tenant_id = %s AND product_id = %s AND status = 'approved'""",
        (tenant_id, product_id),
    )[0]
    return int(row["n"]), int(row["total"])


def approved_per_star(session: Session, tenant_id: int, product_id: int) -> dict[int, int]:
    """How many approved reviews the product has per star (stars without any are left out)."""
    rows = session.all(
        """SELECT rating, COUNT(*) AS n FROM reviews
            WHERE tenant_id = %s AND product_id = %s AND status = 'approved' GROUP BY rating""",
        (tenant_id, product_id),
    )
    return {int(r["rating"]): int(r["n"]) for r in rows}


def delivered_order_with(session: Session, tenant_id: int, user_id: int, product_id: int) -> int | None:
    """The customer's most recent delivered order containing the product ("verified purchase")."""
    value = session.scalar(
        """SELECT o.id FROM orders o
             JOIN order_items i ON i.tenant_id = o.tenant_id AND i.order_id = o.id
            WHERE o.tenant_id = %s AND o.user_id = %s AND o.status = %s AND i.product_id = %s
            ORDER BY o.delivered_at DESC, o.id DESC LIMIT 1""",
        (tenant_id, user_id, ORDER_DELIVERED, product_id),
    )
    return None if value is None else int(value)


# -- reviews -------------------------------------------------------------------------------
def user_review_id(session: Session, tenant_id: int, user_id: int, product_id: int) -> int | None:
    value = session.scalar("SELECT id FROM reviews WHERE tenant_id = %s AND product_id = %s AND user_id = %s",
                           (tenant_id, product_id, user_id))
    return None if value is None else int(value)


def insert_review(session: Session, tenant_id: int, user_id: int, product_id: int, *, order_id: int, rating: int,
                  title: str | None, body: str | None) -> int | None:
    """The new pending review's id; None when the user already has one for the product, or the
    product / user went away meanwhile."""
    try:
        return session.insert(
            """INSERT INTO reviews (tenant_id, product_id, user_id, order_id, rating, title, body, status,
                                    is_verified_purchase)
               VALUES (%s, %s, %s, %s, %s, %s, %s, 'pending', 1)""",
            (tenant_id, product_id, user_id, order_id, rating, title, body),
        )
    except pymysql.err.IntegrityError as exc:
        if exc.args and exc.args[0] in (DUPLICATE_KEY, MISSING_PARENT):
            return None
        raise


def get_review(session: Session, tenant_id: int, review_id: int, user_id: int | None = None) -> dict[str, Any] | None:
    """A review of the tenant; with `user_id`, only if that user wrote it."""
    sql = f"SELECT {_REVIEW}, p.name AS product_name {_FROM} JOIN products p ON p.tenant_id = r.tenant_id " \
          "AND p.id = r.product_id WHERE r.tenant_id = %s AND r.id = %s"
    params: list[Any] = [tenant_id, review_id]
    if user_id is not None:
        sql += " AND r.user_id = %s"
        params.append(user_id)
    return session.one(sql, params)


def lock_review(session: Session, tenant_id: int, review_id: int) -> dict[str, Any] | None:
    return session.one(
        "SELECT id, product_id, user_id, rating, title, body, status, reject_reason FROM reviews "
        "WHERE tenant_id = %s AND id = %s FOR UPDATE",
        (tenant_id, review_id),
    )


def rewrite_review(session: Session, tenant_id: int, review_id: int, *, rating: int, title: str | None,
                   body: str | None) -> None:
    """New content goes back to moderation: pending, earlier moderation cleared."""
    session.execute(
        """UPDATE reviews SET rating = %s, title = %s, body = %s, status = 'pending', moderated_by = NULL,
                              moderated_at = NULL, reject_reason = NULL
            WHERE tenant_id = %s AND id = %s""",
        (rating, title, body, tenant_id, review_id),
    )


def moderate_review(session: Session, tenant_id: int, review_id: int, *, status: str, moderator_id: int | None,
                    reason: str | None) -> None:
    session.execute(
        """UPDATE reviews SET status = %s, moderated_by = %s, moderated_at = CURRENT_TIMESTAMP(6), reject_reason = %s
            WHERE tenant_id = %s AND id = %s""",
        (status, moderator_id, reason, tenant_id, review_id),
    )


def delete_review(session: Session, tenant_id: int, review_id: int) -> None:
    session.execute("DELETE FROM reviews WHERE tenant_id = %s AND id = %s", (tenant_id, review_id))


def approved_reviews(session: Session, tenant_id: int, product_id: int, *, order: str, rating: int | None,
                     after: Position | None, limit: int) -> list[dict[str, Any]]:
    """One keyset page of a product's approved reviews in a public sort order."""
    where = ["r.tenant_id = %s", "r.product_id = %s", "r.status = 'approved'"]
    params: list[Any] = [tenant_id, product_id]
    if rating is not None:
        where.append("r.rating = %s")
        params.append(rating)
    tail, values = ORDERS[order].page(where, params, after, limit)
    return session.all(f"SELECT {_REVIEW} {_FROM} {tail}", values)


def reviews_for_moderation(session: Session, tenant_id: int, *, status: str, product_id: int | None,
                           after: Position | None, limit: int) -> list[dict[str, Any]]:
    """A keyset page of the tenant's reviews in one status, oldest first (ix_status)."""
    where = ["r.tenant_id = %s", "r.status = %s"]
    params: list[Any] = [tenant_id, status]
    if product_id is not None:
        where.append("r.product_id = %s")
        params.append(product_id)
    tail, values = MODERATION.page(where, params, after, limit)
    return session.all(
        f"""SELECT {_REVIEW}, p.name AS product_name {_FROM}
              JOIN products p ON p.tenant_id = r.tenant_id AND p.id = r.product_id
             {tail}""",
        values,
    )


# -- erasure (KVKK account deletion) ------------------------------------------------------------
def reviewed_product_ids(session: Session, tenant_id: int, user_id: int) -> list[int]:
    rows = session.all("SELECT DISTINCT product_id FROM reviews WHERE tenant_id = %s AND user_id = %s ORDER BY product_id",
                       (tenant_id, user_id))
    return [int(r["product_id"]) for r in rows]


def delete_user_engagement(session: Session, tenant_id: int, user_id: int) -> None:
    for table in ("reviews", "favorites", "back_in_stock_subscriptions"):
        session.execute(f"DELETE FROM {table} WHERE tenant_id = %s AND user_id = %s", (tenant_id, user_id))
