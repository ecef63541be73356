"""How rates, dates and identity numbers are printed on a Turkish invoice.  Pure functions.

Amounts use platform.text.format_try ("1.249,90 TL"), the one money notation of the code base.

    >>> rate_tr(Decimal("20.00")), rate_tr(Decimal("8.50"))
    ('%20', '%8,5')
    >>> mask_national_id("10000000146")
    '*********46'
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

# Turkey has kept UTC+3 all year since 2016 (no DST), as notifications/templates.py also assumes:
# invoice dates and the invoice year are Turkish calendar dates, whatever the server's zone.
TURKEY = timezone(timedelta(hours=3))


def rate_tr(rate: Decimal | str) -> str:
    """A VAT rate the Turkish way, percent sign first: '%20', '%1', '%8,5'."""
    text = f"{Decimal(rate).normalize():f}"
    return "%" + text.replace(".", ",")


def turkey_time(moment: datetime) -> datetime:
    """`moment` in Turkish time; naive datetimes are UTC, as everywhere in this code base."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone(TURKEY)


def invoice_year(moment: datetime) -> int:
    """The calendar year an invoice issued at `moment` (UTC) belongs to: Turkey's, not UTC's
    (31 December 22:00 UTC is already 1 January in Istanbul)."""
    return turkey_time(moment).year


def date_tr(moment: datetime) -> str:
    return turkey_time(moment).strftime("%d.%m.%Y")


def datetime_tr(moment: datetime) -> str:
    return turkey_time(moment).strftime("%d.%m.%Y %H:%M")


def mask_national_id(value: str) -> str:
    """A T.C. kimlik number with all but its last two digits hidden (as the addresses API shows it)."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) < 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 2) + digits[-2:]
