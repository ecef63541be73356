from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chalicelib.platform.fields import Timestamp
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


# -- commerce settings (issue 5): read by cart/shipping.py, orders/checkout.py, returns, invoices
class ShippingMethodSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[a-z0-9_-]{2,32}$")
    name: str = Field(min_length=2, max_length=100)
    price: Decimal = Field(ge=0, max_digits=14, decimal_places=2, description="VAT included")
    free_over: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2,
                                      description="free when the discounted merchandise reaches this")
    min_days: int = Field(default=1, ge=0, le=60)
    max_days: int = Field(default=3, ge=0, le=60)


class ShippingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    methods: list[ShippingMethodSettings] = Field(min_length=1, max_length=10, description="the first is the default")

    @field_validator("methods")
    @classmethod
    def _unique(cls, value: list[ShippingMethodSettings]) -> list[ShippingMethodSettings]:
        if len({m.code for m in value}) != len(value):
            raise ValueError("shipping method codes must be unique")
        return value


class OrderSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reservation_minutes: int = Field(default=30, ge=5, le=7 * 24 * 60,
                                     description="how long an unpaid order holds its stock")


class ReturnSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    window_days: int = Field(default=14, ge=14, le=365,
                             description="days after delivery; Turkish distance-selling law gives at least 14")


class InvoiceSettings(BaseModel):
    """`settings.invoice` of a tenant (PUT /api/admin/settings):
    what the invoices print about the seller, and the number prefix.  Every field is optional;
    without them the seller is the tenant's name and the prefix comes from its slug."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    prefix: str | None = Field(default=None, pattern=r"^[A-Z0-9]{3}$",
                               description="GİB e-Arşiv series: 3 of A-Z / 0-9. Change it only at a year's start.")
    legal_name: str | None = Field(default=None, max_length=300)
    tax_office: str | None = Field(default=None, max_length=100)
    tax_number: str | None = Field(default=None, pattern=r"^[0-9]{10,11}$", description="VKN (or a sole trader's TCKN).")
    address: str | None = Field(default=None, max_length=300)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    mersis_no: str | None = Field(default=None, pattern=r"^[0-9]{16}$")
    trade_registry_no: str | None = Field(default=None, max_length=40)
    website: str | None = Field(default=None, max_length=200)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and ("@" not in value or any(ch.isspace() for ch in value)):
            raise ValueError("not an e-mail address")
        return value


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
    shipping: ShippingSettings | None = None
    orders: OrderSettings | None = None
    returns: ReturnSettings | None = None
    invoice: InvoiceSettings | None = None


class TenantSettingsIn(BaseModel):
    """Partial update: only the fields sent change."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=2, max_length=200)
    domain: str | None = Field(default=None, max_length=255)
    default_language: Literal["tr", "en"] | None = None
    cors_origins: list[str] | None = Field(default=None, max_length=50)
    rate_limit: RateLimitSettings | None = None
    security: SecuritySettings | None = None
    shipping: ShippingSettings | None = None
    orders: OrderSettings | None = None
    returns: ReturnSettings | None = None
    invoice: InvoiceSettings | None = None

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
    created_at: Timestamp


class AdminLogQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: str | None = Field(default=None, max_length=100)
    entity_type: str | None = Field(default=None, max_length=50)
    user_id: int | None = Field(default=None, ge=1)
    cursor: int | None = Field(default=None, ge=1, description="id to continue after (from next_cursor)")
    limit: int = Field(default=50, ge=1, le=200)


class AdminLogPage(Page[AdminLogOut]):
    pass
