"""Admin access over HTTP: staff and customer administration (/api/admin/users)."""
# ruff: noqa: F811 - the fixtures imported from admin_access_kit are parameters by design
from __future__ import annotations

import json

import pytest

from chalicelib.accounts.service import create_user
from chalicelib.platform.db import get_db
from tests.conftest import Api, TenantInfo, login, make_user
from tests.e2e.admin_access_kit import (  # noqa: F401 - fixtures
    Staff,
    aa_client,
    admin,
    admin_app,
    assert_invalid,
    audit_rows,
    editor,
    manager,
    role_id,
    sign_in,
    snapshot,
    support,
)
from tests.e2e.test_pipeline import assert_error_shape

NEW = {"email": "Depo.Sefi@Example.com", "password": "Kamp-2024-cadir", "first_name": "Çağrı",
       "last_name": "Işık", "language": "en", "roles": ["editor", "support"]}


def _user(tenant: TenantInfo, first: str, last: str, email: str, roles: list[str] | None = None) -> int:
    return create_user(get_db(), tenant.id, email=email, password="Parola-1234", first_name=first, last_name=last,
                       roles=roles)


# -- list --------------------------------------------------------------------------------------
def test_list_filters_and_keyset_pages(admin: Staff, tenant: TenantInfo, other_tenant: TenantInfo):
    ipek = _user(tenant, "İpek", "Demir", "demir@example.com")
    isil = _user(tenant, "Işıl", "Çağlar", "caglar@example.com", ["editor"])
    _user(other_tenant, "İpek", "Başka", "ipek@example.com")

    def ids(query: str) -> list[int]:
        response = admin.api.get(f"/api/admin/users{query}")
        assert response.status_code == 200, response.body
        return [u["id"] for u in response.json["items"]]

    assert ids("?q=ipek") == [ipek]  # İ is the capital of i in Turkish...
    assert ids("?q=IPEK") == []  # ...and I the capital of ı
    assert ids("?q=I%C5%9EIL") == [isil] == ids("?q=%C4%B1%C5%9F%C4%B1l%20%C3%A7a%C4%9F")  # IŞIL, "ışıl çağ"
    assert ids("?q=CAGLAR@EXAMPLE") == [isil]  # e-mails are stored lower-cased
    assert ids("?q=%25") == []  # LIKE wildcards are literal
    assert ids("?role=editor") == [isil]
    assert set(ids("?is_staff=false")) == {ipek}
    assert set(ids("?is_staff=true")) == {admin.user_id, isil}
    page = admin.api.get("/api/admin/users?limit=2").json
    assert [u["id"] for u in page["items"]] == [isil, ipek] and page["next_cursor"] == ipek
    rest = admin.api.get(f"/api/admin/users?limit=2&cursor={page['next_cursor']}").json
    assert [u["id"] for u in rest["items"]] == [admin.user_id] and rest["next_cursor"] is None
    first = page["items"][0]
    assert first["roles"] == ["editor"] and first["status"] == "active" and first["is_staff"] is True
    assert not {"password_hash", "phone_enc", "national_id_enc", "totp_secret_enc"} & set(first)
    admin.api.put(f"/api/admin/users/{ipek}", {"status": "disabled"})
    assert ids("?status=disabled") == [ipek] and ipek in ids("")


@pytest.mark.parametrize(("query", "field"), [
    ("?limit=0", "limit"), ("?limit=201", "limit"), ("?status=banned", "status"), ("?role=Editor", "role"),
    ("?is_staff=maybe", "is_staff"), ("?cursor=-1", "cursor"), ("?sort=email", "sort"),
])
def test_list_bad_query_is_400(admin: Staff, query, field):
    assert_invalid(admin.api.get(f"/api/admin/users{query}"), field)


# -- detail ------------------------------------------------------------------------------------
def test_user_detail(admin: Staff, tenant: TenantInfo, other_tenant: TenantInfo, support: Staff):
    detail = admin.api.get(f"/api/admin/users/{support.user_id}")
    assert detail.status_code == 200, detail.body
    body = detail.json
    assert body["roles"] == ["support"] and body["email"] == support.email
    assert body["permissions"] == sorted(["users.read", "orders.read", "support.write"])
    assert body["last_login_at"] is not None and body["totp_enabled"] is False
    assert "hash" not in detail.body.decode() and "_enc" not in detail.body.decode()
    foreign, _, _ = make_user(other_tenant, roles=["support"])
    assert_error_shape(admin.api.get(f"/api/admin/users/{foreign}"), 404, "not_found")
    assert_error_shape(admin.api.get("/api/admin/users/999999999"), 404, "not_found")
    assert support.api.get(f"/api/admin/users/{admin.user_id}").status_code == 200  # users.read suffices


