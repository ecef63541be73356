"""Live users over HTTP and WebSocket events: presence, pushes to staff, tenant isolation,
validation, expiry.  Real Redis and MariaDB; pushes go to a recording sender (tests/live/conftest.py)."""
from __future__ import annotations

import json
import time
import unicodedata
from typing import Any

import pytest

from chalicelib.live import service
from chalicelib.live.ws_handlers import on_connect, on_disconnect, on_message
from tests.conftest import Api, make_tenant
from tests.live.kit import (
    RecordingSender,
    device,
    new_connection_id,
    register_body,
    staff_api,
    staff_token,
    ws_event,
)
from tests.orders_kit import shopper

REGISTER, HEARTBEAT, UNREGISTER = "/api/live-users/register", "/api/live-users/heartbeat", "/api/live-users/unregister"
LOG, ADMIN = "/api/user-data/log", "/api/admin/live-users"


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr("chalicelib.live.routes.now", fake)
    monkeypatch.setattr("chalicelib.live.ws_handlers.now", fake)
    return fake


def connect_staff(tenant: Any, roles: list[str] | None = None) -> str:
    connection_id = new_connection_id()
    _, token = staff_token(tenant, roles)
    answer = on_connect(ws_event("$connect", connection_id, query={"key": tenant.api_key, "token": token}))
    assert answer == {"statusCode": 200}
    return connection_id


def pushed(sender: RecordingSender, connection_id: str, kind: str) -> list[dict[str, Any]]:
    return [m for m in sender.to(connection_id) if m["type"] == kind]


def test_a_guest_appears_to_staff_and_in_the_overview(api: Api, tenant, client, sender, clock):
    watcher = connect_staff(tenant)
    guest = device()
    response = api.post(REGISTER, register_body(guest, screen="Home"))
    assert response.status_code == 200, response.body
    assert response.json == {"online": True, "expires_in": 90, "heartbeat_seconds": 30}

    [appeared] = pushed(sender, watcher, "appeared")
    assert appeared["device_id"] == guest and appeared["online"] == 1
    assert appeared["user"]["kind"] == "guest" and appeared["user"]["user_id"] is None
    assert appeared["user"]["screen"] == "Home"

    overview = staff_api(client, tenant).get(ADMIN + "?hours=1")
    assert overview.status_code == 200, overview.body
    body = overview.json
    assert (body["online"], body["guests"], body["signed_in"], body["truncated"]) == (1, 1, 0, False)
    assert body["users"][0]["device_id"] == guest and body["users"][0]["platform"] == "android"
    assert len(body["per_minute"]) == 60 and body["per_minute"][-1]["count"] == 1
    assert body["per_minute"][0]["count"] == 0


def test_a_signed_in_user_is_shown_as_that_user(client, tenant, sender, clock):
    watcher = connect_staff(tenant)
    customer = shopper(client, tenant)
    phone = device()
    assert customer.api.post(REGISTER, register_body(phone, platform="ios")).status_code == 200
    [appeared] = pushed(sender, watcher, "appeared")
    assert appeared["user"]["kind"] == "user" and appeared["user"]["user_id"] == customer.user_id
    # Signing in on a device already online as a guest: one presence, now the user's ("updated").
    guest_then_user = device()
    Api(client, tenant.api_key).post(REGISTER, register_body(guest_then_user))
    customer.api.post(REGISTER, register_body(guest_then_user))
    [updated] = pushed(sender, watcher, "updated")
    assert updated["user"]["kind"] == "user" and updated["online"] == 2
    users = staff_api(client, tenant).get(ADMIN).json
    assert users["signed_in"] == 2 and users["guests"] == 0


def test_another_tenants_staff_never_sees_this_tenants_users(api: Api, tenant, client, sender, clock):
    other = make_tenant()
    ours, theirs = connect_staff(tenant), connect_staff(other)
    api.post(REGISTER, register_body(device()))
    Api(client, other.api_key).post(REGISTER, register_body(device()))
    assert len(pushed(sender, ours, "appeared")) == 1 and pushed(sender, ours, "appeared")[0]["online"] == 1
    assert len(pushed(sender, theirs, "appeared")) == 1
    # Their overview shows only theirs; our key with their staff token is refused.
    assert staff_api(client, other).get(ADMIN).json["online"] == 1
    _, their_token = staff_token(other)
    assert api.get(ADMIN, token=their_token).status_code == 401
    refused = on_connect(ws_event("$connect", new_connection_id(), query={"key": tenant.api_key, "token": their_token}))
    assert refused == {"statusCode": 401}


