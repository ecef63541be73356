"""Sorts of the admin order lists and their keyset cursors (the scheme of
chalicelib/catalog/cursor.py, with the orders' keys).  Pure functions, stdlib only.

Every sort is one key column plus the order id as the tie-breaker, both in one direction, which
is exactly the order of the index the list reads ((tenant_id, created_at) and (tenant_id,
grand_total) carry the primary key as their last part in InnoDB).  "After the last row shown"
is then one range the index can seek to: no OFFSET, no duplicates or gaps however deep.  The
cursor is opaque to clients: base64url of {"s": sort, "k": key, "i": id}; a cursor made for one
sort is refused by another.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

# sort → (column, kind, descending)
SORTS: dict[str, tuple[str, str, bool]] = {
    "newest": ("created_at", "datetime", True),
    "oldest": ("created_at", "datetime", False),
    "amount_desc": ("grand_total", "decimal", True),
    "amount_asc": ("grand_total", "decimal", False),
    # the cancellations queue: refunds waiting longest first, holds running out soonest first
    "refund_pending": ("created_at", "datetime", False),
    "expiring": ("reserved_until", "datetime", False),
}
MAX_CURSOR_LENGTH = 256
# What encode() writes for a DECIMAL(14,2) key.  ASCII digits only: Decimal() alone would also
# read "٢٢" (Arabic-Indic) or "1E+999999" from a forged cursor (issue 9).
_AMOUNT = re.compile(r"-?[0-9]{1,12}(\.[0-9]{1,2})?")


class CursorError(ValueError):
    pass


@dataclass(frozen=True)
class Cursor:
    sort: str
    value: Any
    last_id: int


def encode(sort: str, row: dict[str, Any]) -> str:
    column, kind, _ = SORTS[sort]
    value = row[column]
    dumped = value.isoformat() if kind == "datetime" else str(value)
    raw = json.dumps({"s": sort, "k": dumped, "i": int(row["id"])}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(token: str, sort: str) -> Cursor:
    if not token or len(token) > MAX_CURSOR_LENGTH:
        raise CursorError("bad length")
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise CursorError("not a cursor") from exc
    if not isinstance(data, dict) or data.get("s") != sort:
        raise CursorError("another sort's cursor")
    key, last_id = data.get("k"), data.get("i")
    if not isinstance(key, str) or type(last_id) is not int or not 0 < last_id < 2**63:
        raise CursorError("bad shape")
    return Cursor(sort, _load(key, SORTS[sort][1]), last_id)


def _load(value: str, kind: str) -> Any:
    if kind == "datetime":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError as exc:
            raise CursorError("bad key") from exc
        if moment.tzinfo is not None:  # encode() writes the naive UTC of the column
            raise CursorError("bad key")
        return moment
    if not _AMOUNT.fullmatch(value):
        raise CursorError("bad key")
    return Decimal(value)


def order_by(sort: str, alias: str = "o") -> str:
    column, _, descending = SORTS[sort]
    direction = "DESC" if descending else "ASC"
    return f"{alias}.{column} {direction}, {alias}.id {direction}"


def after(cursor: Cursor, alias: str = "o") -> tuple[str, list[Any]]:
    """SQL for "after the cursor's row" in its sort's order, e.g. for newest

        o.created_at <= %s AND (o.created_at < %s OR (o.created_at = %s AND o.id < %s))

    The leading `<=` lets the optimiser seek the index range instead of filtering."""
    column, _, descending = SORTS[cursor.sort]
    op = "<" if descending else ">"
    col = f"{alias}.{column}"
    return (f"{col} {op}= %s AND ({col} {op} %s OR ({col} = %s AND {alias}.id {op} %s))",
            [cursor.value, cursor.value, cursor.value, cursor.last_id])
