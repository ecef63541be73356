"""Regression tests of issue 9's platform-wide causes (each was a 500, a silent change or a
contract that said one thing while the code did another)."""
from __future__ import annotations

import json
import time
from typing import Any

from chalicelib.platform.config import settings
from tests.conftest import Api, TenantInfo, make_tenant, make_user
from tests.e2e.test_pipeline import assert_error_shape


# -- item 4: pathological JSON ----------------------------------------------------------------------
def test_a_hundred_thousand_nested_brackets_are_a_400(customer_api: Api) -> None:
    response = customer_api.request("PUT", "/api/users/profile", raw="[" * 100_000)
    error = assert_error_shape(response, 400, "json_too_deep")
    assert error["details"] == {"max_depth": 32}


def test_nesting_is_limited_even_where_the_parser_copes(customer_api: Api) -> None:
    body = {"first_name": "Ayşe"}
    deep: Any = "x"
    for _ in range(40):
        deep = [deep]
    body["notification_prefs"] = deep  # type: ignore[assignment]
    assert_error_shape(customer_api.put("/api/users/profile", body), 400, "json_too_deep")


def test_nul_and_unpaired_surrogates_are_refused_before_any_model(customer_api: Api) -> None:
    for raw in ('{"first_name": "Ay\\u0000se"}', '{"first_name": "\\ud800"}', '{"\\ud800": 1}'):
        error = assert_error_shape(customer_api.request("PUT", "/api/users/profile", raw=raw), 400, "invalid_text")
        assert error["details"]["fields"][0]["type"] == "text_forbidden_character"
    assert customer_api.get("/api/users/profile").json["first_name"] == "Ayşe"


# -- item 5: ASCII digits only in path ids ------------------------------------------------------------
def test_path_ids_take_ascii_digits_only(api: Api, db: Any, tenant: TenantInfo) -> None:
    from tests.helpers import insert_product

    product_id = insert_product(db, tenant.id, "Kamp Sandalyesi")
    arabic = str(product_id).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert api.get(f"/api/products/{product_id}").status_code == 200
    # API Gateway hands the handler decoded parameters: "²" and Arabic-Indic digits reach it as text.
    for raw in ("²", arabic, "1²", "１２"):
        assert_error_shape(api.get(f"/api/products/{raw}"), 404, "not_found")


# -- item 6: token claims are type-checked ------------------------------------------------------------
def _token(claims: dict[str, Any]) -> str:
    import jwt

    cfg = settings()
    now = int(time.time())
    base = {"iss": cfg.jwt_issuer, "typ": "access", "iat": now, "exp": now + 300, "sid": "x", "amr": ["pwd"],
            "roles": [], "perms": [], "staff": False}
    return jwt.encode({**base, **claims}, cfg.jwt_secret, algorithm="HS256")


def test_signed_tokens_with_wrongly_typed_claims_are_401(api: Api, tenant: TenantInfo) -> None:
    user_id, _, _ = make_user(tenant, roles=["super_admin"])
    good = {"sub": str(user_id), "tid": tenant.id}
    broken = [
        {**good, "sub": 1.5}, {**good, "sub": "abc"}, {**good, "sub": "٢"}, {**good, "sub": {"a": 1}},
        {**good, "tid": str(tenant.id)}, {**good, "tid": True}, {**good, "tid": [tenant.id]},
        {**good, "roles": "super_admin"}, {**good, "roles": [1]}, {**good, "perms": {"*": True}},
        {**good, "perms": "*"}, {**good, "staff": "yes"}, {**good, "amr": "pwd"}, {**good, "sid": 7},
    ]
    for claims in broken:
        token = _token(claims)
        for path in ("/api/users/profile", "/api/admin/settings", "/api/cart"):
            assert_error_shape(api.get(path, token=token), 401, "token_invalid")
        # A public route ignores a broken token rather than failing.
        assert api.get("/api/products", token=token).status_code == 200


# -- item 8: timestamps carry an offset ---------------------------------------------------------------
def test_timestamps_are_rfc3339_with_an_offset(customer_api: Api, admin_api: Api) -> None:
    created = customer_api.get("/api/users/profile").json["created_at"]
    assert created.endswith("Z"), created
    logs = admin_api.get("/api/admin/api-keys").json["items"]
    assert all(item["created_at"].endswith("Z") for item in logs)


