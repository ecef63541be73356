"""Shipments through the API (S1, S2, S3): admins create and update them, customers read their
own, against the real app, MariaDB and the fake carrier over HTTP.  Carrier webhooks and the
poll job: tests/e2e/test_shipping_tracking.py."""
# ruff: noqa: F811 - the fixtures imported from shipping_kit are parameters by design
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.platform.db import get_db
from tests.conftest import Api, login, make_tenant, make_user
from tests.e2e.shipping_kit import (  # noqa: F401 - fixtures
    PHONE,
    address_snapshot,
    carrier,
    carrier_server,
    configure,
    events,
    insert_order,
    order_row,
    outbox,
    relay,
    shipment_row,
    timeline,
)
from tests.helpers import simultaneously

SHIP = "/api/admin/orders/{}/shipments"


def customer(client: Any, tenant: Any) -> tuple[Api, int]:
    user_id, email, password = make_user(tenant)
    me = Api(client, tenant.api_key)
    me.token = login(me, email, password)["access_token"]
    return me, user_id


def staff(client: Any, tenant: Any, role: str = "super_admin") -> Api:
    _, email, password = make_user(tenant, roles=[role])
    a = Api(client, tenant.api_key)
    a.token = login(a, email, password)["access_token"]
    return a


def count(sql: str, *params: Any) -> int:
    return int(get_db().session().scalar(sql, params))


# -- S1: booking and manual tracking numbers ------------------------------------------------------
def test_booking_a_paid_order_gets_a_tracking_number_and_ships_the_order(client, tenant, admin_api, carrier):
    _, user_id = customer(client, tenant)
    order_id, (item,) = insert_order(tenant.id, user_id, [2])

    r = admin_api.post(SHIP.format(order_id), {"carrier": "yurtici"}, headers={"Idempotency-Key": "k-1"})

    assert r.status_code == 201, r.body
    body = r.json
    assert body["tracking_number"].startswith("YK") and len(body["tracking_number"]) == 14
    assert body["tracking_url"].endswith(f"/track/{body['tracking_number']}")
    assert body["label_url"].endswith(".pdf") and body["estimated_delivery_at"]
    assert body["status"] == "label_created" and body["status_text"] == "Kargoya verilmek üzere hazırlandı"
    assert body["carrier_name"] == "Yurtiçi Kargo"
    assert body["items"] == [{"order_item_id": item, "quantity": 2}]
    assert [(e["status"], e["source"]) for e in body["events"]] == [("label_created", "system")]
    assert body["poll_due_at"] is not None  # the webhook safety net
    # What the carrier was asked: the delivery address, the phone opened from the sealed snapshot.
    (booked,) = carrier.shipments.values()
    sent = booked.request
    assert sent["reference"] == body["reference"] and sent["carrier"] == "yurtici"
    assert sent["recipient"] == {"name": "Ayşe Yılmaz", "phone": PHONE, "email": "ayse@example.com",
                                 "address_line": "Huğlu Mah., Çarşı Sok. No 5", "district": "Beyşehir",
                                 "city": "Konya", "postal_code": "42700", "country": "TR"}
    assert sent["items"][0]["quantity"] == 2 and sent["declared_value"] == {"amount": "200.00", "currency": "TRY"}
    # The order went paid → preparing → shipped, by the admin, each change with its outbox event.
    order = order_row(tenant.id, order_id)
    assert order["status"] == "shipped" and order["shipped_at"] is not None
    assert timeline(tenant.id, order_id) == [("paid", "preparing", "admin"), ("preparing", "shipped", "admin")]
    changes = [e for e in outbox(tenant.id, order_id) if e["type"] == "OrderStatusChanged"]
    assert [(e["from"], e["to"]) for e in changes] == [("paid", "preparing"), ("preparing", "shipped")]
    assert changes[1]["tracking_number"] == body["tracking_number"] and changes[1]["shipment_id"] == body["id"]
    audit = get_db().session().one("SELECT * FROM admin_logs WHERE tenant_id = %s AND action = 'shipment.create'",
                                   (tenant.id,))
    assert audit is not None and json.loads(audit["after_data"])["tracking_number"] == body["tracking_number"]


