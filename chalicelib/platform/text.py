"""Turkish-aware text folding, SEO slugs and EAN-13 barcodes.  Pure functions, stdlib only.

Folding is what makes search and URLs forgiving: a shopper typing "sisme yatak", "ŞİŞME YATAK"
or "Şişme Yatak" should land on the same product.  Python's own `str.lower()` gets Turkish wrong
("I" becomes "i" instead of "ı", and "İ" becomes "i" plus a combining dot), so the dotted and
dotless i are mapped by hand before anything else; every variant then folds to ASCII "i".

    >>> fold("Yarı Otomatik  AV TÜFEĞİ")
    'yari otomatik av tufegi'
    >>> slugify("Kamp Sandalyesi (Katlanır)")
    'kamp-sandalyesi-katlanir'
    >>> ean13_check_digit("400638133393")
    1
"""
from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["fold", "slugify", "ean13_check_digit", "is_valid_ean13", "normalise_tr_mobile"]

# Applied before lower-casing: Turkish upper-case I is the capital of dotless ı, İ of dotted i.
# Both end up as ASCII "i" after folding, which is what search and slugs want.
_I_FORMS = str.maketrans({"İ": "i", "I": "i", "ı": "i"})

# Letters that Unicode decomposition does not reduce to ASCII on its own.
_LETTERS = str.maketrans(
    {
        "ş": "s", "ğ": "g", "ç": "c", "ö": "o", "ü": "u",
        "ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ł": "l", "þ": "th",
    }
)

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_EAN13 = re.compile(r"[0-9]{13}")
_TWELVE_DIGITS = re.compile(r"[0-9]{12}")


def _ascii_lower(text: str) -> str:
    """Lower-case `text` the Turkish way and reduce it to ASCII letters, digits and symbols."""
    text = text.translate(_I_FORMS).lower().translate(_LETTERS)
    # Remaining accents (â, î, û in Turkish loanwords; é, ñ, ...) decompose into a base letter
    # plus combining marks; the marks are dropped.
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode("ascii")


def fold(text: str) -> str:
    """Turkish-aware ASCII folding for search: lower-case, ş→s ğ→g ı/İ→i ç→c ö→o ü→u,
    every run of other characters (punctuation, whitespace) collapsed to one space."""
    return _NON_ALNUM.sub(" ", _ascii_lower(text)).strip()


def slugify(text: str, max_length: int | None = None) -> str:
    """URL slug: the folded text with words joined by '-'.

    With `max_length`, the slug is cut at the last word boundary that fits (or hard-cut when a
    single word is longer), never leaving a trailing '-'.
    """
    slug = _NON_ALNUM.sub("-", _ascii_lower(text)).strip("-")
    if max_length is not None and len(slug) > max_length:
        if max_length <= 0:
            return ""
        cut = slug[: max_length + 1]
        boundary = cut.rfind("-")
        slug = cut[:boundary] if boundary > 0 else slug[:max_length]
        slug = slug.rstrip("-")
    return slug


def ean13_check_digit(first12: str) -> int:
    """Check digit of an EAN-13 code from its first twelve digits (GS1 mod-10, weights 1,3)."""
    if not isinstance(first12, str) or not _TWELVE_DIGITS.fullmatch(first12):
        raise ValueError("EAN-13 check digit needs exactly 12 ASCII digits")
    # Positions 1, 3, 5, ... weigh 1; positions 2, 4, 6, ... weigh 3.
    total = sum(map(int, first12[0::2])) + 3 * sum(map(int, first12[1::2]))
    return (10 - total % 10) % 10


def is_valid_ean13(code: str) -> bool:
    """True when `code` is 13 ASCII digits whose last digit is the correct check digit."""
    if not isinstance(code, str) or not _EAN13.fullmatch(code):
        return False
    return ean13_check_digit(code[:12]) == int(code[12])


# What people put between digits; anything else ("²", Arabic-Indic digits, letters) is no number.
_PHONE_SEPARATORS = re.compile(r"[ \t\-().\/\u00a0]")
_PHONE_TEXT = re.compile(r"\+?[0-9]+")


def normalise_tr_mobile(raw: str) -> str | None:
    """A Turkish mobile number in E.164 (+905XXXXXXXXX), or None when it is not one.

    Accepts what people type: "0532 123 45 67", "5321234567", "+90 (532) 123-4567", "905321234567",
    "0090 532 ...".  Landlines are refused: the SMS notices need a mobile.
    """
    digits = _PHONE_SEPARATORS.sub("", raw or "")
    if not _PHONE_TEXT.fullmatch(digits):
        return None
    if digits.startswith("+"):
        if not digits.startswith("+90"):
            return None  # another country's number
        digits = digits[3:]
    elif digits.startswith("0090"):
        digits = digits[4:]
    elif digits.startswith("90") and len(digits) == 12:
        digits = digits[2:]
    elif digits.startswith("0") and len(digits) == 11:
        digits = digits[1:]
    if len(digits) != 10 or not digits.isdigit() or digits[0] != "5":
        return None
    return "+90" + digits


def format_try(amount: Decimal, currency: str = "TRY") -> str:
    """Turkish money notation: Decimal("1249.9") → "1.249,90 TL" (dot thousands, comma kuruş)."""
    grouped = f"{amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"
    text = grouped.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return f"{text} {'TL' if currency == 'TRY' else currency}"


# Document numbers read out on the phone: no 0/O, 1/I, 2/Z, 5/S, 8/B look-alikes.
_REFERENCE_ALPHABET = "ACDEFHJKLMNPRTUVWXY34679"


def reference_number(letter: str, when: datetime) -> str:
    """letter + UTC date + 6 random characters, e.g. "S261125-K7M3XQ" (24^6 ≈ 191 million a day):
    unguessable and short.  Callers keep a unique key and retry the rare collision."""
    suffix = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))
    return f"{letter}{when:%y%m%d}-{suffix}"