def test_heartbeat_extends_the_presence_and_expiry_pushes_left(api: Api, tenant, sender, clock):
    watcher = connect_staff(tenant)
    phone = device()
    api.post(REGISTER, register_body(phone))
    clock.now += 60
    assert api.post(HEARTBEAT, {"device_id": phone}).status_code == 200
    clock.now += 60  # 120 s after register, 60 after the beat: alive only thanks to the beat
    assert service.sweep(clock.now, tenant_id=tenant.id) == 0
    assert api.post(HEARTBEAT, {"device_id": phone, "screen": "Cart"}).status_code == 200
    assert pushed(sender, watcher, "screen")[0]["user"]["screen"] == "Cart"

    clock.now += 91  # no beat for longer than the TTL
    assert service.sweep(clock.now, tenant_id=tenant.id) == 1
    [left] = pushed(sender, watcher, "left")
    assert (left["device_id"], left["reason"], left["online"]) == (phone, "expired", 0)
    assert left["user"]["screen"] == "Cart"
    assert service.sweep(clock.now, tenant_id=tenant.id) == 0  # reported once
    late = api.post(HEARTBEAT, {"device_id": phone})
    assert late.status_code == 404 and late.json["error"]["code"] == "presence_unknown"


def test_expired_but_not_yet_swept_is_not_counted_and_a_beat_cannot_revive_it(api: Api, tenant, client, sender, clock):
    phone = device()
    api.post(REGISTER, register_body(phone))
    clock.now += 91
    assert staff_api(client, tenant).get(ADMIN).json["online"] == 0
    assert api.post(HEARTBEAT, {"device_id": phone}).status_code == 404
    assert api.post(REGISTER, register_body(phone)).status_code == 200  # what the app does next
    assert service.sweep(clock.now, tenant_id=tenant.id) == 0  # the new presence is not taken


def test_unregister_leaves_at_once_and_only_once(api: Api, tenant, sender, clock):
    watcher = connect_staff(tenant)
    phone = device()
    api.post(REGISTER, register_body(phone))
    first = api.post(UNREGISTER, {"device_id": phone})
    assert first.status_code == 200 and first.json["online"] is False
    [left] = pushed(sender, watcher, "left")
    assert left["reason"] == "unregister" and left["online"] == 0
    assert api.post(UNREGISTER, {"device_id": phone}).status_code == 200
    assert len(pushed(sender, watcher, "left")) == 1
    clock.now += 500
    assert service.sweep(clock.now, tenant_id=tenant.id) == 0


def test_activity_log_moves_the_screen_and_is_kept_per_device(api: Api, tenant, client, sender, clock):
    watcher = connect_staff(tenant)
    phone = device()
    api.post(REGISTER, register_body(phone, screen="Home"))
    at = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(clock.now))
    later = time.strftime("%Y-%m-%dT%H:%M:%S+03:00", time.gmtime(clock.now + 3 * 3600 + 5))
    old = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(clock.now - 2 * 86400))
    response = api.post(LOG, {"device_id": phone, "events": [
        {"type": "screen", "at": later, "screen": "Ürün Detayı"},
        {"type": "action", "at": at, "name": "add_to_cart"},
        {"type": "screen", "at": old, "screen": "Eski"},
    ]})
    assert response.status_code == 200, response.body
    assert response.json == {"accepted": 2, "dropped": 1}
    [moved] = pushed(sender, watcher, "screen")
    assert moved["user"]["screen"] == "Ürün Detayı"
    history = staff_api(client, tenant).get(f"/api/admin/live-users/activity?device_id={phone}")
    assert history.status_code == 200, history.body
    assert [(e["type"], e["screen"], e["name"]) for e in history.json["items"]] == [
        ("screen", "Ürün Detayı", None), ("action", None, "add_to_cart")]
    # The same screen again is no change: no push.
    api.post(LOG, {"device_id": phone, "events": [{"type": "screen", "at": at, "screen": "Ürün Detayı"}]})
    assert len(pushed(sender, watcher, "screen")) == 1


