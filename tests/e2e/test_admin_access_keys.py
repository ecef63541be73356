"""Admin access over HTTP: API keys (/api/admin/api-keys)."""
# ruff: noqa: F811 - the fixtures imported from admin_access_kit are parameters by design
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.platform import tenancy
from chalicelib.platform.db import get_db
from tests.conftest import Api, TenantInfo
from tests.e2e.admin_access_kit import (  # noqa: F401 - fixtures
    Staff,
    aa_client,
    admin,
    admin_app,
    assert_invalid,
    audit_rows,
    snapshot,
)
from tests.e2e.test_pipeline import assert_error_shape


def _utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _naive_utc(text: str) -> datetime:
    """A response timestamp (RFC 3339 with an offset, issue 9) as naive UTC, like the database."""
    when = datetime.fromisoformat(text)
    assert when.tzinfo is not None, text
    return when.astimezone(timezone.utc).replace(tzinfo=None)


def _as_key(client, raw: str, admin: Staff) -> Api:
    api = Api(client, raw)
    api.token = admin.api.token
    return api


def test_list_keys_never_shows_a_secret(admin: Staff, tenant: TenantInfo, other_tenant: TenantInfo):
    created = admin.api.post("/api/admin/api-keys", {"name": "mobil"}).json
    listed = admin.api.get("/api/admin/api-keys")
    assert listed.status_code == 200, listed.body
    items = {k["id"]: k for k in listed.json["items"]}
    assert set(items) == {tenant.api_key_id, created["id"]}  # not other_tenant's
    default = items[tenant.api_key_id]
    assert default["name"] == "default" and default["status"] == "active"
    assert tenant.api_key.startswith(default["prefix"]) and default["prefix"] != tenant.api_key
    assert items[created["id"]]["created_by"] == admin.user_id
    body = listed.body.decode()
    for secret in (tenant.api_key, created["api_key"], tenancy.hash_api_key(tenant.api_key)):
        assert secret not in body
    assert "hash" not in body


def test_new_key_works_at_once_and_is_shown_once(aa_client, admin: Staff, tenant: TenantInfo):
    expires = (datetime.now(timezone.utc) + timedelta(days=90)).isoformat()
    created = admin.api.post("/api/admin/api-keys", {"name": "pazaryeri", "expires_at": expires})
    assert created.status_code == 201, created.body
    key = created.json
    assert key["api_key"].startswith(key["prefix"]) and key["status"] == "active" and key["expires_at"]
    assert _as_key(aa_client, key["api_key"], admin).get("/api/admin/roles").status_code == 200
    [log] = audit_rows(tenant.id, "api_key.create")
    assert log["after"]["name"] == "pazaryeri" and log["entity_id"] == str(key["id"])
    assert key["api_key"] not in log["after_data"]
    assert all("api_key" not in item for item in admin.api.get("/api/admin/api-keys").json["items"])


@pytest.mark.parametrize(("body", "fields"), [
    ({"name": ""}, ["name"]),
    ({"name": "x" * 101}, ["name"]),
    ({}, ["name"]),
    ({"name": "eski", "expires_at": "2020-01-01T00:00:00+00:00"}, ["expires_at"]),
    ({"name": "saatsiz", "expires_at": "2099-01-01T00:00:00"}, ["expires_at"]),
    ({"name": "x", "key": "hk_chosen-by-me"}, ["key"]),
])
def test_create_bad_input_changes_nothing(admin: Staff, tenant: TenantInfo, body, fields):
    before = snapshot(tenant.id)
    assert_invalid(admin.api.post("/api/admin/api-keys", body), *fields)
    assert snapshot(tenant.id) == before


def test_rotated_key_keeps_working_until_its_grace_ends(aa_client, admin: Staff, tenant: TenantInfo):
    old = admin.api.post("/api/admin/api-keys", {"name": "erp"}).json
    old_api = _as_key(aa_client, old["api_key"], admin)
    assert old_api.get("/api/admin/roles").status_code == 200  # cached as "no expiry"
    started = _utc_now()
    rotated = admin.api.post(f"/api/admin/api-keys/{old['id']}/rotate", {"grace_seconds": 3600})
    assert rotated.status_code == 201, rotated.body
    new, previous = rotated.json["new"], rotated.json["previous"]
    assert new["name"] == "erp" and new["id"] != old["id"] and new["api_key"] != old["api_key"]
    expiry = _naive_utc(previous["expires_at"])
    assert started + timedelta(seconds=3590) < expiry < _utc_now() + timedelta(seconds=3610)
    assert previous["status"] == "active"
    new_api = _as_key(aa_client, new["api_key"], admin)
    assert new_api.get("/api/admin/roles").status_code == 200
    assert old_api.get("/api/admin/roles").status_code == 200  # within the grace period
    [log] = audit_rows(tenant.id, "api_key.rotate")
    assert log["before"]["expires_at"] is None and log["after"]["previous"]["expires_at"]
    assert log["after"]["new"]["id"] == new["id"] and new["api_key"] not in log["after_data"]
    # The clock passes the expiry: simulated by moving it into the past.  (The cached resolution
    # carries the expiry set by the rotation; it is rewritten here, so the cache is dropped.)
    get_db().session().execute("UPDATE api_keys SET expires_at = %s WHERE tenant_id = %s AND id = %s",
                               (_utc_now() - timedelta(seconds=1), tenant.id, old["id"]))
    tenancy.forget_keys([tenancy.hash_api_key(old["api_key"])])
    assert_error_shape(old_api.get("/api/admin/roles"), 401, "api_key_invalid")
    assert new_api.get("/api/admin/roles").status_code == 200
    states = {k["id"]: k["status"] for k in admin.api.get("/api/admin/api-keys").json["items"]}
    assert states[old["id"]] == "expired" and states[new["id"]] == "active"
    again = admin.api.post(f"/api/admin/api-keys/{old['id']}/rotate", {})
    assert assert_error_shape(again, 409, "conflict")["details"]["reason"] == "key_not_active"


