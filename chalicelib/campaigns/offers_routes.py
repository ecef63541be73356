"""HTTP routes of personalised offers (K3).

Staff (`admin_router`, tag campaigns-admin):
    POST /api/admin/campaigns/{campaign_id}/offers   personal codes for a segment (Idempotency-Key required)
    GET  /api/admin/campaigns/{campaign_id}/offers   codes issued and used
Customers (`router`, tag campaigns):
    GET  /api/campaigns/offers                       my personal offers still valid
"""
from __future__ import annotations

from chalice import Response

from chalicelib.platform import idempotency, permissions
from chalicelib.platform.db import get_db
from chalicelib.platform.http import json_response
from chalicelib.platform.routing import ADMIN, USER, Call, Router

from . import offers_service as service
from .offers_schemas import MyOffersOut, OffersIn, OffersIssuedOut, OffersStatsOut

admin_router = Router(tag="campaigns-admin")
router = Router(tag="campaigns")
ISSUE_LIMIT = (30, 900)


def _request(body: OffersIn) -> service.OfferRequest:
    notify = body.notify
    return service.OfferRequest(
        segments=tuple(body.segments), levels=tuple(body.levels), valid_days=body.valid_days,
        usage_limit_per_code=body.usage_limit_per_code,
        notify=None if notify is None else service.Notify(tuple(dict.fromkeys(notify.channels)), notify.title,
                                                          notify.body, notify.deep_link))


@admin_router.post("/api/admin/campaigns/{campaign_id}/offers", auth=ADMIN, permission=permissions.CAMPAIGNS_WRITE,
                   body=OffersIn, response=OffersIssuedOut, status=201, idempotent="required",
                   rate_limit=ISSUE_LIMIT, errors=(400, 401, 403, 404, 409, 429))
def issue_offers(call: Call) -> Response:
    """Give every customer of the segments (and / or loyalty levels) a personal code of this offer
    campaign, valid from now for `valid_days`, usable `usage_limit_per_code` times.  One code per
    customer per campaign: running it again gives codes only to customers who have none.  With
    `notify`, each new holder gets a campaign message (consent and quiet hours apply).  Another
    type of campaign is 409 campaign_not_offer.  The same Idempotency-Key answers the first counts."""
    made = service.issue(get_db(), call.tenant.id, call.principal.user_id, call.path["campaign_id"],
                         _request(call.body), call.header("idempotency-key"))
    return json_response(OffersIssuedOut.model_validate(made.counts), 201, idempotency.headers(made.replayed))


@admin_router.get("/api/admin/campaigns/{campaign_id}/offers", auth=ADMIN, permission=permissions.CAMPAIGNS_READ,
                  response=OffersStatsOut, errors=(401, 403, 404))
def offer_stats(call: Call) -> OffersStatsOut:
    """Personal codes of the campaign: issued, used at least once, total uses, still usable."""
    return OffersStatsOut.model_validate(service.stats(get_db(), call.tenant.id, call.path["campaign_id"]))


@router.get("/api/campaigns/offers", auth=USER, response=MyOffersOut, errors=(401,))
def my_offers(call: Call) -> MyOffersOut:
    """Your personal offer codes that are still valid: the code, the campaign's name and
    description, until when, and whether you used it."""
    return MyOffersOut.model_validate({"items": service.my_offers(get_db(), call.tenant.id, call.principal.user_id)})
