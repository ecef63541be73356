"""Two-factor authentication (U6): setup, confirm, the second sign-in step, recovery codes,
disable, the admin 2FA policy; against the real MariaDB and Redis, codes made by pyotp.

TOTP codes work once per 30 s step, so a test that needs several takes them with
Account.next_code() (successive steps of the accepted window).
"""
from __future__ import annotations

import json
import re

import pytest

from chalicelib.platform import cache
from chalicelib.platform.db import get_db
from tests.conftest import Api, TenantInfo
from tests.e2e import security_support
from tests.e2e.security_support import Account, amr
from tests.e2e.test_pipeline import assert_error_shape

# The shared fixtures (the app under test and an anonymous API on it).
security_client = security_support.security_client
sapi = security_support.sapi

RECOVERY = re.compile(r"^[a-z0-9]{4}-[a-z0-9]{4}$")


def _user_row(tenant: TenantInfo, user_id: int) -> dict:
    row = get_db().session().one("SELECT totp_secret_enc, totp_enabled_at FROM users WHERE tenant_id = %s AND id = %s",
                                 (tenant.id, user_id))
    assert row is not None
    return row


def _challenge(account: Account) -> str:
    response = account.password_step()
    assert response.status_code == 200, response.body
    return response.json["mfa_token"]  # type: ignore[no-any-return]


def _verify(api: Api, mfa_token: str, **factor: str):
    return api.post("/api/auth/2fa/verify", {"mfa_token": mfa_token, **factor})


@pytest.fixture
def account(sapi: Api, tenant: TenantInfo) -> Account:
    return Account(sapi, tenant)


@pytest.fixture
def mfa_account(account: Account) -> Account:
    """A user with 2FA on (confirmed with the code of the previous step)."""
    account.enable_2fa(account.sign_in())
    return account


# -- setup and confirm ---------------------------------------------------------------------------


def test_setup_returns_uri_and_secret_but_changes_nothing_until_confirmed(account: Account, tenant: TenantInfo):
    token = account.sign_in()
    setup = account.api.post("/api/auth/2fa/setup", token=token)
    assert setup.status_code == 200, setup.body
    body = setup.json
    assert set(body) == {"otpauth_uri", "secret", "expires_in"} and body["expires_in"] == 600
    assert re.fullmatch(r"[A-Z2-7]{32}", body["secret"])
    assert body["otpauth_uri"].startswith("otpauth://totp/")
    assert f"secret={body['secret']}" in body["otpauth_uri"]
    assert "issuer=Test%20" + tenant.slug in body["otpauth_uri"]  # issuer = the tenant's name
    assert account.email.replace("@", "%40") in body["otpauth_uri"]  # label = the e-mail
    row = _user_row(tenant, account.user_id)
    assert row["totp_secret_enc"] is None and row["totp_enabled_at"] is None
    assert account.api.get("/api/auth/2fa", token=token).json == {
        "enabled": False, "enabled_at": None, "recovery_codes_left": 0}
    assert "access_token" in account.password_step().json  # not enabled: still one step


def test_confirm_enables_2fa_returns_codes_once_and_signs_out_other_sessions(account: Account, tenant: TenantInfo):
    other_device = account.sign_in()
    token = account.sign_in()
    codes = account.enable_2fa(token)
    assert len(codes) == 10 and len(set(codes)) == 10 and all(RECOVERY.match(c) for c in codes)
    row = _user_row(tenant, account.user_id)
    assert row["totp_enabled_at"] is not None
    assert account.secret is not None and account.secret.encode() not in bytes(row["totp_secret_enc"])  # sealed
    stored = get_db().session().all("SELECT code_hash FROM user_recovery_codes WHERE tenant_id = %s AND user_id = %s",
                                    (tenant.id, account.user_id))
    assert len(stored) == 10 and not {c.replace("-", "") for c in codes} & {s["code_hash"] for s in stored}
    # other sessions end, this one stays
    assert_error_shape(account.api.get("/api/auth/2fa", token=other_device), 401, "session_revoked")
    status = account.api.get("/api/auth/2fa", token=token)
    assert status.status_code == 200 and status.json["enabled"] and status.json["recovery_codes_left"] == 10
    # codes are never shown again
    assert "recovery_codes" not in status.json and account.secret not in status.body.decode()
    assert_error_shape(account.api.post("/api/auth/2fa/setup", token=token), 409, "mfa_already_enabled")
    assert_error_shape(account.api.post("/api/auth/2fa/confirm", {"code": account.code(0)}, token=token), 409,
                       "mfa_already_enabled")


