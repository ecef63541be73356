"""Facet counts for a listing, computed from one small "cube" query.  Pure functions.

A shop's filter panel counts each facet under every *other* active filter (ticking a brand must
not hide the other brands): brands ignore the brand filter, price bands the price filter, the
in-stock count the in-stock filter.  The category facet drills down: the direct children of the
filtered category (the roots without one), each counting its whole subtree under all filters.

Rather than one COUNT query per facet, one statement builds a "cube" of the products matching
the filters every facet shares (category subtree, search text, attributes): cells of
(category_id, brand_id, facet_band, in_stock) — a few hundred, however big the shop — each with
its count and, when a price range is set, how many of it lie inside the range.  Every facet is a
sum over those cells here.  Without text or attribute filters the cube comes from the counts that
triggers keep per fine price bucket (product_facet_counts, migration 0020; PRICE_BUCKETS and
price_plan below); with one attribute value, from the same counts kept per value
(product_attribute_facet_counts, migration 0023); with other attribute filters, from grouping
one filter's rows of product_attribute_values, which carry every column the cube needs (its
covering ix_cells / ix_category); with text, from grouping the narrowest word's rows of
product_search_words (migration 0024), which carry the same columns (listing_repository).  The cube does not depend on the brand or in-stock filters, the sort or the
page, so it is cached on its own (catalog.caching).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .meta import CatalogMeta

# (lower bound, upper bound or None) in TRY; index = products.facet_band (migration 0005).
PRICE_BANDS: tuple[tuple[int, int | None], ...] = (
    (0, 500), (500, 1000), (1000, 2500), (2500, 5000), (5000, 15000), (15000, None),
)
# Lower bounds in TRY of the finer price buckets; index = products.facet_bucket (migration 0020,
# which holds a frozen copy: tests/unit/test_facet_buckets.py keeps the two equal).  Every band
# bound is a bucket bound, so a band is a run of whole buckets; each bucket holds a few per cent
# of a typical shop, which bounds what a price filter's cut buckets cost to count from products.
PRICE_BUCKETS: tuple[int, ...] = (
    0, 100, 200, 300, 400, 500, 600, 700, 800, 900,
    1000, 1250, 1500, 1750, 2000, 2250,
    2500, 3000, 3500, 4000, 4500,
    5000, 7500, 10000, 12500,
    15000, 25000, 40000, 60000, 100000,
)
# The first bucket of each band but the first: INTERVAL(facet_bucket, ...) in SQL is the band.
BAND_FIRST_BUCKETS: tuple[int, ...] = tuple(PRICE_BUCKETS.index(low) for low, _ in PRICE_BANDS[1:])
CENT = Decimal("0.01")  # products.base_price is DECIMAL(14,2): a bucket's dearest price is its bound - 0.01


@dataclass(frozen=True)
class PricePlan:
    """How a price range is counted from the kept counts: `whole` buckets count fully, and of each
    bucket the range cuts either its products inside the range are added (`add`) or - when most
    of the bucket is inside - the bucket counts fully and its products outside are taken away
    (`subtract`), whichever reads fewer products."""
    whole: tuple[int, ...]
    add: tuple[int, ...]
    subtract: tuple[int, ...]


def price_plan(low: Decimal | None, high: Decimal | None) -> PricePlan:
    inside, cut = buckets_in_range(low, high)
    add: list[int] = []
    subtract: list[int] = []
    for i in cut:
        start = Decimal(PRICE_BUCKETS[i])
        end = Decimal(PRICE_BUCKETS[i + 1]) if i + 1 < len(PRICE_BUCKETS) else start * 2  # open top: a guess
        covered = min(end, high if high is not None else end) - max(start, low if low is not None else start)
        (subtract if covered * 2 > end - start else add).append(i)
    return PricePlan(tuple(sorted(inside + subtract)), tuple(add), tuple(subtract))


def band_of_bucket(bucket: int) -> int:
    return sum(1 for first in BAND_FIRST_BUCKETS if bucket >= first)


def buckets_in_range(low: Decimal | None, high: Decimal | None) -> tuple[list[int], list[int]]:
    """(buckets wholly inside [low, high], buckets the range cuts); the rest lie wholly outside.
    At most two are cut: the ones holding `low` and `high`."""
    inside, cut = [], []
    for i, start in enumerate(PRICE_BUCKETS):
        dearest = PRICE_BUCKETS[i + 1] - CENT if i + 1 < len(PRICE_BUCKETS) else None
        above_low = low is None or start >= low
        below_high = high is None or (dearest is not None and dearest <= high)
        if above_low and below_high:
            inside.append(i)
        elif not ((low is not None and dearest is not None and dearest < low) or (high is not None and start > high)):
            cut.append(i)
    return inside, cut


@dataclass(frozen=True)
class Cell:
    """One cell of the cube, named (tests and reports read cubes this way; the request path keeps
    the plain rows of `normalised`)."""
    category_id: int
    brand_id: int  # 0 when the product has no brand
    band: int
    in_stock: bool
    count: int
    in_price: int  # of `count`, inside the price filter (== count without one)


Row = list[int]  # [category_id, brand_id or 0, band, in_stock 0/1, count, in_price]


def normalised(rows: list[list[Any]]) -> list[Row]:
    """listing_repository.facet_cube's [category, brand, band, in_stock, count, in_price] (every
    cube is a JSON document of integers; no brand: null) with no brand as 0 and in_stock as 0/1:
    what is cached and what `compute` reads.  Plain lists, not Cells: a cube holds ~800 cells for
    a whole shop of 100,000 products, and building, caching and rebuilding frozen dataclasses for
    them cost 1.8 ms a facets call against ~0.2 for these."""
    return [[c, b or 0, band, 1 if s else 0, n, p] for c, b, band, s, n, p in rows]


def cells(rows: list[list[Any]]) -> list[Cell]:
    """The cube's rows as named Cells."""
    return [Cell(c, b, band, bool(s), n, p) for c, b, band, s, n, p in normalised(rows)]


