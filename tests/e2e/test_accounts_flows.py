"""Accounts over HTTP: registration with verification, login by e-mail or phone, lockout,
sessions, password reset / change, profile, e-mail and phone change, deletion."""
from __future__ import annotations

import json
import re
import uuid

import pytest

from tests.conftest import Api, TenantInfo, login, make_user
from tests.e2e.test_pipeline import assert_error_shape

PASSWORD = "Kamp-Ateşi-2024"


def _outbox():
    from tests import notifications_outbox

    return notifications_outbox


def _last_code(to: str) -> str:
    box = _outbox()
    box.drain_notifications()
    messages = [m for m in box.sent_emails() + box.sent_sms() if m["to"] == to]
    assert messages, f"nothing sent to {to}"
    match = re.search(r"\b(\d{6})\b", messages[-1]["text"])
    assert match, messages[-1]
    return match.group(1)


def _register(api: Api, **overrides) -> tuple[dict, str]:
    email = overrides.pop("email", f"kayit-{uuid.uuid4().hex[:8]}@example.com")
    body = {"email": email, "password": PASSWORD, "first_name": "Mehmet", "last_name": "Öztürk",
            "kvkk_consent": True, **overrides}
    if "phone" in overrides:
        body.pop("email")
    started = api.post("/api/users", body)
    assert started.status_code == 202, started.body
    target = body.get("email") or overrides["phone"]
    return started.json, target


def test_register_verify_and_sign_in(api: Api):
    started, email = _register(api)
    assert started["channel"] == "email" and started["expires_in"] == 900
    verified = api.post("/api/users/verify", {"verification_id": started["verification_id"], "code": _last_code(email)})
    assert verified.status_code == 201, verified.body
    assert verified.json["user"]["email"] == email
    profile = api.get("/api/users/profile", token=verified.json["access_token"])
    assert profile.json["email_verified"] is True and profile.json["last_name"] == "Öztürk"
    assert login(api, email, PASSWORD)["access_token"]


def test_register_by_phone_and_login_by_phone(api: Api):
    started, phone = _register(api, phone="+905321112233")
    assert started["channel"] == "sms"
    verified = api.post("/api/users/verify", {"verification_id": started["verification_id"], "code": _last_code(phone)})
    assert verified.status_code == 201
    by_phone = api.post("/api/users/login", {"phone": "0532 111 22 33", "password": PASSWORD})
    assert by_phone.status_code == 200 and by_phone.json["access_token"]
    profile = api.get("/api/users/profile", token=by_phone.json["access_token"]).json
    assert profile["phone"] == "+905321112233" and profile["phone_masked"].startswith("+9053")


def test_register_does_not_reveal_existing_accounts(api: Api, tenant: TenantInfo):
    _, email, _ = make_user(tenant)
    again = api.post("/api/users", {"email": email, "password": PASSWORD, "first_name": "X", "last_name": "Y",
                                    "kvkk_consent": True})
    fresh = api.post("/api/users", {"email": f"n-{uuid.uuid4().hex[:6]}@example.com", "password": PASSWORD,
                                    "first_name": "X", "last_name": "Y", "kvkk_consent": True})
    assert again.status_code == fresh.status_code == 202
    assert set(again.json) == set(fresh.json)
    # the owner is told instead; no code is sent that would create a second account
    _outbox().drain_notifications()
    to_owner = [m for m in _outbox().sent_emails() if m["to"] == email]
    assert to_owner and not re.search(r"\b\d{6}\b", to_owner[-1]["text"])


