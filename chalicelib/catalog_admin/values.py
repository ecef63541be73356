"""Pure value rules of the catalogue admin: statuses, SKUs, money parsing and price rounding.

Money is `Decimal` end to end.  In spreadsheet cells (CSV / XLSX import, where the file's
locale is explicit) people type prices the Turkish way ("1.249,90 TL") or the English way
("1249.90"), and spreadsheets hand over floats.  `parse_money` reads all of them, for the import
only: the JSON API takes the platform's `Money` (a "." decimal point, never Turkish notation, so
"12.345" there is a 400 and not 12345.00):

    >>> parse_money("1.249,90"), parse_money("1249.90"), parse_money("₺1 249,9"), parse_money(1249.9)
    (Decimal('1249.90'), Decimal('1249.90'), Decimal('1249.90'), Decimal('1249.90'))

Rules for a text with separators: when both '.' and ',' occur, the last one is the decimal
separator and the other groups thousands; a lone ',' is decimal (Turkish); a lone '.' is
decimal unless it is followed by exactly three digits ("1.249" is 1249 TL: a price never has
three decimals, so the only valid reading is the Turkish thousands separator); several equal
separators group thousands ("1.249.000").
"""
from __future__ import annotations

import re
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation

from chalicelib.inventory.api import MAX_STOCK  # one variation's stock: the column's limit (inventory's)
from chalicelib.platform.text import fold

DRAFT, ACTIVE, ARCHIVED = "draft", "active", "archived"
STATUSES = (DRAFT, ACTIVE, ARCHIVED)
# What people write in a spreadsheet's status column (folded) → our status.
STATUS_WORDS = {
    "draft": DRAFT, "taslak": DRAFT,
    "active": ACTIVE, "aktif": ACTIVE, "yayinda": ACTIVE, "satista": ACTIVE,
    "archived": ARCHIVED, "archive": ARCHIVED, "arsiv": ARCHIVED, "arsivlendi": ARCHIVED, "pasif": ARCHIVED,
}
STATUS_LABELS = {"tr": {DRAFT: "taslak", ACTIVE: "aktif", ARCHIVED: "arşiv"},
                 "en": {DRAFT: "draft", ACTIVE: "active", ARCHIVED: "archived"}}

# stock_movements.reason values of this area's stock changes (inventory.api writes them; the
# column comment lists them all).
REASON_INITIAL, REASON_ADJUSTMENT, REASON_IMPORT = "initial", "adjustment", "import"
# price_history.source values this area writes.
SOURCE_ADMIN, SOURCE_IMPORT = "admin", "import"

SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/\-]{0,63}$"
SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
MAX_PRICE = Decimal("999999999999.99")  # DECIMAL(14,2)
CENT = Decimal("0.01")

_SKU = re.compile(SKU_PATTERN)
_SPACES = re.compile(r"[\s\u00a0\u202f']+")  # spaces, NBSP, narrow NBSP, Swiss apostrophes
_CURRENCY = re.compile(r"(?i)(₺|\btl\b|\btry\b)")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


class ValueProblem(ValueError):
    """A cell or field that cannot be read; `type` is a FIELD_MESSAGES_TR key."""

    def __init__(self, type_: str, message: str) -> None:
        super().__init__(message)
        self.type = type_
        self.message = message


def status_from_text(value: str) -> str:
    status = STATUS_WORDS.get(fold(value).replace(" ", ""))
    if status is None:
        raise ValueProblem("status_unknown", "Status must be active, draft or archived (aktif, taslak, arşiv).")
    return status


def valid_sku(value: str) -> bool:
    return bool(_SKU.fullmatch(value))


def _ungroup(integer: str, sep: str) -> str:
    """'1.249.000' → '1249000'; groups after the first must have exactly three digits."""
    if not re.fullmatch(r"[+-]?\d{1,3}(%s\d{3})+" % re.escape(sep), integer):
        raise ValueProblem("number_invalid", "Not a number (e.g. 1.249,90 or 1249.90).")
    return integer.replace(sep, "")


