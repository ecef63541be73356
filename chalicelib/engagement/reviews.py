"""Reviews and ratings (P9): verified-purchase reviews, moderation, the products' rating summary.

A review starts `pending` and is shown once a moderator approves it.  Only a customer with a
delivered order containing the product may write one ("verified purchase"), one per product;
editing sends it back to `pending`.

The rating summary on the product row (rating_avg, rating_count) counts approved reviews only.
Every change to which reviews are approved (approve, reject, edit, delete) runs one transaction
that locks the product row, changes the review, recomputes the summary from the reviews with
one aggregate statement and stores it on the product through catalog_admin.api (the product
row is the catalogue admin's), so concurrent moderators cannot leave it stale; the product's
cached detail is dropped after the commit (catalog.service.forget_product).

Service functions take the database and plain values (tenant first) and return plain dicts
shaped like the schemas' models.
"""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from chalicelib.catalog import api as catalog
from chalicelib.catalog_admin import api as catalog_admin
from chalicelib.platform import audit
from chalicelib.platform.db import Database, Session, UnitOfWork
from chalicelib.platform.errors import NotFound
from chalicelib.platform.keyset import Position

from . import repository as repo
from .errors import PurchaseRequired, ReviewExists

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


# -- public ------------------------------------------------------------------------------------
def list_reviews(db: Database, tenant_id: int, product_id: int, *, order: str, rating: int | None,
                 after: Position | None, limit: int) -> dict[str, Any]:
    """A page of an active product's approved reviews plus its rating summary (3 statements,
    whatever the page size).  The summary is built the way the product detail builds it
    (catalog.service.rating_summary: from the approved reviews per star), so the two agree."""
    session = db.reader()
    product = repo.active_product(session, tenant_id, product_id)
    if product is None:
        raise NotFound()
    rows = repo.approved_reviews(session, tenant_id, product_id, order=order, rating=rating, after=after,
                                 limit=limit + 1)
    more, rows = len(rows) > limit, rows[:limit]
    return {
        "items": [public_view(r) for r in rows],
        "next_cursor": repo.ORDERS[order].encode_row(rows[-1]) if more else None,
        "summary": catalog.rating_summary(product["rating_avg"], product["rating_count"],
                                          repo.approved_per_star(session, tenant_id, product_id)),
    }


# -- the customer's own ------------------------------------------------------------------------
def create_review(db: Database, tenant_id: int, user_id: int, product_id: int, *, rating: int,
                  title: str | None, body: str | None) -> dict[str, Any]:
    session = db.session()
    if repo.active_product(session, tenant_id, product_id) is None:
        raise NotFound()
    existing = repo.user_review_id(session, tenant_id, user_id, product_id)
    if existing is not None:
        raise ReviewExists(existing)
    order_id = repo.delivered_order_with(session, tenant_id, user_id, product_id)
    if order_id is None:
        raise PurchaseRequired()

    def work(uow: UnitOfWork) -> dict[str, Any]:
        review_id = repo.insert_review(uow, tenant_id, user_id, product_id, order_id=order_id, rating=rating,
                                       title=title, body=body)
        if review_id is None:  # a concurrent request won the unique key, or the product went away
            raise _lost_race(uow, tenant_id, user_id, product_id)
        row = _found(repo.get_review(uow, tenant_id, review_id))
        uow.commit()
        return row

    return own_view(db.transaction(work))


def update_review(db: Database, tenant_id: int, user_id: int, review_id: int, *, rating: int,
                  title: str | None, body: str | None) -> dict[str, Any]:
    """Replace the review's content; changed content goes back to moderation (pending).  The same
    content again changes nothing (a retried PUT does not unpublish an approved review)."""

    def change(uow: UnitOfWork, current: dict[str, Any]) -> None:
        if (current["rating"], current["title"], current["body"]) != (rating, title, body):
            repo.rewrite_review(uow, tenant_id, review_id, rating=rating, title=title, body=body)

    row = _rating_changing(db, tenant_id, review_id, change, owner_id=user_id)
    return own_view(_found(row))


def delete_review(db: Database, tenant_id: int, user_id: int, review_id: int) -> None:
    def remove(uow: UnitOfWork, current: dict[str, Any]) -> None:
        repo.delete_review(uow, tenant_id, review_id)

    _rating_changing(db, tenant_id, review_id, remove, owner_id=user_id)


# -- moderation --------------------------------------------------------------------------------
def list_for_moderation(db: Database, tenant_id: int, *, status: str, product_id: int | None,
                        after: Position | None, limit: int) -> dict[str, Any]:
    rows = repo.reviews_for_moderation(db.session(), tenant_id, status=status, product_id=product_id, after=after,
                                       limit=limit + 1)
    more, rows = len(rows) > limit, rows[:limit]
    cursor = repo.MODERATION.encode_row(rows[-1]) if more else None
    return {"items": [admin_view(r) for r in rows], "next_cursor": cursor}


def approve_review(db: Database, tenant_id: int, moderator_id: int, review_id: int) -> dict[str, Any]:
    return _moderate(db, tenant_id, moderator_id, review_id, APPROVED, None)


def reject_review(db: Database, tenant_id: int, moderator_id: int, review_id: int, reason: str) -> dict[str, Any]:
    return _moderate(db, tenant_id, moderator_id, review_id, REJECTED, reason)


