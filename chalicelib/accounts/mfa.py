"""Two-factor authentication with TOTP (U6): setup, confirm, disable, recovery codes, and the
second step of signing in.

Where state lives, and why:
- A *pending* secret (setup started, not confirmed) lives only in Redis for PENDING_TTL, sealed
  exactly as the column stores it.  The users row changes only when a code proves the app holds
  the secret, so `totp_secret_enc IS NOT NULL` always means "2FA on", an abandoned setup leaves
  nothing behind, and confirming moves the same ciphertext into the column.
- Used TOTP steps are remembered per user in Redis for as long as a code can be accepted, so a
  code works once (a replay within its 30 s, or from a shoulder-surfer, fails).
- The login challenge (`mfa_token`) lives in Redis under the SHA-256 of the token (a Redis dump
  holds nothing usable), bound to the tenant (in the key), user and client IP, with an attempt
  counter: at most MAX_ATTEMPTS code checks, then the token is gone.  Failures are also counted
  per account (ACCOUNT_FAILURES per window), so someone who has the password cannot guess codes
  with fresh tokens from many addresses.
- Recovery codes are keyed hashes in MySQL; spending one is a conditional UPDATE.
Redis is required here: without it replay protection cannot be promised, so errors surface
(security_routes answers 503) instead of failing open.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timezone
from typing import Any

from chalicelib.platform import cache, crypto
from chalicelib.platform.db import Database, Session, UnitOfWork
from chalicelib.platform.errors import ApiError, BadRequest, Conflict, NotFound, Unauthorized

from . import security_alerts as alerts
from . import security_repository as repo
from . import service, totp

PENDING_TTL = 10 * 60
LOGIN_TOKEN_TTL = 5 * 60
MAX_ATTEMPTS = 5
ACCOUNT_FAILURES, ACCOUNT_FAILURE_WINDOW = 10, 15 * 60
# A code is accepted until the end of the step after its own: remember its step a bit longer.
USED_STEP_TTL = (2 * totp.VALID_WINDOW + 2) * totp.STEP_SECONDS
METHODS = ["totp", "recovery_code"]
SECRET_FIELD = "user.totp"  # crypto.seal associated data: this ciphertext opens only as a TOTP secret

# Count an attempt and read the challenge in one step, only if it still exists (HINCRBY on a
# missing key would recreate it without a TTL).
_RESERVE = """
local uid = redis.call('HGET', KEYS[1], 'uid')
if not uid then return false end
local n = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
return {n, uid, redis.call('HGET', KEYS[1], 'ip'), redis.call('HGET', KEYS[1], 'dev')}
"""


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _pending_key(tenant_id: int, user_id: int) -> str:
    return cache.tenant_key(tenant_id, "mfa", "pending", user_id)


def _step_key(tenant_id: int, user_id: int, step: int) -> str:
    return cache.tenant_key(tenant_id, "mfa", "step", user_id, step)


def _failures_key(tenant_id: int, user_id: int) -> str:
    return cache.tenant_key(tenant_id, "mfa", "failures", user_id)


def _login_key(tenant_id: int, mfa_token: str) -> str:
    return cache.tenant_key(tenant_id, "mfa", "login", hashlib.sha256(mfa_token.encode()).hexdigest())


def _bad_code(field: str) -> ApiError:
    return BadRequest("code_invalid", details={"fields": [
        {"field": field, "message": "Kod hatalı, süresi dolmuş veya daha önce kullanılmış.", "type": "code_invalid"}]})


def _account(session: Session, tenant_id: int, user_id: int, *, for_update: bool = False) -> dict[str, Any]:
    row = repo.totp_state(session, tenant_id, user_id, for_update=for_update)
    if row is None or row["status"] != "active":
        raise NotFound()
    return row


def _totp_ok(tenant_id: int, user_id: int, secret_enc: bytes, code: str) -> bool:
    """Right code for now ± one step *and* that step not used before (SET NX marks it used)."""
    secret = crypto.open_sealed(secret_enc, SECRET_FIELD)
    assert secret is not None
    step = totp.matching_step(secret, code)
    if step is None:
        return False
    return bool(cache.redis_client().set(_step_key(tenant_id, user_id, step), b"1", nx=True, ex=USED_STEP_TTL))


# -- managing 2FA (signed in) ----------------------------------------------------------------


def status(db: Database, tenant_id: int, user_id: int) -> dict[str, Any]:
    session = db.session()
    row = _account(session, tenant_id, user_id)
    enabled = row["totp_enabled_at"] is not None
    return {"enabled": enabled, "enabled_at": row["totp_enabled_at"],
            "recovery_codes_left": repo.recovery_codes_left(session, tenant_id, user_id) if enabled else 0}


def begin_setup(db: Database, tenant_id: int, user_id: int, *, issuer: str) -> dict[str, Any]:
    """A new pending secret (replacing any earlier pending one); 409 when 2FA is already on."""
    row = _account(db.session(), tenant_id, user_id)
    if row["totp_enabled_at"] is not None:
        raise Conflict("mfa_already_enabled")
    secret = totp.new_secret()
    cache.redis_client().set(_pending_key(tenant_id, user_id), crypto.seal(secret, SECRET_FIELD), ex=PENDING_TTL)
    label = row["email"] or f"user-{user_id}"
    return {"otpauth_uri": totp.provisioning_uri(secret, label=label, issuer=issuer), "secret": secret,
            "expires_in": PENDING_TTL}


def confirm_setup(db: Database, tenant_id: int, user_id: int, code: str, *, session_id: str | None) -> dict[str, Any]:
    """Switch 2FA on with a code from the pending secret; returns the recovery codes (once)."""
    row = _account(db.session(), tenant_id, user_id)
    if row["totp_enabled_at"] is not None:
        raise Conflict("mfa_already_enabled")
    redis = cache.redis_client()
    pending = redis.get(_pending_key(tenant_id, user_id))
    if pending is None:
        raise Conflict("mfa_setup_required")
    if not _totp_ok(tenant_id, user_id, pending, code):
        raise _bad_code("code")
    codes, enabled_at = totp.new_recovery_codes(), _now()

    def work(uow: UnitOfWork) -> None:
        if not repo.enable_totp(uow, tenant_id, user_id, bytes(pending), enabled_at):
            raise Conflict("mfa_already_enabled")  # a concurrent confirm won
        repo.replace_recovery_codes(uow, tenant_id, user_id, [totp.recovery_code_hash(tenant_id, user_id, c)
                                                               for c in codes])
        uow.on_commit(lambda: redis.delete(_pending_key(tenant_id, user_id)))
        uow.commit()

    db.transaction(work)
    # Sessions opened with the password alone must not outlive the upgrade; this one stays.
    service.revoke_all_sessions(db, tenant_id, user_id, except_session=session_id)
    alerts.send(tenant_id, row, alerts.MFA_ENABLED)
    return {"enabled_at": enabled_at, "recovery_codes": codes}


def disable(db: Database, tenant_id: int, user_id: int, *, code: str | None, recovery_code: str | None) -> None:
    """Switch 2FA off; needs a fresh TOTP code or an unused recovery code."""
    row = _account(db.session(), tenant_id, user_id)
    if row["totp_enabled_at"] is None:
        raise Conflict("mfa_not_enabled")
    if code is not None and not _totp_ok(tenant_id, user_id, row["totp_secret_enc"], code):
        raise _bad_code("code")

    def work(uow: UnitOfWork) -> None:
        if recovery_code is not None and not repo.use_recovery_code(
                uow, tenant_id, user_id, totp.recovery_code_hash(tenant_id, user_id, recovery_code)):
            raise _bad_code("recovery_code")
        if not repo.disable_totp(uow, tenant_id, user_id):
            raise Conflict("mfa_not_enabled")
        repo.delete_recovery_codes(uow, tenant_id, user_id)
        uow.commit()

    db.transaction(work)
    alerts.send(tenant_id, row, alerts.MFA_DISABLED)


def regenerate_recovery_codes(db: Database, tenant_id: int, user_id: int, code: str) -> dict[str, Any]:
    """A new set of ten codes; every earlier code stops working.  Needs a fresh TOTP code."""
    row = _account(db.session(), tenant_id, user_id)
    if row["totp_enabled_at"] is None:
        raise Conflict("mfa_not_enabled")
    if not _totp_ok(tenant_id, user_id, row["totp_secret_enc"], code):
        raise _bad_code("code")
    codes = totp.new_recovery_codes()

    def work(uow: UnitOfWork) -> None:
        if _account(uow, tenant_id, user_id, for_update=True)["totp_enabled_at"] is None:
            raise Conflict("mfa_not_enabled")  # switched off meanwhile
        repo.replace_recovery_codes(uow, tenant_id, user_id, [totp.recovery_code_hash(tenant_id, user_id, c)
                                                               for c in codes])
        uow.commit()

    db.transaction(work)
    alerts.send(tenant_id, row, alerts.RECOVERY_CODES_REGENERATED)
    return {"recovery_codes": codes}


# -- signing in ------------------------------------------------------------------------------


def start_login_challenge(tenant_id: int, user_id: int, client: service.Client) -> dict[str, Any]:
    """The password was right and the account has 2FA: answer with a challenge, not tokens."""
    mfa_token = secrets.token_urlsafe(32)
    key = _login_key(tenant_id, mfa_token)
    pipe = cache.redis_client().pipeline()  # MULTI/EXEC: the token never exists without its TTL
    pipe.hset(key, mapping={"uid": user_id, "ip": client.ip or "", "dev": client.device_name or "", "attempts": 0})
    pipe.expire(key, LOGIN_TOKEN_TTL)
    pipe.execute()
    return {"mfa_required": True, "mfa_token": mfa_token, "methods": list(METHODS), "expires_in": LOGIN_TOKEN_TTL}


def verify_login(db: Database, tenant_id: int, mfa_token: str, *, code: str | None, recovery_code: str | None,
                 client: service.Client) -> dict[str, Any]:
    """Second step of signing in: a TOTP code or a recovery code against the challenge → tokens."""
    redis = cache.redis_client()
    key = _login_key(tenant_id, mfa_token)
    attempts, user_id, device_name = _reserve_attempt(key, client)
    row = repo.totp_state(db.session(), tenant_id, user_id)
    if row is None or row["status"] != "active" or row["totp_enabled_at"] is None:
        redis.delete(key)  # disabled / 2FA switched off since the password step: start again
        raise Unauthorized("mfa_token_invalid")
    _ensure_not_locked(tenant_id, user_id)
    if not _factor_ok(db, tenant_id, row, code=code, recovery_code=recovery_code):
        _count_failure(tenant_id, user_id)
        left = MAX_ATTEMPTS - attempts
        if left <= 0:
            redis.delete(key)
        raise Unauthorized("mfa_code_invalid", details={"attempts_left": left})
    if redis.delete(key) != 1:
        raise Unauthorized("mfa_token_invalid")  # a concurrent verify of the same token won
    redis.delete(_failures_key(tenant_id, user_id))
    user = service.get_active_user(db, tenant_id, user_id)
    # A recovery code is a one-time password too (RFC 8176 "otp"): it satisfies the admin policy.
    tokens = service.complete_login(db, tenant_id, user, service.Client(device_name or None, client.user_agent,
                                                                        client.ip), amr=("pwd", "otp"))
    if recovery_code is not None:
        alerts.send(tenant_id, row, alerts.RECOVERY_CODE_USED)
    return tokens


def _reserve_attempt(key: str, client: service.Client) -> tuple[int, int, str]:
    """Count one attempt on the challenge: (attempts so far, user id, device name), or 401."""
    redis = cache.redis_client()
    reserved = redis.register_script(_RESERVE)(keys=[key])
    if not reserved:
        raise Unauthorized("mfa_token_invalid")  # unknown, expired, spent, or another tenant's
    attempts, user_id = int(reserved[0]), int(reserved[1])
    if attempts > MAX_ATTEMPTS:
        redis.delete(key)
        raise Unauthorized("mfa_token_invalid")
    if reserved[2].decode() != (client.ip or ""):
        raise Unauthorized("mfa_token_invalid")  # issued to another client: stolen, or a proxy hop
    return attempts, user_id, reserved[3].decode()


def _ensure_not_locked(tenant_id: int, user_id: int) -> None:
    redis = cache.redis_client()
    failures = redis.get(_failures_key(tenant_id, user_id))
    if failures is not None and int(failures) >= ACCOUNT_FAILURES:
        wait = max(int(redis.ttl(_failures_key(tenant_id, user_id))), 1)
        raise ApiError("login_locked", status=429, headers={"Retry-After": str(wait)},
                       params={"minutes": max(1, round(wait / 60))}, details={"retry_after": wait})


def _count_failure(tenant_id: int, user_id: int) -> None:
    pipe = cache.redis_client().pipeline()
    pipe.incr(_failures_key(tenant_id, user_id))
    pipe.expire(_failures_key(tenant_id, user_id), ACCOUNT_FAILURE_WINDOW, nx=True)  # window from the first
    pipe.execute()


def _factor_ok(db: Database, tenant_id: int, row: dict[str, Any], *, code: str | None,
               recovery_code: str | None) -> bool:
    if code is not None:
        return _totp_ok(tenant_id, row["id"], row["totp_secret_enc"], code)
    assert recovery_code is not None  # MfaVerifyIn requires exactly one
    code_hash = totp.recovery_code_hash(tenant_id, row["id"], recovery_code)
    return repo.use_recovery_code(db.session(), tenant_id, row["id"], code_hash)
