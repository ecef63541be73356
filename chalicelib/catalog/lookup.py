"""Barcode / SKU / NFC lookup (P11): which active variation a scanned code names.

In a store, a shopper scans the barcode on a tag or taps its NFC chip; the app asks
GET /api/products/lookup?barcode=... (or ?sku=, ?nfc=) and shows that product and variation.

Codes are normalised before they reach SQL, so the unique indexes answer (tenant_id, barcode),
(tenant_id, sku) and (tenant_id, nfc_tag) with one row:

- barcode: EAN-13 with its check digit verified; a 12-digit UPC-A is the same GTIN with a
  leading 0 (its check digit is computed the same way).  A stored 12-digit UPC-A matches too.
- nfc: the tag's UID, 4 to 10 bytes in hex, any case, bare ("04A23B1C") or with ':' between
  the bytes ("04:a2:3b:1c").  Stored tags compare case-insensitively (utf8mb4_unicode_ci); bare
  upper-case hex (`normalise_nfc`) is the canonical form to store; stored ':' and '-' forms
  match too.
- sku: as typed, trimmed (the collation ignores case).

Service and SQL of one small read live together here; the module's messages register into
the platform catalogue on import, as the areas' errors.py modules do.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from chalicelib.platform import i18n
from chalicelib.platform.db import Database, Session
from chalicelib.platform.errors import ApiError, NotFound
from chalicelib.platform.sql import marks
from chalicelib.platform.text import is_valid_ean13

from .service import stock_status

i18n.register(messages={"invalid_barcode": {
    "tr": "Barkod geçersiz: kontrol hanesi doğru bir EAN-13 (13 hane) veya UPC-A (12 hane) kodu girin.",
    "en": "Invalid barcode: send an EAN-13 (13 digits) or UPC-A (12 digits) code with a correct check digit.",
}}, field_messages_tr={
    "barcode_checksum": "Barkodun kontrol hanesi hatalı.",
    "barcode_format": "Barkod 12 (UPC-A) veya 13 (EAN-13) rakamdan oluşmalıdır.",
    "nfc_format": "NFC etiket kimliği 4-10 baytlık onaltılık bir değer olmalıdır (ör. 04:A2:3B:1C).",
    "lookup_one_param": "barcode, sku ve nfc parametrelerinden yalnızca biri gönderilmelidir.",
})

PARAMS = ("barcode", "sku", "nfc")
_DIGITS = re.compile(r"[0-9]+")
_NFC_BARE = re.compile(r"(?:[0-9A-Fa-f]{2}){4,10}")
_NFC_COLONS = re.compile(r"[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){3,9}")
# Which column each kind of code is looked up in: never taken from input.
_COLUMNS = {"barcode": "v.barcode", "sku": "v.sku", "nfc": "v.nfc_tag"}


@dataclass(frozen=True)
class Criterion:
    kind: str  # barcode | sku | nfc
    values: tuple[str, ...]  # equivalent stored forms, canonical first


def _invalid(code: str, field: str, error_type: str, message: str, lang: str) -> ApiError:
    return ApiError(code, status=400, details={"fields": [
        {"field": field, "message": i18n.field_message(error_type, message, lang), "type": error_type}]})


def normalise_barcode(raw: str) -> str:
    """A 13-digit EAN-13 from an EAN-13 or UPC-A code; ValueError (format / checksum) otherwise."""
    code = raw.strip()
    if not _DIGITS.fullmatch(code) or len(code) not in (12, 13):
        raise ValueError("barcode_format")
    code = code.zfill(13)  # UPC-A 036000291452 is EAN-13 0036000291452
    if not is_valid_ean13(code):
        raise ValueError("barcode_checksum")
    return code


def normalise_nfc(raw: str) -> str:
    """Bare upper-case hex of an NFC tag UID; ValueError when it is not 4-10 bytes of hex."""
    tag = raw.strip()
    if not (_NFC_BARE.fullmatch(tag) or _NFC_COLONS.fullmatch(tag)):
        raise ValueError("nfc_format")
    return tag.replace(":", "").upper()


def criterion(query: dict[str, str | None], lang: str) -> Criterion:
    """Exactly one of barcode / sku / nfc (blank values count as absent), normalised."""
    given = {k: v.strip() for k, v in query.items() if k in PARAMS and v is not None and v.strip()}
    if len(given) != 1:
        names = sorted(given) or list(PARAMS)
        raise ApiError("validation_failed", status=400, details={"fields": [
            {"field": name, "type": "lookup_one_param",
             "message": i18n.field_message("lookup_one_param", "Send exactly one of barcode, sku and nfc.", lang)}
            for name in names]})
    kind, value = next(iter(given.items()))
    if kind == "barcode":
        try:
            ean = normalise_barcode(value)
        except ValueError as exc:
            message = "Wrong check digit." if str(exc) == "barcode_checksum" else "Use 12 (UPC-A) or 13 (EAN-13) digits."
            raise _invalid("invalid_barcode", "barcode", str(exc), message, lang) from None
        return Criterion("barcode", (ean, ean[1:]) if ean.startswith("0") else (ean,))
    if kind == "nfc":
        try:
            tag = normalise_nfc(value)
        except ValueError:
            raise _invalid("validation_failed", "nfc", "nfc_format", "An NFC tag id is 4-10 bytes of hex.",
                           lang) from None
        pairs = [tag[i:i + 2] for i in range(0, len(tag), 2)]
        return Criterion("nfc", (tag, ":".join(pairs), "-".join(pairs)))
    return Criterion("sku", (value,))


def find_variation(session: Session, tenant_id: int, found: Criterion) -> dict[str, Any] | None:
    """One statement: the active variation of an active product, with the product's summary and
    its first image (the variation's own image first, if it has one)."""
    return session.one(
        f"""SELECT p.id, p.name, p.slug, b.name AS brand, p.category_id, p.base_price, p.compare_at_price,
                   p.currency, p.total_stock, p.rating_avg, p.rating_count,
                   v.id AS variation_id, v.sku, v.barcode, v.name AS variation_name, v.options, v.price,
                   v.stock, v.reserved, v.low_stock_threshold,
                   (SELECT i.s3_key FROM product_images i
                     WHERE i.tenant_id = p.tenant_id AND i.product_id = p.id
                     ORDER BY (i.variation_id <=> v.id) DESC, i.sort_order, i.id LIMIT 1) AS image
              FROM product_variations v
              JOIN products p FORCE INDEX (PRIMARY) ON p.tenant_id = v.tenant_id AND p.id = v.product_id
              LEFT JOIN brands b ON b.tenant_id = p.tenant_id AND b.id = p.brand_id
             WHERE v.tenant_id = %s AND {_COLUMNS[found.kind]} IN ({marks(found.values)})
               AND v.is_active = 1 AND p.status = 'active'
             ORDER BY v.id LIMIT 1""",
        (tenant_id, *found.values),
    )


def lookup(db: Database, tenant_id: int, found: Criterion) -> dict[str, Any]:
    row = find_variation(db.reader(), tenant_id, found)
    if row is None:
        raise NotFound()
    available = row["stock"] - row["reserved"]
    return {
        "matched_by": found.kind,
        "product": {
            "id": row["id"], "name": row["name"], "slug": row["slug"], "brand": row["brand"],
            "category_id": row["category_id"], "price": row["base_price"], "compare_at_price": row["compare_at_price"],
            "currency": row["currency"], "stock_status": stock_status(row["total_stock"]),
            "rating_avg": row["rating_avg"], "rating_count": row["rating_count"], "image": row["image"],
        },
        "variation": {
            "id": row["variation_id"], "sku": row["sku"], "barcode": row["barcode"], "name": row["variation_name"],
            "options": json.loads(row["options"]) if row["options"] else None, "price": row["price"],
            "stock_status": stock_status(available, row["low_stock_threshold"]), "available": max(available, 0),
        },
    }
