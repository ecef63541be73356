"""The fine price buckets of the kept facet counts: migration 0020's frozen copy equals
catalog.facets.PRICE_BUCKETS, bands are runs of whole buckets, and buckets_in_range sorts every
bucket the way a brute force over its prices does."""
from __future__ import annotations

import random
from decimal import Decimal

from chalicelib.catalog.facets import (
    BAND_FIRST_BUCKETS,
    CENT,
    PRICE_BANDS,
    PRICE_BUCKETS,
    band_of_bucket,
    buckets_in_range,
    price_plan,
)
from tests import migration_files


def _migration():  # type: ignore[no-untyped-def]
    return migration_files.load("0020_facet_counts.py")


def test_the_migration_holds_the_same_bounds():
    migration = _migration()
    assert migration.BUCKETS == PRICE_BUCKETS
    assert migration.bucket_expression() == "INTERVAL(base_price, " + ", ".join(map(str, PRICE_BUCKETS[1:])) + ")"


def test_buckets_rise_fit_a_tinyint_and_every_band_is_a_run_of_whole_buckets():
    assert PRICE_BUCKETS[0] == 0 and list(PRICE_BUCKETS) == sorted(set(PRICE_BUCKETS)) and len(PRICE_BUCKETS) < 256
    assert {low for low, _ in PRICE_BANDS} | {high for _, high in PRICE_BANDS if high} <= set(PRICE_BUCKETS)
    for band, first in enumerate(BAND_FIRST_BUCKETS, start=1):
        assert PRICE_BUCKETS[first] == PRICE_BANDS[band][0]
    for bucket, low in enumerate(PRICE_BUCKETS):
        band = band_of_bucket(bucket)
        assert PRICE_BANDS[band][0] <= low and (PRICE_BANDS[band][1] is None or low < PRICE_BANDS[band][1])


def _bucket(price: Decimal) -> int:
    return max(i for i, low in enumerate(PRICE_BUCKETS) if price >= low)


def _edges() -> list[Decimal]:
    points = {Decimal(0), Decimal("0.01"), Decimal("250000")}
    for low in PRICE_BUCKETS[1:]:
        points |= {Decimal(low) - CENT, Decimal(low), Decimal(low) + CENT, Decimal(low) - Decimal("0.005")}
    return sorted(points)


def test_buckets_in_range_agree_with_every_price_of_each_bucket():
    rng = random.Random(16)
    edges = _edges()
    # Prices as products hold them (two decimals), at every bucket's edges and inside.
    prices = [p for p in edges if p == p.quantize(CENT)] + [Decimal(rng.randrange(0, 20_000_000)) / 100
                                                               for _ in range(400)]
    by_bucket: dict[int, list[Decimal]] = {}
    for price in prices:
        by_bucket.setdefault(_bucket(price), []).append(price)
    assert set(by_bucket) == set(range(len(PRICE_BUCKETS)))
    bounds = [None, *edges, *(Decimal(rng.randrange(0, 20_000_000)) / 100 for _ in range(100))]
    for _ in range(3000):
        low, high = rng.choice(bounds), rng.choice(bounds)
        inside, cut = buckets_in_range(low, high)
        assert len(cut) <= 2 and not set(inside) & set(cut)
        for bucket, members in by_bucket.items():
            hits = [(low is None or p >= low) and (high is None or p <= high) for p in members]
            if bucket in inside:
                assert all(hits), (low, high, bucket)
            elif bucket not in cut:
                assert not any(hits), (low, high, bucket)
    assert buckets_in_range(None, None) == (list(range(len(PRICE_BUCKETS))), [])


def test_a_price_plan_counts_each_cut_bucket_one_way_from_its_smaller_side():
    low, high = Decimal("110"), Decimal("1240")  # cuts [100, 200) near its bottom, [1000, 1250) near its top
    inside, cut = buckets_in_range(low, high)
    plan = price_plan(low, high)
    assert cut == [1, 10] and plan.subtract == (1, 10) and plan.add == ()
    assert plan.whole == tuple(sorted(inside + [1, 10]))
    plan = price_plan(Decimal("190"), Decimal("1010"))
    assert plan.add == (1, 10) and plan.subtract == () and plan.whole == tuple(buckets_in_range(Decimal("190"),
                                                                                                 Decimal("1010"))[0])
    assert price_plan(None, None) == price_plan(Decimal(0), None)
