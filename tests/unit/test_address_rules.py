"""Address rules as pure functions: TCKN / VKN checksums, phone normalisation, provinces and
postcodes, and the cross-field rules the service applies to whole records."""
from __future__ import annotations

import random

import pytest

from chalicelib.addresses import rules
from chalicelib.addresses.provinces import PROVINCES, Province, find_province

# Published examples (python-stdnum's doctests; 10000000146 is the usual TCKN test number).
VALID_TCKN = ["10000000146", "17291716060"]
VALID_VKN = ["4540536920"]


def _single_digit_changes(number: str):
    for position, digit in enumerate(number):
        for other in "0123456789":
            if other != digit:
                yield number[:position] + other + number[position + 1:]


# Independent phrasings of the official algorithms (as other implementations write them), to
# cross-check ours on many numbers rather than trust a single formulation.
def _reference_tckn_check_digits(first9: str) -> str:
    d = [int(c) for c in first9]
    check1 = ((d[0] + d[2] + d[4] + d[6] + d[8]) * 7 - (d[1] + d[3] + d[5] + d[7])) % 10
    check2 = (sum(d) + check1) % 10
    return f"{check1}{check2}"


def _reference_vkn_check_digit(first9: str) -> str:
    total = 0
    for i in range(9):  # left to right, as GİB's own JavaScript does
        tmp = (int(first9[i]) + (9 - i)) % 10
        value = (tmp * 2 ** (9 - i)) % 9
        if tmp != 0 and value == 0:
            value = 9
        total += value
    return str((10 - total % 10) % 10)


def province(name: str) -> Province:
    found = find_province(name)
    assert found is not None, name
    return found


# -- TCKN ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("number", VALID_TCKN)
def test_known_valid_tckn(number):
    assert rules.is_valid_tckn(number)


@pytest.mark.parametrize("number", VALID_TCKN)
def test_every_single_digit_typo_in_a_tckn_is_caught(number):
    for typo in _single_digit_changes(number):
        if typo[0] != "0":
            assert not rules.is_valid_tckn(typo), typo


@pytest.mark.parametrize(
    "number",
    ["17291716050", "07291716092", "1729171606", "172917160600", "1729171606a", "", " 17291716060", "١٧٢٩١٧١٦٠٦٠"],
)
def test_invalid_tckn(number):
    assert not rules.is_valid_tckn(number)


def test_tckn_agrees_with_a_reference_implementation():
    rng = random.Random(7)
    for _ in range(2000):
        first9 = str(rng.randint(100_000_000, 999_999_999))
        good = first9 + _reference_tckn_check_digits(first9)
        assert rules.is_valid_tckn(good), good
        bad = first9 + f"{(int(good[9:]) + 1) % 100:02d}"
        assert not rules.is_valid_tckn(bad), bad


# -- VKN ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("number", VALID_VKN)
def test_known_valid_vkn(number):
    assert rules.is_valid_vkn(number)


@pytest.mark.parametrize("number", VALID_VKN)
def test_every_single_digit_typo_in_a_vkn_is_caught(number):
    for typo in _single_digit_changes(number):
        assert not rules.is_valid_vkn(typo), typo


@pytest.mark.parametrize("number", ["4540536921", "454053692", "45405369200", "454053692O", "", "4540-53692"])
def test_invalid_vkn(number):
    assert not rules.is_valid_vkn(number)


def test_vkn_agrees_with_a_reference_implementation():
    rng = random.Random(11)
    for _ in range(2000):
        first9 = f"{rng.randint(0, 999_999_999):09d}"
        check = _reference_vkn_check_digit(first9)
        assert rules.is_valid_vkn(first9 + check), first9 + check
        assert not rules.is_valid_vkn(first9 + str((int(check) + 1) % 10))


# -- phone --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw",
    ["05321234567", "0532 123 45 67", "0 (532) 123 45 67", "532 123 45 67", "5321234567", "+90 532 123 45 67",
     "+905321234567", "0090 532 123 4567", "905321234567", "+90-532-123-45-67", "0532.123.45.67"],
)
def test_phone_spellings_normalise_to_e164(raw):
    assert rules.normalise_phone(raw) == "+905321234567"


@pytest.mark.parametrize(
    "raw",
    ["0212 123 45 67", "+44 7700 900123", "+90 212 123 45 67", "0532 123 45 6", "0532 123 45 678",
     "0532 ABC 45 67", "", "+", "00532 123 45 67"],
)
def test_landlines_foreign_and_malformed_numbers_are_refused(raw):
    with pytest.raises(ValueError):
        rules.normalise_phone(raw)


def test_masks_keep_only_what_lets_an_owner_recognise_a_value():
    assert rules.mask_phone("+905321234567") == "+90 532 *** ** 67"
    assert len(rules.mask_phone("+905321234567")) <= 20  # fits the addresses.phone column
    assert rules.mask_digits("4540536920", 3) == "*******920"