def compute(cube: list[Row], meta: CatalogMeta, *, category_id: int | None, brand_ids: tuple[int, ...],
            in_stock: bool) -> dict[str, Any]:
    """Every facet from the `normalised` cube."""
    brands_ok = set(brand_ids)
    brand_counts: dict[int, int] = {}
    category_counts: dict[int, int] = {}
    bands = [0] * len(PRICE_BANDS)
    stocked = 0
    for cell_category, brand_id, band, cell_stocked, count, in_price in cube:
        stock_ok = cell_stocked or not in_stock
        brand_ok = not brands_ok or brand_id in brands_ok
        if stock_ok and in_price:
            brand_counts[brand_id] = brand_counts.get(brand_id, 0) + in_price
        if brand_ok and stock_ok:
            bands[band] += count
            if in_price:
                child = meta.child_of(category_id, cell_category)
                if child is not None:
                    category_counts[child] = category_counts.get(child, 0) + in_price
        if brand_ok and cell_stocked:
            stocked += in_price
    return {
        "brands": _brands(brand_counts, meta, brands_ok),
        "categories": [
            {"id": cid, "name": meta.categories[cid]["name"], "slug": meta.categories[cid]["slug"],
             "count": category_counts[cid]}
            for cid in meta.children.get(category_id or 0, []) if category_counts.get(cid)
        ],
        "price_bands": [{"min": Decimal(low), "max": None if high is None else Decimal(high), "count": n}
                        for (low, high), n in zip(PRICE_BANDS, bands, strict=True)],
        "in_stock": stocked,
    }


def _brands(counts: dict[int, int], meta: CatalogMeta, selected: set[int]) -> list[dict[str, Any]]:
    """Brands with products under the other filters, plus the selected ones (even at 0) so the
    panel can show them ticked; most products first."""
    ids = {b for b, n in counts.items() if n and b in meta.brands} | (selected & set(meta.brands))
    rows = [{"id": b, "name": meta.brands[b]["name"], "slug": meta.brands[b]["slug"], "count": counts.get(b, 0)}
            for b in ids]
    return sorted(rows, key=lambda r: (-r["count"], r["name"], r["id"]))