def test_manual_tracking_numbers_and_partial_shipments(client, tenant, admin_api, carrier):
    _, user_id = customer(client, tenant)
    order_id, (tent, stove) = insert_order(tenant.id, user_id, [2, 1], status="preparing")

    first = admin_api.post(SHIP.format(order_id), {"carrier": "aras", "tracking_number": " 1234567890 ",
                                                   "tracking_url": "https://kargotakip.araskargo.com.tr/x",
                                                   "items": [{"order_item_id": tent, "quantity": 1}]})
    assert first.status_code == 201, first.body
    assert first.json["tracking_number"] == "1234567890" and first.json["label_url"] is None
    assert carrier.shipments == {}  # nothing booked: the parcel was handed over by hand
    assert order_row(tenant.id, order_id)["status"] == "shipped"

    # Unknown lines and more than is left are refused and change nothing.
    bad = admin_api.post(SHIP.format(order_id), {"carrier": "aras", "tracking_number": "AR-0002",
                                                 "items": [{"order_item_id": 999999999, "quantity": 1}]})
    assert bad.status_code == 400 and bad.json["error"]["details"]["fields"][0]["field"] == "items.0.order_item_id"
    over = admin_api.post(SHIP.format(order_id), {"carrier": "aras", "tracking_number": "AR-22",
                                                  "items": [{"order_item_id": tent, "quantity": 2}]})
    assert over.status_code == 409 and over.json["error"]["code"] == "shipment_quantity_exceeded"
    assert over.json["error"]["details"]["items"] == [{"order_item_id": tent, "requested": 2, "remaining": 1}]
    # A tracking number this carrier already has is refused.
    taken = admin_api.post(SHIP.format(order_id), {"carrier": "aras", "tracking_number": "1234567890"})
    assert taken.status_code == 409 and taken.json["error"]["code"] == "tracking_number_taken"

    rest = admin_api.post(SHIP.format(order_id), {"carrier": "mng", "tracking_number": "MNG-777"})
    assert rest.status_code == 201, rest.body
    assert sorted((i["order_item_id"], i["quantity"]) for i in rest.json["items"]) == [(tent, 1), (stove, 1)]
    done = admin_api.post(SHIP.format(order_id), {"carrier": "mng", "tracking_number": "MNG-778"})
    assert done.status_code == 409 and done.json["error"]["code"] == "nothing_to_ship"

    assert count("SELECT COUNT(*) FROM shipments WHERE tenant_id = %s AND order_id = %s", tenant.id, order_id) == 2
    assert timeline(tenant.id, order_id) == [("preparing", "shipped", "admin")]  # the second one shipped nothing new
    listed = admin_api.get(SHIP.format(order_id))
    assert [s["tracking_number"] for s in listed.json["items"]] == ["1234567890", "MNG-777"]


@pytest.mark.parametrize("body,field", [
    ({"carrier": "dhl"}, "carrier"),
    ({"carrier": "aras", "tracking_number": "no spaces allowed"}, "tracking_number"),
    ({"carrier": "aras", "tracking_url": "https://x.example/1"}, None),
    ({"carrier": "aras", "items": []}, "items"),
    ({"carrier": "aras", "items": [{"order_item_id": 1, "quantity": 0}]}, "items.0.quantity"),
    ({"carrier": "aras", "items": [{"order_item_id": 1, "quantity": 1}, {"order_item_id": 1, "quantity": 1}]},
     "items"),
    ({"carrier": "aras", "colour": "red"}, "colour"),
])
def test_bad_shipment_input_is_400_and_changes_nothing(client, tenant, admin_api, carrier, body, field):
    _, user_id = customer(client, tenant)
    order_id, _ = insert_order(tenant.id, user_id)
    r = admin_api.post(SHIP.format(order_id), body)
    assert r.status_code == 400, r.body
    assert r.json["error"]["code"] == "validation_failed"
    if field is not None:
        assert field in [f["field"] for f in r.json["error"]["details"]["fields"]]
    assert order_row(tenant.id, order_id)["status"] == "paid"
    assert count("SELECT COUNT(*) FROM shipments WHERE tenant_id = %s", tenant.id) == 0


