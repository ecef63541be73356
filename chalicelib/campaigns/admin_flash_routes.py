"""Staff routes of flash deals (issue 15, AK): campaigns.read for GETs, campaigns.write for changes.

    GET    /api/admin/flash-deals                   list: campaign, product, active_at; keyset pages
    POST   /api/admin/flash-deals                   create (Idempotency-Key required)
    GET    /api/admin/flash-deals/{deal_id}         one deal
    PUT    /api/admin/flash-deals/{deal_id}         change the fields sent
    DELETE /api/admin/flash-deals/{deal_id}         delete (deactivate when units were sold)
"""
from __future__ import annotations

from chalice import Response

from chalicelib.platform import idempotency
from chalicelib.platform import permissions as perm
from chalicelib.platform.db import get_db
from chalicelib.platform.http import json_response
from chalicelib.platform.routing import ADMIN, Call, Router

from . import admin_flash_service as service
from .admin_flash_schemas import AdminFlashDealOut, FlashDealIn, FlashDealPage, FlashDealPatch, FlashDealQuery

router = Router(tag="campaigns-admin")
READ, WRITE = perm.CAMPAIGNS_READ, perm.CAMPAIGNS_WRITE


@router.get("/api/admin/flash-deals", auth=ADMIN, permission=READ, query=FlashDealQuery, response=FlashDealPage,
            errors=(400, 401, 403))
def flash_deals(call: Call) -> FlashDealPage:
    """The shop's flash deals, newest first: by campaign, product, or those open at `active_at`."""
    q: FlashDealQuery = call.query
    return FlashDealPage.model_validate(service.page(
        get_db(), call.tenant.id, campaign_id=q.campaign_id, product_id=q.product_id, active_at=q.active_at,
        after=q.position, limit=q.limit))


@router.post("/api/admin/flash-deals", auth=ADMIN, permission=WRITE, body=FlashDealIn, response=AdminFlashDealOut,
             status=201, idempotent="required", errors=(400, 401, 403, 404, 409))
def create_flash_deal(call: Call) -> Response:
    """Put a product (or one of its variations) on a flash deal for a window.  The deal price must
    be below the current price (400 deal_price_not_lower); an active deal on the same variation or
    product overlapping the window is 409 flash_deal_overlaps; another shop's product is 404.  The
    same Idempotency-Key again answers the first deal (Idempotent-Replayed: true)."""
    db = get_db()
    deal_id, replayed = service.create(db, call.tenant.id, call.principal.user_id, call.body,
                                       call.header("idempotency-key"))
    shown = AdminFlashDealOut.model_validate(service.get(db, call.tenant.id, deal_id))
    return json_response(shown, 201, idempotency.headers(replayed))


@router.get("/api/admin/flash-deals/{deal_id}", auth=ADMIN, permission=READ, response=AdminFlashDealOut,
            errors=(401, 403, 404))
def flash_deal(call: Call) -> AdminFlashDealOut:
    """One flash deal with its units sold and left."""
    return AdminFlashDealOut.model_validate(service.get(get_db(), call.tenant.id, call.path["deal_id"]))


@router.put("/api/admin/flash-deals/{deal_id}", auth=ADMIN, permission=WRITE, body=FlashDealPatch,
            response=AdminFlashDealOut, errors=(400, 401, 403, 404, 409))
def update_flash_deal(call: Call) -> AdminFlashDealOut:
    """Change the fields sent: price, window, limits, title, active.  The price and overlap rules
    are checked again; stock_limit below the units sold is 409 flash_deal_stock_below_sold."""
    db = get_db()
    service.update(db, call.tenant.id, call.path["deal_id"], call.body.changes())
    return AdminFlashDealOut.model_validate(service.get(db, call.tenant.id, call.path["deal_id"]))


@router.delete("/api/admin/flash-deals/{deal_id}", auth=ADMIN, permission=WRITE, status=204,
               errors=(401, 403, 404))
def delete_flash_deal(call: Call) -> None:
    """Delete a flash deal; one with units sold is deactivated instead (its sales keep their history).
    It stops applying at once."""
    service.delete(get_db(), call.tenant.id, call.path["deal_id"])
