"""Authentication, the error shape and health."""

from __future__ import annotations

import pytest

from tests.conftest import headers

pytestmark = pytest.mark.usefixtures("clean")


def test_health_needs_no_token(client):
    body = client.get("/health").json()
    assert body["checks"] == {"redis": True, "mysql": True, "s3": True}
    assert body["status"] == "ok"


def test_api_refuses_calls_without_the_token(client):
    for method, path in (("get", "/api/stats"), ("get", "/api/models"), ("post", "/api/recommend"),
                         ("get", "/api/segments"), ("get", "/api/anomalies"), ("post", "/api/predict")):
        response = getattr(client, method)(path, headers={"X-Tenant-Id": "1"})
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "unauthorized"
    wrong = client.get("/api/stats", headers={"X-Service-Token": "nope", "X-Tenant-Id": "1"})
    assert wrong.status_code == 401


def test_tenant_header_is_required(client):
    for value in (None, "", "abc", "0", "-3"):
        h = {"X-Service-Token": "test-token"} | ({"X-Tenant-Id": value} if value is not None else {})
        response = client.get("/api/stats", headers=h)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "tenant_required"


def test_bad_input_is_a_4xx_in_the_error_shape(client):
    cases = [
        ("/api/recommend", {"mode": "nonsense"}),
        ("/api/recommend", {"mode": "user", "k": 0}),
        ("/api/recommend", {"mode": "user", "k": 51}),
        ("/api/recommend", {"mode": "similar"}),
        ("/api/recommend", {"mode": "user", "user_id": "x"}),
        ("/api/recommend", {"mode": "user", "user_id": 10**30}),
        ("/api/predict", {"kind": "unknown"}),
        ("/api/predict", {"kind": "purchase", "sessions": []}),
        ("/api/models/train", {"kinds": ["bogus"]}),
        ("/api/models/train", {"activate": "sometimes"}),
        ("/api/models/recommender/activate", {"version": ""}),
    ]
    for path, body in cases:
        response = client.post(path, json=body, headers=headers())
        assert response.status_code == 400, (path, body, response.text)
        assert response.json()["error"]["code"] == "validation_failed"
    not_json = client.post("/api/recommend", content=b"{nope", headers=headers() | {"content-type": "application/json"})
    assert not_json.status_code == 400
    assert client.post("/api/models/nope/rollback", headers=headers()).status_code == 400
    unknown = client.post("/api/models/recommender/activate", json={"version": "../../etc"}, headers=headers())
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_version"
    assert client.get("/api/models/jobs/zzz", headers=headers()).status_code == 404
    assert client.get("/api/anomalies?status=weird", headers=headers()).status_code == 400
    assert client.get("/api/segments/x/customers?cursor=abc", headers=headers()).status_code == 400
    missing = client.get("/nowhere")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_stats_of_a_new_tenant(client):
    body = client.get("/api/stats", headers=headers(7)).json()
    assert body["tenant_id"] == 7
    assert body["events_total"] == 0 and body["anomalies_open"] == 0
    assert len(body["events_per_minute"]) == 15
    assert set(body["models"]) >= {"recommender", "purchase", "segments"}
    assert all(v is None for v in body["models"].values())


def test_a_backing_service_outage_is_a_503_not_a_500(client, monkeypatch):
    import pymysql

    from huglu_ml import db

    def down(*args, **kwargs):
        raise pymysql.err.OperationalError(2003, "Can't connect")

    monkeypatch.setattr(db, "popular_products", down)
    response = client.post("/api/recommend", json={"mode": "popular"}, headers=headers(1))
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "dependency_unavailable"
