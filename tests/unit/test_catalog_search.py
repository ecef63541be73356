"""Pure parts of the catalogue search: vocabulary and typo correction, the query planner, cursors."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from chalicelib.catalog import search
from chalicelib.catalog.listing_repository import SORTS
from chalicelib.catalog.vocabulary import Vocabulary, max_edits, prefix_distance
from chalicelib.platform.keyset import CursorError

TEXTS = [
    "toros gear celik pro sisme yatak toros gear kamp uyku sisme yatak",
    "yayla kamp dogan sisme yatak yayla kamp kamp uyku sisme yatak",
    "huglu kartal pro yari otomatik av tufegi huglu av av tufekleri yari otomatik",
    "yayla kamp katlanir kamp sandalyesi yayla kamp kamp kamp mobilyasi kamp sandalyeleri",
    "katlanir kamp dolabi yayla kamp kamp kamp mobilyasi",
]


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary.from_texts(TEXTS)


def test_document_frequencies_and_prefixes(vocabulary: Vocabulary):
    assert vocabulary.prefix_df("kamp") == 4 and vocabulary.prefix_df("sisme") == 2
    assert vocabulary.prefix_df("sandalye") == 2  # sandalyesi + sandalyeleri, both in one product
    assert vocabulary.has_prefix("yat") and not vocabulary.has_prefix("yatz")
    assert vocabulary.completions("ka", 3) == ["kamp", "katlanir", "kartal"]
    assert Vocabulary.from_texts(["Şişme YATAK"]).words == ["sisme", "yatak"]  # unfolded text is folded


@pytest.mark.parametrize(("typed", "expected"), [
    ("sisne", ["sisme"]),  # substitution
    ("ssime", ["sisme"]),  # transposition
    ("yatk", ["yatak"]),  # deletion
    ("yattak", ["yatak"]),  # insertion
    ("sandalue", ["sandalye"]),  # a beginning of sandalyesi / sandalyeleri
    ("otomatk", ["otomatik"]),
    ("tufeyi", ["tufegi"]),
    ("kmp", []),  # three letters: no correction (one edit is another word)
    ("xyzzy", []),
])
def test_corrections(vocabulary: Vocabulary, typed: str, expected: list[str]):
    assert vocabulary.corrections(typed)[:1] == expected


def test_edit_budget_grows_with_length():
    assert [max_edits(n) for n in (2, 3, 4, 7, 8, 12)] == [0, 0, 1, 1, 2, 2]
    assert prefix_distance("sandalyse", "sandalyesi", 2) == (1, "sandalyes")
    assert prefix_distance("abcd", "wxyz", 1) is None


def test_query_analysis(vocabulary: Vocabulary):
    query = search.analyse("  ŞİŞME  yatak, şişme!  ", vocabulary)
    assert [g.term for g in query.groups] == ["sisme", "yatak"]
    assert query.groups[1].prefixes == ("yatak",)  # no "yatag..." word is known
    assert search.analyse("tufek", vocabulary).groups[0].prefixes == ("tufek", "tufeg")  # softened stem known
    typo = search.analyse("sisne yatak", vocabulary)
    assert typo.groups[0].prefixes == ("sisne", "sisme") and typo.did_you_mean == "sisme yatak"
    assert search.analyse("sisme", None).groups[0].prefixes == ("sisme",)
    assert len(search.terms(" ".join(f"w{i}" for i in range(20)))) == search.MAX_TERMS


def test_planner_matches_narrow_words_and_walks_for_broad_ones(vocabulary: Vocabulary):
    query = search.analyse("kamp dolap", vocabulary)
    ranked = search.plan(query, 7, catalogue_size=5, limit=24, ranked=True)
    assert ranked is not None and ranked.against == "+(t7_kamp*) +(t7_dolap* t7_dolab*)"
    big = search.analyse("kamp", Vocabulary.from_counts({"kamp": 4000, "dolap": 12}))
    walked = search.plan(big, 7, catalogue_size=10_000, limit=24, ranked=False)
    assert walked is not None and walked.against is None and walked.like_groups == (("kamp",),)
    # ranked over a broad word: walked too (best-selling order), and for every page size alike
    for limit in (2, 24, 100):
        broad = search.plan(big, 7, catalogue_size=10_000, limit=limit, ranked=True)
        assert broad is not None and broad.against is None and broad.like_groups == (("kamp",),)
    # ranked below RANKED_WALK_MIN_DF matches: always scored
    narrowish = search.analyse("kamp", Vocabulary.from_counts({"kamp": 900}))
    assert search.plan(narrowish, 7, catalogue_size=10_000, limit=24, ranked=True).against == "+(t7_kamp*)"
    assert search.plan(big, 7, catalogue_size=10_000, limit=None, ranked=True).against == "+(t7_kamp*)"
    mixed = search.plan(search.analyse("kamp dolap", Vocabulary.from_counts({"kamp": 4000, "dolap": 12})), 7,
                        catalogue_size=10_000, limit=None, ranked=False)
    assert mixed is not None and mixed.against == "+(t7_dolap*)" and mixed.like_groups == (("kamp",),)


@pytest.mark.parametrize(("sort", "row"), [
    ("newest", {"id": 9, "created_at": datetime(2025, 5, 1, 10, 0, 0, 123456)}),
    ("price_asc", {"id": 9, "base_price": Decimal("1249.90")}),
    ("rating", {"id": 9, "rating_avg": Decimal("4.50"), "rating_count": 12}),
    ("relevance", {"id": 9, "score": 102345}),
])
def test_cursors_round_trip(sort: str, row: dict):
    token = SORTS[sort].encode_row(row)
    assert token.isascii() and "=" not in token
    decoded = SORTS[sort].decode(token)
    assert decoded.id == 9 and len(decoded.values) == len(SORTS[sort].columns)
    with pytest.raises(CursorError):
        SORTS["best_selling" if sort != "best_selling" else "newest"].decode(token)


@pytest.mark.parametrize("token", ["", "!!!", "e30", "bm90IGpzb24", "x" * 600,
                                   SORTS["price_asc"].encode([Decimal("NaN")], 1)])
def test_bad_cursors_are_refused(token: str):
    with pytest.raises(CursorError):
        SORTS["price_asc"].decode(token)


def test_keyset_condition_shape():
    sql, params = SORTS["rating"].after(SORTS["rating"].decode(SORTS["rating"].encode([Decimal("4.5"), 2], 3)))
    assert sql == ("p.rating_avg <= %s AND (p.rating_avg < %s OR (p.rating_avg = %s AND "
                   "(p.rating_count < %s OR (p.rating_count = %s AND p.id < %s))))")
    assert params == [Decimal("4.5")] * 3 + [2, 2, 3]
