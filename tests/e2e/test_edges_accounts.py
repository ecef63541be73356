"""Issue 9 at the accounts edges: explicit nulls in the profile update, passwords over bcrypt's
72 bytes at every entry point, registration / reset that cannot tell who has an account, and
text hygiene of names and e-mail addresses.  Every bad input is a clear 400 in the one error
shape (never a 500) and leaves the stored row as it was."""
from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from chalicelib.accounts import passwords
from chalicelib.platform.db import get_db
from tests.conftest import Api, TenantInfo, login, make_user
from tests.e2e.test_pipeline import assert_error_shape

PASSWORD = "Kamp-Ateşi-2024"
TR_80_BYTES = "ş" * 40  # 40 characters, 80 bytes in UTF-8
TR_72_BYTES_OK = "ş" * 35 + "a1"  # exactly 72 bytes, letters and digits
EMOJI_76_BYTES = "😀" * 19  # 19 characters, 76 bytes
ASCII_73 = "a1" * 36 + "b"
TOO_LONG = [TR_80_BYTES, EMOJI_76_BYTES, ASCII_73, "Ş" * 64 + "1" * 64]  # the last: 128 characters, 192 bytes


def _outbox() -> Any:
    from tests import notifications_outbox

    return notifications_outbox


def _messages(to: str) -> list[dict[str, Any]]:
    box = _outbox()
    box.drain_notifications()
    return [m for m in box.sent_emails() + box.sent_sms() if m["to"] == to]


def _field_error(response: Any, field: str, kind: str, *, code: str = "validation_failed") -> dict[str, Any]:
    error = assert_error_shape(response, 400, code)
    found = [f for f in error["details"]["fields"] if f["field"] == field]
    assert found, error
    assert found[0]["type"] == kind and found[0]["message"], error
    return found[0]


def _refused_text(response: Any, field: str, kind: str) -> None:
    """A forbidden character: NUL (and lone surrogates) the platform refuses anywhere in the
    JSON (`invalid_text`); other control and bidi characters the field's own type refuses."""
    body = response.json or {}
    if body.get("error", {}).get("code") == "invalid_text":
        _field_error(response, field, "text_forbidden_character", code="invalid_text")
    else:
        _field_error(response, field, kind)


def _user_row(user_id: int) -> dict[str, Any]:
    row = get_db().session().one(
        "SELECT first_name, last_name, language, notification_prefs, password_hash, status, email "
        "FROM users WHERE id = %s", (user_id,))
    assert row is not None
    return row


def _signed_in(api: Api, tenant: TenantInfo) -> tuple[int, str, str]:
    user_id, email, password = make_user(tenant)
    api.token = login(api, email, password)["access_token"]
    return user_id, email, password


def _reset_token(api: Api, email: str) -> str:
    assert api.post("/api/auth/password/forgot", {"email": email}).status_code == 202
    mail = [m for m in _messages(email) if "token=" in m["text"]][-1]
    match = re.search(r"token=([A-Za-z0-9_\-%]+)", mail["text"])
    assert match
    return match.group(1)


def _registration(email: str | None = None, phone: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"password": PASSWORD, "first_name": "Mehmet", "last_name": "Öztürk",
                            "kvkk_consent": True, **extra}
    body.update({"email": email} if email else {"phone": phone})
    return body


# -- 1. explicit nulls in PUT /api/users/profile ----------------------------------------------
@pytest.mark.parametrize("body, field", [
    ({"language": None}, "language"),
    ({"notification_prefs": None}, "notification_prefs"),
    ({"notification_prefs": {"marketing_sms": None}}, "notification_prefs.marketing_sms"),
    ({"first_name": None}, "first_name"),
    ({"last_name": None, "language": "en"}, "last_name"),
])
def test_profile_null_is_a_400_naming_the_field_and_changes_nothing(api: Api, tenant: TenantInfo, body, field):
    user_id, _, _ = _signed_in(api, tenant)
    before = _user_row(user_id)
    found = _field_error(api.put("/api/users/profile", body), field, "null_not_allowed")
    assert "null" in found["message"]
    assert _user_row(user_id) == before


