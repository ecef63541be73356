"""Turkish folding, slugs and EAN-13 helpers (chalicelib/platform/text.py)."""
from __future__ import annotations

import pytest

from chalicelib.platform.text import ean13_check_digit, fold, is_valid_ean13, slugify


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Şişme Yatak", "sisme-yatak"),
        ("Kamp Sandalyesi", "kamp-sandalyesi"),
        ("Yarı Otomatik Av Tüfeği", "yari-otomatik-av-tufegi"),
        ("İSTANBUL IĞDIR", "istanbul-igdir"),
        ("ılık İnce ışık", "ilik-ince-isik"),
        ("Çakı & Bıçak", "caki-bicak"),
        ("Öğüt Ünlü Güneş", "ogut-unlu-gunes"),
        ("Kâğıt Hâlâ Pâté", "kagit-hala-pate"),
        ("  Kamp -- Sandalyesi!!  ", "kamp-sandalyesi"),
        ("Termos 1,5 L (Çelik)", "termos-1-5-l-celik"),
        ("Şapka/Bere_2024", "sapka-bere-2024"),
        ("", ""),
        ("!!!", ""),
    ],
)
def test_slugify(text: str, expected: str) -> None:
    assert slugify(text) == expected


def test_slugify_output_is_url_safe_ascii() -> None:
    slug = slugify("Huğlu Çınaraltı Şahin Ağır Hizmet Kamp Çadırı — 4 Kişilik ✓")
    assert slug == "huglu-cinaralti-sahin-agir-hizmet-kamp-cadiri-4-kisilik"
    assert slug.isascii()


def test_slugify_max_length_cuts_at_a_word_boundary() -> None:
    assert slugify("Yarı Otomatik Av Tüfeği", max_length=15) == "yari-otomatik"
    assert slugify("Yarı Otomatik Av Tüfeği", max_length=13) == "yari-otomatik"
    assert slugify("Yarı Otomatik Av Tüfeği", max_length=100) == "yari-otomatik-av-tufegi"
    # A single word longer than the limit is hard-cut.
    assert slugify("Süperpoze", max_length=5) == "super"
    assert slugify("abc", max_length=0) == ""
    assert not slugify("ab cd ef", max_length=6).endswith("-")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Yarı Otomatik  AV TÜFEĞİ", "yari otomatik av tufegi"),
        ("ŞİŞME YATAK", "sisme yatak"),
        ("şişme-yatak", "sisme yatak"),
        ("Işık, Ilık; İnce.", "isik ilik ince"),
        ("Çınaraltı   Kamp\tSandalyesi\n", "cinaralti kamp sandalyesi"),
        ("Termos 750 ml", "termos 750 ml"),
        ("", ""),
    ],
)
def test_fold(text: str, expected: str) -> None:
    assert fold(text) == expected


def test_fold_makes_spellings_of_one_word_equal() -> None:
    spellings = ["Şişme", "ŞİŞME", "şişme", "sisme", "SISME", "Sişme"]
    assert {fold(s) for s in spellings} == {"sisme"}


def test_fold_and_slugify_agree() -> None:
    text = "Huğlu Kartal Pro Yarı Otomatik Av Tüfeği"
    assert slugify(text) == fold(text).replace(" ", "-")


@pytest.mark.parametrize(
    ("first12", "check"),
    [
        ("400638133393", 1),  # 4006381333931
        ("590123412345", 7),  # 5901234123457
        ("869000000001", 2),
        ("000000000000", 0),
        ("978030640615", 7),  # ISBN 978-0-306-40615-7
    ],
)
def test_ean13_check_digit(first12: str, check: int) -> None:
    assert ean13_check_digit(first12) == check
    assert is_valid_ean13(first12 + str(check))


@pytest.mark.parametrize("bad", ["", "12345678901", "1234567890123", "86900000000a", " 86900000000",
                                 "٤٠٠٦٣٨١٣٣٣٩٣"])
def test_ean13_check_digit_rejects_anything_but_twelve_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        ean13_check_digit(bad)


@pytest.mark.parametrize(
    "code",
    [
        "4006381333932",  # wrong check digit
        "400638133393",  # too short
        "40063813339311",  # too long
        "400638133393X",
        "4006381333931 ",
        "٤٠٠٦٣٨١٣٣٣٩٣١",  # non-ASCII digits
        "",
        None,
        4006381333931,
    ],
)
def test_is_valid_ean13_rejects(code: object) -> None:
    assert is_valid_ean13(code) is False  # type: ignore[arg-type]


def test_every_single_digit_error_is_detected() -> None:
    code = "8690000000012"
    assert is_valid_ean13(code)
    for position in range(13):
        for digit in "0123456789":
            if digit != code[position]:
                changed = code[:position] + digit + code[position + 1:]
                assert not is_valid_ean13(changed), changed
