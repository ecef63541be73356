"""The random combinations of the catalogue-at-scale bench (bench/catalog_scale.py): reproducible
for a seed, readable names, and every drawn query one the API accepts (the schemas the routes
validate with), so a 4xx in the bench means the API, not the generator."""
from __future__ import annotations

from decimal import Decimal

from bench.catalog_scale import Category, Generator, Taxonomy, turkish_upper
from chalicelib.catalog.schemas import ProductListQuery, SuggestQuery

TAXONOMY = Taxonomy(
    categories=[Category(1, "Kamp", "root"), Category(2, "Çadırlar", "mid"), Category(3, "Kubbe Çadır", "leaf"),
                Category(4, "Av", "root"), Category(5, "Yarı Otomatik", "leaf")],
    brands=[(10, "Huğlu"), (11, "Kartal"), (12, "Yayla"), (13, "Dağcı")],
    price_range=(Decimal("159.90"), Decimal("89800.00")),
    attributes=[("renk", "Haki", 40), ("renk", "Zeytin Yeşili", 3), ("mensei", "Türkiye", 90), ("beden", "XL", 12)],
    names=["Huğlu Kartal Pro Yarı Otomatik Av Tüfeği", "Yayla Şişme Yatak Çift Kişilik", "Dağcı Uyku Tulumu -5"],
)


def _draws(seed: int, kind: str, n: int = 300) -> list:
    generator = Generator(TAXONOMY, seed)
    return [generator.draw(kind) for _ in range(n)]


def test_the_same_seed_draws_the_same_combinations_and_another_seed_others() -> None:
    for kind in ("list", "facets", "search", "suggest"):
        first, again, other = _draws(1, kind), _draws(1, kind), _draws(2, kind)
        assert [c.query for c in first] == [c.query for c in again]
        assert [c.name for c in first] != [c.name for c in other]
        assert len({c.name for c in first}) > 100  # new combinations, not a short rotation


def test_every_drawn_query_is_valid_for_the_api() -> None:
    for kind in ("list", "facets", "search"):
        for combination in _draws(3, kind, 1000):
            query = ProductListQuery.model_validate(combination.query)
            assert combination.kind == kind
            assert (query.sort == "relevance") <= bool(query.q)
            assert 1 <= query.limit <= 100
            if query.min_price is not None:
                assert Decimal("159.90") <= query.min_price <= Decimal("89800")
    for combination in _draws(3, "suggest", 500):
        SuggestQuery.model_validate(combination.query)


def test_names_say_what_was_drawn() -> None:
    combos = _draws(4, "list", 1000) + _draws(4, "search", 1000)
    names = " ".join(c.name for c in combos)
    for part in ("(root)", "(mid)", "(leaf)", "brand×2", "brand×3", "price>=", "price<=", "in_stock", "attr renk:",
                 "sort=price_asc", "sort=best_selling", "sort=rating", "sort=relevance", "page2", "(typo)",
                 "(prefix)", "(folded)", "(upper)", "limit="):
        assert part in names, part
    sample = next(c for c in combos if c.query.get("category_id") == "2" and c.query.get("sort") == "price_desc")
    assert "cat=Çadırlar(mid)" in sample.name and "sort=price_desc" in sample.name
    for c in combos:
        if "q" in c.query:
            assert f'q="{c.query["q"]}"' in c.name
        assert c.name.count("limit=") == 1 and f"limit={c.query['limit']}" in c.name


def test_relevance_is_drawn_only_with_a_search_text() -> None:
    for c in _draws(5, "list", 1000) + _draws(5, "facets", 1000):
        assert c.query.get("sort") != "relevance" or "q" in c.query


def test_turkish_upper_case() -> None:
    assert turkish_upper("şişme ılık") == "ŞİŞME ILIK"
