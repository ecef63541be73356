"""The API contract of the discount wheel (K4): the customer's wheel and spin, the staff's prizes."""
from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.platform.fields import Line, Money, Timestamp

from . import errors as _errors  # noqa: F401 - registers the messages of the error codes below

PrizeKind = Literal["percent_coupon", "fixed_coupon", "free_shipping", "bonus", "nothing"]
Period = Literal["day", "week", "campaign"]


class SlotOut(BaseModel):
    index: int = Field(description="the slot's place on the wheel, from 0 (the spin answers the index won)")
    prize_id: int
    label: str
    kind: PrizeKind
    value: Decimal = Field(description="percent (percent_coupon) or TRY (fixed_coupon, bonus); 0 otherwise")


class WheelOut(BaseModel):
    campaign_id: int
    name: str
    description: str | None
    ends_at: Timestamp | None
    period: Period = Field(description="one spin per customer per day (Turkish time), ISO week, or campaign")
    slots: list[SlotOut] = Field(description="the prizes in wheel order; their odds are the shop's and not shown")
    can_spin: bool = Field(description="signed in and not spun in this period yet")
    next_spin_at: Timestamp | None = Field(description="when a customer who spun may spin again (null: may spin "
                                                       "now, or never again on this wheel)")


class SpinPrizeOut(BaseModel):
    id: int
    label: str
    kind: PrizeKind
    value: Decimal


class SpinCouponOut(BaseModel):
    code: str = Field(description="a personal single-use code, applied like any coupon code")
    ends_at: Timestamp | None


class SpinOut(BaseModel):
    spin_id: int
    slot_index: int | None = Field(description="the slot the app animates to (null if the prize left the wheel "
                                                "since)")
    prize: SpinPrizeOut
    coupon: SpinCouponOut | None = Field(description="percent_coupon, fixed_coupon and free_shipping prizes")
    bonus: Decimal | None = Field(description="HPay bonus credited to the wallet (bonus prizes)")
    valid_days: int
    next_spin_at: Timestamp | None
    spun_at: Timestamp


class PrizeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: Line = Field(min_length=1, max_length=100)
    kind: PrizeKind
    value: Money = Field(default=Decimal(0), description="percent_coupon: 0 < percent ≤ 100; fixed_coupon and "
                                                         "bonus: TRY > 0; free_shipping and nothing: 0")
    weight: int = Field(ge=1, le=1_000_000, description="relative odds among the prizes with stock left")
    stock: int | None = Field(default=None, ge=0, le=100_000_000, description="null: unlimited")
    valid_days: int = Field(default=7, ge=1, le=3650, description="how long a won coupon or bonus lasts")
    sort_order: int = Field(default=0, ge=0, le=100_000)

    @model_validator(mode="after")
    def _value_fits_kind(self) -> PrizeIn:
        if self.kind in ("free_shipping", "nothing"):
            if self.value != 0:
                raise PydanticCustomError("prize_value_unused", "free_shipping and nothing prizes take no value.")
        elif self.value <= 0:
            raise PydanticCustomError("prize_value_required", "This kind of prize needs a value above 0.")
        elif self.kind == "percent_coupon" and self.value > 100:
            raise PydanticCustomError("prize_percent_range", "A percent is at most 100.")
        return self


class PrizeOut(BaseModel):
    id: int
    campaign_id: int
    label: str
    kind: PrizeKind
    value: Decimal
    prize_campaign_id: int | None = Field(description="the hidden campaign a won coupon follows")
    weight: int
    stock: int | None
    awarded: int
    odds_percent: Decimal = Field(description="the chance of this prize now, among prizes with stock left")
    valid_days: int
    sort_order: int
    created_at: Timestamp
    updated_at: Timestamp


class PrizesOut(BaseModel):
    items: list[PrizeOut]
