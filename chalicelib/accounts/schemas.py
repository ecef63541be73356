from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, field_validator, model_validator

from chalicelib.platform.fields import Timestamp

from . import policy
from .security_schemas import MfaChallengeOut

Language = Literal["tr", "en"]
CODE = r"^\s*\d{6}\s*$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Identified(_In):
    """E-mail or Turkish mobile number: exactly one identifies the account."""

    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=30, description="Turkish mobile, e.g. 0532 123 45 67")

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not policy.EMAIL.match(value.strip()):
            raise ValueError("not an e-mail address")
        return value.strip().lower()

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        from chalicelib.platform.text import normalise_tr_mobile

        if value is None:
            return None
        phone = normalise_tr_mobile(value)
        if phone is None:
            raise ValueError("not a Turkish mobile number")
        return phone

    @model_validator(mode="after")
    def _one(self) -> _Identified:
        if (self.email is None) == (self.phone is None):
            raise ValueError("give either email or phone")
        return self


class RegisterIn(_Identified):
    password: str = Field(min_length=1, max_length=128)
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    language: Language = "tr"
    kvkk_consent: Literal[True] = Field(description="the KVKK notice was shown and accepted")
    marketing_consent: bool = False


class VerificationOut(BaseModel):
    verification_id: str
    channel: Literal["email", "sms"]
    expires_in: int


class VerifyIn(_In):
    verification_id: str = Field(min_length=10, max_length=64)
    code: str = Field(pattern=CODE)


class ResendIn(_In):
    verification_id: str = Field(min_length=10, max_length=64)


class LoginIn(_Identified):
    password: str = Field(min_length=1, max_length=128)
    device_name: str | None = Field(default=None, max_length=100)


class RefreshIn(_In):
    refresh_token: str = Field(min_length=20, max_length=200)


class UserOut(BaseModel):
    id: int
    email: str | None
    first_name: str | None
    last_name: str | None
    language: Language
    is_staff: bool
    roles: list[str]
    created_at: Timestamp


class TokensOut(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="access token lifetime in seconds")
    refresh_token: str = Field(description="single use; rotate on every refresh")
    user: UserOut


class LoginOut(RootModel[TokensOut | MfaChallengeOut]):
    """Tokens, or, for accounts with 2FA, a challenge for the second factor."""


class SessionOut(BaseModel):
    id: str
    device_name: str | None = None
    user_agent: str | None = None
    ip: str | None = None
    created_at: int
    last_used_at: int | None = None
    current: bool


class SessionList(BaseModel):
    items: list[SessionOut]


class RevokedOut(BaseModel):
    revoked: int


class ForgotIn(_Identified):
    pass


class AcceptedOut(BaseModel):
    status: Literal["accepted"] = "accepted"


class ResetIn(_In):
    token: str = Field(min_length=20, max_length=200)
    new_password: str = Field(min_length=1, max_length=128)


class ChangePasswordIn(_In):
    current_password: str = Field(min_length=1, max_length=128)
    new_password: str = Field(min_length=1, max_length=128)


class NotificationPrefs(_In):
    order_updates: bool | None = None
    marketing_email: bool | None = None
    marketing_sms: bool | None = None
    marketing_push: bool | None = None
    back_in_stock: bool | None = None


class ProfileOut(BaseModel):
    id: int
    email: str | None
    phone: str | None
    phone_masked: str | None
    first_name: str | None
    last_name: str | None
    language: Language
    is_staff: bool
    roles: list[str]
    email_verified: bool
    phone_verified: bool
    two_factor_enabled: bool
    notification_prefs: dict[str, bool]
    created_at: Timestamp


class ProfileUpdateIn(_In):
    first_name: str | None = Field(default=None, min_length=1, max_length=100)
    last_name: str | None = Field(default=None, min_length=1, max_length=100)
    language: Language | None = None
    notification_prefs: NotificationPrefs | None = None


class EmailChangeIn(_In):
    new_email: str = Field(max_length=254, pattern=r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
    password: str = Field(min_length=1, max_length=128)

    @field_validator("new_email")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class PhoneChangeIn(_In):
    new_phone: str = Field(max_length=30)
    password: str = Field(min_length=1, max_length=128)

    @field_validator("new_phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        from chalicelib.platform.text import normalise_tr_mobile

        phone = normalise_tr_mobile(value)
        if phone is None:
            raise ValueError("not a Turkish mobile number")
        return phone


class DeleteAccountIn(_In):
    password: str = Field(min_length=1, max_length=128)
