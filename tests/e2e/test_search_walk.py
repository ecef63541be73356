"""A broad search walked down the sort's index with a budget (catalog.text_walk), and its
fall-back when the budget runs out (every match, off product_search_words), give the brute-force
pages: over a 2,000-product catalogue, for single broad words, word beginnings, typos and pairs
of words that rarely meet, under category / brand / price / stock filters, walked page by page
through the cursors - with budgets so small that nearly every page falls back, and with the real
ones.  Searches with attribute filters (the words read or probed off product_search_words, the
attribute's rows read when fewer) too, and a search's facet cube off product_search_words equals
the grouped FULLTEXT matches."""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import astuple
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.catalog import browse, facets, search, text_walk
from chalicelib.catalog import listing_repository as sql
from chalicelib.catalog.schemas import ProductListQuery
from chalicelib.catalog.state import vocabulary
from chalicelib.platform.db import get_db
from tests.conftest import make_tenant
from tests.e2e import catalog_scale_kit as kit

SORTS = ("newest", "price_asc", "price_desc", "best_selling", "rating", "relevance")


@pytest.fixture(scope="module")
def shop(database: str) -> dict[str, Any]:
    db = get_db()
    tenant = make_tenant()
    kit.seed(db, tenant.id, 2_000, 47)
    session = db.session()
    products = kit.load_products(session, tenant.id)  # with "words" and the attribute "values"
    df = Counter(w for p in products for w in set(p["words"]))
    categories = session.all("SELECT id, path, depth FROM categories WHERE tenant_id = %s ORDER BY id", (tenant.id,))
    brands = [int(r["id"]) for r in session.all("SELECT id FROM brands WHERE tenant_id = %s ORDER BY id", (tenant.id,))]
    return {"tenant_id": tenant.id, "products": products, "df": df, "categories": categories, "brands": brands}


def _queries(shop: dict[str, Any], rng: random.Random) -> list[str]:
    broad = [w for w, n in shop["df"].most_common(40) if len(w) >= 4]
    words = [p["words"] for p in shop["products"]]
    together = {frozenset((a, b)) for ws in words for a in ws for b in ws if a != b}
    apart = [(a, b) for a in broad for b in broad if a < b and frozenset((a, b)) not in together]
    word = rng.choice(broad)
    pair = rng.choice(apart) if apart else (broad[0], broad[1])
    typo = word[:2] + word[3:] if len(word) >= 6 else word
    return [word, word[:3], f"{pair[0]} {pair[1]}", f"{rng.choice(broad)} {rng.choice(broad)[:4]}", typo]


def _pages(tenant_id: int, q: str, sort: str, limit: int, **filters: Any) -> list[int]:
    ids: list[int] = []
    cursor = None
    for _ in range(300):
        query = ProductListQuery.model_validate({"q": q, "sort": sort, "limit": limit, "cursor": cursor, **filters})
        answer = browse.list_products(get_db(), tenant_id, query)
        ids += [item["id"] for item in answer["items"]]
        cursor = answer["next_cursor"]
        if cursor is None:
            return ids
    raise AssertionError("more than 300 pages")


@pytest.mark.parametrize("budget", ["tiny", "real"])
@pytest.mark.parametrize("draw", range(6))
def test_walked_and_fallen_back_pages_equal_brute_force(shop: dict[str, Any], monkeypatch, draw: int, budget: str):
    monkeypatch.setattr("chalicelib.catalog.caching.responses_enabled", False)
    monkeypatch.setattr(search, "WALK_FACTOR", 0)  # every non-relevance search of a page walks
    monkeypatch.setattr(search, "RANKED_WALK_MIN_DF", 0)  # and relevance walks best-selling
    if budget == "tiny":
        monkeypatch.setattr(text_walk, "MIN_BUDGET", 4)
        monkeypatch.setattr(text_walk, "MAX_BUDGET", 9)
        monkeypatch.setattr(text_walk, "hopeless", lambda *_: False)  # walk, then fall back
    rng = random.Random(draw)
    tenant_id = shop["tenant_id"]
    roots = [c for c in shop["categories"] if c["depth"] == 0]
    category = rng.choice(roots) if draw % 2 else None
    brands = sorted(rng.sample(shop["brands"], rng.choice([0, 1, 2])))
    low = Decimal(rng.choice([300, 800])) if draw % 3 == 1 else None
    in_stock = draw % 3 == 2
    filters = {"category_id": None if category is None else category["id"], "brand_id": brands or None,
               "min_price": low, "in_stock": in_stock}
    words = vocabulary(get_db(), tenant_id, None)
    for q in _queries(shop, rng):
        groups = [g.prefixes for g in search.analyse(q, words).groups]
        for sort in SORTS:
            # A walked relevance is best-selling first (catalog.browse).
            expected = kit.brute_force(shop["products"], path=None if category is None else category["path"],
                                       brand_ids=tuple(brands), min_price=low, in_stock=in_stock, words=groups,
                                       sort="best_selling" if sort == "relevance" else sort)
            got = _pages(tenant_id, q, sort, rng.choice([5, 24]), **filters)
            assert got == expected, (q, sort, filters, budget)


