"""The API contract of the apps' public campaign lists (K1 reads)."""
from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.platform.fields import Timestamp


class CampaignOut(BaseModel):
    id: int
    name: str
    description: str | None
    type: Literal["promotion", "flash"]
    level: Literal["catalogue", "basket"] | None = Field(description="price level (catalogue) or cart level "
                                                                     "(basket); null for a flash campaign")
    badge: str | None = Field(description="a short label of the benefit in the caller's language, e.g. "
                                          "'%10 indirim', 'Kargo bedava', '3 al 2 öde'")
    starts_at: Timestamp | None
    ends_at: Timestamp | None
    seconds_left: int | None = Field(description="until ends_at, from server_time (null: no end)")
    uses_left: int | None = Field(description="signed in, for a campaign with a per-customer limit: how many uses "
                                              "you have left; null otherwise")


class CampaignsOut(BaseModel):
    items: list[CampaignOut]
    server_time: Timestamp = Field(description="the server's clock: count down from it, not the device's")


class FlashDealsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["live", "upcoming"] = "live"


class DealProductOut(BaseModel):
    id: int
    name: str
    slug: str
    category_id: int | None
    price: Decimal
    compare_at_price: Decimal | None
    currency: str
    stock_status: str
    image: str | None


class FlashDealOut(BaseModel):
    id: int
    campaign_id: int | None
    title: str | None
    product: DealProductOut
    variation_id: int | None = Field(description="null: the deal covers every variation of the product")
    deal_price: Decimal
    original_price: Decimal
    discount_percent: Decimal
    units_left: int | None = Field(description="deal units left (null: no cap)")
    per_user_limit: int | None
    your_units_left: int | None = Field(description="signed in, with a per-customer cap: units you may still buy")
    starts_at: Timestamp
    ends_at: Timestamp
    early_access: bool = Field(description="live for you before its start, through your loyalty level")
    seconds_to_start: int = Field(description="0 once started")
    seconds_left: int = Field(description="until ends_at, from server_time")


class FlashDealsOut(BaseModel):
    items: list[FlashDealOut]
    status: Literal["live", "upcoming"]
    early_access_minutes: int = Field(description="your loyalty level's early access to deals (0 for guests)")
    server_time: Timestamp
