"""The listing, facet, search and suggestion queries on a realistic seeded catalogue (the demo
generator, two tenants with the same seed so every name exists in both): constant statement
counts, facets against a brute-force count, keyset paging against a brute-force sort, search
against a brute-force word match in both query plans, tenant isolation, and the vocabulary."""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.catalog import browse, caching, search, service
from chalicelib.catalog.facets import PRICE_BANDS
from chalicelib.catalog.schemas import ProductListQuery
from chalicelib.platform import db as dbmod
from chalicelib.platform.db import Database, get_db
from infra.local.seed_catalog import seed_catalog
from tests.catalog_kit import ORDER, Shop
from tests.conftest import make_tenant

PRODUCTS = 400


@dataclass
class Catalogue:
    tenant_id: int
    other_id: int
    products: list[dict[str, Any]]  # every active product with what the filters look at
    categories: dict[int, dict[str, Any]]
    other_ids: set[int]


@pytest.fixture(scope="module")
def catalogue(database: str) -> Iterator[Catalogue]:
    db = get_db()
    mine, theirs = make_tenant(), make_tenant()
    for tenant in (mine, theirs):
        seed_catalog(db.connection(), tenant.id, products=PRODUCTS, seed=7)
    session = db.session()
    # Some sales and ratings, so that those sorts have something besides ties to order by.
    session.execute("UPDATE products SET sold_count = id %% 7, rating_avg = (id %% 5) + 0.5, rating_count = id %% 3 "
                    "WHERE tenant_id = %s", (mine.id,))
    rows = session.all(
        """SELECT p.id, p.category_id, COALESCE(p.brand_id, 0) AS brand_id, p.base_price, p.total_stock,
                  p.search_text, p.created_at, p.sold_count, p.rating_avg, p.rating_count, p.attributes, c.path,
                  (SELECT JSON_ARRAYAGG(v.options) FROM product_variations v
                    WHERE v.tenant_id = p.tenant_id AND v.product_id = p.id AND v.is_active = 1) AS options
             FROM products p JOIN categories c ON c.tenant_id = p.tenant_id AND c.id = p.category_id
            WHERE p.tenant_id = %s AND p.status = 'active'""", (mine.id,))
    categories = {r["id"]: r for r in session.all("SELECT id, parent_id, path FROM categories WHERE tenant_id = %s",
                                                  (mine.id,))}
    others = {r["id"] for r in session.all("SELECT id FROM products WHERE tenant_id = %s", (theirs.id,))}
    for tenant in (mine, theirs):
        service.catalog_changed(tenant.id)
    yield Catalogue(mine.id, theirs.id, rows, categories, others)


@pytest.fixture(autouse=True)
def _uncached_answers(monkeypatch) -> None:
    """Every call here runs its SQL (the metadata and vocabulary still come from memory)."""
    monkeypatch.setattr(caching, "responses_enabled", False)


def listing(catalogue: Catalogue, **params: Any) -> dict[str, Any]:
    return browse.list_products(get_db(), catalogue.tenant_id, ProductListQuery.model_validate(params))


def attribute_values(product: dict[str, Any], key: str) -> set[str]:
    values = set()
    attributes = json.loads(product["attributes"]) if product["attributes"] else {}
    if key in attributes:
        values.add(attributes[key].lower())
    for options in json.loads(product["options"] or "[]"):
        options = json.loads(options) if isinstance(options, str) else options
        if options and key in options:
            values.add(options[key].lower())
    return values


def brute_force(catalogue: Catalogue, *, category_id: int | None = None, brand_ids: tuple[int, ...] = (),
                min_price: Decimal | None = None, max_price: Decimal | None = None, in_stock: bool = False,
                attr: tuple[str, str] | None = None, words: list[tuple[str, ...]] | None = None,
                skip: str | None = None) -> list[dict[str, Any]]:
    """The active products matching the filters, `skip` naming one filter to ignore."""
    prefix = catalogue.categories[category_id]["path"] if category_id else None
    found = []
    for p in catalogue.products:
        if prefix and not p["path"].startswith(prefix):
            continue
        if brand_ids and skip != "brand" and p["brand_id"] not in brand_ids:
            continue
        if skip != "price" and ((min_price is not None and p["base_price"] < min_price)
                                or (max_price is not None and p["base_price"] > max_price)):
            continue
        if in_stock and skip != "stock" and p["total_stock"] <= 0:
            continue
        if attr and attr[1].lower() not in attribute_values(p, attr[0]):
            continue
        text = p["search_text"].split()
        if words and not all(any(w.startswith(alt) for w in text for alt in group) for group in words):
            continue
        found.append(p)
    return found


