"""Customer routes of coupon codes (K2): apply a code to the cart, list and remove applied codes.

The cart's totals (the lead's pricing) use the applied codes that still apply; the checkout
claims them and empties the list.  Router name for app.py: `coupons_routes.router` (tag campaigns).
"""
from __future__ import annotations

from chalicelib.platform.db import get_db
from chalicelib.platform.routing import USER, Call, Router

from . import coupons_service as service
from .coupon_schemas import CouponApplyIn, CouponOut, CouponsOut

router = Router(tag="campaigns")


@router.post("/api/campaigns/coupons", auth=USER, body=CouponApplyIn, response=CouponOut,
             errors=(400, 401, 404, 409, 429))
def apply_coupon(call: Call) -> CouponOut:
    """Apply a coupon code to your cart.  Unknown codes (and other customers' personal codes) are
    404 coupon_not_found; a known code that cannot be used now is 409 with the reason
    (coupon_inactive, coupon_not_started, coupon_expired, coupon_exhausted,
    coupon_per_customer_limit); at most 5 codes (409 coupons_too_many).  Applying an applied code
    again is the same 200.  Too many refused codes (10 per customer, 30 per network, in 15
    minutes) are 429 coupon_attempts with Retry-After."""
    body: CouponApplyIn = call.body
    applied = service.apply(get_db(), call.tenant.id, call.principal.user_id, call.ctx.client_ip, body.code)
    return CouponOut.model_validate(applied)


@router.get("/api/campaigns/coupons", auth=USER, response=CouponsOut, errors=(401,))
def applied_coupons(call: Call) -> CouponsOut:
    """Your applied coupon codes, oldest first, with their campaign and whether each can still be
    used (and why not)."""
    items = service.list_applied(get_db(), call.tenant.id, call.principal.user_id)
    return CouponsOut.model_validate({"items": items, "max_codes": service.MAX_CODES})


@router.delete("/api/campaigns/coupons/{code}", auth=USER, status=204, errors=(400, 401, 404))
def remove_coupon(call: Call) -> None:
    """Remove an applied code from your cart (404 coupon_not_found when it is not applied)."""
    service.remove(get_db(), call.tenant.id, call.principal.user_id, call.path["code"])