def test_idempotency_key_returns_the_same_shipment_and_books_once(client, tenant, admin_api, carrier):
    _, user_id = customer(client, tenant)
    order_id, _ = insert_order(tenant.id, user_id)
    headers = {"Idempotency-Key": "ship-order-1"}
    first = admin_api.post(SHIP.format(order_id), {"carrier": "surat"}, headers=headers)
    again = admin_api.post(SHIP.format(order_id), {"carrier": "surat"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json["id"] == first.json["id"] and again.json["tracking_number"] == first.json["tracking_number"]
    assert len(carrier.shipments) == 1
    other = admin_api.post(SHIP.format(order_id), {"carrier": "aras"}, headers=headers)
    assert other.status_code == 409 and other.json["error"]["code"] == "idempotency_key_reused"
    assert count("SELECT COUNT(*) FROM shipments WHERE tenant_id = %s", tenant.id) == 1


def test_concurrent_retries_with_one_key_make_one_shipment(client, tenant, admin_api, carrier):
    _, user_id = customer(client, tenant)
    order_id, _ = insert_order(tenant.id, user_id)
    calls = [lambda: admin_api.post(SHIP.format(order_id), {"carrier": "ptt"}, headers={"Idempotency-Key": "same"})
             for _ in range(4)]
    results = simultaneously(*calls)
    assert {r.status_code for r in results} == {201}
    assert len({r.json["id"] for r in results}) == 1
    assert len(carrier.shipments) == 1  # the carrier answered every retry with the first booking
    assert count("SELECT COUNT(*) FROM shipments WHERE tenant_id = %s", tenant.id) == 1
    assert timeline(tenant.id, order_id) == [("paid", "preparing", "admin"), ("preparing", "shipped", "admin")]


def test_concurrent_shipments_of_everything_left_make_exactly_one(client, tenant, admin_api, carrier):
    _, user_id = customer(client, tenant)
    order_id, _ = insert_order(tenant.id, user_id, [3])
    results = simultaneously(*[lambda n=n: admin_api.post(SHIP.format(order_id), {
        "carrier": "aras", "tracking_number": f"AR-CONC-{n}"}) for n in range(6)])
    assert sorted(r.status_code for r in results) == [201] + [409] * 5
    assert {r.json["error"]["code"] for r in results if r.status_code == 409} == {"nothing_to_ship"}
    assert count("SELECT COUNT(*) FROM shipments WHERE tenant_id = %s", tenant.id) == 1


@pytest.mark.parametrize("status", ["pending_payment", "cancelled", "delivered", "return_requested"])
def test_orders_not_ready_to_ship_are_refused_by_the_lifecycle(client, tenant, admin_api, carrier, status):
    _, user_id = customer(client, tenant)
    order_id, _ = insert_order(tenant.id, user_id, status=status)
    r = admin_api.post(SHIP.format(order_id), {"carrier": "yurtici"})
    assert r.status_code == 409, r.body
    assert r.json["error"]["code"] == "illegal_transition" and r.json["error"]["details"]["from"] == status
    assert carrier.shipments == {}  # refused before a label was bought
    assert order_row(tenant.id, order_id)["status"] == status
    assert count("SELECT COUNT(*) FROM shipments WHERE tenant_id = %s", tenant.id) == 0


def test_carrier_refusal_and_outage_store_nothing(client, tenant, admin_api, carrier):
    _, user_id = customer(client, tenant)
    no_address, _ = insert_order(tenant.id, user_id, address={})
    refused = admin_api.post(SHIP.format(no_address), {"carrier": "yurtici"})
    assert refused.status_code == 409 and refused.json["error"]["code"] == "carrier_rejected"
    assert "recipient.city" in [f["field"] for f in refused.json["error"]["details"]["fields"]]

    order_id, _ = insert_order(tenant.id, user_id)
    carrier.fail_next("/v1/shipments", 503)
    down = admin_api.post(SHIP.format(order_id), {"carrier": "yurtici"}, headers={"Accept-Language": "en"})
    assert down.status_code == 503 and down.json["error"]["code"] == "carrier_unavailable"
    assert down.headers["Retry-After"] == "30"
    assert count("SELECT COUNT(*) FROM shipments WHERE tenant_id = %s", tenant.id) == 0
    assert order_row(tenant.id, order_id)["status"] == order_row(tenant.id, no_address)["status"] == "paid"


def test_a_booking_the_order_refuses_meanwhile_is_voided_at_the_carrier(client, tenant, admin_api, carrier,
                                                                         monkeypatch):
    """The label is bought before the order row is locked; if the order was cancelled in between,
    the shipment is not recorded and the label is voided so it is not billed."""
    from chalicelib.shipping import booking

    _, user_id = customer(client, tenant)
    order_id, _ = insert_order(tenant.id, user_id)
    real_book = booking.book

    def book_then_cancel(*args: Any, **kwargs: Any) -> Any:
        booked = real_book(*args, **kwargs)
        get_db().session().execute("UPDATE orders SET status = 'cancelled' WHERE tenant_id = %s AND id = %s",
                                   (tenant.id, order_id))
        return booked

    monkeypatch.setattr(booking, "book", book_then_cancel)
    r = admin_api.post(SHIP.format(order_id), {"carrier": "yurtici"})
    assert r.status_code == 409 and r.json["error"]["code"] == "illegal_transition"
    (booked,) = carrier.shipments.values()
    assert booked.cancelled
    assert count("SELECT COUNT(*) FROM shipments WHERE tenant_id = %s", tenant.id) == 0


def test_carriers_without_integration_need_a_tracking_number(client, tenant, admin_api, carrier, monkeypatch):
    configure(monkeypatch, CARRIER_CODES="yurtici,aras")
    _, user_id = customer(client, tenant)
    order_id, _ = insert_order(tenant.id, user_id, [2])
    r = admin_api.post(SHIP.format(order_id), {"carrier": "ptt", "items": [{"order_item_id": _[0], "quantity": 1}]})
    assert r.status_code == 409 and r.json["error"]["code"] == "carrier_not_integrated"
    manual = admin_api.post(SHIP.format(order_id), {"carrier": "ptt", "tracking_number": "PTT123456"})
    assert manual.status_code == 201 and manual.json["poll_due_at"] is None  # nobody to ask
    assert carrier.calls == []


# -- S2: status by hand ---------------------------------------------------------------------------
def test_admin_status_updates_are_history_and_delivery_completes_the_order(client, tenant, admin_api, carrier):
    me, user_id = customer(client, tenant)
    order_id, _ = insert_order(tenant.id, user_id)
    shipment = admin_api.post(SHIP.format(order_id), {"carrier": "aras", "tracking_number": "AR-100"}).json
    path = f"/api/admin/shipments/{shipment['id']}"

    moving = admin_api.put(path, {"status": "in_transit", "location": "Konya Aktarma", "description": "Yolda"})
    assert moving.status_code == 200, moving.body
    assert moving.json["status"] == "in_transit" and moving.json["shipped_at"] is not None
    again = admin_api.put(path, {"status": "in_transit"})  # a retried update adds nothing
    assert again.status_code == 200 and len(again.json["events"]) == 2

    delivered = admin_api.put(path, {"status": "delivered"})
    assert delivered.json["status"] == "delivered" and delivered.json["delivered_at"] is not None
    assert delivered.json["poll_due_at"] is None
    assert order_row(tenant.id, order_id)["status"] == "delivered"
    assert timeline(tenant.id, order_id)[-1] == ("shipped", "delivered", "admin")

    final = admin_api.put(path, {"status": "in_transit"})
    assert final.status_code == 409 and final.json["error"]["code"] == "shipment_final"
    assert [e["status"] for e in me.get(f"/api/orders/{order_id}/shipments").json["items"][0]["events"]] == [
        "label_created", "in_transit", "delivered"]
    actions = get_db().session().all("SELECT action FROM admin_logs WHERE tenant_id = %s AND entity_type = 'shipment'",
                                     (tenant.id,))
    assert [a["action"] for a in actions] == ["shipment.create", "shipment.update", "shipment.update",
                                              "shipment.update"]


@pytest.mark.parametrize("body", [
    {}, {"status": "label_created"}, {"status": "lost"}, {"description": "no status"},
    {"status": "in_transit", "occurred_at": "2999-01-01T00:00:00Z"}, {"tracking_url": "ftp://x"},
])
def test_bad_updates_are_400_and_change_nothing(client, tenant, admin_api, carrier, body):
    _, user_id = customer(client, tenant)
    order_id, _ = insert_order(tenant.id, user_id)
    shipment = admin_api.post(SHIP.format(order_id), {"carrier": "aras", "tracking_number": "AR-200"}).json
    r = admin_api.put(f"/api/admin/shipments/{shipment['id']}", body)
    assert r.status_code == 400 and r.json["error"]["code"] == "validation_failed"
    assert shipment_row(tenant.id, shipment["id"])["status"] == "label_created"
    assert len(events(tenant.id, shipment["id"])) == 1


def test_partial_delivery_leaves_the_order_shipped_until_everything_arrived(client, tenant, admin_api, carrier):
    _, user_id = customer(client, tenant)
    order_id, (a, b) = insert_order(tenant.id, user_id, [1, 1])
    first = admin_api.post(SHIP.format(order_id), {"carrier": "aras", "tracking_number": "AR-301",
                                                   "items": [{"order_item_id": a, "quantity": 1}]}).json
    admin_api.put(f"/api/admin/shipments/{first['id']}", {"status": "delivered"})
    assert order_row(tenant.id, order_id)["status"] == "shipped"  # b has not even left
    second = admin_api.post(SHIP.format(order_id), {"carrier": "aras", "tracking_number": "AR-302"}).json
    admin_api.put(f"/api/admin/shipments/{second['id']}", {"status": "returned"})
    assert order_row(tenant.id, order_id)["status"] == "shipped"  # returned to sender is not delivered
    third_order, _ = insert_order(tenant.id, user_id, [1])
    third = admin_api.post(SHIP.format(third_order), {"carrier": "aras", "tracking_number": "AR-303"}).json
    admin_api.put(f"/api/admin/shipments/{third['id']}", {"status": "delivered"})
    assert order_row(tenant.id, third_order)["status"] == "delivered"


# -- S3: reading, and who may ---------------------------------------------------------------------
def test_customer_reads_their_order_shipments_with_texts_in_their_language(client, tenant, admin_api, carrier):
    me, user_id = customer(client, tenant)
    order_id, _ = insert_order(tenant.id, user_id)
    shipment = admin_api.post(SHIP.format(order_id), {"carrier": "yurtici"}).json
    admin_api.put(f"/api/admin/shipments/{shipment['id']}", {"status": "out_for_delivery"})

    tr = me.get(f"/api/orders/{order_id}/shipments")
    en = me.get(f"/api/orders/{order_id}/shipments", headers={"Accept-Language": "en"})
    assert tr.status_code == en.status_code == 200
    (mine,) = tr.json["items"]
    assert mine["tracking_number"] == shipment["tracking_number"] and mine["status_text"] == "Dağıtıma çıktı"
    assert en.json["items"][0]["status_text"] == "Out for delivery"
    assert [e["status_text"] for e in en.json["items"][0]["events"]] == [
        "Ready to hand over to the carrier", "Out for delivery"]
    assert "label_url" not in mine and "reference" not in mine  # admin-only fields


def test_other_users_and_tenants_get_404(client, tenant, admin_api, carrier):
    _, owner_id = customer(client, tenant)
    order_id, _ = insert_order(tenant.id, owner_id)
    shipment = admin_api.post(SHIP.format(order_id), {"carrier": "aras", "tracking_number": "AR-404"}).json

    stranger, _ = customer(client, tenant)
    assert stranger.get(f"/api/orders/{order_id}/shipments").status_code == 404
    assert stranger.get("/api/orders/999999999/shipments").status_code == 404

    other = make_tenant()
    other_admin = staff(client, other)
    other_customer, _ = customer(client, other)
    assert other_customer.get(f"/api/orders/{order_id}/shipments").status_code == 404
    for method, path, body in [("GET", SHIP.format(order_id), None),
                               ("POST", SHIP.format(order_id), {"carrier": "aras", "tracking_number": "AR-405"}),
                               ("GET", f"/api/admin/shipments/{shipment['id']}", None),
                               ("PUT", f"/api/admin/shipments/{shipment['id']}", {"status": "delivered"})]:
        r = other_admin.request(method, path, body)
        assert r.status_code == 404, (method, path, r.body)
    assert other_admin.get("/api/admin/shipments").json["items"] == []
    assert shipment_row(tenant.id, shipment["id"])["status"] == "label_created"
    assert count("SELECT COUNT(*) FROM shipments WHERE tenant_id = %s", tenant.id) == 1


def test_admin_routes_need_the_orders_permissions(client, tenant, carrier):
    me, user_id = customer(client, tenant)
    order_id, _ = insert_order(tenant.id, user_id)
    admin = staff(client, tenant)
    shipment = admin.post(SHIP.format(order_id), {"carrier": "aras", "tracking_number": "AR-403"}).json
    support = staff(client, tenant, "support")  # orders.read without orders.write
    editor = staff(client, tenant, "editor")  # neither

    assert me.post(SHIP.format(order_id), {"carrier": "aras", "tracking_number": "AR-0009"}).status_code == 403
    assert me.get(f"/api/admin/shipments/{shipment['id']}").status_code == 403
    assert me.put(f"/api/admin/shipments/{shipment['id']}", {"status": "delivered"}).status_code == 403
    assert support.get(f"/api/admin/shipments/{shipment['id']}").status_code == 200
    assert support.get("/api/admin/shipments").status_code == 200
    assert support.put(f"/api/admin/shipments/{shipment['id']}", {"status": "delivered"}).status_code == 403
    assert support.post(SHIP.format(order_id), {"carrier": "aras", "tracking_number": "AR-0008"}).status_code == 403
    assert editor.get("/api/admin/shipments").status_code == 403
    anonymous = Api(client, tenant.api_key)
    assert anonymous.get(f"/api/orders/{order_id}/shipments").status_code == 401
    assert shipment_row(tenant.id, shipment["id"])["status"] == "label_created"


def test_admin_list_filters_and_pages(client, tenant, admin_api, carrier):
    _, user_id = customer(client, tenant)
    ids = []
    for n in range(5):
        order_id, _ = insert_order(tenant.id, user_id)
        ids.append(admin_api.post(SHIP.format(order_id), {"carrier": "aras" if n % 2 else "mng",
                                                          "tracking_number": f"LST-{n:05d}"}).json["id"])
    admin_api.put(f"/api/admin/shipments/{ids[0]}", {"status": "in_transit"})

    page = admin_api.get("/api/admin/shipments?limit=2")
    assert [s["id"] for s in page.json["items"]] == [ids[4], ids[3]] and page.json["next_before_id"] == ids[3]
    rest = admin_api.get(f"/api/admin/shipments?limit=10&before_id={page.json['next_before_id']}")
    assert [s["id"] for s in rest.json["items"]] == [ids[2], ids[1], ids[0]] and rest.json["next_before_id"] is None
    assert [s["id"] for s in admin_api.get("/api/admin/shipments?carrier=aras").json["items"]] == [ids[3], ids[1]]
    moving = admin_api.get("/api/admin/shipments?status=in_transit").json["items"]
    assert [(s["id"], s["status_text"]) for s in moving] == [(ids[0], "Yolda")]
    assert admin_api.get("/api/admin/shipments?status=lost").status_code == 400
    assert admin_api.get("/api/admin/shipments?limit=0").status_code == 400


def test_declared_value_is_the_parcels_share_of_the_order(client, tenant, admin_api, carrier):
    _, user_id = customer(client, tenant)
    order_id, (item,) = insert_order(tenant.id, user_id, [3])
    r = admin_api.post(SHIP.format(order_id), {"carrier": "yurtici", "items": [{"order_item_id": item, "quantity": 1}]})
    assert r.status_code == 201
    (booked,) = carrier.shipments.values()
    assert Decimal(booked.request["declared_value"]["amount"]) == Decimal("100.00")
    assert address_snapshot()["sealed"]["phone"] not in json.dumps(booked.request)  # only the opened phone travels
