"""Listing sorts and their keyset cursors.  Pure functions, stdlib only.

Every sort is a list of key columns plus the product id as the final tie-breaker, all in one
direction, so "the rows after the last one shown" is a single row comparison
((k1, k2, id) < (v1, v2, last_id)) that the sort's index can seek to: no OFFSET, no duplicates
or gaps while paging, however deep.  The cursor is that last row's key, opaque to clients:
base64url of a small JSON document naming the sort, so a cursor of one sort is refused by
another (400, field `cursor`).
"""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

# sort → ((column, kind), ...) ; the id follows in the same direction.
SORTS: dict[str, tuple[tuple[str, str], ...]] = {
    "newest": (("created_at", "datetime"),),
    "price_asc": (("base_price", "decimal"),),
    "price_desc": (("base_price", "decimal"),),
    "best_selling": (("sold_count", "int"),),
    "rating": (("rating_avg", "decimal"), ("rating_count", "int")),
    "relevance": (("score", "int"),),
}
ASCENDING = {"price_asc"}
MAX_CURSOR_LENGTH = 512


class CursorError(ValueError):
    pass


@dataclass(frozen=True)
class Cursor:
    sort: str
    values: tuple[Any, ...]  # one per key column of the sort
    last_id: int


def encode(sort: str, row: dict[str, Any]) -> str:
    values = [_dump(row[column], kind) for column, kind in SORTS[sort]]
    raw = json.dumps({"s": sort, "k": values, "i": int(row["id"])}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(token: str, sort: str) -> Cursor:
    """The cursor for `sort`, or CursorError when it is malformed or made for another sort."""
    if not token or len(token) > MAX_CURSOR_LENGTH:
        raise CursorError("bad length")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise CursorError("not a cursor") from exc
    if not isinstance(data, dict) or data.get("s") != sort:
        raise CursorError("another sort's cursor")
    keys, last_id = data.get("k"), data.get("i")
    columns = SORTS[sort]
    if not isinstance(keys, list) or len(keys) != len(columns) or type(last_id) is not int or last_id < 1:
        raise CursorError("bad shape")
    return Cursor(sort, tuple(_load(value, kind) for value, (_, kind) in zip(keys, columns, strict=True)), last_id)


def _dump(value: Any, kind: str) -> Any:
    if kind == "datetime":
        return value.isoformat() if isinstance(value, datetime) else str(value)
    if kind == "decimal":
        return str(value)
    return int(value)


def _load(value: Any, kind: str) -> Any:
    try:
        if kind == "datetime" and isinstance(value, str):
            return datetime.fromisoformat(value)
        if kind == "decimal" and isinstance(value, str):
            number = Decimal(value)
            if number.is_finite():
                return number
        if kind == "int" and type(value) is int:
            return value
    except (ValueError, InvalidOperation) as exc:
        raise CursorError("bad key") from exc
    raise CursorError("bad key")


def keyset_condition(columns: list[str], values: tuple[Any, ...], last_id: int, id_column: str,
                     descending: bool) -> tuple[str, list[Any]]:
    """SQL for "after (values, last_id)" in the sort's order, e.g. for two keys descending

        a <= %s AND (a < %s OR (a = %s AND (b < %s OR (b = %s AND id < %s))))

    The leading `a <= %s` lets the optimiser seek the index range instead of filtering."""
    op = "<" if descending else ">"
    keys = [*columns, id_column]
    vals = [*values, last_id]
    sql, params = f"{keys[-1]} {op} %s", [vals[-1]]
    for column, value in zip(reversed(keys[:-1]), reversed(vals[:-1]), strict=True):
        sql = f"({column} {op} %s OR ({column} = %s AND {sql}))"
        params = [value, value, *params]
    return f"{keys[0]} {op}= %s AND {sql}", [vals[0], *params]
