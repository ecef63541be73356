from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, RootModel, field_validator, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.platform.fields import Line, Patch, Timestamp

from . import policy
from .passwords import GivenPassword, NewPassword
from .security_schemas import MfaChallengeOut

Language = Literal["tr", "en"]
CODE = r"^\s*[0-9]{6}\s*$"  # ASCII digits: \d would also take "٣" and "³"
TOKEN = r"^[A-Za-z0-9_-]+$"  # ids and tokens are secrets.token_urlsafe(), sent back verbatim
# People type addresses (and paste them with a space): stripped, so the pattern says so too.
EMAIL = policy.stripped(policy.EMAIL_PATTERN)


def _exactly_bool(value: Any) -> Any:
    """JSON true / false only: pydantic would otherwise take 1, 0, "true" for a boolean, which
    the document calls invalid."""
    if not isinstance(value, bool):
        raise PydanticCustomError("bool_type", "Input should be a valid boolean")
    return value


StrictTrue = Annotated[Literal[True], BeforeValidator(_exactly_bool)]


class _In(BaseModel):
    """Whitespace is stripped only where a field says so (e-mail, codes, names, passwords), and
    its schema says so too: a blanket strip would accept what the document calls invalid."""

    model_config = ConfigDict(extra="forbid")


class _Identified(_In):
    """E-mail or Turkish mobile number: exactly one identifies the account."""

    email: str | None = Field(default=None, max_length=254, pattern=EMAIL)
    phone: str | None = Field(default=None, max_length=30, description="Turkish mobile, e.g. 0532 123 45 67")

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not policy.EMAIL.match(value.strip()):
            raise ValueError("not an e-mail address")
        return policy.canonical_email(value)

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
    password: NewPassword = Field(min_length=1)
    first_name: Line = Field(min_length=1, max_length=100)
    last_name: Line = Field(min_length=1, max_length=100)
    language: Language = "tr"
    kvkk_consent: StrictTrue = Field(description="the KVKK notice was shown and accepted")
    marketing_consent: bool = Field(default=False, strict=True)


class VerificationOut(BaseModel):
    verification_id: str
    channel: Literal["email", "sms"]
    expires_in: int


class VerifyIn(_In):
    verification_id: str = Field(min_length=10, max_length=64, pattern=TOKEN)
    code: str = Field(pattern=CODE)


class ResendIn(_In):
    verification_id: str = Field(min_length=10, max_length=64, pattern=TOKEN)


class LoginIn(_Identified):
    password: GivenPassword
    device_name: Line | None = Field(default=None, max_length=100)


class RefreshIn(_In):
    refresh_token: str = Field(min_length=20, max_length=200, pattern=TOKEN)


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
    token: str = Field(min_length=20, max_length=200, pattern=TOKEN)
    new_password: NewPassword = Field(min_length=1)


class ChangePasswordIn(_In):
    current_password: GivenPassword
    new_password: NewPassword = Field(min_length=1)


class NotificationPrefs(Patch):
    """Partial: only the preferences sent change; null is refused (send true or false)."""

    order_updates: bool | None = Field(default=None, strict=True)
    marketing_email: bool | None = Field(default=None, strict=True)
    marketing_sms: bool | None = Field(default=None, strict=True)
    marketing_push: bool | None = Field(default=None, strict=True)
    back_in_stock: bool | None = Field(default=None, strict=True)


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


class ProfileUpdateIn(Patch):
    """Partial: fields left out keep their value.  Nothing here can be cleared, so null is a
    400 everywhere: a name can be changed, not erased; language is always tr or en;
    notification_prefs changes only the preferences it names.  E-mail and phone change through
    their own verified flows (/api/users/profile/email, /phone)."""

    first_name: Line | None = Field(default=None, min_length=1, max_length=100)
    last_name: Line | None = Field(default=None, min_length=1, max_length=100)
    language: Language | None = None
    notification_prefs: NotificationPrefs | None = None


class EmailChangeIn(_In):
    new_email: str = Field(max_length=254, pattern=EMAIL)
    password: GivenPassword

    @field_validator("new_email")
    @classmethod
    def _lower(cls, value: str) -> str:
        return policy.canonical_email(value)


class PhoneChangeIn(_In):
    new_phone: str = Field(max_length=30)
    password: GivenPassword

    @field_validator("new_phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        from chalicelib.platform.text import normalise_tr_mobile

        phone = normalise_tr_mobile(value)
        if phone is None:
            raise ValueError("not a Turkish mobile number")
        return phone


class DeleteAccountIn(_In):
    password: GivenPassword
