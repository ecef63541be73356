"""HTTP routes of the shipping area (S1 tracking number, S2 delivery status, S3 history).

    POST /api/admin/orders/{order_id}/shipments   create (books with the carrier without a tracking number)
    GET  /api/admin/orders/{order_id}/shipments   an order's shipments with their histories
    GET  /api/admin/shipments                     list (status, carrier), newest first
    GET  /api/admin/shipments/{shipment_id}       one, with history, label and poll state
    PUT  /api/admin/shipments/{shipment_id}       status by hand (recorded as an event), link, ETA
    GET  /api/orders/{order_id}/shipments         the customer's own order: shipments and histories
    POST /api/shipping/webhooks/{carrier}         carrier webhooks (X-API-Key names the store,
                                                  the HMAC signature proves the carrier)

Another tenant's or user's order or shipment answers 404 like a missing one.
"""
from __future__ import annotations

from chalice import Response

from chalicelib.adapters.carrier import WebhookRejected, carrier_for
from chalicelib.platform import idempotency
from chalicelib.platform.db import get_db
from chalicelib.platform.errors import NotFound
from chalicelib.platform.http import json_response
from chalicelib.platform.permissions import ORDERS_READ, ORDERS_WRITE
from chalicelib.platform.routing import ADMIN, PUBLIC, USER, Call, Router

from . import service, tracking
from .errors import WebhookSignatureInvalid
from .schemas import (
    AdminOrderShipments,
    AdminShipmentList,
    AdminShipmentOut,
    AdminShipmentQuery,
    ShipmentCreate,
    ShipmentList,
    ShipmentUpdate,
    WebhookResult,
)

router = Router(tag="shipping")

# A carrier pushes every store's events from a few addresses, in bursts (a sorting centre
# scanning a truck): far above the default per-client limit.  Per-tenant overrides still apply.
WEBHOOK_LIMIT = (6000, 900)
# Booking buys a label: an admin panel stuck in a loop should not buy hundreds.
BOOKING_LIMIT = (300, 900)


@router.post("/api/admin/orders/{order_id}/shipments", auth=ADMIN, permission=ORDERS_WRITE, body=ShipmentCreate,
             response=AdminShipmentOut, status=201, errors=(409, 503), idempotent=True, rate_limit=BOOKING_LIMIT)
def create_shipment(call: Call) -> Response:
    """Ship (part of) a paid, preparing or shipped order; the first shipment marks the order shipped.

    Without `tracking_number` the shipment is booked with the carrier, which returns the
    tracking number, link and label.  Send an Idempotency-Key: a retry with it returns the same
    shipment and never books twice.  (The router checks the key's form: 1-100 printable ASCII.)"""
    created = service.create_shipment(get_db(), call.tenant.id, call.path["order_id"], call.body.model_dump(),
                                      admin_user_id=call.principal.user_id,
                                      idempotency_key=call.header("Idempotency-Key"), lang=call.ctx.lang)
    return json_response(AdminShipmentOut.model_validate(created.shipment), 201, idempotency.headers(created.replayed))


@router.get("/api/admin/orders/{order_id}/shipments", auth=ADMIN, permission=ORDERS_READ,
            response=AdminOrderShipments)
def admin_order_shipments(call: Call) -> AdminOrderShipments:
    """Every shipment of an order, each with its history."""
    items = service.admin_order_shipments(get_db(), call.tenant.id, call.path["order_id"], call.ctx.lang)
    return AdminOrderShipments.model_validate({"items": items})


@router.get("/api/admin/shipments", auth=ADMIN, permission=ORDERS_READ, query=AdminShipmentQuery,
            response=AdminShipmentList)
def list_shipments(call: Call) -> AdminShipmentList:
    """Shipments newest first, by status and carrier (e.g. everything still in transit)."""
    q = call.query
    return AdminShipmentList.model_validate(service.admin_list(
        get_db(), call.tenant.id, status=q.status, carrier=q.carrier, before_id=q.before_id, limit=q.limit,
        lang=call.ctx.lang))


@router.get("/api/admin/shipments/{shipment_id}", auth=ADMIN, permission=ORDERS_READ, response=AdminShipmentOut)
def get_shipment(call: Call) -> AdminShipmentOut:
    """One shipment with its history, label link and poll state."""
    return AdminShipmentOut.model_validate(
        service.admin_get(get_db(), call.tenant.id, call.path["shipment_id"], call.ctx.lang))


@router.put("/api/admin/shipments/{shipment_id}", auth=ADMIN, permission=ORDERS_WRITE, body=ShipmentUpdate,
            response=AdminShipmentOut, errors=(409,))
def update_shipment(call: Call) -> AdminShipmentOut:
    """Record a status by hand (as an event of the history), or change the link / ETA.

    A delivered shipment that completes its order marks the order delivered.  Delivered and
    returned shipments keep their status (409)."""
    return AdminShipmentOut.model_validate(service.update_shipment(
        get_db(), call.tenant.id, call.path["shipment_id"], call.body.changes(),
        admin_user_id=call.principal.user_id, lang=call.ctx.lang))


@router.get("/api/orders/{order_id}/shipments", auth=USER, response=ShipmentList)
def my_order_shipments(call: Call) -> ShipmentList:
    """The signed-in customer's order: its shipments, where each is and everything that happened."""
    items = service.customer_order_shipments(get_db(), call.tenant.id, call.principal.user_id,
                                             call.path["order_id"], call.ctx.lang)
    return ShipmentList.model_validate({"items": items})


@router.post("/api/shipping/webhooks/{carrier}", auth=PUBLIC, response=WebhookResult, errors=(401,),
             rate_limit=WEBHOOK_LIMIT)
def carrier_webhook(call: Call) -> WebhookResult:
    """A carrier's tracking update (protocol v1, chalicelib/adapters/carrier.py).

    Headers: X-API-Key (the store, set on the webhook subscription), X-Carrier-Timestamp and
    X-Carrier-Signature: v1=HMAC-SHA256(secret, "<timestamp>." + raw body).  The signature is
    checked over the raw bytes before the body is read; a missing or wrong signature, or a
    timestamp more than 5 minutes off, is 401 and nothing is stored.  Body: {"id", "type":
    "tracking.updated", "data": {"tracking_number", "carrier", "reference", "event": {"id",
    "status", "description", "location", "occurred_at"}}}.  Events are stored once however
    often they arrive."""
    code = call.path["carrier"]
    carrier = carrier_for(code)
    if carrier is None:
        raise NotFound("carrier_unknown")
    try:
        update = carrier.verify_webhook(call.request.raw_body or b"", call.request.headers)
    except WebhookRejected as exc:
        raise WebhookSignatureInvalid(exc.reason) from None
    return WebhookResult(result=tracking.record_webhook(get_db(), call.tenant.id, code, update))
