"""Training jobs against the real model modules: recommender, segments (written back), purchase."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from huglu_ml import db, store, trainer
from huglu_ml.registry import get_registry
from tests.conftest import headers
from tests.test_realtime import _train

pytestmark = pytest.mark.usefixtures("clean")


def _shop(tenant: int, customers: int = 40, products: int = 30, orders_each: int = 4, seed: int = 1) -> None:
    """A small shop: customers buy from two taste groups, most of it paid, some cancelled."""
    rng = random.Random(seed)
    start = datetime(2026, 6, 1)
    with db.cursor() as cur:
        for pid in range(1, products + 1):
            cur.execute("INSERT INTO products (id, tenant_id, status, sold_count) VALUES (%s, %s, 'active', %s)",
                        (tenant * 1000 + pid, tenant, rng.randint(0, 50)))
        for c in range(1, customers + 1):
            group = range(1, products // 2 + 1) if c % 2 else range(products // 2 + 1, products + 1)
            for o in range(rng.randint(1, orders_each)):
                status = "cancelled" if rng.random() < 0.1 else rng.choice(["paid", "delivered", "shipped"])
                at = start + timedelta(days=rng.randint(0, 150), minutes=o)
                picks = rng.sample(list(group), 3)
                total = sum(10 * p for p in picks)
                cur.execute("INSERT INTO orders (tenant_id, user_id, status, grand_total, placed_at) "
                            "VALUES (%s, %s, %s, %s, %s)", (tenant, tenant * 10000 + c, status, total, at))
                order_id = cur.lastrowid
                for p in picks:
                    cur.execute("INSERT INTO order_items (tenant_id, order_id, product_id, unit_price, quantity) "
                                "VALUES (%s, %s, %s, %s, %s)", (tenant, order_id, tenant * 1000 + p, 10 * p, 1))


def test_frames_are_tenant_scoped_and_skip_cancelled():
    from huglu_ml import datasets

    _shop(1)
    _shop(2, customers=5)
    lines = datasets.recommender_lines(1)
    assert set(lines.columns) == {"customer", "item", "order", "quantity", "price", "at"}
    assert lines["customer"].map(lambda c: c.startswith("1")).all()
    assert lines["item"].map(lambda i: 1000 < int(i) < 2000).all()
    with db.cursor() as cur:
        cur.execute("SELECT COUNT(*) AS n FROM order_items oi JOIN orders o ON o.id = oi.order_id "
                    "WHERE o.tenant_id = 1 AND o.status <> 'cancelled'")
        assert len(lines) == cur.fetchone()["n"]
    orders = datasets.segment_orders(2)
    assert orders["customer"].map(lambda c: c.startswith("2")).all()
    assert datasets.sufficiency(lines).enough and not datasets.sufficiency(datasets.recommender_lines(2)).enough


def test_train_recommender_and_segments_then_serve(client):
    pytest.importorskip("huglu_ml.recommender")
    _shop(1)
    job = _train(client, ["recommender", "segments"])
    assert job["status"] == "succeeded", job
    assert set(job["versions"]) == {"recommender", "segments"}

    answer = client.post("/api/recommend", json={"mode": "user", "user_id": 10001, "k": 5}, headers=headers(1)).json()
    assert answer["model_version"] == job["versions"]["recommender"] and len(answer["items"]) == 5
    assert all(1000 < i["product_id"] < 2000 for i in answer["items"])
    similar = client.post("/api/recommend", json={"mode": "similar", "product_id": 1001, "k": 5},
                          headers=headers(1)).json()
    assert 1001 not in [i["product_id"] for i in similar["items"]]

    segments = client.get("/api/segments", headers=headers(1)).json()
    assert segments["model_version"] == job["versions"]["segments"] and segments["segments"]
    assert sum(s["size"] for s in segments["segments"]) == len(
        {u for u in range(10001, 10041)}) - _customers_without_purchase(1)
    name = segments["segments"][0]["name"]
    page = client.get(f"/api/segments/{name}/customers?limit=2", headers=headers(1)).json()
    assert len(page["items"]) == min(2, segments["segments"][0]["size"])
    with db.cursor() as cur:
        cur.execute("SELECT COUNT(*) AS n FROM user_data WHERE tenant_id = 1 AND segment IS NOT NULL")
        assert cur.fetchone()["n"] == sum(s["size"] for s in segments["segments"])
    assert client.get("/api/segments", headers=headers(2)).json()["model_version"] is None


def _customers_without_purchase(tenant: int) -> int:
    with db.cursor() as cur:
        cur.execute("SELECT COUNT(DISTINCT user_id) AS n FROM orders WHERE tenant_id = %s", (tenant,))
        everyone = cur.fetchone()["n"]
        cur.execute("SELECT COUNT(DISTINCT user_id) AS n FROM orders WHERE tenant_id = %s AND status <> 'cancelled'",
                    (tenant,))
        return 40 - everyone + (everyone - cur.fetchone()["n"])


def test_small_tenant_gets_the_fallback_and_skips_segments(client):
    pytest.importorskip("huglu_ml.recommender")
    _shop(3, customers=4, orders_each=1)
    job = _train(client, ["recommender", "segments", "anomaly"], tenant=3)
    assert job["status"] == "succeeded", job
    assert job["results"]["anomaly"]["status"] == "skipped"
    models = client.get("/api/models", headers=headers(3)).json()["items"]
    rec = [m for m in models if m["kind"] == "recommender"]
    assert rec and rec[0]["fallback"] is True
    answer = client.post("/api/recommend", json={"mode": "user", "user_id": 30001}, headers=headers(3)).json()
    assert answer["source"] == "popularity" and answer["items"]


def test_purchase_model_scores_live_sessions(client):
    pytest.importorskip("huglu_ml.purchase")
    result = trainer.run_job(1, ["purchase"])
    assert result["status"] == "succeeded", result
    now = datetime.utcnow()
    for i, etype in enumerate(["screen", "product_view", "product_view", "add_to_cart"]):
        store.push_session_event(1, "hot", {"type": etype, "at": (now + timedelta(seconds=40 * i)).isoformat(),
                                            "screen": "product", "device_id": "dev-hot", "user_id": 5},
                                 now.timestamp())
    store.push_session_event(1, "cold", {"type": "screen", "at": now.isoformat(), "screen": "home",
                                         "device_id": "dev-cold", "user_id": None}, now.timestamp())
    buyers = client.post("/api/predict", json={"kind": "likely_buyers", "limit": 5}, headers=headers(1)).json()
    assert [p["session_id"] for p in buyers["predictions"]] == ["hot", "cold"]
    assert buyers["model_version"] == get_registry().aliases(1, "purchase")["champion"]
    direct = client.post("/api/predict", json={"kind": "purchase", "sessions": [{"device_id": "dev-hot"},
                                                                                {"session_id": "nothing"}]},
                         headers=headers(1)).json()
    assert len(direct["predictions"]) == 2 and all(0 <= p["probability"] <= 1 for p in direct["predictions"])
    other = client.post("/api/predict", json={"kind": "likely_buyers"}, headers=headers(2))
    assert other.status_code == 404 and other.json()["error"]["code"] == "no_model"


def test_a_job_in_a_child_process(client, monkeypatch):
    """The default mode: training runs in ``python -m huglu_ml.trainer`` and reports through Redis."""
    from huglu_ml import config

    monkeypatch.setenv("ML_TRAIN_MODE", "process")
    config.get_settings.cache_clear()
    _shop(4, customers=30)
    job = _train(client, ["segments"], tenant=4)
    assert job["status"] == "succeeded", job
    assert job["results"]["segments"]["models"][0]["alias"] == "champion"
    assert get_registry().aliases(4, "segments", fresh=True)["champion"] == job["versions"]["segments"]
