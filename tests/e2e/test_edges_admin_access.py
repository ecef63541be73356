"""Issue 9 at the admin-access edges: explicit nulls in role and staff-user updates (only a
role's description can be cleared), passwords over bcrypt's 72 bytes at staff creation, text
hygiene of names, descriptions, e-mails and search text, and API-key expiries that used to
overflow.  Every bad input is a clear 400 in the one error shape and changes nothing."""
# ruff: noqa: F811 - the fixtures imported from admin_access_kit are parameters by design
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.conftest import Api, TenantInfo, login
from tests.e2e.admin_access_kit import (  # noqa: F401 - fixtures
    Staff,
    aa_client,
    admin,
    admin_app,
    assert_invalid,
    audit_rows,
    snapshot,
    support,
)
from tests.e2e.test_pipeline import assert_error_shape

NEW = {"email": "", "password": "Depo-Sefi-2025", "first_name": "Kemal", "last_name": "Sunal",
       "roles": ["support"]}


def _new_staff(**change: Any) -> dict[str, Any]:
    return {**NEW, "email": f"staff-{uuid.uuid4().hex[:8]}@example.com", **change}


def _field(response: Any, field: str, kind: str, *, code: str = "validation_failed") -> dict[str, Any]:
    error = assert_error_shape(response, 400, code)
    found = [f for f in error["details"]["fields"] if f["field"] == field]
    assert found and found[0]["type"] == kind and found[0]["message"], error
    return found[0]


def _refused_text(response: Any, field: str) -> None:
    """NUL the platform refuses anywhere in the JSON (`invalid_text`); other control and bidi
    characters the field's `Line` type refuses."""
    if (response.json or {}).get("error", {}).get("code") == "invalid_text":
        _field(response, field, "text_forbidden_character", code="invalid_text")
    else:
        _field(response, field, "text_forbidden_character")


def _custom_role(admin: Staff, description: str | None = "Sadece siparişler") -> dict[str, Any]:
    created = admin.api.post("/api/admin/roles", {"name": f"rol_{uuid.uuid4().hex[:8]}",
                                                  "description": description or "",
                                                  "permissions": ["orders.read"]})
    assert created.status_code == 201, created.body
    return created.json  # type: ignore[no-any-return]


# -- 1. explicit nulls ------------------------------------------------------------------------
def test_role_description_null_clears_it(admin: Staff, tenant: TenantInfo):
    role = _custom_role(admin)
    cleared = admin.api.put(f"/api/admin/roles/{role['id']}", {"description": None})
    assert cleared.status_code == 200, cleared.body
    assert cleared.json["description"] is None and cleared.json["permissions"] == ["orders.read"]
    [log] = audit_rows(tenant.id, "role.update")
    assert log["before"]["description"] == "Sadece siparişler" and log["after"]["description"] is None
    kept = admin.api.put(f"/api/admin/roles/{role['id']}", {"permissions": ["orders.read", "users.read"]})
    assert kept.json["description"] is None and kept.json["name"] == role["name"]


@pytest.mark.parametrize("body, field", [
    ({"name": None}, "name"),
    ({"permissions": None}, "permissions"),
    ({"name": None, "description": "yeni"}, "name"),
])
def test_role_null_elsewhere_is_a_400_and_changes_nothing(admin: Staff, tenant: TenantInfo, body, field):
    role = _custom_role(admin)
    before = snapshot(tenant.id)
    _field(admin.api.put(f"/api/admin/roles/{role['id']}", body), field, "null_not_allowed")
    assert snapshot(tenant.id) == before


@pytest.mark.parametrize("body, field", [
    ({"first_name": None}, "first_name"),
    ({"last_name": None}, "last_name"),
    ({"roles": None}, "roles"),
    ({"status": None}, "status"),
    ({"first_name": "Ali", "status": None}, "status"),
])
def test_user_update_null_is_a_400_and_changes_nothing(admin: Staff, tenant: TenantInfo, support: Staff, body, field):
    before = snapshot(tenant.id)
    _field(admin.api.put(f"/api/admin/users/{support.user_id}", body), field, "null_not_allowed")
    assert snapshot(tenant.id) == before
    assert support.api.get("/api/admin/users").status_code == 200  # no session ended either


def test_user_update_keeps_what_is_left_out(admin: Staff, support: Staff):
    updated = admin.api.put(f"/api/admin/users/{support.user_id}", {"first_name": "  Ays\u0327e  "})
    assert updated.status_code == 200, updated.body
    assert updated.json["first_name"] == "Ayşe" and updated.json["last_name"] == "Yılmaz"
    assert updated.json["roles"] == ["support"] and updated.json["status"] == "active"


