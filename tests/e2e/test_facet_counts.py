"""Facet counts kept by triggers (migration 0020, issue 16 item 3).

- product_facet_counts equals a GROUP BY over the active products after writes of every kind -
  the admin routes (create, edit, status, stock, bulk) and raw SQL (inserts, moves, price and
  stock changes, status changes, multi-row updates, deletes) - for two tenants side by side;
- the cube read from the counts equals the cube grouped from products for random filter sets
  (categories, price ranges on and around every bucket bound), and the listing really uses it;
- parallel stock and price changes on products of one cell leave the counts exact;
- the migration fills the table from the products already there, and its downgrade removes all.
"""
# ruff: noqa: F811 - the fixtures imported from catalog_admin_kit are parameters by design
from __future__ import annotations

import os
import random
import uuid
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.catalog import caching, facets, service
from chalicelib.catalog import listing_repository as sql
from chalicelib.platform.db import get_db
from infra.local.seed_catalog import seed_catalog
from infra.migrations.runner import alembic_config, upgrade_to_head
from tests import migration_files
from tests.conftest import TenantInfo, make_tenant
from tests.e2e.catalog_admin_kit import (  # noqa: F401 - fixtures
    admin,
    ca_client,
    make_brand,
    make_category,
    make_product,
    shopper,
)
from tests.helpers import simultaneously

CELL = "category_id, COALESCE(brand_id, 0), facet_bucket, in_stock"
EDGE_PRICES = [Decimal(b) + d for b in facets.PRICE_BUCKETS[1:] for d in (Decimal("-0.01"), Decimal(0))]


def kept(tenant_id: int) -> dict[tuple[int, ...], int]:
    rows = get_db().session().all(
        "SELECT category_id, brand_id, facet_bucket, in_stock, products FROM product_facet_counts "
        "WHERE tenant_id = %s", (tenant_id,))
    assert all(r["products"] >= 0 for r in rows), "a count went below zero"
    return {(r["category_id"], r["brand_id"], r["facet_bucket"], r["in_stock"]): r["products"]
            for r in rows if r["products"]}


def grouped(tenant_id: int) -> dict[tuple[int, ...], int]:
    rows = get_db().session().all(
        f"SELECT category_id, COALESCE(brand_id, 0) AS brand, facet_bucket, in_stock, COUNT(*) AS n "
        f"FROM products WHERE tenant_id = %s AND status = 'active' GROUP BY {CELL}", (tenant_id,))
    return {(r["category_id"], r["brand"], r["facet_bucket"], r["in_stock"]): r["n"] for r in rows}


def assert_exact(*tenant_ids: int) -> None:
    for tenant_id in tenant_ids:
        expected = grouped(tenant_id)
        assert expected, "nothing to compare"
        assert kept(tenant_id) == expected, tenant_id


