"""Carrier updates into shipments (S2, S3): signed webhooks from the fake carrier over real HTTP
(through the relay into the app), replays, out-of-order events, and the poll job."""
# ruff: noqa: F811 - the fixtures imported from shipping_kit are parameters by design
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from typing import Any

import pytest

from chalicelib.platform.db import get_db
from chalicelib.shipping import polling
from tests.conftest import Api, login, make_tenant, make_user
from tests.e2e.shipping_kit import (  # noqa: F401 - fixtures
    SECRET,
    carrier,
    carrier_server,
    configure,
    events,
    insert_order,
    order_row,
    outbox,
    relay,
    shipment_row,
    subscribe,
    timeline,
    utc,
)

SHIP = "/api/admin/orders/{}/shipments"


@pytest.fixture
def shop(client: Any, tenant: Any, admin_api: Api, carrier: Any, relay: Any) -> dict[str, Any]:
    """A customer with a paid order booked with Yurtiçi, the store subscribed to webhooks."""
    user_id, email, password = make_user(tenant)
    me = Api(client, tenant.api_key)
    me.token = login(me, email, password)["access_token"]
    order_id, _ = insert_order(tenant.id, user_id)
    shipment = admin_api.post(SHIP.format(order_id), {"carrier": "yurtici"}).json
    subscribe(carrier, relay, tenant.api_key)
    return {"me": me, "order_id": order_id, "shipment": shipment, "tracking": shipment["tracking_number"]}


def statuses_of(tenant_id: int, shipment_id: int) -> list[str]:
    return [e["status"] for e in events(tenant_id, shipment_id)]


def signed(body: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    mac = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"X-Carrier-Timestamp": ts, "X-Carrier-Signature": f"v1={mac}"}


def webhook_body(tracking: str, status: str, occurred_at: dt.datetime, code: str = "yurtici") -> bytes:
    return json.dumps({"id": f"evt_{time.time_ns()}", "type": "tracking.updated", "created_at": "2025-01-01T00:00:00Z",
                       "data": {"tracking_number": tracking, "carrier": code, "reference": None,
                                "event": {"id": "x", "status": status, "description": "Şube", "location": "İzmir",
                                          "occurred_at": occurred_at.isoformat()}}},
                      ensure_ascii=False).encode()


# -- webhooks ---------------------------------------------------------------------------------
def test_carrier_webhooks_move_the_shipment_and_delivery_completes_the_order(tenant, shop, carrier, relay):
    shipment_id = shop["shipment"]["id"]
    for expected in ("picked_up", "in_transit", "out_for_delivery"):
        answer = carrier.advance(shop["tracking"])
        assert [d["status"] for d in answer["deliveries"]] == [200]
        assert shipment_row(tenant.id, shipment_id)["status"] == expected
    assert relay.received[0]["path"] == "/api/shipping/webhooks/yurtici"
    assert order_row(tenant.id, shop["order_id"])["status"] == "shipped"

    carrier.advance(shop["tracking"])  # delivered
    row = shipment_row(tenant.id, shipment_id)
    assert row["status"] == "delivered" and row["delivered_at"] is not None and row["poll_due_at"] is None
    order = order_row(tenant.id, shop["order_id"])
    assert order["status"] == "delivered" and order["delivered_at"] is not None
    assert timeline(tenant.id, shop["order_id"])[-1] == ("shipped", "delivered", "system")
    last = [e for e in outbox(tenant.id, shop["order_id"]) if e["type"] != "OrderBonusStatus"][-1]
    assert (last["type"], last["to"], last["actor"], last["tracking_number"]) == (
        "OrderStatusChanged", "delivered", "system", shop["tracking"])

    seen = shop["me"].get(f"/api/orders/{shop['order_id']}/shipments").json["items"][0]
    assert seen["status_text"] == "Teslim edildi"
    assert [(e["status"], e["source"]) for e in seen["events"]] == [
        ("label_created", "system"), ("picked_up", "carrier"), ("in_transit", "carrier"),
        ("out_for_delivery", "carrier"), ("delivered", "carrier")]
    assert seen["events"][1]["description"] == "Gönderi kargo şubesince teslim alındı"  # the carrier's words, UTF-8


