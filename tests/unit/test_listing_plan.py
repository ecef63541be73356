"""The listing planner (catalog.listing_plan): estimates from the histogram, and the index it
picks for the shapes whose plans decide the tail (a narrow category, a narrow price range, a
broad filter, attributes, a LIKE-checked text)."""
from __future__ import annotations

import random
from dataclasses import replace
from decimal import Decimal

from chalicelib.catalog import listing_plan as plan

# 100,000 products: 50 categories (ids 1-50) x 10 brands (1-10), 2,000 products a category,
# prices 500-1000 (band 1) for categories 1-25 and 5000-15000 (band 4) for 26-50, 5 % out of stock.
CELLS = [(c, b, 1, stocked, 190 if stocked else 10, 500.0, 1000.0) if c <= 25 else
         (c, b, 4, stocked, 190 if stocked else 10, 5000.0, 15000.0)
         for c in range(1, 51) for b in range(1, 11) for stocked in (True, False)]


def est(**kw) -> plan.Estimate:
    args = {"category_ids": None, "brand_ids": frozenset(), "low": None, "high": None, "in_stock": False, **kw}
    return plan.estimate(CELLS, **args)


def test_estimates_follow_the_histogram():
    whole = est()
    assert whole.total == whole.matches == whole.category == whole.price == 100_000
    one = est(category_ids=frozenset({7}), brand_ids=frozenset({3}), in_stock=True)
    assert one.category == 2_000 and one.matches == 190
    # 750-1000 is half of band 1 (500-1000): half of categories 1-25
    half = est(low=Decimal("750"), high=Decimal("1000"))
    assert half.price == half.matches == 25_000
    assert est(low=Decimal("20000")).matches == 0
    assert est(high=Decimal("100")).matches == est(high=Decimal("100")).price == 0  # below every cell


def _plain_estimate(cells, *, category_ids, brand_ids, low, high, in_stock) -> plan.Estimate:
    """estimate() as first written, a price_share() per cell and both passes over every cell:
    the reference the faster loops must equal."""
    priced = low is not None or high is not None
    lo = None if low is None else float(low)
    hi = None if high is None else float(high)
    total = category = price = matches = of_brands = 0.0
    first, last = float("inf"), float("-inf")
    cats: set[int] = set()
    brands: set[int] = set()
    for cat, brand, _band, stocked, n, cell_low, cell_high in cells:
        total += n
        in_category = category_ids is None or cat in category_ids
        share = plan.price_share(lo, hi, cell_low, cell_high) if priced else 1.0
        if in_category:
            category += n
        price += n * share
        if brand_ids and brand in brand_ids:
            of_brands += n
        if share and in_category and (not brand_ids or brand in brand_ids) and (stocked or not in_stock):
            matches += n * share
            cats.add(cat)
            brands.add(brand)
            first = min(first, cell_low if lo is None else max(cell_low, lo))
            last = max(last, cell_high if hi is None else min(cell_high, hi))
    before = [0.0] * 6
    if matches:
        for cat, brand, _band, _stocked, n, cell_low, cell_high in cells:
            scopes = (0, 2 if cat in cats else -1, 4 if brand in brands else -1)
            if cell_low < first:
                below = n * plan.price_share(lo, first, cell_low, cell_high)
                for scope in scopes:
                    if scope >= 0:
                        before[scope] += below
            if cell_high > last:
                above = n * plan.price_share(last, hi, cell_low, cell_high)
                for scope in scopes:
                    if scope >= 0:
                        before[scope + 1] += above
    return plan.Estimate(total, category, price, matches, before_asc=before[0], before_desc=before[1],
                         category_before=(before[2], before[3]), brand_before=(before[4], before[5]),
                         brands=of_brands, matched_categories=frozenset(cats), matched_brands=frozenset(brands))