def test_confirm_refuses_a_wrong_code_or_a_missing_setup(account: Account, tenant: TenantInfo):
    token = account.sign_in()
    assert_error_shape(account.api.post("/api/auth/2fa/confirm", {"code": "123456"}, token=token), 409,
                       "mfa_setup_required")
    account.secret = account.api.post("/api/auth/2fa/setup", token=token).json["secret"]
    error = assert_error_shape(account.api.post("/api/auth/2fa/confirm", {"code": account.wrong_code()}, token=token), 400,
                               "code_invalid")
    assert error["details"]["fields"][0]["field"] == "code"
    error = assert_error_shape(account.api.post("/api/auth/2fa/confirm", {"code": "12ab56"}, token=token), 400,
                               "validation_failed")
    assert [f["field"] for f in error["details"]["fields"]] == ["code"]
    assert _user_row(tenant, account.user_id)["totp_enabled_at"] is None
    # the pending setup expires (10 minutes): then confirming needs a new setup
    cache.redis_client().delete(cache.tenant_key(tenant.id, "mfa", "pending", account.user_id))
    assert_error_shape(account.api.post("/api/auth/2fa/confirm", {"code": account.code(0)}, token=token), 409,
                       "mfa_setup_required")


def test_a_new_setup_replaces_the_pending_secret(account: Account):
    token = account.sign_in()
    first = account.api.post("/api/auth/2fa/setup", token=token).json["secret"]
    account.secret = account.api.post("/api/auth/2fa/setup", token=token).json["secret"]
    assert first != account.secret
    import pyotp

    old_code = pyotp.TOTP(first).now()
    fresh = account.next_code()
    if old_code != fresh:
        assert_error_shape(account.api.post("/api/auth/2fa/confirm", {"code": old_code}, token=token), 400,
                           "code_invalid")
    assert account.api.post("/api/auth/2fa/confirm", {"code": fresh}, token=token).status_code == 200


# -- signing in with the second factor ------------------------------------------------------------


def test_password_step_answers_with_a_challenge_and_no_tokens(mfa_account: Account):
    response = mfa_account.password_step()
    assert response.status_code == 200, response.body
    assert response.json["mfa_required"] is True and response.json["methods"] == ["totp", "recovery_code"]
    assert len(response.json["mfa_token"]) >= 40
    assert not {"access_token", "refresh_token", "user"} & set(response.json)


def test_totp_completes_the_login_once(mfa_account: Account):
    code = mfa_account.next_code()
    tokens = _verify(mfa_account.api, _challenge(mfa_account), code=code)
    assert tokens.status_code == 200, tokens.body
    assert amr(tokens.json["access_token"]) == ("pwd", "otp")
    assert tokens.json["user"]["id"] == mfa_account.user_id
    assert mfa_account.api.get("/api/auth/2fa", token=tokens.json["access_token"]).status_code == 200
    # the same code again, within its 30 s: refused
    replay = _verify(mfa_account.api, _challenge(mfa_account), code=code)
    assert_error_shape(replay, 401, "mfa_code_invalid")
    # refresh keeps saying how the session was authenticated
    refreshed = mfa_account.api.post("/api/auth/refresh", {"refresh_token": tokens.json["refresh_token"]})
    assert refreshed.status_code == 200 and amr(refreshed.json["access_token"]) == ("pwd", "otp")


def test_old_codes_outside_the_window_are_refused(mfa_account: Account):
    assert_error_shape(_verify(mfa_account.api, _challenge(mfa_account), code=mfa_account.code(-3)), 401,
                       "mfa_code_invalid")


def test_recovery_code_completes_the_login_once(mfa_account: Account, tenant: TenantInfo):
    first, second = mfa_account.recovery_codes[:2]
    tokens = _verify(mfa_account.api, _challenge(mfa_account), recovery_code=first)
    assert tokens.status_code == 200, tokens.body
    assert amr(tokens.json["access_token"]) == ("pwd", "otp")
    assert_error_shape(_verify(mfa_account.api, _challenge(mfa_account), recovery_code=first), 401,
                       "mfa_code_invalid")
    # typed without the dash and in capitals: still the same code
    assert _verify(mfa_account.api, _challenge(mfa_account), recovery_code=second.replace("-", "").upper()
                   ).status_code == 200
    used = get_db().session().scalar(
        "SELECT COUNT(*) FROM user_recovery_codes WHERE tenant_id = %s AND user_id = %s AND used_at IS NOT NULL",
        (tenant.id, mfa_account.user_id))
    assert used == 2
    assert mfa_account.api.get("/api/auth/2fa", token=tokens.json["access_token"]).json["recovery_codes_left"] == 8


