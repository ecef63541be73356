"""The staff contract of coupon codes (issue 15, AK): single codes of a campaign, bulk batches of
unique codes, and a batch's one-time export."""
from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, RootModel, field_validator, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.platform.fields import Line, NaiveUtc, Patch, Timestamp, none_if_blank
from chalicelib.platform.schemas import Page

from .admin_coupon_repository import BATCHES, COUPONS
from .admin_rules import MAX_COUNT, Id
from .admin_schemas import KeysetQuery, window_ok

# The first character is a letter or digit: a cell starting with "-" is a formula to a spreadsheet.
CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{3,31}")
PREFIX = re.compile(r"([A-Z0-9][A-Z0-9-]{0,7})?")
TURKISH = set("çğıöşüÇĞİÖŞÜâîûÂÎÛ")
Limit = Annotated[int, Field(ge=1, le=MAX_COUNT)]


def coupon_code(value: Any) -> Any:
    """Upper-cased A-Z, 0-9 and '-', 4-32 characters; Turkish letters are refused by name (an
    "İ" or "ş" would not survive every keyboard, SMS and printer the code passes through)."""
    if not isinstance(value, str):
        return value  # pydantic reports the type
    text = value.strip()
    if any(c in TURKISH for c in text):
        raise PydanticCustomError("coupon_code_turkish",
                                  "Coupon codes take no Turkish letters (Ç, Ğ, İ, Ö, Ş, Ü): only A-Z, 0-9 and '-'.")
    text = text.upper()
    if not CODE.fullmatch(text):
        raise PydanticCustomError("coupon_code_format", "A coupon code is 4-32 characters: A-Z, 0-9 and '-' (not first).")
    return text


def batch_prefix(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = value.strip().upper()
    if any(c in TURKISH for c in value) or not PREFIX.fullmatch(text):
        raise PydanticCustomError("prefix_format", "A prefix is at most 8 characters: A-Z, 0-9 and '-' (not first).")
    return text


class _Window(BaseModel):
    @model_validator(mode="after")
    def _window(self) -> Any:
        window_ok(getattr(self, "starts_at", None), getattr(self, "ends_at", None))
        return self


class CouponIn(_Window):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(description="4-32 characters A-Z, 0-9, '-' (upper-cased); unique in the shop",
                      json_schema_extra={"pattern": "^[A-Za-z0-9][A-Za-z0-9-]{3,31}$"})
    description: Line | None = Field(default=None, max_length=255)
    usage_limit: Limit | None = Field(default=None, description="uses in total; null: unlimited")
    usage_limit_per_user: Limit | None = Field(default=None, description="uses per customer; null: unlimited")
    user_id: Id | None = Field(default=None, description="a personal code: only this customer may use it")
    starts_at: NaiveUtc | None = None
    ends_at: NaiveUtc | None = None
    is_active: bool = True

    _code = field_validator("code", mode="before")(coupon_code)
    _blank = field_validator("description", mode="before")(none_if_blank)


class CouponPatch(Patch):
    """PUT: the fields sent change; the code never does.  usage_limit below the uses so far is 409."""

    CLEARABLE = frozenset({"description", "usage_limit", "usage_limit_per_user", "user_id", "starts_at", "ends_at"})
    description: Line | None = Field(default=None, max_length=255)
    usage_limit: Limit | None = None
    usage_limit_per_user: Limit | None = None
    user_id: Id | None = None
    starts_at: NaiveUtc | None = None
    ends_at: NaiveUtc | None = None
    is_active: bool | None = None


class AdminCouponOut(BaseModel):
    id: int
    campaign_id: int | None
    batch_id: int | None
    code: str | None = Field(description="null for a code of a bulk batch: those are handed out by the export only")
    description: str | None
    source: str
    usage_limit: int | None
    usage_limit_per_user: int | None
    used_count: int
    user_id: int | None
    starts_at: Timestamp | None
    ends_at: Timestamp | None
    is_active: bool
    created_by: int | None
    created_at: Timestamp
    updated_at: Timestamp


class CouponPage(Page[AdminCouponOut]):
    next_cursor: str | None = None


class CouponQuery(KeysetQuery):
    """The campaign's single codes (not those of bulk batches), newest first."""

    KEYSET = COUPONS


class BatchIn(_Window):
    model_config = ConfigDict(extra="forbid")
    quantity: int = Field(ge=1, le=100_000, description="how many unique codes")
    prefix: str = Field(default="", description="at most 8 characters A-Z, 0-9, '-', before the random part",
                        json_schema_extra={"pattern": "^([A-Za-z0-9][A-Za-z0-9-]{0,7})?$"})
    usage_limit_per_code: Limit = 1
    starts_at: NaiveUtc | None = None
    ends_at: NaiveUtc | None = None

    _prefix = field_validator("prefix", mode="before")(batch_prefix)


class BatchOut(BaseModel):
    id: int
    campaign_id: int
    prefix: str
    quantity: int
    usage_limit_per_code: int
    used_codes: int = Field(description="codes used at least once")
    created_by: int | None
    created_at: Timestamp
    exported_at: Timestamp | None = Field(description="when the codes were handed out (once)")
    exported_by: int | None


class BatchPage(Page[BatchOut]):
    next_cursor: str | None = None


class BatchQuery(KeysetQuery):
    KEYSET = BATCHES


class CodesFile(RootModel[str]):
    """The batch's codes as CSV (UTF-8, header `code`, one code a line): answered once."""

    model_config = ConfigDict(defer_build=True)