def test_profile_partial_update_keeps_what_is_left_out(api: Api, tenant: TenantInfo):
    user_id, _, _ = _signed_in(api, tenant)
    first = api.put("/api/users/profile", {"notification_prefs": {"marketing_email": True, "back_in_stock": False}})
    assert first.status_code == 200, first.body
    updated = api.put("/api/users/profile", {"first_name": "  Zeynep  ", "notification_prefs": {"marketing_sms": True}})
    assert updated.status_code == 200, updated.body
    assert updated.json["first_name"] == "Zeynep" and updated.json["last_name"] == "Yılmaz"
    assert updated.json["notification_prefs"] == {"marketing_email": True, "back_in_stock": False,
                                                  "marketing_sms": True}
    assert api.put("/api/users/profile", {}).json["first_name"] == "Zeynep"
    assert _user_row(user_id)["language"] == "tr"


def test_profile_null_message_is_turkish_or_english(api: Api, tenant: TenantInfo):
    _signed_in(api, tenant)
    tr = _field_error(api.put("/api/users/profile", {"language": None}, headers={"Accept-Language": "tr"}),
                      "language", "null_not_allowed")
    en = _field_error(api.put("/api/users/profile", {"language": None}, headers={"Accept-Language": "en"}),
                      "language", "null_not_allowed")
    assert "olamaz" in tr["message"] and "Must not be null" in en["message"]


def test_profile_update_schema_has_no_null_branches():
    from chalicelib.accounts.schemas import ProfileUpdateIn

    schema = ProfileUpdateIn.model_json_schema()
    text = repr(schema)
    assert "'null'" not in text
    assert schema["properties"]["first_name"]["minLength"] == 1


# -- 7. text hygiene: names and e-mail addresses ------------------------------------------------
@pytest.mark.parametrize("name", ["Ali\x00Veli", "Ali\u202eilev", "Ali\nVeli", "\u2066Ali"])
def test_names_refuse_control_and_bidi_characters(api: Api, tenant: TenantInfo, name: str):
    user_id, _, _ = _signed_in(api, tenant)
    before = _user_row(user_id)
    _refused_text(api.put("/api/users/profile", {"first_name": name}), "first_name", "text_forbidden_character")
    _refused_text(api.post("/api/users", _registration(email=f"n-{uuid.uuid4().hex[:8]}@example.com",
                                                       last_name=name)), "last_name", "text_forbidden_character")
    assert _user_row(user_id) == before


def test_names_are_nfc_normalised_and_blank_is_too_short(api: Api, tenant: TenantInfo):
    user_id, _, _ = _signed_in(api, tenant)
    decomposed = "Ays\u0327e"  # s + combining cedilla, as some keyboards send it
    assert api.put("/api/users/profile", {"first_name": decomposed}).json["first_name"] == "Ayşe"
    assert _user_row(user_id)["first_name"] == "Ayşe"
    assert_error_shape(api.put("/api/users/profile", {"first_name": "   "}), 400, "validation_failed")


@pytest.mark.parametrize("email", ["a\x00b@example.com", "ali\u202e@example.com", "a\x07b@example.com",
                                   "a\u2028b@example.com", "a,b@example.com", "\"a\"@example.com"])
def test_emails_refuse_nul_and_control_characters_everywhere(api: Api, tenant: TenantInfo, email: str):
    kind = "string_pattern_mismatch"
    _refused_text(api.post("/api/users", _registration(email=email)), "email", kind)
    _refused_text(api.post("/api/users/login", {"email": email, "password": PASSWORD}), "email", kind)
    _refused_text(api.post("/api/auth/password/forgot", {"email": email}), "email", kind)
    _refused_text(api.post("/api/auth/biometric/challenge", {"device_id": "device-0001", "email": email}), "email",
                  kind)
    user_id, _, password = _signed_in(api, tenant)
    _refused_text(api.post("/api/users/profile/email", {"new_email": email, "password": password}), "new_email",
                  kind)
    assert _user_row(user_id)["email"].startswith("u-")


