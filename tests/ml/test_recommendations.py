"""Recommendations for the apps: the model's answer filtered to the tenant's active products, and
popularity (marked so) when the service is down, slow, erroring or its circuit open."""
from __future__ import annotations

import pytest

from tests.conftest import make_tenant, make_user
from tests.helpers import insert_category, insert_product
from tests.ml.kit import control, free_port, ml_service_at, sell

DEVICE = {"X-Device-Id": "dev-ml-tests-0001"}


@pytest.fixture
def shop(db, tenant):
    make_user(tenant)
    category, _ = insert_category(db, tenant.id)
    other_category, _ = insert_category(db, tenant.id)
    ids = [insert_product(db, tenant.id, f"Ürün {i}", category_id=category) for i in range(4)]
    other = insert_product(db, tenant.id, "Başka", category_id=other_category)
    for units, pid in zip((5, 9, 1, 3), ids, strict=True):
        sell(db, tenant.id, pid, units)
    return {"ids": ids, "other": other, "best": [ids[1], ids[0], ids[3], ids[2]]}


def _ids(response):
    assert response.status_code == 200, response.body
    return [i["product_id"] for i in response.json["items"]]


def test_model_answer_is_hydrated_and_marked(api, ml, shop, tenant):
    a, b = shop["ids"][2], shop["ids"][3]
    control(ml.url, "/_fake/items", {"tenant_id": tenant.id, "items": [[a, 0.9], [b, 0.5]]})
    response = api.get("/api/recommendations?type=for_you&limit=5", headers=DEVICE)
    assert _ids(response) == [a, b]
    body = response.json
    assert body["source"] == "model" and body["model_version"] == "fake-v1"
    first = body["items"][0]
    assert first["name"] == "Ürün 2" and first["score"] == 0.9 and first["slug"] and first["price"]
    assert first["image"].startswith(f"tenants/{tenant.id}/")
    calls = control(ml.url, "/_fake/calls")
    assert calls[-1]["tenant_id"] == tenant.id and calls[-1]["body"]["mode"] == "user"
    assert calls[-1]["body"]["device_id"] == DEVICE["X-Device-Id"]


def test_foreign_inactive_and_unknown_ids_never_appear(api, db, ml, shop, tenant):
    foreign_tenant = make_tenant()
    foreign = insert_product(db, foreign_tenant.id, "Yabancı")
    archived = shop["ids"][0]
    db.session().execute("UPDATE products SET status = 'archived' WHERE tenant_id = %s AND id = %s",
                         (tenant.id, archived))
    sold_out = shop["ids"][2]
    db.session().execute("UPDATE products SET total_stock = 0 WHERE tenant_id = %s AND id = %s", (tenant.id, sold_out))
    keep = shop["ids"][3]
    control(ml.url, "/_fake/items", {"tenant_id": tenant.id, "items": [
        [foreign, 0.99], [archived, 0.9], [sold_out, 0.8], [999999999, 0.7], [keep, 0.5]]})
    response = api.get("/api/recommendations?type=for_you", headers=DEVICE)
    assert _ids(response) == [keep]
    assert response.json["source"] == "model"


def test_only_unusable_ids_fall_back_to_popularity(api, db, ml, shop, tenant):
    foreign = insert_product(db, make_tenant().id, "Yabancı")
    control(ml.url, "/_fake/items", {"tenant_id": tenant.id, "items": [[foreign, 0.99]]})
    response = api.get("/api/recommendations?type=for_you&limit=3", headers=DEVICE)
    assert _ids(response) == shop["best"][:3] and foreign not in _ids(response)
    assert response.json["source"] == "popularity" and response.json["model_version"] is None


def test_tenant_without_a_model_answer_is_popularity(api, ml, shop, tenant):
    response = api.get("/api/recommendations?type=for_you&limit=2", headers=DEVICE)
    assert response.json["source"] == "popularity"
    assert _ids(response) == shop["best"][:2]


def test_similar_and_bought_together_fallbacks(api, db, ml, shop, tenant):
    control(ml.url, "/_fake/mode", {"mode": "error"})
    base = shop["ids"][0]
    similar = api.get(f"/api/recommendations?type=similar&product_id={base}", headers=DEVICE)
    assert _ids(similar)[:3] == [p for p in shop["best"] if p != base][:3]  # same category first
    assert shop["other"] in _ids(similar)  # then the rest of the shop
    assert similar.json["source"] == "popularity"
    # co-occurrence: an order with base and other
    sell(db, tenant.id, base, 1)
    order_id = db.session().scalar("SELECT MAX(order_id) FROM order_items WHERE tenant_id = %s", (tenant.id,))
    db.session().execute(
        """INSERT INTO order_items (tenant_id, order_id, product_id, name, sku, unit_price, vat_rate, quantity, line_total)
           VALUES (%s, %s, %s, 'x', 'x', 10, 20, 1, 10)""", (tenant.id, order_id, shop["other"]))
    together = api.get(f"/api/recommendations?type=bought_together&product_ids={base}", headers=DEVICE)
    assert _ids(together)[0] == shop["other"] and base not in _ids(together)


