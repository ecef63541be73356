"""The public catalogue's query plans at scale (issue 16): a 100,000-product tenant beside a
10,000-product one (and the database's other tenants), the demo generator's catalogues with
sales and ratings.  For every listing shape (each sort × no filter, root category, leaf
category, brand, price range, in stock, attribute, text), the facet cube under each filter,
search by relevance and by another sort, and suggestions, the SQL the real code runs is
recorded and EXPLAINed: no full scan of products / variations / images, no filesort over more
than a bounded number of rows, and the products index from the table below.  A sample of
listings is also compared with a brute-force filter and sort of the seeded rows, so a plan
change cannot quietly change answers."""
from __future__ import annotations

import time
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.catalog import browse, caching, search, service
from chalicelib.catalog.schemas import ProductListQuery
from chalicelib.platform.db import get_db
from tests.conftest import make_tenant
from tests.e2e import catalog_scale_kit as kit

SIZES = {"100k": (100_000, 23), "10k": (10_000, 24)}  # products, generator seed
SORTS = ("newest", "price_asc", "price_desc", "best_selling", "rating")
FILTERS = ("none", "root", "leaf", "brand", "price", "in_stock", "attribute", "text")

# The products index a page's ids may come from, by filter (catalog.listing_plan chooses among
# them by cost): "walk" is the sort's own covering index below (read in order, filters checked on
# the way, stopping at LIMIT), "category" the category's range of ix_category_<sort> (one
# category read in order; a subtree's categories each read in order and merged), the price range
# of ix_status_price, the brands' range of ix_status_brand (migration 0022), a rare attribute
# value's range of product_attribute_values (ix_cells, or ix_category within categories: 0023).
WALK = {"newest": "ix_status_created", "price_asc": "ix_status_price", "price_desc": "ix_status_price",
        "best_selling": "ix_status_sold", "rating": "ix_status_rating"}
CATEGORY = {"newest": "ix_category_created", "price_asc": "ix_category_price", "price_desc": "ix_category_price",
            "best_selling": "ix_category_sold", "rating": "ix_category_rating"}
WORDS = "product_search_words.PRIMARY"  # a search's words (migration 0024): see RELEVANCE_INDEXES below
LISTING_INDEXES: dict[str, set[str]] = {
    "none": {"walk"},
    "root": {"category", "walk"},
    "leaf": {"category"},
    "brand": {"walk", "ix_status_brand"},
    "price": {"walk", "ix_status_price"},
    "in_stock": {"walk"},
    # walk, or the value's products off product_attribute_values' covering indexes (0023)
    "attribute": {"walk", "product_attribute_values.ix_cells", "product_attribute_values.ix_category"},
    "text": {"walk", "ft_terms", WORDS},
}
# The facet counts: from the counts kept by triggers (product_facet_counts, migration 0020; its
# primary key), or when products are read, from a covering index ("Using index": ix_facets, or
# ix_price_bucket for the buckets a price range cuts); text from product_search_words (WORDS),
# which reads no products.
FACET_COUNTS = {"ix_facets", "ix_price_bucket"}
FACET_INDEXES: dict[str, set[str]] = {
    "none": FACET_COUNTS, "root": FACET_COUNTS, "leaf": FACET_COUNTS, "brand": FACET_COUNTS,
    "price": FACET_COUNTS, "in_stock": FACET_COUNTS, "attribute": FACET_COUNTS, "text": set(),
}
COVERING = {"none", "root", "leaf", "brand", "price", "in_stock"}  # facet reads of products from the index alone
# (with an attribute, the products of the value's range are read by id: PRIMARY)
# Relevance scores the FULLTEXT matches, unless the narrowest word is so broad that the page
# walks the best-selling index instead (catalog.search.plan).  A search by another sort that needs
# every match of its words (a price sort: a walk down the price index would reach the word's
# categories last, since prices follow categories), and the facet counts of a search, read the
# narrowest word's range of product_search_words (migration 0024), which carries the filter,
# facet and price / newest columns: its matches are grouped or sorted in a temporary table,
# bounded by that word's products (~0.3 µs each, where the FULLTEXT index cost ~8 µs).
RELEVANCE_INDEXES = {"ft_terms", "ix_status_sold", WORDS}
SUGGEST_INDEXES = {"ft_terms", "ix_status_sold", WORDS}
SEARCHES = ["kamp", "sisme yatak", "Uyku Tulumu", "av tüfeği", "huglu", "kamp sandalye"]
SUGGESTS = ["k", "ka", "kam", "sisme y", "hug", "uyku t"]


