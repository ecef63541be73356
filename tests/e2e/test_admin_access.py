"""Admin access over HTTP: the permission catalogue, roles, who may call what, and the audit
trail of every write.  Users and API keys: test_admin_access_users.py, _keys.py."""
# ruff: noqa: F811 - the fixtures imported from admin_access_kit are parameters by design
from __future__ import annotations

import json

import pytest

from chalicelib.platform import permissions as perm
from chalicelib.platform.tenancy import hash_api_key
from tests.conftest import Api, TenantInfo
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

NEW_USER = {"email": "yeni@example.com", "password": "Kamp-2024-çadır", "roles": ["editor"]}
ROUTES = [
    ("GET", "/api/admin/permissions", None),
    ("GET", "/api/admin/roles", None),
    ("POST", "/api/admin/roles", {"name": "depo", "permissions": ["orders.read"]}),
    ("PUT", "/api/admin/roles/{role_id}", {"description": "x"}),
    ("DELETE", "/api/admin/roles/{role_id}", None),
    ("GET", "/api/admin/users", None),
    ("GET", "/api/admin/users/{user_id}", None),
    ("POST", "/api/admin/users", NEW_USER),
    ("PUT", "/api/admin/users/{user_id}", {"first_name": "x"}),
    ("GET", "/api/admin/api-keys", None),
    ("POST", "/api/admin/api-keys", {"name": "x"}),
    ("POST", "/api/admin/api-keys/{key_id}/rotate", {}),
    ("DELETE", "/api/admin/api-keys/{key_id}", None),
]


def test_the_route_list_above_is_complete(admin_app):
    from chalicelib.platform.routing import REGISTRY

    ours = {(m, p) for (m, p), spec in REGISTRY.items() if spec.tag == "admin_access"}
    assert ours == {(m, p) for m, p, _ in ROUTES}
    assert all(REGISTRY[k].auth == "admin" and REGISTRY[k].permission for k in ours)


def _concrete(path: str, tenant: TenantInfo, user_id: int) -> str:
    return path.format(role_id=role_id(tenant.id, "finance"), user_id=user_id, key_id=tenant.api_key_id)


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_every_route_needs_a_token_and_its_permission(aa_client, tenant: TenantInfo, editor: Staff, support: Staff,
                                                      method, path, body):
    before = snapshot(tenant.id)
    url = _concrete(path, tenant, support.user_id)
    assert_error_shape(Api(aa_client, tenant.api_key).request(method, url, body), 401, "token_missing")
    assert_error_shape(editor.api.request(method, url, body), 403, "forbidden")
    if not (method == "GET" and path.startswith("/api/admin/users")):  # support holds users.read
        assert_error_shape(support.api.request(method, url, body), 403, "forbidden")
    customer = sign_in(aa_client, tenant, None)
    assert_error_shape(customer.api.request(method, url, body), 403, "forbidden")
    after = snapshot(tenant.id)
    after["users"] = [u for u in after["users"] if u["id"] != customer.user_id]
    assert after == before


# -- permissions -------------------------------------------------------------------------------
def test_permission_catalogue_has_tr_and_en_descriptions(admin: Staff):
    response = admin.api.get("/api/admin/permissions")
    assert response.status_code == 200, response.body
    items = response.json["items"]
    assert [i["name"] for i in items] == ["*", *perm.CATALOGUE]
    assert {perm.ROLES_READ, perm.API_KEYS_READ} <= {i["name"] for i in items}
    for item in items:
        assert item["description"]["tr"] and item["description"]["en"]
        assert item["description"]["en"] != item["name"]


# -- roles -------------------------------------------------------------------------------------
def test_roles_list_permissions_and_member_counts(admin: Staff, editor: Staff):
    roles = {r["name"]: r for r in admin.api.get("/api/admin/roles").json["items"]}
    assert set(roles) == set(perm.DEFAULT_ROLES)
    assert roles["super_admin"]["permissions"] == ["*"] and roles["super_admin"]["is_system"]
    assert roles["super_admin"]["member_count"] == 1 and roles["editor"]["member_count"] == 1
    assert roles["finance"]["member_count"] == 0
    assert sorted(roles["editor"]["permissions"]) == sorted(perm.DEFAULT_ROLES["editor"][1])


