"""The wallet API contract: balances, history, top-up and withdrawal requests, staff decisions,
the reconciliation report."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.platform.fields import Line, Money, Patch, Text, Timestamp, none_if_blank
from chalicelib.platform.keyset import Keyset, Position
from chalicelib.platform.schemas import Page

from . import errors as _errors  # noqa: F401 - registers the messages of the error types below
from . import iban, states
from .repository import HISTORY
from .request_repository import NEWEST

AccountCode = Literal["cash", "bonus"]
EntryType = Literal["bank_topup", "card_topup", "withdrawal", "order_payment", "order_refund", "transfer", "bonus",
                    "bonus_expiry", "bonus_reversal", "gift_card", "referral_reward", "adjustment"]
TopupStatus = Literal["requested", "pending_approval", "approved", "rejected"]
WithdrawalStatus = Literal["pending", "approved", "rejected"]
assert set(TopupStatus.__args__) == set(states.TOPUP_STATUSES)  # type: ignore[attr-defined]
assert set(WithdrawalStatus.__args__) == set(states.WITHDRAWAL_STATUSES)  # type: ignore[attr-defined]


def _positive(value: Decimal) -> Decimal:
    if value <= 0:
        raise PydanticCustomError("greater_than", "Must be more than 0.")
    return value


Amount = Annotated[Money, AfterValidator(_positive), Field(description="more than 0, at most two decimal places; "
                                                                       "the tenant's limits apply (400 outside them)")]


def _iban(value: str) -> str:
    if not iban.is_valid(value):
        raise PydanticCustomError("iban_invalid", "Must be a Turkish IBAN (TR and 24 digits) with valid check digits.")
    return iban.normalise(value)


Iban = Annotated[str, Field(pattern=iban.PATTERN, description="TR and 24 digits, optionally in groups of four; "
                                                               "the check digits must be right"),
                 AfterValidator(_iban)]


def _cursor_of(keyset: Keyset) -> Callable[[Any, str | None], str | None]:
    """A `cursor` field validator: a cursor of `keyset`'s sort, or 400 cursor_invalid."""

    def check(cls: Any, value: str | None) -> str | None:
        keyset.parse(value)
        return value

    return check


# -- balance and history -------------------------------------------------------------------------
class AccountOut(BaseModel):
    balance: Decimal = Field(description="posted: what the account holds")
    held: Decimal = Field(description="held for pending withdrawals or payments")
    available: Decimal = Field(description="balance less held: what can be spent or withdrawn")


class WalletOut(BaseModel):
    currency: str
    status: str = Field(description="active, frozen, closed")
    cash: AccountOut
    bonus: AccountOut = Field(description="HPay bonus: spent on orders, never withdrawn")
    available: Decimal = Field(description="cash and bonus available together")


class ReferenceOut(BaseModel):
    type: str = Field(description="what the entry was for: topup_request, withdrawal_request, order, ...")
    id: str


class TransactionOut(BaseModel):
    id: int
    entry_id: int = Field(description="the journal entry this line belongs to")
    account: AccountCode
    type: str = Field(description="bank_topup, card_topup, withdrawal, order_payment, order_refund, transfer, "
                                  "bonus, bonus_expiry, bonus_reversal, gift_card, referral_reward, adjustment")
    direction: Literal["credit", "debit"]
    amount: Decimal = Field(description="signed: + into the account, - out of it")
    balance_after: Decimal = Field(description="the account's running balance after this line")
    currency: str
    description: str | None
    reference: ReferenceOut | None
    created_at: Timestamp


class TransactionPage(Page[TransactionOut]):
    next_cursor: str | None = None


class TransactionQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    account: AccountCode | None = None
    type: list[EntryType] | None = None
    direction: Literal["credit", "debit"] | None = None
    date_from: date | None = Field(default=None, description="on or after this day (UTC)")
    date_to: date | None = Field(default=None, description="on or before this day (UTC)")
    cursor: str | None = Field(default=None, max_length=200, description="next_cursor of the previous page")
    limit: int = Field(default=20, ge=1, le=100)

    _cursor = field_validator("cursor")(_cursor_of(HISTORY))

    @model_validator(mode="after")
    def _range(self) -> TransactionQuery:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise PydanticCustomError("date_range", "date_from must not be after date_to.")
        return self

    @property
    def position(self) -> Position | None:
        return None if self.cursor is None else HISTORY.decode(self.cursor)


