"""The staff contract of campaigns (issue 15, AK): create, edit, list, delete, preview, performance.

Flash deals and coupons have their own contracts (admin_flash_schemas.py, admin_coupon_schemas.py).
Times are naive UTC in the database; a client may send an offset (converted), answers carry "Z".
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.platform.fields import Line, NaiveUtc, Patch, Text, Timestamp, none_if_blank
from chalicelib.platform.schemas import KeysetQuery as _KeysetQuery
from chalicelib.platform.schemas import Page

from .admin_repository import CAMPAIGNS
from .admin_rules import MAX_COUNT, Channel, Id, PaymentMethod, PositiveMoney, RulesIn

CampaignType = Literal["promotion", "coupon", "offer", "wheel", "flash"]
CampaignStatus = Literal["draft", "active", "paused", "ended"]
Priority = Annotated[int, Field(ge=-1000, le=1000, description="higher applies first; -1000..1000")]
Limit = Annotated[int, Field(ge=1, le=MAX_COUNT)]
# Types whose rules are required; a wheel's may be left out (its prizes carry the rules); a flash
# campaign only groups flash deals and takes none.
RULES_REQUIRED = frozenset({"promotion", "coupon", "offer"})


def field_error(title: str, field: str, value: Any, error: PydanticCustomError) -> ValidationError:
    """A rule checked after merging a PUT with the stored row, as the 400 a body error would be."""
    return ValidationError.from_exception_data(title, [{"type": error, "loc": (field,), "input": value}])


def window_ok(starts_at: datetime | None, ends_at: datetime | None) -> None:
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise PydanticCustomError("window_order", "ends_at must be after starts_at.")


def rules_fit(type_: str, rules: Any) -> None:
    if type_ in RULES_REQUIRED and rules is None:
        raise PydanticCustomError("rules_required", "This type of campaign needs rules.")
    if type_ == "flash" and rules is not None:
        raise PydanticCustomError("rules_not_allowed", "A flash campaign groups flash deals and takes no rules.")


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Line = Field(min_length=2, max_length=200)
    description: Text | None = Field(default=None, max_length=5000)
    type: CampaignType = Field(description="promotion (automatic), coupon / offer / wheel (with a code), flash "
                                           "(groups flash deals, no rules)")
    rules: RulesIn | None = None
    priority: Priority = 0
    stackable: bool = False
    status: CampaignStatus = "draft"
    starts_at: NaiveUtc | None = None
    ends_at: NaiveUtc | None = None
    budget: PositiveMoney | None = Field(default=None, description="the most its discounts may cost in total")
    usage_limit: Limit | None = Field(default=None, description="orders that may use it in total")
    usage_limit_per_user: Limit | None = Field(default=None, description="orders per customer")

    _blank = field_validator("description", mode="before")(none_if_blank)

    @model_validator(mode="after")
    def _consistent(self) -> CampaignIn:
        window_ok(self.starts_at, self.ends_at)
        rules_fit(self.type, self.rules)
        return self


class CampaignPatch(Patch):
    """PUT: the fields sent change, the others keep their value (the type never changes).  Null
    clears description, rules (wheel only), the window's ends, budget and the usage limits."""

    CLEARABLE = frozenset({"description", "rules", "starts_at", "ends_at", "budget", "usage_limit",
                           "usage_limit_per_user"})
    name: Line | None = Field(default=None, min_length=2, max_length=200)
    description: Text | None = Field(default=None, max_length=5000)
    rules: RulesIn | None = None
    priority: Priority | None = None
    stackable: bool | None = None
    status: CampaignStatus | None = None
    starts_at: NaiveUtc | None = None
    ends_at: NaiveUtc | None = None
    budget: PositiveMoney | None = Field(default=None, description="not below what is spent (409)")
    usage_limit: Limit | None = Field(default=None, description="not below the uses so far (409)")
    usage_limit_per_user: Limit | None = None