def test_an_email_that_lower_casing_lengthens_past_the_column_is_a_400(api: Api, tenant: TenantInfo):
    email = "a@" + "İ" * 200 + ".com"  # 206 characters; lower-cased 406 ("İ" → "i" + U+0307)
    _field_error(api.post("/api/users", _registration(email=email)), "email", "string_too_long")
    user_id, _, password = _signed_in(api, tenant)
    _field_error(api.post("/api/users/profile/email", {"new_email": email, "password": password}), "new_email",
                 "string_too_long")
    assert _user_row(user_id)["email"].startswith("u-")


def test_ordinary_and_international_emails_still_work(api: Api):
    for email in (f"Ali.Veli+{uuid.uuid4().hex[:6]}@Example.com", f"şule-{uuid.uuid4().hex[:6]}@örnek.com.tr"):
        started = api.post("/api/users", _registration(email=email))
        assert started.status_code == 202, started.body
        assert _messages(email.lower())


# -- 3. passwords over 72 UTF-8 bytes -------------------------------------------------------------
def test_the_byte_rule_counts_utf8_bytes_not_characters():
    assert len(TR_80_BYTES) == 40 and passwords.too_long(TR_80_BYTES)
    assert passwords.too_long(EMOJI_76_BYTES) and passwords.too_long(ASCII_73)
    assert not passwords.too_long(TR_72_BYTES_OK) and len(TR_72_BYTES_OK.encode()) == 72
    with pytest.raises(passwords.PasswordTooLong):
        passwords.hash_password(TR_80_BYTES)
    stored = passwords.hash_password(TR_72_BYTES_OK)
    assert passwords.verify_password(TR_72_BYTES_OK, stored)
    # A longer password whose first 72 bytes are the stored one still never matches.
    assert not passwords.verify_password(TR_72_BYTES_OK + "x", stored)
    assert not passwords.verify_password("\ud800" * 10, stored)  # lone surrogates: no, never a crash


def test_a_too_long_password_costs_one_bcrypt_check_like_a_wrong_one(monkeypatch):
    calls: list[bytes] = []
    real = passwords.bcrypt.checkpw

    def counting(candidate: bytes, hashed: bytes) -> bool:
        calls.append(hashed)
        return real(candidate, hashed)

    monkeypatch.setattr(passwords.bcrypt, "checkpw", counting)
    stored = passwords.hash_password(PASSWORD)
    for given in (PASSWORD + "!", TR_80_BYTES, EMOJI_76_BYTES):
        for password_hash in (stored, None):
            calls.clear()
            assert not passwords.verify_password(given, password_hash)
            assert calls == [stored.encode() if password_hash else passwords._dummy_hash()]


@pytest.mark.parametrize("password", TOO_LONG)
def test_login_with_a_too_long_password_is_a_wrong_password(api: Api, tenant: TenantInfo, password: str):
    _, email, right = make_user(tenant)
    for who in (email, f"kimse-{uuid.uuid4().hex[:6]}@example.com"):
        assert_error_shape(api.post("/api/users/login", {"email": who, "password": password}), 401,
                           "invalid_credentials")
    assert_error_shape(api.post("/api/users/login", {"phone": "0532 000 11 22", "password": password}), 401,
                       "invalid_credentials")
    assert login(api, email, right)["access_token"]


