"""Address rules as pure functions: Turkish mobile numbers, TCKN / VKN checksums, postcodes,
and the rules that span several fields (which the service applies to the merged record, so a
partial update is held to the same rules as a create).

    >>> normalise_phone("0 (532) 123 45 67")
    '+905321234567'
    >>> is_valid_tckn("10000000146"), is_valid_vkn("4540536920")
    (True, True)
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.platform.text import normalise_tr_mobile

from .provinces import Province, find_province

_TCKN = re.compile(r"[1-9][0-9]{10}")
_VKN = re.compile(r"[0-9]{10}")
_POSTCODE = re.compile(r"[0-9]{5}")

# Fields that only make sense on some addresses: company data on corporate billing addresses,
# the TCKN on individual billing addresses (an e-Arşiv invoice to a person may carry it).
CORPORATE_FIELDS = ("company_name", "tax_office", "tax_number")
INDIVIDUAL_BILLING_FIELDS = ("national_id",)
REQUIRED_FIELDS = ("type", "first_name", "last_name", "phone", "il", "ilce", "address_line")
# The fields whose change moves the address on the map (and so needs a new geocode).
LOCATION_FIELDS = ("il", "ilce", "mahalle", "address_line", "posta_kodu")


def normalise_phone(raw: str) -> str:
    """A Turkish mobile number in any usual spelling → E.164 (+905XXXXXXXXX); ValueError otherwise
    (the platform's normaliser, shared with accounts)."""
    phone = normalise_tr_mobile(raw)
    if phone is None:
        raise ValueError("not a Turkish mobile number")
    return phone


def mask_phone(e164: str) -> str:
    """'+905321234567' → '+90 532 *** ** 67': enough to recognise one's own number, not to call it."""
    national = e164.removeprefix("+90")
    return f"+90 {national[:3]} *** ** {national[-2:]}"


def mask_digits(value: str, keep: int) -> str:
    """All but the last `keep` digits replaced by '*'."""
    return "*" * (len(value) - keep) + value[-keep:]


def is_valid_tckn(value: str) -> bool:
    """T.C. Kimlik No: 11 digits, no leading zero, two check digits.

    10th digit = (7 × (d1+d3+d5+d7+d9) − (d2+d4+d6+d8)) mod 10; 11th = (d1+…+d10) mod 10.
    """
    if not isinstance(value, str) or not _TCKN.fullmatch(value):
        return False
    d = [int(c) for c in value]
    odd, even = sum(d[0:9:2]), sum(d[1:8:2])
    return (7 * odd - even) % 10 == d[9] and sum(d[:10]) % 10 == d[10]


def is_valid_vkn(value: str) -> bool:
    """Vergi Kimlik No (companies): 10 digits, the last a check digit (GİB's algorithm).

    For each of the first nine digits, counted i = 1…9 from the right: c = (digit + i) mod 10;
    a non-zero c adds (c × 2^i) mod 9, or 9 when that is 0.  Check digit = (10 − sum mod 10) mod 10.
    """
    if not isinstance(value, str) or not _VKN.fullmatch(value):
        return False
    total = 0
    for i, char in enumerate(reversed(value[:9]), start=1):
        c = (int(char) + i) % 10
        if c:
            total += (c * 2**i) % 9 or 9
    return (10 - total % 10) % 10 == int(value[9])


def is_valid_postcode(value: str) -> bool:
    return isinstance(value, str) and _POSTCODE.fullmatch(value) is not None


def postcode_matches(postcode: str, province: Province) -> bool:
    """Turkish postcodes start with the province's plate code (34xxx is İstanbul)."""
    return postcode[:2] == province.postcode_prefix


@dataclass(frozen=True)
class Problem:
    """One bad field: `type` is the stable code clients branch on, `message` the English text."""

    field: str
    type: str
    message: str


def check(record: Mapping[str, Any], sent: set[str]) -> tuple[dict[str, Any], list[Problem]]:
    """Apply the cross-field rules to a whole address (API field names).

    Returns the record with fields that no longer apply cleared (e.g. the company data of an
    address switched to individual billing) and the problems found.  A field that does not
    apply but was *sent* in this request is a problem rather than silently dropped: the client
    believes it is stored.
    """
    cleaned = dict(record)
    # Checked here as well as in the request schema: a row written before the phone was
    # encrypted has no readable phone, and an update must not keep it that way.
    problems = [Problem(name, "missing", "This field is required.") for name in REQUIRED_FIELDS
                if not cleaned.get(name)]
    is_billing = cleaned.get("type") == "billing"
    if not is_billing and cleaned.get("billing_kind") == "corporate":
        _not_applicable(cleaned, "billing_kind", sent, problems, reset_to="individual")
    corporate = is_billing and cleaned.get("billing_kind") == "corporate"
    for name in CORPORATE_FIELDS:
        if corporate and not cleaned.get(name):
            problems.append(Problem(name, "missing", "Required for a corporate billing address."))
        elif not corporate and cleaned.get(name) is not None:
            _not_applicable(cleaned, name, sent, problems)
    individual_billing = is_billing and not corporate
    for name in INDIVIDUAL_BILLING_FIELDS:
        if not individual_billing and cleaned.get(name) is not None:
            _not_applicable(cleaned, name, sent, problems)
    problems.extend(_postcode_problems(cleaned))
    problems.extend(_coordinate_problems(cleaned))
    return cleaned, problems


def _not_applicable(record: dict[str, Any], name: str, sent: set[str], problems: list[Problem],
                    reset_to: Any = None) -> None:
    if name in sent:
        problems.append(Problem(name, "not_applicable", "This field does not apply to this kind of address."))
    record[name] = reset_to


def _postcode_problems(record: Mapping[str, Any]) -> list[Problem]:
    postcode, province = record.get("posta_kodu"), find_province(record.get("il") or "")
    if postcode and province and not postcode_matches(postcode, province):
        return [Problem("posta_kodu", "postcode_province_mismatch",
                        f"A postcode in {province.name} starts with {province.postcode_prefix}.")]
    return []


def _coordinate_problems(record: Mapping[str, Any]) -> list[Problem]:
    lat, lng = record.get("lat"), record.get("lng")
    if (lat is None) == (lng is None):
        return []
    missing = "lng" if lng is None else "lat"
    return [Problem(missing, "coordinates_incomplete", "Send lat and lng together.")]


def location_text(record: Mapping[str, Any]) -> str:
    """The one-line address a geocoder is asked about, most specific part first."""
    parts = [record.get("address_line"), record.get("mahalle"), record.get("ilce"), record.get("il"),
             record.get("posta_kodu"), "Türkiye"]
    return ", ".join(str(p) for p in parts if p)
