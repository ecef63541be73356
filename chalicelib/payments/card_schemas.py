"""The card payment contract: POST /api/payment/process, POST /api/payment/topup, the attempt
as the app polls it, and the staff's fraud-review decisions.

Explicit nulls are refused everywhere (400 null_not_allowed): a field is either sent with a value
or left out.  Card fields are checked here for form only (digits, month, year, CVC length);
whether the card works is the bank's answer (402)."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.platform.fields import Line, Money, Timestamp, luhn_valid

from .schemas import AttemptStatus

# A cardholder's name as printed on a card: letters of any script, spaces and . ' -
_HOLDER_MARKS = frozenset(" .'-")


def _no_nulls(data: Any) -> Any:
    if isinstance(data, dict):
        for name, value in data.items():
            if value is None:
                raise PydanticCustomError("null_not_allowed", "{field} must not be null (leave it out).",
                                          {"field": name})
    return data


class CardFields(BaseModel):
    """A card typed in the app (the one set of card checks: a payment's card and a card to save
    both build on it).  It goes to iyzico and nowhere else: never stored, logged, or kept in the
    Idempotency-Key's fingerprint; a validation error never echoes it (the messages name no
    digits).  Month "1" or "01", year "30" or "2030"."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)
    holder: Line = Field(min_length=2, max_length=100, description="the name on the card")
    number: str = Field(min_length=12, max_length=23, description="12-19 digits (spaces or '-' between groups); "
                                                                   "sent to iyzico, never stored")
    expire_month: str = Field(min_length=1, max_length=2, pattern=r"^[0-9]{1,2}$", description="1-12")
    expire_year: str = Field(min_length=2, max_length=4, pattern=r"^([0-9]{2}|[0-9]{4})$",
                             description="e.g. 2030 (or 30)")

    @field_validator("expire_month", "expire_year", "cvc", mode="before", check_fields=False)
    @classmethod
    def _digits_as_text(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value

    @field_validator("holder")
    @classmethod
    def _holder(cls, value: str) -> str:
        if not all(ch in _HOLDER_MARKS or unicodedata.category(ch).startswith("L") for ch in value) \
                or not any(unicodedata.category(ch).startswith("L") for ch in value):
            raise PydanticCustomError("card_holder_invalid", "Letters, spaces and . ' - only.")
        return value

    @field_validator("number")
    @classmethod
    def _number(cls, value: str) -> str:
        digits = re.sub(r"[ -]", "", value)
        if not (digits.isascii() and digits.isdigit() and 12 <= len(digits) <= 19) or not luhn_valid(digits):
            raise PydanticCustomError("card_number_invalid", "Not a card number.")
        return digits

    @field_validator("expire_month")
    @classmethod
    def _month(cls, value: str) -> str:
        if not 1 <= int(value) <= 12:
            raise PydanticCustomError("card_expiry_invalid", "Month must be 1-12.")
        return f"{int(value):02d}"

    @field_validator("expire_year")
    @classmethod
    def _year(cls, value: str) -> str:
        return value if len(value) == 4 else f"20{value}"

    @model_validator(mode="after")
    def _not_expired(self) -> CardFields:
        today = dt.datetime.now(dt.timezone.utc).date()
        if (int(self.expire_year), int(self.expire_month)) < (today.year, today.month):
            raise PydanticCustomError("card_expired", "The card has expired.")
        if int(self.expire_year) > today.year + 25:
            raise PydanticCustomError("card_expiry_invalid", "The expiry year is too far ahead.")
        return self

    @property
    def last4(self) -> str:
        return self.number[-4:]

    def __repr__(self) -> str:  # never the number or CVC, even in a debugger's or a log's repr
        return f"{type(self).__name__}(last4={self.number[-4:]})"

    __str__ = __repr__


class PaymentCardIn(CardFields):
    """The card of one payment (explicit nulls refused, as everywhere in this contract)."""

    cvc: str = Field(pattern=r"^[0-9]{3,4}$")
    save: bool = Field(default=False, description="store it at iyzico (card storage) for next time")

    @model_validator(mode="before")
    @classmethod
    def _nulls(cls, data: Any) -> Any:
        return _no_nulls(data)


class _PayBase(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)
    flow: Literal["checkout_form", "3ds", "direct"] | None = Field(
        default=None, description="checkout_form: iyzico's hosted page; 3ds: your card with 3-D Secure; direct: your "
                                  "card without 3-D Secure (only where the shop allows it). Default: the shop's setting")
    card: PaymentCardIn | None = Field(default=None, description="3ds / direct: the card")
    saved_card_id: int | None = Field(default=None, gt=0, lt=2**63, description="3ds / direct: one of your saved cards")
    installment: int = Field(default=1, ge=1, le=12, description="up to the shop's max_installments")

    @model_validator(mode="before")
    @classmethod
    def _nulls(cls, data: Any) -> Any:
        return _no_nulls(data)

    @model_validator(mode="after")
    def _one_card(self) -> _PayBase:
        if self.card is not None and self.saved_card_id is not None:
            raise PydanticCustomError("card_conflict", "Send card or saved_card_id, not both.")
        if self.flow == "checkout_form" and (self.card is not None or self.saved_card_id is not None):
            raise PydanticCustomError("card_not_expected", "The checkout form takes the card at iyzico's page.")
        return self


class ProcessIn(_PayBase):
    order_id: int = Field(gt=0, lt=2**63, description="your order, pending payment")
    wallet_amount: Money | None = Field(default=None, description="this much from your wallet, the card pays the "
                                                                   "rest (split payment)")

    @field_validator("wallet_amount")
    @classmethod
    def _positive(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and value <= 0:
            raise PydanticCustomError("greater_than", "Must be more than 0.")
        return value


class TopupIn(_PayBase):
    amount: Money = Field(description="what to load into your wallet")

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: Decimal) -> Decimal:
        if value <= 0:
            raise PydanticCustomError("greater_than", "Must be more than 0.")
        return value


class AttemptOut(BaseModel):
    """A card payment as the app sees it.  pending_3ds: show html_content (the bank's page);
    pending_form: open payment_page_url (or embed checkout_form_content); unknown: we could not
    hear iyzico's answer - poll GET /api/payment/attempts/{attempt_id}, it is looked up and settled."""

    attempt_id: int
    order_id: int | None
    purpose: Literal["order", "wallet_topup"]
    flow: str
    status: AttemptStatus
    amount: Decimal = Field(description="what the card is charged")
    wallet_amount: Decimal = Field(description="the part paid from the wallet (split payment)")
    currency: str
    installment: int
    card_last4: str | None
    card_association: str | None
    card_family: str | None
    failure_code: str | None
    failure_message: str | None
    html_content: str | None = Field(default=None, description="pending_3ds: the bank's page to show")
    payment_page_url: str | None = Field(default=None, description="pending_form: iyzico's hosted page")
    token: str | None = Field(default=None, description="pending_form: the checkout form's token")
    expires_at: Timestamp | None
    created_at: Timestamp


class ReviewDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Line | None = Field(default=None, max_length=500)


class ReviewOut(BaseModel):
    attempt_id: int
    status: str
    order_status: str | None


class WebhookOut(BaseModel):
    status: Literal["accepted", "duplicate", "unknown_payment"] = Field(
        description="accepted: looked up and settled; duplicate: a retried delivery, done before; unknown_payment: "
                    "not one of this shop's card payments")