def test_service_down_slow_or_erroring_still_answers(api, ml, shop, tenant):
    control(ml.url, "/_fake/items", {"tenant_id": tenant.id, "items": [[shop["ids"][2], 0.9]]})
    control(ml.url, "/_fake/mode", {"mode": "slow", "delay_s": 1.5})
    slow = api.get("/api/recommendations?type=for_you&limit=2", headers=DEVICE)
    assert slow.json["source"] == "popularity" and _ids(slow) == shop["best"][:2]
    control(ml.url, "/_fake/mode", {"mode": "error"})
    failing = api.post("/api/ml/recommend", {"type": "for_you", "limit": 2, "exclude": [shop["best"][0]]},
                       headers=DEVICE)
    assert failing.json["source"] == "popularity" and _ids(failing) == shop["best"][1:3]


def test_stopped_service_answers_popularity(api, shop):
    with ml_service_at(f"http://127.0.0.1:{free_port()}"):
        response = api.get("/api/recommendations?type=for_you&limit=2", headers=DEVICE)
        assert response.json["source"] == "popularity" and _ids(response) == shop["best"][:2]
        health = api.get("/api/ml/health")
        assert health.status_code == 200 and health.json["status"] == "unavailable" and health.json["fallback"]


def test_breaker_opens_then_half_opens(api, ml, shop, tenant, monkeypatch):
    from chalicelib.ml import breaker as cb
    from chalicelib.ml.client import breaker

    monkeypatch.setattr(cb, "FAILURES", 2)
    monkeypatch.setattr(cb, "COOL_DOWN_SECONDS", 0.3)
    control(ml.url, "/_fake/items", {"tenant_id": tenant.id, "items": [[shop["ids"][2], 0.9]]})
    control(ml.url, "/_fake/mode", {"mode": "error"})
    for _ in range(2):
        api.get("/api/recommendations", headers=DEVICE)
    assert breaker().state() == cb.OPEN
    calls = len(control(ml.url, "/_fake/calls"))
    control(ml.url, "/_fake/mode", {"mode": "ok"})
    response = api.get("/api/recommendations", headers=DEVICE)
    assert response.json["source"] == "popularity"  # open: not even asked
    assert len(control(ml.url, "/_fake/calls")) == calls
    import time

    time.sleep(0.35)
    assert breaker().state() == cb.HALF_OPEN
    assert breaker().allow() and not breaker().allow()  # one probe only
    breaker().failure()  # the probe failed: open again
    assert breaker().state() == cb.OPEN
    time.sleep(0.35)
    response = api.get("/api/recommendations", headers=DEVICE)  # this call is the probe, and succeeds
    assert response.json["source"] == "model"
    assert breaker().state() == cb.CLOSED


def test_signed_in_customer_gets_personal_answers(client, ml, shop, tenant):
    from tests.conftest import Api
    from tests.orders_kit import sign_in

    user_id, _, _ = make_user(tenant)
    customer = Api(client, tenant.api_key)
    customer.token = sign_in(tenant.id, user_id)
    control(ml.url, "/_fake/items", {"tenant_id": tenant.id, "items": [[shop["ids"][3], 0.4]]})
    response = customer.get("/api/recommendations")
    assert _ids(response) == [shop["ids"][3]]
    assert control(ml.url, "/_fake/calls")[-1]["body"]["user_id"] == user_id


@pytest.mark.parametrize("path", [
    "/api/recommendations?type=nope", "/api/recommendations?limit=0", "/api/recommendations?limit=51",
    "/api/recommendations?type=similar", "/api/recommendations?product_id=abc", "/api/recommendations?bogus=1",
])
def test_bad_input_is_400_in_the_one_shape(api, ml, path):
    response = api.get(path, headers=DEVICE)
    assert response.status_code == 400, response.body
    assert set(response.json["error"]) >= {"code", "message"}


def test_bad_body_and_guest_without_device(api, ml):
    response = api.post("/api/ml/recommend", {"type": "for_you", "exclude": [0]}, headers=DEVICE)
    assert response.status_code == 400 and response.json["error"]["code"] == "validation_failed"
    response = api.get("/api/recommendations")
    assert response.status_code == 400 and response.json["error"]["code"] == "device_required"
    assert api.post("/api/ml/recommend", raw="{nope", headers=DEVICE).status_code == 400


def test_no_api_key_is_401(client, ml):
    from tests.conftest import Api

    assert Api(client, None).get("/api/recommendations", headers=DEVICE).status_code == 401