def test_odd_unicode_screen_names_are_normalised_or_refused(api: Api, tenant, sender, clock):
    watcher = connect_staff(tenant)
    decomposed = "Kamp Çadırı 🏕️ " + unicodedata.normalize("NFD", "Şişme")
    assert api.post(REGISTER, register_body(device(), screen=decomposed)).status_code == 200
    assert pushed(sender, watcher, "appeared")[0]["user"]["screen"] == unicodedata.normalize("NFC", decomposed)
    for bad in ("Home\u202egpj", "Line\nbreak", "\u0000", "x" * 101, "", "\ud800"):
        raw = json.dumps(register_body(device(), screen=bad))
        response = api.post(REGISTER, raw=raw)
        assert response.status_code == 400, (bad, response.body)
        assert set(response.json["error"]) == {"code", "message", "details"}
    assert len(pushed(sender, watcher, "appeared")) == 1  # nothing registered by the refused calls


@pytest.mark.parametrize("body, field", [
    ({"platform": "android", "app_version": "1"}, "device_id"),
    ({"device_id": None, "platform": "android", "app_version": "1"}, "device_id"),
    ({"device_id": "short", "platform": "android", "app_version": "1"}, "device_id"),
    ({"device_id": "ok-device-1", "platform": "windows", "app_version": "1"}, "platform"),
    ({"device_id": "ok-device-1", "platform": None, "app_version": "1"}, "platform"),
    ({"device_id": "ok-device-1", "platform": "ios", "app_version": "1 2"}, "app_version"),
    ({"device_id": "ok-device-1", "platform": "ios", "app_version": "1", "admin": True}, "admin"),
    ({"device_id": "bad device id!", "platform": "ios", "app_version": "1"}, "device_id"),
])
def test_bad_register_input_is_a_400_naming_the_field(api: Api, tenant, sender, body, field):
    watcher = connect_staff(tenant)
    response = api.post(REGISTER, body)
    assert response.status_code == 400, response.body
    error = response.json["error"]
    assert error["code"] == "validation_failed" and error["message"]
    assert field in [f["field"] for f in error["details"]["fields"]]
    assert sender.to(watcher) == []


@pytest.mark.parametrize("events", [
    [],
    [{"type": "screen", "at": "2026-12-06T10:00:00Z"}],  # a screen event without its screen
    [{"type": "screen", "at": "2026-12-06T10:00:00Z", "screen": None}],
    [{"type": "action", "at": "2026-12-06T10:00:00Z"}],  # an action without its name
    [{"type": "screen", "at": "2026-12-06T10:00:00", "screen": "Home"}],  # no offset
    [{"type": "scroll", "at": "2026-12-06T10:00:00Z", "screen": "Home"}],
    [{"type": "screen", "at": None, "screen": "Home"}],
    [{"type": "action", "at": "2026-12-06T10:00:00Z", "name": "a"}] * 51,
])
def test_bad_activity_batches_are_refused_whole(api: Api, tenant, client, events):
    phone = device()
    response = api.post(LOG, {"device_id": phone, "events": events})
    assert response.status_code == 400, response.body
    assert response.json["error"]["code"] == "validation_failed"
    assert staff_api(client, tenant).get(f"/api/admin/live-users/activity?device_id={phone}").json["items"] == []


def test_the_overview_is_staff_only_and_validates_its_query(api: Api, tenant, client):
    assert api.get(ADMIN).status_code == 401
    customer = shopper(client, tenant)
    assert customer.api.get(ADMIN).status_code == 403
    staff = staff_api(client, tenant)
    for query in ("?hours=0", "?hours=25", "?limit=0", "?hours=x"):
        response = staff.get(ADMIN + query)
        assert response.status_code == 400, query
        assert response.json["error"]["code"] == "validation_failed"
    assert staff.get("/api/admin/live-users/activity?device_id=x").status_code == 400


