"""Turkish IBANs: TR, two check digits, five of bank code, a reserve digit and sixteen of
account, 26 characters; the check digits by ISO 13616 (mod 97).  Pure functions."""
from __future__ import annotations

import re

LENGTH = 26
# What a client may send: the 26 characters, optionally in the printed groups of four.
PATTERN = r"^[Tt][Rr][0-9]{2}( ?[0-9]{4}){5} ?[0-9]{2}$"
_PATTERN = re.compile(PATTERN)


def normalise(text: str) -> str:
    return text.replace(" ", "").upper()


def is_valid(text: str) -> bool:
    """A well-formed Turkish IBAN whose check digits are right."""
    if not _PATTERN.fullmatch(text):
        return False
    iban = normalise(text)
    return len(iban) == LENGTH and checksum(iban) == 1


def checksum(iban: str) -> int:
    """ISO 13616: the country code and check digits moved to the end, letters as 10-35, mod 97
    (1 for a valid IBAN)."""
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97


def with_check_digits(country: str, bban: str) -> str:
    """The IBAN of `bban` in `country` (what a bank prints; used by tests and the demo data)."""
    check = 98 - checksum(f"{country}00{bban}")
    return f"{country}{check:02d}{bban}"


def masked(last4: str) -> str:
    """What a customer sees of a stored IBAN: TR, then only the last four digits."""
    return "TR" + "*" * (LENGTH - 6) + last4