def _normalise_separators(text: str) -> str:
    dots, commas = text.count("."), text.count(",")
    if dots and commas:
        decimal_sep = "." if text.rfind(".") > text.rfind(",") else ","
        group_sep = "," if decimal_sep == "." else "."
        integer, _, fraction = text.rpartition(decimal_sep)
        if decimal_sep in integer:
            raise ValueProblem("number_invalid", "Not a number.")
        return _ungroup(integer, group_sep) + "." + fraction
    if commas == 1:
        return text.replace(",", ".")
    if commas > 1:
        return _ungroup(text, ",")
    if dots > 1 or (dots == 1 and re.fullmatch(r"[+-]?\d{1,3}\.\d{3}", text)):
        return _ungroup(text, ".")
    return text


def parse_decimal(value: object) -> Decimal:
    """A number from a cell or a JSON value; raises ValueProblem."""
    if isinstance(value, bool):
        raise ValueProblem("number_invalid", "Not a number.")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))  # the shortest text that round-trips: 1249.9, not 1249.9000000000000909
    else:
        text = _SPACES.sub("", _CURRENCY.sub("", str(value))).strip()
        text = _normalise_separators(text)
        if not _PLAIN_NUMBER.fullmatch(text):
            raise ValueProblem("number_invalid", "Not a number (e.g. 1.249,90 or 1249.90).")
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise ValueProblem("number_invalid", "Not a number.") from exc
    if not number.is_finite():
        raise ValueProblem("number_invalid", "Not a number.")
    return number


def parse_money(value: object) -> Decimal:
    number = parse_decimal(value)
    if number < 0:
        raise ValueProblem("negative", "Must not be negative.")
    # Range first: quantize raises InvalidOperation beyond the context's 28 digits (1e30).
    if number > MAX_PRICE:
        raise ValueProblem("too_large", "The value is too large.")
    if number != number.quantize(CENT, rounding=ROUND_HALF_UP):
        raise ValueProblem("too_many_decimals", "At most two decimal places.")
    return number.quantize(CENT)


def parse_stock(value: object) -> int:
    number = parse_decimal(value)
    if number < 0:
        raise ValueProblem("negative", "Must not be negative.")
    if number > MAX_STOCK:  # before any rounding, like parse_money
        raise ValueProblem("too_large", "The value is too large.")
    if number != number.to_integral_value():
        raise ValueProblem("integer_invalid", "Must be a whole number.")
    return int(number)


# -- bulk price changes --------------------------------------------------------------------------
ROUND_CENT, ROUND_NINETY = "0.01", "0.90"
NINETY = Decimal("0.90")


def round_price(value: Decimal, rounding: str) -> Decimal:
    """Round to the cent, or to the nearest price ending in ,90 (ties go up; never below 0,90).

    >>> round_price(Decimal("1234.56"), "0.90"), round_price(Decimal("1234.20"), "0.90")
    (Decimal('1234.90'), Decimal('1233.90'))
    """
    if rounding == ROUND_CENT:
        return value.quantize(CENT, rounding=ROUND_HALF_UP)
    if value <= NINETY:
        return NINETY
    below = value.to_integral_value(rounding=ROUND_FLOOR) - 1 + NINETY  # the .90 under value
    if below + 1 <= value:
        below += 1
    above = below + 1
    return above if (above - value) <= (value - below) else below


def change_price(old: Decimal, mode: str, value: Decimal, rounding: str) -> Decimal:
    """set / percent (+10 raises by 10 %, -15 lowers by 15 %) / amount (+/- lira)."""
    if mode == "set":
        new = value
    elif mode == "percent":
        new = old * (Decimal(100) + value) / Decimal(100)
    elif mode == "amount":
        new = old + value
    else:  # pragma: no cover - the schema allows only the three
        raise ValueError(mode)
    return round_price(new, rounding) if new >= 0 else new.quantize(CENT, rounding=ROUND_HALF_UP)
