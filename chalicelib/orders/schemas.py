"""API contract of the orders area (customer side)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chalicelib.platform.fields import Line, Money, Patch, Text, Timestamp, none_if_blank

from . import states

Status = Literal["pending_payment", "paid", "preparing", "shipped", "delivered", "cancelled",
                 "return_requested", "returned", "refunded"]




class CheckoutIn(BaseModel):
    """A new order.  Optional fields may be left out or sent as null: both mean the default."""

    model_config = ConfigDict(extra="forbid")

    shipping_address_id: int = Field(gt=0, lt=2**63)
    billing_address_id: int | None = Field(default=None, gt=0, lt=2**63, description="null: the shipping address")
    shipping_method: str | None = Field(default=None, max_length=32, pattern=r"^[A-Za-z0-9_-]+$",
                                        description="GET /api/cart/shipping-methods; null: the first")
    payment_method: Literal["card", "eft", "wallet"] | None = None
    customer_note: Text | None = Field(default=None, max_length=1000, description="null or blank: none")
    expected_total: Money | None = Field(default=None, description="the grand total the customer saw; 409 "
                                         "price_changed if it differs; null: not checked")
    source: Literal["mobile", "web"] = "web"

    _note = field_validator("customer_note", mode="before")(none_if_blank)


class OrderListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: list[Status] | None = None
    cursor: int | None = Field(default=None, gt=0, lt=2**63, description="next_cursor of the previous page")
    limit: int = Field(default=20, ge=1, le=100)


class OrdersCancelIn(Patch):
    CLEARABLE = frozenset({"reason"})  # an optional reason: null or blank means none

    reason: Line | None = Field(default=None, max_length=255, description="optional; null or blank: none")

    _reason = field_validator("reason", mode="before")(none_if_blank)


class OrderSummary(BaseModel):
    id: int
    order_number: str
    status: Status
    payment_status: str
    currency: str
    grand_total: Decimal
    item_count: int
    placed_at: Timestamp


class OrderPage(BaseModel):
    items: list[OrderSummary]
    next_cursor: int | None = None


class OrderItemOut(BaseModel):
    id: int
    product_id: int
    variation_id: int | None
    name: str
    variation_name: str | None
    sku: str
    barcode: str | None
    options: Any = None
    image_key: str | None
    unit_price: Decimal
    vat_rate: Decimal
    quantity: int
    discount_amount: Decimal
    vat_amount: Decimal
    line_total: Decimal
    returned_quantity: int


class PaymentOut(BaseModel):
    id: int
    provider: str
    method: str
    status: str
    amount: Decimal
    refunded_amount: Decimal
    currency: str
    installment: int
    card_last4: str | None
    card_brand: str | None
    paid_at: Timestamp | None
    created_at: Timestamp


class ShipmentSummary(BaseModel):
    id: int
    carrier: str
    tracking_number: str | None
    tracking_url: str | None
    status: str
    shipped_at: Timestamp | None
    delivered_at: Timestamp | None
    estimated_delivery_at: Timestamp | None


class TimelineEntry(BaseModel):
    from_status: str | None
    to_status: str
    actor_type: str
    actor_user_id: int | None = None
    note: str | None
    created_at: Timestamp


class OrderOut(BaseModel):
    id: int
    order_number: str
    user_id: int | None
    status: Status
    payment_status: str
    payment_method: str | None
    currency: str
    subtotal: Decimal
    discount_total: Decimal
    shipping_total: Decimal
    shipping_method: str | None
    vat_total: Decimal
    grand_total: Decimal
    paid_total: Decimal
    refunded_total: Decimal
    discounts: list[dict[str, Any]]
    shipping_address: dict[str, Any] | None
    billing_address: dict[str, Any] | None
    contact_email: str | None
    customer_note: str | None
    reserved_until: Timestamp | None = Field(description="an unpaid order is cancelled after this")
    source: str
    placed_at: Timestamp
    paid_at: Timestamp | None
    shipped_at: Timestamp | None
    delivered_at: Timestamp | None
    cancelled_at: Timestamp | None
    cancel_reason: str | None
    items: list[OrderItemOut]
    payments: list[PaymentOut]
    shipments: list[ShipmentSummary]
    timeline: list[TimelineEntry]
    can_cancel: bool
    can_return: bool
    version: int
    created_at: Timestamp
    updated_at: Timestamp


class TrackingStep(BaseModel):
    status: str
    reached_at: Timestamp | None
    done: bool


class TrackingOut(BaseModel):
    order_id: int
    order_number: str
    status: Status
    steps: list[TrackingStep]
    shipments: list[ShipmentSummary]
    reserved_until: Timestamp | None


assert set(Status.__args__) == set(states.STATUSES)  # type: ignore[attr-defined]