def test_the_budget_follows_the_words_share():
    assert text_walk.budget(25, 1.0) == text_walk.MIN_BUDGET
    assert text_walk.budget(10, 0.1) == 3 * 10 * 10
    assert text_walk.budget(25, 0.0001) == text_walk.MAX_BUDGET


def test_a_second_read_is_worth_it_only_below_the_fallbacks_cost():
    # 16 found among 1,200: the share taken as 12 in 1,200, 9 more need ~900 candidates (6.3 ms at
    # 7 µs) - against a 45 ms fall-back
    assert text_walk.more_budget(25, 16, 1_200, 45_000.0) == int(2 * 900 + text_walk.MIN_BUDGET)
    # room, but never past what the fall-back costs
    assert text_walk.more_budget(25, 16, 1_200, 7_000.0) == 1_000
    assert text_walk.more_budget(25, 16, 1_200, 6_000.0) == 0  # the rest would cost more than falling back
    assert text_walk.more_budget(25, 0, 1_200, 45_000.0) == 0  # nothing found: the words rarely meet
    assert text_walk.more_budget(25, 1, 1_200, 45_000.0) == 0  # one match measures nothing
    assert text_walk.more_budget(6, 2, 1_200, 30_000.0) == 0  # two: 4 more taken as ~8,200 candidates
    assert text_walk.more_budget(25, 10, 1_200, 0.0) == 0  # no fall-back cost given (attribute walks)
    assert text_walk.more_budget(25, 25, 1_200, 45_000.0) == 0  # full already
    # the largest budget grows with the fall-back it saves
    assert text_walk.hopeless(96, 0.05) and not text_walk.hopeless(96, 0.05, fallback=20_000 * text_walk.WALK_US)


def test_a_walk_that_found_part_of_its_page_goes_on_from_its_last_match(shop: dict[str, Any], monkeypatch):
    """Two words that go together, walked with a first read too small for the page: the second
    read, after the last match, completes it - the brute-force pages, with no fall-back."""
    monkeypatch.setattr("chalicelib.catalog.caching.responses_enabled", False)
    monkeypatch.setattr(search, "WALK_FACTOR", 0)
    monkeypatch.setattr(search, "RANKED_WALK_MIN_DF", 0)
    monkeypatch.setattr(text_walk, "MAX_BUDGET", 40)  # a first read that holds part of a page
    monkeypatch.setattr(text_walk, "hopeless", lambda *_: False)
    monkeypatch.setattr(text_walk, "WALK_US", 0.001)  # any rest is worth a second read
    reads: list[int] = []
    fallbacks: list[int] = []
    real_walked, real_page = text_walk._walked, sql.page
    monkeypatch.setattr(text_walk, "_walked", lambda *a, **k: reads.append(a[6]) or real_walked(*a, **k))
    monkeypatch.setattr(sql, "page", lambda *a, **k: fallbacks.append(1) or real_page(*a, **k))
    tenant_id = shop["tenant_id"]
    words = vocabulary(get_db(), tenant_id, None)
    broad = {w for w, n in shop["df"].most_common(30)}
    together = Counter(frozenset((a, b)) for p in shop["products"] for a in set(p["words"]) for b in set(p["words"])
                       if a < b and a in broad and b in broad)
    pair = sorted(together.most_common(1)[0][0])
    q = f"{pair[0]} {pair[1]}"
    groups = [g.prefixes for g in search.analyse(q, words).groups]
    for sort in ("newest", "best_selling", "rating"):
        reads.clear()
        fallbacks.clear()
        expected = kit.brute_force(shop["products"], words=groups, sort=sort)
        assert len(expected) > 30
        query = ProductListQuery.model_validate({"q": q, "sort": sort, "limit": 24})
        got = [item["id"] for item in browse.list_products(get_db(), tenant_id, query)["items"]]
        assert got == expected[:24], (q, sort)
        assert len(reads) == 2 and reads[0] <= 40 < reads[1] and not fallbacks, (q, sort, reads)
    assert _pages(tenant_id, q, "newest", 7) == kit.brute_force(shop["products"], words=groups, sort="newest")