def test_update_schemas_show_null_only_where_it_clears():
    from chalicelib.admin_access.schemas import RoleUpdateIn, UserUpdateIn

    role = RoleUpdateIn.model_json_schema()["properties"]
    assert {"type": "null"} in role["description"]["anyOf"]
    assert "null" not in repr(role["name"]) and "null" not in repr(role["permissions"])
    assert "'null'" not in repr(UserUpdateIn.model_json_schema())


# -- 3. staff passwords over 72 UTF-8 bytes -------------------------------------------------------
@pytest.mark.parametrize("password", ["ş" * 40 + "1", "😀" * 18 + "a1", "a1" * 36 + "b"])
@pytest.mark.parametrize("lang, word", [("tr", "bayt"), ("en", "bytes")])
def test_staff_creation_refuses_a_too_long_password(admin: Staff, tenant: TenantInfo, password: str, lang: str,
                                                   word: str):
    before = snapshot(tenant.id)
    response = admin.api.post("/api/admin/users", _new_staff(password=password), headers={"Accept-Language": lang})
    found = _field(response, "password", "password_too_long")
    assert "72" in found["message"] and word in found["message"]
    assert snapshot(tenant.id) == before


def test_staff_with_a_72_byte_password_can_sign_in(aa_client, admin: Staff, tenant: TenantInfo):
    password = "ş" * 35 + "a1"
    body = _new_staff(password=password)
    created = admin.api.post("/api/admin/users", body)
    assert created.status_code == 201, created.body
    assert login(Api(aa_client, tenant.api_key), body["email"], password)["access_token"]


def test_staff_password_schema_documents_the_byte_rule():
    from chalicelib.admin_access.schemas import UserCreateIn

    prop = UserCreateIn.model_json_schema()["properties"]["password"]
    assert prop["minLength"] == 10 and prop["maxLength"] == 72 and "72 bytes in UTF-8" in prop["description"]


# -- 7. text hygiene ----------------------------------------------------------------------------
BAD_TEXT = ["Depo\x00Şefi", "Depo\u202eŞefi", "Depo\nŞefi", "\u2067Depo"]


@pytest.mark.parametrize("text", BAD_TEXT)
def test_names_and_descriptions_refuse_control_and_bidi_characters(admin: Staff, tenant: TenantInfo,
                                                                  support: Staff, text: str):
    role = _custom_role(admin)
    before = snapshot(tenant.id)
    _refused_text(admin.api.post("/api/admin/users", _new_staff(first_name=text)), "first_name")
    _refused_text(admin.api.put(f"/api/admin/users/{support.user_id}", {"last_name": text}), "last_name")
    _refused_text(admin.api.post("/api/admin/roles", {"name": "yeni_rol", "description": text,
                                                      "permissions": []}), "description")
    _refused_text(admin.api.put(f"/api/admin/roles/{role['id']}", {"description": text}), "description")
    _refused_text(admin.api.post("/api/admin/api-keys", {"name": text}), "name")
    assert snapshot(tenant.id) == before


def test_search_text_refuses_control_characters_and_is_normalised(admin: Staff, support: Staff):
    _refused_text(admin.api.get("/api/admin/users?q=Ay%E2%80%AE"), "q")
    found = admin.api.get("/api/admin/users?q=Ay%C5%9Fe")  # "Ayşe"
    decomposed = admin.api.get("/api/admin/users?q=Ays%CC%A7e")  # "Ayşe" as s + combining cedilla
    assert found.status_code == decomposed.status_code == 200
    assert {u["id"] for u in found.json["items"]} == {u["id"] for u in decomposed.json["items"]}
    assert support.user_id in {u["id"] for u in found.json["items"]}


@pytest.mark.parametrize("email", ["a\x00b@example.com", "a\x1fb@example.com", "ali\u202e@example.com",
                                   "a,b@example.com"])
def test_staff_email_refuses_nul_and_control_characters(admin: Staff, tenant: TenantInfo, email: str):
    before = snapshot(tenant.id)
    response = admin.api.post("/api/admin/users", _new_staff(email=email))
    if (response.json or {}).get("error", {}).get("code") == "invalid_text":
        _field(response, "email", "text_forbidden_character", code="invalid_text")
    else:
        _field(response, "email", "string_pattern_mismatch")
    assert snapshot(tenant.id) == before


def test_staff_email_lengthened_by_lower_casing_is_a_400(admin: Staff, tenant: TenantInfo):
    before = snapshot(tenant.id)
    response = admin.api.post("/api/admin/users", _new_staff(email="a@" + "İ" * 200 + ".com"))
    _field(response, "email", "string_too_long")
    assert snapshot(tenant.id) == before


