"""Every way the listing planner can read a page (catalog.listing_plan) gives the same pages: for
random filter sets over a 2,000-product catalogue (with sales and ratings), each way - MariaDB's
own choice, each forced index, per-category and per-brand merges - is walked page by page through
its cursors and must equal a brute-force filter and sort of the seeded rows.  The planner only
chooses among equals; this is what makes that so."""
from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.catalog import listing_plan
from chalicelib.catalog import listing_repository as sql
from chalicelib.platform.db import get_db
from tests.conftest import make_tenant
from tests.e2e import catalog_scale_kit as kit


@pytest.fixture(scope="module")
def shop(database: str) -> dict[str, Any]:
    db = get_db()
    tenant = make_tenant()
    kit.seed(db, tenant.id, 2_000, 31)
    session = db.session()
    categories = session.all("SELECT id, path, depth FROM categories WHERE tenant_id = %s ORDER BY id", (tenant.id,))
    brands = [int(r["id"]) for r in session.all("SELECT id FROM brands WHERE tenant_id = %s ORDER BY id", (tenant.id,))]
    return {"tenant_id": tenant.id, "products": kit.load_products(session, tenant.id), "categories": categories,
            "brands": brands}


def _walk(f: sql.Filters, sort: str, index: str | None, merge: bool, limit: int) -> list[int]:
    keyset = sql.SORTS[sort]
    seen: list[int] = []
    after = None
    for _ in range(200):
        rows = sql.page(get_db().session(), f, sort, after, limit + 1, index, merge=merge)
        seen += [int(r["id"]) for r in rows[:limit]]
        if len(rows) <= limit:
            return seen
        after = keyset.decode(keyset.encode_row(rows[limit - 1]))
    raise AssertionError("more than 200 pages")


def _ways(sort: str, f: sql.Filters) -> list[tuple[str | None, bool]]:
    ways: list[tuple[str | None, bool]] = [(None, False), (listing_plan.WALK_INDEX[sort], False),
                                           (listing_plan.BRAND_INDEX, False)]
    if f.min_price is not None or f.max_price is not None:
        ways.append((listing_plan.PRICE_INDEX, False))
    if f.category_ids:
        ways.append((listing_plan.CATEGORY_INDEX[sort], False))
        if len(f.category_ids) > 1:
            ways.append((listing_plan.CATEGORY_INDEX[sort], True))
    if len(f.brand_ids) > 1 and sort in listing_plan.PRICE_SORTS:
        ways.append((listing_plan.BRAND_INDEX, True))
    return ways


@pytest.mark.parametrize("draw", range(12))
def test_every_way_gives_the_brute_force_pages(shop: dict[str, Any], draw: int):
    rng = random.Random(draw)
    roots = [c for c in shop["categories"] if c["depth"] == 0]
    category = rng.choice(roots + [None]) if draw % 3 else rng.choice(roots)
    subtree = None if category is None else tuple(int(c["id"]) for c in shop["categories"]
                                                  if str(c["path"]).startswith(category["path"]))
    brands = tuple(sorted(rng.sample(shop["brands"], rng.choice([0, 1, 2, 3]))))
    low = Decimal(rng.choice([200, 500, 1500])) if rng.random() < 0.6 else None
    high = low * 4 if low is not None and rng.random() < 0.5 else None
    in_stock = rng.random() < 0.4
    f = sql.Filters(shop["tenant_id"], subtree, brands, low, high, in_stock)
    for sort in ("newest", "price_asc", "price_desc", "best_selling", "rating"):
        expected = kit.brute_force(shop["products"], path=None if category is None else category["path"],
                                   brand_ids=brands, min_price=low, max_price=high, in_stock=in_stock, sort=sort)
        for index, merge in _ways(sort, f):
            got = _walk(f, sort, index, merge, limit=rng.choice([7, 25]))
            assert got == expected, (sort, index, merge, f)