# -- provinces and postcodes --------------------------------------------------------------------
def test_the_81_provinces_with_plate_codes():
    assert [p.plate for p in PROVINCES] == list(range(1, 82))
    assert {p.name for p in PROVINCES} >= {"İstanbul", "Ankara", "İzmir", "Konya", "Iğdır", "Düzce"}
    assert province("İstanbul").plate == 34 and province("Ankara").plate == 6
    assert province("Konya").postcode_prefix == "42" and province("Adana").postcode_prefix == "01"


@pytest.mark.parametrize(
    ("typed", "name"),
    [("İSTANBUL", "İstanbul"), ("istanbul", "İstanbul"), ("Istanbul", "İstanbul"), ("ıstanbul", "İstanbul"),
     ("IĞDIR", "Iğdır"), ("ığdır", "Iğdır"), ("izmir", "İzmir"), ("  Şanlıurfa ", "Şanlıurfa"),
     ("sanliurfa", "Şanlıurfa"), ("Hakkâri", "Hakkari"), ("Afyon", "Afyonkarahisar"), ("İçel", "Mersin")],
)
def test_province_names_match_turkish_aware_and_case_insensitively(typed, name):
    assert province(typed).name == name


@pytest.mark.parametrize("typed", ["Atlantis", "", "Kadıköy", "İstanbul Anadolu"])
def test_unknown_provinces(typed):
    assert find_province(typed) is None


def test_postcode_format_and_province_prefix():
    assert rules.is_valid_postcode("34710") and rules.is_valid_postcode("06420")
    for bad in ("3471", "347100", "34 71", "3471a", ""):
        assert not rules.is_valid_postcode(bad), bad
    assert rules.postcode_matches("34710", province("İstanbul"))
    assert rules.postcode_matches("06420", province("Ankara"))
    assert not rules.postcode_matches("34710", province("Ankara"))
    assert rules.postcode_matches("01000", province("Adana"))


# -- cross-field rules --------------------------------------------------------------------------
def _record(**changes):
    base = {"type": "delivery", "billing_kind": "individual", "title": "Ev", "first_name": "Ayşe",
            "last_name": "Yılmaz", "phone": "+905321234567", "company_name": None, "tax_office": None,
            "tax_number": None, "national_id": None, "il": "İstanbul", "ilce": "Kadıköy", "mahalle": None,
            "address_line": "Moda Cad. No 5", "posta_kodu": "34710", "lat": None, "lng": None}
    return {**base, **changes}


def _problems(record, sent=None):
    return {(p.field, p.type) for p in rules.check(record, set(record) if sent is None else sent)[1]}


def test_a_complete_delivery_address_passes():
    assert _problems(_record()) == set()


def test_corporate_billing_needs_company_tax_office_and_tax_number():
    assert _problems(_record(type="billing", billing_kind="corporate")) == {
        ("company_name", "missing"), ("tax_office", "missing"), ("tax_number", "missing")}
    complete = _record(type="billing", billing_kind="corporate", company_name="Huğlu AŞ", tax_office="Beyşehir",
                       tax_number="4540536920")
    assert _problems(complete) == set()


def test_fields_that_do_not_apply_are_refused_when_sent_and_cleared_when_stale():
    corporate_with_tckn = _record(type="billing", billing_kind="corporate", company_name="X", tax_office="Y",
                                  tax_number="4540536920", national_id="10000000146")
    assert _problems(corporate_with_tckn) == {("national_id", "not_applicable")}
    assert _problems(_record(billing_kind="corporate")) == {("billing_kind", "not_applicable")}
    # Stored company data of an address switched to individual billing is dropped, not an error.
    switched = _record(type="billing", company_name="X", tax_office="Y", tax_number="4540536920")
    cleaned, problems = rules.check(switched, {"billing_kind"})
    assert problems == [] and cleaned["company_name"] is None and cleaned["tax_number"] is None


def test_postcode_must_belong_to_the_province():
    assert _problems(_record(il="Ankara", ilce="Çankaya")) == {("posta_kodu", "postcode_province_mismatch")}
    assert _problems(_record(il="Ankara", ilce="Çankaya", posta_kodu="06420")) == set()
    assert _problems(_record(posta_kodu=None)) == set()


def test_coordinates_come_in_pairs_and_required_fields_stay_set():
    from decimal import Decimal

    assert _problems(_record(lat=Decimal("41.0"))) == {("lng", "coordinates_incomplete")}
    assert _problems(_record(lng=Decimal("29.0"))) == {("lat", "coordinates_incomplete")}
    assert _problems(_record(phone=None)) == {("phone", "missing")}


def test_location_text_names_the_most_specific_part_first():
    assert rules.location_text(_record(mahalle="Caferağa")) == (
        "Moda Cad. No 5, Caferağa, Kadıköy, İstanbul, 34710, Türkiye")
