"""The staff contract of flash deals (issue 15, AK): a product (or one variation) at a deal price
for a window, with an optional stock limit and per-customer limit."""
from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from chalicelib.platform.fields import Line, Money, NaiveUtc, Patch, Timestamp, none_if_blank
from chalicelib.platform.schemas import Page

from .admin_flash_repository import DEALS
from .admin_rules import MAX_COUNT, Id
from .admin_schemas import KeysetQuery, window_ok

Limit = Annotated[int, Field(ge=1, le=MAX_COUNT)]


class FlashDealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    campaign_id: Id | None = Field(default=None, description="a campaign of this shop grouping its deals")
    product_id: Id = Field(description="a product of this shop")
    variation_id: Id | None = Field(default=None, description="one variation of that product; null: all of them")
    deal_price: Money = Field(description="below the current price (400 deal_price_not_lower)")
    starts_at: NaiveUtc
    ends_at: NaiveUtc = Field(description="after starts_at")
    stock_limit: Limit | None = Field(default=None, description="units sold at the deal price; null: unlimited")
    per_user_limit: Limit | None = Field(default=None, description="units per customer; null: unlimited")
    title: Line | None = Field(default=None, max_length=200)
    is_active: bool = True

    _blank = field_validator("title", mode="before")(none_if_blank)

    @model_validator(mode="after")
    def _window(self) -> FlashDealIn:
        window_ok(self.starts_at, self.ends_at)
        return self


class FlashDealPatch(Patch):
    """PUT: the fields sent change (the product and variation never do).  stock_limit may not go
    below the units sold (409)."""

    CLEARABLE = frozenset({"campaign_id", "stock_limit", "per_user_limit", "title"})
    campaign_id: Id | None = None
    deal_price: Money | None = None
    starts_at: NaiveUtc | None = None
    ends_at: NaiveUtc | None = None
    stock_limit: Limit | None = None
    per_user_limit: Limit | None = None
    title: Line | None = Field(default=None, max_length=200)
    is_active: bool | None = None


class AdminFlashDealOut(BaseModel):
    id: int
    campaign_id: int | None
    product_id: int
    variation_id: int | None
    title: str | None
    deal_price: Decimal
    stock_limit: int | None
    sold_count: int
    units_left: int | None
    per_user_limit: int | None
    starts_at: Timestamp
    ends_at: Timestamp
    is_active: bool
    created_at: Timestamp
    updated_at: Timestamp


class FlashDealPage(Page[AdminFlashDealOut]):
    next_cursor: str | None = None


class FlashDealQuery(KeysetQuery):
    KEYSET = DEALS
    campaign_id: Id | None = None
    product_id: Id | None = None
    active_at: NaiveUtc | None = Field(default=None, description="active and open at this time")
