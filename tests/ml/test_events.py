"""Events to the ML service on the "events" queue (read back from the moto queue): the app's
product views, an order placed, sign-ins."""
from __future__ import annotations

import datetime as dt

from tests.conftest import login, make_user
from tests.ml.kit import drain_events, events_of
from tests.orders_kit import checkout, fill_cart, product, shopper

DEVICE = "dev-ml-events-0001"


def test_app_activity_reaches_the_events_queue(api, tenant):
    drain_events()
    at = dt.datetime.now(dt.UTC).isoformat()
    response = api.post("/api/user-data/log", {"device_id": DEVICE, "events": [
        {"type": "action", "name": "product_view", "product_id": 42, "at": at, "screen": "ProductDetail"},
        {"type": "action", "name": "search", "query": "çadır", "at": at},
        {"type": "action", "name": "add_to_cart", "product_id": 42, "at": at},
        {"type": "action", "name": "share", "at": at},
        {"type": "screen", "screen": "Home", "at": at},
    ]})
    assert response.status_code == 200 and response.json["accepted"] == 5
    sent = events_of(tenant.id)
    assert sorted(e["type"] for e in sent) == ["add_to_cart", "product_view", "screen", "search"]
    view = next(e for e in sent if e["type"] == "product_view")
    assert view["payload"]["product_id"] == 42 and view["device_id"] == DEVICE and view["user_id"] is None
    assert view["id"] and view["at"].endswith("Z") and view["session_id"] is None
    assert next(e for e in sent if e["type"] == "search")["payload"]["query"] == "çadır"
    from chalicelib.ml.events import recent_views

    assert recent_views(tenant.id, DEVICE) == [42]


def test_activity_fields_are_validated(api):
    at = dt.datetime.now(dt.UTC).isoformat()
    bad = api.post("/api/user-data/log", {"device_id": DEVICE, "events": [
        {"type": "action", "name": "product_view", "product_id": 0, "at": at}]})
    assert bad.status_code == 400
    long = api.post("/api/user-data/log", {"device_id": DEVICE, "events": [
        {"type": "action", "name": "search", "query": "x" * 201, "at": at}]})
    assert long.status_code == 400


def test_order_placed_reaches_the_events_queue(client, db, tenant):
    who = shopper(client, tenant)
    product_id, variation_id = product(db, tenant.id, price="100.00")
    fill_cart(db, tenant.id, who.user_id, [(product_id, variation_id, 2)])
    drain_events()
    response = checkout(who, payment_method="eft")
    assert response.status_code == 201, response.body
    placed = events_of(tenant.id, "order_placed")
    assert len(placed) == 1
    payload = placed[0]["payload"]
    assert payload["order_id"] == response.json["id"] and payload["status"] == "pending_payment"
    assert payload["items"] == [{"product_id": product_id, "quantity": 2, "unit_price": "100.00"}]
    assert payload["user_id"] == who.user_id and placed[0]["user_id"] == who.user_id
    assert payload["total"]


def test_logins_reach_the_events_queue(api, tenant):
    _, email, password = make_user(tenant)
    drain_events()
    assert api.post("/api/users/login", {"email": email, "password": "Yanlis-12345"},
                    headers={"X-Device-Id": DEVICE}).status_code == 401
    login(api, email, password)
    sent = events_of(tenant.id, "login")
    assert [e["payload"]["outcome"] for e in sent] == ["failure", "success"]
    assert sent[0]["device_id"] == DEVICE and sent[0]["payload"]["ip"]
    assert sent[0]["payload"]["user_id"] == sent[1]["user_id"]


def test_payment_attempt_event_carries_the_bin_only():
    from chalicelib.ml import api as ml

    drain_events()
    ml.payment_attempt(None, 7, order_id=1, user_id=2, outcome="declined", amount=None,
                       card_bin="5528 7900 0000 0008", ip="198.51.100.7", device_id=None)
    sent = [e for e in drain_events() if e["tenant_id"] == 7]
    assert sent[0]["type"] == "payment_attempt" and sent[0]["payload"]["card_bin"] == "55287900"


def test_a_failing_queue_never_fails_the_caller(monkeypatch):
    from chalicelib.ml import api as ml
    from chalicelib.platform import queue

    def broken(*_a, **_k):
        raise RuntimeError("sqs down")

    monkeypatch.setattr(queue, "send_batch", broken)
    ml.record_event(1, "screen", {"screen": "Home"})  # logged, not raised
