"""Staff routes of coupon codes (issue 15, AK): campaigns.read for GETs, campaigns.write for changes.

    GET    /api/admin/campaigns/{campaign_id}/coupons          the campaign's single codes
    POST   /api/admin/campaigns/{campaign_id}/coupons          one code (Idempotency-Key required)
    PUT    /api/admin/coupons/{coupon_id}                      change a code's limits, window, owner
    DELETE /api/admin/coupons/{coupon_id}                      delete (deactivate when used)
    POST   /api/admin/campaigns/{campaign_id}/coupon-batches   bulk unique codes (Idempotency-Key required)
    GET    /api/admin/campaigns/{campaign_id}/coupon-batches   the campaign's batches
    GET    /api/admin/coupon-batches/{batch_id}/export         the batch's codes as CSV, once (then 410)
"""
from __future__ import annotations

from chalice import Response

from chalicelib.platform import idempotency
from chalicelib.platform import permissions as perm
from chalicelib.platform.db import get_db
from chalicelib.platform.http import json_response
from chalicelib.platform.routing import ADMIN, Call, Router

from . import admin_coupon_service as service
from .admin_coupon_schemas import (
    AdminCouponOut,
    BatchIn,
    BatchOut,
    BatchPage,
    BatchQuery,
    CodesFile,
    CouponIn,
    CouponPage,
    CouponPatch,
    CouponQuery,
)

router = Router(tag="campaigns-admin")
READ, WRITE = perm.CAMPAIGNS_READ, perm.CAMPAIGNS_WRITE


@router.get("/api/admin/campaigns/{campaign_id}/coupons", auth=ADMIN, permission=READ, query=CouponQuery,
            response=CouponPage, errors=(400, 401, 403, 404))
def coupons(call: Call) -> CouponPage:
    """The campaign's single codes, newest first (the codes of bulk batches are handed out by their
    export only)."""
    q: CouponQuery = call.query
    return CouponPage.model_validate(service.page(get_db(), call.tenant.id, call.path["campaign_id"], q.position,
                                                  q.limit))


@router.post("/api/admin/campaigns/{campaign_id}/coupons", auth=ADMIN, permission=WRITE, body=CouponIn,
             response=AdminCouponOut, status=201, idempotent="required", errors=(400, 401, 403, 404, 409))
def create_coupon(call: Call) -> Response:
    """Add a code to a coupon, offer or wheel campaign (else 409 campaign_takes_no_codes): 4-32
    characters A-Z, 0-9, '-' (upper-cased; Turkish letters are refused), unique in the shop (409
    coupon_code_taken); optional limits, window and a customer it is personal to.  The same
    Idempotency-Key again answers the first code (Idempotent-Replayed: true)."""
    db = get_db()
    made = service.create(db, call.tenant.id, call.principal.user_id, call.path["campaign_id"], call.body,
                          call.header("idempotency-key"))
    shown = AdminCouponOut.model_validate(service.get(db, call.tenant.id, made.id))
    return json_response(shown, 201, idempotency.headers(made.replayed))


@router.put("/api/admin/coupons/{coupon_id}", auth=ADMIN, permission=WRITE, body=CouponPatch, response=AdminCouponOut,
            errors=(400, 401, 403, 404, 409))
def update_coupon(call: Call) -> AdminCouponOut:
    """Change the fields sent (the code never changes).  usage_limit below the uses so far is 409
    coupon_usage_below_used."""
    db = get_db()
    service.update(db, call.tenant.id, call.path["coupon_id"], call.body.changes())
    return AdminCouponOut.model_validate(service.get(db, call.tenant.id, call.path["coupon_id"]))


@router.delete("/api/admin/coupons/{coupon_id}", auth=ADMIN, permission=WRITE, status=204, errors=(401, 403, 404))
def delete_coupon(call: Call) -> None:
    """Delete an unused code; a used one is deactivated instead (its uses stay in the figures)."""
    service.delete(get_db(), call.tenant.id, call.path["coupon_id"])


@router.post("/api/admin/campaigns/{campaign_id}/coupon-batches", auth=ADMIN, permission=WRITE, body=BatchIn,
             response=BatchOut, status=201, idempotent="required", errors=(400, 401, 403, 404, 409))
def create_batch(call: Call) -> Response:
    """Generate `quantity` (1-100,000) unique codes for a coupon, offer or wheel campaign: `prefix`
    plus a random part from an alphabet without look-alikes, at least 10 characters.  The codes are
    not in this answer: take them once with the batch's export.  The same Idempotency-Key again
    answers the first batch (Idempotent-Replayed: true)."""
    db = get_db()
    made = service.create_batch(db, call.tenant.id, call.principal.user_id, call.path["campaign_id"], call.body,
                                call.header("idempotency-key"))
    shown = BatchOut.model_validate(service.get_batch(db, call.tenant.id, made.id))
    return json_response(shown, 201, idempotency.headers(made.replayed))


@router.get("/api/admin/campaigns/{campaign_id}/coupon-batches", auth=ADMIN, permission=READ, query=BatchQuery,
            response=BatchPage, errors=(400, 401, 403, 404))
def batches(call: Call) -> BatchPage:
    """The campaign's code batches, newest first, with how many codes were used and whether (and
    when, by whom) they were exported."""
    q: BatchQuery = call.query
    return BatchPage.model_validate(service.batches(get_db(), call.tenant.id, call.path["campaign_id"], q.position,
                                                    q.limit))


@router.get("/api/admin/coupon-batches/{batch_id}/export", auth=ADMIN, permission=WRITE, response=CodesFile,
            content_type="text/csv", errors=(401, 403, 404, 410))
def export_batch(call: Call) -> Response:
    """The batch's codes as CSV (header `code`, one a line), exactly once: the first call takes
    them, every later one is 410 coupon_batch_exported - keep the file."""
    file = service.export_batch(get_db(), call.tenant.id, call.principal.user_id, call.path["batch_id"])
    return Response(body=file.body, status_code=200, headers={
        "Content-Type": file.media_type, "Content-Disposition": f'attachment; filename="{file.filename}"'})
