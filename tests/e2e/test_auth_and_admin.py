"""JWT on user and admin routes, refresh-token rotation, admin permissions and the audit log."""
from __future__ import annotations

import json

from chalicelib.platform.auth import issue_access_token
from chalicelib.platform.context import Principal
from tests.conftest import Api, TenantInfo, login, make_user
from tests.e2e.test_pipeline import assert_error_shape


def test_login_returns_tokens_and_profile_works(api: Api, tenant: TenantInfo):
    user_id, email, password = make_user(tenant)
    tokens = login(api, email.upper(), password)  # e-mail is case-insensitive
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 900
    assert "password" not in json.dumps(tokens)
    profile = api.get("/api/users/profile", token=tokens["access_token"])
    assert profile.status_code == 200
    assert profile.json["id"] == user_id and profile.json["first_name"] == "Ayşe"


def test_login_failure_does_not_reveal_whether_the_account_exists(api: Api, tenant: TenantInfo):
    _, email, _ = make_user(tenant)
    wrong_password = api.post("/api/users/login", {"email": email, "password": "wrong"})
    no_account = api.post("/api/users/login", {"email": "nobody@example.com", "password": "wrong"})
    assert_error_shape(wrong_password, 401, "invalid_credentials")
    assert_error_shape(no_account, 401, "invalid_credentials")
    assert json.loads(wrong_password.body)["error"] == json.loads(no_account.body)["error"]


def test_user_routes_need_a_token(api: Api):
    assert_error_shape(api.get("/api/users/profile"), 401, "token_missing")
    assert_error_shape(api.get("/api/users/profile", token="not.a.jwt"), 401, "token_invalid")
    assert_error_shape(api.get("/api/users/profile", headers={"Authorization": "Basic abc"}), 401, "token_invalid")


def test_expired_token_is_refused(api: Api, tenant: TenantInfo):
    user_id, _, _ = make_user(tenant)
    token, _ = issue_access_token(
        Principal(user_id, tenant.id, (), frozenset(), False), now=1_000_000_000)
    assert_error_shape(api.get("/api/users/profile", token=token), 401, "token_invalid")


def test_token_of_another_tenant_is_refused(client, tenant: TenantInfo, other_tenant: TenantInfo):
    _, email, password = make_user(other_tenant, roles=["super_admin"])
    foreign = login(Api(client, other_tenant.api_key), email, password)["access_token"]
    assert_error_shape(Api(client, tenant.api_key).get("/api/users/profile", token=foreign), 401, "tenant_mismatch")
    assert_error_shape(Api(client, tenant.api_key).get("/api/admin/settings", token=foreign), 401, "tenant_mismatch")