def test_a_walk_the_largest_budget_cannot_fill_is_not_run(shop: dict[str, Any], monkeypatch):
    """limit / share over MAX_BUDGET: the walk would read its whole budget and fall back anyway."""
    assert text_walk.hopeless(96, 0.05) and not text_walk.hopeless(24, 0.05)
    # words that go together are judged by the narrowest one's share, not the independent guess
    pair = search.analyse("av tüfeği", search.Vocabulary.from_counts({"av": 30_000, "tufegi": 10_000}))
    assert pair.share(100_000) == pytest.approx(0.03) and pair.most(100_000) == pytest.approx(0.10)
    assert not text_walk.hopeless(96, pair.most(100_000))
    monkeypatch.setattr("chalicelib.catalog.caching.responses_enabled", False)
    monkeypatch.setattr(search, "WALK_FACTOR", 0)
    monkeypatch.setattr(search, "RANKED_WALK_MIN_DF", 0)
    monkeypatch.setattr(text_walk, "MAX_BUDGET", 9)
    monkeypatch.setattr(text_walk, "WALK_US", 1e9)  # no fall-back cost buys a larger budget here
    walks: list[int] = []
    real_page = text_walk.page
    monkeypatch.setattr(text_walk, "page", lambda *a, **k: walks.append(1) or real_page(*a, **k))
    tenant_id = shop["tenant_id"]
    word = next(w for w, _n in shop["df"].most_common(40) if len(w) >= 4)
    groups = [g.prefixes for g in search.analyse(word, vocabulary(get_db(), tenant_id, None)).groups]
    share = search.analyse(word, vocabulary(get_db(), tenant_id, None)).most(len(shop["products"]))
    assert 24 / share > 9  # hopeless at this budget
    for sort in ("newest", "relevance"):
        expected = kit.brute_force(shop["products"], words=groups, sort="best_selling" if sort == "relevance" else sort)
        assert _pages(tenant_id, word, sort, 24) == expected
    assert walks == []
    monkeypatch.setattr(text_walk, "MAX_BUDGET", 1_200)  # the real budget holds a page: walked
    assert _pages(tenant_id, word, "newest", 24)[:24] == kit.brute_force(shop["products"], words=groups,
                                                                          sort="newest")[:24]
    assert walks


def test_two_words_that_rarely_meet_are_not_walked_as_if_always_together():
    vocab = search.Vocabulary.from_counts({"yelek": 5_000, "tufegi": 10_000, "uyku": 300})
    query = search.analyse("yelek tüfeği", vocab)
    assert query.share(100_000) == pytest.approx(0.05 * 0.10)
    # 500 expected matches: a page of 36 is found after ~7,000 candidates - MATCH reads 5,000 postings
    pair = search.plan(query, 1, catalogue_size=100_000, limit=36, ranked=False)
    assert pair is not None and pair.against is not None
    # one broad word alone still walks
    one = search.plan(search.analyse("tufegi", vocab), 1, catalogue_size=100_000, limit=36, ranked=False)
    assert one is not None and one.against is None


