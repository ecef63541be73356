"""Staff routes of campaigns (issue 15, AK): campaigns.read for GETs, campaigns.write for changes.

    GET    /api/admin/campaigns                        list: status, type, q, active_at; keyset pages
    POST   /api/admin/campaigns                        create (Idempotency-Key required)
    GET    /api/admin/campaigns/{campaign_id}          one campaign
    PUT    /api/admin/campaigns/{campaign_id}          change the fields sent
    DELETE /api/admin/campaigns/{campaign_id}          soft delete: stops applying at once, history stays
    POST   /api/admin/campaigns/{campaign_id}/preview  price a basket as if the campaign were active
    GET    /api/admin/campaigns/{campaign_id}/performance   uses, cost, revenue, orders with / without it

Flash deals: admin_flash_routes.py; coupons and batches: admin_coupon_routes.py.
"""
from __future__ import annotations

from chalice import Response

from chalicelib.platform import idempotency
from chalicelib.platform import permissions as perm
from chalicelib.platform.db import get_db
from chalicelib.platform.http import json_response
from chalicelib.platform.routing import ADMIN, Call, Router

from . import admin_service as service
from .admin_schemas import (
    AdminCampaignOut,
    CampaignIn,
    CampaignPage,
    CampaignPatch,
    CampaignQuery,
    PerformanceOut,
    PreviewIn,
    PreviewOut,
)

router = Router(tag="campaigns-admin")
READ, WRITE = perm.CAMPAIGNS_READ, perm.CAMPAIGNS_WRITE


@router.get("/api/admin/campaigns", auth=ADMIN, permission=READ, query=CampaignQuery, response=CampaignPage,
            errors=(400, 401, 403))
def campaigns(call: Call) -> CampaignPage:
    """The shop's campaigns, newest first: by status and type (repeatable), part of the name (`q`),
    or those live at a moment (`active_at`: active and inside their window).  Deleted ones only
    with include_deleted=true."""
    q: CampaignQuery = call.query
    return CampaignPage.model_validate(service.page(
        get_db(), call.tenant.id, statuses=q.status or (), types=q.type or (), q=q.q, active_at=q.active_at,
        include_deleted=q.include_deleted, after=q.position, limit=q.limit))


@router.post("/api/admin/campaigns", auth=ADMIN, permission=WRITE, body=CampaignIn, response=AdminCampaignOut,
             status=201, idempotent="required", errors=(400, 401, 403, 409))
def create(call: Call) -> Response:
    """Create a campaign: its rules (conditions and action, see the engine's rules), priority,
    stacking, status, window, budget and usage limits.  A gift_item's gift_variation_id must be a
    variation of this shop (400 gift_variation_not_found).  The same Idempotency-Key again answers
    the first campaign (Idempotent-Replayed: true)."""
    db = get_db()
    campaign_id, replayed = service.create(db, call.tenant.id, call.principal.user_id, call.body,
                                           call.header("idempotency-key"))
    shown = AdminCampaignOut.model_validate(service.get(db, call.tenant.id, campaign_id))
    return json_response(shown, 201, idempotency.headers(replayed))


@router.get("/api/admin/campaigns/{campaign_id}", auth=ADMIN, permission=READ, response=AdminCampaignOut,
            errors=(401, 403, 404))
def campaign(call: Call) -> AdminCampaignOut:
    """One campaign with its counters (used, spent, what is left); a deleted one too."""
    return AdminCampaignOut.model_validate(service.get(get_db(), call.tenant.id, call.path["campaign_id"]))


@router.put("/api/admin/campaigns/{campaign_id}", auth=ADMIN, permission=WRITE, body=CampaignPatch,
            response=AdminCampaignOut, errors=(400, 401, 403, 404, 409))
def update(call: Call) -> AdminCampaignOut:
    """Change the fields sent (the others keep their value).  usage_limit below the uses so far or
    budget below what is spent is 409 campaign_limit_below_use; a deleted campaign is 409
    campaign_deleted.  The change applies to the next cart priced."""
    db = get_db()
    body: CampaignPatch = call.body
    changes = body.changes()
    if body.rules is not None:
        changes["rules"] = body.rules  # the model, so its canonical form is stored
    service.update(db, call.tenant.id, call.path["campaign_id"], changes)
    return AdminCampaignOut.model_validate(service.get(db, call.tenant.id, call.path["campaign_id"]))


@router.delete("/api/admin/campaigns/{campaign_id}", auth=ADMIN, permission=WRITE, status=204,
               errors=(401, 403, 404))
def delete(call: Call) -> None:
    """Delete a campaign: it stops applying at once; its row, codes and redemptions stay for its
    performance figures (status ended, deleted_at set).  Deleting again answers the same."""
    service.delete(get_db(), call.tenant.id, call.path["campaign_id"])


@router.post("/api/admin/campaigns/{campaign_id}/preview", auth=ADMIN, permission=READ, body=PreviewIn,
             response=PreviewOut, errors=(400, 401, 403, 404))
def preview(call: Call) -> PreviewOut:
    """Price a basket with the shop's live promotions plus this campaign as if it were active at
    `at` (default now): a draft, paused or future campaign alike, a code campaign as if its code
    were applied.  Answers the totals and what applied, what was rejected and why, gifts, free
    shipping and bonus.  Variations not on sale here are 400 preview_variation_unknown."""
    return PreviewOut.model_validate(service.preview(get_db(), call.tenant, call.path["campaign_id"], call.body))


@router.get("/api/admin/campaigns/{campaign_id}/performance", auth=ADMIN, permission=READ,
            response=PerformanceOut, errors=(401, 403, 404))
def performance(call: Call) -> PerformanceOut:
    """The campaign's uses (claimed, released), discount and shipping cost, bonus and revenue, and
    the orders placed in its window with and without it (count, revenue, average order value)."""
    return PerformanceOut.model_validate(service.performance(get_db(), call.tenant.id, call.path["campaign_id"]))