@pytest.fixture(scope="module")
def scale(database: str) -> dict[str, Any]:
    db = get_db()
    tenants: dict[str, Any] = {}
    for size, (products, seed) in SIZES.items():
        tenant = make_tenant()
        seconds = kit.seed(db, tenant.id, products, seed)
        tenants[size] = {"tenant_id": tenant.id, "seed_seconds": round(seconds, 1)}
    started = time.perf_counter()
    db.session().execute("ANALYZE TABLE products, product_variations, product_images")
    for info in tenants.values():
        info.update(_picks(info["tenant_id"]))
        service.catalog_changed(info["tenant_id"])
    print(f"\nseeded {({s: t['seed_seconds'] for s, t in tenants.items()})} s, "
          f"analyze + picks {time.perf_counter() - started:.1f} s")
    return tenants


def _picks(tenant_id: int) -> dict[str, Any]:
    """The filter values the shapes use: the largest root and leaf category, a brand of middling
    size, renk:Haki, a price range."""
    session = get_db().session()
    cats = session.all("SELECT id, parent_id, path FROM categories WHERE tenant_id = %s ORDER BY id", (tenant_id,))
    counts = Counter({int(r["category_id"]): int(r["n"]) for r in session.all(
        "SELECT category_id, COUNT(*) AS n FROM products WHERE tenant_id = %s AND status = 'active' "
        "GROUP BY category_id", (tenant_id,))})
    parents = {c["parent_id"] for c in cats}

    def subtree(c: dict[str, Any]) -> int:
        return sum(n for cid, n in counts.items() if next(x for x in cats if x["id"] == cid)["path"].startswith(c["path"]))

    roots = sorted((c for c in cats if c["parent_id"] is None), key=lambda c: -subtree(c))
    leaves = sorted((c for c in cats if c["id"] not in parents), key=lambda c: -counts[c["id"]])
    brands = [int(r["brand_id"]) for r in session.all(
        "SELECT brand_id, COUNT(*) AS n FROM products WHERE tenant_id = %s AND status = 'active' "
        "GROUP BY brand_id ORDER BY n DESC, brand_id", (tenant_id,))]
    return {"root": roots[0], "leaf": leaves[0], "brand": brands[len(brands) // 2]}


def _params(scale: dict[str, Any], size: str, flt: str) -> dict[str, Any]:
    picks = scale[size]
    return {
        "none": {}, "root": {"category_id": picks["root"]["id"]}, "leaf": {"category_id": picks["leaf"]["id"]},
        "brand": {"brand_id": [picks["brand"]]}, "price": {"min_price": "1000", "max_price": "2500"},
        "in_stock": {"in_stock": True}, "attribute": {"attr": ["renk:Haki"]}, "text": {"q": "kamp"},
    }[flt]


@pytest.fixture(autouse=True)
def _uncached_answers(monkeypatch) -> None:
    monkeypatch.setattr(caching, "responses_enabled", False)


def _statements(call: Any) -> list[tuple[str, Any]]:
    """The catalogue statements one call runs (after a warm-up call loads metadata and vocabulary)."""
    call()
    with kit.recorded() as statements:
        call()
    ours = [(sql, params) for sql, params in statements if set(kit.aliases(sql).values()) & kit.SCANNED_TABLES]
    assert ours, statements
    return ours


def _fulltext_matches(tenant_id: int, params: Any) -> int | None:
    against = next((p for p in params or () if isinstance(p, str) and p.startswith(f"+(t{tenant_id}_")), None)
    if against is None:
        return None
    return int(get_db().session().scalar(
        "SELECT COUNT(*) FROM products p WHERE MATCH(p.search_terms) AGAINST (%s IN BOOLEAN MODE) "
        "AND p.tenant_id = %s AND p.status = 'active'", (against, tenant_id)))


def _judge(tenant_id: int, sql: str, params: Any, expected: set[str], what: str) -> list[str]:
    verdict = kit.explain(get_db().session(), sql, params, fulltext_matches=_fulltext_matches(tenant_id, params),
                          page=True)
    problems = list(verdict.problems)
    if verdict.main_key not in expected:
        problems.append(f"index {verdict.main_key}, expected one of {sorted(expected)}")
    return [f"{what}: {p}\n{verdict.show()}" for p in problems]


def _judge_page(tenant_id: int, statements: list[tuple[str, Any]], expected: set[str], what: str) -> list[str]:
    """The page's statement against `expected` (and, when a budgeted walk found no full page, the
    FULLTEXT read it fell back to: catalog.text_walk); any other (e.g. the listing planner's count
    of a rare attribute value's products) by the scan and filesort rules alone."""
    pages = [(s, p) for s, p in statements if "page.id" in s]
    assert 1 <= len(pages) <= 2, statements
    problems = [p for page in pages for p in _judge(tenant_id, *page, expected, what)]
    for sql, params in statements:
        if "page.id" not in sql:
            verdict = kit.explain(get_db().session(), sql, params, fulltext_matches=_fulltext_matches(tenant_id, params))
            problems += [f"{what} (other statement): {p}\n{verdict.show()}" for p in verdict.problems]
    return problems


def _listing(tenant_id: int, params: dict[str, Any]) -> Any:
    return lambda: browse.list_products(get_db(), tenant_id, ProductListQuery.model_validate(params))


# -- listing: every sort × every filter ---------------------------------------------------------------------
@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("flt", FILTERS)
@pytest.mark.parametrize("sort", SORTS)
def test_listing_plan(scale: dict[str, Any], size: str, flt: str, sort: str):
    tenant_id = scale[size]["tenant_id"]
    params = {**_params(scale, size, flt), "sort": sort, "limit": 24}
    expected = {WALK[sort] if i == "walk" else CATEGORY[sort] if i == "category" else i for i in LISTING_INDEXES[flt]}
    problems = _judge_page(tenant_id, _statements(_listing(tenant_id, params)), expected, f"{size} {flt} sort={sort}")
    assert not problems, "\n".join(problems)


# Two broad values of one key under the largest root category: the planner walks, reads each
# category apart and merges, or reads the values' rows; each merged part stops after a page of
# its category, so it probes the values per candidate and never reads every row of them first
# (as EXISTS, MariaDB materialised 33,000 rows in each part: 100 ms).
@pytest.mark.parametrize("sort", ["price_desc", "newest", "rating"])
def test_two_broad_values_under_a_root_are_probed_not_materialised(scale: dict[str, Any], sort: str):
    tenant_id = scale["100k"]["tenant_id"]
    params = {"category_id": scale["100k"]["root"]["id"], "attr": ["renk:Antrasit", "renk:Bordo"], "sort": sort,
              "limit": 24}
    expected = {WALK[sort], CATEGORY[sort], "product_attribute_values.ix_cells", "product_attribute_values.ix_category"}
    problems = _judge_page(tenant_id, _statements(_listing(tenant_id, params)), expected, f"root two colours {sort}")
    assert not problems, "\n".join(problems)


# Two sizes across the shop: the walk down the sort's index probes its candidates with a budget
# (catalog.text_walk without text) where the plain page's EXISTS read every row of both values
# first (36,000 rows, 25-40 ms); past the budget the plain page (a second page statement).
@pytest.mark.parametrize("sort", SORTS)
def test_several_values_of_a_key_walk_with_a_budget(scale: dict[str, Any], sort: str):
    tenant_id = scale["100k"]["tenant_id"]
    params = {"attr": ["beden:M", "beden:L"], "sort": sort, "limit": 24}
    expected = {WALK[sort], CATEGORY[sort], "product_attribute_values.ix_cells", "product_attribute_values.ix_category"}
    statements = _statements(_listing(tenant_id, params))
    problems = _judge_page(tenant_id, statements, expected, f"two sizes {sort}")
    assert not problems, "\n".join(problems)
    pages = [sql for sql, _ in statements if "page.id" in sql]
    if sort in ("newest", "best_selling", "rating"):  # the sizes spread along these: found within the budget
        assert len(pages) == 1 and "EXISTS (SELECT 1 FROM product_attribute_values" not in pages[0], pages


# A colour by price, dearest first, across the shop: the dearest categories (firearms) have no
# colour, so a walk down the price index would read and probe all of them before its first match
# (22-29 ms where 0.4-3 were estimated); the planner counts that (probed_before) and reads the
# colour's rows instead.
def test_a_colour_by_price_does_not_walk_the_categories_that_have_none(scale: dict[str, Any]):
    tenant_id = scale["100k"]["tenant_id"]
    statements = _statements(_listing(tenant_id, {"attr": ["renk:Siyah"], "sort": "price_desc", "limit": 24}))
    assert len([sql for sql, _ in statements if "page.id" in sql]) == 1, statements
    problems = _judge_page(tenant_id, statements, {"product_attribute_values.ix_cells"}, "colour by price")
    assert not problems, "\n".join(problems)


# -- facets under each filter ---------------------------------------------------------------------------------
@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("flt", FILTERS)
def test_facets_plan(scale: dict[str, Any], size: str, flt: str):
    tenant_id = scale[size]["tenant_id"]
    params = {**_params(scale, size, flt), "facets": True, "limit": 24}
    statements = _statements(_listing(tenant_id, params))
    pages = [(s, p) for s, p in statements if "page.id" in s]
    counts = [(s, p) for s, p in statements if "page.id" not in s and ("GROUP BY" in s or "facet" in s)]
    assert 1 <= len(pages) <= 2 and counts, statements
    sort = "relevance" if flt == "text" else "newest"
    page_expected = RELEVANCE_INDEXES if flt == "text" else {
        WALK[sort] if i == "walk" else CATEGORY[sort] if i == "category" else i for i in LISTING_INDEXES[flt]}
    problems = _judge_page(tenant_id, [(s, p) for s, p in statements if (s, p) not in counts], page_expected,
                           f"{size} facets {flt} (page)")
    for sql, sql_params in counts:
        verdict = kit.explain(get_db().session(), sql, sql_params,
                              fulltext_matches=_fulltext_matches(tenant_id, sql_params))
        what = f"{size} facets {flt} (counts)"
        problems += [f"{what}: {p}\n{verdict.show()}" for p in verdict.problems]
        if flt == "text" and verdict.main_key != WORDS:
            problems.append(f"{what}: read {verdict.main_key}, expected {WORDS}\n{verdict.show()}")
        for row in verdict.rows:  # every read of products: the expected index, covering where it can be
            if verdict.tables.get(str(row["table"])) != "products":
                continue
            if row["key"] not in FACET_INDEXES[flt] | ({"PRIMARY"} if flt == "attribute" else set()):
                problems.append(f"{what}: products index {row['key']}, expected one of "
                                f"{sorted(FACET_INDEXES[flt])}\n{verdict.show()}")
            elif flt in COVERING and "Using index" not in str(row.get("Extra") or ""):
                problems.append(f"{what}: products rows read, not the covering index alone\n{verdict.show()}")
    assert not problems, "\n".join(problems)


# -- search by relevance and by another sort; suggestions ----------------------------------------------------------
@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("q", SEARCHES)
@pytest.mark.parametrize("sort", ["relevance", "price_asc"])
def test_search_plan(scale: dict[str, Any], size: str, q: str, sort: str):
    tenant_id = scale[size]["tenant_id"]
    statements = _statements(_listing(tenant_id, {"q": q, "sort": sort, "limit": 24}))
    expected = RELEVANCE_INDEXES if sort == "relevance" else {WALK[sort], "ft_terms", WORDS}
    problems = _judge_page(tenant_id, statements, expected, f"{size} q={q!r} sort={sort}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("q", SUGGESTS)
def test_suggest_plan(scale: dict[str, Any], size: str, q: str):
    tenant_id = scale[size]["tenant_id"]
    statements = _statements(lambda: browse.suggest(get_db(), tenant_id, q))
    problems = []
    for sql, params in statements:
        problems += _judge(tenant_id, sql, params, SUGGEST_INDEXES, f"{size} suggest {q!r}")
    assert not problems, "\n".join(problems)


# -- answers: pages equal a brute-force filter and sort -----------------------------------------------------
@pytest.fixture(scope="module")
def seeded_rows(scale: dict[str, Any]) -> list[dict[str, Any]]:
    return kit.load_products(get_db().session(), scale["100k"]["tenant_id"])


ANSWERS = [("none", "best_selling"), ("root", "price_asc"), ("leaf", "rating"), ("brand", "newest"),
           ("price", "price_desc"), ("price", "newest"), ("in_stock", "rating"), ("attribute", "price_asc"),
           ("text", "newest"), ("text", "best_selling")]


@pytest.mark.parametrize(("flt", "sort"), ANSWERS)
def test_pages_equal_a_brute_force_filter_and_sort(scale: dict[str, Any], seeded_rows: list[dict[str, Any]],
                                                   flt: str, sort: str):
    size = "100k"
    tenant_id, picks = scale[size]["tenant_id"], scale[size]
    params = {**_params(scale, size, flt), "sort": sort, "limit": 60}
    reference: dict[str, Any] = {
        "none": {}, "root": {"path": picks["root"]["path"]}, "leaf": {"path": picks["leaf"]["path"]},
        "brand": {"brand_ids": (picks["brand"],)}, "price": {"min_price": Decimal(1000), "max_price": Decimal(2500)},
        "in_stock": {"in_stock": True}, "attribute": {"attr": ("renk", "Haki")},
    }.get(flt, {})
    if flt == "text":
        vocabulary = service.vocabulary(get_db(), tenant_id, caching.current_version(tenant_id))
        reference = {"words": [g.prefixes for g in search.analyse(params["q"], vocabulary).groups]}
    expected = kit.brute_force(seeded_rows, sort=sort, **reference)
    seen: list[int] = []
    cursor = None
    for _ in range(2):  # the first two pages
        page = _listing(tenant_id, {**params, **({"cursor": cursor} if cursor else {})})()
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(expected) > 120 and seen == expected[:len(seen)] and len(seen) == 120, (flt, sort, len(expected))