def test_a_webhook_delivered_twice_is_stored_once(tenant, shop, carrier):
    answer = carrier.advance(shop["tracking"])
    event_id = answer["deliveries"][0]["event_id"]
    again = carrier.deliver(event_id)  # the carrier's at-least-once retry
    assert [d["status"] for d in again] == [200]
    assert statuses_of(tenant.id, shop["shipment"]["id"]) == ["label_created", "picked_up"]
    # The same event reported by the poll is a duplicate too.
    assert polling.poll_due(get_db(), now=utc(60 * 7).replace(tzinfo=None))["events_stored"] == 0
    assert statuses_of(tenant.id, shop["shipment"]["id"]) == ["label_created", "picked_up"]


def test_the_replayed_webhook_answers_duplicate(client, tenant, shop, carrier, relay):
    carrier.advance(shop["tracking"])
    first = relay.received[-1]
    replay = client.http.request("POST", first["path"], headers=first["headers"], body=first["body"])
    assert replay.status_code == 200 and json.loads(replay.body) == {"result": "duplicate"}


def test_out_of_order_events_never_move_a_shipment_back(tenant, shop, carrier):
    shipment_id = shop["shipment"]["id"]
    carrier.advance(shop["tracking"], "in_transit", occurred_at=utc(-10))
    carrier.advance(shop["tracking"], "picked_up", occurred_at=utc(-60))  # reported late
    row = shipment_row(tenant.id, shipment_id)
    assert row["status"] == "in_transit"
    assert row["shipped_at"] < row["last_event_at"]  # shipped when it was really picked up
    assert statuses_of(tenant.id, shipment_id) == ["picked_up", "in_transit", "label_created"]  # by when they happened

    carrier.advance(shop["tracking"], "out_for_delivery", occurred_at=utc(-5))
    carrier.advance(shop["tracking"], "delivery_failed", occurred_at=utc(-4))
    assert shipment_row(tenant.id, shipment_id)["status"] == "failed_delivery"
    carrier.advance(shop["tracking"], "out_for_delivery", occurred_at=utc(-2))  # the next day's round
    assert shipment_row(tenant.id, shipment_id)["status"] == "out_for_delivery"

    carrier.advance(shop["tracking"], "delivered", occurred_at=utc(-1))
    carrier.advance(shop["tracking"], "in_transit", occurred_at=utc(0))  # a stray scan after delivery
    assert shipment_row(tenant.id, shipment_id)["status"] == "delivered"
    assert order_row(tenant.id, shop["order_id"])["status"] == "delivered"


def test_a_late_reported_delivery_still_ends_the_journey(tenant, shop, carrier):
    carrier.advance(shop["tracking"], "out_for_delivery", occurred_at=utc(-1))
    carrier.advance(shop["tracking"], "delivered", occurred_at=utc(-30))  # courier's handheld synced late
    row = shipment_row(tenant.id, shop["shipment"]["id"])
    assert row["status"] == "delivered" and order_row(tenant.id, shop["order_id"])["status"] == "delivered"


def test_unsigned_forged_stale_or_tampered_webhooks_are_401_and_store_nothing(client, tenant, shop, carrier,
                                                                               relay):
    api = Api(client, tenant.api_key)
    path = "/api/shipping/webhooks/yurtici"
    body = webhook_body(shop["tracking"], "delivered", utc())
    tampered = body.replace(b'"delivered"', b'"returned_to_sender"')
    cases = {
        "signature_missing": {},
        "signature_mismatch": signed(body, secret="not-the-secret"),
        "timestamp_outside_window": signed(body, timestamp=int(time.time()) - 301),
    }
    for reason, headers in cases.items():
        r = api.request("POST", path, raw=body, headers=headers)
        assert r.status_code == 401, (reason, r.body)
        assert r.json["error"] == {"code": "webhook_signature_invalid", "message": "Webhook imzası doğrulanamadı.",
                                   "details": {"reason": reason}}
    r = api.request("POST", path, raw=tampered, headers=signed(body))  # a valid signature of other bytes
    assert r.status_code == 401 and r.json["error"]["details"]["reason"] == "signature_mismatch"
    r = api.request("POST", path, raw=b"{not json", headers=signed(b"{other"))  # never parsed unless signed
    assert r.status_code == 401
    assert statuses_of(tenant.id, shop["shipment"]["id"]) == ["label_created"]
    assert order_row(tenant.id, shop["order_id"])["status"] == "shipped"

    ok = api.request("POST", path, raw=body, headers=signed(body))  # the same body, properly signed
    assert ok.status_code == 200 and ok.json == {"result": "stored"}
    assert order_row(tenant.id, shop["order_id"])["status"] == "delivered"


