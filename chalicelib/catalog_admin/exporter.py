"""Spreadsheet export: the import's columns (spreadsheet.py), one row per variation.

A Lambda answers with at most ~6 MB, so the export is built in memory and refused with 413
(`export_too_large`, "filter by status, category or brand") above platform/export.MAX_BYTES; a full
catalogue beyond that would be written to S3 and handed out as a presigned link (later).
Importing an unchanged export changes nothing.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from chalicelib.platform import export
from chalicelib.platform.db import Database
from chalicelib.platform.export import ExportFile

from . import product_repository as prepo
from . import repository as repo
from . import spreadsheet as sheetmod
from .importer import category_path_text
from .products import filter_clause
from .values import STATUS_LABELS

MAX_EXPORT_ROWS = 60_000
TOO_LARGE = "export_too_large"


def rows_for_export(db: Database, tenant_id: int, filters: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    session = db.session()
    where, params = filter_clause(session, tenant_id, filters)
    rows = prepo.export_rows(session, tenant_id, where, params, MAX_EXPORT_ROWS + 1)
    export.check_rows(rows, MAX_EXPORT_ROWS, TOO_LARGE)
    categories = repo.category_names(session, tenant_id)
    labels = STATUS_LABELS["tr" if lang == "tr" else "en"]
    return [{"sku": r["sku"], "barcode": r["barcode"], "slug": r["slug"], "name": r["name"], "variant": r["variant"],
             "brand": r["brand"], "category": category_path_text(int(r["category_id"]), categories),
             "price": r["price"], "stock": r["stock"], "status": labels[r["status"]]} for r in rows]


def export_products(db: Database, tenant_id: int, fmt: str, filters: dict[str, Any], lang: str) -> ExportFile:
    rows = rows_for_export(db, tenant_id, filters, lang)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M")
    name = f"{'urunler' if lang == 'tr' else 'products'}-{stamp}.{fmt}"
    if fmt == "xlsx":
        body: str | bytes = sheetmod.write_xlsx(rows, lang)
        media_type = sheetmod.XLSX_MEDIA_TYPE
    else:
        body = sheetmod.write_csv(rows, lang)
        media_type = sheetmod.CSV_MEDIA_TYPE
    return export.file(body, media_type, name, code=TOO_LARGE, max_rows=MAX_EXPORT_ROWS)
