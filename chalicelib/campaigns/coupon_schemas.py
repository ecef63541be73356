"""The API contract of the customer's coupon codes (K2): apply, list, remove."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.platform.fields import Timestamp

from . import errors as _errors  # noqa: F401 - registers the messages of the error codes below

Reason = Literal["coupon_not_found", "coupon_inactive", "coupon_not_started", "coupon_expired", "coupon_exhausted",
                 "coupon_per_customer_limit"]


class CouponApplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=64,
                      description="as typed: trimmed and upper-cased the Turkish way (ı, i, İ → I); then A-Z, 0-9 "
                                  "and '-' only (else 400 coupon_code_invalid)")


class CouponOut(BaseModel):
    code: str
    campaign_id: int | None
    campaign_name: str | None
    description: str | None = Field(description="the campaign's description")
    valid: bool = Field(description="whether the code can still be used now; the campaign's own conditions "
                                    "(minimum spend, first order, segment, ...) are judged on the cart, whose "
                                    "`rejected` list says why a valid code gave no discount")
    reason: Reason | None = Field(description="why it cannot be used now (null when valid)")
    starts_at: Timestamp | None
    ends_at: Timestamp | None = Field(description="the earlier of the coupon's and the campaign's end")
    applied_at: Timestamp | None


class CouponsOut(BaseModel):
    items: list[CouponOut]
    max_codes: int = Field(description="how many codes may be applied at once")
