"""HTTP routes of the returns area (issue 5 item 5; feature C8, the returns queue of AO).

Customer (signed in; another customer's order, order item or return is 404):
    POST /api/returns/photos/upload              presigned S3 POST for one photo
    POST /api/orders/{order_id}/returns          ask to return items (Idempotency-Key optional)
    GET  /api/returns                            own returns, newest first (keyset pages)
    GET  /api/returns/{return_id}
    POST /api/returns/{return_id}/cancel         withdraw while requested
Staff (orders.read / orders.write; every decision audited):
    GET  /api/admin/returns                      the queue: status, date range, order number
    GET  /api/admin/returns/{return_id}
    POST /api/admin/returns/{return_id}/approve  requested → approved
    POST /api/admin/returns/{return_id}/reject   requested / approved → rejected
    POST /api/admin/returns/{return_id}/receive  approved → received (stock back)
    POST /api/admin/returns/{return_id}/refund   received → refunded (refund requested)

A decision repeated on a return already in its status answers the return unchanged with
`Idempotent-Replayed: true`; any other illegal move is 409.
"""
from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.platform import idempotency
from chalicelib.platform import permissions as perm
from chalicelib.platform.db import get_db
from chalicelib.platform.http import json_response
from chalicelib.platform.routing import ADMIN, USER, Call, Router

from . import admin, photos, service
from .errors import localised
from .schemas import (
    AdminReturnOut,
    AdminReturnPage,
    AdminReturnQuery,
    ApproveIn,
    PhotoUploadIn,
    PhotoUploadOut,
    ReceiveIn,
    RefundIn,
    RejectIn,
    ReturnListQuery,
    ReturnOut,
    ReturnPage,
    ReturnRequestIn,
)

router = Router(tag="returns")
# Every answer that shows a return carries presigned photo links, and the photo checks read S3:
# a storage failure there is a 503 (storage.StorageUnavailable), so every route documents it.


def _answer(model: type[ReturnOut], result: tuple[dict[str, Any], bool], status: int = 200) -> Response:
    shown, changed = result
    return json_response(model.model_validate(shown), status, idempotency.headers(not changed))


# -- customer ----------------------------------------------------------------------------------
@router.post("/api/returns/photos/upload", auth=USER, body=PhotoUploadIn, response=PhotoUploadOut, status=201,
             rate_limit=(30, 900), errors=(400, 503))
def photo_upload(call: Call) -> Response:
    """A presigned POST for one photo of items to return (JPEG, PNG or WebP, at most 10 MB).

    Upload the file with the form within 10 minutes, then name `key` in the return request's
    photo_keys.  Only your own uploads are accepted there."""
    body: PhotoUploadIn = call.body
    form = photos.upload_form(call.tenant.id, call.principal.user_id, body.content_type, body.size_bytes)
    return json_response(PhotoUploadOut.model_validate(form), 201)


@router.post("/api/orders/{order_id}/returns", auth=USER, body=ReturnRequestIn, response=ReturnOut, status=201,
             idempotent=True, errors=(400, 404, 409, 503), rate_limit=(20, 900))
def request_return(call: Call) -> Response:
    """Ask to return items of a delivered order (per line: quantity, reason, condition).

    Within the return window (tenant setting returns.window_days after delivery, at least 14
    days) and up to what was bought minus what is returned or asked for already.  The order
    becomes return_requested.  With an Idempotency-Key the same request answers the same
    return (header Idempotent-Replayed: true); another request with that key is 409."""
    db = get_db()
    with localised(call.ctx.lang):
        made = service.request_return(db, call.tenant, call.principal.user_id, call.path["order_id"], call.body,
                                      call.header("idempotency-key"))
    shown = service.get_return(db, call.tenant.id, made.return_id, user_id=call.principal.user_id)
    return json_response(ReturnOut.model_validate(shown), 201, idempotency.headers(made.replayed))


@router.get("/api/returns", auth=USER, query=ReturnListQuery, response=ReturnPage, errors=(503,))
def list_returns(call: Call) -> ReturnPage:
    """Your returns, newest first."""
    q: ReturnListQuery = call.query
    return ReturnPage.model_validate(service.list_returns(get_db(), call.tenant.id, call.principal.user_id,
                                                          statuses=q.status, cursor=q.cursor, limit=q.limit))


