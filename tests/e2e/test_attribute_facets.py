"""Attribute filters and facets at scale (migration 0023, issue 16 item 3).

- product_attribute_values' copies of the product's columns and product_attribute_facet_counts
  stay exact (recomputed here from products and by a GROUP BY) through writes of every kind:
  attribute and variation writes, price, status, category, brand and stock changes, deletes,
  for two tenants side by side; the hot updates (sold_count, ratings, stock above 0) touch neither;
- every way of building an attribute-filtered facet cube (kept counts, the attribute rows'
  covering indexes) equals the cube grouped from products, for random filter sets;
- every way of reading an attribute-filtered page (the planner's choice, product_attribute_values
  first with each filter as the driver, no hint) gives the same pages as brute force;
- the migration fills columns and counts from the rows already there; its downgrade removes all.
"""
# ruff: noqa: F811 - fixtures
from __future__ import annotations

import os
import random
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.catalog import browse, caching, facets, listing_plan, text_walk
from chalicelib.catalog import listing_repository as sql
from chalicelib.catalog.schemas import ProductListQuery
from chalicelib.platform.db import get_db
from infra.local.seed_catalog import seed_catalog
from infra.migrations.runner import alembic_config, upgrade_to_head
from tests import migration_files
from tests.conftest import TenantInfo, make_tenant
from tests.e2e import catalog_scale_kit as kit
from tests.e2e import test_attribute_index as attribute_kit
from tests.e2e import test_facet_counts as facet_kit

CELL = ("category_id", "brand_id", "in_stock", "facet_band", "facet_bucket")
COPIED = {"active": "p.status = 'active'", "category_id": "p.category_id", "brand_id": "COALESCE(p.brand_id, 0)",
          "in_stock": "p.in_stock", "facet_band": "p.facet_band", "facet_bucket": "p.facet_bucket",
          "base_price": "p.base_price"}


def migration() -> Any:
    return migration_files.load("0023_attribute_facets.py")


# -- exactness of what the triggers keep --------------------------------------------------------------
def assert_kept_exact(*tenant_ids: int) -> int:
    """Each attribute row carries its product's columns, and the counts equal a GROUP BY over the
    active rows; returns how many active rows the tenants hold."""
    s = get_db().session()
    total = 0
    for tenant_id in tenant_ids:
        differ = " OR ".join(f"NOT (a.{c} <=> {e})" for c, e in COPIED.items())
        stale = s.all(f"""SELECT a.product_id, a.attr_key FROM product_attribute_values a
                            JOIN products p ON p.tenant_id = a.tenant_id AND p.id = a.product_id
                           WHERE a.tenant_id = %s AND ({differ})""", (tenant_id,))
        assert stale == [], stale
        orphans = s.scalar("""SELECT COUNT(*) FROM product_attribute_values a WHERE a.tenant_id = %s AND a.active = 1
                               AND NOT EXISTS (SELECT 1 FROM products p WHERE p.tenant_id = a.tenant_id
                                               AND p.id = a.product_id)""", (tenant_id,))
        assert orphans == 0
        cols = ", ".join(("attr_key", "attr_value", *CELL))
        same = " AND ".join(f"c.{c} = g.{c}" for c in ("attr_key", "attr_value", *CELL))
        assert s.scalar("SELECT COUNT(*) FROM product_attribute_facet_counts WHERE tenant_id = %s AND products < 0",
                        (tenant_id,)) == 0, "a count went below zero"
        wrong = s.all(f"""SELECT g.*, c.products FROM (SELECT {cols}, COUNT(*) AS n FROM product_attribute_values
                                                   WHERE tenant_id = %s AND active = 1 GROUP BY {cols}) g
                          LEFT JOIN product_attribute_facet_counts c ON c.tenant_id = %s AND {same}
                         WHERE c.products IS NULL OR c.products <> g.n""", (tenant_id, tenant_id))
        assert wrong == [], wrong
        extra = s.all(f"""SELECT c.* FROM product_attribute_facet_counts c WHERE c.tenant_id = %s AND c.products > 0
                           AND NOT EXISTS (SELECT 1 FROM product_attribute_values g WHERE g.tenant_id = c.tenant_id
                                           AND g.active = 1 AND {same})""", (tenant_id,))
        assert extra == [], extra
        total += int(s.scalar("SELECT COUNT(*) FROM product_attribute_values WHERE tenant_id = %s AND active = 1",
                              (tenant_id,)))
    return total


