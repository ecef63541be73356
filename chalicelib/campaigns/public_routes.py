"""The apps' public campaign lists (K1 reads): GET /api/campaigns and GET /api/flash-deals.

Public with the tenant's API key; a signed-in customer gets the personal parts (uses left, flash
deal units left, early access).  Router name for app.py: `public_routes.router` (tag campaigns).
"""
from __future__ import annotations

from chalicelib.platform.db import get_db
from chalicelib.platform.routing import PUBLIC, Call, Router

from . import public_service as service
from .public_schemas import CampaignsOut, FlashDealsOut, FlashDealsQuery

router = Router(tag="campaigns")


def _user(call: Call) -> int | None:
    return call.ctx.principal.user_id if call.ctx.principal is not None else None


@router.get("/api/campaigns", auth=PUBLIC, response=CampaignsOut, errors=(401,))
def campaigns(call: Call) -> CampaignsOut:
    """The shop's running promotions and flash campaigns for the apps: name, description, badge,
    window and countdown (seconds_left from server_time).  Campaigns that need a code (coupons,
    offers, the wheel) are not listed."""
    return CampaignsOut.model_validate(service.campaigns(get_db(), call.tenant.id, _user(call), call.ctx.lang))


@router.get("/api/flash-deals", auth=PUBLIC, query=FlashDealsQuery, response=FlashDealsOut, errors=(400, 401))
def flash_deals(call: Call) -> FlashDealsOut:
    """Flash deals: `live` (open now; earlier for a signed-in customer whose loyalty level gives
    early access) or `upcoming`, with the product card, deal and original price, discount percent,
    units left, per-customer cap and countdown fields (seconds_to_start, seconds_left from
    server_time)."""
    q: FlashDealsQuery = call.query
    return FlashDealsOut.model_validate(service.flash_deals(get_db(), call.tenant.id, _user(call), q.status))