@pytest.mark.parametrize("password", TOO_LONG[:3])
@pytest.mark.parametrize("lang, words", [("tr", "bayt"), ("en", "bytes")])
def test_registration_refuses_a_too_long_password_with_a_clear_field_error(api: Api, password: str, lang: str,
                                                                          words: str):
    email = f"uzun-{uuid.uuid4().hex[:8]}@example.com"
    response = api.post("/api/users", _registration(email=email, password=password),
                        headers={"Accept-Language": lang})
    found = _field_error(response, "password", "password_too_long")
    assert "72" in found["message"] and words in found["message"]
    assert not _messages(email)


def test_registration_with_exactly_72_bytes_works_end_to_end(api: Api):
    email = f"sinir-{uuid.uuid4().hex[:8]}@example.com"
    started = api.post("/api/users", _registration(email=email, password=TR_72_BYTES_OK))
    assert started.status_code == 202, started.body
    code = re.search(r"\b(\d{6})\b", _messages(email)[-1]["text"])
    assert code
    verified = api.post("/api/users/verify", {"verification_id": started.json["verification_id"],
                                              "code": code.group(1)})
    assert verified.status_code == 201, verified.body
    assert login(api, email, TR_72_BYTES_OK)["access_token"]


def test_reset_refuses_a_too_long_new_password_and_keeps_the_token(api: Api, tenant: TenantInfo):
    user_id, email, password = make_user(tenant)
    token = _reset_token(api, email)
    before = _user_row(user_id)
    for too_long in TOO_LONG[:3]:
        _field_error(api.post("/api/auth/password/reset", {"token": token, "new_password": too_long}),
                     "new_password", "password_too_long")
    assert _user_row(user_id) == before
    assert api.post("/api/auth/password/reset", {"token": token, "new_password": TR_72_BYTES_OK}).status_code == 204
    assert login(api, email, TR_72_BYTES_OK)["access_token"]


def test_change_password_with_too_long_passwords(api: Api, tenant: TenantInfo):
    user_id, email, password = _signed_in(api, tenant)
    before = _user_row(user_id)
    for too_long in TOO_LONG:
        found = _field_error(api.post("/api/auth/password/change", {"current_password": too_long,
                                                                    "new_password": "Yeni-Parola-2025"}),
                             "current_password", "password_incorrect", code="password_incorrect")
        assert found["field"] == "current_password"
    for too_long in TOO_LONG[:3]:
        _field_error(api.post("/api/auth/password/change", {"current_password": password, "new_password": too_long}),
                     "new_password", "password_too_long")
    assert _user_row(user_id) == before
    assert api.post("/api/auth/password/change", {"current_password": password,
                                                  "new_password": TR_72_BYTES_OK}).status_code == 204
    assert login(api, email, TR_72_BYTES_OK)


@pytest.mark.parametrize("password", TOO_LONG)
def test_reauthentication_with_a_too_long_password_is_a_wrong_password(api: Api, tenant: TenantInfo, password):
    user_id, _, _ = _signed_in(api, tenant)
    before = _user_row(user_id)
    for method, path, body in (
        ("DELETE", "/api/users/profile", {"password": password}),
        ("POST", "/api/users/profile/email", {"new_email": f"y-{uuid.uuid4().hex[:6]}@example.com",
                                              "password": password}),
        ("POST", "/api/users/profile/phone", {"new_phone": "0532 765 43 21", "password": password}),
    ):
        _field_error(api.request(method, path, body), "password", "password_incorrect", code="password_incorrect")
    assert _user_row(user_id) == before and before["status"] == "active"


def test_the_byte_rule_applies_to_the_password_as_sent_and_whitespace_around_it_is_ignored(api: Api):
    email = f"bosluk-{uuid.uuid4().hex[:8]}@example.com"
    padded = " " + "a1" * 36  # 73 bytes as sent: over the rule, as the schema's maxLength says too
    _field_error(api.post("/api/users", _registration(email=email, password=padded)), "password",
                 "password_too_long")
    started = api.post("/api/users", _registration(email=email, password=" " + TR_72_BYTES_OK[2:] + " "))
    assert started.status_code == 202, started.body
    code = re.search(r"\b(\d{6})\b", _messages(email)[-1]["text"])
    assert code
    assert api.post("/api/users/verify", {"verification_id": started.json["verification_id"],
                                          "code": code.group(1)}).status_code == 201
    assert login(api, email, TR_72_BYTES_OK[2:])["access_token"]
    assert login(api, email, "\t" + TR_72_BYTES_OK[2:] + "\n")["access_token"]


