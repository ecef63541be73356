"""Biometric sign-in (U2): a P-256 key pair made on the "phone" with `cryptography`, registered
with the API, then challenge → signature → tokens; against the real MariaDB and Redis."""
from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from chalicelib.platform import cache
from chalicelib.platform.db import get_db
from tests.conftest import Api, TenantInfo
from tests.e2e import security_support
from tests.e2e.security_support import Account, amr
from tests.e2e.test_pipeline import assert_error_shape

# The shared fixtures (the app under test and an anonymous API on it).
security_client = security_support.security_client
sapi = security_support.sapi


class Phone:
    """The device side: a key pair in 'secure hardware' and the app's calls."""

    def __init__(self, device_id: str = "iphone-15-ABCDEF12", curve: ec.EllipticCurve | None = None) -> None:
        self.device_id = device_id
        self.key = ec.generate_private_key(curve or ec.SECP256R1())

    @property
    def pem(self) -> str:
        return self.key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    @property
    def der_b64(self) -> str:
        der = self.key.public_key().public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
        return base64.b64encode(der).decode()

    def sign(self, challenge: str) -> str:
        raw = base64.urlsafe_b64decode(challenge + "=" * (-len(challenge) % 4))
        return base64.b64encode(self.key.sign(raw, ec.ECDSA(hashes.SHA256()))).decode()

    def register(self, api: Api, token: str, *, public_key: str | None = None, name: str = "Ayşe'nin iPhone'u"):
        return api.post("/api/auth/biometric/keys", {"device_id": self.device_id, "device_name": name,
                                                     "public_key": public_key or self.pem}, token=token)


def _challenge(api: Api, **hint: object) -> dict:
    response = api.post("/api/auth/biometric/challenge", hint)
    assert response.status_code == 200, response.body
    assert set(response.json) == {"challenge_id", "challenge", "expires_in"} and response.json["expires_in"] == 120
    assert len(base64.urlsafe_b64decode(response.json["challenge"] + "=")) == 32
    return response.json  # type: ignore[no-any-return]


def _verify(api: Api, challenge_id: str, signature: str):
    return api.post("/api/auth/biometric/verify", {"challenge_id": challenge_id, "signature": signature})


def _refused(response) -> dict:
    """Every failure is the same 401: no hint which check failed."""
    error = assert_error_shape(response, 401, "biometric_invalid")
    assert error["details"] is None
    return error


@pytest.fixture
def account(sapi: Api, tenant: TenantInfo) -> Account:
    return Account(sapi, tenant)


@pytest.fixture
def enrolled(account: Account) -> tuple[Account, Phone, int]:
    phone = Phone()
    registered = phone.register(account.api, account.sign_in())
    assert registered.status_code == 201, registered.body
    return account, phone, registered.json["id"]


def test_register_list_and_sign_in(account: Account):
    token = account.sign_in()
    phone = Phone()
    registered = phone.register(account.api, token)
    assert registered.status_code == 201, registered.body
    key = registered.json
    assert key["device_id"] == phone.device_id and key["device_name"] == "Ayşe'nin iPhone'u"
    assert key["last_used_at"] is None and "public_key" not in key
    listed = account.api.get("/api/auth/biometric/keys", token=token)
    assert listed.status_code == 200 and listed.json["items"] == [key]

    challenge = _challenge(account.api, key_id=key["id"])
    tokens = _verify(account.api, challenge["challenge_id"], phone.sign(challenge["challenge"]))
    assert tokens.status_code == 200, tokens.body
    assert amr(tokens.json["access_token"]) == ("hwk",)
    assert tokens.json["user"]["id"] == account.user_id
    relisted = account.api.get("/api/auth/biometric/keys", token=tokens.json["access_token"]).json["items"]
    assert relisted[0]["last_used_at"] is not None


