"""Keyset pages and their opaque cursors: one helper for every list that pages by (keys..., id).

Every sort is a list of key columns plus the row id as the final tie-breaker, all in one
direction, so "the rows after the last one shown" is one row comparison
((k1, k2, id) < (v1, v2, last_id)) that the sort's index can seek to: no OFFSET, no duplicates
or gaps while paging, however deep.

    NEWEST = Keyset("newest", ("o.created_at",), (datetime,), id_column="o.id")
    next_cursor = NEWEST.encode_row(rows[-1])        # the page's last row (keys named as the columns)
    position = NEWEST.decode(query.cursor)           # CursorError for anything else
    where, params = NEWEST.after(position)           # o.created_at <= %s AND (... o.id < %s)
    ... ORDER BY {NEWEST.order_by()}                 # o.created_at DESC, o.id DESC
    tail, params = NEWEST.page(where, params, position, limit)   # or both at once, with the LIMIT

The cursor is base64url of the JSON [sort name, [key values], last id].  Clients treat it as
opaque; decoding trusts nothing in it, because anyone can forge one:
- it continues only the sort it was made for (the name), so a cursor of one sort is refused by
  another, and the values must have the sort's number and kinds;
- numbers are ASCII digits only (Decimal() alone would read "٢٢" or "1E+999999"), ints fit a
  BIGINT, datetimes are the naive UTC that the DATETIME columns hold (an offset means a cursor
  we did not make), strings are valid UTF-8 without NUL;
- the whole cursor is at most MAX_LENGTH characters.
Schemas answer CursorError with a 400 on the `cursor` field (`invalid_cursor` below).
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, NamedTuple

MAX_LENGTH = 512
BIGINT = 2**63
# What encode() writes for a Decimal and a datetime, and nothing else.
_DECIMAL = re.compile(r"-?[0-9]{1,30}(\.[0-9]{1,30})?")
_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{6})?")
MAX_TEXT = 255
KINDS = (int, Decimal, datetime, str)
INVALID_MESSAGE = "The page cursor is not valid; start from the first page."


class CursorError(ValueError):
    pass


# A NamedTuple and a plain class rather than dataclasses: every listing function imports this
# module at cold start, and a dataclass costs about 0.6 ms to build.
class Position(NamedTuple):
    """Where the previous page ended: its last row's key values and id."""

    values: tuple[Any, ...]
    id: int

    @property
    def value(self) -> Any:
        """The key of a one-key sort."""
        return self.values[0]