def test_password_schemas_document_the_byte_rule():
    from chalicelib.accounts.schemas import ChangePasswordIn, LoginIn, RegisterIn, ResetIn

    for model, field in ((RegisterIn, "password"), (ResetIn, "new_password"), (ChangePasswordIn, "new_password")):
        prop = model.model_json_schema()["properties"][field]
        assert "at most 72 bytes in UTF-8" in prop["description"] and prop["maxLength"] == 72, prop
    given = LoginIn.model_json_schema()["properties"]["password"]
    assert "72 UTF-8 bytes never matches" in given["description"] and given["maxLength"] == 128


# -- 11a. registration, resend, verify and reset cannot tell who has an account ----------------------
_VARYING_HEADERS = {"x-request-id"}


def _same_answer(a: Any, b: Any) -> None:
    """Two responses, field by field: status, headers (names and values but the request id),
    body keys, and every body value but the random verification id (compared by shape)."""
    assert a.status_code == b.status_code, (a.body, b.body)
    ha = {k.lower(): v for k, v in a.headers.items() if k.lower() not in _VARYING_HEADERS}
    hb = {k.lower(): v for k, v in b.headers.items() if k.lower() not in _VARYING_HEADERS}
    assert ha == hb
    if a.json is None or b.json is None:
        assert a.body == b.body
        return
    assert set(a.json) == set(b.json)
    for key in a.json:
        if key == "verification_id":
            assert len(a.json[key]) == len(b.json[key]) and re.fullmatch(r"[A-Za-z0-9_-]+", b.json[key])
        else:
            assert a.json[key] == b.json[key], key


def _fresh_client(api: Api) -> dict[str, str]:
    return {"X-Device-Id": f"dev-{uuid.uuid4().hex}"}  # its own rate-limit budget: equal headers


@pytest.fixture
def taken_and_free(api: Api, tenant: TenantInfo) -> dict[str, tuple[dict[str, Any], dict[str, Any], str]]:
    """For each channel: (registration of a taken identifier, of a free one, the taken target)."""
    _, email, _ = make_user(tenant)
    phone = "+90532" + f"{uuid.uuid4().int % 10**7:07d}"
    _, phone_email, _ = make_user(tenant)
    started = api.post("/api/users/profile/phone", {"new_phone": phone, "password": "Parola-1234"},
                       token=login(api, phone_email, "Parola-1234")["access_token"])
    code = re.search(r"\b(\d{6})\b", _messages(phone)[-1]["text"])
    assert code
    assert api.post("/api/users/profile/verify", {"verification_id": started.json["verification_id"],
                                                  "code": code.group(1)},
                    token=login(api, phone_email, "Parola-1234")["access_token"]).status_code == 200
    free_phone = "+90533" + f"{uuid.uuid4().int % 10**7:07d}"
    return {
        "email": (_registration(email=email), _registration(email=f"bos-{uuid.uuid4().hex[:8]}@example.com"), email),
        "sms": (_registration(phone=phone), _registration(phone=free_phone), phone),
    }


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_register_and_resend_answer_the_same_for_taken_and_free_identifiers(api: Api, taken_and_free, channel):
    taken, free, owner = taken_and_free[channel]
    started_taken = api.post("/api/users", taken, headers=_fresh_client(api))
    started_free = api.post("/api/users", free, headers=_fresh_client(api))
    _same_answer(started_taken, started_free)
    assert started_taken.status_code == 202 and started_taken.json["channel"] == channel
    resent_taken = api.post("/api/users/verify/resend", {"verification_id": started_taken.json["verification_id"]},
                            headers=_fresh_client(api))
    resent_free = api.post("/api/users/verify/resend", {"verification_id": started_free.json["verification_id"]},
                           headers=_fresh_client(api))
    _same_answer(resent_taken, resent_free)
    assert resent_taken.json["channel"] == channel  # was "email" for a taken phone number
    assert resent_taken.json["verification_id"] == started_taken.json["verification_id"]
    # The owner heard twice that someone tried (no code); the new identifier got two codes.
    to_owner = _messages(owner)[-2:]
    assert len(to_owner) == 2 and not any(re.search(r"\b\d{6}\b", m["text"]) for m in to_owner)
    free_target = free.get("email") or free["phone"]
    assert len([m for m in _messages(free_target) if re.search(r"\b\d{6}\b", m["text"])]) == 2


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_verify_answers_the_same_and_both_expire_alike(api: Api, taken_and_free, channel):
    taken, free, _ = taken_and_free[channel]
    ids = [api.post("/api/users", body, headers=_fresh_client(api)).json["verification_id"] for body in (taken, free)]
    for _ in range(5):  # MAX_ATTEMPTS wrong codes use both up
        wrong = [api.post("/api/users/verify", {"verification_id": vid, "code": "000000"}, headers=_fresh_client(api))
                 for vid in ids]
        _same_answer(*wrong)
        assert_error_shape(wrong[0], 400, "code_invalid")
    gone = [api.post("/api/users/verify/resend", {"verification_id": vid}, headers=_fresh_client(api)) for vid in ids]
    _same_answer(*gone)
    _field_error(gone[0], "verification_id", "verification_expired", code="verification_expired")


