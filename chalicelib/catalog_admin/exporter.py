"""Spreadsheet export: the import's columns (spreadsheet.py), one row per variation.

A Lambda answers with at most ~6 MB, so the export is built in memory and refused with 413
(`export_too_large`, "filter by status, category or brand") above MAX_EXPORT_BYTES; a full
catalogue beyond that would be written to S3 and handed out as a presigned link (later).
Importing an unchanged export changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from chalicelib.platform.db import Database
from chalicelib.platform.errors import ApiError

from . import product_repository as prepo
from . import repository as repo
from . import spreadsheet as sheetmod
from .importer import category_path_text
from .products import filter_clause
from .values import STATUS_LABELS

MAX_EXPORT_ROWS = 60_000
MAX_EXPORT_BYTES = 5_000_000  # before base64 (XLSX) grows it by a third; Lambda's cap is 6 MB


@dataclass(frozen=True)
class ExportFile:
    body: str | bytes
    media_type: str
    filename: str


def _too_large() -> ApiError:
    return ApiError("export_too_large", status=413, details={"max_rows": MAX_EXPORT_ROWS,
                                                             "max_bytes": MAX_EXPORT_BYTES})


def rows_for_export(db: Database, tenant_id: int, filters: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    session = db.session()
    where, params = filter_clause(session, tenant_id, filters)
    rows = prepo.export_rows(session, tenant_id, where, params, MAX_EXPORT_ROWS + 1)
    if len(rows) > MAX_EXPORT_ROWS:
        raise _too_large()
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
    if len(body) > MAX_EXPORT_BYTES:
        raise _too_large()
    return ExportFile(body, media_type, name)