# -- requests ------------------------------------------------------------------------------------
class RequestQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cursor: str | None = Field(default=None, max_length=200, description="next_cursor of the previous page")
    limit: int = Field(default=20, ge=1, le=100)

    _cursor = field_validator("cursor")(_cursor_of(NEWEST))

    @property
    def position(self) -> Position | None:
        return None if self.cursor is None else NEWEST.decode(self.cursor)


class TopupQuery(RequestQuery):
    status: list[TopupStatus] | None = None


class WithdrawalQuery(RequestQuery):
    status: list[WithdrawalStatus] | None = None


class AdminTopupQuery(TopupQuery):
    user_id: int | None = Field(default=None, gt=0, lt=2**63)


class AdminWithdrawalQuery(WithdrawalQuery):
    user_id: int | None = Field(default=None, gt=0, lt=2**63)


class BankAccountOut(BaseModel):
    bank: str
    iban: str
    account_holder: str | None
    branch: str | None


class TopupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Amount
    note: Text | None = Field(default=None, max_length=500, description="for staff; null or blank: none")

    _note = field_validator("note", mode="before")(none_if_blank)


class TopupSentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sender_name: Line = Field(min_length=2, max_length=150, description="the account holder the money came from")
    bank_reference: Line | None = Field(default=None, max_length=100,
                                        description="the bank's transaction reference; null or blank: none")
    note: Text | None = Field(default=None, max_length=500,
                              description="replaces the request's note; null or blank: keep it")

    _blanks = field_validator("bank_reference", "note", mode="before")(none_if_blank)


class TopupOut(BaseModel):
    id: int
    reference_code: str = Field(description="write it in the transfer's description")
    amount: Decimal
    currency: str
    method: Literal["eft", "card"]
    status: TopupStatus
    sender_name: str | None
    bank_reference: str | None
    note: str | None
    staff_note: str | None = Field(description="staff's message (with a rejection, why)")
    can_report_sent: bool
    bank_accounts: list[BankAccountOut] = Field(description="where to send the money (while requested)")
    sent_at: Timestamp | None
    reviewed_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp


class AdminTopupOut(TopupOut):
    user_id: int
    wallet_id: int
    reviewed_by: int | None
    journal_id: int | None = Field(description="the entry that credited the wallet")


class TopupPage(Page[TopupOut]):
    next_cursor: str | None = None


class AdminTopupPage(Page[AdminTopupOut]):
    next_cursor: str | None = None


class WithdrawalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Amount
    iban: Iban
    account_holder: Line = Field(min_length=3, max_length=150, description="the IBAN's account holder")
    note: Text | None = Field(default=None, max_length=500, description="for staff; null or blank: none")

    _note = field_validator("note", mode="before")(none_if_blank)


class WithdrawalOut(BaseModel):
    id: int
    amount: Decimal
    currency: str
    status: WithdrawalStatus
    iban: str = Field(description="masked: TR and the last four digits")
    account_holder: str
    note: str | None
    staff_note: str | None
    reviewed_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp


class AdminWithdrawalOut(WithdrawalOut):
    iban: str = Field(description="in full, to pay it out")
    user_id: int
    wallet_id: int
    reviewed_by: int | None
    journal_id: int | None = Field(description="the entry that paid it out")
    hold_id: int | None
    paid_at: Timestamp | None


class WithdrawalPage(Page[WithdrawalOut]):
    next_cursor: str | None = None


class AdminWithdrawalPage(Page[AdminWithdrawalOut]):
    next_cursor: str | None = None


# Staff decisions: Patch bodies, unknown fields refused, null only where the field says so.
class ApproveIn(Patch):
    CLEARABLE = frozenset({"note"})
    note: Text | None = Field(default=None, max_length=500, description="for the customer; null or blank: none")

    _note = field_validator("note", mode="before")(none_if_blank)


class RejectIn(Patch):
    note: Text = Field(min_length=1, max_length=500, description="why; the customer reads it (required)")


class ReconciliationOut(BaseModel):
    ok: bool = Field(description="every invariant holds")
    accounts: int
    entries: int
    lines: int
    pending_holds: int
    customer_total: Decimal = Field(description="what the shop owes its customers (cash and bonus)")
    problems: list[str]