# -- create ------------------------------------------------------------------------------------
def test_create_staff_user(aa_client, admin: Staff, tenant: TenantInfo):
    created = admin.api.post("/api/admin/users", NEW)
    assert created.status_code == 201, created.body
    user = created.json
    assert user["email"] == "depo.sefi@example.com" and user["roles"] == ["editor", "support"]
    assert user["is_staff"] is True and user["language"] == "en" and user["first_name"] == "Çağrı"
    tokens = login(Api(aa_client, tenant.api_key), "depo.sefi@example.com", NEW["password"])
    assert set(tokens["user"]["roles"]) == {"editor", "support"}
    [log] = audit_rows(tenant.id, "user.create")
    assert log["entity_id"] == str(user["id"]) and log["after"]["roles"] == ["editor", "support"]
    assert NEW["password"] not in log["after_data"] and "password" not in log["after_data"]
    again = admin.api.post("/api/admin/users", {**NEW, "email": "DEPO.sefi@example.com"})
    assert assert_error_shape(again, 409, "conflict")["details"] == {"email": "taken"}
    assert len(audit_rows(tenant.id, "user.create")) == 1


@pytest.mark.parametrize(("change", "fields"), [
    ({"password": "Kısa-12"}, ["password"]),
    ({"password": "sadeceharfler"}, ["password"]),
    ({"password": "1234567890123"}, ["password"]),
    ({"email": "not-an-email"}, ["email"]),
    ({"roles": []}, ["roles"]),
    ({"roles": ["yok_boyle_rol"]}, ["roles"]),
    ({"language": "de", "is_staff": False}, ["language", "is_staff"]),
])
def test_create_bad_input_changes_nothing(admin: Staff, tenant: TenantInfo, change, fields):
    before = snapshot(tenant.id)
    assert_invalid(admin.api.post("/api/admin/users", {**NEW, **change}), *fields)
    assert snapshot(tenant.id) == before


def test_a_manager_cannot_create_more_powerful_staff(manager: Staff, tenant: TenantInfo):
    before = snapshot(tenant.id)
    error = assert_error_shape(manager.api.post("/api/admin/users", {**NEW, "roles": ["super_admin"]}), 403, "forbidden")
    assert error["details"] == {"reason": "beyond_own_permissions", "permissions": ["*"]}
    assert snapshot(tenant.id) == before
    assert manager.api.post("/api/admin/users", {**NEW, "roles": ["editor"]}).status_code == 201


# -- update ------------------------------------------------------------------------------------
def test_update_names_and_roles_is_audited_and_ends_sessions(admin: Staff, tenant: TenantInfo, support: Staff):
    renamed = admin.api.put(f"/api/admin/users/{support.user_id}", {"first_name": " Şule ", "last_name": "Öztürk"})
    assert renamed.status_code == 200 and renamed.json["first_name"] == "Şule"
    assert support.api.get("/api/admin/users").status_code == 200  # names only: the session lives on
    changed = admin.api.put(f"/api/admin/users/{support.user_id}", {"roles": ["finance"]})
    assert changed.status_code == 200 and changed.json["roles"] == ["finance"]
    assert_error_shape(support.api.get("/api/admin/users"), 401, "session_revoked")
    refresh = support.api.post("/api/auth/refresh", {"refresh_token": support.refresh_token})
    assert_error_shape(refresh, 401, "refresh_token_invalid")
    logs = audit_rows(tenant.id, "user.update")
    assert [log["after"]["first_name"] for log in logs] == ["Şule", "Şule"]
    assert logs[1]["before"]["roles"] == ["support"] and logs[1]["after"]["roles"] == ["finance"]
    same = admin.api.put(f"/api/admin/users/{support.user_id}", {"roles": ["finance"]})
    assert same.status_code == 200 and len(audit_rows(tenant.id, "user.update")) == 2  # no change, no row


