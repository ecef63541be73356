"""HTTP routes of the engagement area: reviews and ratings (P9), favourites (P10), back-in-stock
alerts (N4).

    GET    /api/products/{product_id}/reviews        public: approved reviews + rating summary
    POST   /api/products/{product_id}/reviews        verified purchasers, one per product → pending
    PUT    /api/reviews/{review_id}                  own review: replace content → pending again
    DELETE /api/reviews/{review_id}                  own review
    GET    /api/admin/reviews?status=pending         moderation queue (products.read)
    POST   /api/admin/reviews/{review_id}/approve    products.write, audited
    POST   /api/admin/reviews/{review_id}/reject     products.write, audited, {reason}
    GET    /api/favorites
    PUT    /api/favorites/{product_id}               idempotent add
    DELETE /api/favorites/{product_id}               idempotent remove
    POST   /api/products/{product_id}/stock-alerts   {variation_id?}; only while out of stock
    GET    /api/stock-alerts
    DELETE /api/stock-alerts/{alert_id}

A customer's own rows answer 404 to anyone else, exactly like a missing id.
"""
from __future__ import annotations

from chalicelib.platform import permissions as perm
from chalicelib.platform.db import get_db
from chalicelib.platform.routing import ADMIN, PUBLIC, USER, Call, Router

from . import reviews, service
from .schemas import (
    AdminReviewOut,
    AdminReviewPage,
    AlertIn,
    AlertListQuery,
    AlertOut,
    AlertPage,
    FavoriteListQuery,
    FavoriteOut,
    FavoritePage,
    ModerationQuery,
    MyReviewOut,
    RejectIn,
    ReviewIn,
    ReviewListQuery,
    ReviewPage,
)

router = Router(tag="engagement")

REVIEW_WRITES_LIMIT = (20, 900)  # per user per 15 minutes: reviews are written rarely


# -- reviews -----------------------------------------------------------------------------------
@router.get("/api/products/{product_id}/reviews", auth=PUBLIC, query=ReviewListQuery, response=ReviewPage)
def list_reviews(call: Call) -> ReviewPage:
    """Approved reviews of a product (newest, most helpful or by rating; keyset pages) with its
    rating summary: average, count and reviews per star."""
    q: ReviewListQuery = call.query
    return ReviewPage.model_validate(reviews.list_reviews(
        get_db(), call.tenant.id, call.path["product_id"], order=q.sort, rating=q.rating, after=q.position,
        limit=q.limit))


@router.post("/api/products/{product_id}/reviews", auth=USER, body=ReviewIn, response=MyReviewOut, status=201,
             errors=(403, 409), rate_limit=REVIEW_WRITES_LIMIT)
def create_review(call: Call) -> MyReviewOut:
    """Review a product you received (a delivered order containing it; else 403 purchase_required).
    One per product (409 review_exists).  Shown once approved by a moderator."""
    body: ReviewIn = call.body
    return MyReviewOut.model_validate(reviews.create_review(
        get_db(), call.tenant.id, call.principal.user_id, call.path["product_id"], rating=body.rating,
        title=body.title, body=body.body))


@router.put("/api/reviews/{review_id}", auth=USER, body=ReviewIn, response=MyReviewOut,
            rate_limit=REVIEW_WRITES_LIMIT)
def update_review(call: Call) -> MyReviewOut:
    """Replace your review's rating, title and body; it goes back to moderation (pending)."""
    body: ReviewIn = call.body
    return MyReviewOut.model_validate(reviews.update_review(
        get_db(), call.tenant.id, call.principal.user_id, call.path["review_id"], rating=body.rating,
        title=body.title, body=body.body))


@router.delete("/api/reviews/{review_id}", auth=USER)
def delete_review(call: Call) -> None:
    """Delete your review (the product's rating summary follows)."""
    reviews.delete_review(get_db(), call.tenant.id, call.principal.user_id, call.path["review_id"])