# -- random raw writes ---------------------------------------------------------------------------
class Writer:
    """Random writes of every kind a product row sees, by plain SQL."""

    def __init__(self, tenant_id: int, rng: random.Random) -> None:
        self.tenant_id, self.rng = tenant_id, rng
        s = get_db().session()
        self.categories = [r["id"] for r in s.all("SELECT id FROM categories WHERE tenant_id = %s", (tenant_id,))]
        self.brands = [r["id"] for r in s.all("SELECT id FROM brands WHERE tenant_id = %s", (tenant_id,))]

    def ids(self) -> list[int]:
        return [r["id"] for r in get_db().session().all("SELECT id FROM products WHERE tenant_id = %s",
                                                        (self.tenant_id,))]

    def price(self) -> Decimal:
        if self.rng.random() < 0.5:
            return self.rng.choice(EDGE_PRICES)
        return Decimal(self.rng.randrange(0, 15_000_000)) / 100

    def brand(self) -> int | None:
        return None if self.rng.random() < 0.15 else self.rng.choice(self.brands)

    def one(self) -> None:
        s, rng, t = get_db().session(), self.rng, self.tenant_id
        pid = rng.choice(self.ids())
        kind = rng.randrange(10)
        if kind == 0:
            s.execute("INSERT INTO products (tenant_id, category_id, brand_id, name, slug, status, base_price, "
                      "total_stock) VALUES (%s, %s, %s, 'Yeni', %s, %s, %s, %s)",
                      (t, rng.choice(self.categories), self.brand(), f"yeni-{uuid.uuid4().hex[:10]}",
                       rng.choice(["active", "active", "draft"]), self.price(), rng.choice([0, 3])))
        elif kind == 1:
            s.execute("UPDATE products SET status = %s WHERE tenant_id = %s AND id = %s",
                      (rng.choice(["active", "draft", "archived"]), t, pid))
        elif kind == 2:
            s.execute("UPDATE products SET category_id = %s WHERE tenant_id = %s AND id = %s",
                      (rng.choice(self.categories), t, pid))
        elif kind == 3:
            s.execute("UPDATE products SET brand_id = %s WHERE tenant_id = %s AND id = %s", (self.brand(), t, pid))
        elif kind == 4:
            s.execute("UPDATE products SET base_price = %s WHERE tenant_id = %s AND id = %s", (self.price(), t, pid))
        elif kind == 5:
            s.execute("UPDATE products SET total_stock = %s WHERE tenant_id = %s AND id = %s",
                      (rng.choice([0, 0, 1, 7]), t, pid))
        elif kind == 6:  # the hot updates: nothing the facets count changes
            s.execute("UPDATE products SET sold_count = sold_count + 1, rating_avg = 4.5, rating_count = rating_count "
                      "+ 1 WHERE tenant_id = %s AND id = %s", (t, pid))
        elif kind == 7:  # several columns and rows at once
            s.execute("UPDATE products SET base_price = base_price * 1.07, total_stock = IF(total_stock > 0, 0, 2), "
                      "status = IF(status = 'active', status, 'active') WHERE tenant_id = %s AND category_id = %s",
                      (t, rng.choice(self.categories)))
        elif kind == 8:
            s.execute("DELETE FROM products WHERE tenant_id = %s AND id = %s", (t, pid))
        else:  # a change and its undo in one transaction that rolls back
            with get_db().uow() as uow:
                uow.execute("UPDATE products SET status = 'archived', base_price = 1 WHERE tenant_id = %s AND id = %s",
                            (t, pid))


@pytest.fixture(scope="module")
def shops(database: str) -> tuple[TenantInfo, TenantInfo]:
    mine, theirs = make_tenant(), make_tenant()
    for tenant, seed in ((mine, 7), (theirs, 8)):
        seed_catalog(get_db().connection(), tenant.id, products=300, seed=seed)
    return mine, theirs


def test_counts_follow_random_raw_writes_in_two_tenants(shops):
    mine, theirs = shops
    assert_exact(mine.id, theirs.id)  # the seed's inserts and stock updates went through the triggers
    rng = random.Random(16)
    writers = [Writer(mine.id, rng), Writer(theirs.id, rng)]
    for _round in range(6):
        for _ in range(60):
            rng.choice(writers).one()
        assert_exact(mine.id, theirs.id)


