"""The API contract of /api/admin/permissions, /roles, /users and /api-keys."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

# The accounts area owns the rules for e-mail addresses and passwords (one rule each, issue 9);
# its interface loads only those two light modules (the platform and bcrypt), and admin_access
# may use accounts
# (tests/e2e/test_package.py AREA_DEPENDENCIES).
from chalicelib.accounts.api import EMAIL_PATTERN, NewPassword, canonical_email
from chalicelib.platform import i18n
from chalicelib.platform.fields import Line, Patch, Timestamp
from chalicelib.platform.schemas import Page

from .catalogue import GRANTABLE

ROLE_NAME_PATTERN = r"^[a-z][a-z0-9_]{1,49}$"
MAX_GRACE_SECONDS = 30 * 24 * 3600
MAX_KEY_LIFETIME = timedelta(days=10 * 365)  # an expiry further out is no expiry: send null
MAX_ID = 2**63 - 1  # BIGINT: an id beyond it names nothing
RoleName = Annotated[str, Field(pattern=ROLE_NAME_PATTERN)]
# RFC 3339 date-time, as the document's `format: date-time` says: pydantic alone would also take
# a number (seconds since 1970), "+0300" or a space for the "T".
_RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})")


def _rfc3339(value: Any) -> Any:
    if value is not None and not (isinstance(value, str) and _RFC3339.fullmatch(value)):
        raise PydanticCustomError("datetime_format", "Must be an RFC 3339 date-time with an offset, "
                                                     "e.g. 2027-01-31T23:59:00+03:00")
    return value


Expiry = Annotated[AwareDatetime, BeforeValidator(_rfc3339)]


def _query_bool(value: Any) -> Any:
    """A boolean in the query string is the text true or false, as the document (and every
    generated client) writes it; pydantic would also read 1, 0, yes, off, ... as booleans."""
    if isinstance(value, str):
        if value not in ("true", "false"):
            raise PydanticCustomError("bool_parsing", "Input should be true or false")
        return value == "true"
    return value


QueryBool = Annotated[bool, BeforeValidator(_query_bool)]
i18n.register(field_messages_tr={"datetime_format": "Saat dilimli bir RFC 3339 tarih-saat olmalıdır, "
                                                    "örn. 2027-01-31T23:59:00+03:00"})


def _permissions(value: list[str]) -> list[str]:
    unknown = sorted(set(value) - GRANTABLE)
    if unknown:
        raise ValueError(f"unknown permissions: {', '.join(unknown)}")
    # '*' already means everything: storing it beside others would only hide that.
    return ["*"] if "*" in value else sorted(set(value))


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- permissions -------------------------------------------------------------------------------
class LocalizedText(BaseModel):
    tr: str
    en: str


class PermissionOut(BaseModel):
    name: str
    description: LocalizedText


class PermissionList(BaseModel):
    items: list[PermissionOut]


# -- roles -------------------------------------------------------------------------------------
class RoleOut(BaseModel):
    id: int
    name: str
    description: str | None
    is_system: bool
    permissions: list[str]
    member_count: int = Field(description="users holding the role (deleted accounts excluded)")
    created_at: Timestamp
    updated_at: Timestamp


class RoleList(BaseModel):
    items: list[RoleOut]


class RoleCreateIn(_In):
    name: str = Field(pattern=ROLE_NAME_PATTERN)
    description: Line = Field(default="", max_length=255)
    permissions: list[str] = Field(max_length=100, description="names from GET /api/admin/permissions, or ['*']")

    _perms = field_validator("permissions")(_permissions)


class RoleUpdateIn(Patch):
    """Partial: only the fields sent change.  A system role keeps its name.  Only the
    description can be cleared (null); a role always has a name and a permission list
    ([] grants nothing), so null there is a 400."""

    CLEARABLE = frozenset({"description"})
    name: str | None = Field(default=None, pattern=ROLE_NAME_PATTERN)
    description: Line | None = Field(default=None, max_length=255, description="null clears it")
    permissions: list[str] | None = Field(default=None, max_length=100)

    @field_validator("permissions")
    @classmethod
    def _perms(cls, value: list[str]) -> list[str]:
        return _permissions(value)

    @model_validator(mode="after")
    def _something(self) -> RoleUpdateIn:
        if not self.model_fields_set:
            raise ValueError("send at least one of name, description, permissions")
        return self


# -- users -------------------------------------------------------------------------------------
UserStatus = Literal["active", "disabled", "deleted"]


class UserSummaryOut(BaseModel):
    id: int
    email: str | None
    first_name: str | None
    last_name: str | None
    status: UserStatus
    is_staff: bool
    roles: list[str]
    last_login_at: Timestamp | None
    created_at: Timestamp


class UserPage(Page[UserSummaryOut]):
    pass


class UserDetailOut(UserSummaryOut):
    language: Literal["tr", "en"]
    permissions: list[str] = Field(description="effective permissions through the roles")
    email_verified_at: Timestamp | None
    totp_enabled: bool
    updated_at: Timestamp


class UserListQuery(_In):
    q: Line | None = Field(default=None, min_length=1, max_length=100,
                           description="part of the e-mail, first or last name (Turkish case rules)")
    role: str | None = Field(default=None, pattern=ROLE_NAME_PATTERN)
    status: UserStatus | None = Field(default=None, description="default: every status but deleted")
    is_staff: QueryBool | None = None
    cursor: int | None = Field(default=None, ge=1, le=MAX_ID, description="next_cursor of the previous page")
    limit: int = Field(default=50, ge=1, le=200)


def _password_policy(value: str) -> str:
    if not (any(c.isalpha() for c in value) and any(c.isdigit() for c in value)):
        raise ValueError("the password needs both letters and digits")
    return value


class UserCreateIn(_In):
    email: str = Field(max_length=254, pattern=EMAIL_PATTERN)
    password: NewPassword = Field(min_length=10, description=(
        "at least 10 characters, letters and digits; at most 72 bytes in UTF-8 (a Turkish letter such as "
        "'ş' counts 2, an emoji 4)"))
    first_name: Line = Field(default="", max_length=100)
    last_name: Line = Field(default="", max_length=100)
    language: Literal["tr", "en"] = "tr"
    roles: list[RoleName] = Field(min_length=1, max_length=20, description="role names; a staff user has at least one")

    _pw = field_validator("password")(_password_policy)

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str) -> str:
        return canonical_email(value)

    @field_validator("roles")
    @classmethod
    def _roles(cls, value: list[str]) -> list[str]:
        return sorted(set(value))


class UserUpdateIn(Patch):
    """Partial: fields left out keep their value.  Disabling a user or changing their roles
    ends their sessions at once.  Nothing here is cleared with null (a 400): roles take the
    complete new set ([] makes a customer), names are changed, not erased."""

    roles: list[RoleName] | None = Field(default=None, max_length=20, description="the complete new set; [] = customer")
    status: Literal["active", "disabled"] | None = None
    first_name: Line | None = Field(default=None, max_length=100)
    last_name: Line | None = Field(default=None, max_length=100)

    @field_validator("roles")
    @classmethod
    def _roles(cls, value: list[str]) -> list[str]:
        return sorted(set(value))

    @model_validator(mode="after")
    def _something(self) -> UserUpdateIn:
        if not self.model_fields_set:
            raise ValueError("send at least one of roles, status, first_name, last_name")
        return self


# -- API keys ----------------------------------------------------------------------------------
class ApiKeyOut(BaseModel):
    id: int
    name: str
    prefix: str = Field(description="first characters of the key, to tell keys apart")
    status: Literal["active", "expired", "revoked"]
    created_by: int | None
    last_used_at: Timestamp | None
    expires_at: Timestamp | None
    revoked_at: Timestamp | None
    created_at: Timestamp


class ApiKeyList(BaseModel):
    items: list[ApiKeyOut]


class ApiKeyIssuedOut(ApiKeyOut):
    api_key: str = Field(description="the secret, shown this once; only a hash is stored")


class ApiKeyRotatedOut(BaseModel):
    new: ApiKeyIssuedOut
    previous: ApiKeyOut = Field(description="the old key, valid until its expires_at")


def _future(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    now = datetime.now(timezone.utc)
    if value <= now + timedelta(minutes=1):
        raise ValueError("must be in the future")
    # Also keeps the value convertible to UTC (9999-12-31T23:59-05:00 is past year 9999) and
    # within the DATETIME column.
    if value > now + MAX_KEY_LIFETIME:
        raise ValueError("must be within 10 years; send null for a key that never expires")
    return value


class ApiKeyCreateIn(_In):
    name: Line = Field(min_length=1, max_length=100)
    expires_at: Expiry | None = Field(default=None, description=(
        "RFC 3339 date-time with an offset, within 10 years; none = never"))

    _exp = field_validator("expires_at")(_future)


class ApiKeyRotateIn(_In):
    grace_seconds: int = Field(default=24 * 3600, ge=0, le=MAX_GRACE_SECONDS, strict=True,
                               description="how long the old key keeps working (default 24 h, at most 30 days)")
    expires_at: Expiry | None = Field(default=None, description=(
        "expiry of the new key (RFC 3339 date-time with an offset), within 10 years; none = never"))

    _exp = field_validator("expires_at")(_future)


class ApiKeyRevokeQuery(_In):
    force: QueryBool = Field(default=False, description="allow revoking the key this request is using")
