"""The returns API contract: requests, the customer's and staff's views, staff decisions."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.platform.fields import Line, Money, Patch, Text, Timestamp, none_if_blank
from chalicelib.platform.keyset import Position
from chalicelib.platform.schemas import Page

from . import errors as _errors  # noqa: F401 - registers the messages of the error types below
from . import states
from .photos import MAX_PHOTOS
from .repository import QUEUE
from .storage import EXTENSIONS, MAX_PHOTO_BYTES

ReturnStatus = Literal["requested", "approved", "rejected", "received", "refunded", "cancelled"]
Reason = Literal["damaged", "wrong_item", "not_as_described", "changed_mind"]
Condition = Literal["unopened", "opened", "damaged"]
RefundMethod = Literal["original", "wallet"]
PhotoType = Literal["image/jpeg", "image/png", "image/webp"]
assert set(ReturnStatus.__args__) == set(states.STATUSES)  # type: ignore[attr-defined]
assert set(PhotoType.__args__) == set(EXTENSIONS)  # type: ignore[attr-defined]

MAX_LINES = 50


def _optional_text(max_length: int, description: str) -> Any:
    """An optional free text of a request: null, "" and blanks all mean none (see platform.fields.none_if_blank).
    The limit is on the field, where pydantic applies it to the string branch only; on a union
    wrapped in a validator it reached None too (TypeError → 500, issue 9)."""
    return Field(default=None, max_length=max_length, description=description)




Id = Annotated[int, Field(gt=0, lt=2**63)]


# -- customer ----------------------------------------------------------------------------------
class ReturnLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_item_id: Id
    quantity: int = Field(ge=1, le=10_000)
    reason: Reason | None = Field(default=None, description="defaults to the return's reason")
    condition: Condition | None = None


class ReturnRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[ReturnLineIn] = Field(min_length=1, max_length=MAX_LINES)
    reason: Reason
    description: Text | None = _optional_text(2000, "what happened, in the customer's words; null or blank: none")
    refund_method: RefundMethod = Field(default="original", description="original: back to the card / account "
                                        "paid with; wallet: credited to the customer's wallet")
    photo_keys: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(
        default_factory=list, max_length=MAX_PHOTOS,
        description=f"keys from POST /api/returns/photos/upload, at most {MAX_PHOTOS}")

    _description = field_validator("description", mode="before")(none_if_blank)

    @field_validator("items")
    @classmethod
    def _once_each(cls, items: list[ReturnLineIn]) -> list[ReturnLineIn]:
        ids = [line.order_item_id for line in items]
        if len(set(ids)) != len(ids):
            raise PydanticCustomError("duplicate", "Each order item may appear once.")
        return items


class ReturnListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: list[ReturnStatus] | None = None
    cursor: int | None = Field(default=None, gt=0, lt=2**63, description="next_cursor of the previous page")
    limit: int = Field(default=20, ge=1, le=100)


class PhotoUploadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    content_type: PhotoType
    size_bytes: int = Field(ge=1, le=MAX_PHOTO_BYTES, description="exact size of the file, at most 10 MiB")


class PhotoUploadOut(BaseModel):
    key: str = Field(description="name it in the return request's photo_keys")
    url: str = Field(description="POST the form here: every `fields` entry, then the file as `file`")
    fields: dict[str, str]
    expires_at: Timestamp


class PhotoOut(BaseModel):
    key: str
    url: str = Field(description="presigned GET, valid for 15 minutes")


class ReturnLineOut(BaseModel):
    id: int
    order_item_id: int
    product_id: int
    variation_id: int | None
    name: str
    variation_name: str | None
    sku: str
    image_key: str | None
    unit_price: Decimal
    quantity: int = Field(description="units returned")
    ordered_quantity: int
    value: Decimal = Field(description="these units' share of the line total (discounts included)")
    reason: str | None
    condition: str | None = Field(description="as the customer described it; once received, what staff saw")


class ReturnsRefundOut(BaseModel):
    id: int
    amount: Decimal
    currency: str
    status: str = Field(description="requested, succeeded, failed")
    created_at: Timestamp
    updated_at: Timestamp


class ReturnOut(BaseModel):
    id: int
    return_number: str
    order_id: int
    order_number: str
    order_status: str
    status: ReturnStatus
    reason: str
    description: str | None
    refund_method: RefundMethod
    refund_amount: Decimal | None = Field(description="what was asked back from the payment side; null until refunded")
    currency: str
    return_shipping_code: str | None
    note: str | None = Field(description="staff's message to the customer (with an approval, or why rejected)")
    items: list[ReturnLineOut]
    photos: list[PhotoOut]
    refunds: list[ReturnsRefundOut]
    can_cancel: bool
    resolved_at: Timestamp | None = Field(description="when staff approved / rejected it, or the customer withdrew it")
    created_at: Timestamp
    updated_at: Timestamp


class ReturnPage(Page[ReturnOut]):
    next_cursor: int | None = None


# -- staff -------------------------------------------------------------------------------------
class AdminReturnOut(ReturnOut):
    user_id: int | None
    contact_email: str | None
    resolved_by: int | None = Field(description="the staff user who approved or rejected it")


class AdminReturnPage(Page[AdminReturnOut]):
    next_cursor: str | None = None


class AdminReturnQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: list[ReturnStatus] | None = None
    date_from: date | None = Field(default=None, description="created on or after this day (UTC)")
    date_to: date | None = Field(default=None, description="created on or before this day (UTC)")
    order_number: str | None = Field(default=None, min_length=1, max_length=32)
    cursor: str | None = Field(default=None, max_length=200, description="next_cursor of the previous page")
    limit: int = Field(default=25, ge=1, le=100)

    @field_validator("cursor")
    @classmethod
    def _cursor(cls, value: str | None) -> str | None:
        QUEUE.parse(value)
        return value

    @model_validator(mode="after")
    def _range(self) -> AdminReturnQuery:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise PydanticCustomError("date_range", "date_from must not be after date_to.")
        return self

    @property
    def position(self) -> Position | None:
        return None if self.cursor is None else QUEUE.decode(self.cursor)


# Staff decisions are Patch bodies: unknown fields are refused and null is accepted only where
# the field says so (an optional text the decision can go without: null = none).
class ApproveIn(Patch):
    CLEARABLE = frozenset({"note", "return_shipping_code"})
    note: Text | None = _optional_text(1000, "the customer reads it with the approval; null or blank: none")
    return_shipping_code: Line | None = _optional_text(64, "the carrier's return code for the customer; "
                                                           "null or blank: none")

    _blanks = field_validator("note", "return_shipping_code", mode="before")(none_if_blank)


class RejectIn(Patch):
    note: Text = Field(min_length=1, max_length=1000, description="why; the customer reads it (required, never null)")


class ReceivedLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_item_id: Id
    restock: bool = Field(description="true: the units can be sold again and go back to stock")
    condition: Condition


class ReceiveIn(Patch):
    items: list[ReceivedLineIn] = Field(min_length=1, max_length=MAX_LINES,
                                        description="every line of the return, once")

    @field_validator("items")
    @classmethod
    def _once_each(cls, items: list[ReceivedLineIn]) -> list[ReceivedLineIn]:
        ids = [line.order_item_id for line in items]
        if len(set(ids)) != len(ids):
            raise PydanticCustomError("duplicate", "Each order item may appear once.")
        return items


class RefundIn(Patch):
    CLEARABLE = frozenset({"amount"})
    amount: Money | None = Field(default=None, description="more than 0; left out or null: the returned units' "
                                 "share of their line totals")

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and value <= 0:
            raise PydanticCustomError("greater_than", "Must be more than 0.")
        return value