def test_counts_follow_the_admin_routes(admin, tenant):
    kamp = make_category(admin, "Kamp")
    uyku = make_category(admin, "Uyku", kamp["id"])
    huglu, yuce = make_brand(admin, "Huğlu"), make_brand(admin, "Yüce")
    a = make_product(admin, uyku["id"], name="A", brand_id=huglu["id"], price="499.99",
                     variations=[{"sku": "FA-1", "stock": 2}])
    b = make_product(admin, kamp["id"], name="B", price="1249.90", variations=[{"sku": "FB-1", "stock": 0}])
    make_product(admin, kamp["id"], name="C", brand_id=yuce["id"], status="draft")
    assert_exact(tenant.id)
    for change in ({"category_id": kamp["id"]}, {"brand_id": yuce["id"]}, {"brand_id": None},
                   {"base_price": "500.00"}, {"status": "archived"}, {"status": "active"}):
        assert admin.put(f"/api/admin/products/{a['id']}", change).status_code == 200, change
        assert_exact(tenant.id)
    variation = a["variations"][0]["id"]
    stock = admin.post(f"/api/admin/variations/{variation}/stock", {"delta": -2, "reason": "Sayım"})
    assert stock.status_code in (200, 201), stock.body
    assert get_db().session().scalar("SELECT in_stock FROM products WHERE id = %s", (a["id"],)) == 0
    assert_exact(tenant.id)
    bulk = admin.post("/api/admin/products/bulk", {"action": "price", "product_ids": [a["id"], b["id"]],
                                                   "price": {"mode": "percent", "value": 300, "rounding": "0.90"}})
    assert bulk.status_code == 200, bulk.body
    assert_exact(tenant.id)
    bulk = admin.post("/api/admin/products/bulk", {"action": "status", "filter": {"category_id": kamp["id"]},
                                                   "status": "draft"})
    assert bulk.status_code == 200 and bulk.json["changed"] >= 1, bulk.body
    assert kept(tenant.id) == grouped(tenant.id) == {}


# -- the cube from the counts against the cube from products ------------------------------------
def _subtrees(tenant_id: int) -> list[tuple[int, ...] | None]:
    rows = get_db().session().all("SELECT id, path FROM categories WHERE tenant_id = %s", (tenant_id,))
    return [None] + [tuple(sorted(r["id"] for r in rows if r["path"].startswith(c["path"]))) for c in rows]


def _cube(rows: list[list[Any]]) -> list[facets.Cell]:
    return sorted(facets.cells(rows), key=lambda c: (c.category_id, c.brand_id, c.band, c.in_stock))


def test_the_counted_cube_equals_the_scanned_one_for_random_filters(shops):
    mine, theirs = shops
    rng = random.Random(61)
    Writer(mine.id, rng).one()
    subtrees = _subtrees(mine.id)
    prices = [r["base_price"] for r in get_db().session().all(
        "SELECT base_price FROM products WHERE tenant_id = %s", (mine.id,))]
    bounds = [None, None, Decimal(0), Decimal("99999999"), *EDGE_PRICES, *prices,
              *(Decimal(rng.randrange(0, 10_000_000)) / 100 for _ in range(50))]
    reader = get_db().reader()
    nonzero = 0
    sides = {"add": 0, "subtract": 0}
    for _ in range(300):
        low, high = rng.choice(bounds), rng.choice(bounds)
        if low is not None and high is not None and low > high and rng.random() < 0.9:
            low, high = high, low
        f = sql.Filters(mine.id, rng.choice(subtrees), min_price=low, max_price=high)
        counted, scanned = sql.facet_cube_counted(reader, f), sql.facet_cube_scan(reader, f)
        assert _cube(counted) == _cube(scanned), f
        if any(c.in_price for c in facets.cells(scanned)):
            nonzero += 1
            plan = facets.price_plan(low, high)
            sides["add"] += bool(plan.add)
            sides["subtract"] += bool(plan.subtract)
    # the comparisons were not all of empty cubes, and both ways of counting a cut bucket ran
    assert nonzero > 100 and min(sides.values()) > 30, (nonzero, sides)


def test_the_listing_reads_the_counts_unless_text_or_attributes_narrow_it(shops, monkeypatch):
    mine, _ = shops
    monkeypatch.setattr(caching, "responses_enabled", False)
    from chalicelib.catalog import browse
    from chalicelib.catalog.schemas import ProductListQuery

    def listing(**params: Any) -> dict[str, Any]:
        return browse.list_products(get_db(), mine.id, ProductListQuery.model_validate({"facets": True, **params}))

    before = listing()["facets"]
    with_text = listing(q="çadır")["facets"]
    # A drifted count shows in the plain listing's facets (read from the table) but not where
    # text narrows the products (grouped from them).
    session = get_db().session()
    session.execute("UPDATE product_facet_counts SET products = products + 1000 WHERE tenant_id = %s", (mine.id,))
    try:
        service.catalog_changed(mine.id)
        assert listing()["facets"]["in_stock"] > before["in_stock"] + 999
        assert listing(q="çadır")["facets"] == with_text
    finally:
        session.execute("UPDATE product_facet_counts SET products = products - 1000 WHERE tenant_id = %s", (mine.id,))
    assert listing()["facets"] == before


