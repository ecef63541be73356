"""The checks every feed item passes before it may reach the catalogue (diagram 18's validator).

A row is checked on its own, with no database: required fields, SKU shape, price (a Decimal above
zero with at most two places; "1.249,90", "12.90 TRY" as feeds write them), stock (an int, at
least 0), VAT (Turkey's rates 0, 1, 10, 20), barcode checksum (EAN-8, UPC-A, EAN-13, GTIN-14)
and the category / brand mapping.  What needs the database (an unknown category or brand name,
a barcode another variation holds, stock below what open orders hold) the catalogue checks when
the batch arrives, and reports the same way.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from chalicelib.platform.text import fold

VAT_RATES = frozenset({0, 1, 10, 20})
MAX_PRICE = Decimal("999999999999.99")  # DECIMAL(14,2)
MAX_STOCK = 2_000_000_000  # inventory.api.MAX_STOCK: one variation's INT column
GTIN_LENGTHS = frozenset({8, 12, 13, 14})
_SKU = re.compile(r"^[A-Za-z0-9._\-/]{1,64}$")
_CURRENCY = re.compile(r"^\s*(TRY|TL|₺)\s*|\s*(TRY|TL|₺)\s*$", re.IGNORECASE)
OUT_OF_STOCK = frozenset({"out of stock", "out_of_stock", "stokta yok"})


class Problem(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Mappings:
    """A source's category / brand mapping, keyed by folded text (case and Turkish letters)."""

    categories: dict[str, int]
    brands: dict[str, int]

    @classmethod
    def of(cls, categories: Mapping[str, Any] | None, brands: Mapping[str, Any] | None) -> Mappings:
        return cls({fold(k): int(v) for k, v in (categories or {}).items()},
                   {fold(k): int(v) for k, v in (brands or {}).items()})


def gtin_valid(code: str) -> bool:
    """The GS1 mod-10 check digit, shared by EAN-8, UPC-A (12), EAN-13 and GTIN-14."""
    if not code.isascii() or not code.isdigit() or len(code) not in GTIN_LENGTHS:
        return False
    digits = [int(c) for c in code]
    body, check = digits[:-1], digits[-1]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def price(text: str) -> Decimal:
    raw = _CURRENCY.sub("", text).strip().replace(" ", "")
    if "," in raw:  # Turkish writing: 1.249,90
        raw = raw.replace(".", "").replace(",", ".")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise Problem("price", f"not a price: {text[:40]!r}") from None
    if not value.is_finite() or value <= 0:
        raise Problem("price", "the price must be more than 0")
    if value > MAX_PRICE:
        raise Problem("price", "the price is too large")
    if value != value.quantize(Decimal("0.01")):
        raise Problem("price", "the price has more than 2 decimal places")
    return value.quantize(Decimal("0.01"))


def stock(text: str) -> int:
    if not re.fullmatch(r"\d{1,10}", text.strip()):
        raise Problem("stock", f"stock must be a whole number of at least 0: {text[:40]!r}")
    value = int(text)
    if value > MAX_STOCK:
        raise Problem("stock", "stock is too large")
    return value


def vat(text: str) -> int:
    raw = text.strip().strip("%").strip().replace(",", ".")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise Problem("vat", f"not a VAT rate: {text[:40]!r}") from None
    if not value.is_finite() or value != value.to_integral_value() or int(value) not in VAT_RATES:
        raise Problem("vat", f"VAT must be one of {sorted(VAT_RATES)}")
    return int(value)


def _text(fields: Mapping[str, str], name: str, limit: int) -> str | None:
    value = fields.get(name)
    if value is None:
        return None
    value = unicodedata.normalize("NFC", " ".join(value.split()))
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co") for c in value):
        raise Problem(name, "control or invisible formatting characters")
    if len(value) > limit:
        raise Problem(name, f"longer than {limit} characters")
    return value or None


def check(fields: Mapping[str, str], maps: Mappings) -> dict[str, Any]:
    """The row as the catalogue takes it; raises Problem (field, reason) for the first fault."""
    sku = fields.get("sku", "").strip()
    if not sku:
        raise Problem("sku", "the SKU is required")
    if not _SKU.match(sku):
        raise Problem("sku", "SKU: letters, digits and . _ - / only (at most 64)")
    name = _text(fields, "name", 255)
    if name is None:
        raise Problem("name", "the name is required")
    if "price" not in fields:
        raise Problem("price", "the price is required")
    row: dict[str, Any] = {"sku": sku, "name": name, "price": str(price(fields["price"]))}
    if "stock" in fields:
        row["stock"] = stock(fields["stock"])
    elif fields.get("availability", "").strip().lower() in OUT_OF_STOCK:
        row["stock"] = 0
    if "vat" in fields:
        row["vat"] = vat(fields["vat"])
    barcode = fields.get("barcode", "").strip()
    if barcode:
        if not gtin_valid(barcode):
            raise Problem("barcode", "not a valid EAN-13 / EAN-8 / UPC-A / GTIN-14 (check digit)")
        row["barcode"] = barcode
    category = _text(fields, "category", 500)
    if category is None:
        raise Problem("category", "the category is required")
    row.update(_mapped(category, maps.categories, "category"))
    brand = _text(fields, "brand", 150)
    if brand is not None:
        row.update(_mapped(brand, maps.brands, "brand"))
    return row


def _mapped(text: str, mapping: dict[str, int], field: str) -> dict[str, Any]:
    """The mapped id; else the text, which the catalogue resolves by name or path (or rejects)."""
    found = mapping.get(fold(text))
    return {f"{field}_id": found} if found is not None else {field: text}