def test_a_guessed_decoy_code_creates_nothing(api: Api, tenant: TenantInfo, monkeypatch):
    from chalicelib.accounts import codes

    monkeypatch.setattr(codes.secrets, "randbelow", lambda _: 123456)  # every code is 123456
    _, email, _ = make_user(tenant)
    started = api.post("/api/users", _registration(email=email, first_name="Saldırgan"))
    guessed = api.post("/api/users/verify", {"verification_id": started.json["verification_id"], "code": "123456"})
    assert_error_shape(guessed, 400, "code_invalid")
    count = get_db().session().scalar("SELECT COUNT(*) FROM users WHERE tenant_id = %s AND first_name = %s",
                                      (tenant.id, "Saldırgan"))
    assert count == 0


def test_register_does_the_same_work_on_both_branches(api: Api, tenant: TenantInfo, monkeypatch):
    from chalicelib.accounts import codes, mail, registration

    work: list[str] = []
    for module, name in ((registration, "hash_password"), (codes, "issue"), (mail, "send")):
        real = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, _real=real, _name=name, **kw: (work.append(_name),
                                                                                   _real(*a, **kw))[1])
    _, email, _ = make_user(tenant)
    runs = []
    for body in (_registration(email=email), _registration(email=f"bos-{uuid.uuid4().hex[:8]}@example.com")):
        work.clear()
        started = api.post("/api/users", body)
        api.post("/api/users/verify/resend", {"verification_id": started.json["verification_id"]})
        runs.append(list(work))
    assert runs[0] == runs[1] == ["hash_password", "issue", "send", "issue", "send"]


