"""HTTP routes of the accounts area's second factors: /api/auth/2fa/... (TOTP, recovery codes,
the second sign-in step) and /api/auth/biometric/... (device keys, challenge-response sign-in).

A second Router of the accounts area (same tag), deployed in the accounts function.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from chalicelib.platform import cache
from chalicelib.platform.db import get_db
from chalicelib.platform.errors import ServiceUnavailable
from chalicelib.platform.routing import PUBLIC, USER, Call, Router

from . import biometric, mfa, service
from .schemas import TokensOut
from .security_schemas import (
    BiometricChallengeIn,
    BiometricChallengeOut,
    BiometricKeyIn,
    BiometricKeyList,
    BiometricKeyOut,
    BiometricVerifyIn,
    MfaCodeIn,
    MfaEnabledOut,
    MfaProofIn,
    MfaSetupOut,
    MfaStatusOut,
    MfaVerifyIn,
    RecoveryCodesOut,
)

router = Router(tag="accounts")

# Per-route limits (requests per 15 min, per user when signed in, else per device / IP): a
# 6-digit code must not be guessable by volume, on top of the per-token attempt limit.
CODE_LIMIT = (10, 900)
SIGN_IN_LIMIT = (20, 900)


def _client(call: Call) -> service.Client:
    return service.Client(user_agent=call.header("user-agent"), ip=call.ctx.client_ip)


def _needs_redis(fn: Callable[[Call], Any]) -> Callable[[Call], Any]:
    """Every route here keeps short-lived security state in Redis and must not fail open:
    an outage is a 503 (retry later), not a 500 and never a skipped check."""

    @functools.wraps(fn)
    def wrapper(call: Call) -> Any:
        try:
            return fn(call)
        except cache.redis_errors() as exc:
            raise ServiceUnavailable() from exc

    return wrapper


# -- 2FA ---------------------------------------------------------------------------------------


@router.get("/api/auth/2fa", auth=USER, response=MfaStatusOut)
def mfa_status(call: Call) -> MfaStatusOut:
    """Whether two-factor authentication is on, and how many recovery codes are left."""
    return MfaStatusOut.model_validate(mfa.status(get_db(), call.tenant.id, call.principal.user_id))


@router.post("/api/auth/2fa/setup", auth=USER, response=MfaSetupOut, rate_limit=CODE_LIMIT, errors=(409,))
@_needs_redis
def mfa_setup(call: Call) -> MfaSetupOut:
    """Start 2FA setup: a new secret (pending for 10 minutes) as an otpauth:// URI and in base32."""
    result = mfa.begin_setup(get_db(), call.tenant.id, call.principal.user_id, issuer=call.tenant.name)
    return MfaSetupOut.model_validate(result)


@router.post("/api/auth/2fa/confirm", auth=USER, body=MfaCodeIn, response=MfaEnabledOut, rate_limit=CODE_LIMIT,
             errors=(409,))
@_needs_redis
def mfa_confirm(call: Call) -> MfaEnabledOut:
    """Switch 2FA on with a current code; returns ten recovery codes (shown only here) and signs
    out every other session."""
    result = mfa.confirm_setup(get_db(), call.tenant.id, call.principal.user_id, call.body.code,
                               session_id=call.principal.session_id)
    return MfaEnabledOut.model_validate(result)


@router.post("/api/auth/2fa/disable", auth=USER, body=MfaProofIn, status=204, rate_limit=CODE_LIMIT, errors=(409,))
@_needs_redis
def mfa_disable(call: Call) -> None:
    """Switch 2FA off; needs a fresh code or an unused recovery code."""
    body: MfaProofIn = call.body
    mfa.disable(get_db(), call.tenant.id, call.principal.user_id, code=body.code, recovery_code=body.recovery_code)


@router.post("/api/auth/2fa/recovery-codes", auth=USER, body=MfaCodeIn, response=RecoveryCodesOut,
             rate_limit=CODE_LIMIT, errors=(409,))
@_needs_redis
def mfa_recovery_codes(call: Call) -> RecoveryCodesOut:
    """Replace the recovery codes (the old ones stop working); needs a fresh code."""
    result = mfa.regenerate_recovery_codes(get_db(), call.tenant.id, call.principal.user_id, call.body.code)
    return RecoveryCodesOut.model_validate(result)


@router.post("/api/auth/2fa/verify", auth=PUBLIC, body=MfaVerifyIn, response=TokensOut, rate_limit=SIGN_IN_LIMIT,
             errors=(401,))
@_needs_redis
def mfa_verify(call: Call) -> TokensOut:
    """Second sign-in step: the login's mfa_token with a TOTP code or a recovery code → tokens."""
    body: MfaVerifyIn = call.body
    result = mfa.verify_login(get_db(), call.tenant.id, body.mfa_token, code=body.code,
                              recovery_code=body.recovery_code, client=_client(call))
    return TokensOut.model_validate(result)


# -- biometric ---------------------------------------------------------------------------------


@router.post("/api/auth/biometric/keys", auth=USER, body=BiometricKeyIn, response=BiometricKeyOut, status=201,
             rate_limit=SIGN_IN_LIMIT, errors=(409,))
def biometric_register(call: Call) -> BiometricKeyOut:
    """Register this device's EC P-256 public key (replaces the device's earlier key)."""
    body: BiometricKeyIn = call.body
    result = biometric.register_key(get_db(), call.tenant.id, call.principal.user_id, device_id=body.device_id,
                                    device_name=body.device_name, public_key=body.public_key)
    return BiometricKeyOut.model_validate(result)


@router.get("/api/auth/biometric/keys", auth=USER, response=BiometricKeyList)
def biometric_keys(call: Call) -> BiometricKeyList:
    """The signed-in user's active device keys."""
    return BiometricKeyList(items=[BiometricKeyOut.model_validate(k) for k in
                                   biometric.list_keys(get_db(), call.tenant.id, call.principal.user_id)])


@router.delete("/api/auth/biometric/keys/{key_id}", auth=USER, status=204, errors=(404,))
def biometric_revoke(call: Call) -> None:
    """Revoke one of the user's device keys."""
    biometric.revoke_key(get_db(), call.tenant.id, call.principal.user_id, call.path["key_id"])


@router.post("/api/auth/biometric/challenge", auth=PUBLIC, body=BiometricChallengeIn,
             response=BiometricChallengeOut, rate_limit=SIGN_IN_LIMIT)
@_needs_redis
def biometric_challenge(call: Call) -> BiometricChallengeOut:
    """A single-use challenge (120 s) for the device key to sign."""
    body: BiometricChallengeIn = call.body
    result = biometric.issue_challenge(get_db(), call.tenant.id, key_id=body.key_id, device_id=body.device_id,
                                       email=body.email)
    return BiometricChallengeOut.model_validate(result)


@router.post("/api/auth/biometric/verify", auth=PUBLIC, body=BiometricVerifyIn, response=TokensOut,
             rate_limit=SIGN_IN_LIMIT, errors=(401,))
@_needs_redis
def biometric_verify(call: Call) -> TokensOut:
    """Sign in with the device key's signature over the challenge → tokens."""
    body: BiometricVerifyIn = call.body
    return TokensOut.model_validate(biometric.verify(get_db(), call.tenant.id, body.challenge_id, body.signature,
                                                     _client(call)))