def test_signed_but_malformed_webhooks_are_400(client, tenant, shop):
    api = Api(client, tenant.api_key)
    for body in (b"{not json", json.dumps({"id": "e", "type": "tracking.updated"}).encode(),
                 webhook_body(shop["tracking"], "in_transit", utc()).replace(b"+00:00", b"")):  # no offset
        r = api.request("POST", "/api/shipping/webhooks/yurtici", raw=body, headers=signed(body))
        assert r.status_code == 400 and r.json["error"]["code"] in ("validation_failed", "invalid_json"), r.body
    assert statuses_of(tenant.id, shop["shipment"]["id"]) == ["label_created"]


def test_webhooks_need_the_store_key_and_a_carrier_we_take(client, tenant, shop, monkeypatch):
    body = webhook_body(shop["tracking"], "in_transit", utc())
    no_key = Api(client, None).request("POST", "/api/shipping/webhooks/yurtici", raw=body, headers=signed(body))
    assert no_key.status_code == 401 and no_key.json["error"]["code"] == "api_key_missing"
    configure(monkeypatch, CARRIER_CODES="aras")
    api = Api(client, tenant.api_key)
    assert api.request("POST", "/api/shipping/webhooks/yurtici", raw=body, headers=signed(body)).status_code == 404
    assert api.request("POST", "/api/shipping/webhooks/fedex", raw=body, headers=signed(body)).status_code == 404
    assert statuses_of(tenant.id, shop["shipment"]["id"]) == ["label_created"]


def test_another_stores_signed_webhook_cannot_touch_this_stores_shipment(client, tenant, shop, carrier):
    other = make_tenant()
    body = webhook_body(shop["tracking"], "delivered", utc())
    r = Api(client, other.api_key).request("POST", "/api/shipping/webhooks/yurtici", raw=body, headers=signed(body))
    assert r.status_code == 200 and r.json == {"result": "ignored"}  # 2xx, or the carrier retries for days
    wrong_carrier = webhook_body(shop["tracking"], "delivered", utc(), code="aras")
    r = Api(client, tenant.api_key).request("POST", "/api/shipping/webhooks/yurtici", raw=wrong_carrier,
                                            headers=signed(wrong_carrier))
    assert r.json == {"result": "ignored"}
    assert statuses_of(tenant.id, shop["shipment"]["id"]) == ["label_created"]
    assert order_row(tenant.id, shop["order_id"])["status"] == "shipped"


def test_rotated_webhook_secrets_both_verify(client, tenant, shop, monkeypatch):
    configure(monkeypatch, CARRIER_WEBHOOK_SECRET=f"new-secret,{SECRET}")
    api = Api(client, tenant.api_key)
    for secret, status in (("new-secret", "picked_up"), (SECRET, "in_transit")):
        body = webhook_body(shop["tracking"], status, utc())
        assert api.request("POST", "/api/shipping/webhooks/yurtici", raw=body,
                           headers=signed(body, secret=secret)).json == {"result": "stored"}
    assert statuses_of(tenant.id, shop["shipment"]["id"]) == ["label_created", "picked_up", "in_transit"]