@pytest.mark.parametrize("roles", [["Super Admin"], ["editor\u202e"], ["x" * 60]])
def test_role_names_in_user_bodies_follow_the_role_name_pattern(admin: Staff, tenant: TenantInfo, support: Staff,
                                                               roles):
    before = snapshot(tenant.id)
    assert_invalid(admin.api.post("/api/admin/users", _new_staff(roles=roles)), "roles")
    assert_invalid(admin.api.put(f"/api/admin/users/{support.user_id}", {"roles": roles}), "roles")
    assert snapshot(tenant.id) == before


# -- API-key expiries and huge numbers --------------------------------------------------------------
@pytest.mark.parametrize("expires_at", [
    "9999-12-31T23:59:59-05:00",  # past year 9999 once converted to UTC: used to be a 500
    "9999-12-31T23:59:59+00:00",
    (datetime.now(timezone.utc) + timedelta(days=11 * 365)).isoformat(),
])
def test_api_key_expiry_far_in_the_future_is_a_400(admin: Staff, tenant: TenantInfo, expires_at: str):
    before = snapshot(tenant.id)
    assert_invalid(admin.api.post("/api/admin/api-keys", {"name": "erp", "expires_at": expires_at}), "expires_at")
    key = admin.api.post("/api/admin/api-keys", {"name": "erp"}).json
    after_create = snapshot(tenant.id)
    assert_invalid(admin.api.post(f"/api/admin/api-keys/{key['id']}/rotate", {"expires_at": expires_at}),
                   "expires_at")
    assert snapshot(tenant.id) == after_create and len(after_create["api_keys"]) == len(before["api_keys"]) + 1


def test_api_key_expiry_within_ten_years_works(admin: Staff):
    soon = (datetime.now(timezone.utc) + timedelta(days=9 * 365)).replace(microsecond=0)
    created = admin.api.post("/api/admin/api-keys", {"name": "uzun", "expires_at": soon.isoformat()})
    assert created.status_code == 201, created.body
    assert datetime.fromisoformat(created.json["expires_at"]) == soon


@pytest.mark.parametrize("query, field", [
    ("cursor=99999999999999999999999", "cursor"),
    ("limit=1e400", "limit"),
    ("cursor=%D9%A2", "cursor"),  # Arabic-Indic digit
])
def test_huge_or_odd_numbers_in_queries_are_400(admin: Staff, query: str, field: str):
    assert_invalid(admin.api.get(f"/api/admin/users?{query}"), field)


# -- the document and the validators agree (the fuzzer's negative cases) ------------------------
@pytest.mark.parametrize("grace", ["60", True, 1.5])
def test_grace_seconds_is_a_json_integer(admin: Staff, tenant: TenantInfo, grace):
    key = admin.api.post("/api/admin/api-keys", {"name": "erp"}).json
    before = snapshot(tenant.id)
    _field(admin.api.post(f"/api/admin/api-keys/{key['id']}/rotate", {"grace_seconds": grace}), "grace_seconds",
           "int_type")
    assert snapshot(tenant.id) == before


@pytest.mark.parametrize("expires_at", [1924992000, "2031-01-01 00:00:00Z", "2031-01-01T00:00:00",
                                        "2031-01-01T00:00:00+0300", "2031-01-01"])
@pytest.mark.parametrize("lang, word", [("tr", "RFC 3339"), ("en", "RFC 3339")])
def test_expiry_is_an_rfc3339_date_time_with_an_offset(admin: Staff, tenant: TenantInfo, expires_at, lang, word):
    before = snapshot(tenant.id)
    response = admin.api.post("/api/admin/api-keys", {"name": "erp", "expires_at": expires_at},
                              headers={"Accept-Language": lang})
    assert word in _field(response, "expires_at", "datetime_format")["message"]
    assert snapshot(tenant.id) == before


@pytest.mark.parametrize("query, field", [("is_staff=1", "is_staff"), ("is_staff=0", "is_staff"),
                                          ("is_staff=yes", "is_staff"), ("is_staff=True", "is_staff")])
def test_query_booleans_are_true_or_false(admin: Staff, query: str, field: str):
    assert_invalid(admin.api.get(f"/api/admin/users?{query}"), field)
    assert admin.api.get("/api/admin/users?is_staff=true").status_code == 200


def test_revoke_force_is_true_or_false(admin: Staff, tenant: TenantInfo):
    before = snapshot(tenant.id)
    assert_invalid(admin.api.delete(f"/api/admin/api-keys/{tenant.api_key_id}?force=1"), "force")
    assert snapshot(tenant.id) == before