def test_disabling_kills_the_token_at_once(aa_client, admin: Staff, tenant: TenantInfo, support: Staff):
    assert support.api.get("/api/admin/users").status_code == 200
    disabled = admin.api.put(f"/api/admin/users/{support.user_id}", {"status": "disabled"})
    assert disabled.status_code == 200 and disabled.json["status"] == "disabled"
    assert_error_shape(support.api.get("/api/admin/users"), 401, "session_revoked")
    refused = Api(aa_client, tenant.api_key).post("/api/users/login", {"email": support.email,
                                                                         "password": support.password})
    assert refused.status_code == 401
    [log] = audit_rows(tenant.id, "user.update")
    assert (log["before"]["status"], log["after"]["status"]) == ("active", "disabled")
    enabled = admin.api.put(f"/api/admin/users/{support.user_id}", {"status": "active"})
    assert enabled.status_code == 200
    login(Api(aa_client, tenant.api_key), support.email, support.password)


@pytest.mark.parametrize(("body", "fields"), [
    ({"status": "banned"}, ["status"]),
    ({"status": "deleted"}, ["status"]),
    ({"roles": ["yok_boyle_rol"]}, ["roles"]),
    ({"roles": "editor"}, ["roles"]),
    ({"email": "x@example.com"}, ["email"]),
    ({"first_name": "x" * 101}, ["first_name"]),
])
def test_update_bad_input_changes_nothing(admin: Staff, tenant: TenantInfo, support: Staff, body, fields):
    before = snapshot(tenant.id)
    assert_invalid(admin.api.put(f"/api/admin/users/{support.user_id}", body), *fields)
    assert snapshot(tenant.id) == before
    assert support.api.get("/api/admin/users").status_code == 200


def test_another_tenants_user_is_404(admin: Staff, tenant: TenantInfo, other_tenant: TenantInfo):
    foreign, _, _ = make_user(other_tenant, roles=["support"])
    before = snapshot(other_tenant.id)
    assert_error_shape(admin.api.put(f"/api/admin/users/{foreign}", {"status": "disabled"}), 404, "not_found")
    assert snapshot(other_tenant.id) == before


# -- lock-out and escalation -------------------------------------------------------------------
def _reason(response, status: int) -> str:
    code = {403: "forbidden", 409: "conflict"}[status]
    return str(assert_error_shape(response, status, code)["details"]["reason"])


def test_self_lockout_is_409(admin: Staff, tenant: TenantInfo):
    before = snapshot(tenant.id)
    me = f"/api/admin/users/{admin.user_id}"
    assert _reason(admin.api.put(me, {"status": "disabled"}), 409) == "own_account"
    assert _reason(admin.api.put(me, {"roles": ["admin"]}), 409) == "own_superuser"
    assert _reason(admin.api.put(me, {"roles": []}), 409) == "own_superuser"
    assert snapshot(tenant.id) == before
    assert admin.api.get("/api/admin/roles").status_code == 200


def test_the_last_star_holder_cannot_be_disabled_or_demoted(aa_client, admin: Staff, manager: Staff,
                                                            tenant: TenantInfo):
    before = snapshot(tenant.id)
    owner = f"/api/admin/users/{admin.user_id}"
    assert _reason(manager.api.put(owner, {"status": "disabled"}), 409) == "last_superuser"
    assert _reason(manager.api.put(owner, {"roles": ["editor"]}), 409) == "last_superuser"
    assert snapshot(tenant.id) == before
    # With a second owner nothing would be locked out, but a manager still may not touch them.
    second = sign_in(aa_client, tenant, ["super_admin"])
    assert _reason(manager.api.put(owner, {"status": "disabled"}), 403) == "beyond_own_permissions"
    assert _reason(manager.api.put(f"/api/admin/users/{manager.user_id}", {"roles": ["super_admin"]}),
                   403) == "beyond_own_permissions"
    # One owner may retire the other; the survivor is then the last.
    assert second.api.put(owner, {"status": "disabled"}).status_code == 200
    assert_error_shape(admin.api.get("/api/admin/roles"), 401, "session_revoked")
    assert _reason(second.api.put(f"/api/admin/users/{second.user_id}", {"roles": ["admin"]}), 409) == "own_superuser"


def test_a_manager_manages_staff_within_their_own_permissions(aa_client, manager: Staff, editor: Staff,
                                                              tenant: TenantInfo):
    changed = manager.api.put(f"/api/admin/users/{editor.user_id}", {"roles": ["editor", "support"]})
    assert changed.status_code == 200, changed.body
    disabled = manager.api.put(f"/api/admin/users/{editor.user_id}", {"status": "disabled"})
    assert disabled.status_code == 200
    assert json.loads(disabled.body)["status"] == "disabled"
