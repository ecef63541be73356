"""The API contract of /api/admin/permissions, /roles, /users and /api-keys."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from chalicelib.platform.fields import Timestamp
from chalicelib.platform.schemas import Page

from .catalogue import GRANTABLE

# The same pattern as accounts' LoginIn; not imported from there because this Lambda's cold
# start must not import the accounts area (tests/e2e/test_package.py).
EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$"
ROLE_NAME_PATTERN = r"^[a-z][a-z0-9_]{1,49}$"
MAX_GRACE_SECONDS = 30 * 24 * 3600


def _permissions(value: list[str]) -> list[str]:
    unknown = sorted(set(value) - GRANTABLE)
    if unknown:
        raise ValueError(f"unknown permissions: {', '.join(unknown)}")
    # '*' already means everything: storing it beside others would only hide that.
    return ["*"] if "*" in value else sorted(set(value))


def _names(value: str | None) -> str | None:
    return value.strip() if value is not None else None


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
    description: str = Field(default="", max_length=255)
    permissions: list[str] = Field(max_length=100, description="names from GET /api/admin/permissions, or ['*']")

    _perms = field_validator("permissions")(_permissions)


class RoleUpdateIn(_In):
    """Partial: only the fields sent change.  A system role keeps its name."""

    name: str | None = Field(default=None, pattern=ROLE_NAME_PATTERN)
    description: str | None = Field(default=None, max_length=255)
    permissions: list[str] | None = Field(default=None, max_length=100)

    @field_validator("permissions")
    @classmethod
    def _perms(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _permissions(value)

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
    q: str | None = Field(default=None, min_length=1, max_length=100,
                          description="part of the e-mail, first or last name (Turkish case rules)")
    role: str | None = Field(default=None, pattern=ROLE_NAME_PATTERN)
    status: UserStatus | None = Field(default=None, description="default: every status but deleted")
    is_staff: bool | None = None
    cursor: int | None = Field(default=None, ge=1, description="next_cursor of the previous page")
    limit: int = Field(default=50, ge=1, le=200)


def _password_policy(value: str) -> str:
    if not (any(c.isalpha() for c in value) and any(c.isdigit() for c in value)):
        raise ValueError("the password needs both letters and digits")
    return value


class UserCreateIn(_In):
    email: str = Field(max_length=254, pattern=EMAIL_PATTERN)
    password: str = Field(min_length=10, max_length=128, description="at least 10 characters, letters and digits")
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=100)
    language: Literal["tr", "en"] = "tr"
    roles: list[str] = Field(min_length=1, max_length=20, description="role names; a staff user has at least one")

    _pw = field_validator("password")(_password_policy)

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()

    @field_validator("first_name", "last_name")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @field_validator("roles")
    @classmethod
    def _roles(cls, value: list[str]) -> list[str]:
        return sorted(set(value))


class UserUpdateIn(_In):
    """Partial.  Disabling a user or changing their roles ends their sessions at once."""

    roles: list[str] | None = Field(default=None, max_length=20, description="the complete new set; [] = customer")
    status: Literal["active", "disabled"] | None = None
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)

    _n = field_validator("first_name", "last_name")(_names)

    @field_validator("roles")
    @classmethod
    def _roles(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else sorted(set(value))

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
    if value <= datetime.now(timezone.utc) + timedelta(minutes=1):
        raise ValueError("must be in the future")
    return value


class ApiKeyCreateIn(_In):
    name: str = Field(min_length=1, max_length=100)
    expires_at: AwareDatetime | None = Field(default=None, description="ISO 8601 with a time zone; none = never")

    _exp = field_validator("expires_at")(_future)


class ApiKeyRotateIn(_In):
    grace_seconds: int = Field(default=24 * 3600, ge=0, le=MAX_GRACE_SECONDS,
                               description="how long the old key keeps working (default 24 h, at most 30 days)")
    expires_at: AwareDatetime | None = Field(default=None, description="expiry of the new key; none = never")

    _exp = field_validator("expires_at")(_future)


class ApiKeyRevokeQuery(_In):
    force: bool = Field(default=False, description="allow revoking the key this request is using")