@router.get("/api/returns/{return_id}", auth=USER, response=ReturnOut, errors=(404, 503))
def return_detail(call: Call) -> ReturnOut:
    """One of your returns: lines, photos, staff's note, refunds."""
    return ReturnOut.model_validate(service.get_return(get_db(), call.tenant.id, call.path["return_id"],
                                                       user_id=call.principal.user_id))


@router.post("/api/returns/{return_id}/cancel", auth=USER, response=ReturnOut, errors=(404, 409, 503))
def cancel_return(call: Call) -> Response:
    """Withdraw your return request while it is still 'requested'."""
    return _answer(ReturnOut, service.cancel_return(get_db(), call.tenant.id, call.principal.user_id,
                                                    call.path["return_id"]))


# -- staff -------------------------------------------------------------------------------------
@router.get("/api/admin/returns", auth=ADMIN, permission=perm.ORDERS_READ, query=AdminReturnQuery,
            response=AdminReturnPage, errors=(503,))
def return_queue(call: Call) -> AdminReturnPage:
    """Returns newest first, filtered by status (repeatable), creation dates and order number."""
    q: AdminReturnQuery = call.query
    return AdminReturnPage.model_validate(admin.queue(
        get_db(), call.tenant.id, statuses=q.status, date_from=q.date_from, date_to=q.date_to,
        order_number=q.order_number, after=q.position, limit=q.limit))


@router.get("/api/admin/returns/{return_id}", auth=ADMIN, permission=perm.ORDERS_READ, response=AdminReturnOut,
            errors=(404, 503))
def admin_return_detail(call: Call) -> AdminReturnOut:
    """A return with the customer, photos (links valid 15 minutes) and refunds."""
    return AdminReturnOut.model_validate(service.get_return(get_db(), call.tenant.id, call.path["return_id"],
                                                            admin=True))


@router.post("/api/admin/returns/{return_id}/approve", auth=ADMIN, permission=perm.ORDERS_WRITE, body=ApproveIn,
             response=AdminReturnOut, errors=(404, 409, 503))
def approve_return(call: Call) -> Response:
    """Accept a requested return; the customer is e-mailed (with the return shipping code if given)."""
    body: ApproveIn = call.body
    return _answer(AdminReturnOut, admin.approve(get_db(), call.tenant.id, call.principal.user_id,
                                                 call.path["return_id"], note=body.note,
                                                 return_shipping_code=body.return_shipping_code))


@router.post("/api/admin/returns/{return_id}/reject", auth=ADMIN, permission=perm.ORDERS_WRITE, body=RejectIn,
             response=AdminReturnOut, errors=(404, 409, 503))
def reject_return(call: Call) -> Response:
    """Refuse a requested (or approved, never received) return with a note the customer reads.
    With no other open return the order goes back to delivered (or returned / refunded)."""
    body: RejectIn = call.body
    return _answer(AdminReturnOut, admin.reject(get_db(), call.tenant.id, call.principal.user_id,
                                                call.path["return_id"], note=body.note))


@router.post("/api/admin/returns/{return_id}/receive", auth=ADMIN, permission=perm.ORDERS_WRITE, body=ReceiveIn,
             response=AdminReturnOut, errors=(400, 404, 409, 503))
def receive_return(call: Call) -> Response:
    """Book in the returned parcel: every line once, restock the ones that can be sold again.
    With no other open return the order becomes returned."""
    body: ReceiveIn = call.body
    with localised(call.ctx.lang):
        result = admin.receive(get_db(), call.tenant.id, call.principal.user_id, call.path["return_id"],
                               lines=body.items)
    return _answer(AdminReturnOut, result)


@router.post("/api/admin/returns/{return_id}/refund", auth=ADMIN, permission=perm.ORDERS_WRITE, body=RefundIn,
             response=AdminReturnOut, errors=(404, 409, 503))
def refund_return(call: Call) -> Response:
    """Ask for the money back (to the card / account paid with, or the wallet, as the customer
    chose): by default the returned units' share of their line totals; never more than the
    order has left to refund.  The order becomes refunded once the refunds are confirmed."""
    body: RefundIn = call.body
    return _answer(AdminReturnOut, admin.refund(get_db(), call.tenant.id, call.principal.user_id,
                                                call.path["return_id"], amount=body.amount))
