"""Issue 9 at the shipping edges: the carrier webhook's timestamp is read from ASCII digits
only, shipment updates take null only where it clears something, text and times are checked,
and the Idempotency-Key of a booking follows the platform's one rule.  Against real shipments
booked with the fake carrier (tests/e2e/shipping_kit.py)."""
# ruff: noqa: F811 - the fixtures imported from shipping_kit are parameters by design
from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import pytest

from chalicelib.adapters.carrier import WebhookRejected, check_signature
from tests.conftest import Api, make_user
from tests.e2e.shipping_kit import (  # noqa: F401 - fixtures
    SECRET,
    carrier,
    carrier_server,
    events,
    insert_order,
    relay,
    shipment_row,
    utc,
)
from tests.e2e.test_pipeline import assert_error_shape

SHIP = "/api/admin/orders/{}/shipments"
WEBHOOK = "/api/shipping/webhooks/yurtici"


def refused(response: Any, field: str, error_type: str | None = None) -> None:
    error = assert_error_shape(response, 400, "validation_failed")
    fields = {entry["field"]: entry for entry in error["details"]["fields"]}
    assert field in fields, error
    if error_type is not None:
        assert fields[field]["type"] == error_type, error


@pytest.fixture
def booked(tenant: Any, admin_api: Api, carrier: Any) -> dict[str, Any]:
    user_id, _, _ = make_user(tenant)
    order_id, _ = insert_order(tenant.id, user_id)
    response = admin_api.post(SHIP.format(order_id), {"carrier": "yurtici"})
    assert response.status_code == 201, response.body
    return response.json


def stored(tenant_id: int, shipment_id: int) -> dict[str, Any]:
    found = shipment_row(tenant_id, shipment_id)
    return {k: found[k] for k in ("status", "tracking_url", "estimated_delivery_at", "last_event_at")}


# -- the webhook's timestamp ---------------------------------------------------------------------
def signed_with(timestamp: str, body: bytes) -> dict[str, str]:
    mac = hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"X-Carrier-Timestamp": timestamp, "X-Carrier-Signature": f"v1={mac}"}


def body_for(tracking: str) -> bytes:
    return json.dumps({"id": f"evt_{time.time_ns()}", "type": "tracking.updated",
                       "data": {"tracking_number": tracking, "carrier": "yurtici",
                                "event": {"status": "in_transit", "occurred_at": utc().isoformat()}}
                       }).encode()


def arabic_indic(digits: str) -> str:
    return digits.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))


@pytest.mark.parametrize("timestamp", [
    "²",                                     # isdigit() but int() fails: was a 500
    lambda: arabic_indic(str(int(time.time()))),  # isdigit() and int() reads it as now: must not be
    lambda: str(int(time.time()))[:-1] + "٣",
    "１７００００００００",                   # fullwidth digits
    " 12 34 ",
])
def test_webhook_timestamps_are_ascii_digits_or_401(client, tenant, booked, timestamp):
    ts = timestamp() if callable(timestamp) else timestamp
    body = body_for(booked["tracking_number"])
    response = Api(client, tenant.api_key).request("POST", WEBHOOK, raw=body, headers=signed_with(ts, body))
    error = assert_error_shape(response, 401, "webhook_signature_invalid")
    assert error["details"] == {"reason": "timestamp_invalid"}
    assert [e["status"] for e in events(tenant.id, booked["id"])] == ["label_created"]


def test_a_well_signed_ascii_timestamp_still_stores(client, tenant, booked):
    body = body_for(booked["tracking_number"])
    response = Api(client, tenant.api_key).request("POST", WEBHOOK, raw=body,
                                                   headers=signed_with(str(int(time.time())), body))
    assert response.status_code == 200 and response.json == {"result": "stored"}


def test_the_adapter_check_itself_refuses_non_ascii_digits():
    body = b"{}"
    now = time.time()
    for ts in ("²", arabic_indic(str(int(now)))):
        with pytest.raises(WebhookRejected) as caught:
            check_signature(body, signed_with(ts, body), [SECRET], 300, now=now)
        assert caught.value.reason == "timestamp_invalid"