class AdminCampaignOut(BaseModel):
    id: int
    name: str
    description: str | None
    type: str
    rules: dict[str, Any] | None = Field(description="the rules in their canonical form")
    priority: int
    stackable: bool
    status: str
    starts_at: Timestamp | None
    ends_at: Timestamp | None
    budget: Decimal | None
    spent_amount: Decimal
    budget_left: Decimal | None
    usage_limit: int | None
    used_count: int
    usage_left: int | None
    usage_limit_per_user: int | None
    created_by: int | None
    created_at: Timestamp
    updated_at: Timestamp
    deleted_at: Timestamp | None = Field(description="set when deleted: it no longer applies, its history stays")


class CampaignPage(Page[AdminCampaignOut]):
    next_cursor: str | None = None


class KeysetQuery(_KeysetQuery):
    """The platform's keyset query (platform/schemas.py), 20 to a page as the staff lists here show."""

    limit: int = Field(default=20, ge=1, le=100)


class CampaignQuery(KeysetQuery):
    KEYSET = CAMPAIGNS
    status: list[CampaignStatus] | None = None
    type: list[CampaignType] | None = None
    q: Line | None = Field(default=None, max_length=100, description="part of the name")
    active_at: NaiveUtc | None = Field(default=None, description="active and inside its window at this time")
    include_deleted: bool = False

    _blank = field_validator("q", mode="before")(none_if_blank)


# -- preview ------------------------------------------------------------------------------------
class PreviewLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    variation_id: Id
    quantity: int = Field(ge=1, le=999)


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lines: list[PreviewLineIn] = Field(min_length=1, max_length=50)
    user_id: Id | None = Field(default=None, description="price for this customer (segment, level, uses)")
    codes: list[Annotated[Line, Field(min_length=1, max_length=64)]] = Field(default_factory=list, max_length=10,
                                                                             description="coupon codes applied")
    payment_method: PaymentMethod | None = None
    channel: Channel | None = None
    shipping_method: Line | None = Field(default=None, max_length=64)
    at: NaiveUtc | None = Field(default=None, description="the moment to simulate (default now); the campaign's "
                                                          "window is moved to include it")

    @field_validator("codes", mode="before")
    @classmethod
    def _no_null(cls, value: Any) -> Any:
        return [] if value is None else value


class AppliedOut(BaseModel):
    claim_key: str
    label: str
    campaign_id: int | None
    coupon_id: int | None
    flash_deal_id: int | None
    discount: Decimal
    free_shipping: bool
    bonus: Decimal
    units: int


class RejectedOut(BaseModel):
    claim_key: str
    code: str | None
    reason: str


class GiftOut(BaseModel):
    claim_key: str
    variation_id: int
    quantity: int


class PreviewOut(BaseModel):
    totals: dict[str, Any] = Field(description="the cart's totals as the customer would see them")
    applied: list[AppliedOut]
    rejected: list[RejectedOut]
    gifts: list[GiftOut]
    free_shipping: bool
    bonus: Decimal = Field(description="HPay bonus the order would earn on delivery")
    capped: bool = Field(description="the discounts were cut to the minimum payable")


# -- performance -------------------------------------------------------------------------------
class UsesOut(BaseModel):
    claimed: int = Field(description="orders holding the campaign")
    released: int = Field(description="claims given back (cancelled orders)")


class OrdersFigures(BaseModel):
    orders: int
    revenue: Decimal = Field(description="sum of the orders' grand totals")
    average_order_value: Decimal | None


class PerformanceOut(BaseModel):
    campaign_id: int
    window_from: Timestamp
    window_to: Timestamp
    uses: UsesOut
    discount_cost: Decimal = Field(description="merchandise discounts of claimed uses")
    shipping_discount: Decimal
    bonus: Decimal = Field(description="bonus earned by claimed uses")
    revenue: Decimal = Field(description="grand totals of the orders that claimed it")
    with_campaign: OrdersFigures = Field(description="orders placed in the window that used it")
    without_campaign: OrdersFigures = Field(description="the other orders placed in the window")
    budget_left: Decimal | None
    usage_left: int | None
