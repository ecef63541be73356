"""Biometric sign-in (U2) the way mobile apps do it: a device-bound key and challenge-response.

1. Signed in, the app creates an EC P-256 key pair in secure hardware, gated by the biometric
   prompt, and registers the public key for its device id (one active key per device: a new
   registration replaces the old key).
2. To sign in it asks for a challenge (32 random bytes, 120 s, single use, bound to tenant and
   key), unlocks the private key with the fingerprint / face and signs the bytes.
3. The server checks the ECDSA-SHA256 signature against the stored key and starts a session
   with amr=("hwk",).

Choices:
- Registering needs an ordinary access token (any sign-in method).  Asking for a sign-in within
  the last few minutes would narrow what a stolen access token can do, but the token already
  lives only 15 minutes and is session-checked on each request; every registration sends a
  security alert, and keys are listed and revocable.
- The challenge endpoint answers the same way whether or not the key exists (an unknown key
  gets a decoy challenge that can never verify), so it does not reveal which e-mail addresses
  have biometric sign-in on which device.
- Every verification failure (unknown / expired / replayed challenge, revoked key, other
  tenant's key, bad signature, disabled user) is the same 401 `biometric_invalid`.
"""
from __future__ import annotations

import base64
import json
import secrets
from typing import Any

from chalicelib.platform import cache
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.errors import ApiError, Conflict, NotFound, Unauthorized

from . import device_keys, service
from . import security_alerts as alerts
from . import security_repository as repo

CHALLENGE_TTL = 120
CHALLENGE_BYTES = 32
MAX_KEYS_PER_USER = 10  # phones and tablets of one person; bounds the table per account


def _challenge_key(tenant_id: int, challenge_id: str) -> str:
    return cache.tenant_key(tenant_id, "bio", "challenge", challenge_id)


def _key_view(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "device_id": row["device_id"], "device_name": row["device_name"],
            "created_at": row["created_at"], "last_used_at": row["last_used_at"]}


# -- keys (signed in) ------------------------------------------------------------------------


def register_key(db: Database, tenant_id: int, user_id: int, *, device_id: str, device_name: str | None,
                 public_key: str) -> dict[str, Any]:
    """Register (or replace) this device's key.  Re-sending the same key for the same device is
    an idempotent retry; a key already registered anywhere else in the tenant is refused."""
    key = device_keys.load_p256_public_key(public_key)

    def work(uow: UnitOfWork) -> tuple[dict[str, Any], bool]:
        if not repo.lock_user(uow, tenant_id, user_id):
            raise NotFound()
        existing = repo.key_by_fingerprint(uow, tenant_id, key.fingerprint)
        if existing is not None:
            if existing["user_id"] == user_id and existing["device_id"] == device_id and existing["revoked_at"] is None:
                return existing, False
            raise Conflict("biometric_key_exists")  # the app must make a fresh key pair
        repo.revoke_device_keys(uow, tenant_id, user_id, device_id)
        if repo.count_active_keys(uow, tenant_id, user_id) >= MAX_KEYS_PER_USER:
            raise Conflict("biometric_key_limit")
        key_id = repo.insert_key(uow, tenant_id, user_id, device_id=device_id, device_name=device_name,
                                 public_key_pem=key.pem, fingerprint=key.fingerprint)
        row = repo.key_for_user(uow, tenant_id, user_id, key_id)
        assert row is not None
        uow.commit()
        return row, True

    row, created = db.transaction(work)
    if created:
        account = repo.totp_state(db.session(), tenant_id, user_id)
        if account is not None:
            alerts.send(tenant_id, account, alerts.BIOMETRIC_KEY_ADDED)
    return _key_view(row)


def list_keys(db: Database, tenant_id: int, user_id: int) -> list[dict[str, Any]]:
    return [_key_view(row) for row in repo.active_keys(db.session(), tenant_id, user_id)]


def revoke_key(db: Database, tenant_id: int, user_id: int, key_id: int) -> None:
    """404 for a key that is not this user's (another user's, another tenant's) or already revoked."""
    if not repo.revoke_key(db.session(), tenant_id, user_id, key_id):
        raise NotFound()


def revoke_all_keys(uow: UnitOfWork, tenant_id: int, user_id: int) -> int:
    """For account-level events (password reset, account deletion): no device signs in any more."""
    return repo.revoke_all_keys(uow, tenant_id, user_id)


# -- signing in (public) ---------------------------------------------------------------------


def issue_challenge(db: Database, tenant_id: int, *, key_id: int | None, device_id: str | None,
                    email: str | None) -> dict[str, Any]:
    found = repo.active_key_id(db.session(), tenant_id, key_id=key_id, device_id=device_id, email=email)
    challenge_id = secrets.token_urlsafe(18)
    challenge = base64.urlsafe_b64encode(secrets.token_bytes(CHALLENGE_BYTES)).decode().rstrip("=")
    # key 0 marks a decoy: same answer as for a real key, but it can never verify.
    state = {"key_id": found or 0, "challenge": challenge}
    cache.redis_client().set(_challenge_key(tenant_id, challenge_id), cache.dumps(state), ex=CHALLENGE_TTL)
    return {"challenge_id": challenge_id, "challenge": challenge, "expires_in": CHALLENGE_TTL}


def _refused() -> ApiError:
    return Unauthorized("biometric_invalid")


def verify(db: Database, tenant_id: int, challenge_id: str, signature: str, client: service.Client) -> dict[str, Any]:
    # GETDEL: the first verification attempt spends the challenge, right or wrong, so a captured
    # signature can never be replayed and a challenge cannot be used to guess repeatedly.
    raw = cache.redis_client().getdel(_challenge_key(tenant_id, challenge_id))
    if raw is None:
        raise _refused()
    state = json.loads(raw)
    key = repo.key_for_login(db.session(), tenant_id, state["key_id"]) if state["key_id"] else None
    message = device_keys.b64decode(state["challenge"])
    if key is None or not device_keys.signature_valid(key["public_key_pem"], message, signature):
        raise _refused()

    def work(uow: UnitOfWork) -> None:
        if not repo.touch_key(uow, tenant_id, key["id"]):
            raise _refused()  # revoked between the challenge and now
        uow.commit()

    db.transaction(work)
    user = service.get_active_user(db, tenant_id, key["user_id"])
    return service.complete_login(db, tenant_id, user,
                                  service.Client(key["device_name"], client.user_agent, client.ip), amr=("hwk",))
