"""The cart API contract.  Money is Decimal, serialised as a string ("1249.90") like every
other amount of the API (pydantic's JSON mode); quantities are integers."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.platform.fields import Patch, Timestamp

from .lines import MAX_LINE_QUANTITY

LineStatus = Literal["ok", "insufficient_stock", "unavailable"]
StockStatus = Literal["in_stock", "low_stock", "out_of_stock"]


# -- requests -------------------------------------------------------------------------------------
class AddItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    variation_id: int = Field(ge=1, lt=2**63, strict=True)
    quantity: int = Field(default=1, ge=1, le=MAX_LINE_QUANTITY, strict=True,
                          description=f"added to what is already in the cart; 1 to {MAX_LINE_QUANTITY}")


class QuantityIn(Patch):
    """PUT of a line: the quantity is required and never null (remove a line with DELETE)."""

    quantity: int = Field(ge=1, le=MAX_LINE_QUANTITY, strict=True,
                          description=f"the line's new quantity, 1 to {MAX_LINE_QUANTITY} (remove with DELETE)")


class CartQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    shipping_method: str | None = Field(default=None, max_length=32, pattern=r"^[A-Za-z0-9_-]+$",
                                        description="quote this method (GET /api/cart/shipping-methods); "
                                        "default: the shop's first method")
    payment_method: Literal["card", "eft", "wallet"] | None = Field(
        default=None, description="price promotions that ask for a payment method as if paying this way")
    source: Literal["mobile", "web"] | None = Field(default=None, description="the channel the checkout will "
                                                    "name (promotions limited to a channel); default web")


# -- responses ------------------------------------------------------------------------------------
class _Out(BaseModel):
    model_config = ConfigDict(defer_build=True)


class CartItemOut(_Out):
    id: int
    product_id: int
    variation_id: int
    product_name: str
    product_slug: str
    variation_name: str | None
    options: dict[str, Any] | None
    sku: str
    image: str | None = Field(description="S3 key of the thumbnail (the original while none is made yet)")
    quantity: int
    unit_price: Decimal = Field(description="live price, VAT included")
    added_price: Decimal | None = Field(description="the price when the customer last added or changed the line")
    price_changed: bool
    vat_rate: Decimal
    line_total: Decimal | None = Field(description="quantity × unit price − discount; null when unavailable "
                                       "(left out of the totals)")
    discount_amount: Decimal | None
    vat_amount: Decimal | None
    status: LineStatus = Field(description="ok / insufficient_stock (fewer left than the quantity) / "
                               "unavailable (off sale or sold out: listed, not in the totals)")
    available: int = Field(description="units free to sell now")
    max_quantity: int = Field(description="the most this line can be set to now")
    stock_status: StockStatus
    added_at: Timestamp


class AdjustmentOut(_Out):
    code: str
    label: str
    amount: Decimal


class VatPart(_Out):
    base: Decimal
    vat: Decimal


class TotalsOut(_Out):
    subtotal: Decimal
    discount_total: Decimal
    shipping_total: Decimal
    vat_total: Decimal = Field(description="VAT contained in the grand total (prices include VAT)")
    grand_total: Decimal
    item_count: int
    shipping_method: str | None
    discounts: list[AdjustmentOut] = Field(description="one entry per promotion, coupon or flash deal")
    shipping_discount: Decimal = Field(default=Decimal("0.00"), description="the shipping fee a promotion "
                                       "waived (not in discount_total)")
    vat_breakdown: dict[str, VatPart] = Field(description="per VAT rate ('20.00'): net base and VAT")


class ShippingQuoteOut(_Out):
    code: str
    name: str
    price: Decimal = Field(description="the method's fee")
    fee: Decimal = Field(description="what this cart pays (0 over the free-shipping threshold)")
    free_over: Decimal | None
    free_shipping_remaining: Decimal | None = Field(description="merchandise still to add for free shipping")
    min_days: int
    max_days: int


class MergeOut(_Out):
    merged: int
    capped: int
    dropped: int


class AppliedPromotionOut(_Out):
    code: str = Field(description="campaign:<id> or flash:<id>")
    label: str
    coupon: str | None = Field(description="the code that unlocked it, if any")
    discount: Decimal
    free_shipping: bool
    bonus: Decimal = Field(description="HPay bonus credited when the order is delivered")


class RejectedPromotionOut(_Out):
    code: str
    coupon: str | None
    reason: str = Field(description="why it does not apply now: min_subtotal, min_quantity, segment, level, "
                        "first_order, payment_method, channel, not_started, ended, exhausted, budget_exhausted, "
                        "per_customer_limit, no_eligible_lines, not_combinable, floor, gift_unavailable")


class GiftOut(_Out):
    variation_id: int
    product_id: int
    quantity: int
    value: Decimal = Field(description="the gift's price, all of it discounted")


class PromotionsOut(_Out):
    applied: list[AppliedPromotionOut]
    rejected: list[RejectedPromotionOut]
    gifts: list[GiftOut]
    bonus: Decimal = Field(description="HPay bonus this cart earns on delivery")
    floor: Decimal = Field(description="the least the merchandise may cost after every discount")
    capped: bool = Field(description="true when the floor cut a discount")


class CartOut(_Out):
    id: int | None = Field(description="null until the first item is added")
    currency: str
    expires_at: Timestamp | None = Field(description="guest carts only: 30 days after the last change")
    items: list[CartItemOut]
    totals: TotalsOut
    shipping: ShippingQuoteOut | None
    line_count: int
    checkout_ready: bool = Field(description="false while the cart is empty or a line is not ok")
    merged: MergeOut | None = Field(description="set on the call that merged a guest cart in (merge at login)")
    promotions: PromotionsOut | None = Field(default=None, description="what the shop's campaigns did to this "
                                             "cart, and why the others did not apply")


class ShippingMethodList(_Out):
    items: list[ShippingQuoteOut]