def test_registration_validation(api: Api):
    weak = api.post("/api/users", {"email": "a@example.com", "password": "kisa", "first_name": "A",
                                   "last_name": "B", "kvkk_consent": True})
    assert_error_shape(weak, 400, "weak_password")
    both = api.post("/api/users", {"email": "a@example.com", "phone": "05321234567", "password": PASSWORD,
                                   "first_name": "A", "last_name": "B", "kvkk_consent": True})
    assert_error_shape(both, 400, "validation_failed")
    no_consent = api.post("/api/users", {"email": "a@example.com", "password": PASSWORD, "first_name": "A",
                                         "last_name": "B", "kvkk_consent": False})
    assert_error_shape(no_consent, 400, "validation_failed")
    landline = api.post("/api/users", {"phone": "0212 123 45 67", "password": PASSWORD, "first_name": "A",
                                       "last_name": "B", "kvkk_consent": True})
    error = assert_error_shape(landline, 400, "validation_failed")
    assert error["details"]["fields"][0]["field"] == "phone"


def test_wrong_codes_are_limited_and_codes_work_once(api: Api):
    started, email = _register(api)
    code = _last_code(email)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(4):
        assert_error_shape(api.post("/api/users/verify", {"verification_id": started["verification_id"],
                                                          "code": wrong}), 400, "code_invalid")
    # the fifth wrong guess burns the verification; the right code no longer helps
    assert_error_shape(api.post("/api/users/verify", {"verification_id": started["verification_id"], "code": wrong}),
                       400, "code_invalid")
    assert_error_shape(api.post("/api/users/verify", {"verification_id": started["verification_id"], "code": code}),
                       400, "code_invalid")
    started, email = _register(api)
    code = _last_code(email)
    assert api.post("/api/users/verify", {"verification_id": started["verification_id"], "code": code}).status_code == 201
    assert_error_shape(api.post("/api/users/verify", {"verification_id": started["verification_id"], "code": code}),
                       400, "code_invalid")


def test_login_lockout_is_per_identifier_and_looks_the_same_for_unknown_accounts(api: Api, tenant: TenantInfo):
    _, email, password = make_user(tenant)
    for _ in range(5):
        assert_error_shape(api.post("/api/users/login", {"email": email, "password": "yanlis-sifre-1"}), 401,
                           "invalid_credentials")
        assert_error_shape(api.post("/api/users/login", {"email": "yok@example.com", "password": "x"}), 401,
                           "invalid_credentials")
    locked = api.post("/api/users/login", {"email": email, "password": password})  # even the right password
    error = assert_error_shape(locked, 429, "login_locked")
    assert int(locked.headers["Retry-After"]) > 0 and error["details"]["retry_after"] > 0
    ghost = api.post("/api/users/login", {"email": "yok@example.com", "password": "x"})
    assert_error_shape(ghost, 429, "login_locked")
    # another account from the same IP is not locked
    _, other_email, other_password = make_user(tenant)
    assert api.post("/api/users/login", {"email": other_email, "password": other_password}).status_code == 200


def test_sessions_list_and_revoke(client, tenant: TenantInfo):
    _, email, password = make_user(tenant)
    phone, laptop = Api(client, tenant.api_key), Api(client, tenant.api_key)
    phone.token = phone.post("/api/users/login", {"email": email, "password": password,
                                                  "device_name": "iPhone"}).json["access_token"]
    laptop.token = login(laptop, email, password)["access_token"]
    listed = phone.get("/api/auth/sessions").json["items"]
    assert len(listed) == 2 and sum(s["current"] for s in listed) == 1
    assert {s["device_name"] for s in listed} >= {"iPhone"}
    other = next(s for s in listed if not s["current"])
    assert phone.delete(f"/api/auth/sessions/{other['id']}").status_code == 204
    assert_error_shape(laptop.get("/api/users/profile"), 401, "session_revoked")  # at once, not in 15 min
    assert phone.get("/api/users/profile").status_code == 200
    assert_error_shape(phone.delete("/api/auth/sessions/not-a-session"), 404, "not_found")


def test_sign_out_other_devices(client, tenant: TenantInfo):
    _, email, password = make_user(tenant)
    devices = [Api(client, tenant.api_key) for _ in range(3)]
    for device in devices:
        device.token = login(device, email, password)["access_token"]
    assert devices[0].post("/api/auth/sessions/revoke-others").json == {"revoked": 2}
    assert devices[0].get("/api/users/profile").status_code == 200
    for device in devices[1:]:
        assert_error_shape(device.get("/api/users/profile"), 401, "session_revoked")


