from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chalicelib.platform.schemas import Page


class DependencyStatus(BaseModel):
    status: Literal["up", "down"]
    latency_ms: float
    error: str | None = None


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"]
    checks: dict[str, DependencyStatus]


class RouteLimit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(ge=0, le=1_000_000, description="0 switches limiting off")
    window: int = Field(default=900, ge=1, le=86_400, description="seconds")


class RateLimitSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    default: RouteLimit | None = None
    routes: dict[str, RouteLimit] = Field(
        default_factory=dict, description="keyed by 'METHOD /api/path', e.g. 'POST /api/users/login'"
    )

    @field_validator("routes")
    @classmethod
    def _route_keys(cls, value: dict[str, RouteLimit]) -> dict[str, RouteLimit]:
        for key in value:
            method, _, path = key.partition(" ")
            if method not in {"GET", "POST", "PUT", "PATCH", "DELETE"} or not path.startswith("/api/"):
                raise ValueError(f"route key must look like 'GET /api/...': {key!r}")
        return value


class SecuritySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    require_admin_2fa: bool = False


class TenantSettingsOut(BaseModel):
    id: int
    slug: str
    name: str
    domain: str | None
    default_language: Literal["tr", "en"]
    currency: str
    cors_origins: list[str]
    rate_limit: RateLimitSettings
    security: SecuritySettings


class TenantSettingsIn(BaseModel):
    """Partial update: only the fields sent change."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=2, max_length=200)
    domain: str | None = Field(default=None, max_length=255)
    default_language: Literal["tr", "en"] | None = None
    cors_origins: list[str] | None = Field(default=None, max_length=50)
    rate_limit: RateLimitSettings | None = None
    security: SecuritySettings | None = None

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return value
        import re

        pattern = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$")
        for origin in value:
            if not pattern.match(origin):
                raise ValueError(f"not an origin (scheme://host[:port]): {origin!r}")
        return sorted(set(value))


class AdminLogOut(BaseModel):
    id: int
    user_id: int | None
    action: str
    entity_type: str | None
    entity_id: str | None
    before: Any = None
    after: Any = None
    request_id: str | None
    ip: str | None
    created_at: datetime


class AdminLogQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: str | None = Field(default=None, max_length=100)
    entity_type: str | None = Field(default=None, max_length=50)
    user_id: int | None = Field(default=None, ge=1)
    cursor: int | None = Field(default=None, ge=1, description="id to continue after (from next_cursor)")
    limit: int = Field(default=50, ge=1, le=200)


class AdminLogPage(Page[AdminLogOut]):
    pass
