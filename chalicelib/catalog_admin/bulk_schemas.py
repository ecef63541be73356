"""The API contract of the bulk routes: POST /api/admin/products/bulk, /import and GET /export."""
from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from chalicelib.platform.fields import Line

from . import values
from .schemas import Status

MAX_BULK_IDS = 5000
# API Gateway (REST, Lambda proxy) refuses request bodies over 10 MB and Lambda over 6 MB, so a
# base64 file (4/3 of its size) must stay under ~4.4 MB; bigger files belong in S3 (later).
MAX_IMPORT_BYTES = 4_400_000
MAX_IMPORT_BASE64 = (MAX_IMPORT_BYTES * 4) // 3 + 4


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class _Out(BaseModel):
    model_config = ConfigDict(defer_build=True)


class BulkFilter(_In):
    status: Status | None = None
    category_id: int | None = Field(default=None, ge=1, description="includes sub-categories")
    brand_id: int | None = Field(default=None, ge=1)
    q: Line | None = Field(default=None, min_length=1, max_length=100,
                           description="as q of GET /api/admin/products (NFC-normalised)")


class BulkPrice(_In):
    mode: Literal["set", "percent", "amount"] = Field(
        description="set: the new price; percent: +10 raises by 10 %, -15 lowers by 15 %; amount: +/- lira")
    value: Decimal = Field(ge=-values.MAX_PRICE, le=values.MAX_PRICE, decimal_places=2)
    rounding: Literal["0.01", "0.90"] = Field(default="0.01", description="to the cent, or to the nearest ,90 ending")


class BulkStock(_In):
    mode: Literal["set", "delta"]
    value: int = Field(ge=-values.MAX_STOCK, le=values.MAX_STOCK)
    reason: Line = Field(min_length=1, max_length=255)


class BulkIn(_In):
    """One action on one selection, all or nothing.  Select with exactly one of product_ids,
    variation_ids or filter.  Price and stock act on variations (by product: every active
    variation of it; a price change by product also moves the product's base price); status
    acts on products."""

    action: Literal["price", "stock", "status"]
    product_ids: list[int] | None = Field(default=None, min_length=1, max_length=MAX_BULK_IDS)
    variation_ids: list[int] | None = Field(default=None, min_length=1, max_length=MAX_BULK_IDS)
    filter: BulkFilter | None = None
    price: BulkPrice | None = None
    stock: BulkStock | None = None
    status: Status | None = None


class BulkOut(_Out):
    action: str
    matched_products: int
    matched_variations: int
    changed: int = Field(description="rows whose value actually changed")


class ImportIn(_In):
    """A CSV or XLSX file, one row per variation, upserted by SKU.  Columns (Turkish or English
    header, case and accents ignored): sku, barkod / barcode, urun_slug / slug (rows with one
    slug are one product), ad / name, varyant / variant, marka / brand, kategori / category
    ("Kamp > Uyku"), fiyat / price ("1.249,90" or "1249.90"), stok / stock, durum / status
    (aktif, taslak, arşiv).  Empty cells leave values unchanged; unknown columns are ignored.
    The same columns as GET /api/admin/products/export."""

    format: Literal["csv", "xlsx"]
    content: str = Field(min_length=1, max_length=MAX_IMPORT_BASE64, description="the file, base64-encoded")
    dry_run: bool = Field(default=False, description="validate and report only; change nothing")


class ImportOut(_Out):
    dry_run: bool
    rows: int
    products_created: int
    products_updated: int
    variations_created: int
    variations_updated: int
    unchanged_rows: int
    stock_changes: int
    price_changes: int
    ignored_columns: list[str]


class ExportQuery(_In):
    format: Literal["csv", "xlsx"] = "csv"
    status: Status | None = None
    category_id: int | None = Field(default=None, ge=1)
    brand_id: int | None = Field(default=None, ge=1)


class ExportFile(RootModel[str]):
    """The export file itself (not JSON): CSV text, UTF-8 with a BOM, ';'-separated, Turkish
    number format; or, with format=xlsx, the XLSX workbook's bytes."""

    model_config = ConfigDict(defer_build=True, json_schema_extra={"format": "binary"})
