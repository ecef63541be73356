"""A file an export route answers with, and the limit it must stay under.

A Lambda answers with at most ~6 MB, so exports are built in memory and refused with 413 above
MAX_BYTES (before base64, which grows an XLSX by a third).  Each area keeps its own columns and
writer and its own error code (its text says what to filter by); this holds what is the same for
all of them: the file, the row and byte checks, and the 413's details.  Used by the catalogue
export (catalog_admin/exporter.py) and the wallet's ledger export (wallet/admin_service.py).
"""
from __future__ import annotations

from collections.abc import Sized
from typing import NamedTuple

from .errors import ApiError

MAX_BYTES = 5_000_000


class ExportFile(NamedTuple):
    body: str | bytes
    media_type: str
    filename: str


def too_large(code: str, max_rows: int, max_bytes: int = MAX_BYTES) -> ApiError:
    return ApiError(code, status=413, details={"max_rows": max_rows, "max_bytes": max_bytes})


def check_rows(rows: Sized, max_rows: int, code: str) -> None:
    """413 `code` when the query found more than `max_rows` (read max_rows + 1 to know)."""
    if len(rows) > max_rows:
        raise too_large(code, max_rows)


def file(body: str | bytes, media_type: str, filename: str, *, code: str, max_rows: int) -> ExportFile:
    """The finished file, or 413 `code` when it is over MAX_BYTES."""
    if len(body) > MAX_BYTES:
        raise too_large(code, max_rows)
    return ExportFile(body, media_type, filename)
