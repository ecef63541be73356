"""The registry (versions, champion / challenger, activate, rollback), tenant isolation and /api/recommend."""

from __future__ import annotations

import pytest

from huglu_ml import db, store
from huglu_ml.registry import LOADERS, get_registry
from tests.conftest import headers
from tests.fakes import PopRecommender

LINES = [("1", "10"), ("1", "11"), ("2", "10"), ("2", "11"), ("2", "12"), ("3", "12"), ("3", "13"), ("4", "10")]

pytestmark = pytest.mark.usefixtures("clean")


@pytest.fixture(autouse=True)
def fake_recommender():
    LOADERS["recommender"] = PopRecommender.load


def _save(tenant: int, ndcg: float, activate: str = "auto", fallback: bool = False) -> str:
    registry = get_registry()
    meta = registry.save(tenant, "recommender", PopRecommender.from_lines(LINES, ndcg, fallback), rows=len(LINES))
    registry.promote(tenant, "recommender", meta, activate)
    return meta["version"]


def _products(tenant: int, sold: dict[int, int]) -> None:
    with db.cursor() as cur:
        for pid, count in sold.items():
            cur.execute("INSERT INTO products (id, tenant_id, status, sold_count) VALUES (%s, %s, 'active', %s)",
                        (pid, tenant, count))


def test_champion_challenger_activate_rollback(client):
    v1 = _save(1, 0.30)
    v2 = _save(1, 0.25)  # worse: becomes the challenger
    aliases = get_registry().aliases(1, "recommender", fresh=True)
    assert aliases["champion"] == v1 and aliases["challenger"] == v2
    v3 = _save(1, 0.31)  # not worse: champion, v1 goes on the history
    aliases = get_registry().aliases(1, "recommender", fresh=True)
    assert aliases["champion"] == v3 and aliases["history"] == [v1]

    items = client.get("/api/models", headers=headers(1)).json()["items"]
    by_version = {i["version"]: i for i in items if i["kind"] == "recommender"}
    assert set(by_version) == {v1, v2, v3}
    assert by_version[v3]["alias"] == "champion" and by_version[v2]["alias"] == "challenger"
    assert by_version[v1]["metrics"]["ndcg@10"] == pytest.approx(0.30) and by_version[v1]["rows"] == len(LINES)

    doc = client.post("/api/models/recommender/activate", json={"version": v2}, headers=headers(1)).json()
    assert doc["champion"] == v2 and doc["history"][-1] == v3 and doc["challenger"] is None
    assert client.post("/api/recommend", json={"mode": "popular"}, headers=headers(1)).json()["model_version"] == v2

    doc = client.post("/api/models/recommender/rollback", headers=headers(1)).json()
    assert doc["champion"] == v3 and doc["challenger"] == v2
    doc = client.post("/api/models/recommender/rollback", headers=headers(1)).json()
    assert doc["champion"] == v1
    empty = client.post("/api/models/recommender/rollback", headers=headers(1))
    assert empty.status_code == 409 and empty.json()["error"]["code"] == "nothing_to_roll_back"

    _save(1, 0.99, activate="never")
    assert get_registry().aliases(1, "recommender", fresh=True)["champion"] == v1
    stats = client.get("/api/stats", headers=headers(1)).json()
    assert stats["models"]["recommender"]["version"] == v1


def test_tenants_never_see_each_others_models(client):
    v1 = _save(1, 0.3)
    _products(2, {500: 9, 501: 3})
    assert client.get("/api/models", headers=headers(2)).json()["items"] == []
    other = client.post("/api/models/recommender/activate", json={"version": v1}, headers=headers(2))
    assert other.status_code == 404
    answer = client.post("/api/recommend", json={"mode": "user", "user_id": 1, "k": 5}, headers=headers(2)).json()
    assert answer == {"items": [{"product_id": 500, "score": 9.0}, {"product_id": 501, "score": 3.0}],
                      "source": "popularity", "model_version": None}
    mine = client.post("/api/recommend", json={"mode": "user", "user_id": 1, "k": 5}, headers=headers(1)).json()
    assert mine["model_version"] == v1 and {i["product_id"] for i in mine["items"]} <= {10, 11, 12, 13}


