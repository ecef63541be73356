"""Cart and order totals, computed in one place (issue 5 item 1).

Turkish consumer prices include VAT (KDV), so a line's price *is* what the customer pays; the
VAT inside it is worked out backwards per rate: vat = gross - gross / (1 + rate/100).  The
cart view, the checkout and (later) the campaign engine all call `compute()`, so a total shown
in the cart is the total the order is created with, to the kuruş.

Discounts plug in as `Discount` objects (campaigns, coupons, flash deals are a later issue):
each looks at the lines and returns adjustments; `compute` caps their sum at the merchandise
subtotal (discounts never stack into a free or negative order, nor eat the shipping fee),
spreads each order-level amount over the lines in proportion to their value (so the VAT base
shrinks with it, as the invoice must show) and only then decides free shipping, on the
discounted amount.

All arithmetic is Decimal, rounded half-up to kuruş at the line level; totals are sums of
rounded lines, so invoice lines always add up to the invoice total.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
SHIPPING_VAT_RATE = Decimal("20.00")  # cargo services carry the standard rate


def money(value: Any) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def vat_inside(gross: Decimal, rate: Decimal) -> Decimal:
    """The VAT contained in a VAT-inclusive amount."""
    if gross <= 0 or rate <= 0:
        return ZERO
    return money(gross - gross / (1 + rate / 100))


@dataclass
class Line:
    variation_id: int
    product_id: int
    quantity: int
    unit_price: Decimal  # VAT included, the live price (cart) or the snapshot (order)
    vat_rate: Decimal
    category_id: int | None = None  # what promotions match on (campaigns)
    brand_id: int | None = None
    gift: bool = False  # added by a promotion (its full price comes off as a discount)
    # Filled by compute():
    discount_amount: Decimal = ZERO
    line_total: Decimal = ZERO  # quantity × unit_price − discount_amount
    vat_amount: Decimal = ZERO

    @property
    def gross(self) -> Decimal:
        return money(self.unit_price * self.quantity)


@dataclass(frozen=True)
class Adjustment:
    code: str  # e.g. "coupon:KAMP10", "flash:42"
    label: str
    amount: Decimal  # positive: taken off the order
    variation_id: int | None = None  # None: order-level, spread over the lines


class Discount(Protocol):
    def adjustments(self, lines: Sequence[Line], subtotal: Decimal) -> list[Adjustment]: ...


@dataclass(frozen=True)
class Effects:
    """What a promotion does besides taking money off lines (campaigns: a gift item, free shipping)."""

    gifts: tuple[Line, ...] = ()  # lines to add, marked gift=True; the discount that frees them comes
    # from the same object's adjustments()
    free_shipping: Adjustment | None = None  # who waived the shipping fee (amount: ignored)


class Promotions(Discount, Protocol):
    """A Discount that may also add gift lines and waive the shipping fee; compute() asks it first."""

    def effects(self, lines: Sequence[Line]) -> Effects: ...


@dataclass(frozen=True)
class ShippingMethod:
    code: str
    name: str
    price: Decimal
    free_over: Decimal | None = None  # free when discounted merchandise reaches this
    min_days: int = 1
    max_days: int = 3

    def fee(self, merchandise: Decimal) -> Decimal:
        if self.free_over is not None and merchandise >= self.free_over:
            return ZERO
        return money(self.price)


@dataclass
class Totals:
    lines: list[Line]
    subtotal: Decimal  # sum of quantity × unit price
    discount_total: Decimal
    shipping_total: Decimal
    vat_total: Decimal
    grand_total: Decimal
    item_count: int
    shipping_method: str | None
    discounts: list[Adjustment] = field(default_factory=list)
    shipping_discount: Decimal = ZERO  # the fee a promotion waived (not in discount_total)
    free_shipping_by: Adjustment | None = None
    vat_breakdown: dict[str, dict[str, Decimal]] = field(default_factory=dict)  # rate → base, vat

    def as_dict(self) -> dict[str, Any]:
        return {
            "subtotal": self.subtotal, "discount_total": self.discount_total,
            "shipping_total": self.shipping_total, "vat_total": self.vat_total,
            "grand_total": self.grand_total, "item_count": self.item_count,
            "shipping_method": self.shipping_method,
            "discounts": grouped(self.discounts),
            "shipping_discount": self.shipping_discount,
            "vat_breakdown": self.vat_breakdown,
        }


def grouped(adjustments: Sequence[Adjustment]) -> list[dict[str, Any]]:
    """One entry per discount code, in the order they came (a promotion spread over three lines is
    one entry with the sum of its three parts)."""
    out: dict[str, dict[str, Any]] = {}
    for a in adjustments:
        entry = out.setdefault(a.code, {"code": a.code, "label": a.label, "amount": ZERO})
        entry["amount"] += a.amount
    return list(out.values())


def compute(lines: Sequence[Line], *, shipping: ShippingMethod | None = None,
            discounts: Sequence[Discount] = ()) -> Totals:
    lines = [line for line in lines if not line.gift]
    waiver: Adjustment | None = None
    for discount in discounts:
        effects = getattr(discount, "effects", None)
        if effects is not None:
            done: Effects = effects(lines)
            lines.extend(done.gifts)
            waiver = waiver or done.free_shipping
    subtotal = sum((line.gross for line in lines), ZERO)
    applied = _allocate(lines, _applied(lines, subtotal, discounts))
    discount_total = sum((line.discount_amount for line in lines), ZERO)
    merchandise = subtotal - discount_total
    fee = shipping.fee(merchandise) if shipping is not None and lines else ZERO
    shipping_discount = fee if waiver is not None else ZERO
    shipping_total = fee - shipping_discount

    breakdown: dict[str, dict[str, Decimal]] = {}
    for line in lines:
        line.line_total = line.gross - line.discount_amount
        line.vat_amount = vat_inside(line.line_total, line.vat_rate)
        _add(breakdown, line.vat_rate, line.line_total, line.vat_amount)
    shipping_vat = vat_inside(shipping_total, SHIPPING_VAT_RATE)
    if shipping_total:
        _add(breakdown, SHIPPING_VAT_RATE, shipping_total, shipping_vat)
    vat_total = sum((part["vat"] for part in breakdown.values()), ZERO)
    return Totals(lines=lines, subtotal=subtotal, discount_total=discount_total, shipping_total=shipping_total,
                  vat_total=vat_total, grand_total=merchandise + shipping_total,
                  item_count=sum(line.quantity for line in lines),
                  shipping_method=shipping.code if shipping is not None else None,
                  discounts=applied, vat_breakdown=breakdown, shipping_discount=shipping_discount,
                  free_shipping_by=waiver if shipping_discount else None)


def _applied(lines: list[Line], subtotal: Decimal, discounts: Sequence[Discount]) -> list[Adjustment]:
    """Adjustments in the order given, each cut to what is left of the subtotal."""
    left = subtotal
    applied: list[Adjustment] = []
    for discount in discounts:
        for adj in discount.adjustments(lines, subtotal):
            amount = min(money(adj.amount), left)
            if amount > 0:
                applied.append(Adjustment(adj.code, adj.label, amount, adj.variation_id))
                left -= amount
    return applied


def _allocate(lines: list[Line], applied: list[Adjustment]) -> list[Adjustment]:
    """Put every adjustment on lines: a line-level one on its line (capped at what the line has
    left), an order-level one spread by line value, the rounding remainder on the largest line.
    Returns the adjustments with the amounts that actually landed (a line-level discount larger
    than its line shrinks to the line), so the listed discounts add up to discount_total."""
    for line in lines:
        line.discount_amount = ZERO
    landed: list[Adjustment] = []
    for adj in applied:
        given = ZERO
        if adj.variation_id is not None:
            for line in lines:
                if line.variation_id == adj.variation_id:
                    part = min(adj.amount - given, line.gross - line.discount_amount)
                    line.discount_amount += part
                    given += part
        else:
            open_lines = [line for line in lines if line.gross - line.discount_amount > 0]
            base = sum((line.gross - line.discount_amount for line in open_lines), ZERO)
            if base > 0:
                amount = min(adj.amount, base)
                shares = [money(amount * (line.gross - line.discount_amount) / base) for line in open_lines]
                shares[max(range(len(open_lines)), key=lambda i: open_lines[i].gross - open_lines[i].discount_amount)] \
                    += amount - sum(shares, ZERO)
                for line, share in zip(open_lines, shares, strict=True):
                    part = min(share, line.gross - line.discount_amount)
                    line.discount_amount += part
                    given += part
        if given > 0:
            landed.append(Adjustment(adj.code, adj.label, given, adj.variation_id))
    return landed


def _add(breakdown: dict[str, dict[str, Decimal]], rate: Decimal, gross: Decimal, vat: Decimal) -> None:
    key = str(money(rate))
    part = breakdown.setdefault(key, {"base": ZERO, "vat": ZERO})
    part["base"] += gross - vat
    part["vat"] += vat