def test_cannot_revoke_another_users_session(client, tenant: TenantInfo):
    _, a_email, a_pw = make_user(tenant)
    _, b_email, b_pw = make_user(tenant)
    a, b = Api(client, tenant.api_key), Api(client, tenant.api_key)
    a.token = login(a, a_email, a_pw)["access_token"]
    b.token = login(b, b_email, b_pw)["access_token"]
    b_session = b.get("/api/auth/sessions").json["items"][0]["id"]
    assert_error_shape(a.delete(f"/api/auth/sessions/{b_session}"), 404, "not_found")
    assert b.get("/api/users/profile").status_code == 200


def test_password_reset_is_single_use_and_kills_sessions(api: Api, tenant: TenantInfo):
    _, email, password = make_user(tenant)
    old = login(api, email, password)
    assert api.post("/api/auth/password/forgot", {"email": email}).status_code == 202
    assert api.post("/api/auth/password/forgot", {"email": "kimse@example.com"}).json == {"status": "accepted"}
    _outbox().drain_notifications()
    mail = [m for m in _outbox().sent_emails() if m["to"] == email][-1]
    token = re.search(r"token=([A-Za-z0-9_\-%]+)", mail["text"]).group(1)
    new_password = "Yeni-Parola-2025"
    assert_error_shape(api.post("/api/auth/password/reset", {"token": token, "new_password": "zayif"}), 400,
                       "weak_password")
    assert api.post("/api/auth/password/reset", {"token": token, "new_password": new_password}).status_code == 204
    assert_error_shape(api.post("/api/auth/password/reset", {"token": token, "new_password": "Baska-Parola-2025"}),
                       400, "reset_token_invalid")
    assert_error_shape(api.get("/api/users/profile", token=old["access_token"]), 401, "session_revoked")
    assert_error_shape(api.post("/api/auth/refresh", {"refresh_token": old["refresh_token"]}), 401,
                       "refresh_token_invalid")
    assert_error_shape(api.post("/api/users/login", {"email": email, "password": password}), 401, "invalid_credentials")
    assert login(api, email, new_password)["access_token"]


def test_reset_token_is_tenant_bound(client, tenant: TenantInfo, other_tenant: TenantInfo):
    _, email, _ = make_user(tenant)
    Api(client, tenant.api_key).post("/api/auth/password/forgot", {"email": email})
    _outbox().drain_notifications()
    mail = [m for m in _outbox().sent_emails() if m["to"] == email][-1]
    token = re.search(r"token=([A-Za-z0-9_\-%]+)", mail["text"]).group(1)
    other = Api(client, other_tenant.api_key).post("/api/auth/password/reset",
                                                  {"token": token, "new_password": "Yeni-Parola-2025"})
    assert_error_shape(other, 400, "reset_token_invalid")


def test_change_password_keeps_this_device_only(client, tenant: TenantInfo):
    _, email, password = make_user(tenant)
    here, there = Api(client, tenant.api_key), Api(client, tenant.api_key)
    here.token = login(here, email, password)["access_token"]
    there.token = login(there, email, password)["access_token"]
    assert_error_shape(here.post("/api/auth/password/change", {"current_password": "yanlis",
                                                              "new_password": "Yeni-Parola-2025"}), 400,
                       "password_incorrect")
    assert here.post("/api/auth/password/change", {"current_password": password,
                                                  "new_password": "Yeni-Parola-2025"}).status_code == 204
    assert here.get("/api/users/profile").status_code == 200
    assert_error_shape(there.get("/api/users/profile"), 401, "session_revoked")


def test_profile_update_and_language_drives_messages(customer_api: Api):
    updated = customer_api.put("/api/users/profile", {"first_name": "Ayşegül", "language": "en",
                                                     "notification_prefs": {"marketing_email": True}})
    assert updated.status_code == 200
    assert updated.json["first_name"] == "Ayşegül" and updated.json["language"] == "en"
    assert updated.json["notification_prefs"]["marketing_email"] is True
    assert_error_shape(customer_api.put("/api/users/profile", {"language": "de"}), 400, "validation_failed")
    assert_error_shape(customer_api.put("/api/users/profile", {"email": "x@example.com"}), 400, "validation_failed")
    assert customer_api.get("/api/users/profile").json["first_name"] == "Ayşegül"