# -- admin updates ------------------------------------------------------------------------------
@pytest.mark.parametrize("body,field,error_type", [
    ({"status": None}, "status", "null_not_allowed"),
    ({"status": "in_transit", "description": None}, "description", "null_not_allowed"),
    ({"status": "in_transit", "location": None}, "location", "null_not_allowed"),
    ({"status": "in_transit", "occurred_at": None}, "occurred_at", "null_not_allowed"),
    ({"status": "in_transit", "description": "Şube\u202eyolda"}, "description", "text_forbidden_character"),
    ({"status": "in_transit", "location": "İzmir\nAktarma"}, "location", "text_forbidden_character"),
    ({"status": "in_transit", "occurred_at": "0001-01-01T00:00:00+03:00"}, "occurred_at", "date_out_of_range"),
    ({"estimated_delivery_at": "9999-12-31T23:00:00-05:00"}, "estimated_delivery_at", "date_out_of_range"),
    ({"tracking_url": "https://kargo.example/t/\u202e1"}, "tracking_url", None),
    ({"status": "in_transit", "surprise": 1}, "surprise", "extra_forbidden"),
])
def test_shipment_update_edges_are_400_and_change_nothing(tenant, admin_api, booked, body, field, error_type):
    before = stored(tenant.id, booked["id"])
    refused(admin_api.put(f"/api/admin/shipments/{booked['id']}", body), field, error_type)
    assert stored(tenant.id, booked["id"]) == before
    assert [e["status"] for e in events(tenant.id, booked["id"])] == ["label_created"]


def test_shipment_update_null_clears_the_link_and_the_eta(tenant, admin_api, booked):
    path = f"/api/admin/shipments/{booked['id']}"
    set_ = admin_api.put(path, {"tracking_url": "https://kargo.example/t/1", "estimated_delivery_at": "2030-01-02T10:00:00+03:00"})
    assert set_.status_code == 200, set_.body
    assert set_.json["estimated_delivery_at"] == "2030-01-02T07:00:00Z"
    cleared = admin_api.put(path, {"tracking_url": None, "estimated_delivery_at": None})
    assert cleared.status_code == 200, cleared.body
    assert cleared.json["tracking_url"] is None and cleared.json["estimated_delivery_at"] is None
    assert stored(tenant.id, booked["id"])["status"] == "label_created"


def test_shipment_update_schema_shows_null_only_where_it_clears():
    from chalicelib.platform.openapi import build_document

    schema = build_document()["components"]["schemas"]["ShipmentUpdate"]["properties"]
    nullable = {name for name, prop in schema.items() if {"type": "null"} in prop.get("anyOf", [])}
    assert nullable == {"tracking_url", "estimated_delivery_at"}


# -- booking's Idempotency-Key ------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["x" * 101, "gönderi-1"])
def test_booking_key_follows_the_platform_rule(tenant, admin_api, carrier, key):
    user_id, _, _ = make_user(tenant)
    order_id, _ = insert_order(tenant.id, user_id)
    response = admin_api.post(SHIP.format(order_id), {"carrier": "yurtici"}, headers={"Idempotency-Key": key})
    assert_error_shape(response, 400, "idempotency_key_invalid")
    assert carrier.calls == []  # nothing booked


# -- a sweep over real rows ------------------------------------------------------------------------
def test_hostile_values_on_real_shipments_never_500(client, carrier):
    from tests.e2e.orders_admin_kit import staff
    from tests.e2e.test_edges_commerce import sweep, unlimited_tenant

    tenant = unlimited_tenant()
    admin = staff(client, tenant, "super_admin")[0]
    user_id, _, _ = make_user(tenant)
    order_id, (item,) = insert_order(tenant.id, user_id, [3])
    created = admin.post(SHIP.format(order_id), {"carrier": "yurtici", "items": [{"order_item_id": item, "quantity": 1}]})
    assert created.status_code == 201, created.body
    sent = sweep(admin, "PUT", "/api/admin/shipments/{shipment_id}", f"/api/admin/shipments/{created.json['id']}",
                 {"status": "in_transit"}, [])
    sent += sweep(admin, "POST", "/api/admin/orders/{order_id}/shipments", SHIP.format(order_id),
                  {"carrier": "aras", "tracking_number": "ARAS-12345"}, [])
    assert sent > 100