def test_base64_der_keys_and_device_plus_email_hint(account: Account):
    phone = Phone("pixel-8-0123456789")
    assert phone.register(account.api, account.sign_in(), public_key=phone.der_b64).status_code == 201
    challenge = _challenge(account.api, device_id=phone.device_id, email=account.email.upper())
    assert _verify(account.api, challenge["challenge_id"], phone.sign(challenge["challenge"])).status_code == 200


def test_a_challenge_works_once(enrolled):
    account, phone, key_id = enrolled
    challenge = _challenge(account.api, key_id=key_id)
    signature = phone.sign(challenge["challenge"])
    assert _verify(account.api, challenge["challenge_id"], signature).status_code == 200
    _refused(_verify(account.api, challenge["challenge_id"], signature))
    # a wrong signature spends the challenge too: no second guess on the same bytes
    second = _challenge(account.api, key_id=key_id)
    _refused(_verify(account.api, second["challenge_id"], Phone().sign(second["challenge"])))
    _refused(_verify(account.api, second["challenge_id"], phone.sign(second["challenge"])))


def test_an_expired_challenge_is_refused(enrolled, tenant: TenantInfo):
    account, phone, key_id = enrolled
    challenge = _challenge(account.api, key_id=key_id)
    key = cache.tenant_key(tenant.id, "bio", "challenge", challenge["challenge_id"])
    assert 0 < cache.redis_client().ttl(key) <= 120
    cache.redis_client().expire(key, 0)  # what two minutes do
    _refused(_verify(account.api, challenge["challenge_id"], phone.sign(challenge["challenge"])))


def test_wrong_signatures_are_refused_alike(enrolled):
    account, phone, key_id = enrolled
    answers = []
    c = _challenge(account.api, key_id=key_id)
    answers.append(_refused(_verify(account.api, c["challenge_id"], Phone().sign(c["challenge"]))))  # other key
    c = _challenge(account.api, key_id=key_id)
    answers.append(_refused(_verify(account.api, c["challenge_id"], phone.sign("AAAA" + c["challenge"][4:]))))
    c = _challenge(account.api, key_id=key_id)
    answers.append(_refused(_verify(account.api, c["challenge_id"], base64.b64encode(b"not der").decode())))
    answers.append(_refused(_verify(account.api, "unknown-challenge-id-0123", phone.sign(c["challenge"]))))
    assert all(a == answers[0] for a in answers)


def test_revoked_keys_cannot_sign_in(enrolled):
    account, phone, key_id = enrolled
    token = account.sign_in()
    pending = _challenge(account.api, key_id=key_id)  # issued before the revocation
    assert account.api.delete(f"/api/auth/biometric/keys/{key_id}", token=token).status_code == 204
    _refused(_verify(account.api, pending["challenge_id"], phone.sign(pending["challenge"])))
    after = _challenge(account.api, key_id=key_id)  # still answered: a decoy that cannot verify
    _refused(_verify(account.api, after["challenge_id"], phone.sign(after["challenge"])))
    assert account.api.get("/api/auth/biometric/keys", token=token).json["items"] == []
    assert_error_shape(account.api.delete(f"/api/auth/biometric/keys/{key_id}", token=token), 404, "not_found")


def test_another_tenants_key_or_challenge_does_not_work(enrolled, security_client, other_tenant: TenantInfo):
    account, phone, key_id = enrolled
    foreign = Api(security_client, other_tenant.api_key)
    decoy = _challenge(foreign, key_id=key_id)
    _refused(_verify(foreign, decoy["challenge_id"], phone.sign(decoy["challenge"])))
    mine = _challenge(account.api, key_id=key_id)
    _refused(_verify(foreign, mine["challenge_id"], phone.sign(mine["challenge"])))
    # the other tenant's attempt did not spend this tenant's challenge
    assert _verify(account.api, mine["challenge_id"], phone.sign(mine["challenge"])).status_code == 200


def test_unknown_keys_get_a_challenge_like_any_other(sapi: Api):
    by_id = _challenge(sapi, key_id=987654321)
    by_hint = _challenge(sapi, device_id="unknown-device-1", email="nobody@example.com")
    _refused(_verify(sapi, by_id["challenge_id"], Phone().sign(by_id["challenge"])))
    _refused(_verify(sapi, by_hint["challenge_id"], Phone().sign(by_hint["challenge"])))