# -- item 9: the document tells the truth ------------------------------------------------------------
def test_required_idempotency_keys_are_documented_and_enforced(customer_api: Api) -> None:
    from app import app  # noqa: F401
    from chalicelib.platform.openapi import build_document
    from chalicelib.platform.routing import REGISTRY

    doc = build_document()
    for (method, path), spec in REGISTRY.items():
        params = doc["paths"][path][method.lower()].get("parameters", [])
        header = next((p for p in params if p["name"] == "Idempotency-Key"), None)
        assert (header is not None) == bool(spec.idempotent), (method, path)
        if header is not None:
            assert header["required"] is spec.key_required, (method, path)
    orders = next(p for p in doc["paths"]["/api/orders"]["post"]["parameters"] if p["name"] == "Idempotency-Key")
    assert orders["required"] is True
    assert_error_shape(customer_api.post("/api/orders", {"address_id": 1}), 400, "idempotency_key_required")
    assert_error_shape(customer_api.post("/api/orders", {"address_id": 1}, headers={"Idempotency-Key": "k\u00e7"}),
                       400, "idempotency_key_invalid")


def test_openapi_json_is_documented_as_it_answers(api: Api) -> None:
    doc = json.loads(api.get("/api/openapi.json").body)
    responses = doc["paths"]["/api/openapi.json"]["get"]["responses"]
    assert "200" in responses and "204" not in responses


def test_component_names_are_unique_and_plain(api: Api) -> None:
    doc = json.loads(api.get("/api/openapi.json").body)
    names = list(doc["components"]["schemas"])
    assert all(name.isidentifier() and "__" not in name for name in names), names
    assert all(doc["components"]["schemas"][n]["title"] == n for n in names)


# -- item 10: health as the seed draws it ---------------------------------------------------------------
def test_health_answers_load_balancers_without_a_key(client: Any) -> None:
    response = Api(client, None).get("/api/health")
    assert response.status_code == 200 and response.json == {"status": "ok", "checks": None}


# -- item 11b: device and device-less clients on one IP don't throttle each other ---------------------
def test_device_clients_do_not_use_up_device_less_budget(client: Any) -> None:
    t = make_tenant(settings={"rate_limit": {"default": {"limit": 3, "window": 900}}})
    api = Api(client, t.api_key)
    for i in range(6):  # six phones, two requests each: well inside the 20x IP ceiling
        for _ in range(2):
            assert api.get("/api/products", headers={"X-Device-Id": f"phone-{i:04d}-abcd"}).status_code == 200
    # A browser without a device id on the same IP still has its whole budget...
    assert [api.get("/api/products").status_code for _ in range(4)] == [200, 200, 200, 429]
    # ...and using it up did not touch the phones.
    assert api.get("/api/products", headers={"X-Device-Id": "phone-0000-abcd"}).status_code == 200


# -- item 1: settings ----------------------------------------------------------------------------------
def test_settings_refuse_nulls_and_merge_sections(admin_api: Api, tenant: TenantInfo) -> None:
    changed = admin_api.put("/api/admin/settings", {
        "security": {"require_admin_2fa": False},
        "rate_limit": {"default": {"limit": 500, "window": 900}},
        "cors_origins": ["https://shop.example.com", "https://m.example.com"],
        "domain": "shop.example.com",
    })
    assert changed.status_code == 200, changed.body
    before = admin_api.get("/api/admin/settings").json
    for field in ("cors_origins", "rate_limit", "name", "default_language", "security", "shipping", "invoice"):
        error = assert_error_shape(admin_api.put("/api/admin/settings", {field: None}), 400, "validation_failed")
        assert [f["field"] for f in error["details"]["fields"]] == [field]
        assert error["details"]["fields"][0]["type"] == "null_not_allowed"
    assert admin_api.get("/api/admin/settings").json == before
    # A section sent in part keeps the rest.
    partial = admin_api.put("/api/admin/settings", {"security": {}, "rate_limit": {"routes": {
        "POST /api/users/login": {"limit": 10, "window": 900}}}})
    assert partial.status_code == 200, partial.body
    after = partial.json
    assert after["rate_limit"]["default"] == {"limit": 500, "window": 900}
    assert after["cors_origins"] == before["cors_origins"]
    # Null clears the one clearable field; [] removes every origin on purpose.
    cleared = admin_api.put("/api/admin/settings", {"domain": None, "cors_origins": []}).json
    assert cleared["domain"] is None and cleared["cors_origins"] == []


def test_settings_text_is_clean(admin_api: Api) -> None:
    for name in ("Kamp\u202eDünyası", "Kamp\nDünyası"):
        error = assert_error_shape(admin_api.put("/api/admin/settings", {"name": name}), 400, "validation_failed")
        assert error["details"]["fields"][0]["type"] == "text_forbidden_character"
    nfd = "Kamp Du\u0308nyası"
    assert admin_api.put("/api/admin/settings", {"name": nfd}).json["name"] == "Kamp Dünyası"