def _with_brands(tenant_id: int) -> None:
    s = get_db().session()
    for name in ("Birinci", "İkinci"):
        s.execute("INSERT INTO brands (tenant_id, name, slug) VALUES (%s, %s, %s)",
                  (tenant_id, name, f"{name.lower()}-{tenant_id}"))


def test_columns_and_counts_follow_every_raw_write_across_two_tenants(db):
    rng = random.Random(16_0023)
    first, second = make_tenant(), make_tenant()
    attribute_writers = []
    for tenant in (first, second):
        _with_brands(tenant.id)
        writer = attribute_kit.Writer(db, tenant.id, rng)
        for _ in range(12):
            writer.add_product()
        attribute_writers.append(writer)
    product_writers = [facet_kit.Writer(first.id, rng), facet_kit.Writer(second.id, rng)]
    for _round in range(6):
        for _ in range(40):
            if rng.random() < 0.5:
                rng.choice(attribute_writers).step()
            else:
                rng.choice(product_writers).one()
        attribute_kit.assert_index_exact(db, first.id, second.id)
        assert assert_kept_exact(first.id, second.id) > 0


def test_the_hot_updates_leave_the_attribute_rows_alone(db):
    """What checkout and reviews write (stock that stays above 0, sold_count, ratings) changes
    nothing the triggers copy: not one attribute row or count is written."""
    tenant = make_tenant()
    seed_catalog(get_db().connection(), tenant.id, products=40, seed=3)
    s = get_db().session()
    pid = s.scalar("SELECT product_id FROM product_attribute_values WHERE tenant_id = %s AND active = 1 LIMIT 1",
                   (tenant.id,))
    s.execute("UPDATE products SET total_stock = 5 WHERE tenant_id = %s AND id = %s", (tenant.id, pid))
    s.execute("UPDATE product_attribute_values SET base_price = base_price WHERE tenant_id = %s", (tenant.id,))
    # a marker the triggers would overwrite, were they to rewrite the product's rows
    s.execute("UPDATE product_attribute_values SET base_price = 0.01 WHERE tenant_id = %s AND product_id = %s",
              (tenant.id, pid))
    s.execute("UPDATE products SET total_stock = total_stock + 3, sold_count = sold_count + 1, rating_avg = 4.1,"
              " rating_count = rating_count + 1 WHERE tenant_id = %s AND id = %s", (tenant.id, pid))
    assert {r["base_price"] for r in s.all("SELECT base_price FROM product_attribute_values WHERE tenant_id = %s"
                                           " AND product_id = %s", (tenant.id, pid))} == {Decimal("0.01")}
    s.execute("UPDATE products SET total_stock = 0 WHERE tenant_id = %s AND id = %s", (tenant.id, pid))  # a flip
    assert {r["in_stock"] for r in s.all("SELECT in_stock FROM product_attribute_values WHERE tenant_id = %s"
                                         " AND product_id = %s", (tenant.id, pid))} == {0}
    assert assert_kept_exact(tenant.id) > 0


