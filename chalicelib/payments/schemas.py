"""The customer's payment contract: paying by bank transfer, the payment history and receipts."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.platform.fields import Line, Timestamp, none_if_blank
from chalicelib.platform.keyset import Position
from chalicelib.platform.schemas import Page

from .history_repository import HISTORY

AttemptStatus = Literal["initiated", "pending_3ds", "pending_form", "awaiting_transfer", "succeeded", "failed",
                        "unknown", "cancelled", "expired", "rejected", "review"]
# A history row is an attempt or one of the orders' payments rows (which may also be refunded).
HistoryStatus = Literal["initiated", "pending_3ds", "pending_form", "awaiting_transfer", "succeeded", "failed",
                        "unknown", "cancelled", "expired", "rejected", "review", "refunded", "partially_refunded"]
HistoryMethod = Literal["card", "eft", "wallet", "gift_card"]


class BankTransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_id: int = Field(gt=0, lt=2**63, description="your order, pending payment")


class TransferSentIn(BaseModel):
    """Both optional; a blank or null value leaves what was said before."""

    model_config = ConfigDict(extra="forbid")
    sender_name: Line | None = Field(default=None, min_length=2, max_length=150,
                                     description="the account holder the money came from")
    bank_reference: Line | None = Field(default=None, min_length=1, max_length=100,
                                        description="the bank's reference of the transfer (dekont no)")

    _blank = field_validator("sender_name", "bank_reference", mode="before")(none_if_blank)


class BankAccountOut(BaseModel):
    bank: str
    iban: str
    account_holder: str | None
    branch: str | None


class BankTransferOut(BaseModel):
    attempt_id: int
    order_id: int
    order_number: str | None
    status: AttemptStatus
    amount: Decimal = Field(description="send exactly this amount")
    currency: str
    reference_code: str = Field(description="write this in the transfer's description")
    expires_at: Timestamp | None = Field(description="the order is cancelled if the money is not confirmed by then")
    sender_name: str | None
    bank_reference: str | None
    bank_accounts: list[BankAccountOut] = Field(description="the shop's accounts to send it to")


class HistoryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: list[HistoryStatus] | None = None
    method: list[HistoryMethod] | None = None
    date_from: date | None = Field(default=None, description="made on or after this day (UTC)")
    date_to: date | None = Field(default=None, description="made on or before this day (UTC)")
    cursor: str | None = Field(default=None, max_length=512, description="next_cursor of the previous page")
    limit: int = Field(default=20, ge=1, le=100)

    @field_validator("cursor")
    @classmethod
    def _cursor(cls, value: str | None) -> str | None:
        HISTORY.parse(value)
        return value

    @model_validator(mode="after")
    def _range(self) -> HistoryQuery:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise PydanticCustomError("date_range", "date_from must not be after date_to.")
        return self

    @property
    def position(self) -> Position | None:
        return None if self.cursor is None else HISTORY.decode(self.cursor)

    @property
    def created_from(self) -> datetime | None:
        return None if self.date_from is None else datetime.combine(self.date_from, time())

    @property
    def created_before(self) -> datetime | None:
        return None if self.date_to is None else datetime.combine(self.date_to + timedelta(days=1), time())


class HistoryItem(BaseModel):
    kind: Literal["attempt", "payment"] = Field(
        description="attempt: a payment made here (its receipt: GET /api/payment/history/{id}); "
                    "payment: one paid otherwise (from the wallet)")
    id: int
    order_id: int | None
    order_number: str | None
    method: str = Field(description="card, eft, wallet")
    provider: str
    status: HistoryStatus
    amount: Decimal
    currency: str
    card_last4: str | None
    reference_code: str | None
    bank_reference: str | None
    created_at: Timestamp
    completed_at: Timestamp | None = Field(description="when it was paid, confirmed or turned down")


class HistoryPage(Page[HistoryItem]):
    next_cursor: str | None = None


class ReceiptOut(BaseModel):
    id: int
    order_id: int | None
    order_number: str | None
    method: Literal["card", "eft"]
    flow: str
    provider: str
    status: AttemptStatus
    amount: Decimal
    currency: str
    installment: int
    card_last4: str | None
    card_association: str | None
    reference_code: str | None
    sender_name: str | None
    bank_reference: str | None
    failure_message: str | None
    created_at: Timestamp
    decided_at: Timestamp | None = Field(description="when staff confirmed or rejected the transfer")
    expires_at: Timestamp | None