def test_a_disabled_user_cannot_sign_in(enrolled, tenant: TenantInfo):
    account, phone, key_id = enrolled
    challenge = _challenge(account.api, key_id=key_id)
    get_db().session().execute("UPDATE users SET status = 'disabled' WHERE tenant_id = %s AND id = %s",
                               (tenant.id, account.user_id))
    _refused(_verify(account.api, challenge["challenge_id"], phone.sign(challenge["challenge"])))


def test_re_registering_a_device_replaces_its_key(enrolled):
    account, old_phone, old_id = enrolled
    token = account.sign_in()
    new_phone = Phone(old_phone.device_id)
    replaced = new_phone.register(account.api, token)
    assert replaced.status_code == 201 and replaced.json["id"] != old_id
    assert [k["id"] for k in account.api.get("/api/auth/biometric/keys", token=token).json["items"]] == [
        replaced.json["id"]]
    old = _challenge(account.api, key_id=old_id)
    _refused(_verify(account.api, old["challenge_id"], old_phone.sign(old["challenge"])))
    by_device = _challenge(account.api, device_id=new_phone.device_id, email=account.email)
    assert _verify(account.api, by_device["challenge_id"], new_phone.sign(by_device["challenge"])).status_code == 200
    # the same key again for the same device is a retry, not a new key
    again = new_phone.register(account.api, token)
    assert again.status_code == 201 and again.json["id"] == replaced.json["id"]


def test_a_key_registered_by_someone_else_is_refused(enrolled, sapi: Api, tenant: TenantInfo):
    _, phone, _ = enrolled
    other = Account(sapi, tenant)
    assert_error_shape(phone.register(sapi, other.sign_in()), 409, "biometric_key_exists")


@pytest.mark.parametrize("make_key", [
    lambda: Phone(curve=ec.SECP384R1()).pem,
    lambda: Phone(curve=ec.SECP256K1()).der_b64,
    lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
    lambda: "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5IGF0IGFsbCwganVzdCBzb21lIHRleHQ=\n-----END PUBLIC KEY-----",
    lambda: "bm90IGEga2V5IGF0IGFsbCwganVzdCBzb21lIHRleHQgdGhhdCBpcyBsb25n",
], ids=["p384", "secp256k1", "rsa", "pem-garbage", "base64-garbage"])
def test_keys_other_than_p256_are_refused(account: Account, make_key):
    token = account.sign_in()
    error = assert_error_shape(Phone().register(account.api, token, public_key=make_key()), 400, "validation_failed")
    assert [f["field"] for f in error["details"]["fields"]] == ["public_key"]
    assert account.api.get("/api/auth/biometric/keys", token=token).json["items"] == []


def test_register_bad_input_names_the_fields(account: Account):
    token = account.sign_in()
    phone = Phone()
    cases = [
        ({"device_name": "x", "public_key": phone.pem}, ["device_id"]),
        ({"device_id": "short", "public_key": phone.pem}, ["device_id"]),
        ({"device_id": "bad id with spaces", "public_key": phone.pem}, ["device_id"]),
        ({"device_id": "device-0001", "public_key": phone.pem, "user_id": 1}, ["user_id"]),
        ({"device_id": "device-0001", "device_name": "x" * 101, "public_key": phone.pem}, ["device_name"]),
    ]
    for body, fields in cases:
        error = assert_error_shape(account.api.post("/api/auth/biometric/keys", body, token=token), 400,
                                   "validation_failed")
        assert [f["field"] for f in error["details"]["fields"]] == fields, body
    assert account.api.get("/api/auth/biometric/keys", token=token).json["items"] == []