# -- constant statements --------------------------------------------------------------------------
@pytest.mark.parametrize("extra", [{}, {"q": "kamp sandalyesi"}, {"q": "av", "sort": "price_desc"},
                                   {"brand_id": [1], "in_stock": True, "min_price": "100", "attr": ["renk:Haki"]}])
def test_a_listing_runs_the_same_statements_whatever_the_page_size(catalogue: Catalogue, extra: dict[str, Any]):
    if "brand_id" in extra:
        extra = {**extra, "brand_id": [min(p["brand_id"] for p in catalogue.products)]}
    listing(catalogue, limit=1, facets=True, **extra)  # warm: metadata and vocabulary into memory
    counts = []
    for limit in (1, 24, 100):
        before = dbmod.stats.statements
        body = listing(catalogue, limit=limit, facets=True, **extra)
        counts.append(dbmod.stats.statements - before)
        assert len(body["items"]) <= limit
    # the page and the facet cube; with an attribute filter also the count of its products the
    # planner weighs (catalog.listing_plan: a rare value is read off its index, a common one walked)
    expected = 3 if "attr" in extra else 2
    assert counts == [expected] * 3


def test_categories_brands_and_cached_pages_cost_no_statement(catalogue: Catalogue, monkeypatch):
    monkeypatch.setattr(caching, "responses_enabled", True)
    db = get_db()
    service.category_tree(db, catalogue.tenant_id)
    listing(catalogue, limit=5, facets=True)
    before = dbmod.stats.statements
    service.category_tree(db, catalogue.tenant_id)
    service.brand_list(db, catalogue.tenant_id)
    listing(catalogue, limit=5, facets=True)
    assert dbmod.stats.statements == before


# -- facets ---------------------------------------------------------------------------------------
def _roots(catalogue: Catalogue) -> list[int]:
    return sorted(cid for cid, c in catalogue.categories.items() if c["parent_id"] is None)


def expected_facets(catalogue: Catalogue, **filters: Any) -> dict[str, Any]:
    category_id = filters.get("category_id")
    children = sorted(cid for cid, c in catalogue.categories.items() if c["parent_id"] == category_id)
    everything = brute_force(catalogue, **filters)
    brands = Counter(p["brand_id"] for p in brute_force(catalogue, skip="brand", **filters))
    bands = Counter(next(i for i, (low, high) in enumerate(PRICE_BANDS) if high is None or p["base_price"] < high)
                    for p in brute_force(catalogue, skip="price", **filters))
    return {
        "brands": {b: n for b, n in brands.items() if n},
        "categories": {c: n for c in children
                       if (n := sum(1 for p in everything if p["path"].startswith(catalogue.categories[c]["path"])))},
        "price_bands": [bands.get(i, 0) for i in range(len(PRICE_BANDS))],
        "in_stock": len([p for p in brute_force(catalogue, skip="stock", **filters) if p["total_stock"] > 0]),
        "total": len(everything),
    }


@pytest.mark.parametrize("case", ["all", "root", "root+brand+stock", "price", "search", "attribute"])
def test_facets_match_a_brute_force_count(catalogue: Catalogue, case: str):
    root = _roots(catalogue)[1]  # Kamp
    brand = Counter(p["brand_id"] for p in catalogue.products).most_common(1)[0][0]
    filters: dict[str, Any] = {
        "all": {}, "root": {"category_id": root},
        "root+brand+stock": {"category_id": root, "brand_ids": (brand,), "in_stock": True},
        "price": {"min_price": Decimal("750"), "max_price": Decimal("4999.90"), "in_stock": True},
        "search": {"words": [("kamp",)]},
        "attribute": {"attr": ("renk", "Siyah"), "brand_ids": (brand,)},
    }[case]
    params: dict[str, Any] = {"facets": True, "limit": 100}
    if "category_id" in filters:
        params["category_id"] = filters["category_id"]
    if "brand_ids" in filters:
        params["brand_id"] = list(filters["brand_ids"])
    for name in ("min_price", "max_price", "in_stock"):
        if name in filters:
            params[name] = filters[name]
    if "words" in filters:
        params["q"] = "kamp"
    if "attr" in filters:
        params["attr"] = [":".join(filters["attr"])]
    facets = listing(catalogue, **params)["facets"]
    expected = expected_facets(catalogue, **filters)
    assert {b["id"]: b["count"] for b in facets["brands"]} == expected["brands"]
    assert {c["id"]: c["count"] for c in facets["categories"]} == expected["categories"]
    assert [b["count"] for b in facets["price_bands"]] == expected["price_bands"]
    assert facets["in_stock"] == expected["in_stock"]
    assert expected["total"] > 0


# -- sorting and paging ---------------------------------------------------------------------------