def test_forgot_password_answers_the_same_and_sends_one_message_either_way(api: Api, tenant: TenantInfo,
                                                                          monkeypatch):
    from chalicelib.accounts import mail

    sent: list[str] = []
    real = mail.send
    monkeypatch.setattr(mail, "send", lambda *a, **kw: (sent.append(kw["template"]), real(*a, **kw))[1])
    user_id, email, _ = make_user(tenant)
    nobody = f"kimse-{uuid.uuid4().hex[:8]}@example.com"
    answers = [api.post("/api/auth/password/forgot", {"email": who}, headers=_fresh_client(api))
               for who in (email, nobody)]
    _same_answer(*answers)
    assert answers[0].status_code == 202 and answers[0].json == {"status": "accepted"}
    assert sent == ["password_reset", "password_reset_unknown"]
    assert "token=" in _messages(email)[-1]["text"]
    notice = _messages(nobody)
    assert len(notice) == 1 and "token=" not in notice[0]["text"]
    # a phone number without an account hears about it by SMS
    phone = "+90534" + f"{uuid.uuid4().int % 10**7:07d}"
    assert api.post("/api/auth/password/forgot", {"phone": phone}).status_code == 202
    assert len(_messages(phone)) == 1
    # a disabled account: the same notice as no account, no usable link
    get_db().session().execute("UPDATE users SET status = 'disabled' WHERE id = %s", (user_id,))
    before = len(_messages(email))
    api.post("/api/auth/password/forgot", {"email": email})
    after = _messages(email)
    assert len(after) == before + 1 and "token=" not in after[-1]["text"]


# -- the document and the validators agree (the fuzzer's negative cases) ------------------------
@pytest.mark.parametrize("change, field", [
    ({"kvkk_consent": 1}, "kvkk_consent"),
    ({"kvkk_consent": "true"}, "kvkk_consent"),
    ({"marketing_consent": 0}, "marketing_consent"),
    ({"marketing_consent": "false"}, "marketing_consent"),
])
def test_booleans_are_json_booleans(api: Api, change, field):
    email = f"tip-{uuid.uuid4().hex[:8]}@example.com"
    _field_error(api.post("/api/users", _registration(email=email, **change)), field, "bool_type")
    assert not _messages(email)


@pytest.mark.parametrize("value", [1, 0, "true", None])
def test_notification_preferences_are_json_booleans(api: Api, tenant: TenantInfo, value):
    user_id, _, _ = _signed_in(api, tenant)
    before = _user_row(user_id)
    response = api.put("/api/users/profile", {"notification_prefs": {"back_in_stock": value}})
    _field_error(response, "notification_prefs.back_in_stock", "null_not_allowed" if value is None else "bool_type")
    assert _user_row(user_id) == before


@pytest.mark.parametrize("key_id", [True, "5", 5.5])
def test_biometric_key_id_is_a_json_integer(api: Api, key_id):
    _field_error(api.post("/api/auth/biometric/challenge", {"key_id": key_id}), "key_id", "int_type")


def test_e_mails_and_codes_may_come_with_spaces_tokens_may_not(api: Api, tenant: TenantInfo):
    _, email, password = make_user(tenant)
    tokens = api.post("/api/users/login", {"email": f"  {email.upper()}\t", "password": password})
    assert tokens.status_code == 200, tokens.body
    _field_error(api.post("/api/auth/refresh", {"refresh_token": f" {tokens.json['refresh_token']} "}),
                 "refresh_token", "string_pattern_mismatch")
    assert api.post("/api/auth/refresh", {"refresh_token": tokens.json["refresh_token"]}).status_code == 200
    started = api.post("/api/users", _registration(email=f" yeni-{uuid.uuid4().hex[:8]}@example.com "))
    assert started.status_code == 202, started.body
    _field_error(api.post("/api/users/verify/resend", {"verification_id": started.json["verification_id"] + "\n"}),
                 "verification_id", "string_pattern_mismatch")


def test_codes_are_ascii_digits(api: Api):
    started = api.post("/api/users", _registration(email=f"kod-{uuid.uuid4().hex[:8]}@example.com"))
    for code in ("١٢٣٤٥٦", "12345٦", "¹²³⁴⁵⁶"):
        _field_error(api.post("/api/users/verify", {"verification_id": started.json["verification_id"],
                                                    "code": code}), "code", "string_pattern_mismatch")
    _field_error(api.post("/api/auth/2fa/verify", {"mfa_token": "x" * 40, "code": "١٢٣ ٤٥٦"}), "code",
                 "string_pattern_mismatch")
