"""What an invoice says: number, seller, buyer, lines, VAT per rate, totals.  Pure functions over
rows (no SQL, no HTTP), shared by issuing (service.issue_invoice) and printing (render.py).

Amounts come from the order as it was snapshotted at checkout (order_items are VAT-inclusive
line snapshots computed by cart.totals), never recomputed from today's prices.  The invoice
only re-adds them and refuses an order whose lines do not add up to its totals: a wrong
invoice is worse than a late one.
"""
from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from chalicelib.cart.api import SHIPPING_VAT_RATE, ZERO, money, vat_inside
from chalicelib.orders import api as orders
from chalicelib.platform.logging import get_logger
from chalicelib.platform.text import fold

from .errors import TotalsMismatch

log = get_logger("invoices")

# A sale invoice is issued once the money is in and the order was not cancelled.  An order
# refunded after a return was still sold: its late invoice is a sale invoice too (the return
# gets its own document).
INVOICEABLE_STATUSES = frozenset({
    orders.PAID, orders.PREPARING, orders.SHIPPED, orders.DELIVERED,
    orders.RETURN_REQUESTED, orders.RETURNED, orders.REFUNDED,
})
PAID_PAYMENT_STATUSES = frozenset({"paid", "partially_refunded", "refunded"})

# GİB e-Arşiv numbering: 3 alphanumeric characters, the 4-digit year, a 9-digit sequence.
PREFIX = re.compile(r"^[A-Z0-9]{3}$")
MAX_SEQUENCE = 999_999_999
# What GİB's e-Arşiv rules print for a consumer whose T.C. kimlik number is not known.
UNKNOWN_NATIONAL_ID = "11111111111"
PAYMENT_METHODS = {"card": "Kredi Kartı", "eft": "Havale / EFT", "wallet": "Cüzdan"}
# Field names the addresses area seals VKN / TCKN under (addresses.service.*_FIELD, the
# associated data of the AES-GCM seal): a snapshot's sealed values open only with these.
SEALED_TAX_NUMBER = "address.tax_number"
SELLER_FIELDS = ("legal_name", "tax_office", "tax_number", "address", "phone", "email", "mersis_no",
                 "trade_registry_no", "website")
MAX_SELLER_FIELD = 300


# -- eligibility and numbering ------------------------------------------------------------------
def invoiceable(order: Mapping[str, Any]) -> bool:
    return order["status"] in INVOICEABLE_STATUSES and order["payment_status"] in PAID_PAYMENT_STATUSES


def prefix_for(slug: str, invoice_settings: Mapping[str, Any]) -> str:
    """settings.invoice.prefix when it is 3 of A-Z / 0-9; otherwise from the slug ('huglu' → 'HUG')."""
    configured = invoice_settings.get("prefix")
    if isinstance(configured, str) and PREFIX.match(configured):
        return configured
    if configured:
        log.warning("invoice prefix in tenant settings is not 3 of A-Z/0-9; using the slug's", extra={"slug": slug})
    letters = re.sub(r"[^A-Za-z0-9]", "", fold(slug)).upper()
    return (letters + "XXX")[:3]


def invoice_number(prefix: str, year: int, sequence: int) -> str:
    """'HUG2026000000123'."""
    if not PREFIX.match(prefix) or not 1 <= sequence <= MAX_SEQUENCE or not 2000 <= year <= 9999:
        raise ValueError(f"cannot number invoice {prefix!r}/{year}/{sequence}")
    return f"{prefix}{year:04d}{sequence:09d}"


# -- parties ---------------------------------------------------------------------------------
def seller_snapshot(tenant: Mapping[str, Any]) -> dict[str, Any]:
    """The issuer as printed: tenants.name unless settings.invoice.legal_name says otherwise, and
    the tax office / VKN / address / contacts of settings.invoice (blank when not configured)."""
    configured = invoice_settings(tenant)
    seller = {name: _setting_text(configured.get(name)) for name in SELLER_FIELDS}
    seller["legal_name"] = seller["legal_name"] or str(tenant["name"])
    seller["address"] = seller["address"] or "Türkiye"
    return seller