def test_rotation_defaults_to_a_day_and_never_extends_an_expiry(admin: Staff, tenant: TenantInfo):
    key = admin.api.post("/api/admin/api-keys", {"name": "gunluk"}).json
    previous = admin.api.post(f"/api/admin/api-keys/{key['id']}/rotate", {}).json["previous"]
    assert abs(_naive_utc(previous["expires_at"]) - (_utc_now() + timedelta(hours=24))) < timedelta(minutes=1)
    soon = (datetime.now(timezone.utc) + timedelta(hours=2)).isoformat()
    short = admin.api.post("/api/admin/api-keys", {"name": "kisa", "expires_at": soon}).json
    kept = admin.api.post(f"/api/admin/api-keys/{short['id']}/rotate", {"grace_seconds": 7 * 86400}).json["previous"]
    assert kept["expires_at"] == short["expires_at"]


@pytest.mark.parametrize(("body", "fields"), [
    ({"grace_seconds": 30 * 86400 + 1}, ["grace_seconds"]),
    ({"grace_seconds": -1}, ["grace_seconds"]),
    ({"grace_seconds": "bir gün"}, ["grace_seconds"]),
    ({"name": "yeni ad"}, ["name"]),
])
def test_rotate_bad_input_changes_nothing(admin: Staff, tenant: TenantInfo, body, fields):
    before = snapshot(tenant.id)
    assert_invalid(admin.api.post(f"/api/admin/api-keys/{tenant.api_key_id}/rotate", body), *fields)
    assert snapshot(tenant.id) == before


def test_revoked_key_is_refused_at_once(aa_client, admin: Staff, tenant: TenantInfo):
    key = admin.api.post("/api/admin/api-keys", {"name": "kiosk"}).json
    kiosk = _as_key(aa_client, key["api_key"], admin)
    assert kiosk.get("/api/admin/roles").status_code == 200  # now cached, in Redis and in this process
    assert admin.api.delete(f"/api/admin/api-keys/{key['id']}").status_code == 204
    assert_error_shape(kiosk.get("/api/admin/roles"), 401, "api_key_invalid")
    [log] = audit_rows(tenant.id, "api_key.revoke")
    assert (log["before"]["status"], log["after"]["status"]) == ("active", "revoked")
    assert admin.api.delete(f"/api/admin/api-keys/{key['id']}").status_code == 204  # idempotent...
    assert len(audit_rows(tenant.id, "api_key.revoke")) == 1  # ...and writes nothing the second time
    rotate = admin.api.post(f"/api/admin/api-keys/{key['id']}/rotate", {})
    assert assert_error_shape(rotate, 409, "conflict")["details"]["reason"] == "key_not_active"


def test_revoking_the_key_in_use_needs_force(admin: Staff, tenant: TenantInfo):
    before = snapshot(tenant.id)
    mine = admin.api.delete(f"/api/admin/api-keys/{tenant.api_key_id}")
    assert assert_error_shape(mine, 409, "conflict")["details"]["reason"] == "key_in_use_by_this_request"
    assert snapshot(tenant.id) == before
    assert admin.api.get("/api/admin/api-keys").status_code == 200
    assert_invalid(admin.api.delete(f"/api/admin/api-keys/{tenant.api_key_id}?force=perhaps"), "force")
    assert snapshot(tenant.id) == before
    assert admin.api.delete(f"/api/admin/api-keys/{tenant.api_key_id}?force=true").status_code == 204
    assert_error_shape(admin.api.get("/api/admin/api-keys"), 401, "api_key_invalid")


def test_another_tenants_key_is_404(admin: Staff, tenant: TenantInfo, other_tenant: TenantInfo):
    before = snapshot(other_tenant.id)
    assert_error_shape(admin.api.delete(f"/api/admin/api-keys/{other_tenant.api_key_id}"), 404, "not_found")
    assert_error_shape(admin.api.post(f"/api/admin/api-keys/{other_tenant.api_key_id}/rotate", {}), 404, "not_found")
    assert_error_shape(admin.api.delete("/api/admin/api-keys/999999999"), 404, "not_found")
    assert snapshot(other_tenant.id) == before
    # Their key still resolves: the request gets as far as asking for a token.
    assert_error_shape(Api(admin.api.client, other_tenant.api_key).get("/api/admin/roles"), 401, "token_missing")