@pytest.mark.parametrize("budget", ["tiny", "real"])
def test_suggestions_walked_or_fallen_back_hold_every_word(shop: dict[str, Any], monkeypatch, budget: str):
    monkeypatch.setattr("chalicelib.catalog.caching.responses_enabled", False)
    # suggestions are planned as the relevance sort: walked from this many products a word
    monkeypatch.setattr(search, "RANKED_WALK_MIN_DF", 100)
    if budget == "tiny":
        monkeypatch.setattr(text_walk, "MIN_BUDGET", 2)
        monkeypatch.setattr(text_walk, "MAX_BUDGET", 3)
        monkeypatch.setattr(text_walk, "hopeless", lambda *_: False)
    tenant_id = shop["tenant_id"]
    words = vocabulary(get_db(), tenant_id, None)
    for q in _queries(shop, random.Random(budget)):
        groups = [g.prefixes for g in search.analyse(q, words).groups]
        expected = kit.brute_force(shop["products"], words=groups, sort="best_selling")
        items = browse.suggest(get_db(), tenant_id, q)["items"]
        products = [i["id"] for i in items if i["type"] == "product"]
        categories = len(items) - len(products)
        assert set(products) <= set(expected), q
        assert len(products) == min(browse.SUGGEST_LIMIT - categories, len(expected)), q
        if budget == "real" and len(expected) > 100:  # broad: walked, so best-selling first
            assert products == expected[:len(products)], q


def test_suggestions_of_two_broad_words_are_never_scored_by_match(shop: dict[str, Any], monkeypatch):
    """Two words each in many products that meet in a few: scoring the narrower one's postings
    is what cost 30-45 ms at 100,000 products; the suggestions walk the best sellers instead (or
    read every match off product_search_words), as the relevance sort does, and come best-selling
    first."""
    monkeypatch.setattr("chalicelib.catalog.caching.responses_enabled", False)
    monkeypatch.setattr(search, "RANKED_WALK_MIN_DF", 100)
    tenant_id = shop["tenant_id"]
    words = vocabulary(get_db(), tenant_id, None)
    broad = [w for w, n in shop["df"].most_common(60) if len(w) >= 4 and n >= 100]
    held = [frozenset(p["words"]) for p in shop["products"]]
    pairs = [(a, b) for a in broad for b in broad if a < b and 1 <= sum(a in ws and b in ws for ws in held) <= 40]
    assert pairs, "the catalogue has no two broad words that meet rarely"
    for a, b in pairs[:4]:
        q = f"{a} {b}"
        groups = [g.prefixes for g in search.analyse(q, words).groups]
        assert min(g.df for g in search.analyse(q, words).groups) >= search.RANKED_WALK_MIN_DF
        expected = kit.brute_force(shop["products"], words=groups, sort="best_selling")
        with kit.recorded() as statements:
            items = browse.suggest(get_db(), tenant_id, q)["items"]
        assert not any("MATCH(" in sql_text for sql_text, _ in statements), q
        products = [i["id"] for i in items if i["type"] == "product"]
        assert products == expected[:len(products)] and len(products) == min(
            browse.SUGGEST_LIMIT - (len(items) - len(products)), len(expected)), q


def test_an_attribute_drives_a_search_only_with_far_fewer_rows_than_the_word(shop: dict[str, Any], monkeypatch):
    """A word probe per attribute row costs ~2.5 attribute probes per word row: an attribute
    value with between 0.4 and 1 times the narrowest word's products leaves the word's rows to
    drive the cube and a page by newest (listing_repository.attributes_drive), while a page in
    price order, which reads the attribute's rows only up to its last price, is still driven by
    the attribute."""
    monkeypatch.setattr("chalicelib.catalog.caching.responses_enabled", False)
    tenant_id = shop["tenant_id"]
    words = vocabulary(get_db(), tenant_id, None)
    held = Counter((k, v) for p in shop["products"] for k, values in p["values"].items() for v in values)
    pair = next(((word, key, value) for word, _n in shop["df"].most_common(80) if len(word) >= 4
                 for (key, value), n in held.most_common(40)
                 if 0.5 * words.prefix_df(word) <= n <= 0.9 * words.prefix_df(word)), None)
    assert pair is not None, "no attribute value with 0.5-0.9 times a word's products"
    word, key, value = pair

    def driver(sort: str, facets: bool) -> set[str]:
        query = ProductListQuery.model_validate({"q": word, "attr": [f"{key}:{value}"], "sort": sort, "limit": 24,
                                                 "facets": facets})
        with kit.recorded() as statements:
            browse.list_products(get_db(), tenant_id, query)
        read = [text for text, _ in statements if ("c.n_price" in text if facets else "page.id" in text)]
        return {"attribute" if ("product_attribute_values a FORCE INDEX (ix_cells)" in text
                                or "product_attribute_values a FORCE INDEX (ix_category)" in text)
                else "words" if "product_search_words w FORCE INDEX (PRIMARY)" in text else "other" for text in read}

    assert driver("newest", facets=True) == {"words"}, pair  # the cube
    assert driver("price_asc", facets=False) == {"attribute"}, pair  # the page