def test_register_is_rate_limited_per_device(api: Api, tenant, sender):
    phone = device()
    answers = [api.post(REGISTER, register_body(phone), headers={"X-Device-Id": phone}).status_code
               for _ in range(31)]
    assert answers[:30] == [200] * 30 and answers[30] == 429
    # Another device of the same network keeps its own budget.
    other = device()
    assert api.post(REGISTER, register_body(other), headers={"X-Device-Id": other}).status_code == 200


# -- the WebSocket handlers, driven with API Gateway's events ----------------------------------
def test_unauthenticated_or_unentitled_connects_are_refused(tenant, client, sender):
    customer = shopper(client, tenant)
    _, staff = staff_token(tenant)
    _, editor = staff_token(tenant, ["editor"])  # staff without users.read
    cases = [
        ({}, 401), ({"key": tenant.api_key}, 401), ({"token": staff}, 401),
        ({"key": "hk_unknown", "token": staff}, 401), ({"key": tenant.api_key, "token": "not-a-jwt"}, 401),
        ({"key": tenant.api_key, "token": customer.api.token or ""}, 403),
        ({"key": tenant.api_key, "token": editor}, 403),
    ]
    for query, status in cases:
        connection_id = new_connection_id()
        assert on_connect(ws_event("$connect", connection_id, query=query)) == {"statusCode": status}, query
        # Not registered: a message on it is answered "not connected", no snapshot.
        assert on_message(ws_event("$default", connection_id, body='{"action":"snapshot"}'))["statusCode"] == 403
    assert not [m for _, m in sender.sent if m["type"] == "snapshot"]


def test_messages_snapshot_ping_and_disconnect(api: Api, tenant, sender, clock):
    watcher = connect_staff(tenant)
    phone = device()
    api.post(REGISTER, register_body(phone, screen="Sepet"))
    on_message(ws_event("$default", watcher, body='{"action": "snapshot"}'))
    [snapshot] = pushed(sender, watcher, "snapshot")
    assert snapshot["online"] == 1 and snapshot["users"][0]["screen"] == "Sepet"
    on_message(ws_event("$default", watcher, body='{"action": "ping"}'))
    assert pushed(sender, watcher, "pong")
    for odd in ("not json", '{"action": 5}', "[]", "x" * 5000, '{"action": "drop tables"}'):
        assert on_message(ws_event("$default", watcher, body=odd)) == {"statusCode": 200}
    assert len(pushed(sender, watcher, "error")) == 5

    on_disconnect(ws_event("$disconnect", watcher))
    sender.clear()
    api.post(REGISTER, register_body(device()))
    assert sender.sent == []


def test_a_gone_connection_is_dropped_from_the_registry(api: Api, tenant, sender):
    from chalicelib.live import connections

    alive, gone = connect_staff(tenant), connect_staff(tenant)
    sender.gone.add(gone)
    api.post(REGISTER, register_body(device()))
    assert connections.members(tenant.id) == [alive]


def test_the_lambda_entry_points_answer_api_gateway(tenant, sender):
    from functions import live_ws

    _, token = staff_token(tenant)
    connection_id = new_connection_id()
    opened = live_ws.ws_connect(ws_event("$connect", connection_id, query={"key": tenant.api_key, "token": token}), None)
    assert opened["statusCode"] == 200
    assert live_ws.ws_message(ws_event("$default", connection_id, body='{"action":"ping"}'), None)["statusCode"] == 200
    assert sender.to(connection_id) == [{"type": "pong"}]
    assert live_ws.ws_connect(ws_event("$connect", new_connection_id(), query={}), None)["statusCode"] == 401
    assert live_ws.ws_disconnect(ws_event("$disconnect", connection_id), None)["statusCode"] == 200


def test_one_lambda_dispatches_the_three_routes(tenant, sender):
    from functions import live_ws

    _, token = staff_token(tenant)
    connection_id = new_connection_id()
    assert live_ws.handler(ws_event("$connect", connection_id, query={"key": tenant.api_key, "token": token}),
                           None)["statusCode"] == 200
    live_ws.handler(ws_event("$default", connection_id, body='{"action":"snapshot"}'), None)
    assert sender.to(connection_id)[0]["type"] == "snapshot"
    live_ws.handler(ws_event("$disconnect", connection_id), None)
    from chalicelib.live import connections

    assert connections.get(connection_id) is None