# -- polling ----------------------------------------------------------------------------------
@pytest.fixture
def polled(client: Any, tenant: Any, admin_api: Api, carrier: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """PTT pushes no webhooks here: its shipments are polled."""
    configure(monkeypatch, CARRIER_WEBHOOK_CODES="yurtici,aras,mng,surat")
    user_id, _, _ = make_user(tenant)
    order_id, _ = insert_order(tenant.id, user_id)
    shipment = admin_api.post(SHIP.format(order_id), {"carrier": "ptt"}).json
    return {"order_id": order_id, "id": shipment["id"], "tracking": shipment["tracking_number"],
            # responses carry UTC with an offset ("…Z"); the columns and `later` are naive UTC
            "due": dt.datetime.fromisoformat(shipment["poll_due_at"]).astimezone(dt.timezone.utc).replace(tzinfo=None)}


def later(minutes: float) -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + dt.timedelta(minutes=minutes)


def asked(server: Any, tracking: str) -> int:
    return server.calls.count(("GET", f"/v1/tracking/{tracking}"))


# The job runs over every tenant of the session's database, so these tests look at their own
# shipments (rows and carrier calls), not at the run's totals.
def test_the_poll_job_brings_carrier_events_for_carriers_without_webhooks(tenant, polled, carrier):
    assert polled["due"] <= later(11)  # every run, not the webhook safety net
    polling.poll_due(get_db(), now=later(1))
    assert asked(carrier, polled["tracking"]) == 0  # not due yet
    for _ in range(3):
        carrier.advance(polled["tracking"], notify=False)
    polling.poll_due(get_db(), now=later(11))
    assert asked(carrier, polled["tracking"]) == 1
    row = shipment_row(tenant.id, polled["id"])
    assert row["status"] == "out_for_delivery" and row["poll_failures"] == 0
    # label_created is recorded once, though the carrier's track() reports its own "created" too.
    assert statuses_of(tenant.id, polled["id"]) == ["label_created", "picked_up", "in_transit", "out_for_delivery"]

    carrier.advance(polled["tracking"], notify=False)  # delivered
    polling.poll_due(get_db(), now=row["poll_due_at"])
    row = shipment_row(tenant.id, polled["id"])
    assert row["status"] == "delivered" and row["poll_due_at"] is None  # never asked again
    assert order_row(tenant.id, polled["order_id"])["status"] == "delivered"
    assert timeline(tenant.id, polled["order_id"])[-1] == ("shipped", "delivered", "system")
    polling.poll_due(get_db(), now=later(60 * 24 * 30))
    assert asked(carrier, polled["tracking"]) == 2


def test_a_failing_carrier_backs_off_and_other_shipments_go_on(tenant, polled, carrier):
    carrier.fail_next(f"/v1/tracking/{polled['tracking']}", 503)
    polling.poll_due(get_db(), now=later(11))
    row = shipment_row(tenant.id, polled["id"])
    assert row["poll_failures"] == 1 and row["poll_due_at"] >= later(11 + 19)  # 20 min later, not every run
    carrier.advance(polled["tracking"], notify=False)
    polling.poll_due(get_db(), now=row["poll_due_at"])
    row = shipment_row(tenant.id, polled["id"])
    assert row["poll_failures"] == 0 and row["status"] == "picked_up"


def test_one_run_is_bounded_and_overlapping_runs_do_not_ask_twice(tenant, admin_api, polled, carrier):
    user_id, _, _ = make_user(tenant)
    more = []
    for _ in range(3):
        order_id, _ = insert_order(tenant.id, user_id)
        more.append(admin_api.post(SHIP.format(order_id), {"carrier": "ptt"}).json["id"])
    mine = [shipment_row(tenant.id, i)["tracking_number"] for i in [polled["id"], *more]]
    carrier.calls.clear()
    first = polling.poll_due(get_db(), now=later(11), limit=2)
    assert first["due"] == 2 and first["polled"] + first["failed"] == 2  # bounded
    polling.poll_due(get_db(), now=later(11), limit=1000)  # the first run's claims are leased
    assert [asked(carrier, t) for t in mine] == [1, 1, 1, 1]


def test_the_poll_stops_when_the_lambda_is_about_to_time_out(tenant, polled, carrier):
    counts = polling.poll_due(get_db(), now=later(11), time_left=lambda: 5.0)
    assert counts["due"] >= 1 and counts["polled"] == counts["failed"] == 0
    assert asked(carrier, polled["tracking"]) == 0
    assert shipment_row(tenant.id, polled["id"])["poll_due_at"] == polled["due"]  # untouched: next run takes it


def test_the_scheduled_handler_runs_the_poll(client, tenant, polled, carrier):
    get_db().session().execute("UPDATE shipments SET poll_due_at = UTC_TIMESTAMP(6) - INTERVAL 1 MINUTE "
                               "WHERE tenant_id = %s AND id = %s", (tenant.id, polled["id"]))
    carrier.advance(polled["tracking"], notify=False)
    event = client.events.generate_cw_event("aws.events", "Scheduled Event", {}, ["arn:aws:events:rule/shipping_poll"])
    # chalice.test's Lambda context allows 3 s: too little for the job's 10 s reserve, so it
    # takes nothing (as a real 3 s function should); the deployed function gets minutes.
    assert client.lambda_.invoke("shipping_poll", event).payload["polled"] == 0
    assert asked(carrier, polled["tracking"]) == 0

    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 120_000

    from app import app

    result = app.handler_map["shipping_poll"](event, Context())
    assert result["polled"] >= 1 and asked(carrier, polled["tracking"]) == 1
    assert shipment_row(tenant.id, polled["id"])["status"] == "picked_up"