def test_create_role_is_audited(admin: Staff, tenant: TenantInfo):
    body = {"name": "depo_sorumlusu", "description": "Depo / warehouse",
            "permissions": ["products.write", "orders.read", "orders.read"]}
    created = admin.api.post("/api/admin/roles", body)
    assert created.status_code == 201, created.body
    role = created.json
    assert role["permissions"] == ["orders.read", "products.write"] and role["is_system"] is False
    assert role["member_count"] == 0
    listed = {r["name"] for r in admin.api.get("/api/admin/roles").json["items"]}
    assert "depo_sorumlusu" in listed
    [log] = audit_rows(tenant.id, "role.create")
    assert log["entity_type"] == "role" and log["entity_id"] == str(role["id"]) and log["user_id"] == admin.user_id
    assert log["before"] is None and log["after"]["permissions"] == ["orders.read", "products.write"]
    star = admin.api.post("/api/admin/roles", {"name": "kurucu", "permissions": ["*", "users.read"]})
    assert star.status_code == 201 and star.json["permissions"] == ["*"]


@pytest.mark.parametrize(("body", "fields"), [
    ({"name": "Depo", "permissions": []}, ["name"]),
    ({"name": "d", "permissions": []}, ["name"]),
    ({"name": "depo", "permissions": ["orders.delete"]}, ["permissions"]),
    ({"name": "depo"}, ["permissions"]),
    ({"name": "depo", "permissions": [], "is_system": True}, ["is_system"]),
    ({"name": "depo", "permissions": [], "description": "x" * 256}, ["description"]),
])
def test_create_role_bad_input_changes_nothing(admin: Staff, tenant: TenantInfo, body, fields):
    before = snapshot(tenant.id)
    assert_invalid(admin.api.post("/api/admin/roles", body), *fields)
    assert snapshot(tenant.id) == before


def test_create_role_name_taken_is_409(admin: Staff, tenant: TenantInfo):
    before = snapshot(tenant.id)
    error = assert_error_shape(admin.api.post("/api/admin/roles", {"name": "editor", "permissions": []}), 409, "conflict")
    assert error["details"] == {"name": "taken"}
    assert snapshot(tenant.id) == before


def test_nobody_grants_what_they_do_not_hold(aa_client, admin: Staff, tenant: TenantInfo):
    made = admin.api.post("/api/admin/roles", {"name": "rol_yoneticisi",
                                               "permissions": ["roles.read", "roles.write", "users.read"]})
    assert made.status_code == 201
    delegate = sign_in(aa_client, tenant, ["rol_yoneticisi"])
    before = snapshot(tenant.id)
    for permissions in (["*"], ["finance.write"], ["users.read", "users.write"]):
        refused = delegate.api.post("/api/admin/roles", {"name": "kacak", "permissions": permissions})
        assert_error_shape(refused, 403, "forbidden")
    sneaky = delegate.api.put(f"/api/admin/roles/{role_id(tenant.id, 'support')}", {"permissions": ["*"]})
    assert_error_shape(sneaky, 403, "forbidden")
    assert snapshot(tenant.id) == before
    assert delegate.api.post("/api/admin/roles", {"name": "okuyucu", "permissions": ["users.read"]}).status_code == 201


def test_update_role_is_audited_and_removed_permissions_bite_at_once(aa_client, admin: Staff, tenant: TenantInfo):
    rid = admin.api.post("/api/admin/roles", {"name": "destek_plus", "permissions": ["users.read", "orders.read"]}).json["id"]
    member = sign_in(aa_client, tenant, ["destek_plus"])
    assert member.api.get("/api/admin/users").status_code == 200
    updated = admin.api.put(f"/api/admin/roles/{rid}", {"description": "Sadece siparişler", "permissions": ["orders.read"]})
    assert updated.status_code == 200, updated.body
    assert updated.json["permissions"] == ["orders.read"] and updated.json["description"] == "Sadece siparişler"
    assert updated.json["member_count"] == 1
    # The member's token still lists users.read; the session behind it is gone.
    assert_error_shape(member.api.get("/api/admin/users"), 401, "session_revoked")
    [log] = audit_rows(tenant.id, "role.update")
    assert log["before"]["permissions"] == ["orders.read", "users.read"]
    assert log["after"]["permissions"] == ["orders.read"] and log["after"]["description"] == "Sadece siparişler"
    assert admin.api.get("/api/admin/roles").status_code == 200  # the admin kept their session
    renamed = admin.api.put(f"/api/admin/roles/{rid}", {"name": "siparis_okur"})
    assert renamed.status_code == 200 and renamed.json["name"] == "siparis_okur"


@pytest.mark.parametrize(("body", "fields"), [
    ({}, []),
    ({"permissions": ["nope"]}, ["permissions"]),
    ({"name": "Büyük"}, ["name"]),
    ({"description": None, "members": []}, ["members"]),
])
def test_update_role_bad_input_changes_nothing(admin: Staff, tenant: TenantInfo, body, fields):
    before = snapshot(tenant.id)
    assert_invalid(admin.api.put(f"/api/admin/roles/{role_id(tenant.id, 'finance')}", body), *fields)
    assert snapshot(tenant.id) == before