def test_email_change_needs_the_code_sent_to_the_new_address(api: Api, tenant: TenantInfo):
    _, email, password = make_user(tenant)
    api.token = login(api, email, password)["access_token"]
    new_email = f"yeni-{uuid.uuid4().hex[:6]}@example.com"
    assert_error_shape(api.post("/api/users/profile/email", {"new_email": new_email, "password": "yanlis"}), 400,
                       "password_incorrect")
    started = api.post("/api/users/profile/email", {"new_email": new_email, "password": password})
    assert started.status_code == 202
    assert api.get("/api/users/profile").json["email"] == email  # unchanged until verified
    done = api.post("/api/users/profile/verify", {"verification_id": started.json["verification_id"],
                                                  "code": _last_code(new_email)})
    assert done.status_code == 200 and done.json["email"] == new_email
    assert login(api, new_email, password)


def test_phone_change_and_uniqueness(client, tenant: TenantInfo):
    _, a_email, a_pw = make_user(tenant)
    _, b_email, b_pw = make_user(tenant)
    a, b = Api(client, tenant.api_key), Api(client, tenant.api_key)
    a.token = login(a, a_email, a_pw)["access_token"]
    b.token = login(b, b_email, b_pw)["access_token"]
    started = a.post("/api/users/profile/phone", {"new_phone": "05449998877", "password": a_pw}).json
    assert a.post("/api/users/profile/verify", {"verification_id": started["verification_id"],
                                                "code": _last_code("+905449998877")}).json["phone"] == "+905449998877"
    taken = b.post("/api/users/profile/phone", {"new_phone": "05449998877", "password": b_pw}).json
    code = _last_code("+905449998877")
    # b cannot use a's verification id, and the number is already a's
    assert_error_shape(a.post("/api/users/profile/verify", {"verification_id": taken["verification_id"],
                                                            "code": code}), 404, "not_found")


def test_account_deletion_erases_personal_data_but_keeps_the_row(api: Api, db, tenant: TenantInfo):
    user_id, email, password = make_user(tenant)
    api.token = login(api, email, password)["access_token"]
    assert_error_shape(api.request("DELETE", "/api/users/profile", {"password": "yanlis"}), 400,
                       "password_incorrect")
    assert api.request("DELETE", "/api/users/profile", {"password": password}).status_code == 204
    row = db.session().one("SELECT email, phone_enc, password_hash, first_name, status FROM users WHERE id = %s",
                           (user_id,))
    assert row == {"email": None, "phone_enc": None, "password_hash": None, "first_name": "Silinmiş",
                   "status": "deleted"}
    assert_error_shape(api.get("/api/users/profile"), 401, "session_revoked")
    assert_error_shape(api.post("/api/users/login", {"email": email, "password": password}), 401,
                       "invalid_credentials")


def test_no_secret_reaches_the_logs(api: Api, tenant: TenantInfo, capsys):
    from chalicelib.platform.logging import get_logger

    get_logger("request").setLevel("INFO")
    capsys.readouterr()
    started, email = _register(api)
    code = _last_code(email)
    tokens = api.post("/api/users/verify", {"verification_id": started["verification_id"], "code": code}).json
    api.post("/api/users/login", {"email": email, "password": PASSWORD})
    out = capsys.readouterr().out
    for secret in (PASSWORD, code, tokens["access_token"], tokens["refresh_token"], tenant.api_key):
        assert secret not in out


@pytest.mark.parametrize("path", ["/api/auth/sessions", "/api/users/profile"])
def test_user_routes_need_a_token(api: Api, path: str):
    assert_error_shape(api.get(path), 401, "token_missing")
    assert json.loads(api.get(path).body)["error"]["code"] == "token_missing"
