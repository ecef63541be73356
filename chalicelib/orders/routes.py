"""HTTP routes of the orders area (customer side, issue 5 items 2-5).

    POST /api/orders                        checkout from the cart (Idempotency-Key required)
    GET  /api/orders                        the customer's order history (keyset pages)
    GET  /api/orders/{order_id}             detail: items, payments, shipments, timeline
    GET  /api/orders/{order_id}/tracking    status steps for the app's progress view
    POST /api/orders/{order_id}/cancel      cancel before shipping (idempotent)
"""
from __future__ import annotations

from chalice import Response

from chalicelib.platform import idempotency
from chalicelib.platform.db import get_db
from chalicelib.platform.http import json_response
from chalicelib.platform.routing import USER, Call, Router

from . import (
    checkout,
    errors,  # noqa: F401 - registers the area's messages
    service,
)
from .schemas import CheckoutIn, OrderListQuery, OrderOut, OrderPage, OrdersCancelIn, TrackingOut
from .states import Actor

router = Router(tag="orders")


@router.post("/api/orders", auth=USER, body=CheckoutIn, response=OrderOut, status=201, idempotent="required",
             errors=(400, 404, 409), rate_limit=(30, 60))
def place_order(call: Call) -> Response:
    """Create an order from the signed-in customer's cart.

    Stock is reserved until `reserved_until` (tenant setting orders.reservation_minutes, default
    30); unpaid orders are then cancelled and the stock comes back.  The same Idempotency-Key
    with the same body answers the same order (header Idempotent-Replayed: true); with another
    body it is 409 idempotency_key_reused."""
    db = get_db()
    placed = checkout.place_order(db, call.tenant, call.principal.user_id, call.body, call.header("idempotency-key"),
                                  ip=call.ctx.client_ip or None,
                                  user_agent=call.header("user-agent"))
    # A new order comes back as the checkout wrote it; a replay is read, in its current state.
    order = OrderOut.model_validate(placed.detail if placed.detail is not None else
                                    service.get_order(db.session(), call.tenant.id, placed.order_id))
    return json_response(order, 201, idempotency.headers(placed.replayed))


@router.get("/api/orders", auth=USER, query=OrderListQuery, response=OrderPage)
def list_orders(call: Call) -> OrderPage:
    """The customer's orders, newest first."""
    q = call.query
    return OrderPage.model_validate(service.list_orders(get_db(), call.tenant.id, call.principal.user_id,
                                                        statuses=q.status, cursor=q.cursor, limit=q.limit))


@router.get("/api/orders/{order_id}", auth=USER, response=OrderOut, errors=(404,))
def order_detail(call: Call) -> OrderOut:
    """One of the customer's orders with items, payments, shipments and its timeline."""
    return OrderOut.model_validate(service.get_order(get_db().session(), call.tenant.id, call.path["order_id"],
                                                     user_id=call.principal.user_id))


@router.get("/api/orders/{order_id}/tracking", auth=USER, response=TrackingOut, errors=(404,))
def order_tracking(call: Call) -> TrackingOut:
    """Where the order is: each step with when it was reached, plus its shipments."""
    return TrackingOut.model_validate(service.tracking(get_db(), call.tenant.id, call.path["order_id"],
                                                       call.principal.user_id))


@router.post("/api/orders/{order_id}/cancel", auth=USER, body=OrdersCancelIn, response=OrderOut, errors=(404, 409))
def cancel_order(call: Call) -> OrderOut:
    """Cancel an order that has not shipped; a paid order's refund is requested."""
    user_id = call.principal.user_id
    return OrderOut.model_validate(service.cancel(get_db(), call.tenant.id, call.path["order_id"],
                                                  Actor.customer(user_id), reason=call.body.reason, user_id=user_id))
