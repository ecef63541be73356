"""API contract of two-factor authentication (TOTP, recovery codes) and biometric device keys."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from chalicelib.platform.fields import Line, Timestamp

from .policy import EMAIL_PATTERN, canonical_email, stripped

# ASCII digits only (issue 9): pydantic's \d also matches "٣" and "³", which the checks below
# would then meet (hmac.compare_digest refuses non-ASCII text).
# What people type may come with surrounding whitespace (stripped, and the pattern says so);
# what apps send back (ids, tokens, signatures) is taken verbatim.
TOTP_CODE = stripped(r"^[0-9]{3} ?[0-9]{3}$")  # authenticator apps display "123 456"
RECOVERY_CODE = stripped(r"^[A-Za-z0-9]{4}-?[A-Za-z0-9]{4}$")
EMAIL = stripped(EMAIL_PATTERN)
DEVICE_ID = r"^[A-Za-z0-9._:-]+$"
URLSAFE_ID = r"^[A-Za-z0-9_-]+$"
BASE64 = r"^[A-Za-z0-9+/_-]+={0,2}$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")  # stripping per field: see the patterns above


def _digits(value: str | None) -> str | None:
    return None if value is None else value.strip().replace(" ", "")


def _exactly_one(value: Any, info: ValidationInfo, other: str) -> Any:
    """Run on the second of two alternative fields (with validate_default) so the error names it.
    When `other` failed its own validation it is absent from info.data: that error suffices."""
    if other not in info.data:
        return value
    if (value is None) == (info.data[other] is None):
        raise ValueError(f"give either {other} or {info.field_name}")
    return value


# -- 2FA -------------------------------------------------------------------------------------


class MfaSetupOut(BaseModel):
    otpauth_uri: str = Field(description="otpauth://totp/... for the authenticator app's QR code")
    secret: str = Field(description="base32 secret for manual entry; shown here only")
    expires_in: int = Field(description="seconds left to confirm the setup")


class MfaCodeIn(_In):
    code: str = Field(pattern=TOTP_CODE, description="current 6-digit code from the authenticator app")

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        return value.strip().replace(" ", "")


class MfaProofIn(_In):
    """A fresh second factor: a TOTP code or one unused recovery code."""

    code: str | None = Field(default=None, pattern=TOTP_CODE)
    recovery_code: str | None = Field(default=None, pattern=RECOVERY_CODE, validate_default=True)

    @field_validator("code")
    @classmethod
    def _code(cls, value: str | None) -> str | None:
        return _digits(value)

    @field_validator("recovery_code")
    @classmethod
    def _one(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _exactly_one(value, info, "code")  # type: ignore[no-any-return]


class MfaVerifyIn(MfaProofIn):
    """The second step of signing in (after the password answered with `mfa_required`)."""

    mfa_token: str = Field(min_length=20, max_length=128, pattern=URLSAFE_ID)


class RecoveryCodesOut(BaseModel):
    recovery_codes: list[str] = Field(description="each works once; shown only in this answer")


class MfaEnabledOut(RecoveryCodesOut):
    enabled_at: Timestamp


class MfaStatusOut(BaseModel):
    enabled: bool
    enabled_at: Timestamp | None
    recovery_codes_left: int


class MfaChallengeOut(BaseModel):
    """The password step's answer for accounts with 2FA: no tokens yet."""

    mfa_required: Literal[True] = True
    mfa_token: str = Field(description="single use; send it with the code to POST /api/auth/2fa/verify")
    methods: list[Literal["totp", "recovery_code"]]
    expires_in: int = Field(description="seconds the mfa_token stays valid")


# -- biometric device keys -------------------------------------------------------------------


class BiometricKeyIn(_In):
    device_id: str = Field(min_length=8, max_length=128, pattern=DEVICE_ID)
    device_name: Line | None = Field(default=None, max_length=100)
    public_key: str = Field(min_length=40, max_length=4096,
                            description="EC P-256 SubjectPublicKeyInfo, PEM or base64 DER")

    @field_validator("public_key")
    @classmethod
    def _p256(cls, value: str) -> str:
        from .device_keys import KeyRejected, load_p256_public_key

        try:
            return load_p256_public_key(value).pem
        except KeyRejected as exc:
            raise ValueError(str(exc)) from None


class BiometricKeyOut(BaseModel):
    id: int
    device_id: str
    device_name: str | None
    created_at: Timestamp
    last_used_at: Timestamp | None


class BiometricKeyList(BaseModel):
    items: list[BiometricKeyOut]


class BiometricChallengeIn(_In):
    """Name the key by its id, or by the device id plus the account's e-mail."""

    key_id: int | None = Field(default=None, ge=1, le=2**63 - 1, strict=True)
    device_id: str | None = Field(default=None, min_length=8, max_length=128, pattern=DEVICE_ID)
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL, validate_default=True)

    @field_validator("email")
    @classmethod
    def _hint(cls, value: str | None, info: ValidationInfo) -> str | None:
        if "key_id" not in info.data or "device_id" not in info.data:
            return value  # an earlier field already failed
        by_device = info.data["device_id"] is not None or value is not None
        if (info.data["key_id"] is not None) == by_device:
            raise ValueError("give either key_id or device_id with email")
        if by_device and (info.data["device_id"] is None or value is None):
            raise ValueError("device_id and email go together")
        return None if value is None else canonical_email(value)


class BiometricChallengeOut(BaseModel):
    challenge_id: str
    challenge: str = Field(description="32 random bytes, base64url; sign these bytes (ECDSA P-256, SHA-256)")
    expires_in: int


class BiometricVerifyIn(_In):
    challenge_id: str = Field(min_length=16, max_length=64, pattern=URLSAFE_ID)
    signature: str = Field(min_length=8, max_length=200, pattern=BASE64,
                           description="DER-encoded ECDSA signature over the challenge bytes, base64")
