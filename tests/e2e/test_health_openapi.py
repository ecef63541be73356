"""/api/health and /api/openapi.json."""
from __future__ import annotations

import json

from chalicelib.platform import cache
from chalicelib.platform.config import reset_settings
from tests.conftest import Api
from tests.e2e.test_pipeline import assert_error_shape


def test_health_reports_each_dependency(api: Api):
    response = api.get("/api/health")
    assert response.status_code == 200, response.body
    checks = response.json["checks"]
    assert set(checks) == {"mysql", "redis", "aws"}
    for check in checks.values():
        assert check["status"] == "up" and check["latency_ms"] >= 0


def test_health_without_a_key_is_liveness_only(client):
    """Load balancers and uptime checks carry no tenant key: they get liveness, no internals."""
    response = Api(client, None).get("/api/health")
    assert response.status_code == 200, response.body
    assert response.json == {"status": "ok", "checks": None}


def test_health_with_a_wrong_key_is_refused(client):
    assert_error_shape(Api(client, "hk_not-a-key").get("/api/health"), 401, "api_key_invalid")


def test_health_hides_failure_text_from_non_staff(api: Api, monkeypatch):
    api.get("/api/health")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    reset_settings()
    cache.reset_client()
    try:
        body = json.loads(api.get("/api/health").body)
        assert body["checks"]["redis"]["status"] == "down" and body["checks"]["redis"]["error"] is None
    finally:
        monkeypatch.undo()
        reset_settings()
        cache.reset_client()


def test_health_is_503_when_redis_is_down(api: Api, monkeypatch):
    api.get("/api/health")  # warm the tenant cache in this container
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    reset_settings()
    cache.reset_client()
    try:
        response = api.get("/api/health")
        assert response.status_code == 503
        body = json.loads(response.body)
        assert body["status"] == "degraded"
        assert body["checks"]["redis"]["status"] == "down"
        assert body["checks"]["mysql"]["status"] == "up"
    finally:
        monkeypatch.undo()
        reset_settings()
        cache.reset_client()


def test_openapi_document_covers_every_route(api: Api):
    from app import app

    response = api.get("/api/openapi.json")
    assert response.status_code == 200
    doc = json.loads(response.body)
    assert doc["openapi"].startswith("3.1")
    missing = []
    for path, methods in app.routes.items():
        for method in methods:
            if method == "OPTIONS":
                continue
            if method.lower() not in doc["paths"].get(path, {}):
                missing.append(f"{method} {path}")
    assert missing == [], f"routes missing from the OpenAPI document: {missing}"
    login = doc["paths"]["/api/users/login"]["post"]
    assert login["requestBody"]["content"]["application/json"]["schema"]
    assert "429" in login["responses"] and "400" in login["responses"]
    settings_put = doc["paths"]["/api/admin/settings"]["put"]
    assert settings_put["x-permission"] == "settings.write" and "403" in settings_put["responses"]


def test_committed_openapi_file_is_current():
    from infra.openapi import TARGET, render

    assert TARGET.read_text(encoding="utf-8") == render(), "run `make openapi` and commit the result"
