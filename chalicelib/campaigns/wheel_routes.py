"""Routes of the discount wheel (K4).

Customers (`router`, tag campaigns): GET /api/campaigns/wheel, POST /api/campaigns/wheel/spin.
Staff (`admin_router`, tag campaigns-admin): the prizes of a wheel campaign.  Two routers in one
module because the brief puts both sides of the wheel here; app.py registers each.
"""
from __future__ import annotations

from chalice import Response

from chalicelib.platform import idempotency, permissions
from chalicelib.platform.db import get_db
from chalicelib.platform.http import json_response
from chalicelib.platform.routing import ADMIN, PUBLIC, USER, Call, Router

from . import wheel_service as service
from .wheel_schemas import PrizeIn, PrizeOut, PrizesOut, SpinOut, WheelOut

router = Router(tag="campaigns")
admin_router = Router(tag="campaigns-admin")
READ, WRITE = permissions.CAMPAIGNS_READ, permissions.CAMPAIGNS_WRITE


@router.get("/api/campaigns/wheel", auth=PUBLIC, response=WheelOut, errors=(401, 404))
def wheel(call: Call) -> WheelOut:
    """The running discount wheel: its slots in order (no odds), whether you may spin now and,
    after your spin of this period, when you may spin again.  Guests see the wheel with
    can_spin false.  404 wheel_not_found when no wheel is running."""
    principal = call.ctx.principal
    user_id = principal.user_id if principal is not None else None
    return WheelOut.model_validate(service.wheel(get_db(), call.tenant, user_id))


@router.post("/api/campaigns/wheel/spin", auth=USER, response=SpinOut, status=201, idempotent="required",
             rate_limit=(30, 900), errors=(400, 401, 404, 409, 429))
def spin(call: Call) -> Response:
    """Spin the wheel once in this period.  The prize is decided on the server with a
    cryptographic random source before this answer; the app animates to `slot_index`.  A coupon
    prize is a personal single-use code; a bonus prize is credited to your wallet.  A second spin
    in the period is 409 wheel_already_spun (details.next_spin_at); every prize gone is 409
    wheel_sold_out.  The same Idempotency-Key again answers the same spin (Idempotent-Replayed)."""
    done, replayed = service.spin(get_db(), call.tenant, call.principal.user_id, call.header("idempotency-key"))
    return json_response(SpinOut.model_validate(done), 201, idempotency.headers(replayed))


@admin_router.get("/api/admin/campaigns/{campaign_id}/prizes", auth=ADMIN, permission=READ, response=PrizesOut,
                  errors=(401, 403, 404, 409))
def prizes(call: Call) -> PrizesOut:
    """The prizes of a wheel campaign in slot order, with weights, stock, awarded and the odds now."""
    items = service.list_prizes(get_db(), call.tenant.id, call.path["campaign_id"])
    return PrizesOut.model_validate({"items": items})


@admin_router.post("/api/admin/campaigns/{campaign_id}/prizes", auth=ADMIN, permission=WRITE, body=PrizeIn,
                   response=PrizeOut, status=201, errors=(400, 401, 403, 404, 409))
def add_prize(call: Call) -> PrizeOut:
    """Add a prize to a wheel campaign (type wheel; 409 campaign_not_wheel otherwise).  A coupon
    prize (percent_coupon, fixed_coupon, free_shipping) gets a hidden campaign whose rules its won
    coupons follow."""
    body: PrizeIn = call.body
    row = service.add_prize(get_db(), call.tenant.id, call.path["campaign_id"], body.model_dump(),
                            call.principal.user_id)
    return PrizeOut.model_validate(row)


@admin_router.put("/api/admin/prizes/{prize_id}", auth=ADMIN, permission=WRITE, body=PrizeIn, response=PrizeOut,
                  errors=(400, 401, 403, 404, 409))
def update_prize(call: Call) -> PrizeOut:
    """Replace a prize.  Coupons already won keep the discount they were won with (a new kind or
    value makes a new hidden campaign); stock cannot go below what was awarded (409)."""
    body: PrizeIn = call.body
    row = service.update_prize(get_db(), call.tenant.id, call.path["prize_id"], body.model_dump(),
                               call.principal.user_id)
    return PrizeOut.model_validate(row)


@admin_router.delete("/api/admin/prizes/{prize_id}", auth=ADMIN, permission=WRITE, status=204,
                     errors=(401, 403, 404))
def delete_prize(call: Call) -> None:
    """Take a prize off its wheel; coupons already won with it stay valid."""
    service.delete_prize(get_db(), call.tenant.id, call.path["prize_id"])
