"""Opaque keyset cursors: the sort order's name, the last row's sort value and its id.

    encode("helpful", 12, 345)  →  "WyJoZWxwZnVsIiwxMiwzNDVd"
    decode(that, "helpful", int)  →  Position(value=12, id=345)

A cursor only continues the order it was made for: one of another order (or anything not made
here) decodes to None, which the API answers with a 400 on the `cursor` field.  Values are
ints, or datetimes written as ISO text.
"""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

MAX_CURSOR_LENGTH = 200


@dataclass(frozen=True)
class Position:
    value: int | datetime
    id: int


def encode(order: str, value: int | datetime, row_id: int) -> str:
    plain = value.isoformat(sep=" ") if isinstance(value, datetime) else int(value)
    raw = json.dumps([order, plain, int(row_id)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, order: str, value_type: type[int] | type[datetime]) -> Position | None:
    """The position in `cursor` if it was made for `order` (with a `value_type` value), else None."""
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        return None
    try:
        data: Any = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        return None
    if not (isinstance(data, list) and len(data) == 3 and data[0] == order):
        return None
    _, value, row_id = data
    if not _positive_int(row_id):
        return None
    if value_type is datetime:
        if not isinstance(value, str):
            return None
        try:
            return Position(datetime.fromisoformat(value), row_id)
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) >= 2**63:
        return None
    return Position(value, row_id)


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63