def test_challenge_and_verify_bad_input(sapi: Api):
    cases = [
        ("/api/auth/biometric/challenge", {}, ["email"]),
        ("/api/auth/biometric/challenge", {"key_id": 1, "device_id": "device-0001", "email": "a@b.co"}, ["email"]),
        ("/api/auth/biometric/challenge", {"device_id": "device-0001"}, ["email"]),
        ("/api/auth/biometric/challenge", {"key_id": 0}, ["key_id"]),
        ("/api/auth/biometric/challenge", {"device_id": "device-0001", "email": "not-an-email"}, ["email"]),
        ("/api/auth/biometric/verify", {"challenge_id": "x" * 24}, ["signature"]),
        ("/api/auth/biometric/verify", {"challenge_id": "x" * 24, "signature": "not base64!"}, ["signature"]),
        ("/api/auth/biometric/verify", {"challenge_id": "../../etc", "signature": "AAAAAAAA"}, ["challenge_id"]),
    ]
    for path, body, fields in cases:
        error = assert_error_shape(sapi.post(path, body), 400, "validation_failed")
        assert [f["field"] for f in error["details"]["fields"]] == fields, body


def test_bad_input_does_not_spend_the_challenge(enrolled):
    account, phone, key_id = enrolled
    challenge = _challenge(account.api, key_id=key_id)
    bad = account.api.post("/api/auth/biometric/verify", {"challenge_id": challenge["challenge_id"], "signature": "!"})
    assert_error_shape(bad, 400, "validation_failed")
    assert _verify(account.api, challenge["challenge_id"], phone.sign(challenge["challenge"])).status_code == 200


def test_keys_of_other_users_and_tenants_are_404(enrolled, sapi: Api, tenant: TenantInfo, security_client,
                                                 other_tenant: TenantInfo):
    account, _, key_id = enrolled
    other_user = Account(sapi, tenant).sign_in()
    assert_error_shape(sapi.delete(f"/api/auth/biometric/keys/{key_id}", token=other_user), 404, "not_found")
    assert sapi.get("/api/auth/biometric/keys", token=other_user).json["items"] == []
    foreign_api = Api(security_client, other_tenant.api_key)
    foreign = Account(foreign_api, other_tenant).sign_in()
    assert_error_shape(foreign_api.delete(f"/api/auth/biometric/keys/{key_id}", token=foreign), 404, "not_found")
    assert_error_shape(sapi.delete("/api/auth/biometric/keys/abc", token=other_user), 404, "not_found")
    assert_error_shape(sapi.delete("/api/auth/biometric/keys/99999999", token=other_user), 404, "not_found")
    # still there for its owner
    assert [k["id"] for k in sapi.get("/api/auth/biometric/keys", token=account.sign_in()).json["items"]] == [key_id]


def test_key_routes_need_a_token_of_this_tenant(sapi: Api, security_client, other_tenant: TenantInfo):
    foreign = Account(Api(security_client, other_tenant.api_key), other_tenant).sign_in()
    routes = [("GET", "/api/auth/biometric/keys", None),
              ("POST", "/api/auth/biometric/keys", {"device_id": "device-0001", "public_key": Phone().pem}),
              ("DELETE", "/api/auth/biometric/keys/1", None)]
    for method, path, body in routes:
        assert_error_shape(sapi.request(method, path, body), 401, "token_missing")
        assert_error_shape(sapi.request(method, path, body, token=foreign), 401, "tenant_mismatch")


def test_signatures_and_challenges_stay_out_of_logs(enrolled, capsys):
    import logging

    account, phone, key_id = enrolled
    root = logging.getLogger("huglu")
    level = root.level
    root.setLevel(logging.DEBUG)
    try:
        capsys.readouterr()
        challenge = _challenge(account.api, key_id=key_id)
        signature = phone.sign(challenge["challenge"])
        tokens = _verify(account.api, challenge["challenge_id"], signature).json
        out = capsys.readouterr().out
    finally:
        root.setLevel(level)
    assert '"message": "request"' in out
    for secret in (challenge["challenge"], challenge["challenge_id"], signature, tokens["access_token"],
                   tokens["refresh_token"]):
        assert secret not in out
    assert json.dumps(tokens).count("public_key") == 0