class Keyset:
    """One sort order: its name (bound into its cursors), its key columns as SQL expressions
    (`p.base_price`; a row carries each under the name after the last dot), the Python kind of
    each key (int, Decimal, datetime or str), the tie-breaking id column and the direction."""

    __slots__ = ("name", "columns", "kinds", "id_column", "descending")

    def __init__(self, name: str, columns: tuple[str, ...], kinds: tuple[type, ...], id_column: str = "id",
                 descending: bool = True) -> None:
        self.name, self.columns, self.kinds = name, columns, kinds
        self.id_column, self.descending = id_column, descending
        if not self.columns or len(self.columns) != len(self.kinds) or not set(self.kinds) <= set(KINDS):
            raise ValueError(f"keyset {self.name!r}: one kind (int, Decimal, datetime, str) per column")

    # -- cursors ---------------------------------------------------------------------------
    def encode(self, values: Sequence[Any], last_id: int) -> str:
        dumped = [_dump(value, kind) for value, kind in zip(values, self.kinds, strict=True)]
        raw = json.dumps([self.name, dumped, int(last_id)], separators=(",", ":"), ensure_ascii=False)
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def encode_row(self, row: Mapping[str, Any]) -> str:
        """The cursor after `row`, whose keys are named as the columns without their alias."""
        return self.encode([row[_field(column)] for column in self.columns], row[_field(self.id_column)])

    def decode(self, token: str) -> Position:
        """The position in `token`, or CursorError when it is not a cursor of this sort."""
        if not token or len(token) > MAX_LENGTH or not token.isascii():
            raise CursorError("bad length")
        try:
            data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise CursorError("not a cursor") from exc
        if not (isinstance(data, list) and len(data) == 3 and data[0] == self.name):
            raise CursorError("another sort's cursor")
        _, values, last_id = data
        if not isinstance(values, list) or len(values) != len(self.kinds) or not _is_id(last_id):
            raise CursorError("bad shape")
        return Position(tuple(_load(value, kind) for value, kind in zip(values, self.kinds, strict=True)), last_id)

    # -- SQL ---------------------------------------------------------------------------------
    def after(self, position: Position) -> tuple[str, list[Any]]:
        """SQL for "after the position" in this order, e.g. for two keys descending

            a <= %s AND (a < %s OR (a = %s AND (b < %s OR (b = %s AND id < %s))))

        The leading `a <= %s` lets the optimiser seek the index range instead of filtering."""
        op = "<" if self.descending else ">"
        keys = [*self.columns, self.id_column]
        values = [*position.values, position.id]
        sql, params = f"{keys[-1]} {op} %s", [values[-1]]
        for column, value in zip(reversed(keys[:-1]), reversed(values[:-1]), strict=True):
            sql = f"({column} {op} %s OR ({column} = %s AND {sql}))"
            params = [value, value, *params]
        return f"{keys[0]} {op}= %s AND {sql}", [values[0], *params]

    def order_by(self) -> str:
        direction = "DESC" if self.descending else "ASC"
        return ", ".join(f"{column} {direction}" for column in (*self.columns, self.id_column))

    def parse(self, value: str | None) -> Position | None:
        """A query model's `cursor` field: None stays None, a cursor of this sort is decoded, anything
        else is the field error invalid_cursor() (400 on `cursor`).  For pydantic validators."""
        if value is None:
            return None
        try:
            return self.decode(value)
        except CursorError:
            raise invalid_cursor() from None

    def page(self, where: Sequence[str], params: Sequence[Any], position: Position | None,
             limit: int) -> tuple[str, list[Any]]:
        """The tail of a page's statement - `WHERE <where> [AND after the position] ORDER BY <sort>
        LIMIT %s` - and all its parameters (`params` are those of `where`)."""
        conditions, values = list(where), list(params)
        if position is not None:
            condition, more = self.after(position)
            conditions.append(condition)
            values += more
        return f"WHERE {' AND '.join(conditions)} ORDER BY {self.order_by()} LIMIT %s", [*values, limit]


def invalid_cursor() -> Exception:
    """The field error a query model raises for a CursorError: 400 on `cursor`, the one
    `cursor_invalid` type (its Turkish text is in the platform catalogue)."""
    from pydantic_core import PydanticCustomError  # schemas have it loaded; repositories need not

    return PydanticCustomError("cursor_invalid", INVALID_MESSAGE)


def _field(column: str) -> str:
    return column.rsplit(".", 1)[-1]


def _is_id(value: Any) -> bool:
    return type(value) is int and 0 < value < BIGINT


def _dump(value: Any, kind: type) -> Any:
    if kind is datetime:
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
    if kind is Decimal:
        return format(Decimal(value), "f")
    if kind is int:
        return int(value)
    return str(value)


def _load(value: Any, kind: type) -> Any:
    if kind is int and type(value) is int and -BIGINT <= value < BIGINT:
        return value
    if kind is Decimal and isinstance(value, str) and _DECIMAL.fullmatch(value):
        return Decimal(value)
    if kind is datetime and isinstance(value, str) and _DATETIME.fullmatch(value):
        try:
            return datetime.fromisoformat(value)
        except ValueError as exc:  # 2025-02-30
            raise CursorError("bad key") from exc
    if kind is str and isinstance(value, str) and len(value) <= MAX_TEXT and _plain(value):
        return value
    raise CursorError("bad key")


def _plain(text: str) -> bool:
    """No NUL, no unpaired surrogate ("\\ud800" is valid JSON, not UTF-8: MySQL would choke)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text
