"""The three idempotent writes over HTTP share the platform's mechanism: keys in idempotency_keys
scoped per operation and actor, Idempotent-Replayed on a replay, one 409 code for another request."""
from __future__ import annotations

import uuid
from typing import Any

from chalicelib.platform.db import get_db
from tests.conftest import Api, login, make_user
from tests.e2e.shipping_kit import insert_order
from tests.e2e.test_pipeline import assert_error_shape
from tests.orders_kit import checkout, fill_cart, product, shopper


def keys(tenant_id: int) -> list[tuple[str, str]]:
    rows = get_db().session().all("SELECT scope, idem_key FROM idempotency_keys WHERE tenant_id = %s "
                                  "ORDER BY scope, idem_key", (tenant_id,))
    return [(r["scope"], r["idem_key"]) for r in rows]


def signed_in(client: Any, tenant: Any, roles: list[str] | None = None) -> tuple[Api, int]:
    user_id, email, password = make_user(tenant, roles=roles)
    api = Api(client, tenant.api_key)
    api.token = login(api, email, password)["access_token"]
    return api, user_id


def test_a_shipment_retried_with_its_key_is_replayed_and_scoped_to_the_admin(client, tenant):
    _, customer_id = signed_in(client, tenant)
    admin, admin_id = signed_in(client, tenant, ["super_admin"])
    order_id, _ = insert_order(tenant.id, customer_id, [2])
    path, key = f"/api/admin/orders/{order_id}/shipments", uuid.uuid4().hex
    body = {"carrier": "aras", "tracking_number": "AR-IDEM-1", "items": [{"order_item_id": 0, "quantity": 1}]}
    body["items"][0]["order_item_id"] = get_db().session().scalar(
        "SELECT id FROM order_items WHERE tenant_id = %s AND order_id = %s", (tenant.id, order_id))
    first = admin.post(path, body, headers={"Idempotency-Key": key})
    again = admin.post(path, body, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201, first.body
    assert "Idempotent-Replayed" not in first.headers and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json["id"] == first.json["id"]
    other = dict(body, tracking_number="AR-IDEM-2")
    assert_error_shape(admin.post(path, other, headers={"Idempotency-Key": key}), 409, "idempotency_key_reused")
    assert keys(tenant.id) == [("shipment_create", f"{admin_id}:{key}")]


def test_checkout_keys_live_in_the_shared_table(client, tenant, db):
    who, key = shopper(client, tenant), uuid.uuid4().hex
    fill_cart(db, tenant.id, who.user_id, [(*product(db, tenant.id, stock=3), 1)])
    placed = checkout(who, key)
    assert placed.status_code == 201, placed.body
    assert keys(tenant.id) == [("checkout", f"{who.user_id}:{key}")]
    # The per-table copy of the mechanism is gone (migration 0009).
    columns = {r["COLUMN_NAME"] for r in db.session().all(
        "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'orders'")}
    assert not columns & {"idempotency_key", "request_hash"}
