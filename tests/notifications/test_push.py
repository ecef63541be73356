"""Push through Expo: devices registered per user and device, send → tickets → receipts, dead
tokens pruned - against the local Expo fake over HTTP, with the real consumer and sweep."""
from __future__ import annotations

from chalicelib.adapters import push
from chalicelib.notifications import api as notifications
from chalicelib.notifications import sweep
from chalicelib.platform.db import get_db
from tests.notifications.channels_kit import customer, delivery, expo_token
from tests.notifications_outbox import drain_notifications

ORDER = {"order_number": "HG-1001", "status": "shipped", "link": "https://shop.example.com/o/1001"}


def _tokens(tenant_id: int, user_id: int) -> list[str]:
    rows = get_db().session().all("SELECT token FROM push_devices WHERE tenant_id = %s AND user_id = %s ORDER BY id",
                                  (tenant_id, user_id))
    return [r["token"] for r in rows]


def _tickets(tenant_id: int, delivery_id: int) -> list[dict]:
    return get_db().session().all("SELECT status, error, token FROM push_tickets WHERE tenant_id = %s AND delivery_id = %s",
                                  (tenant_id, delivery_id))


def test_a_device_registers_moves_and_is_removed(tenant, client, expo):
    user_a, _, _, api_a = customer(tenant, client)
    user_b, _, _, api_b = customer(tenant, client)
    token = expo_token()
    first = api_a.post("/api/notifications/devices", {"device_id": "phone-1", "token": token, "platform": "ios"})
    assert first.status_code == 201, first.body
    assert first.json["device_id"] == "phone-1" and first.json["platform"] == "ios"
    # The same device with a new token replaces the old one.
    newer = expo_token()
    assert api_a.post("/api/notifications/devices", {"device_id": "phone-1", "token": newer}).status_code == 201
    assert _tokens(tenant.id, user_a) == [newer]
    # The phone changes hands: B registers the same token, and A no longer has it.
    assert api_b.post("/api/notifications/devices", {"device_id": "phone-9", "token": newer}).status_code == 201
    assert _tokens(tenant.id, user_a) == [] and _tokens(tenant.id, user_b) == [newer]
    # Not a push token: 400; someone else's device: 404; one's own: 204.
    assert api_a.post("/api/notifications/devices", {"device_id": "x", "token": "abc"}).status_code == 400
    assert api_a.delete("/api/notifications/devices/phone-9").status_code == 404
    for junk in ("telefon-ğüş", "%F0%9F%93%B1", "a" * 129):  # no device id (the fuzzer found a 500 here)
        assert api_a.delete(f"/api/notifications/devices/{junk}").status_code == 404
    assert api_b.delete("/api/notifications/devices/phone-9").status_code == 204
    assert _tokens(tenant.id, user_b) == []


def test_push_send_tickets_receipts_delivered_and_a_dead_token_pruned(tenant, client, expo):
    user_id, _, _, api = customer(tenant, client)
    alive, dead = expo_token(), expo_token()
    api.post("/api/notifications/devices", {"device_id": "tablet", "token": alive})
    api.post("/api/notifications/devices", {"device_id": "old-phone", "token": dead})
    expo.dead[dead] = "receipt"  # the app was uninstalled: Expo tells us in the receipt

    result = notifications.send(get_db(), tenant.id, user_id, "order", "order_status", ORDER, channels=["push"])
    delivery_id, status, _ = result.deliveries["push"]
    assert status == "queued"
    drain_notifications()

    row = delivery(tenant.id, delivery_id)
    assert row["status"] == "sent" and row["provider"] == "expo" and row["recipient"] == "2 device(s)"
    assert {t["status"] for t in _tickets(tenant.id, delivery_id)} == {"pending"}
    sent = [m for m in expo.messages if m["to"] in (alive, dead)]
    assert len(sent) == 2 and sent[0]["title"] == "HG-1001" and sent[0]["data"]["link"] == ORDER["link"]

    counts = sweep.run(get_db(), receipt_grace_seconds=0)
    assert counts["receipts_ok"] >= 1 and counts["receipts_pruned"] >= 1
    assert delivery(tenant.id, delivery_id)["status"] == "delivered"
    assert {(t["token"], t["status"], t["error"]) for t in _tickets(tenant.id, delivery_id)} == {
        (alive, "ok", None), (dead, "error", "DeviceNotRegistered")}
    assert _tokens(tenant.id, user_id) == [alive]


def test_a_token_refused_at_send_is_pruned_and_the_delivery_fails(tenant, client, expo):
    user_id, _, _, api = customer(tenant, client)
    token = expo_token()
    api.post("/api/notifications/devices", {"device_id": "p", "token": token})
    expo.dead[token] = "ticket"
    result = notifications.send(get_db(), tenant.id, user_id, "order", "order_status", ORDER, channels=["push"])
    drain_notifications()
    row = delivery(tenant.id, result.deliveries["push"][0])
    assert row["status"] == "failed" and row["reason"] == "expo:DeviceNotRegistered"
    assert _tokens(tenant.id, user_id) == []


def test_every_receipt_an_error_fails_the_delivery(tenant, client, expo):
    user_id, _, _, api = customer(tenant, client)
    token = expo_token()
    api.post("/api/notifications/devices", {"device_id": "p", "token": token})
    expo.dead[token] = "receipt"
    result = notifications.send(get_db(), tenant.id, user_id, "order", "order_status", ORDER, channels=["push"])
    drain_notifications()
    sweep.run(get_db(), receipt_grace_seconds=0)
    row = delivery(tenant.id, result.deliveries["push"][0])
    assert row["status"] == "failed" and row["reason"] == "expo:DeviceNotRegistered"


def test_no_device_is_suppressed(tenant, client, expo):
    user_id, _, _, _ = customer(tenant, client)
    result = notifications.send(get_db(), tenant.id, user_id, "order", "order_status", ORDER, channels=["push"])
    drain_notifications()
    row = delivery(tenant.id, result.deliveries["push"][0])
    assert (row["status"], row["reason"]) == ("suppressed", "no_device")


def test_the_adapter_batches_at_most_100_messages_and_reads_receipts(expo):
    sender = push.ExpoPushClient(base_url=expo.base_url)
    before = len(expo.requests)
    tokens = [expo_token() for _ in range(150)]
    tickets = sender.send([push.PushMessage(t, "Başlık", "Gövde") for t in tokens])
    assert len(tickets) == 150 and all(t.ok for t in tickets)
    assert [n for _, n in expo.requests[before:]] == [100, 50]
    receipts = sender.receipts([t.id for t in tickets if t.id] + ["unknown-id"])
    assert len(receipts) == 150 and all(r.ok for r in receipts.values())


def test_expo_throttling_is_a_retryable_delivery_error(expo):
    sender = push.ExpoPushClient(base_url=expo.base_url)
    expo.failures.append({"path": "/--/api/v2/push/send", "status": 429, "times": 1})
    try:
        sender.send([push.PushMessage(expo_token(), "t", "b")])
    except push.DeliveryError as exc:
        assert (exc.provider, exc.code) == ("expo", "TOO_MANY_REQUESTS")
    else:
        raise AssertionError("a 429 must raise")