def test_the_estimate_equals_the_plain_formulation_on_random_histograms():
    rng = random.Random(16)
    for _ in range(40):
        cells = []
        for c in range(1, rng.randint(2, 30)):
            for b in rng.sample(range(0, 8), rng.randint(1, 4)):
                for stocked in (True, False):
                    low = rng.choice((0.0, 99.9, rng.uniform(1, 40000)))
                    high = low if rng.random() < 0.1 else low + rng.uniform(0, 20000)
                    cells.append((c, b, rng.randint(0, 5), stocked, rng.randint(1, 500), low, high))
        rng.shuffle(cells)
        categories = sorted({c[0] for c in cells})
        for _ in range(25):
            args = {
                "category_ids": None if rng.random() < 0.4 else frozenset(rng.sample(categories, min(len(categories), rng.randint(1, 3)))),
                "brand_ids": frozenset() if rng.random() < 0.5 else frozenset(rng.sample(range(0, 8), 2)),
                "low": None if rng.random() < 0.5 else Decimal(rng.randint(0, 30000)),
                "high": None if rng.random() < 0.5 else Decimal(rng.randint(0, 60000)),
                "in_stock": rng.random() < 0.3,
            }
            assert plan.estimate(cells, **args) == _plain_estimate(cells, **args), args


def test_price_share_of_a_cell():
    assert plan.price_share(None, None, 500, 1000) == 1.0
    assert plan.price_share(600, 700, 500, 1000) == 0.2
    assert plan.price_share(2000, None, 500, 1000) == 0.0
    assert plan.price_share(None, 400, 500, 1000) == 0.0
    assert plan.price_share(700, 700, 500, 1000) == 1 / 500  # one price point: not nothing
    assert plan.price_share(100, 200, 150, 150) == 1.0  # a cell of one price, inside


def choose(sort: str, estimate: plan.Estimate, **kw) -> plan.Choice:
    args = {"limit": 25, "categories": 0, "price_filter": False, "attributes": 0, **kw}
    return plan.choose(sort, estimate, **args)


def test_a_broad_filter_walks_the_sort_index():
    assert choose("newest", est(in_stock=True)).index == "ix_status_created"
    assert choose("best_selling", est(brand_ids=frozenset({1, 2}))).index == "ix_status_sold"
    assert choose("rating", est(category_ids=frozenset(range(1, 26))), categories=25).index == "ix_status_rating"


def test_a_narrow_category_reads_its_own_range():
    leaf = est(category_ids=frozenset({7}), brand_ids=frozenset({3}))
    assert choose("newest", leaf, categories=1).index == "ix_category_created"
    assert choose("price_desc", leaf, categories=1).index == "ix_category_price"
    # a small subtree of three, one brand, under 700: 240 products; read whole and sorted beats
    # walking the shop for 0.24 % of it (and the price range holds 10,000)
    three = est(category_ids=frozenset({7, 8, 9}), brand_ids=frozenset({3}), high=Decimal("700"))
    assert three.matches == 240
    assert choose("best_selling", three, categories=3, price_filter=True).index == "ix_category_sold"
    # a root of 25 categories over one brand (5 % of the shop): walking the shop's index wins;
    # reading each category in order and merging is weighed, and the cheapest is taken
    root = choose("newest", est(category_ids=frozenset(range(1, 26)), brand_ids=frozenset({3})), categories=25)
    assert root.index == "ix_status_created" and not root.merge
    assert "ix_category_created+merge" in dict(root.considered)
    assert root.cost_us == min(cost for _, cost in root.considered)


def test_a_narrow_price_range_reads_the_price_index():
    narrow = est(low=Decimal("5000"), high=Decimal("5100"))  # 1 % of band 4: 500 products
    assert narrow.matches == 500
    assert choose("newest", narrow, price_filter=True).index == "ix_status_price"
    assert choose("price_asc", narrow, price_filter=True).index == "ix_status_price"
    # the same range over a brand: 50 products, still the range
    assert choose("best_selling", est(low=Decimal("5000"), high=Decimal("5100"), brand_ids=frozenset({4})),
                  price_filter=True).index == "ix_status_price"


def test_attributes_and_text_make_candidates_dearer():
    broad = est(category_ids=frozenset(range(1, 4)), brand_ids=frozenset({1}))
    plain = choose("newest", broad, categories=3)
    with_attributes = choose("newest", broad, categories=3, attributes=2)
    assert with_attributes.cost_us > plain.cost_us
    texty = choose("newest", est(), text_share=0.01)
    assert texty.index == "ix_status_created" and texty.cost_us > choose("newest", est()).cost_us


def test_a_price_walk_pays_for_what_lies_before_the_first_match():
    # categories 26-50 cost 5,000-15,000: a cheap-first walk of the shop passes categories 1-25 first
    dear = est(category_ids=frozenset({30}))
    assert dear.before_asc == 50_000 and dear.before_desc == 0
    assert choose("price_asc", dear, categories=1).index == "ix_category_price"
    assert choose("price_desc", est(category_ids=frozenset({30, 31}), brand_ids=frozenset({2})),
                  categories=2).index in {"ix_status_price", "ix_category_price"}
    assert est(category_ids=frozenset({7}), brand_ids=frozenset({3})).matched_categories == {7}