def _attribute_draws(shop: dict[str, Any], rng: random.Random) -> list[tuple[str, str]]:
    """(key, value) pairs products hold: a common one and a rare one."""
    held = Counter((k, v) for p in shop["products"] for k, values in p["values"].items() for v in values)
    common = [pair for pair, _n in held.most_common(10)]
    rare = [pair for pair, n in held.items() if 3 <= n <= 30]
    return [rng.choice(common), rng.choice(sorted(rare) or common)]


@pytest.mark.parametrize("draw", range(4))
def test_searches_with_an_attribute_filter_equal_brute_force(shop: dict[str, Any], monkeypatch, draw: int):
    """Every sort, through the cursors: the words driving (product_search_words' range, the
    attribute probed) or the attribute's rows driving (the words probed), as the counts decide."""
    monkeypatch.setattr("chalicelib.catalog.caching.responses_enabled", False)
    rng = random.Random(1000 + draw)
    tenant_id = shop["tenant_id"]
    roots = [c for c in shop["categories"] if c["depth"] == 0]
    category = rng.choice(roots) if draw % 2 else None
    low = Decimal(rng.choice([300, 800])) if draw % 3 == 1 else None
    in_stock = draw % 3 == 2
    words = vocabulary(get_db(), tenant_id, None)
    for key, value in _attribute_draws(shop, rng):
        for q in _queries(shop, rng)[:3]:
            groups = [g.prefixes for g in search.analyse(q, words).groups]
            for sort in SORTS:
                expected = kit.brute_force(shop["products"], path=None if category is None else category["path"],
                                           min_price=low, in_stock=in_stock, attr=(key, value), words=groups,
                                           sort="best_selling" if sort == "relevance" else sort)
                filters = {"category_id": None if category is None else category["id"], "min_price": low,
                           "in_stock": in_stock, "attr": [f"{key}:{value}"]}
                got = _pages(tenant_id, q, sort, rng.choice([5, 24]), **filters)
                if sort == "relevance":  # scored when MATCH ranks: the same products in another order
                    assert sorted(got) == sorted(expected), (q, key, value, filters)
                else:
                    assert got == expected, (q, sort, key, value, filters)


def test_a_broad_search_by_relevance_walks_only_the_category_where_its_attribute_is(shop: dict[str, Any],
                                                                                     monkeypatch):
    """Relevance over a broad word is the best-selling walk, planned once on the filters the
    attribute narrowed to its one category: that category's own index is walked, not the shop's
    (planned twice, the second plan kept the whole shop's estimate and walked ix_status_sold)."""
    monkeypatch.setattr("chalicelib.catalog.caching.responses_enabled", False)
    monkeypatch.setattr(search, "WALK_FACTOR", 0)
    monkeypatch.setattr(search, "RANKED_WALK_MIN_DF", 0)
    tenant_id = shop["tenant_id"]
    categories: dict[tuple[str, str], set[int]] = {}
    for p in shop["products"]:
        for key, values in p["values"].items():
            for value in values:
                categories.setdefault((key, value), set()).add(p["category_id"])
    held = Counter((k, v) for p in shop["products"] for k, values in p["values"].items() for v in values)
    key, value = next(pair for pair, n in held.most_common() if len(categories[pair]) == 1 and n >= 20)
    (category,) = categories[(key, value)]
    in_category = Counter(w for p in shop["products"] if p["category_id"] == category for w in set(p["words"]))
    word = next(w for w, _n in in_category.most_common() if len(w) >= 4
                and sum(1 for p in shop["products"] if w in p["words"]) > 2 * in_category[w])
    walked: list[str] = []
    real_page = text_walk.page
    monkeypatch.setattr(text_walk, "page", lambda *a, **k: walked.append(a[5]) or real_page(*a, **k))
    groups = [g.prefixes for g in search.analyse(word, vocabulary(get_db(), tenant_id, None)).groups]
    expected = kit.brute_force(shop["products"], attr=(key, value), words=groups, sort="best_selling")
    got = _pages(tenant_id, word, "relevance", 5, attr=[f"{key}:{value}"])
    assert got == expected and expected, (word, key, value)
    assert walked and set(walked) == {"ix_category_sold"}, walked


