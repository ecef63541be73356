"""The request pipeline over HTTP: API key, JSON errors in tr/en, rate limits, CORS, headers,
compression, request ids."""
from __future__ import annotations

import gzip
import json

from chalicelib.platform.db import get_db
from chalicelib.tenants.service import revoke_api_key
from tests.conftest import Api, TenantInfo, make_tenant


def assert_error_shape(response: object, status: int, code: str) -> dict:
    assert response.status_code == status, response.body
    body = json.loads(response.body)
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


def test_missing_api_key_is_401_in_turkish_by_default(client):
    error = assert_error_shape(Api(client, None).get("/api/products"), 401, "api_key_missing")
    assert "gerekli" in error["message"]


def test_unknown_api_key_is_401_in_english_and_turkish(client):
    en = Api(client, "hk_not-a-real-key").get("/api/products", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert_error_shape(en, 401, "api_key_invalid")
    assert json.loads(en.body)["error"]["message"] == "The API key is invalid or disabled."
    tr = Api(client, "hk_not-a-real-key").get("/api/products", headers={"Accept-Language": "tr-TR"})
    assert json.loads(tr.body)["error"]["message"] == "API anahtarı geçersiz veya devre dışı."


def test_key_without_prefix_is_401(client):
    assert_error_shape(Api(client, "garbage").get("/api/products"), 401, "api_key_invalid")


def test_revoked_key_is_refused(client, tenant: TenantInfo):
    api = Api(client, tenant.api_key)
    assert api.get("/api/products").status_code == 200
    revoke_api_key(get_db(), tenant.id, tenant.api_key_id)
    assert_error_shape(api.get("/api/products"), 401, "api_key_invalid")


def test_suspended_tenant_is_refused(client, tenant: TenantInfo):
    from chalicelib.platform import tenancy

    get_db().session().execute("UPDATE tenants SET status = 'suspended' WHERE id = %s", (tenant.id,))
    tenancy.forget_tenant(get_db().session(), tenant.id)
    tenancy.clear_local_cache()
    assert_error_shape(Api(client, tenant.api_key).get("/api/products"), 401, "api_key_invalid")


def test_malformed_json_is_400_in_one_shape(api: Api):
    error = assert_error_shape(api.post("/api/users/login", raw="{not json"), 400, "invalid_json")
    assert "JSON" in error["message"]


def test_validation_errors_name_each_field_in_both_languages(api: Api):
    body = {"email": "not-an-email", "extra": 1}
    tr = assert_error_shape(api.post("/api/users/login", body), 400, "validation_failed")
    fields = {f["field"]: f for f in tr["details"]["fields"]}
    assert set(fields) == {"email", "password", "extra"}
    assert fields["password"]["message"] == "Bu alan zorunludur."
    en = assert_error_shape(api.post("/api/users/login", body, headers={"Accept-Language": "en"}), 400,
                            "validation_failed")
    assert {f["field"] for f in en["details"]["fields"]} == {"email", "password", "extra"}
    assert en["message"] == "The submitted data is invalid."


def test_unexpected_errors_never_leak_internals(api: Api, monkeypatch):
    from chalicelib.catalog import service

    def boom(*args, **kwargs):
        raise RuntimeError("SELECT secret_column FROM users -- /work/main/chalicelib")

    monkeypatch.setattr(service, "list_products", boom)
    response = api.get("/api/products")
    error = assert_error_shape(response, 500, "internal_error")
    assert "SELECT" not in response.body.decode() and "Traceback" not in response.body.decode()
    assert error["details"] is None


def test_unknown_method_is_reshaped(api: Api):
    assert_error_shape(api.request("PATCH", "/api/products"), 405, "method_not_allowed")


def test_non_numeric_id_is_404(api: Api):
    assert_error_shape(api.get("/api/products/abc"), 404, "not_found")


def test_every_response_has_request_id_and_security_headers(api: Api):
    for response in (api.get("/api/products"), api.get("/api/products/999999"), Api(api.client, None).get("/api/health")):
        headers = response.headers
        assert len(headers["X-Request-Id"]) >= 16
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Strict-Transport-Security"].startswith("max-age=")
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["Referrer-Policy"] == "no-referrer"
        assert "X-Powered-By" not in headers


def test_rate_limit_429_with_retry_after_in_both_languages(client):
    t = make_tenant(settings={"rate_limit": {"default": {"limit": 3, "window": 900}}})
    api = Api(client, t.api_key)
    for _ in range(3):
        assert api.get("/api/products").status_code == 200
    limited = api.get("/api/products", headers={"Accept-Language": "en"})
    error = assert_error_shape(limited, 429, "rate_limited")
    retry_after = int(limited.headers["Retry-After"])
    assert 1 <= retry_after <= 900
    assert error["details"]["limit"] == 3
    assert f"{retry_after} seconds" in error["message"]
    tr = api.get("/api/products")
    assert "saniye" in json.loads(tr.body)["error"]["message"]


def test_rate_limit_counts_devices_behind_one_nat_separately(client):
    t = make_tenant(settings={"rate_limit": {"default": {"limit": 2, "window": 900}}})
    api = Api(client, t.api_key)
    phone_a = {"X-Device-Id": "device-aaaa-1111"}
    phone_b = {"X-Device-Id": "device-bbbb-2222"}
    assert [api.get("/api/products", headers=phone_a).status_code for _ in range(3)] == [200, 200, 429]
    # Same IP, another phone: its own allowance.
    assert api.get("/api/products", headers=phone_b).status_code == 200


def test_rotating_device_ids_hit_the_ip_ceiling(client, monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_IP_MULTIPLIER", "2")
    from chalicelib.platform.config import reset_settings

    reset_settings()
    try:
        t = make_tenant(settings={"rate_limit": {"default": {"limit": 2, "window": 900}}})
        api = Api(client, t.api_key)
        codes = [api.get("/api/products", headers={"X-Device-Id": f"rotating-{i:06d}"}).status_code for i in range(6)]
        assert codes == [200, 200, 200, 200, 429, 429]  # ceiling = 2 x 2 per IP
    finally:
        monkeypatch.delenv("RATE_LIMIT_IP_MULTIPLIER")
        reset_settings()


def test_rate_limit_per_route_override(client):
    t = make_tenant(settings={"rate_limit": {"routes": {"GET /api/products/{product_id}": {"limit": 1, "window": 60}}}})
    api = Api(client, t.api_key)
    assert api.get("/api/products/1").status_code == 404
    assert api.get("/api/products/1").status_code == 429
    assert api.get("/api/products").status_code == 200  # other routes keep the default budget


def test_cors_echoes_only_the_tenants_origins(api: Api):
    allowed = api.get("/api/products", headers={"Origin": "https://shop.example.com"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "Origin" in allowed.headers["Vary"]
    denied = api.get("/api/products", headers={"Origin": "https://evil.example.net"})
    assert "Access-Control-Allow-Origin" not in denied.headers


def test_cors_preflight(client, tenant: TenantInfo):
    ok = client.http.request("OPTIONS", "/api/users/login", headers={
        "Origin": "https://shop.example.com", "Access-Control-Request-Method": "POST"})
    assert ok.status_code == 204
    assert ok.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "POST" in ok.headers["Access-Control-Allow-Methods"]
    assert "X-API-Key" in ok.headers["Access-Control-Allow-Headers"]
    unknown = client.http.request("OPTIONS", "/api/users/login", headers={"Origin": "https://evil.example.net"})
    assert "Access-Control-Allow-Origin" not in unknown.headers


def test_large_json_is_gzipped_when_accepted(api: Api):
    plain = api.get("/api/openapi.json")
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    zipped = api.get("/api/openapi.json", headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert json.loads(gzip.decompress(zipped.body)) == json.loads(plain.body)
    assert len(zipped.body) < len(plain.body) / 3


def test_small_json_is_not_compressed(api: Api):
    small = api.get("/api/products/424242", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers


def test_unknown_keys_are_cached_and_key_guessers_get_429(client, db, tenant: TenantInfo):
    from chalicelib.platform import db as dbmod
    from chalicelib.platform import tenancy
    from chalicelib.platform.cache import redis_client

    guesser = Api(client, None)
    key = "hk_guess-" + "x" * 20
    guesser.get("/api/products", headers={"X-API-Key": key})
    tenancy.clear_local_cache()
    before = dbmod.stats.statements
    guesser.get("/api/products", headers={"X-API-Key": key})
    assert dbmod.stats.statements == before  # the miss came from Redis, not MySQL
    try:
        # One misconfigured client repeating the same wrong key is not a guesser...
        for _ in range(tenancy.BAD_KEY_LIMIT + 5):
            assert_error_shape(guesser.get("/api/products", headers={"X-API-Key": key}), 401, "api_key_invalid")
        # ...one trying many different keys is.
        for i in range(tenancy.BAD_KEY_LIMIT):
            guesser.get("/api/products", headers={"X-API-Key": f"hk_guess-{i:04d}-" + "y" * 16})
        limited = guesser.get("/api/products", headers={"X-API-Key": "hk_another-guess-zzzzzzzzzz"})
        assert_error_shape(limited, 429, "rate_limited")
        assert int(limited.headers["Retry-After"]) > 0
        # A valid key from the same (carrier-NAT) address is still served.
        tenancy.clear_local_cache()
        assert Api(client, tenant.api_key).get("/api/products").status_code == 200
    finally:
        redis_client().delete("badkey:127.0.0.1")  # other tests share the client IP
