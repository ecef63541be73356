"""Reading and writing the product spreadsheet (CSV and XLSX).  Pure: bytes in, rows out.

One row per variation.  Columns (Turkish or English header; case, accents, spaces and
underscores do not matter, so "Barkod", "BARKOD" and "barkod" are one column):

| column (tr / en)         | meaning                                                            |
|--------------------------|--------------------------------------------------------------------|
| sku / sku (stok_kodu)    | the variation's SKU: the key; an existing SKU is updated            |
| barkod / barcode         | EAN-13 with a valid check digit; empty leaves it unchanged          |
| urun_slug / slug         | the product's SEO slug: rows with the same slug are one product      |
| ad / name (urun_adi)     | product name (required for a new product)                           |
| varyant / variant        | the variation's name ("L / Haki")                                   |
| marka / brand            | brand name (or slug) of an existing brand                           |
| kategori / category      | category path "Kamp > Uyku > Şişme Yatak" (or a unique name, a slug) |
| fiyat / price            | the variation's price: "1.249,90" or "1249.90" (required when new)  |
| stok / stock             | on-hand stock to set (a whole number)                               |
| durum / status           | aktif / taslak / arşiv (active / draft / archived)                  |

Other columns are ignored (and named in the answer).  An empty cell leaves the value as it is.
CSV: UTF-8 (a BOM is fine; Windows-1254 is accepted too), separated by ';', ',' or tab (the
header line decides).  XLSX: the first worksheet, headers in row 1.
Export writes the same columns, Turkish headers for Turkish callers and English otherwise;
CSV as UTF-8 with a BOM (so Excel shows ş, ğ, İ correctly), ';' and "1249,90" for Turkish
callers (what a Turkish Excel expects), ',' and "1249.90" otherwise.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from chalicelib.platform.text import fold

COLUMNS = ("sku", "barcode", "slug", "name", "variant", "brand", "category", "price", "stock", "status")
HEADERS = {
    "tr": {"sku": "sku", "barcode": "barkod", "slug": "urun_slug", "name": "ad", "variant": "varyant",
           "brand": "marka", "category": "kategori", "price": "fiyat", "stock": "stok", "status": "durum"},
    "en": {c: c for c in COLUMNS},
}
_ALIASES = {
    "sku": ("sku", "stokkodu", "stokkod", "urunkodu", "varyantkodu"),
    "barcode": ("barcode", "barkod", "ean", "ean13", "gtin"),
    "slug": ("slug", "urunslug", "productslug", "seo", "seourl"),
    "name": ("name", "ad", "adi", "urunadi", "urun", "productname", "product"),
    "variant": ("variant", "variation", "varyant", "varyasyon", "secenek", "varyantadi"),
    "brand": ("brand", "marka"),
    "category": ("category", "kategori"),
    "price": ("price", "fiyat", "satisfiyati", "fiyattl"),
    "stock": ("stock", "stok", "adet", "miktar", "stokadedi"),
    "status": ("status", "durum", "durumu"),
}
ALIAS_TO_COLUMN = {alias: column for column, aliases in _ALIASES.items() for alias in aliases}
CATEGORY_SEPARATOR = " > "
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


class Unreadable(ValueError):
    """The bytes are not a CSV / XLSX file we can read."""


@dataclass
class Sheet:
    header_row: list[str]
    columns: dict[str, int]  # our column → index in a row
    ignored: list[str]  # header cells we do not know
    duplicates: list[str]  # our columns named twice
    rows: list[tuple[int, list[Any]]]  # (spreadsheet row number, cells), empty rows left out


def column_of(header: object) -> str | None:
    key = fold(str(header or "")).replace(" ", "")
    return ALIAS_TO_COLUMN.get(key)


def _sheet(raw_rows: Iterable[list[Any]], max_rows: int) -> Sheet:
    iterator = iter(raw_rows)
    header = next(iterator, None)
    if header is None:
        return Sheet([], {}, [], [], [])
    header_row = ["" if h is None else str(h).strip() for h in header]
    columns: dict[str, int] = {}
    ignored, duplicates = [], []
    for index, cell in enumerate(header_row):
        column = column_of(cell)
        if column is None:
            if cell:
                ignored.append(cell)
        elif column in columns:
            duplicates.append(cell)
        else:
            columns[column] = index
    rows = []
    for number, cells in enumerate(iterator, start=2):
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        rows.append((number, list(cells)))
        if len(rows) > max_rows:
            break
    return Sheet(header_row, columns, ignored, duplicates, rows)


def read_csv(data: bytes, max_rows: int) -> Sheet:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1254", errors="strict") if _is_cp1254(data) else ""
        if not text:
            raise Unreadable("not UTF-8 or Windows-1254 text") from None
    if "\x00" in text:
        raise Unreadable("binary data")
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _sheet(([c if c.strip() else None for c in row] for row in reader), max_rows)
    except csv.Error as exc:
        raise Unreadable(str(exc)) from exc


def _is_cp1254(data: bytes) -> bool:
    try:
        data.decode("cp1254")
    except UnicodeDecodeError:
        return False
    return True


def read_xlsx(data: bytes, max_rows: int) -> Sheet:
    import zipfile

    from openpyxl import load_workbook  # lazy: ~100 ms of import, only for XLSX requests

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise Unreadable(type(exc).__name__) from exc
    try:
        sheet = workbook.worksheets[0]
        return _sheet(([c for c in row] for row in sheet.iter_rows(values_only=True)), max_rows)
    finally:
        workbook.close()


def cell_text(value: Any) -> str | None:
    """A cell as text (None when empty).  Whole floats lose their '.0' (a barcode typed as a number)."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


# -- writing -------------------------------------------------------------------------------------
def _money_text(value: Decimal, lang: str) -> str:
    text = f"{value:.2f}"
    return text.replace(".", ",") if lang == "tr" else text


def write_csv(rows: list[dict[str, Any]], lang: str) -> str:
    headers = HEADERS["tr" if lang == "tr" else "en"]
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";" if lang == "tr" else ",", lineterminator="\r\n")
    writer.writerow([headers[c] for c in COLUMNS])
    for row in rows:
        writer.writerow(["" if row[c] is None else _money_text(row[c], lang) if c == "price" else row[c]
                         for c in COLUMNS])
    return "\ufeff" + out.getvalue()


def write_xlsx(rows: list[dict[str, Any]], lang: str) -> bytes:
    from openpyxl import Workbook  # lazy, as above
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("urunler" if lang == "tr" else "products")
    headers = HEADERS["tr" if lang == "tr" else "en"]
    sheet.append([headers[c] for c in COLUMNS])
    for row in rows:
        cells: list[Any] = []
        for column in COLUMNS:
            value = row[column]
            if column == "price" and value is not None:
                cell = WriteOnlyCell(sheet, value=Decimal(value))
                cell.number_format = "#,##0.00"
                cells.append(cell)
            else:
                cells.append(value)  # sku and barcode stay text: no 8.69E+12 for a barcode
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