def test_a_walk_is_not_tried_where_the_attribute_filters_leave_it_no_hope(shop: dict[str, Any], monkeypatch):
    """A broad word with an attribute filter: the walk's hope and budget count what the planner
    expects the attribute to keep (Choice.share), not the words' share alone - told the attribute
    keeps almost nothing, no walk reads its budget for nothing before the fall-back."""
    from dataclasses import replace

    from chalicelib.catalog import listing_plan

    monkeypatch.setattr("chalicelib.catalog.caching.responses_enabled", False)
    monkeypatch.setattr(search, "WALK_FACTOR", 0)
    monkeypatch.setattr(search, "RANKED_WALK_MIN_DF", 0)
    real_choose = listing_plan.choose
    monkeypatch.setattr(listing_plan, "choose", lambda *a, **k: replace(real_choose(*a, **k), share=1e-6))
    walked: list[int] = []
    real_page = text_walk.page
    monkeypatch.setattr(text_walk, "page", lambda *a, **k: walked.append(1) or real_page(*a, **k))
    tenant_id = shop["tenant_id"]
    held = Counter((k, v) for p in shop["products"] for k, values in p["values"].items() for v in values)
    word = next(w for w, _n in shop["df"].most_common(40) if len(w) >= 4)
    groups = [g.prefixes for g in search.analyse(word, vocabulary(get_db(), tenant_id, None)).groups]
    key, value = held.most_common(1)[0][0]
    for sort in ("newest", "relevance"):
        expected = kit.brute_force(shop["products"], attr=(key, value), words=groups,
                                   sort="best_selling" if sort == "relevance" else sort)
        assert _pages(tenant_id, word, sort, 24, attr=[f"{key}:{value}"]) == expected, (word, key, value, sort)
    assert walked == []


def _cells(rows: list[list[Any]]) -> list[tuple[Any, ...]]:
    return sorted(astuple(cell) for cell in facets.cells(rows))  # (no brand: NULL or 0, as one)


def test_a_searchs_facet_cube_equals_the_grouped_fulltext_matches(shop: dict[str, Any]):
    """facet_cube_words (each product of the narrowest word's rows once, grouped) against the
    definition, facet_cube_scan: the products the FULLTEXT index and the LIKE checks match,
    grouped - under categories, prices and attribute filters."""
    rng = random.Random(77)
    tenant_id = shop["tenant_id"]
    words = vocabulary(get_db(), tenant_id, None)
    subtrees = {c["id"]: tuple(int(d["id"]) for d in shop["categories"] if d["path"].startswith(c["path"]))
                for c in shop["categories"]}
    reader = get_db().reader()
    nonempty = 0
    for round_ in range(40):
        queries = _queries(shop, rng)  # a broad word and its beginning hold products; the others may not
        q = rng.choice(queries[:2] if round_ % 2 else queries)
        text = search.plan(search.analyse(q, words), tenant_id, catalogue_size=len(shop["products"]), limit=None,
                           ranked=False)
        assert text is not None and text.against is not None and text.groups
        category = rng.choice([None, *(c["id"] for c in shop["categories"] if c["depth"] < 2)])
        attributes = ()
        if round_ % 3 == 0:
            key, value = rng.choice(_attribute_draws(shop, rng))
            attributes = ((key, (value,)),)
        low, high = rng.choice([(None, None), (Decimal(300), None), (None, Decimal("1499.99")),
                                (Decimal(250), Decimal(4000))])
        f = sql.Filters(tenant_id, None if category is None else subtrees[category], (), low, high, False,
                        attributes, text)
        words_cube = _cells(sql.facet_cube_words(reader, f))
        assert words_cube == _cells(sql.facet_cube_scan(reader, f)), (q, category, attributes, low, high)
        assert _cells(sql.facet_cube(reader, f)) == words_cube
        nonempty += bool(words_cube)
    assert nonempty >= 8  # 12 of the 40 with these draws