def test_recommend_modes(client):
    version = _save(1, 0.3)
    ask = lambda body: client.post("/api/recommend", json=body, headers=headers(1)).json()  # noqa: E731

    popular = ask({"mode": "popular", "k": 2})
    assert [i["product_id"] for i in popular["items"]] == [10, 11]
    assert popular["source"] == "popularity" and popular["model_version"] == version

    similar = ask({"mode": "similar", "product_id": 12, "k": 3})
    assert similar["source"] == "model" and 12 not in [i["product_id"] for i in similar["items"]]
    assert {i["product_id"] for i in similar["items"]} <= {10, 11, 13}

    cart = ask({"mode": "complements", "product_ids": [10, 11], "k": 5})
    assert cart["source"] == "model" and {i["product_id"] for i in cart["items"]} == {12}

    excluded = ask({"mode": "user", "user_id": 99, "k": 10, "exclude": [10]})
    assert 10 not in [i["product_id"] for i in excluded["items"]] and len(excluded["items"]) == 3

    # live context: the device just viewed 13, so items bought with 13 lead
    store.push_recent_item(1, "device:d-1", 13)
    live = ask({"mode": "user", "device_id": "d-1", "k": 2})
    assert live["items"][0]["product_id"] == 12

    # an item the model has never seen: the model's popularity, marked as such
    unknown = ask({"mode": "similar", "product_id": 777, "k": 2})
    assert unknown["source"] == "popularity" and [i["product_id"] for i in unknown["items"]] == [10, 11]


def test_tenant_without_data_gets_its_own_best_sellers(client):
    _products(3, {30: 1, 31: 50, 32: 7})
    _products(4, {40: 100})
    body = client.post("/api/recommend", json={"mode": "user", "user_id": 5, "k": 10, "exclude": [32]},
                       headers=headers(3)).json()
    assert body == {"items": [{"product_id": 31, "score": 50.0}, {"product_id": 30, "score": 1.0}],
                    "source": "popularity", "model_version": None}
    similar = client.post("/api/recommend", json={"mode": "similar", "product_id": 31, "k": 10},
                          headers=headers(3)).json()
    assert [i["product_id"] for i in similar["items"]] == [32, 30]


def test_a_fallback_model_is_marked_popularity(client):
    _save(5, 0.0, fallback=True)
    body = client.post("/api/recommend", json={"mode": "user", "user_id": 1}, headers=headers(5)).json()
    assert body["source"] == "popularity" and body["model_version"] is not None and body["items"]


def test_a_champion_still_loading_never_makes_a_request_wait(client, monkeypatch):
    """A new champion loads in the background: requests meanwhile get the version already in memory
    (or popularity), never a wait longer than ML_LOAD_WAIT_S."""
    import threading

    from huglu_ml.config import get_settings

    _products(1, {10: 5, 11: 3})
    v1 = _save(1, 0.30)
    ask = lambda: client.post("/api/recommend", json={"mode": "user", "user_id": 1}, headers=headers(1)).json()  # noqa: E731
    assert ask()["model_version"] == v1  # v1 loaded (the suite waits for loads)
    gate = threading.Event()
    slow = PopRecommender.load

    def held_load(directory):  # the S3 download of a big model, held until the test lets it go
        gate.wait(10)
        return slow(directory)

    LOADERS["recommender"] = held_load
    monkeypatch.setenv("ML_LOAD_WAIT_S", "0.05")
    get_settings.cache_clear()
    v2 = _save(1, 0.40)  # better: the new champion
    assert get_registry().aliases(1, "recommender", fresh=True)["champion"] == v2
    assert ask()["model_version"] == v1  # still loading: the older version answers
    gate.set()
    for _ in range(100):
        if ask()["model_version"] == v2:
            break
        threading.Event().wait(0.05)
    assert ask()["model_version"] == v2
    get_settings.cache_clear()