@pytest.mark.parametrize("sort", sorted(ORDER))
def test_paging_walks_the_brute_force_order(catalogue: Catalogue, sort: str):
    root = _roots(catalogue)[1]
    key, reverse = ORDER[sort]
    expected = [p["id"] for p in sorted(brute_force(catalogue, category_id=root), key=key, reverse=reverse)]
    seen, cursor = [], None
    while True:
        body = listing(catalogue, category_id=root, sort=sort, limit=37, **({"cursor": cursor} if cursor else {}))
        seen += [p["id"] for p in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == expected


# -- search ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("q", ["sisme yatak", "kamp", "huglu kartal", "av tufegi", "mont", "av", "ya", "red dot", "ÇOK AMAÇLI"])
@pytest.mark.parametrize("plan", ["fulltext", "walk"])
def test_search_finds_exactly_the_brute_force_matches(catalogue: Catalogue, q: str, plan: str, monkeypatch):
    if plan == "walk":
        monkeypatch.setattr(search, "WALK_FACTOR", 0)
    vocabulary = service.vocabulary(get_db(), catalogue.tenant_id, caching.current_version(catalogue.tenant_id))
    words = [g.prefixes for g in search.analyse(q, vocabulary).groups]
    expected = sorted(p["id"] for p in brute_force(catalogue, words=words))
    sort = "relevance" if plan == "fulltext" else "newest"
    seen, cursor = [], None
    while True:
        body = listing(catalogue, q=q, sort=sort, limit=100, **({"cursor": cursor} if cursor else {}))
        seen += [p["id"] for p in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) and sorted(seen) == expected and expected


def test_relevance_pages_are_stable(catalogue: Catalogue):
    full = [p["id"] for p in listing(catalogue, q="kamp", limit=100)["items"]]
    paged, cursor = [], None
    while True:
        body = listing(catalogue, q="kamp", limit=9, **({"cursor": cursor} if cursor else {}))
        paged += [p["id"] for p in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None or len(paged) >= 100:
            break
    assert paged[:100] == full


# -- tenancy --------------------------------------------------------------------------------------
def test_nothing_of_the_other_tenant_leaks(catalogue: Catalogue):
    db = get_db()
    ids: set[int] = set()
    for params in [{}, {"q": "sisme yatak"}, {"q": "kamp", "sort": "newest"}, {"q": "sisne"}]:
        body = listing(catalogue, limit=100, facets=True, **params)
        ids |= {p["id"] for p in body["items"]}
        assert sum(b["count"] for b in body["facets"]["brands"]) <= len(catalogue.products)
    suggested = browse.suggest(db, catalogue.tenant_id, "kamp")["items"]
    ids |= {s["id"] for s in suggested if s["type"] == "product"}
    assert ids and not ids & catalogue.other_ids
    # the index itself: every word carries its tenant
    session = db.session()
    terms = session.scalar("SELECT search_terms FROM products WHERE tenant_id = %s LIMIT 1", (catalogue.other_id,))
    assert all(word.startswith(f"t{catalogue.other_id}_") for word in terms.split())
    hits = session.all("SELECT tenant_id FROM products WHERE MATCH(search_terms) AGAINST (%s IN BOOLEAN MODE)",
                       (f"+t{catalogue.tenant_id}_kamp*",))
    assert hits and {h["tenant_id"] for h in hits} == {catalogue.tenant_id}
    tree = service.category_tree(db, catalogue.tenant_id)["items"]
    assert sum(c["product_count"] for c in tree) == len(catalogue.products)


# -- vocabulary -----------------------------------------------------------------------------------
def test_the_vocabulary_follows_catalogue_changes(db: Database, catalogue: Catalogue):
    tenant = make_tenant()
    shop = Shop(db, tenant.id)
    shop.category("Kamp")
    shop.product("Yayla Çadır", "Kamp")
    shop.changed()
    assert browse.suggest(db, tenant.id, "cadri")["did_you_mean"] == "cadir"
    shop.product("Zümrüt Hamak", "Kamp")
    assert browse.suggest(db, tenant.id, "zumrt")["did_you_mean"] is None  # not yet told
    shop.changed()
    before = dbmod.stats.statements
    assert browse.suggest(db, tenant.id, "zumrt")["did_you_mean"] == "zumrut"  # changed rows only
    # the metadata of the new version (3), the changed rows only (1), the suggestion query (1)
    assert dbmod.stats.statements - before == 5
    # more bumps re-read the overlap window but never count a product twice
    for _ in range(3):
        shop.changed()
        words = service.vocabulary(db, tenant.id, caching.current_version(tenant.id))
    assert words.prefix_df("zumrut") == 1 and words.prefix_df("cadir") == 1