def test_refresh_rotates_and_reuse_revokes_the_family(api: Api, tenant: TenantInfo):
    _, email, password = make_user(tenant)
    first = login(api, email, password)
    second = api.post("/api/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    assert second.json["refresh_token"] != first["refresh_token"]
    # The old token again: theft suspected, the whole session dies...
    reused = api.post("/api/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert_error_shape(reused, 401, "refresh_token_invalid")
    # ...including the newest token, which was never used.
    assert_error_shape(api.post("/api/auth/refresh", {"refresh_token": second.json["refresh_token"]}), 401,
                       "refresh_token_invalid")


def test_refresh_token_is_tenant_bound(client, tenant: TenantInfo, other_tenant: TenantInfo):
    _, email, password = make_user(tenant)
    tokens = login(Api(client, tenant.api_key), email, password)
    other = Api(client, other_tenant.api_key).post("/api/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    assert_error_shape(other, 401, "refresh_token_invalid")
    # and it did not burn the token in its own tenant
    assert Api(client, tenant.api_key).post("/api/auth/refresh", {"refresh_token": tokens["refresh_token"]}).status_code == 200


def test_logout_revokes_the_session(api: Api, tenant: TenantInfo):
    _, email, password = make_user(tenant)
    tokens = login(api, email, password)
    assert api.post("/api/auth/logout", token=tokens["access_token"]).status_code == 204
    assert_error_shape(api.post("/api/auth/refresh", {"refresh_token": tokens["refresh_token"]}), 401,
                       "refresh_token_invalid")


def test_admin_routes_need_staff_with_permission(api: Api, tenant: TenantInfo, customer_api: Api):
    assert_error_shape(api.get("/api/admin/settings"), 401, "token_missing")
    assert_error_shape(customer_api.get("/api/admin/settings"), 403, "forbidden")
    _, email, password = make_user(tenant, roles=["editor"])  # staff, but not settings.read
    editor = login(api, email, password)["access_token"]
    assert_error_shape(api.get("/api/admin/settings", token=editor), 403, "forbidden")
    assert_error_shape(api.put("/api/admin/settings", {"name": "x-shop"}, token=editor), 403, "forbidden")


def test_admin_reads_and_changes_settings_with_audit(admin_api: Api, tenant: TenantInfo):
    current = admin_api.get("/api/admin/settings")
    assert current.status_code == 200
    assert current.json["cors_origins"] == ["https://shop.example.com"]
    change = {
        "name": "Huğlu Av Mağazası",
        "cors_origins": ["https://shop.example.com", "https://admin.example.com"],
        "rate_limit": {"default": {"limit": 500, "window": 900}},
    }
    updated = admin_api.put("/api/admin/settings", change)
    assert updated.status_code == 200, updated.body
    assert updated.json["name"] == "Huğlu Av Mağazası"
    assert updated.json["rate_limit"]["default"] == {"limit": 500, "window": 900}
    # the new origin works at once (cache invalidated after commit)
    preflight = admin_api.get("/api/products", headers={"Origin": "https://admin.example.com"})
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://admin.example.com"
    logs = admin_api.get("/api/admin/logs?action=tenant.settings.update")
    assert logs.status_code == 200
    entry = logs.json["items"][0]
    assert entry["before"]["name"] != "Huğlu Av Mağazası" and entry["after"]["name"] == "Huğlu Av Mağazası"
    assert entry["entity_type"] == "tenant" and entry["user_id"] is not None


def test_bad_settings_change_nothing(admin_api: Api):
    before = admin_api.get("/api/admin/settings").json
    bad = admin_api.put("/api/admin/settings", {"name": "ok name", "cors_origins": ["javascript:alert(1)"]})
    error = assert_error_shape(bad, 400, "validation_failed")
    assert error["details"]["fields"][0]["field"].startswith("cors_origins")
    bad_limit = admin_api.put("/api/admin/settings", {"rate_limit": {"routes": {"DROP TABLE": {"limit": 1}}}})
    assert_error_shape(bad_limit, 400, "validation_failed")
    assert admin_api.get("/api/admin/settings").json == before
    assert admin_api.get("/api/admin/logs").json["items"] == []


def test_admin_logs_are_tenant_scoped_and_paginated(client, admin_api: Api, other_tenant: TenantInfo):
    for i in range(3):
        assert admin_api.put("/api/admin/settings", {"name": f"Mağaza {i}"}).status_code == 200
    page = admin_api.get("/api/admin/logs?limit=2")
    assert len(page.json["items"]) == 2 and page.json["next_cursor"]
    rest = admin_api.get(f"/api/admin/logs?limit=2&cursor={page.json['next_cursor']}")
    assert len(rest.json["items"]) == 1 and rest.json["next_cursor"] is None
    _, email, password = make_user(other_tenant, roles=["super_admin"])
    other = Api(client, other_tenant.api_key)
    other.token = login(other, email, password)["access_token"]
    assert other.get("/api/admin/logs").json["items"] == []
    assert_error_shape(admin_api.get("/api/admin/logs?limit=0"), 400, "validation_failed")


def test_admin_writes_only_touch_their_own_tenant(client, admin_api: Api, other_tenant: TenantInfo):
    from chalicelib.platform.db import get_db
    from chalicelib.system.service import get_settings

    before = get_settings(get_db(), other_tenant.id)
    assert admin_api.put("/api/admin/settings", {"name": "Sadece Benim Mağazam"}).status_code == 200
    assert get_settings(get_db(), other_tenant.id) == before


def test_a_token_verified_once_is_still_refused_once_expired_or_under_another_secret(monkeypatch):
    """platform.auth remembers verified tokens (issue 16 item 4); the memory never outlives the
    token's expiry nor the secret it was verified with, and a bad token is never remembered."""
    import dataclasses
    import time

    import pytest

    from chalicelib.platform import auth
    from chalicelib.platform.config import settings
    from chalicelib.platform.errors import Unauthorized

    principal = Principal(7, 3, ("customer",), frozenset({"orders:write"}), False, "s-1")
    token, lifetime = issue_access_token(principal)
    assert auth.decode_access_token(token) == principal
    calls = auth._verified.cache_info().hits
    assert auth.decode_access_token(token) == principal
    assert auth._verified.cache_info().hits == calls + 1  # the second use did not verify again
    later = time.time() + lifetime + auth.LEEWAY_SECONDS + 1
    monkeypatch.setattr(auth.time, "time", lambda: later)
    with pytest.raises(Unauthorized):
        auth.decode_access_token(token)  # remembered, and expired all the same
    monkeypatch.undo()
    rotated = dataclasses.replace(settings(), jwt_secret="another-secret-of-enough-length-0123456789")
    monkeypatch.setattr(auth, "settings", lambda: rotated)
    with pytest.raises(Unauthorized):
        auth.decode_access_token(token)  # signed with the old secret: verified again, and refused
    monkeypatch.undo()
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for _ in range(2):
        with pytest.raises(Unauthorized):
            auth.decode_access_token(tampered)
