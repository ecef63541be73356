"""Opaque keyset cursors of the staff queue: the last row's (created_at, id), base64 JSON."""
from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime


def encode_cursor(created_at: datetime, row_id: int) -> str:
    raw = json.dumps([created_at.isoformat(sep=" "), row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    """The position in `cursor`, or None for anything `encode_cursor` did not make."""
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        created, row_id = value
        if not (isinstance(created, str) and isinstance(row_id, int) and not isinstance(row_id, bool)
                and 0 < row_id < 2**63):
            return None
        moment = datetime.fromisoformat(created)
    except (ValueError, TypeError, binascii.Error):
        return None
    # encode_cursor writes the column's naive UTC; an offset means a cursor we did not make.
    return (moment, row_id) if moment.tzinfo is None else None
