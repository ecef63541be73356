"""The delivery log for staff: every message and channel with its status, filtered and paged;
another tenant's deliveries are 404 and invisible; customers cannot read it."""
from __future__ import annotations

from chalicelib.notifications import api as notifications
from chalicelib.platform.db import get_db
from tests.conftest import Api, login, make_tenant, make_user
from tests.notifications.channels_kit import customer, expo_token
from tests.notifications_outbox import drain_notifications

ORDER = {"order_number": "HG-4004", "status": "delivered", "link": "https://shop.example.com/o/4004"}
CAMPAIGN = {"headline": "Yaz", "message": "Yeni sezon", "link": "https://shop.example.com/y"}


def _admin(tenant, client) -> Api:
    _, email, password = make_user(tenant, roles=["super_admin"])
    admin = Api(client, tenant.api_key)
    admin.token = login(admin, email, password)["access_token"]
    return admin


def test_staff_see_each_delivery_with_its_status_and_filter_and_page(tenant, client, netgsm, expo):
    user_id, _, _, api = customer(tenant, client)
    api.post("/api/notifications/devices", {"device_id": "p", "token": expo_token()})
    sent = notifications.send(get_db(), tenant.id, user_id, "order", "order_status", ORDER)  # email + push
    held = notifications.send(get_db(), tenant.id, user_id, "campaign", "campaign", CAMPAIGN, channels=["sms"])
    drain_notifications()
    admin = _admin(tenant, client)

    page = admin.get("/api/admin/notifications/deliveries").json
    by_id = {item["id"]: item for item in page["items"]}
    email_id, push_id = sent.deliveries["email"][0], sent.deliveries["push"][0]
    sms_id = held.deliveries["sms"][0]
    assert by_id[email_id]["status"] == "sent" and by_id[email_id]["recipient"] == "u***@example.com"
    assert by_id[push_id]["status"] == "sent" and by_id[push_id]["provider"] == "expo"
    assert (by_id[sms_id]["status"], by_id[sms_id]["reason"]) == ("suppressed", "no_consent")
    assert [i["id"] for i in page["items"]] == sorted(by_id, reverse=True)

    only = admin.get("/api/admin/notifications/deliveries?status=suppressed&channel=sms").json["items"]
    assert [i["id"] for i in only] == [sms_id]
    by_message = admin.get(f"/api/admin/notifications/deliveries?message_id={sent.message_id}").json["items"]
    assert {i["id"] for i in by_message} == {email_id, push_id}

    first = admin.get("/api/admin/notifications/deliveries?limit=2").json
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = admin.get(f"/api/admin/notifications/deliveries?limit=2&cursor={first['next_cursor']}").json
    assert [i["id"] for i in first["items"] + rest["items"]] == sorted(by_id, reverse=True)
    assert admin.get("/api/admin/notifications/deliveries?cursor=nonsense").status_code == 400
    assert admin.get("/api/admin/notifications/deliveries?status=lost").status_code == 400

    detail = admin.get(f"/api/admin/notifications/deliveries/{push_id}").json
    assert detail["channel"] == "push" and len(detail["push_tickets"]) == 1
    assert detail["push_tickets"][0]["status"] == "pending"


def test_another_tenants_deliveries_are_404_and_not_listed(tenant, client):
    user_id, _, _, customer_api = customer(tenant, client)
    result = notifications.send(get_db(), tenant.id, user_id, "order", "order_status", ORDER, channels=["email"])
    delivery_id = result.deliveries["email"][0]
    other = make_tenant()
    other_admin = _admin(other, client)
    assert other_admin.get(f"/api/admin/notifications/deliveries/{delivery_id}").status_code == 404
    assert delivery_id not in {i["id"] for i in other_admin.get("/api/admin/notifications/deliveries").json["items"]}
    assert _admin(tenant, client).get(f"/api/admin/notifications/deliveries/{delivery_id}").status_code == 200
    assert customer_api.get("/api/admin/notifications/deliveries").status_code == 403
    drain_notifications()
