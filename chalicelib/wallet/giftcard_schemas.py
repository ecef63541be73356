"""The API contract of gift cards (W6): issuing, listing and voiding (staff), redeeming (customers)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from chalicelib.platform.fields import Line, Text, Timestamp, none_if_blank
from chalicelib.platform.schemas import Page

from . import giftcard_errors as _errors  # noqa: F401 - registers the messages of the error types below
from . import giftcards
from .schemas import Amount, RequestQuery, WalletOut

GiftCardStatus = Literal["active", "redeemed", "expired", "voided"]
MAX_YEARS = 10


class GiftCardIssueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Amount
    currency: Literal["TRY"] = "TRY"
    expires_on: dt.date = Field(description="the last day the cards can be redeemed (Turkish time); after today")
    count: int = Field(default=1, ge=1, le=500, description="how many cards of this amount (a batch)")
    note: Text | None = Field(default=None, max_length=500, description="for the audit log; null or blank: none")

    _note = field_validator("note", mode="before")(none_if_blank)

    @field_validator("expires_on")
    @classmethod
    def _future(cls, value: dt.date) -> dt.date:
        today = giftcards.today()
        if value <= today:
            raise PydanticCustomError("expiry_in_past", "Must be after today.")
        if value > today.replace(year=today.year + MAX_YEARS, day=min(today.day, 28)):
            raise PydanticCustomError("expiry_too_far", "Must be within ten years.")
        return value


class GiftCardOut(BaseModel):
    id: int
    code_hint: str | None = Field(description="the code's last four characters, to tell cards apart")
    initial_amount: Decimal
    currency: str
    status: GiftCardStatus
    expires_at: Timestamp | None = Field(description="redeemable before this moment")
    redeemed_by_user_id: int | None
    redeemed_at: Timestamp | None
    created_by: int | None
    created_at: Timestamp


class IssuedCardOut(GiftCardOut):
    code: str | None = Field(description="XXXX-XXXX-XXXX-XXXX: shown in this answer only, never again (null on "
                                         "a replay of the same Idempotency-Key)")


class GiftCardBatchOut(BaseModel):
    count: int
    items: list[IssuedCardOut]


class GiftCardPage(Page[GiftCardOut]):
    next_cursor: str | None = None


class GiftCardQuery(RequestQuery):
    """The cursor and page size of the request lists: the same sort (newest first)."""

    status: list[GiftCardStatus] | None = None


class RedeemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Line = Field(min_length=1, max_length=40, description="the gift card's code; spaces and dashes ignored")


class RedeemOut(BaseModel):
    amount: Decimal = Field(description="credited to your wallet's cash")
    currency: str
    wallet: WalletOut
