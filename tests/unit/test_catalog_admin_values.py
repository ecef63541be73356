"""Pure rules of the catalogue admin: Turkish and English money, stock numbers, price rounding,
statuses and spreadsheet headers."""
from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.catalog_admin import spreadsheet
from chalicelib.catalog_admin.values import (
    ValueProblem,
    change_price,
    parse_money,
    parse_stock,
    round_price,
    status_from_text,
)


@pytest.mark.parametrize(("text", "value"), [
    ("1.249,90", "1249.90"), ("1249.90", "1249.90"), ("1249,90", "1249.90"), ("₺1 249,9", "1249.90"),
    ("1249,9 TL", "1249.90"), ("1.249", "1249.00"), ("1,249.90", "1249.90"), ("1.249.000", "1249000.00"),
    ("12.345,60", "12345.60"), ("0,5", "0.50"), (" 7 ", "7.00"), (1249.9, "1249.90"), (Decimal("5"), "5.00"),
    (89999, "89999.00"),
])
def test_money_in_either_notation(text, value):
    assert parse_money(text) == Decimal(value)


@pytest.mark.parametrize(("text", "problem"), [
    ("abc", "number_invalid"), ("1,2,3", "number_invalid"), ("1.2.3", "number_invalid"), ("1.24,90", "number_invalid"),
    ("10,999", "too_many_decimals"), (12.345, "too_many_decimals"), ("-1", "negative"), ("", "number_invalid"),
    ("1e3", "number_invalid"), ("NaN", "number_invalid"), (True, "number_invalid"),
    ("1000000000000", "too_large"),
])
def test_money_that_cannot_be_read(text, problem):
    with pytest.raises(ValueProblem) as caught:
        parse_money(text)
    assert caught.value.type == problem


def test_stock_is_a_whole_non_negative_number():
    assert parse_stock("1.000") == 1000 and parse_stock(12.0) == 12 and parse_stock("0") == 0
    for bad, problem in (("2,5", "integer_invalid"), (-1, "negative"), ("x", "number_invalid")):
        with pytest.raises(ValueProblem) as caught:
            parse_stock(bad)
        assert caught.value.type == problem


@pytest.mark.parametrize(("value", "rounding", "expected"), [
    ("1234.56", "0.90", "1234.90"), ("1234.20", "0.90", "1233.90"), ("1234.40", "0.90", "1234.90"),
    ("1235.90", "0.90", "1235.90"), ("0.30", "0.90", "0.90"), ("10", "0.90", "9.90"),
    ("10.005", "0.01", "10.01"), ("10.004", "0.01", "10.00"),
])
def test_price_rounding(value, rounding, expected):
    assert round_price(Decimal(value), rounding) == Decimal(expected)


def test_price_changes():
    assert change_price(Decimal("1249.90"), "percent", Decimal("10"), "0.90") == Decimal("1374.90")
    assert change_price(Decimal("100.00"), "percent", Decimal("-15"), "0.01") == Decimal("85.00")
    assert change_price(Decimal("100.00"), "amount", Decimal("-120"), "0.90") == Decimal("-20.00")  # caller refuses
    assert change_price(Decimal("100.00"), "set", Decimal("79.99"), "0.01") == Decimal("79.99")


def test_statuses_in_turkish_and_english():
    assert [status_from_text(t) for t in ("Aktif", "TASLAK", "arşiv", "Arşivlendi", "active", "draft")] == [
        "active", "draft", "archived", "archived", "active", "draft"]
    with pytest.raises(ValueProblem):
        status_from_text("satılık")


def test_headers_in_turkish_or_english_whatever_the_case():
    assert [spreadsheet.column_of(h) for h in ("SKU", "Stok Kodu", "Barkod", "ÜRÜN ADI", "Fiyat (TL)", "fiyat_tl",
                                               "Kategori", "STOK", "Durum", "Not")] == [
        "sku", "sku", "barcode", "name", "price", "price", "category", "stock", "status", None]


def test_csv_reading_picks_the_separator_and_encoding():
    sheet = spreadsheet.read_csv("sku;fiyat\r\nA-1;1.249,90\r\n\r\nA-2;5\r\n".encode("cp1254"), 10)
    assert sheet.columns == {"sku": 0, "price": 1} and sheet.rows == [(2, ["A-1", "1.249,90"]), (4, ["A-2", "5"])]
    sheet = spreadsheet.read_csv("\ufeffSKU,Name,Extra\nA-1,Şişme Yatak,x\n".encode(), 10)
    assert sheet.ignored == ["Extra"] and sheet.rows == [(2, ["A-1", "Şişme Yatak", "x"])]