# -- concurrency -----------------------------------------------------------------------------------
def test_parallel_stock_and_price_changes_in_one_cell_leave_the_counts_exact(tenant: TenantInfo):
    db = get_db()
    s = db.session()
    category = s.insert("INSERT INTO categories (tenant_id, name, slug, path, depth) VALUES (%s, 'Kamp', 'kamp', "
                        "'/', 0)", (tenant.id,))
    ids = [s.insert("INSERT INTO products (tenant_id, category_id, name, slug, status, base_price, total_stock) "
                    "VALUES (%s, %s, %s, %s, 'active', 150.00, 5)", (tenant.id, category, f"P{i}", f"p-{i}"))
           for i in range(12)]
    assert kept(tenant.id) == {(category, 0, 1, 1): 12}

    def churn(seed: int) -> int:
        rng = random.Random(seed)
        done = 0
        for _ in range(25):
            pair = rng.sample(ids, 2)  # two rows a transaction, in no fixed order: deadlocks are retried

            def work(uow: Any, pair: list[int] = pair) -> None:
                for pid in pair:
                    if rng.random() < 0.5:
                        uow.execute("UPDATE products SET total_stock = IF(total_stock > 0, 0, 5) "
                                    "WHERE tenant_id = %s AND id = %s", (tenant.id, pid))
                    else:
                        uow.execute("UPDATE products SET base_price = IF(base_price < 200, 1500.00, 150.00) "
                                    "WHERE tenant_id = %s AND id = %s", (tenant.id, pid))
                uow.commit()

            db.transaction(work, retries=20)
            done += 1
        return done

    assert simultaneously(*(lambda seed=seed: churn(seed) for seed in range(6))) == [25] * 6
    assert_exact(tenant.id)
    assert sum(kept(tenant.id).values()) == 12


# -- the migration ---------------------------------------------------------------------------------
def test_the_migration_fills_the_counts_from_existing_products_and_its_downgrade_removes_them():
    from alembic import command

    name = f"huglu_test_facets_mig_{os.getpid()}"
    with migration_files.scratch_shop(name, "0019") as (scratch, cur, tenant, category, brand):
        for i, (price, stock, status, with_brand) in enumerate([
                ("99.99", 1, "active", True), ("100.00", 1, "active", True), ("100.00", 1, "active", True),
                ("250000", 0, "active", False), ("5", 1, "draft", True), ("5", 1, "archived", False)]):
            cur.execute("INSERT INTO products (tenant_id, category_id, brand_id, name, slug, status, base_price, "
                        "total_stock) VALUES (%s, %s, %s, 'x', %s, %s, %s, %s)",
                        (tenant, category, brand if with_brand else None, f"x{i}", status, price, stock))
        upgrade_to_head(scratch)
        cur.execute("SELECT category_id, brand_id, facet_bucket, in_stock, products FROM product_facet_counts "
                    "ORDER BY facet_bucket")
        assert cur.fetchall() == ((category, brand, 0, 1, 1), (category, brand, 1, 1, 2),
                                  (category, 0, len(facets.PRICE_BUCKETS) - 1, 0, 1))
        command.downgrade(alembic_config(scratch), "0019")
        cur.execute("SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema = %s", (name,))
        assert cur.fetchone() == (0,)
        cur.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s "
                    "AND table_name = 'product_facet_counts'", (name,))
        assert cur.fetchone() == (0,)
        cur.execute("SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = %s "
                    "AND column_name = 'facet_bucket'", (name,))
        assert cur.fetchone() == (0,)