# -- cubes and pages against brute force --------------------------------------------------------------
@pytest.fixture(scope="module")
def shops(database: str) -> tuple[TenantInfo, TenantInfo]:
    mine, theirs = make_tenant(), make_tenant()
    for tenant, seed in ((mine, 23), (theirs, 24)):
        seed_catalog(get_db().connection(), tenant.id, products=300, seed=seed)
    # a cut value and a value on the edge, to exercise the JSON rechecks
    s = get_db().session()
    ids = [r["id"] for r in s.all("SELECT id FROM products WHERE tenant_id = %s ORDER BY id LIMIT 3", (mine.id,))]
    s.execute("UPDATE products SET attributes = JSON_SET(COALESCE(attributes, '{}'), '$.renk', %s)"
              " WHERE tenant_id = %s AND id = %s", (attribute_kit.LONG, mine.id, ids[0]))
    s.execute("UPDATE products SET attributes = JSON_SET(COALESCE(attributes, '{}'), '$.renk', %s)"
              " WHERE tenant_id = %s AND id = %s", ("Haki" + " " * 260, mine.id, ids[1]))
    return mine, theirs


def _pairs(tenant_id: int) -> list[tuple[str, str]]:
    return [(r["attr_key"], r["attr_value"]) for r in get_db().session().all(
        "SELECT DISTINCT attr_key, attr_value FROM product_attribute_values WHERE tenant_id = %s"
        " ORDER BY attr_key, attr_value", (tenant_id,))]