def invoice_settings(tenant: Mapping[str, Any]) -> Mapping[str, Any]:
    """The tenant's settings.invoice section ({} when absent or not an object)."""
    section = (tenant.get("settings") or {}).get("invoice")
    return section if isinstance(section, Mapping) else {}


def _setting_text(value: Any) -> str:
    # Settings are free-form JSON: print one tidy line of each, whatever was stored.
    if value is None or isinstance(value, (dict, list)):
        return ""
    return " ".join(str(value).split())[:MAX_SELLER_FIELD]


def buyer_snapshot(billing: Mapping[str, Any] | None, shipping: Mapping[str, Any] | None,
                   contact_email: str | None) -> dict[str, Any]:
    """The buyer from the order's billing snapshot (addresses.service.order_snapshot's shape),
    or the delivery snapshot when the order has no separate billing address.

    Corporate: company, tax office and the VKN in full (the buyer deducts the VAT with it).
    Individual: name and the T.C. kimlik number masked, never in full."""
    source = billing or shipping or {}
    corporate = source.get("billing_kind") == "corporate"
    person = " ".join(p for p in (source.get("first_name"), source.get("last_name")) if p)
    buyer: dict[str, Any] = {
        "kind": "corporate" if corporate else "individual",
        "name": (source.get("company_name") if corporate else None) or person or "-",
        "contact_name": person or None,
        "address": postal_address(source),
        "email": contact_email,
    }
    if corporate:
        buyer["tax_office"] = source.get("tax_office")
        buyer["tax_number"] = _tax_number(source)
    else:
        buyer["national_id_masked"] = source.get("national_id_masked") or None
    return buyer


def _tax_number(snapshot: Mapping[str, Any]) -> str | None:
    sealed = (snapshot.get("sealed") or {}).get("tax_number")
    if sealed:
        from chalicelib.platform.crypto import open_sealed  # only issuing opens it: cryptography is lazy

        return open_sealed(base64.b64decode(sealed), SEALED_TAX_NUMBER)
    return snapshot.get("tax_number") or snapshot.get("tax_number_masked")


def postal_address(snapshot: Mapping[str, Any]) -> str:
    street = ", ".join(str(snapshot[k]) for k in ("mahalle", "address_line") if snapshot.get(k))
    town = " ".join(str(snapshot[k]) for k in ("posta_kodu", "ilce") if snapshot.get(k))
    place = " / ".join(p for p in (town, snapshot.get("il")) if p)
    return " — ".join(p for p in (street, place) if p) or "-"


# -- amounts -----------------------------------------------------------------------------------
def vat_breakdown(items: Sequence[Mapping[str, Any]], shipping_total: Decimal) -> dict[str, dict[str, Decimal]]:
    """Base and VAT per rate ("20.00" → {"base", "vat"}), shipping at the standard rate, as
    cart.totals.compute builds it for the order."""
    breakdown: dict[str, dict[str, Decimal]] = {}
    for item in items:
        _add(breakdown, Decimal(item["vat_rate"]), Decimal(item["line_total"]), Decimal(item["vat_amount"]))
    if shipping_total > 0:
        _add(breakdown, SHIPPING_VAT_RATE, shipping_total, vat_inside(shipping_total, SHIPPING_VAT_RATE))
    return dict(sorted(breakdown.items(), key=lambda kv: Decimal(kv[0])))


def _add(breakdown: dict[str, dict[str, Decimal]], rate: Decimal, gross: Decimal, vat: Decimal) -> None:
    part = breakdown.setdefault(str(money(rate)), {"base": ZERO, "vat": ZERO})
    part["base"] += gross - vat
    part["vat"] += vat


