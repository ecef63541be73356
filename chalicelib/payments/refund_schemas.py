"""The admin contract of card refunds and cancels, and of the reconciliation report."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.platform.fields import Money, Text

MAX_REPORT_DAYS = 31


class RefundItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_item_id: int = Field(gt=0, lt=2**63)
    amount: Money = Field(description="more than 0, at most what is left of the line's paid price")

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: Decimal) -> Decimal:
        if value <= 0:
            raise PydanticCustomError("not_positive", "Must be more than 0.")
        return value


class RefundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Money | None = Field(default=None, description="left out or null: all that is left of the payment")
    reason: Text = Field(min_length=3, max_length=255, description="why; kept with the refund and audited")
    items: list[RefundItemIn] | None = Field(default=None, min_length=1, max_length=100,
                                             description="the order lines to refund on, with amounts adding up to "
                                                         "`amount`; left out: spread by the refund rules")

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and value <= 0:
            raise PydanticCustomError("not_positive", "Must be more than 0.")
        return value

    @model_validator(mode="after")
    def _distinct(self) -> RefundIn:
        if self.items and len({i.order_item_id for i in self.items}) != len(self.items):
            raise PydanticCustomError("duplicate_item", "Each order item may be named once.")
        return self


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text = Field(min_length=3, max_length=255, description="why; the order's cancel reason when it is "
                                                                   "cancelled with the payment")


class RefundOut(BaseModel):
    refund_id: int
    status: Literal["requested", "succeeded", "failed"] = Field(
        description="succeeded: the money went back (via cancel or refund); requested: still to do - iyzico was "
                    "unreachable (the queue finishes it) or refused (task_id names the staff task)")
    via: Literal["cancel", "refund"] | None = None
    amount: Decimal
    currency: str
    order_id: int
    task_id: int | None = Field(default=None, description="the card_refund_failed task when iyzico refused")


class ReconciliationQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date_from: dt.date = Field(description="first day (UTC), included")
    date_to: dt.date = Field(description="last day (UTC), included; at most 31 days after date_from")

    @model_validator(mode="after")
    def _range(self) -> ReconciliationQuery:
        if self.date_from > self.date_to:
            raise PydanticCustomError("date_range", "date_from must not be after date_to.")
        if (self.date_to - self.date_from).days >= MAX_REPORT_DAYS:
            raise PydanticCustomError("date_range", f"At most {MAX_REPORT_DAYS} days.")
        return self


class MismatchOut(BaseModel):
    attempt_id: int
    order_id: int | None
    provider_payment_id: str | None
    conversation_id: str
    field: Literal["status", "amount", "refunded", "currency"]
    ours: str | None
    theirs: str | None
    reason: str


class ReconciliationOut(BaseModel):
    date_from: dt.date
    date_to: dt.date
    checked: int = Field(description="attempts compared with iyzico")
    truncated: bool = Field(description="the range held more attempts than one report checks; narrow it")
    unreachable: int = Field(description="attempts iyzico could not be asked about (timeouts): not compared")
    mismatches: list[MismatchOut]