def _attributes(rng: random.Random, pairs: list[tuple[str, str]],
                held: list[tuple[str, str]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """One to three keys, one to three values each; `held`: one product's pairs, which the first
    value of each key is drawn from when it has the key (so many filter sets match something)."""
    keys = sorted({k for k, _ in pairs})
    held_keys = sorted({k for k, _ in held})
    chosen = rng.sample(held_keys, min(len(held_keys), rng.choice((1, 1, 1, 2, 2, 3)))) if held_keys \
        else rng.sample(keys, 1)
    held_values = dict(held)
    out = []
    for key in sorted(chosen):
        values = [v for k, v in pairs if k == key]
        picked = rng.sample(values, min(len(values), rng.choice((1, 1, 2, 3))))
        if key in held_values:
            picked = [held_values[key], *picked[1:]]
        picked = [v.upper() if rng.random() < 0.2 else v for v in picked]
        if rng.random() < 0.05:
            picked.append(attribute_kit.LONG)
        out.append((key, tuple(dict.fromkeys(picked))))
    return tuple(out)


def _filters(rng: random.Random, tenant_id: int) -> sql.Filters:
    subtrees = facet_kit._subtrees(tenant_id)
    brands = [r["id"] for r in get_db().session().all("SELECT id FROM brands WHERE tenant_id = %s", (tenant_id,))]
    bounds = [None, None, None, Decimal(0), *facet_kit.EDGE_PRICES[:12],
              *(Decimal(rng.randrange(0, 2_000_000)) / 100 for _ in range(6))]
    low, high = rng.choice(bounds), rng.choice(bounds)
    if low is not None and high is not None and low > high:
        low, high = high, low
    s = get_db().session()
    product = s.one("SELECT id, category_id FROM products WHERE tenant_id = %s AND status = 'active'"
                    " ORDER BY RAND(%s) LIMIT 1", (tenant_id, rng.randrange(1 << 30)))
    assert product is not None
    held = [(r["attr_key"], r["attr_value"]) for r in s.all(
        "SELECT attr_key, attr_value FROM product_attribute_values WHERE tenant_id = %s AND product_id = %s",
        (tenant_id, product["id"]))] if rng.random() < 0.7 else []
    category = rng.choice([c for c in subtrees if c is None or product["category_id"] in c] if held else subtrees)
    return sql.Filters(tenant_id, category,
                       tuple(sorted(rng.sample(brands, rng.choice((0, 0, 0, 1, 2, 3))))), low, high,
                       rng.random() < 0.2, _attributes(rng, _pairs(tenant_id), held))


def test_every_attribute_cube_equals_the_scanned_one(shops):
    mine, _ = shops
    rng = random.Random(23)
    reader = get_db().reader()
    nonzero = counted = 0
    for _ in range(250):
        f = _filters(rng, mine.id)
        expected = facet_kit._cube(sql.facet_cube_scan(reader, f))
        assert facet_kit._cube(sql.facet_cube(reader, f)) == expected, f
        for driver in range(len(f.attributes)):
            assert facet_kit._cube(sql.facet_cube_attributes(reader, f, driver)) == expected, (f, driver)
        if len(f.attributes) == 1 and len(f.attributes[0][1]) == 1:
            cube = sql.facet_cube_counted(reader, f, attribute=(f.attributes[0][0], f.attributes[0][1][0]))
            if cube is not None:
                counted += 1
                assert facet_kit._cube(cube) == expected, f
        nonzero += any(c.count for c in facets.cells(sql.facet_cube_scan(reader, f)))
    assert nonzero > 80 and counted > 30, (nonzero, counted)


def _all_pages(f: sql.Filters, sort: str, index: str | None, driver: int = 0, limit: int = 7) -> list[int]:
    reader = get_db().reader()
    keyset = sql.SORTS[sort]
    shown: list[int] = []
    after = None
    for _ in range(200):
        rows = sql.page(reader, f, sort, after, limit + 1, index, driver=driver)
        shown += [r["id"] for r in rows[:limit]]
        if len(rows) <= limit:
            return shown
        after = keyset.decode(keyset.encode_row(rows[limit - 1]))
    raise AssertionError("too many pages")


def _brute(f: sql.Filters, sort: str) -> list[int]:
    filter_sql, params = sql.where(f)
    keyset = sql.SORTS[sort]
    return [r["id"] for r in get_db().session().all(
        f"SELECT p.id FROM products p IGNORE INDEX (ix_status_created) WHERE {filter_sql}"
        f" ORDER BY {keyset.order_by()}", params)]


@pytest.mark.parametrize("sort", ["newest", "price_asc", "price_desc", "best_selling", "rating"])
def test_every_way_to_a_page_agrees_with_brute_force(shops, sort: str):
    mine, _ = shops
    rng = random.Random(sort)
    found = 0
    for _ in range(40):
        f = _filters(rng, mine.id)
        expected = _brute(f, sort)
        found += bool(expected)
        for driver in range(len(f.attributes)):
            moved = replace(f, attributes=(f.attributes[driver], *f.attributes[:driver], *f.attributes[driver + 1:]))
            assert _all_pages(moved, sort, sql.ATTRIBUTE_INDEX) == expected, (f, driver)
        assert _all_pages(f, sort, None) == expected, f
    assert found > 5


def test_the_listing_answers_as_brute_force_whatever_it_plans(shops, monkeypatch):
    mine, _ = shops
    monkeypatch.setattr(caching, "responses_enabled", False)
    rng = random.Random(230)
    for _ in range(60):
        f = _filters(rng, mine.id)
        sort = rng.choice(["newest", "price_asc", "price_desc", "best_selling", "rating"])
        params: dict[str, Any] = {"sort": sort, "limit": 10, "facets": True,
                                  "attr": [f"{k}:{v}" for k, vs in f.attributes for v in vs if len(v) <= 100]}
        if not params["attr"]:
            continue
        if f.brand_ids:
            params["brand_id"] = list(f.brand_ids)
        for name, value in (("min_price", f.min_price), ("max_price", f.max_price)):
            if value is not None:
                params[name] = value
        if f.in_stock:
            params["in_stock"] = True
        query = ProductListQuery.model_validate(params)
        answer = browse.list_products(get_db(), mine.id, query)
        base = sql.Filters(mine.id, None, tuple(f.brand_ids), f.min_price, f.max_price, f.in_stock,
                           tuple(query.attributes()))
        assert [i["id"] for i in answer["items"]] == _brute(base, sort)[:10], params
        scanned = facets.cells(sql.facet_cube_scan(get_db().reader(), base))
        assert answer["facets"]["in_stock"] == sum(
            c.in_price for c in scanned if c.in_stock and (not f.brand_ids or c.brand_id in f.brand_ids)), params


@pytest.mark.parametrize("budget", ["tiny", "real"])
def test_a_budgeted_walk_of_several_values_pages_as_brute_force(shops, monkeypatch, budget: str):
    """Several values of one key down an ordered index (catalog.text_walk without text: the
    candidates probed, with a budget): the page found within the budget, or past it the plain
    page - through every cursor, for every sort, equal to brute force."""
    mine, _ = shops
    monkeypatch.setattr(caching, "responses_enabled", False)
    monkeypatch.setattr(text_walk, "hopeless", lambda *_: False)
    if budget == "tiny":
        monkeypatch.setattr(text_walk, "MIN_BUDGET", 2)
        monkeypatch.setattr(text_walk, "MAX_BUDGET", 9)
    walks: list[bool] = []
    real_page = text_walk.page
    monkeypatch.setattr(text_walk, "page", lambda *a, **k: walks.append((r := real_page(*a, **k)) is not None) or r)
    rng = random.Random(f"walk {budget}")
    compared = 0
    while compared < 12:
        f = _filters(rng, mine.id)
        if not any(len(values) > 1 for _key, values in f.attributes) or f.brand_ids:
            continue
        f = replace(f, category_ids=None, attributes=tuple((k, tuple(v for v in vs if len(v) <= 100))
                                                           for k, vs in f.attributes))
        compared += 1
        for sort in ("newest", "price_asc", "price_desc", "best_selling", "rating"):
            params: dict[str, Any] = {"sort": sort, "limit": 7, "in_stock": f.in_stock,
                                      "min_price": f.min_price, "max_price": f.max_price,
                                      "attr": [f"{k}:{v}" for k, vs in f.attributes for v in vs]}
            shown: list[int] = []
            for _ in range(200):
                answer = browse.list_products(get_db(), mine.id, ProductListQuery.model_validate(params))
                shown += [i["id"] for i in answer["items"]]
                if answer["next_cursor"] is None:
                    break
                params["cursor"] = answer["next_cursor"]
            assert shown == _brute(f, sort), params
    # the walks ran, and found pages within the real budgets; past the tiny ones they fell back
    if budget == "real":
        assert True in walks, walks
    else:
        assert False in walks, walks


# -- the migration -----------------------------------------------------------------------------------
def test_the_migration_fills_columns_and_counts_and_its_downgrade_removes_them():
    from alembic import command

    name = f"huglu_test_attr_facets_mig_{os.getpid()}"
    with migration_files.scratch_shop(name, "0022") as (scratch, cur, tenant, category, brand):
        for i, (price, stock, status, doc) in enumerate([
                ("99.99", 1, "active", '{"renk": "Haki", "beden": "M"}'), ("150", 0, "active", '{"renk": "HAKİ"}'),
                ("5", 1, "draft", '{"renk": "Haki"}')]):
            cur.execute("INSERT INTO products (tenant_id, category_id, brand_id, name, slug, status, base_price, "
                        "total_stock, attributes) VALUES (%s, %s, %s, 'x', %s, %s, %s, %s, %s)",
                        (tenant, category, brand, f"x{i}", status, price, stock, doc))
        upgrade_to_head(scratch)
        cur.execute("SELECT attr_key, category_id, brand_id, in_stock, facet_band, facet_bucket, products"
                    " FROM product_attribute_facet_counts ORDER BY attr_key, in_stock")
        assert cur.fetchall() == (("beden", category, brand, 1, 0, 0, 1), ("renk", category, brand, 0, 0, 1, 1),
                                  ("renk", category, brand, 1, 0, 0, 1))
        cur.execute("SELECT SUM(active), SUM(base_price) FROM product_attribute_values")
        assert cur.fetchone() == (Decimal(3), Decimal("354.98"))  # 2 x 99.99 + 150 + 5 (draft)
        command.downgrade(alembic_config(scratch), "0022")
        cur.execute("SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema = %s"
                    " AND trigger_name IN %s", (name, tuple([*migration().TRIGGERS, *migration().COUNT_TRIGGERS])))
        assert cur.fetchone() == (0,)
        cur.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s "
                    "AND table_name = 'product_attribute_facet_counts'", (name,))
        assert cur.fetchone() == (0,)
        cur.execute("SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = %s "
                    "AND table_name = 'product_attribute_values'", (name,))
        assert cur.fetchone() == (4,)


def test_a_value_every_product_holds_is_left_out(shops):
    """mensei: Türkiye in a Turkish shop keeps every product: the listing and the facets leave it
    out (AttributeCount.universal) and answer as without it; a value some product lacks stays."""
    mine, _ = shops
    reader = get_db().reader()
    s = get_db().session()
    active = s.scalar("SELECT COUNT(*) FROM products WHERE tenant_id = %s AND status = 'active'", (mine.id,))
    rows = s.all("SELECT attr_key, MIN(attr_value) AS v, COUNT(*) AS n FROM product_attribute_values"
                 " WHERE tenant_id = %s AND active = 1 GROUP BY attr_key, attr_value ORDER BY n DESC", (mine.id,))
    everywhere = [(r["attr_key"], r["v"]) for r in rows if r["n"] == active]
    assert everywhere, "the seed gives every product one value of some key"
    key, value = everywhere[0]
    rare_key, rare_value = next((r["attr_key"], r["v"]) for r in rows if r["n"] < active and r["attr_key"] != key)
    f = sql.Filters(mine.id, attributes=((key, (value,)), (rare_key, (rare_value,))))
    counts = sql.attribute_counts(reader, f)
    assert [c.universal for c in counts] == [True, False]
    reduced, kept = sql.without_universal(f, counts)
    assert reduced.attributes == ((rare_key, (rare_value,)),) and [c.key for c in kept] == [rare_key]
    expected = facet_kit._cube(sql.facet_cube_scan(reader, f))
    assert facet_kit._cube(sql.facet_cube(reader, f)) == expected
    assert facet_kit._cube(sql.facet_cube_attributes(reader, f)) == expected
    # two values of the key: a product may hold both, so the counts are no proof
    two = sql.attribute_counts(reader, sql.Filters(mine.id, attributes=((key, (value, rare_value)),)))
    assert [c.universal for c in two] == [False]


def test_filters_that_meet_in_no_category_read_nothing_and_meet_only_where_they_do(shops, monkeypatch):
    """Shoe sizes and clothing sizes meet nowhere: the kept counts say so, and neither the page nor
    the cube is read.  Filters that meet in some categories are read in those only (the cube: when
    its driving filter has products elsewhere)."""
    mine, _ = shops
    monkeypatch.setattr(caching, "responses_enabled", False)
    rows = get_db().session().all(
        "SELECT attr_key, attr_value, category_id, COUNT(*) AS n FROM product_attribute_values"
        " WHERE tenant_id = %s AND active = 1 AND value_cut = 0 GROUP BY attr_key, attr_value, category_id"
        " ORDER BY attr_key, attr_value, category_id", (mine.id,))
    where: dict[tuple[str, str], set[int]] = {}
    held: dict[tuple[str, str], int] = {}
    for r in rows:
        where.setdefault((r["attr_key"], r["attr_value"]), set()).add(int(r["category_id"]))
        held[(r["attr_key"], r["attr_value"])] = held.get((r["attr_key"], r["attr_value"]), 0) + int(r["n"])
    pairs = sorted(where)
    apart = next((a, b) for a in pairs for b in pairs if a[0] < b[0] and not where[a] & where[b])
    # the filter with fewer products drives the cube; it has products where the other has none
    partly = next((a, b) for a in pairs for b in pairs
                  if a[0] < b[0] and held[a] < held[b] and where[a] & where[b] and where[a] - where[b])

    def listed(a: tuple[str, str], b: tuple[str, str]) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
        query = ProductListQuery.model_validate({"attr": [f"{a[0]}:{a[1]}", f"{b[0]}:{b[1]}"], "facets": True,
                                                 "limit": 50})
        with kit.recorded() as statements:
            answer = browse.list_products(get_db(), mine.id, query)
        return answer, statements

    answer, statements = listed(*apart)
    assert answer["items"] == [] and answer["facets"]["in_stock"] == 0 and not answer["facets"]["brands"]
    assert not [s for s, _ in statements if "JSON_OBJECT(" in s or "GROUP BY d.category_id" in s], statements

    answer, statements = listed(*partly)
    f = sql.Filters(mine.id, attributes=((partly[0][0], (partly[0][1],)), (partly[1][0], (partly[1][1],))))
    assert [i["id"] for i in answer["items"]] == _brute(f, "newest")[:50]
    cube = [(s, p) for s, p in statements if "GROUP BY d.category_id" in s]
    assert len(cube) == 1 and "a.category_id IN (" in cube[0][0], cube
    read = {int(x) for x in cube[0][1] if isinstance(x, int)}
    assert where[partly[0]] & where[partly[1]] <= read
    assert not (where[partly[0]] ^ where[partly[1]]) & read - (where[partly[0]] & where[partly[1]])


def test_a_subtree_is_read_only_where_the_filter_has_products(shops, monkeypatch):
    """Under a category filter, the page plans and reads only the subtree's categories that hold a
    product of the filter, even when they hold most of its products: a merged read walks each
    category to its end when none there has the value."""
    mine, _ = shops
    monkeypatch.setattr(caching, "responses_enabled", False)
    s = get_db().session()
    categories = s.all("SELECT id, path FROM categories WHERE tenant_id = %s ORDER BY id", (mine.id,))
    stocked = {int(r["category_id"]): int(r["n"]) for r in s.all(
        "SELECT category_id, COUNT(*) AS n FROM products WHERE tenant_id = %s AND status = 'active'"
        " GROUP BY category_id", (mine.id,))}
    rows = s.all("SELECT attr_key, attr_value, category_id FROM product_attribute_values WHERE tenant_id = %s"
                 " AND active = 1 AND value_cut = 0 GROUP BY attr_key, attr_value, category_id"
                 " ORDER BY attr_key, attr_value, category_id", (mine.id,))
    where: dict[tuple[str, str], set[int]] = {}
    for r in rows:
        where.setdefault((r["attr_key"], r["attr_value"]), set()).add(int(r["category_id"]))

    def products(ids: set[int]) -> int:
        return sum(stocked[c] for c in ids)

    found = None
    for root in categories:
        subtree = {int(c["id"]) for c in categories if c["path"].startswith(root["path"])} & set(stocked)
        for pair, held in sorted(where.items()):
            inside, outside = subtree & held, subtree - held
            if inside and outside and products(inside) > products(outside):
                found = (root, pair, inside)
                break
        if found:
            break
    assert found is not None
    root, (key, value), inside = found
    planned: list[int] = []
    choose = listing_plan.choose
    monkeypatch.setattr(listing_plan, "choose", lambda *a, **k: planned.append(k["categories"]) or choose(*a, **k))
    subtree_ids = tuple(sorted(int(c["id"]) for c in categories if c["path"].startswith(root["path"])))
    for sort in ("newest", "price_desc", "rating"):
        query = ProductListQuery.model_validate({"category_id": root["id"], "attr": [f"{key}:{value}"], "sort": sort,
                                                 "limit": 5})
        answer = browse.list_products(get_db(), mine.id, query)
        f = sql.Filters(mine.id, subtree_ids, attributes=((key, (value,)),))
        assert [i["id"] for i in answer["items"]] == _brute(f, sort)[:5], sort
        assert planned[-1] == len(inside), (sort, planned, inside)