def test_role_guards(admin: Staff, tenant: TenantInfo, editor: Staff, other_tenant: TenantInfo):
    before = snapshot(tenant.id)
    system = role_id(tenant.id, "editor")
    error = assert_error_shape(admin.api.put(f"/api/admin/roles/{system}", {"name": "katalog"}), 409, "conflict")
    assert error["details"]["reason"] == "system_role_name"
    star = admin.api.put(f"/api/admin/roles/{role_id(tenant.id, 'super_admin')}", {"permissions": ["users.read"]})
    assert assert_error_shape(star, 409, "conflict")["details"]["reason"] == "super_admin_is_everything"
    deleted_system = admin.api.delete(f"/api/admin/roles/{role_id(tenant.id, 'finance')}")
    assert assert_error_shape(deleted_system, 409, "conflict")["details"]["reason"] == "system_role"
    foreign = role_id(other_tenant.id, "finance")
    assert_error_shape(admin.api.put(f"/api/admin/roles/{foreign}", {"description": "x"}), 404, "not_found")
    assert_error_shape(admin.api.delete(f"/api/admin/roles/{foreign}"), 404, "not_found")
    assert_error_shape(admin.api.put("/api/admin/roles/999999999", {"description": "x"}), 404, "not_found")
    assert snapshot(tenant.id) == before


def test_removing_star_from_own_only_star_role_is_409(admin: Staff, tenant: TenantInfo):
    admin.api.post("/api/admin/roles", {"name": "kurucu", "permissions": ["*"]})
    assert admin.api.put(f"/api/admin/users/{admin.user_id}", {"roles": ["kurucu"]}).status_code == 200
    before = snapshot(tenant.id)
    error = admin.api.put(f"/api/admin/roles/{role_id(tenant.id, 'kurucu')}", {"permissions": ["users.read"]})
    assert assert_error_shape(error, 409, "conflict")["details"]["reason"] == "own_superuser"
    assert snapshot(tenant.id) == before


def test_delete_role(aa_client, admin: Staff, tenant: TenantInfo):
    rid = admin.api.post("/api/admin/roles", {"name": "gecici", "permissions": ["orders.read"]}).json["id"]
    holder = sign_in(aa_client, tenant, ["gecici"])
    in_use = admin.api.delete(f"/api/admin/roles/{rid}")
    assert assert_error_shape(in_use, 409, "conflict")["details"] == {"reason": "role_in_use", "member_count": 1}
    assert admin.api.put(f"/api/admin/users/{holder.user_id}", {"roles": []}).status_code == 200
    assert admin.api.delete(f"/api/admin/roles/{rid}").status_code == 204
    assert "gecici" not in {r["name"] for r in admin.api.get("/api/admin/roles").json["items"]}
    [log] = audit_rows(tenant.id, "role.delete")
    assert log["before"]["name"] == "gecici" and log["after"] is None
    assert_error_shape(admin.api.delete(f"/api/admin/roles/{rid}"), 404, "not_found")


# -- the audit trail as a whole ----------------------------------------------------------------
def test_every_write_is_audited_without_secrets(aa_client, admin: Staff, tenant: TenantInfo):
    password = "Gizli-Parola-42"
    rid = admin.api.post("/api/admin/roles", {"name": "denetim", "permissions": ["audit.read"]}).json["id"]
    admin.api.put(f"/api/admin/roles/{rid}", {"description": "Denetçi"})
    user = admin.api.post("/api/admin/users", {**NEW_USER, "password": password, "roles": ["denetim"]}).json
    admin.api.put(f"/api/admin/users/{user['id']}", {"roles": []})
    admin.api.delete(f"/api/admin/roles/{rid}")
    key = admin.api.post("/api/admin/api-keys", {"name": "entegrasyon"}).json
    rotated = admin.api.post(f"/api/admin/api-keys/{key['id']}/rotate", {"grace_seconds": 60}).json
    assert admin.api.delete(f"/api/admin/api-keys/{rotated['new']['id']}").status_code == 204
    rows = audit_rows(tenant.id)
    assert [r["action"] for r in rows] == ["role.create", "role.update", "user.create", "user.update", "role.delete",
                                           "api_key.create", "api_key.rotate", "api_key.revoke"]
    for row in rows:
        assert row["user_id"] == admin.user_id and row["request_id"]
        assert row["after"] is not None or row["action"].endswith(".delete")
        assert row["before"] is not None or row["action"].endswith(".create")
    text = json.dumps([[r["before_data"], r["after_data"]] for r in rows])
    hashes = (hash_api_key(key["api_key"]), hash_api_key(rotated["new"]["api_key"]))
    for secret in (password, key["api_key"], rotated["new"]["api_key"], *hashes, "$2b$", "password", "key_hash"):
        assert secret not in text, secret
