"""What a cart line is worth and whether it can be bought: the rules every cart change checks
and the priced view of a whole cart.  Pure functions over rows (no SQL, no HTTP).

A line is priced at the variation's *live* price (VAT included); `cart_items.unit_price` keeps
the price the customer last saw when adding or changing it, so a line whose price moved since
is flagged (`price_changed`) rather than silently repriced.

Line statuses:
    ok                  buyable in the quantity asked for
    insufficient_stock  on sale, but fewer left than the quantity (the line says how many):
                        counted in the totals at the quantity asked for, so the customer sees
                        what they asked for, and `checkout_ready` is false until they lower it
    unavailable         the product is not active, the variation is switched off, or none is
                        left: still listed (the customer should see what went), left out of
                        the totals (line_total null) and `checkout_ready` is false
The checkout (orders area) refuses a cart that is not checkout-ready, so a total shown here is
a total an order can be placed for, to the kuruş (totals.compute is shared).
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from .totals import Discount, Line, ShippingMethod, compute

MAX_LINE_QUANTITY = 99  # per line; a shop selling by the pallet would raise it
MAX_LINES = 100  # distinct variations in one cart
GUEST_CART_DAYS = 30  # a guest cart lives this long after its last change
LOW_STOCK_DEFAULT = 5

OK, INSUFFICIENT_STOCK, UNAVAILABLE = "ok", "insufficient_stock", "unavailable"


def available(row: dict[str, Any]) -> int:
    """Units free to sell: stock not held by unpaid orders."""
    return max(int(row["stock"]) - int(row["reserved"]), 0)


def on_sale(row: dict[str, Any]) -> bool:
    return row["product_status"] == "active" and bool(row["is_active"])


def line_status(row: dict[str, Any]) -> str:
    left = available(row)
    if not on_sale(row) or left == 0:
        return UNAVAILABLE
    return INSUFFICIENT_STOCK if int(row["quantity"]) > left else OK


def stock_status(left: int, low_threshold: int | None) -> str:
    """The catalogue's stock badge (catalog.state.stock_status), repeated here so the cart
    Lambda does not import the catalogue."""
    if left <= 0:
        return "out_of_stock"
    return "low_stock" if left <= (LOW_STOCK_DEFAULT if low_threshold is None else low_threshold) else "in_stock"


def priced_cart(rows: Sequence[dict[str, Any]], shipping: ShippingMethod | None,
                discounts: Sequence[Discount] = ()) -> dict[str, Any]:
    """The cart as the API shows it, from `repository.cart_lines` rows (one per line; a row with
    a NULL id stands for no line).  Totals come from totals.compute over the buyable lines."""
    lines = [row for row in rows if row.get("id") is not None]
    counted = [row for row in lines if line_status(row) != UNAVAILABLE]
    priced = {row["id"]: Line(int(row["variation_id"]), int(row["product_id"]), int(row["quantity"]),
                              Decimal(row["price"]), Decimal(row["vat_rate"]), row.get("category_id"),
                              row.get("brand_id")) for row in counted}
    totals = compute(list(priced.values()), shipping=shipping, discounts=discounts)
    summaries = [summary() for summary in (getattr(d, "summary", None) for d in discounts) if summary is not None]
    items = [_item(row, priced.get(row["id"])) for row in lines]
    merchandise = totals.subtotal - totals.discount_total
    return {
        "items": items,
        "totals": totals.as_dict(),
        "shipping": _shipping(shipping, merchandise, totals.shipping_total) if shipping is not None else None,
        "line_count": len(items),
        "checkout_ready": bool(items) and all(item["status"] == OK for item in items),
        "promotions": summaries[0] if summaries else None,
    }


def shipping_options(rows: Sequence[dict[str, Any]], methods: Sequence[ShippingMethod]) -> list[dict[str, Any]]:
    """Each method with its fee for these cart lines (free-shipping thresholds apply to the
    merchandise the totals count)."""
    return [priced_cart(rows, method)["shipping"] for method in methods]


def _item(row: dict[str, Any], line: Line | None) -> dict[str, Any]:
    left = available(row)
    price, added = Decimal(row["price"]), row["added_price"]
    return {
        "id": row["id"], "product_id": row["product_id"], "variation_id": row["variation_id"],
        "product_name": row["product_name"], "product_slug": row["product_slug"],
        "variation_name": row["variation_name"],
        "options": json.loads(row["options"]) if row["options"] else None,
        "sku": row["sku"], "image": row["image"], "quantity": row["quantity"],
        "unit_price": price, "added_price": added,
        "price_changed": added is not None and Decimal(added) != price,
        "vat_rate": row["vat_rate"],
        "line_total": line.line_total if line is not None else None,
        "discount_amount": line.discount_amount if line is not None else None,
        "vat_amount": line.vat_amount if line is not None else None,
        "status": line_status(row),
        "available": left if on_sale(row) else 0,
        "max_quantity": min(left, MAX_LINE_QUANTITY) if on_sale(row) else 0,
        "stock_status": stock_status(left if on_sale(row) else 0, row["low_stock_threshold"]),
        "added_at": row["added_at"],
    }


def _shipping(method: ShippingMethod, merchandise: Decimal, fee: Decimal) -> dict[str, Any]:
    remaining = None
    if method.free_over is not None and fee > 0:
        remaining = method.free_over - merchandise  # "add ₺X more for free shipping"
    return {"code": method.code, "name": method.name, "price": method.price, "fee": fee,
            "free_over": method.free_over, "free_shipping_remaining": remaining,
            "min_days": method.min_days, "max_days": method.max_days}
