"""API contract of the admin order panel (/api/admin/orders...).

The detail extends the customer-side OrderOut (schemas.py) with what only staff sees; the list
rows are a narrow projection read from one index range.

The models named like a customer-side one carry an OrdersAdmin prefix: the OpenAPI document
names a component after its class, qualified by area only when two classes share a name, and
these kept the names they were published under (OrdersAdminCancelIn, OrdersAdminRefundOut).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.platform.fields import Line, Money, Patch, Text, Timestamp, none_if_blank, to_naive_utc
from chalicelib.platform.keyset import Position

from .admin_repository import SORTS
from .schemas import OrderOut, Status

PaymentStatus = Literal["unpaid", "awaiting_transfer", "paid", "failed", "refund_pending", "refunded",
                        "partially_refunded"]
PaymentMethod = Literal["card", "eft", "wallet", "cash"]
Source = Literal["mobile", "web", "admin", "trendyol", "hepsiburada"]
Sort = Literal["newest", "oldest", "amount_desc", "amount_asc"]

# Calendar dates in the filters are Turkish dates (the panel's users are in Turkey; UTC+3 all
# year since 2016); stored times are UTC.
TURKEY = dt.timezone(dt.timedelta(hours=3))
MIN_YEAR, MAX_YEAR = 1000, 9998


def _day_start_utc(day: dt.date) -> dt.datetime:
    return to_naive_utc(dt.datetime(day.year, day.month, day.day, tzinfo=TURKEY))


def _cursor_for(value: str | None, sort: str | None) -> Position | None:
    return None if sort is None else SORTS[sort].parse(value)


def _lower_bound(value: dt.datetime | dt.date | None) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return to_naive_utc(value)
    if isinstance(value, dt.date):
        return _day_start_utc(value)
    return None


def _upper_bound(value: dt.datetime | dt.date | None) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return to_naive_utc(value)
    if isinstance(value, dt.date):
        return _day_start_utc(value + dt.timedelta(days=1))  # the whole day
    return None


CURSOR_DESCRIPTION = "next_cursor of the previous page (opaque; only valid for the same sort)"
CURSOR_MAX = 256


class OrderListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: list[Status] | None = Field(default=None, description="repeatable: status=paid&status=preparing")
    payment_status: list[PaymentStatus] | None = Field(default=None, description="repeatable")
    payment_method: PaymentMethod | None = None
    placed_from: dt.datetime | dt.date | None = Field(
        default=None, description="inclusive; a date is that Turkish day's start, a naive time is UTC")
    placed_to: dt.datetime | dt.date | None = Field(
        default=None, description="a date includes that whole Turkish day; a time is exclusive")
    customer_id: int | None = Field(default=None, gt=0, lt=2**63, description="the customer's user id")
    customer_email: Line | None = Field(default=None, min_length=3, max_length=254,
                                        description="the order's contact e-mail, exactly")
    min_total: Money | None = None
    max_total: Money | None = None
    source: Source | None = None
    q: Line | None = Field(default=None, max_length=100, description=(
        "an order number or its start (S250131-AC...), an e-mail or its start (has '@'), or the "
        "customer's name: words that start the account's first or last name"))
    sort: Sort = "newest"
    cursor: str | None = Field(default=None, max_length=CURSOR_MAX, description=CURSOR_DESCRIPTION)
    limit: int = Field(default=20, ge=1, le=100)

    _after: Position | None = PrivateAttr(default=None)

    @field_validator("placed_from", "placed_to", mode="before")
    @classmethod
    def _date_or_time(cls, value: Any) -> Any:
        # "2025-01-31" is a calendar day, not midnight UTC: keep it a date for the bounds below.
        # Parsed here (not by the union) so a bad value is one error named after the field.
        if not isinstance(value, str):
            return value
        text = value.strip()
        try:
            return dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
        except ValueError:
            raise PydanticCustomError("datetime_invalid", "Use a date (2025-01-31) or an ISO 8601 time "
                                      "(2025-01-31T09:30:00+03:00).") from None

    @field_validator("placed_from", "placed_to")
    @classmethod
    def _in_calendar(cls, value: dt.datetime | dt.date | None) -> dt.datetime | dt.date | None:
        # Years the DATETIME columns hold; the day after 9999-12-31 (or a time shifted to UTC
        # past either end) would overflow Python's calendar → OverflowError → 500 (issue 9).
        if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
            raise PydanticCustomError("date_out_of_range", "Use a date between the years {min} and {max}.",
                                      {"min": MIN_YEAR, "max": MAX_YEAR})
        return value

    @field_validator("placed_to")
    @classmethod
    def _date_range(cls, value: dt.datetime | dt.date | None, info: ValidationInfo) -> dt.datetime | dt.date | None:
        low, high = _lower_bound(info.data.get("placed_from")), _upper_bound(value)
        if low is not None and high is not None and high <= low:
            raise PydanticCustomError("date_range_invalid", "placed_to must be after placed_from.")
        return value

    @field_validator("customer_email", "q")
    @classmethod
    def _stripped(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or not value.strip():
            return None
        value = " ".join(value.split())
        if info.field_name == "q" and len(value) < 2:
            raise PydanticCustomError("query_too_short", "The search text needs at least 2 characters.")
        return value.lower() if info.field_name == "customer_email" else value

    @field_validator("max_total")
    @classmethod
    def _amount_range(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        low = info.data.get("min_total")
        if value is not None and low is not None and value < low:
            raise PydanticCustomError("amount_range_invalid", "max_total must not be below min_total.")
        return value

    @field_validator("cursor")
    @classmethod
    def _cursor(cls, value: str | None, info: ValidationInfo) -> str | None:
        _cursor_for(value, info.data.get("sort"))
        return value

    @model_validator(mode="after")
    def _decode(self) -> OrderListQuery:
        self._after = _cursor_for(self.cursor, self.sort)
        return self

    def placed_range(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """[from, to) in UTC."""
        return _lower_bound(self.placed_from), _upper_bound(self.placed_to)

    @property
    def after(self) -> Position | None:
        return self._after


class QueueQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["refund_pending", "expiring"] = Field(default="refund_pending", description=(
        "refund_pending: cancelled orders whose money is still to go back, longest waiting first; "
        "expiring: unpaid orders whose stock hold ends within `within_minutes` (or already ended), soonest first"))
    within_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    cursor: str | None = Field(default=None, max_length=CURSOR_MAX, description=CURSOR_DESCRIPTION)
    limit: int = Field(default=20, ge=1, le=100)

    _after: Position | None = PrivateAttr(default=None)

    @field_validator("cursor")
    @classmethod
    def _cursor(cls, value: str | None, info: ValidationInfo) -> str | None:
        _cursor_for(value, info.data.get("kind"))
        return value

    @model_validator(mode="after")
    def _decode(self) -> QueueQuery:
        self._after = _cursor_for(self.cursor, self.kind)
        return self

    @property
    def after(self) -> Position | None:
        return self._after


# -- output -------------------------------------------------------------------------------------
class OrderRow(BaseModel):
    id: int
    order_number: str
    status: Status
    payment_status: str
    payment_method: str | None
    source: str
    currency: str
    grand_total: Decimal
    item_count: int
    customer_id: int | None
    customer_name: str | None = Field(description="from the order's billing address")
    customer_email: str | None = Field(description="the order's contact e-mail")
    placed_at: Timestamp


class OrderListPage(BaseModel):
    items: list[OrderRow]
    next_cursor: str | None = None


class QueueRow(OrderRow):
    reserved_until: Timestamp | None
    cancelled_at: Timestamp | None
    cancel_reason: str | None
    refund_requested: Decimal = Field(description="refunds asked for and not yet confirmed")


class QueueCounts(BaseModel):
    refund_pending: int
    expiring: int


class QueuePage(BaseModel):
    kind: str
    items: list[QueueRow]
    next_cursor: str | None = None
    counts: QueueCounts


class StatusSummary(BaseModel):
    counts: dict[Status, int] = Field(description="every status, 0 included")
    total: int


class OrdersAdminRefundOut(BaseModel):
    id: int
    payment_id: int
    return_id: int | None
    amount: Decimal
    currency: str
    status: str
    reason: str | None
    provider_refund_id: str | None
    requested_by: int | None
    created_at: Timestamp
    updated_at: Timestamp


class CustomerOut(BaseModel):
    id: int
    email: str | None
    first_name: str | None
    last_name: str | None


class NextStep(BaseModel):
    status: Status
    via: Literal["status", "mark_paid", "returns"] = Field(
        description="status: PUT .../status; mark_paid: POST .../mark-paid; returns: the returns queue")


class AdminOrderOut(OrderOut):
    customer: CustomerOut | None = Field(description="the account as it is now (None once deleted)")
    admin_note: str | None
    ip: str | None
    user_agent: str | None
    external_order_id: str | None
    refunds: list[OrdersAdminRefundOut]
    allowed_statuses: list[Status] = Field(description="every legal next status for staff (lifecycle)")
    next_steps: list[NextStep]


# -- input --------------------------------------------------------------------------------------
# Staff actions on an order are Patch bodies: unknown fields are refused, and null is accepted
# only where the field says what it means (an optional note or reference: none; the staff note:
# cleared); anywhere else null is a 400 naming the field.


class StatusIn(Patch):
    CLEARABLE = frozenset({"note", "expected_version"})
    status: Status
    note: Text | None = Field(default=None, max_length=1000,
                              description="shown in the order's timeline; null or blank: none")
    expected_version: int | None = Field(default=None, ge=0, lt=2**63, description=(
        "the order's `version` as the panel showed it; 409 order_version_conflict if it has moved on; "
        "null: not checked"))

    _note = field_validator("note", mode="before")(none_if_blank)


class MarkPaidIn(Patch):
    CLEARABLE = frozenset({"reference"})
    method: Literal["eft", "cash"]
    reference: Line | None = Field(default=None, max_length=100,
                                   description="bank reference / receipt number; null or blank: none")

    _reference = field_validator("reference", mode="before")(none_if_blank)


class OrdersAdminCancelIn(Patch):
    reason: Line = Field(min_length=1, max_length=255, description="required, never null")


class NoteIn(Patch):
    CLEARABLE = frozenset({"admin_note"})
    admin_note: Text | None = Field(max_length=5000, description="staff-only; null or blank clears it")

    _note = field_validator("admin_note", mode="before")(none_if_blank)