def _moderate(db: Database, tenant_id: int, moderator_id: int, review_id: int, status: str,
              reason: str | None) -> dict[str, Any]:
    """Approve or reject (from any other state, e.g. take an approved review down).  Asking for
    the state a review is already in, with the same reason, changes and audits nothing."""

    def decide(uow: UnitOfWork, current: dict[str, Any]) -> None:
        before = {"status": current["status"], "reject_reason": current["reject_reason"]}
        after = {"status": status, "reject_reason": reason}
        if before == after:
            return
        repo.moderate_review(uow, tenant_id, review_id, status=status, moderator_id=moderator_id, reason=reason)
        audit.record(uow, tenant_id, f"review.{'approve' if status == APPROVED else 'reject'}",
                     entity_type="review", entity_id=review_id, before=before, after=after)

    return admin_view(_found(_rating_changing(db, tenant_id, review_id, decide)))


# -- the one transaction shape of every summary-changing write ---------------------------------
def _rating_changing(db: Database, tenant_id: int, review_id: int,
                     change: Callable[[UnitOfWork, dict[str, Any]], None],
                     owner_id: int | None = None) -> dict[str, Any] | None:
    """Lock the review's product, then the review (the fixed order), apply `change`, recompute
    the product's rating summary, commit, and drop the cached detail if the summary moved.
    With `owner_id`, someone else's review is a 404.  Returns the review as it now is (None
    once deleted)."""
    found = repo.get_review(db.session(), tenant_id, review_id, owner_id)
    if found is None:
        raise NotFound()
    product_id = int(found["product_id"])

    def work(uow: UnitOfWork) -> dict[str, Any] | None:
        if not repo.lock_product(uow, tenant_id, product_id):
            raise NotFound()
        current = repo.lock_review(uow, tenant_id, review_id)
        if current is None or (owner_id is not None and current["user_id"] != owner_id):
            raise NotFound()  # deleted meanwhile
        change(uow, current)
        if recompute_rating(uow, tenant_id, product_id):
            uow.on_commit(lambda: _forget_product(tenant_id, product_id))
        row = repo.get_review(uow, tenant_id, review_id)
        uow.commit()
        return row

    return db.transaction(work)


def recompute_rating(uow: UnitOfWork, tenant_id: int, product_id: int) -> bool:
    """Set the product's rating summary from its approved reviews; True when it changed.  Call
    under `repo.lock_product`.

    The average is SUM / COUNT rounded half up to 2 decimals in exact integer arithmetic
    (floor((200 * sum + n) / (2 * n)) / 100), the rounding catalog.service.rating_summary uses:
    ROUND(AVG(rating), 2) would round twice (AVG keeps 4 decimals) and store 4.01 for 805 / 201.
    """
    count, total = repo.approved_totals(uow, tenant_id, product_id)
    average = Decimal((200 * total + count) // (2 * count)).scaleb(-2) if count else Decimal("0.00")
    return catalog_admin.set_rating_summary(uow, tenant_id, product_id, average=average, count=count)


def _forget_product(tenant_id: int, product_id: int) -> None:
    catalog.forget_product(tenant_id, product_id)
    catalog.catalog_changed(tenant_id)  # listings sort and show by rating too


def _lost_race(session: Session, tenant_id: int, user_id: int, product_id: int) -> Exception:
    existing = repo.user_review_id(session, tenant_id, user_id, product_id)
    return ReviewExists(existing) if existing is not None else NotFound()


def _found(row: dict[str, Any] | None) -> dict[str, Any]:
    if row is None:
        raise NotFound()
    return row


# -- views -------------------------------------------------------------------------------------
def author_name(first_name: str | None, last_name: str | None) -> str | None:
    """"Ayşe Y." — never the full surname of a customer in public."""
    first, last = (first_name or "").strip(), (last_name or "").strip()
    if not first:
        return None
    return f"{first} {last[0]}." if last else first


def public_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"], "rating": row["rating"], "title": row["title"], "body": row["body"],
        "author": author_name(row["first_name"], row["last_name"]),
        "verified_purchase": bool(row["is_verified_purchase"]), "helpful_count": row["helpful_count"],
        "created_at": row["created_at"], "updated_at": row["updated_at"],
    }


def own_view(row: dict[str, Any]) -> dict[str, Any]:
    return {**public_view(row), "product_id": row["product_id"], "status": row["status"],
            "reject_reason": row["reject_reason"]}


def admin_view(row: dict[str, Any]) -> dict[str, Any]:
    return {**own_view(row), "user_id": row["user_id"], "product_name": row["product_name"],
            "order_id": row["order_id"], "moderated_by": row["moderated_by"], "moderated_at": row["moderated_at"]}


def erase_user_data(uow: UnitOfWork, tenant_id: int, user_id: int) -> None:
    """KVKK account deletion, inside the caller's transaction: the user's reviews, favourites and
    stock alerts go, and the rating summary of every product they reviewed is recomputed (the
    products locked first, in id order, like every other rating change)."""
    product_ids = repo.reviewed_product_ids(uow, tenant_id, user_id)
    for product_id in product_ids:
        repo.lock_product(uow, tenant_id, product_id)
    repo.delete_user_engagement(uow, tenant_id, user_id)
    changed = [p for p in product_ids if recompute_rating(uow, tenant_id, p)]

    def forget_changed() -> None:
        for product_id in changed:
            _forget_product(tenant_id, product_id)

    uow.on_commit(forget_changed)
