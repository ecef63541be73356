"""The contract of installment options and saved cards (issue 12 item 1).

A card number and CVC come in once, in `CardIn`, and go out to iyzico's card storage only: no
schema here renders them, and a validation error never echoes them (the error shape leaves
inputs out and the messages below name no digits).
"""
from __future__ import annotations

import re
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from chalicelib.platform.fields import Line, Money, Timestamp, none_if_blank

from .card_schemas import CardFields

_DIGITS = re.compile(r"[0-9]+")
_SEPARATORS = re.compile(r"[ -]")


# -- installments ---------------------------------------------------------------------------------
class InstallmentsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bin: str = Field(min_length=6, max_length=8, pattern=r"^[0-9]{6,8}$",
                     description="the first 6-8 digits of the card (never the whole number)")
    amount: Money = Field(description="the amount to pay, e.g. 1249.90 (at most two decimals)")

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: Decimal) -> Decimal:
        if value <= 0:
            raise PydanticCustomError("amount_not_positive", "Must be more than zero.")
        return value


class CardInfoOut(BaseModel):
    bin_number: str
    association: str | None = Field(description="MASTER_CARD, VISA, AMERICAN_EXPRESS, TROY")
    family: str | None = Field(description="the card programme: Bonus, World, Axess, Maximum, ...")
    bank_name: str | None
    type: str | None = Field(description="CREDIT_CARD, DEBIT_CARD or PREPAID_CARD")
    commercial: bool


class InstallmentOptionOut(BaseModel):
    installments: int = Field(description="number of monthly payments (1: single payment)")
    installment_price: Decimal = Field(description="each payment")
    total_price: Decimal = Field(description="what the card is charged in total (interest included)")


class InstallmentsOut(BaseModel):
    bin: str
    amount: Decimal
    currency: str
    max_installments: int = Field(description="the shop's limit (settings.payments.max_installments)")
    card: CardInfoOut
    options: list[InstallmentOptionOut] = Field(description="what the card's bank offers, up to the shop's limit")


# -- saved cards ----------------------------------------------------------------------------------
class CardIn(CardFields):
    """A card to save at iyzico (the card checks are card_schemas.CardFields)."""

    cvc: str | None = Field(default=None, min_length=3, max_length=4, pattern=r"^[0-9]{3,4}$",
                            description="accepted for forms that send it; card storage needs none and it "
                                        "is dropped at once")
    alias: Line | None = Field(default=None, min_length=1, max_length=100, description="your name for the card")

    _blank = field_validator("alias", mode="before")(none_if_blank)


class CardOut(BaseModel):
    id: int
    alias: str | None
    bin_number: str | None
    last4: str | None
    association: str | None
    family: str | None
    bank_name: str | None
    created_at: Timestamp


class CardList(BaseModel):
    items: list[CardOut]
