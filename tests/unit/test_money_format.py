from decimal import Decimal

from chalicelib.platform.text import format_try


def test_turkish_money_notation():
    assert format_try(Decimal("1249.9")) == "1.249,90 TL"
    assert format_try(Decimal("1234567.005")) == "1.234.567,01 TL"
    assert format_try(Decimal("0")) == "0,00 TL"
    assert format_try(Decimal("5"), "EUR") == "5,00 EUR"
