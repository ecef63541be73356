"""The platform's keyset cursors (chalicelib/platform/keyset.py): round trips of every kind of
key, and refusal of anything a client could forge."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.platform.keyset import MAX_LENGTH, CursorError, Keyset, Position, invalid_cursor

MIXED = Keyset("mixed", ("t.at", "t.price", "t.count", "t.name"), (datetime, Decimal, int, str), "t.id")
NEWEST = Keyset("newest", ("o.created_at",), (datetime,), "o.id")
CHEAPEST = Keyset("cheapest", ("p.price",), (Decimal,), "p.id", descending=False)


def forged(name: str, values: list[Any], last_id: Any = 1) -> str:
    raw = json.dumps([name, values, last_id]).encode()  # \ud800 stays escaped, as a forger would send it
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("values", [
    [datetime(2025, 5, 1, 10, 0, 0, 123456), Decimal("1249.90"), 12, "Işık çadır"],
    [datetime(2025, 5, 1, 10, 0, 0), Decimal("-0.50"), -(2**63), ""],
    [datetime(1000, 1, 1), Decimal("0"), 2**63 - 1, "x" * 255],
])
def test_every_kind_of_key_round_trips(values: list[Any]):
    token = MIXED.encode(values, 42)
    assert token.isascii() and "=" not in token and len(token) <= MAX_LENGTH
    assert MIXED.decode(token) == Position(tuple(values), 42)


def test_rows_give_their_keys_by_column_name():
    row = {"id": 7, "created_at": datetime(2025, 1, 2, 3, 4, 5), "other": "ignored"}
    position = NEWEST.decode(NEWEST.encode_row(row))
    assert position == Position((row["created_at"],), 7) and position.value == row["created_at"]
    favorites = Keyset("favorites", ("f.created_at",), (datetime,), "f.product_id")
    assert favorites.decode(favorites.encode_row({"created_at": row["created_at"], "product_id": 9})).id == 9


def test_aware_datetimes_are_written_as_naive_utc():
    istanbul = datetime(2025, 1, 1, 3, 0, tzinfo=timezone(timedelta(hours=3)))
    assert NEWEST.decode(NEWEST.encode([istanbul], 1)).value == datetime(2025, 1, 1, 0, 0)


def test_a_cursor_continues_only_its_own_sort():
    token = NEWEST.encode([datetime(2025, 1, 1)], 1)
    oldest = Keyset("oldest", ("o.created_at",), (datetime,), "o.id", descending=False)
    with pytest.raises(CursorError):
        oldest.decode(token)


@pytest.mark.parametrize("token", [
    "", "!!!", "e30", "bm90IGpzb24", "x" * (MAX_LENGTH + 1), "é" * 10, "W10",
    forged("newest", ["2025-01-01T00:00:00"], 0),  # ids are positive
    forged("newest", ["2025-01-01T00:00:00"], 2**63),  # and fit a BIGINT
    forged("newest", ["2025-01-01T00:00:00"], True),  # JSON true is not 1
    forged("newest", ["2025-01-01T00:00:00"], "1"),
    forged("newest", ["2025-01-01T00:00:00", "extra"]),  # one value per key
    forged("newest", []),
    forged("newest", "2025-01-01T00:00:00"),
    forged("newest", ["2025-01-01T00:00:00+03:00"]),  # only the naive UTC the column holds
    forged("newest", ["2025-01-01 00:00:00"]),  # only what encode() writes
    forged("newest", ["2025-02-30T00:00:00"]),
    forged("newest", ["٢٠٢٥-01-01T00:00:00"]),  # ASCII digits only
    forged("newest", ["20250101"]),
    forged("newest", [1735689600]),
])
def test_forged_datetime_cursors_are_refused(token: str):
    with pytest.raises(CursorError):
        NEWEST.decode(token)


@pytest.mark.parametrize("key", ["٢٢", "1E+999999", "NaN", "Infinity", "1e3", " 12", "12.", ".5", "+1", 12, 12.5,
                                 None, "1" * 31])
def test_forged_decimal_cursors_are_refused(key: Any):
    with pytest.raises(CursorError):
        CHEAPEST.decode(forged("cheapest", [key]))


@pytest.mark.parametrize("values", [
    ["2025-01-01T00:00:00", "1.00", 1.5, "a"],  # a float is not an int
    ["2025-01-01T00:00:00", "1.00", True, "a"],  # nor is a boolean
    ["2025-01-01T00:00:00", "1.00", 2**63, "a"],
    ["2025-01-01T00:00:00", "1.00", 1, "a\u0000b"],  # text MySQL would refuse
    ["2025-01-01T00:00:00", "1.00", 1, "\ud800"],
    ["2025-01-01T00:00:00", "1.00", 1, "x" * 256],
    ["2025-01-01T00:00:00", "1.00", 1, 5],
])
def test_forged_int_and_text_cursors_are_refused(values: list[Any]):
    with pytest.raises(CursorError):
        MIXED.decode(forged("mixed", values))


def test_the_condition_seeks_the_index_and_continues_after_the_row():
    position = Position((datetime(2025, 1, 1), Decimal("2.50"), 3, "b"), 9)
    sql, params = MIXED.after(position)
    assert sql == ("t.at <= %s AND (t.at < %s OR (t.at = %s AND (t.price < %s OR (t.price = %s AND "
                   "(t.count < %s OR (t.count = %s AND (t.name < %s OR (t.name = %s AND t.id < %s))))))))")
    assert params == [position.values[0]] * 3 + [Decimal("2.50")] * 2 + [3, 3, "b", "b", 9]
    assert CHEAPEST.after(Position((Decimal("1"),), 4)) == (
        "p.price >= %s AND (p.price > %s OR (p.price = %s AND p.id > %s))", [Decimal("1")] * 3 + [4])
    assert MIXED.order_by() == "t.at DESC, t.price DESC, t.count DESC, t.name DESC, t.id DESC"
    assert CHEAPEST.order_by() == "p.price ASC, p.id ASC"


def test_a_sort_declares_one_known_kind_per_key():
    with pytest.raises(ValueError):
        Keyset("bad", ("a", "b"), (int,))
    with pytest.raises(ValueError):
        Keyset("bad", ("a",), (float,))


def test_the_field_error_is_the_one_cursor_invalid():
    error = invalid_cursor()
    assert getattr(error, "type", None) == "cursor_invalid"


def test_a_page_tail_adds_the_position_order_and_limit():
    assert CHEAPEST.page(["p.tenant_id = %s"], [5], None, 20) == (
        "WHERE p.tenant_id = %s ORDER BY p.price ASC, p.id ASC LIMIT %s", [5, 20])
    where, params = ["p.tenant_id = %s"], [5]
    tail, values = CHEAPEST.page(where, params, Position((Decimal("1"),), 4), 20)
    assert tail == ("WHERE p.tenant_id = %s AND p.price >= %s AND (p.price > %s OR (p.price = %s AND p.id > %s)) "
                    "ORDER BY p.price ASC, p.id ASC LIMIT %s")
    assert values == [5, *[Decimal("1")] * 3, 4, 20] and (where, params) == (["p.tenant_id = %s"], [5])