def checked_totals(order: Mapping[str, Any], items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The invoice's totals and VAT breakdown; TotalsMismatch when the lines don't add up to the order."""
    if not items:
        raise TotalsMismatch(f"order {order['id']} has no lines")
    shipping_total = Decimal(order["shipping_total"])
    breakdown = vat_breakdown(items, shipping_total)
    found = {
        "subtotal": sum((money(Decimal(i["unit_price"]) * i["quantity"]) for i in items), ZERO),
        "discount_total": sum((Decimal(i["discount_amount"]) for i in items), ZERO),
        "vat_total": sum((part["vat"] for part in breakdown.values()), ZERO),
        "grand_total": sum((Decimal(i["line_total"]) for i in items), ZERO) + shipping_total,
    }
    wrong = {name: (str(value), str(order[name])) for name, value in found.items() if value != Decimal(order[name])}
    if wrong:
        raise TotalsMismatch(f"order {order['id']}: lines give {wrong} (found, stored)")
    return {**found, "shipping_total": shipping_total, "vat_breakdown": breakdown}


# -- the printable document ------------------------------------------------------------------------
@dataclass(frozen=True)
class PrintLine:
    name: str
    detail: str  # variation and SKU
    quantity: int
    unit_price: Decimal  # VAT included
    discount: Decimal
    vat_rate: Decimal
    vat_amount: Decimal
    line_total: Decimal  # VAT included, after discount


@dataclass(frozen=True)
class Printable:
    number: str
    issued_at: datetime
    order_number: str
    order_date: datetime
    payment_method: str
    currency: str
    seller: Mapping[str, Any]
    buyer: Mapping[str, Any]
    lines: list[PrintLine]
    discounts: list[tuple[str, Decimal]]
    totals: Mapping[str, Decimal]
    breakdown: Mapping[str, Mapping[str, Decimal]]


def printable(invoice: Mapping[str, Any], order: Mapping[str, Any], items: Sequence[Mapping[str, Any]],
              shipping_name: str | None) -> Printable:
    """Everything render.py prints, from the stored invoice (parties, totals) and the order's lines."""
    lines = [PrintLine(
        name=str(i["name"]),
        detail=" · ".join(p for p in (i.get("variation_name") if i.get("variation_name") != i["name"] else None,
                                      f"SKU {i['sku']}") if p),
        quantity=int(i["quantity"]), unit_price=Decimal(i["unit_price"]), discount=Decimal(i["discount_amount"]),
        vat_rate=Decimal(i["vat_rate"]), vat_amount=Decimal(i["vat_amount"]), line_total=Decimal(i["line_total"]),
    ) for i in items]
    shipping = Decimal(invoice["shipping_total"])
    if shipping > 0:
        lines.append(PrintLine(name="Kargo Hizmeti", detail=shipping_name or "", quantity=1, unit_price=shipping,
                               discount=ZERO, vat_rate=SHIPPING_VAT_RATE,
                               vat_amount=vat_inside(shipping, SHIPPING_VAT_RATE), line_total=shipping))
    discounts = [(str(d.get("label") or d.get("code") or "İndirim"), Decimal(str(d["amount"])))
                 for d in (order.get("discounts") or []) if isinstance(d, Mapping) and d.get("amount") is not None]
    totals = {name: Decimal(invoice[name]) for name in
              ("subtotal", "discount_total", "shipping_total", "vat_total", "grand_total")}
    breakdown = {rate: {k: Decimal(str(v)) for k, v in part.items()}
                 for rate, part in (invoice["vat_breakdown"] or {}).items()}
    return Printable(
        number=invoice["invoice_number"], issued_at=invoice["issued_at"], order_number=order["order_number"],
        order_date=order["placed_at"], payment_method=PAYMENT_METHODS.get(order.get("payment_method") or "", "-"),
        currency=invoice["currency"], seller=invoice["seller"] or {}, buyer=invoice["buyer"] or {}, lines=lines,
        discounts=discounts, totals=totals, breakdown=breakdown)