def test_five_wrong_codes_kill_the_mfa_token(mfa_account: Account):
    mfa_token = _challenge(mfa_account)
    right, wrong = mfa_account.next_code(), mfa_account.wrong_code()
    for left in (4, 3, 2, 1, 0):
        error = assert_error_shape(_verify(mfa_account.api, mfa_token, code=wrong), 401, "mfa_code_invalid")
        assert error["details"] == {"attempts_left": left}
    assert_error_shape(_verify(mfa_account.api, mfa_token, code=right), 401, "mfa_token_invalid")
    # a wrong recovery code counts the same way and burns nothing
    other = _challenge(mfa_account)
    assert_error_shape(_verify(mfa_account.api, other, recovery_code="zzzz-zzzz"), 401, "mfa_code_invalid")
    assert _verify(mfa_account.api, other, code=right).status_code == 200


def test_wrong_codes_are_also_counted_per_account(mfa_account: Account):
    """Fresh tokens do not buy fresh guesses: ten failures lock the second step for a while."""
    for _ in range(2):
        mfa_token = _challenge(mfa_account)
        for _ in range(5):
            assert_error_shape(_verify(mfa_account.api, mfa_token, code=mfa_account.wrong_code()), 401,
                               "mfa_code_invalid")
    locked = _verify(mfa_account.api, _challenge(mfa_account), code=mfa_account.next_code())
    error = assert_error_shape(locked, 429, "login_locked")
    assert 0 < error["details"]["retry_after"] <= 900 and int(locked.headers["Retry-After"]) > 0


def test_mfa_token_works_once(mfa_account: Account):
    mfa_token = _challenge(mfa_account)
    assert _verify(mfa_account.api, mfa_token, code=mfa_account.next_code()).status_code == 200
    assert_error_shape(_verify(mfa_account.api, mfa_token, code=mfa_account.next_code()), 401, "mfa_token_invalid")
    assert_error_shape(_verify(mfa_account.api, "x" * 43, code=mfa_account.code(1)), 401, "mfa_token_invalid")


def test_mfa_token_is_bound_to_its_tenant(mfa_account: Account, security_client, other_tenant: TenantInfo):
    mfa_token = _challenge(mfa_account)
    foreign = Api(security_client, other_tenant.api_key)
    code = mfa_account.next_code()
    assert_error_shape(_verify(foreign, mfa_token, code=code), 401, "mfa_token_invalid")
    # and the attempt from the other tenant neither used the token nor the code
    assert _verify(mfa_account.api, mfa_token, code=code).status_code == 200


def test_mfa_token_is_bound_to_the_client_ip(mfa_account: Account, tenant: TenantInfo):
    from chalicelib.accounts import mfa
    from chalicelib.accounts.service import Client

    issued_elsewhere = mfa.start_login_challenge(tenant.id, mfa_account.user_id, Client(ip="203.0.113.7"))
    assert_error_shape(_verify(mfa_account.api, issued_elsewhere["mfa_token"], code=mfa_account.code(0)), 401,
                       "mfa_token_invalid")


def test_an_expired_mfa_token_is_refused(mfa_account: Account, tenant: TenantInfo):
    from chalicelib.accounts import mfa

    mfa_token = _challenge(mfa_account)
    key = mfa._login_key(tenant.id, mfa_token)
    assert 0 < cache.redis_client().ttl(key) <= 300
    cache.redis_client().expire(key, 0)  # what five minutes do
    assert_error_shape(_verify(mfa_account.api, mfa_token, code=mfa_account.code(0)), 401, "mfa_token_invalid")


def test_a_user_disabled_after_the_password_step_cannot_finish(mfa_account: Account, tenant: TenantInfo):
    mfa_token = _challenge(mfa_account)
    get_db().session().execute("UPDATE users SET status = 'disabled' WHERE tenant_id = %s AND id = %s",
                               (tenant.id, mfa_account.user_id))
    assert_error_shape(_verify(mfa_account.api, mfa_token, code=mfa_account.code(0)), 401, "mfa_token_invalid")


