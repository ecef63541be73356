"""HTTP routes of the cart area (issue 5 item 1: C1 add to cart, C2 cart management, C3 quantity).

    GET    /api/cart[?shipping_method=]          the cart, live prices and stock, totals
    POST   /api/cart/items                       {variation_id, quantity}: add (an existing line grows)
    PUT    /api/cart/items/{item_id}             {quantity}: set a line's quantity
    DELETE /api/cart/items/{item_id}             remove a line
    DELETE /api/cart                             clear the cart
    GET    /api/cart/shipping-methods            the shop's methods with their fee for this cart

Whose cart: the signed-in customer's (Bearer token), else the guest cart of the X-Device-Id
header (8-64 characters: letters, digits, . _ : -; a random UUID per app install); neither is
400 cart_owner_missing.  The routes are public so guests can shop; a token that is sent must
still be valid (401 token_invalid, so the app refreshes instead of seeing the guest cart) and
its session alive (401 session_revoked: the pipeline checks sessions only on USER routes).

Merge at login: the app's first cart call after login, signed in and still sending the
X-Device-Id it shopped with as a guest, folds that guest cart into the customer's (quantities
add up, capped by stock; see cart.merge) and says so in `merged`.  Every change answers with the
whole cart, so the app redraws badge, lines and totals from one response.
"""
from __future__ import annotations

from typing import Any

from chalicelib.platform import sessions
from chalicelib.platform.db import get_db
from chalicelib.platform.errors import Unauthorized
from chalicelib.platform.routing import PUBLIC, Call, Router

from . import service, shipping
from .errors import CartOwnerMissing, DeviceIdInvalid
from .schemas import AddItemIn, CartOut, CartQuery, QuantityIn, ShippingMethodList
from .service import Owner
from .totals import Discount, ShippingMethod

router = Router(tag="cart")


def owner_of(call: Call) -> Owner:
    """The cart owner of this request (see the module notes), or the 4xx that says why not."""
    ctx = call.ctx
    if call.header("x-device-id") is not None and ctx.device_id is None:
        raise DeviceIdInvalid()  # the pipeline accepts only well-formed ids (middleware._DEVICE_ID)
    principal = ctx.principal
    if principal is None:
        if call.header("authorization"):
            raise Unauthorized("token_invalid")  # expired or bad: refresh, don't fall back to the guest cart
        if ctx.device_id is None:
            raise CartOwnerMissing()
        return Owner(None, ctx.device_id)
    if not sessions.is_active(principal.tenant_id, principal.session_id):
        raise Unauthorized("session_revoked")
    return Owner(principal.user_id, ctx.device_id)


def _quoted(call: Call, code: str | None = None) -> ShippingMethod:
    return shipping.method(call.tenant.settings, code)


def _promotions(call: Call, owner: Owner, quote: ShippingMethod, *, payment_method: str | None = None,
                source: str | None = None) -> list[Discount]:
    """The shop's promotions for this cart (campaigns.api: imported on first call, as the checkout
    does): flash deals and catalogue promotions for everyone; coupons and customer-specific
    promotions for a signed-in customer."""
    from chalicelib.campaigns import api as campaigns

    return [campaigns.for_cart(call.tenant.id, call.tenant.settings, owner.user_id, payment_method=payment_method,
                               channel=source, shipping=quote)]


def _cart(result: dict[str, Any]) -> CartOut:
    return CartOut.model_validate(result)


@router.get("/api/cart", auth=PUBLIC, query=CartQuery, response=CartOut)
def get_cart(call: Call) -> CartOut:
    """The cart: lines with live prices and stock, flags for changed prices and unavailable lines, totals.

    Quotes the shop's default shipping method, or `shipping_method`.  Lines that went off sale
    stay listed (status unavailable) but out of the totals.  Merge at login: the app's first
    cart call after login, signed in and sending the X-Device-Id of a guest cart, merges that
    cart in first (quantities add up, capped by stock) and reports it in `merged`."""
    owner = owner_of(call)
    quote = _quoted(call, call.query.shipping_method)
    discounts = _promotions(call, owner, quote, payment_method=call.query.payment_method, source=call.query.source)
    return _cart(service.get_cart(get_db(), call.tenant.id, owner, quote, currency=call.tenant.currency,
                                  discounts=discounts))


@router.post("/api/cart/items", auth=PUBLIC, body=AddItemIn, response=CartOut, errors=(404, 409))
def add_item(call: Call) -> CartOut:
    """Add a product variation to the cart; adding one already there raises its quantity.

    404 variation_not_found; 409 product_unavailable, out_of_stock, quantity_exceeds_stock
    (details.available), cart_quantity_limit, cart_line_limit."""
    owner = owner_of(call)
    quote = _quoted(call)
    return _cart(service.add_item(get_db(), call.tenant.id, owner, call.body.variation_id, call.body.quantity,
                                  quote, currency=call.tenant.currency, discounts=_promotions(call, owner, quote)))


@router.put("/api/cart/items/{item_id}", auth=PUBLIC, body=QuantityIn, response=CartOut, errors=(409,))
def update_item(call: Call) -> CartOut:
    """Set a cart line's quantity (checked against the stock available now).

    404 cart_item_not_found (also for another customer's line); 409 as for adding."""
    owner = owner_of(call)
    quote = _quoted(call)
    return _cart(service.update_item(get_db(), call.tenant.id, owner, call.path["item_id"], call.body.quantity,
                                     quote, currency=call.tenant.currency, discounts=_promotions(call, owner, quote)))


@router.delete("/api/cart/items/{item_id}", auth=PUBLIC, response=CartOut)
def remove_item(call: Call) -> CartOut:
    """Remove a line from the cart (available or not)."""
    owner = owner_of(call)
    quote = _quoted(call)
    return _cart(service.remove_item(get_db(), call.tenant.id, owner, call.path["item_id"], quote,
                                     currency=call.tenant.currency, discounts=_promotions(call, owner, quote)))


@router.delete("/api/cart", auth=PUBLIC, response=CartOut)
def clear_cart(call: Call) -> CartOut:
    """Empty the cart (for a signed-in customer, the device's guest cart too)."""
    owner = owner_of(call)
    return _cart(service.clear_cart(get_db(), call.tenant.id, owner, currency=call.tenant.currency))


@router.get("/api/cart/shipping-methods", auth=PUBLIC, response=ShippingMethodList)
def shipping_methods(call: Call) -> ShippingMethodList:
    """The shop's shipping methods (first = default) with what each costs this cart."""
    owner = owner_of(call)
    methods = shipping.methods(call.tenant.settings)
    return ShippingMethodList.model_validate(service.shipping_quotes(get_db(), call.tenant.id, owner, methods))
