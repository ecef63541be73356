"""TOTP (RFC 6238) and recovery-code arithmetic: no I/O, so the rules are easy to read and test.

Codes are 6 digits over 30-second steps, SHA-1 (what every authenticator app speaks).  A code is
accepted for the step before and after the current one (clock drift on phones); the step it
matched is returned so the caller can refuse to accept that step twice.
"""
from __future__ import annotations

import hmac
import secrets
import time
from typing import Any

from chalicelib.platform import crypto

STEP_SECONDS = 30
VALID_WINDOW = 1  # steps either side of now
RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: recovery codes are read off paper and typed by hand.  31**8 ≈ 2**39.6 each.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _pyotp() -> Any:
    import pyotp  # on first use: most requests of the accounts function never touch TOTP

    return pyotp


def new_secret() -> str:
    """160 random bits, base32 (RFC 4226's recommended secret length)."""
    return str(_pyotp().random_base32(length=32))


def provisioning_uri(secret: str, *, label: str, issuer: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return str(_pyotp().TOTP(secret).provisioning_uri(name=label, issuer_name=issuer))


def matching_step(secret: str, code: str, *, now: float | None = None) -> int | None:
    """The time step `code` belongs to within the accepted window, or None."""
    totp = _pyotp().TOTP(secret)
    current = int((time.time() if now is None else now) // STEP_SECONDS)
    matched = None
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        # Compare every candidate (no early exit) in constant time: timing says nothing.
        if hmac.compare_digest(totp.generate_otp(step), code):
            matched = step
    return matched


def new_recovery_codes() -> list[str]:
    """Ten codes shaped xxxx-xxxx; shown to the user once, only their hashes are kept."""
    codes: set[str] = set()
    while len(codes) < RECOVERY_CODE_COUNT:
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(8))
        codes.add(f"{raw[:4]}-{raw[4:]}")
    return sorted(codes)


def normalise_recovery_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def recovery_code_hash(tenant_id: int, user_id: int, code: str) -> str:
    """Keyed hash (hex, 64 chars).  Tenant and user are part of the hashed value so equal codes
    of two users never share a hash and a leaked table cannot be matched across accounts."""
    value = f"{tenant_id}:{user_id}:{normalise_recovery_code(code)}"
    return crypto.lookup_hash(value, "user.recovery_code").hex()
