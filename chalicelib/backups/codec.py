"""The dump format: one JSON line per row, values in the column order the manifest lists, each value
that JSON cannot carry exactly tagged with its type.

    [12, "Çadır", {"$d": "1499.90"}, {"$dt": "2026-12-06T17:45:00.123456"}, null, {"$b": "AAE="}]

The line of a row is canonical (no spaces, keys sorted, ensure_ascii off, tags fixed), so the
SHA-256 of a table's lines in primary-key order is a checksum of the rows themselves: the dump
computes it while writing, the verification recomputes it from the restored scratch database, and
equal checksums mean equal rows, whatever gzip made of the file.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
from decimal import Decimal
from typing import Any


def encode_value(value: Any) -> Any:
    if value is None or isinstance(value, (int, str)) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return {"$d": format(value, "f")}  # "1499.90" keeps the scale; never a float
    if isinstance(value, dt.datetime):
        return {"$dt": value.isoformat(timespec="microseconds")}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dt.timedelta):  # TIME columns
        return {"$td": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, (bytes, bytearray)):
        return {"$b": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, float):
        return {"$f": repr(value)}
    if isinstance(value, (set, frozenset)):  # SET columns, should a driver return them as sets
        return ",".join(sorted(value))
    raise TypeError(f"no dump encoding for {type(value).__name__}")


def decode_value(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    ((tag, raw),) = value.items()
    if tag == "$d":
        return Decimal(raw)
    if tag == "$dt":
        return dt.datetime.fromisoformat(raw)
    if tag == "$date":
        return dt.date.fromisoformat(raw)
    if tag == "$td":
        return dt.timedelta(days=raw[0], seconds=raw[1], microseconds=raw[2])
    if tag == "$b":
        return base64.b64decode(raw)
    if tag == "$f":
        return float(raw)
    raise ValueError(f"unknown dump tag {tag!r}")


def encode_row(row: tuple[Any, ...] | list[Any]) -> bytes:
    """The canonical line of one row, newline included."""
    return json.dumps([encode_value(v) for v in row], ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def decode_row(line: bytes) -> list[Any]:
    return [decode_value(v) for v in json.loads(line)]
