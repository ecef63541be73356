"""The admin contract of payment transactions (AF): the attempts list and detail, the bank
transfer decisions, the staff tasks."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.platform.fields import Money, NaiveUtc, Text, Timestamp, none_if_blank
from chalicelib.platform.keyset import Position
from chalicelib.platform.schemas import Page

from .history_repository import ADMIN, TASKS
from .schemas import AttemptStatus

Flow = Literal["card", "3ds", "checkout_form", "bank_transfer"]
TaskStatus = Literal["open", "done"]


class PaymentListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: list[AttemptStatus] | None = None
    flow: list[Flow] | None = None
    method: list[Literal["card", "eft"]] | None = Field(default=None, description="card: every card flow; eft: "
                                                                                  "bank transfer")
    provider: list[Literal["iyzico", "bank_transfer"]] | None = None
    created_from: NaiveUtc | None = Field(default=None, description="made at or after (UTC)")
    created_before: NaiveUtc | None = Field(default=None, description="made before (UTC)")
    amount_min: Money | None = None
    amount_max: Money | None = None
    order_id: int | None = Field(default=None, gt=0, lt=2**63)
    user_id: int | None = Field(default=None, gt=0, lt=2**63)
    cursor: str | None = Field(default=None, max_length=200, description="next_cursor of the previous page")
    limit: int = Field(default=20, ge=1, le=100)

    @field_validator("cursor")
    @classmethod
    def _cursor(cls, value: str | None) -> str | None:
        ADMIN.parse(value)
        return value

    @model_validator(mode="after")
    def _ranges(self) -> PaymentListQuery:
        if self.created_from and self.created_before and self.created_from >= self.created_before:
            raise PydanticCustomError("date_range", "created_from must be before created_before.")
        if self.amount_min is not None and self.amount_max is not None and self.amount_min > self.amount_max:
            raise PydanticCustomError("amount_range", "amount_min must not be more than amount_max.")
        return self

    @property
    def flows(self) -> list[str]:
        """flow and method together: a method stands for its flows; both given, their intersection."""
        from .states import METHOD_OF_FLOW

        chosen = set(self.flow or METHOD_OF_FLOW)
        if self.method:
            chosen &= {f for f, m in METHOD_OF_FLOW.items() if m in self.method}
        return sorted(chosen) if (self.flow or self.method) else []

    @property
    def position(self) -> Position | None:
        return None if self.cursor is None else ADMIN.decode(self.cursor)


class AdminPaymentOut(BaseModel):
    id: int
    order_id: int | None
    order_number: str | None
    order_status: str | None
    user_id: int
    purpose: str
    flow: Flow
    method: Literal["card", "eft"]
    provider: str
    status: AttemptStatus
    amount: Decimal
    wallet_amount: Decimal = Field(description="the part held in the wallet (wallet + card)")
    currency: str
    installment: int
    conversation_id: str
    provider_payment_id: str | None
    reference_code: str | None
    card_last4: str | None
    card_association: str | None
    card_family: str | None
    failure_code: str | None
    failure_message: str | None
    payment_id: int | None = Field(description="the order's payments row once it succeeded")
    sender_name: str | None
    bank_reference: str | None
    decided_by: int | None
    decided_at: Timestamp | None
    decision_note: str | None
    expires_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp


class AdminPaymentPage(Page[AdminPaymentOut]):
    next_cursor: str | None = None


class AttemptItemOut(BaseModel):
    item_id: str
    order_item_id: int | None
    price: Decimal
    paid_price: Decimal
    provider_transaction_id: str | None
    refunded_amount: Decimal


class OrderPaymentOut(BaseModel):
    id: int
    provider: str
    method: str
    status: str
    amount: Decimal
    refunded_amount: Decimal
    currency: str
    card_last4: str | None
    paid_at: Timestamp | None
    created_at: Timestamp


class AdminPaymentDetail(AdminPaymentOut):
    items: list[AttemptItemOut] = Field(description="the basket lines sent to the provider (card flows)")
    order_payments: list[OrderPaymentOut] = Field(description="money taken for the order (every method)")


class ConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Text | None = Field(default=None, max_length=500, description="e.g. where the money was seen")

    _blank = field_validator("note", mode="before")(none_if_blank)


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text = Field(min_length=3, max_length=500, description="why; shown in the order's history")


class TaskQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: list[TaskStatus] | None = Field(default=None, description="open, done; both when left out")
    cursor: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=20, ge=1, le=100)

    @field_validator("cursor")
    @classmethod
    def _cursor(cls, value: str | None) -> str | None:
        TASKS.parse(value)
        return value

    @property
    def position(self) -> Position | None:
        return None if self.cursor is None else TASKS.decode(self.cursor)


class TaskOut(BaseModel):
    id: int
    kind: str = Field(description="late_transfer_refund, card_refund_failed, fraud_review")
    status: TaskStatus
    order_id: int | None
    attempt_id: int | None
    refund_id: int | None
    amount: Decimal | None
    currency: str
    reason: str
    resolved_by: int | None
    resolved_at: Timestamp | None
    note: str | None
    created_at: Timestamp


class TaskPage(Page[TaskOut]):
    next_cursor: str | None = None


class TaskDoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Text = Field(min_length=2, max_length=500, description="what was done (e.g. the refund's bank reference)")


def shown(row: dict[str, Any]) -> dict[str, Any]:
    """An attempt row as the contract shows it (its method from its flow)."""
    from .states import METHOD_OF_FLOW

    return {**row, "method": METHOD_OF_FLOW[row["flow"]]}
