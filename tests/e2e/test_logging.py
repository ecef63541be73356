"""Structured request logs: one JSON line per request with request id, tenant, user, route,
status and duration; the request id matches the response header."""
from __future__ import annotations

import json

from tests.conftest import Api, TenantInfo


def _lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def test_request_log_line_carries_the_context(customer_api: Api, tenant: TenantInfo, capsys, monkeypatch):
    from chalicelib.platform.logging import get_logger

    get_logger("request").setLevel("INFO")
    capsys.readouterr()
    response = customer_api.get("/api/users/profile")
    assert response.status_code == 200
    lines = [line for line in _lines(capsys.readouterr().out) if line.get("message") == "request"]
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == response.headers["X-Request-Id"]
    assert line["tenant_id"] == tenant.id and line["user_id"] == response.json["id"]
    assert line["route"] == "/api/users/profile" and line["method"] == "GET" and line["status"] == 200
    assert line["duration_ms"] >= 0
    assert customer_api.token not in json.dumps(lines)


def test_error_log_has_the_request_id_but_not_the_secret(api: Api, capsys, monkeypatch):
    from chalicelib.catalog import service

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(service, "list_products", boom)
    capsys.readouterr()
    response = api.get("/api/products")
    errors = [line for line in _lines(capsys.readouterr().out) if line["level"] == "ERROR"]
    assert errors and errors[0]["request_id"] == response.headers["X-Request-Id"]
    assert "RuntimeError: boom" in errors[0]["exception"]
    assert api.api_key not in json.dumps(errors)