def test_verify_bad_input_is_400_and_spends_no_attempt(mfa_account: Account):
    mfa_token = _challenge(mfa_account)
    cases = [
        ({"mfa_token": mfa_token}, ["recovery_code"]),
        ({"mfa_token": mfa_token, "code": mfa_account.code(0), "recovery_code": "abcd-efgh"}, ["recovery_code"]),
        ({"mfa_token": mfa_token, "code": "12345"}, ["code"]),
        ({"mfa_token": "short", "recovery_code": "abcd-efgh"}, ["mfa_token"]),
        ({"code": mfa_account.code(0)}, ["mfa_token"]),
        ({"mfa_token": mfa_token, "code": mfa_account.code(0), "admin": True}, ["admin"]),
    ]
    for body, fields in cases:
        error = assert_error_shape(mfa_account.api.post("/api/auth/2fa/verify", body), 400, "validation_failed")
        assert [f["field"] for f in error["details"]["fields"]] == fields, body
    assert _verify(mfa_account.api, mfa_token, code=mfa_account.next_code()).status_code == 200


# -- disable and recovery codes ------------------------------------------------------------------


def test_disable_needs_a_fresh_code(mfa_account: Account, tenant: TenantInfo):
    used = mfa_account.next_code()
    token = _verify(mfa_account.api, _challenge(mfa_account), code=used).json["access_token"]
    assert_error_shape(mfa_account.api.post("/api/auth/2fa/disable", {"code": used}, token=token), 400,
                       "code_invalid")
    error = assert_error_shape(mfa_account.api.post("/api/auth/2fa/disable", {}, token=token), 400,
                               "validation_failed")
    assert error["details"]["fields"][0]["field"] == "recovery_code"
    assert _user_row(tenant, mfa_account.user_id)["totp_enabled_at"] is not None
    fresh = mfa_account.next_code()
    assert mfa_account.api.post("/api/auth/2fa/disable", {"code": fresh}, token=token).status_code == 204
    row = _user_row(tenant, mfa_account.user_id)
    assert row["totp_enabled_at"] is None and row["totp_secret_enc"] is None
    assert get_db().session().scalar("SELECT COUNT(*) FROM user_recovery_codes WHERE tenant_id = %s AND user_id = %s",
                                     (tenant.id, mfa_account.user_id)) == 0
    assert "access_token" in mfa_account.password_step().json
    assert_error_shape(mfa_account.api.post("/api/auth/2fa/disable", {"code": mfa_account.code(1)}, token=token),
                       409, "mfa_not_enabled")


def test_disable_with_a_recovery_code(mfa_account: Account, tenant: TenantInfo):
    token = _verify(mfa_account.api, _challenge(mfa_account), code=mfa_account.next_code()).json["access_token"]
    assert_error_shape(mfa_account.api.post("/api/auth/2fa/disable", {"recovery_code": "zzzz-zzzz"}, token=token),
                       400, "code_invalid")
    response = mfa_account.api.post("/api/auth/2fa/disable", {"recovery_code": mfa_account.recovery_codes[0]},
                                    token=token)
    assert response.status_code == 204, response.body
    assert _user_row(tenant, mfa_account.user_id)["totp_enabled_at"] is None


def test_regenerated_recovery_codes_replace_the_old_ones(mfa_account: Account):
    token = _verify(mfa_account.api, _challenge(mfa_account), code=mfa_account.next_code()).json["access_token"]
    old = mfa_account.recovery_codes
    assert_error_shape(mfa_account.api.post("/api/auth/2fa/recovery-codes", {"code": mfa_account.wrong_code()},
                                            token=token), 400, "code_invalid")
    assert_error_shape(mfa_account.api.post("/api/auth/2fa/recovery-codes", {"recovery_code": old[0]}, token=token),
                       400, "validation_failed")
    assert mfa_account.api.get("/api/auth/2fa", token=token).json["recovery_codes_left"] == 10  # nothing changed
    response = mfa_account.api.post("/api/auth/2fa/recovery-codes", {"code": mfa_account.next_code()}, token=token)
    assert response.status_code == 200, response.body
    new = response.json["recovery_codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert_error_shape(_verify(mfa_account.api, _challenge(mfa_account), recovery_code=old[1]), 401,
                       "mfa_code_invalid")
    assert _verify(mfa_account.api, _challenge(mfa_account), recovery_code=new[0]).status_code == 200


def test_managing_2fa_without_2fa_on_is_409(account: Account):
    token = account.sign_in()
    assert_error_shape(account.api.post("/api/auth/2fa/disable", {"code": "123456"}, token=token), 409,
                       "mfa_not_enabled")
    assert_error_shape(account.api.post("/api/auth/2fa/recovery-codes", {"code": "123456"}, token=token), 409,
                       "mfa_not_enabled")


