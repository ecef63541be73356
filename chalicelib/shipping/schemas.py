"""The shipping API contract (S1 tracking number, S2 delivery status, S3 history).

Times are UTC.  `status_text` is the status in the caller's language (Accept-Language, else
the tenant's default), for showing as is; `description` / `location` of an event are the
carrier's own words.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.platform.fields import Line, Patch, Timestamp

from . import errors as _errors  # noqa: F401 - registers the messages of the error types below

CarrierCode = Literal["yurtici", "aras", "mng", "ptt", "surat"]
Status = Literal["pending", "label_created", "picked_up", "in_transit", "out_for_delivery", "failed_delivery",
                 "delivered", "returned"]
AdminStatus = Literal["picked_up", "in_transit", "out_for_delivery", "failed_delivery", "delivered", "returned"]
EventSource = Literal["carrier", "admin", "system"]

TrackingNumber = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9-]{5,40}$")]
# No whitespace, control or bidirectional-override characters (an admin's list shows the link).
Url = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500,
                                       pattern=r"^https?://[^\s\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]+$")]
CLOCK_SKEW = dt.timedelta(minutes=5)
# Years a DATETIME column holds, with a day to spare at each end so that shifting a time with
# an offset to UTC cannot overflow Python's calendar (OverflowError → 500, issue 9).
MIN_YEAR, MAX_YEAR = 1000, 9998


def _utc(value: dt.datetime) -> dt.datetime:
    """Aware → naive UTC (as stored); naive is taken as UTC already."""
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise PydanticCustomError("date_out_of_range", "Use a time between the years {min} and {max}.",
                                  {"min": MIN_YEAR, "max": MAX_YEAR})
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None) if value.tzinfo else value


# -- requests -----------------------------------------------------------------------------
class ShipmentItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_item_id: int = Field(gt=0, lt=2**63)
    quantity: int = Field(gt=0, le=100_000)


class ShipmentCreate(BaseModel):
    """A shipment of an order.  Without `tracking_number` it is booked with the carrier (which
    returns the tracking number, link and label); with one, it records a parcel handed over by
    hand.  Without `items` it carries everything of the order not shipped yet."""

    model_config = ConfigDict(extra="forbid")
    carrier: CarrierCode
    tracking_number: TrackingNumber | None = None
    tracking_url: Url | None = Field(default=None, description="with tracking_number only")
    items: list[ShipmentItemIn] | None = Field(default=None, min_length=1, max_length=200)

    @field_validator("items")
    @classmethod
    def _distinct(cls, items: list[ShipmentItemIn] | None) -> list[ShipmentItemIn] | None:
        if items is not None and len({i.order_item_id for i in items}) != len(items):
            raise PydanticCustomError("duplicate_item", "Each order item may appear once.")
        return items

    @model_validator(mode="after")
    def _url_needs_number(self) -> ShipmentCreate:
        if self.tracking_url is not None and self.tracking_number is None:
            raise PydanticCustomError("needs_tracking_number", "tracking_url needs tracking_number.")
        return self


class ShipmentUpdate(Patch):
    """An admin's update.  A status is recorded as an event of the history (`occurred_at`
    defaults to now; an earlier time is kept in the history without moving the shipment back).
    Null clears the link or the ETA; any other null is a 400 (leave the field out instead)."""

    CLEARABLE = frozenset({"tracking_url", "estimated_delivery_at"})
    status: AdminStatus | None = None
    description: Line | None = Field(default=None, min_length=1, max_length=500,
                                     description="with status: shown in the history")
    location: Line | None = Field(default=None, min_length=1, max_length=150, description="with status")
    occurred_at: dt.datetime | None = Field(default=None, description="with status; not in the future")
    tracking_url: Url | None = Field(default=None, description="null clears it")
    estimated_delivery_at: dt.datetime | None = Field(default=None, description="null clears it")

    @field_validator("occurred_at", "estimated_delivery_at")
    @classmethod
    def _as_utc(cls, value: dt.datetime | None) -> dt.datetime | None:
        return None if value is None else _utc(value)

    @field_validator("occurred_at")
    @classmethod
    def _not_future(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value > dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + CLOCK_SKEW:
            raise PydanticCustomError("in_future", "The time cannot be in the future.")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ShipmentUpdate:
        if not self.model_fields_set:
            raise PydanticCustomError("nothing_to_change", "Send at least one field.")
        if self.status is None and {"description", "location", "occurred_at"} & self.model_fields_set:
            raise PydanticCustomError("needs_status", "description, location and occurred_at go with a status.")
        return self


class AdminShipmentQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Status | None = None
    carrier: CarrierCode | None = None
    limit: int = Field(default=20, ge=1, le=100)
    before_id: int | None = Field(default=None, gt=0, lt=2**63, description="next_before_id of the previous page")


# -- responses ----------------------------------------------------------------------------
class ShipmentItemOut(BaseModel):
    order_item_id: int
    quantity: int


class ShipmentEventOut(BaseModel):
    status: Status
    status_text: str
    description: str | None
    location: str | None
    occurred_at: Timestamp
    source: EventSource


class ShipmentOut(BaseModel):
    """A shipment with its whole history, oldest event first."""

    id: int
    order_id: int
    carrier: CarrierCode
    carrier_name: str
    tracking_number: str | None
    tracking_url: str | None
    status: Status
    status_text: str
    items: list[ShipmentItemOut]
    estimated_delivery_at: Timestamp | None
    shipped_at: Timestamp | None = Field(description="when the carrier took the parcel")
    delivered_at: Timestamp | None
    last_event_at: Timestamp | None
    created_at: Timestamp
    events: list[ShipmentEventOut]


class ShipmentList(BaseModel):
    items: list[ShipmentOut]


class AdminShipmentOut(ShipmentOut):
    label_url: str | None
    reference: str | None = Field(description="our booking reference at the carrier")
    poll_due_at: Timestamp | None = Field(description="when the carrier is asked next (null: not polled)")
    updated_at: Timestamp


class AdminShipmentSummary(BaseModel):
    id: int
    order_id: int
    carrier: CarrierCode
    tracking_number: str | None
    status: Status
    status_text: str
    last_event_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp


class AdminShipmentList(BaseModel):
    items: list[AdminShipmentSummary]
    next_before_id: int | None


class AdminOrderShipments(BaseModel):
    items: list[AdminShipmentOut]


class WebhookResult(BaseModel):
    result: Literal["stored", "duplicate", "ignored"] = Field(
        description="stored: new event kept; duplicate: seen before; ignored: no shipment of this "
                    "store has that tracking number, or the carrier's status is not one we know")