def test_attribute_values_in_price_order_read_up_to_the_pages_last_price():
    # a value on 3,000 products, all of which pass: walking the price index assumes them spread
    # along it, but values follow categories (and prices follow categories), so the walk can
    # pass most of the shop first - one value read in price order up to the page (_price_bound)
    # costs about the page, not its 3,000 rows
    counts = ((3000.0, 3000.0),)
    bounded = plan.choose("price_asc", est(), limit=37, categories=0, price_filter=False, attributes=1,
                          attribute_counts=counts, driver_values=1)
    assert bounded.index == plan.ATTRIBUTE_WAY and bounded.cost_us < 2000
    whole = plan.choose("price_asc", est(), limit=37, categories=0, price_filter=False, attributes=1,
                        attribute_counts=counts)
    assert dict(whole.considered)[plan.ATTRIBUTE_WAY] > 5 * bounded.cost_us
    # two values: a part each, merged - still far below reading every row
    two = plan.choose("price_asc", est(), limit=37, categories=0, price_filter=False, attributes=1,
                      attribute_counts=counts, driver_values=2)
    assert bounded.cost_us < two.cost_us < dict(whole.considered)[plan.ATTRIBUTE_WAY]
    # not for other sorts: the value's rows are read whole and sorted
    newest = plan.choose("newest", est(), limit=37, categories=0, price_filter=False, attributes=1,
                         attribute_counts=counts, driver_values=1)
    assert dict(newest.considered)[plan.ATTRIBUTE_WAY] == dict(whole.considered)[plan.ATTRIBUTE_WAY]


def test_nothing_to_plan():
    assert choose("relevance", est()).index is None
    assert choose("newest", plan.estimate([], category_ids=None, brand_ids=frozenset(), low=None, high=None,
                                          in_stock=False)).index is None


def test_only_an_index_in_the_sorts_order_is_walked():
    """A budgeted walk stops after the page only down an index in the sort's order."""
    assert plan.ordered("ix_status_created", "newest", categories=0, brands=0)
    assert not plan.ordered("ix_status_price", "newest", categories=0, brands=0)  # a range read whole, sorted
    assert plan.ordered("ix_category_rating", "rating", categories=1, brands=0)
    assert not plan.ordered("ix_category_rating", "rating", categories=3, brands=0)  # several ranges
    assert plan.ordered("ix_status_brand", "price_desc", categories=0, brands=1)
    assert not plan.ordered("ix_status_brand", "price_desc", categories=0, brands=2)
    assert not plan.ordered("ix_status_brand", "best_selling", categories=0, brands=1)
    assert not plan.ordered(None, "newest", categories=0, brands=0)
    assert not plan.ordered("ix_status_sold", "relevance", categories=0, brands=0)


def test_a_price_walk_pays_a_probe_for_each_product_priced_beyond_where_the_attributes_meet():
    """A colour in the cheap half of the shop (categories 1-25), walked by price from the top: the
    walk probes the whole dear half before its first match (browse._index sets probed_before from
    the categories where the attribute filters meet), so the colour's own rows are read instead."""
    counts = ((20_000.0, 20_000.0),)  # a fifth of the shop holds the colour
    shop = est()
    assert shop.before_desc == 0.0  # the histogram alone: matches from the top
    walked = plan.choose("price_desc", shop, limit=25, categories=0, price_filter=False, attributes=1,
                         attribute_counts=counts, driver_values=2)
    assert walked.index == "ix_status_price"
    dear_half = est(category_ids=frozenset(range(1, 26)))  # what the meeting categories' estimate says
    assert dear_half.before_desc == 50_000.0
    beyond = replace(shop, before_desc=dear_half.before_desc, probed_before=(0.0, dear_half.before_desc))
    probed = plan.choose("price_desc", beyond, limit=25, categories=0, price_filter=False, attributes=1,
                         attribute_counts=counts, driver_values=2)
    assert probed.index == plan.ATTRIBUTE_WAY
    assert dict(probed.considered)["ix_status_price"] > 50_000 * (plan.ENTRY_US + plan.PROBE_US)