# -- who may call -----------------------------------------------------------------------------


USER_ROUTES = [("GET", "/api/auth/2fa", None), ("POST", "/api/auth/2fa/setup", None),
               ("POST", "/api/auth/2fa/confirm", {"code": "123456"}),
               ("POST", "/api/auth/2fa/disable", {"code": "123456"}),
               ("POST", "/api/auth/2fa/recovery-codes", {"code": "123456"})]


def test_user_routes_need_a_token_of_this_tenant(sapi: Api, security_client, other_tenant: TenantInfo):
    foreign = Account(Api(security_client, other_tenant.api_key), other_tenant).sign_in()
    for method, path, body in USER_ROUTES:
        assert_error_shape(sapi.request(method, path, body), 401, "token_missing")
        assert_error_shape(sapi.request(method, path, body, token=foreign), 401, "tenant_mismatch")


def test_2fa_changes_only_touch_the_callers_account(mfa_account: Account, sapi: Api, tenant: TenantInfo):
    """Another user of the same tenant cannot use their own codes against this account."""
    other = Account(sapi, tenant)
    token = other.sign_in()
    assert_error_shape(sapi.post("/api/auth/2fa/disable", {"code": mfa_account.code(0)}, token=token), 409,
                       "mfa_not_enabled")
    assert_error_shape(sapi.post("/api/auth/2fa/disable", {"recovery_code": mfa_account.recovery_codes[0]},
                                 token=token), 409, "mfa_not_enabled")
    assert _user_row(tenant, mfa_account.user_id)["totp_enabled_at"] is not None


# -- admin policy -------------------------------------------------------------------------------


def test_admin_2fa_policy(client, security_client, tenant: TenantInfo):
    admin = Account(Api(security_client, tenant.api_key), tenant, roles=["super_admin"])
    system = Api(client, tenant.api_key)  # app.py: the admin routes
    token = admin.sign_in()
    change = system.put("/api/admin/settings", {"security": {"require_admin_2fa": True}}, token=token)
    assert change.status_code == 200, change.body
    # a password-only admin session is refused from now on (cache invalidated on commit)
    assert_error_shape(system.get("/api/admin/settings", token=token), 403, "mfa_required")
    # user routes are not admin routes: the admin can still set up 2FA with this session
    admin.enable_2fa(token)
    assert_error_shape(system.get("/api/admin/settings", token=token), 403, "mfa_required")
    tokens = _verify(admin.api, _challenge(admin), code=admin.next_code()).json
    assert system.get("/api/admin/settings", token=tokens["access_token"]).status_code == 200
    # a recovery code is a one-time password too
    by_code = _verify(admin.api, _challenge(admin), recovery_code=admin.recovery_codes[0]).json
    assert system.get("/api/admin/settings", token=by_code["access_token"]).status_code == 200


# -- secrets stay secret ------------------------------------------------------------------------


def test_secrets_never_reach_the_logs(account: Account, capsys):
    import logging

    root = logging.getLogger("huglu")
    level = root.level
    root.setLevel(logging.DEBUG)
    try:
        capsys.readouterr()
        token = account.sign_in()
        codes = account.enable_2fa(token)
        challenge = _challenge(account)
        code = account.next_code()
        tokens = _verify(account.api, challenge, code=code).json
        _verify(account.api, _challenge(account), recovery_code=codes[0])
        account.api.post("/api/auth/2fa/recovery-codes", {"code": account.wrong_code()}, token=tokens["access_token"])
        out = capsys.readouterr().out
    finally:
        root.setLevel(level)
    assert '"message": "request"' in out  # the request log lines were captured
    assert account.secret is not None
    for secret in [account.secret, challenge, code, tokens["access_token"], tokens["refresh_token"], *codes]:
        assert secret not in out


def test_redis_outage_is_503_not_a_skipped_check(mfa_account: Account, monkeypatch):
    from chalicelib.platform.config import reset_settings

    mfa_token = _challenge(mfa_account)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    reset_settings()
    cache.reset_client()
    try:
        response = _verify(mfa_account.api, mfa_token, code=mfa_account.code(0))
        assert_error_shape(response, 503, "service_unavailable")
        assert "access_token" not in json.loads(response.body)
    finally:
        monkeypatch.undo()
        reset_settings()
        cache.reset_client()