# -- moderation --------------------------------------------------------------------------------
@router.get("/api/admin/reviews", auth=ADMIN, permission=perm.PRODUCTS_READ, query=ModerationQuery,
            response=AdminReviewPage)
def moderation_queue(call: Call) -> AdminReviewPage:
    """Reviews in one status (pending by default), oldest first, optionally of one product."""
    q: ModerationQuery = call.query
    return AdminReviewPage.model_validate(reviews.list_for_moderation(
        get_db(), call.tenant.id, status=q.status, product_id=q.product_id, after=q.position, limit=q.limit))


@router.post("/api/admin/reviews/{review_id}/approve", auth=ADMIN, permission=perm.PRODUCTS_WRITE,
             response=AdminReviewOut)
def approve_review(call: Call) -> AdminReviewOut:
    """Publish a review; the product's rating summary is recomputed.  Audited."""
    return AdminReviewOut.model_validate(reviews.approve_review(
        get_db(), call.tenant.id, call.principal.user_id, call.path["review_id"]))


@router.post("/api/admin/reviews/{review_id}/reject", auth=ADMIN, permission=perm.PRODUCTS_WRITE, body=RejectIn,
             response=AdminReviewOut)
def reject_review(call: Call) -> AdminReviewOut:
    """Reject a review (also takes down an approved one), with a reason its author can read.  Audited."""
    return AdminReviewOut.model_validate(reviews.reject_review(
        get_db(), call.tenant.id, call.principal.user_id, call.path["review_id"], call.body.reason))


# -- favourites --------------------------------------------------------------------------------
@router.get("/api/favorites", auth=USER, query=FavoriteListQuery, response=FavoritePage)
def list_favorites(call: Call) -> FavoritePage:
    """Your favourite products (active ones), newest first, with price, image and stock status."""
    q: FavoriteListQuery = call.query
    return FavoritePage.model_validate(service.list_favorites(
        get_db(), call.tenant.id, call.principal.user_id, after=q.position, limit=q.limit))


@router.put("/api/favorites/{product_id}", auth=USER, response=FavoriteOut)
def add_favorite(call: Call) -> FavoriteOut:
    """Add a product to your favourites (adding it again changes nothing)."""
    return FavoriteOut.model_validate(service.add_favorite(
        get_db(), call.tenant.id, call.principal.user_id, call.path["product_id"]))


@router.delete("/api/favorites/{product_id}", auth=USER)
def remove_favorite(call: Call) -> None:
    """Remove a product from your favourites (removing it again changes nothing)."""
    service.remove_favorite(get_db(), call.tenant.id, call.principal.user_id, call.path["product_id"])


# -- back-in-stock alerts ----------------------------------------------------------------------
@router.post("/api/products/{product_id}/stock-alerts", auth=USER, body=AlertIn, response=AlertOut, status=201,
             errors=(409,))
def subscribe(call: Call) -> AlertOut:
    """Be e-mailed once when the variation (or any variation of the product) is back in stock.
    Only while it is out of stock (409 in_stock); asking again answers the same alert."""
    return AlertOut.model_validate(service.subscribe(
        get_db(), call.tenant.id, call.principal.user_id, call.path["product_id"], call.body.variation_id))


@router.get("/api/stock-alerts", auth=USER, query=AlertListQuery, response=AlertPage)
def list_alerts(call: Call) -> AlertPage:
    """Your back-in-stock alerts, newest first: waiting (active) and sent (notified)."""
    q: AlertListQuery = call.query
    return AlertPage.model_validate(service.list_alerts(
        get_db(), call.tenant.id, call.principal.user_id, before_id=q.cursor, limit=q.limit))


@router.delete("/api/stock-alerts/{alert_id}", auth=USER)
def delete_alert(call: Call) -> None:
    """Stop an alert."""
    service.delete_alert(get_db(), call.tenant.id, call.principal.user_id, call.path["alert_id"])
