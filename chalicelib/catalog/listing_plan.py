"""Which index a listing page reads its ids from (issue 16).  Pure functions.

MariaDB (and MySQL) choose badly for `WHERE <filters> ORDER BY <sort> LIMIT n` when the filters
are selective: they walk the sort's index and throw candidates away, or read a whole category and
sort it, guessing from index statistics that know nothing of how filters combine.  At 100,000
products one wrong guess is 30-300 ms.  We know more than they do: the catalogue metadata holds
the tenant's active products per (category, brand, price band, in stock) (catalog.meta), so the
number of products a filter set keeps is estimated closely, and the cost of each way to read a
page follows from it (in microseconds, measured on MariaDB 10.11 at 100,000 products):

- **walk** the sort's covering index (ix_status_<sort>, migration 0022): entries are checked
  against category, brand, price and stock on the index itself until `limit` pass; with a share
  s of the shop passing, about limit / s entries.
- **category**: the category's own sort index (ix_category_<sort>); one category is read in sort
  order (limit / share-within-category entries); a subtree of several is either read whole and
  sorted, or each of its categories read in order up to `limit` and the parts merged.
- **price**: the price range of ix_status_price, in price order for the price sorts, else read
  whole and sorted; it carries created_at, the other sort keys cost a row read each.
- **brand**: the brands' range of ix_status_brand (brand, price, id, ...): one brand in price
  order for the price sorts, else read whole, each match's sort key read (created_at and price
  are carried) and sorted - the way in when a brand is the narrow filter.

The cheapest is forced with FORCE INDEX.  Attribute filters (one primary-key probe per candidate
in product_attribute_values) and text filters are not in the histogram: each attribute filter's
products under the other filters are counted from the kept counts (product_attribute_facet_counts,
migration 0023), which gives the walk's share and a fifth way - **product_attribute_values**: the
filter with the fewest rows read off its covering index (category, brand, price and stock checked
on it, the other attributes probed), the matches' rows read and sorted (ATTRIBUTE_WAY; Choice.index
names it); text search keeps its own planner (catalog.search).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

ENTRY_US = 0.25  # one covering-index entry read and checked
SORTED_US = 0.45  # one entry through a filesort (read, copy, compare)
ROW_US = 2.0  # one row read by primary key (a sort key the index does not carry)
PROBE_US = 2.5  # one attribute check (primary-key probe)
ATTRIBUTE_SHARE = 0.15

WALK_INDEX = {
    "newest": "ix_status_created", "price_asc": "ix_status_price", "price_desc": "ix_status_price",
    "best_selling": "ix_status_sold", "rating": "ix_status_rating",
}
CATEGORY_INDEX = {
    "newest": "ix_category_created", "price_asc": "ix_category_price", "price_desc": "ix_category_price",
    "best_selling": "ix_category_sold", "rating": "ix_category_rating",
}
PRICE_INDEX = "ix_status_price"
BRAND_INDEX = "ix_status_brand"
PRICE_SORTS = frozenset({"price_asc", "price_desc"})
PRICE_INDEX_CARRIES = frozenset({"price_asc", "price_desc", "newest"})  # sort keys inside ix_status_price


@dataclass(frozen=True)
class Estimate:
    """Active products of the tenant (`total`), in the category filter (`category`: all without
    one), in the price range (`price`: all without one), and passing every filter the histogram
    knows (`matches`: category, brand, price, stock)."""

    total: float
    category: float
    price: float
    matches: float
    # Products in the price range priced below the cheapest match (`before_asc`) and above the
    # dearest (`before_desc`): a walk in price order reads them all before its first match.
    # Prices follow categories and brands closely, so this is most of a price walk's cost.
    before_asc: float = 0.0
    before_desc: float = 0.0
    # The same within the filter's categories and within its brands (their price-ordered ranges).
    category_before: tuple[float, float] = (0.0, 0.0)
    brand_before: tuple[float, float] = (0.0, 0.0)
    # Of `before_asc` / `before_desc`, the products that pass the histogram's filters but lie
    # outside the categories where the attribute filters meet (browse._index): a walk probes each
    # for the attributes before it fails - firearms, which have no colour, first in a colour's
    # walk down the price.
    probed_before: tuple[float, float] = (0.0, 0.0)
    brands: float = 0.0  # products of the brand filter's brands (0 without one)
    # The filter's categories and brands that hold a match: a page need not read the others.
    matched_categories: frozenset[int] = frozenset()
    matched_brands: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Choice:
    index: str | None  # None: no hint (an empty shop, or a sort this planner does not cover)
    cost_us: float
    considered: tuple[tuple[str, float], ...]  # (way, estimated µs), for tests and EXPLAIN reports
    merge: bool = False  # each category of the filter read apart in order, then merged
    # Of the entries passing the index's own checks (category, brand, price, stock), the share
    # estimated to pass the attribute and text filters too: a budgeted walk's budget follows it.
    share: float = 1.0


def ordered(index: str | None, sort: str, *, categories: int, brands: int) -> bool:
    """`index` yields a page in the sort's order, so a walk down it can stop after the page: the
    sort's own index, one category's, or one brand's for a price sort (the other ways read a
    whole range and sort it)."""
    if sort not in WALK_INDEX or index is None:
        return False
    return (index == WALK_INDEX[sort] or (index == CATEGORY_INDEX[sort] and categories == 1)
            or (index == BRAND_INDEX and sort in PRICE_SORTS and brands == 1))


MERGE = "+merge"  # marks the merged way in `considered`
ATTRIBUTE_WAY = "product_attribute_values"
PART_US = 15.0  # one more part of a merged statement (its own index dive and LIMIT)


def choose(sort: str, estimate: Estimate, *, limit: int, categories: int, price_filter: bool,
           attributes: int, text_share: float | None = None, brands: int = 0,
           attribute_counts: tuple[tuple[float, float], ...] | None = None,
           driver_values: int = 0) -> Choice:
    """`categories`, `brands`: how many category / brand ids the filter holds; `text_share`: the
    share of the shop a LIKE-checked text filter keeps (None without one; each candidate that
    passes the index's checks then costs a row read); `attribute_counts`: per attribute filter,
    (entries, matches) as listing_repository.attribute_counts counts them from the kept counts -
    the attribute rows a read of its products walks, and those passing the other filters the
    histogram knows (None: not counted, ATTRIBUTE_SHARE each); `driver_values`: how many values
    the fewest-entries filter has - a price sort reads each one's rows in price order only up to
    the page's last price (listing_repository._price_bound)."""
    if sort not in WALK_INDEX or estimate.total <= 0:
        return Choice(None, 0.0, ())
    if attribute_counts and attributes:
        attribute_share = 1.0
        for _entries, matching in attribute_counts:  # independent filters, each known under the others
            attribute_share *= min(max(matching, 0.5) / max(estimate.matches, 0.5), 1.0)
    else:
        attribute_share = ATTRIBUTE_SHARE ** attributes
    share = attribute_share * (1.0 if text_share is None else text_share)
    keep = max(estimate.matches * share, 0.5)  # products passing every filter
    per_candidate = attributes * PROBE_US + (0.0 if text_share is None else ROW_US)
    options: list[tuple[str, float]] = []

    def passed(entries_total: float) -> float:
        """One entry of a merged part's walk, in a range of `entries_total`: read, and probed for
        the attributes (the parts probe: listing_repository._merged_ids) when it passes the
        index's checks, as the matches' share of the range."""
        return ENTRY_US + estimate.matches / max(entries_total, 1.0) * per_candidate

    def walk_cost(entries_total: float, passing_index: float) -> float:
        """Entries read walking `entries_total` in sort order until `limit` pass, each entry
        passing the index's checks also checked for attributes and text."""
        read = min(entries_total, limit * entries_total / keep)
        return read * ENTRY_US + read * (passing_index / max(entries_total, 1)) * per_candidate

    if sort in PRICE_SORTS:
        before = estimate.before_asc if sort == "price_asc" else estimate.before_desc
        probed = estimate.probed_before[0 if sort == "price_asc" else 1]
        options.append((WALK_INDEX[sort], before * ENTRY_US + probed * per_candidate
                        + walk_cost(estimate.price, estimate.matches)))
    else:
        options.append((WALK_INDEX[sort], walk_cost(estimate.total, estimate.matches)))
    side = 0 if sort == "price_asc" else 1  # which `before` a price walk inside a part pays
    category_before = estimate.category_before[side] if sort in PRICE_SORTS else 0.0
    brand_before = estimate.brand_before[side] if sort in PRICE_SORTS else 0.0
    if categories:
        if categories == 1:
            options.append((CATEGORY_INDEX[sort], category_before * ENTRY_US
                            + walk_cost(estimate.category, estimate.matches)))
        else:
            options.append((CATEGORY_INDEX[sort], estimate.category * ENTRY_US
                            + estimate.matches * (SORTED_US + per_candidate)))
            # each category in order up to `limit`, merged: about `limit` passing entries per
            # category (fewer in a small one), with the walk's waste where filters thin them
            per_part = min(estimate.category / categories, limit * estimate.category / keep)
            options.append((CATEGORY_INDEX[sort] + MERGE, categories * (PART_US + limit * SORTED_US)
                            + (categories * per_part + category_before) * passed(estimate.category)))
    if estimate.brands and brands:
        if brands == 1 and sort in PRICE_SORTS:  # one brand's range of ix_status_brand is in price order
            options.append((BRAND_INDEX, brand_before * ENTRY_US + walk_cost(estimate.brands, estimate.matches)))
        elif sort in PRICE_SORTS:  # several: each in price order, merged
            per_part = min(estimate.brands / brands, limit * estimate.brands / keep)
            options.append((BRAND_INDEX + MERGE, brands * (PART_US + limit * SORTED_US)
                            + (brands * per_part + brand_before) * passed(estimate.brands)))
        else:  # the brands' ranges read whole, each match's sort key (a row read unless carried) sorted
            extra = 0.0 if sort in PRICE_INDEX_CARRIES else ROW_US
            options.append((BRAND_INDEX, estimate.brands * ENTRY_US
                            + estimate.matches * (SORTED_US + extra + per_candidate)))
    if price_filter and sort not in PRICE_SORTS:  # (for a price sort the walk above is this range)
        extra = 0.0 if sort in PRICE_INDEX_CARRIES else ROW_US
        options.append((PRICE_INDEX, estimate.price * ENTRY_US + estimate.matches * (SORTED_US + extra + per_candidate)))
    if attribute_counts and attributes and text_share is None:
        # the fewest-entries filter's products read off product_attribute_values (the other
        # filters checked on its covering index, the other attributes probed), then sorted
        entries, matching = min(attribute_counts)
        if driver_values and sort in PRICE_SORTS:
            # the bound: each value's rows in price order until `limit` pass (the other filters
            # checked on the entry, the other attributes probed), then the values' entries up to
            # it (the price is checked on each: the bucket comes first in the index)
            passing = max(matching, 0.5) / max(entries, 1.0)
            read = min(entries, driver_values * limit / passing)
            options.append((ATTRIBUTE_WAY, (driver_values + 1) * PART_US + entries * ENTRY_US
                            + read * (2 * ENTRY_US + (attributes - 1) * PROBE_US)
                            + min(matching, limit) * (ROW_US + SORTED_US)))
        else:
            options.append((ATTRIBUTE_WAY, PART_US + entries * ENTRY_US
                            + matching * ((attributes - 1) * PROBE_US + ROW_US + SORTED_US
                                          + (0.0 if text_share is None else ROW_US))))
    best = min(options, key=lambda option: option[1])
    merged = best[0].endswith(MERGE)
    return Choice(best[0].removesuffix(MERGE), best[1], tuple(options), merged, share)


def price_share(low: float | None, high: float | None, cell_low: float, cell_high: float) -> float:
    """The share of a histogram cell whose prices lie in [cell_low, cell_high] that falls inside
    [low, high], taking its prices as spread evenly."""
    lo = cell_low if low is None else max(cell_low, low)
    hi = cell_high if high is None else min(cell_high, high)
    if hi < lo:
        return 0.0
    if cell_high <= cell_low:
        return 1.0  # one price, inside the range
    return max((hi - lo) / (cell_high - cell_low), 1.0 / max(cell_high - cell_low, 1.0))


Cell = tuple[int, int, int, bool, int, float, float]  # category, brand or 0, band, in stock, products, lowest, highest price


def estimate(cells: list[Cell], *, category_ids: frozenset[int] | None, brand_ids: frozenset[int],
             low: Decimal | None, high: Decimal | None, in_stock: bool) -> Estimate:
    """The Estimate for a filter set from the tenant's histogram (CatalogMeta.cells).

    Every listing, facets and search call runs this over the whole histogram (~800 cells at
    100,000 products), so the loops are written for CPython: comparisons instead of min()/max()
    and price_share() calls where the answer is known (no price filter: every share is 1; a cell
    wholly inside the range: 1), and the second pass skips, on two comparisons, every cell that
    lies within the matches' price span (most of them).  0.5-0.8 ms a call became 0.2-0.4
    (tests/unit/test_listing_plan.py holds it equal to the plain version)."""
    priced = low is not None or high is not None
    lo = None if low is None else float(low)
    hi = None if high is None else float(high)
    total = category = price = matches = of_brands = 0.0
    first, last = float("inf"), float("-inf")  # the cheapest and dearest match's price
    matched_categories: set[int] = set()
    matched_brands: set[int] = set()
    any_category = category_ids is None
    for cat, brand, _band, stocked, n, cell_low, cell_high in cells:
        total += n
        in_category = any_category or cat in category_ids  # type: ignore[operator]
        if in_category:
            category += n
        if brand_ids and brand in brand_ids:
            of_brands += n
        if not priced:
            price += n
            if not in_category or (brand_ids and brand not in brand_ids) or (in_stock and not stocked):
                continue
            matches += n
            matched_categories.add(cat)
            matched_brands.add(brand)
            if cell_low < first:
                first = cell_low
            if cell_high > last:
                last = cell_high
            continue
        if (lo is None or cell_low >= lo) and (hi is None or cell_high <= hi):
            share = 1.0  # wholly inside: what price_share answers
        else:
            share = price_share(lo, hi, cell_low, cell_high)
        price += n * share
        if share and in_category and (not brand_ids or brand in brand_ids) and (stocked or not in_stock):
            matches += n * share
            matched_categories.add(cat)
            matched_brands.add(brand)
            cheapest = cell_low if lo is None or cell_low >= lo else lo
            dearest = cell_high if hi is None or cell_high <= hi else hi
            if cheapest < first:
                first = cheapest
            if dearest > last:
                last = dearest
    # Second pass: what a price walk reads before its first match - over the shop, inside the
    # categories that hold a match, inside the brands that do.
    before = [0.0] * 6  # (shop, categories, brands) x (ascending, descending)
    if matches:
        for cat, brand, _band, _stocked, n, cell_low, cell_high in cells:
            below_first, above_last = cell_low < first, cell_high > last
            if not (below_first or above_last):
                continue
            in_categories, in_brands = cat in matched_categories, brand in matched_brands
            if below_first:
                below = n * price_share(lo, first, cell_low, cell_high)
                before[0] += below
                if in_categories:
                    before[2] += below
                if in_brands:
                    before[4] += below
            if above_last:
                above = n * price_share(last, hi, cell_low, cell_high)
                before[1] += above
                if in_categories:
                    before[3] += above
                if in_brands:
                    before[5] += above
    return Estimate(total, category, price, matches, before_asc=before[0], before_desc=before[1],
                    category_before=(before[2], before[3]), brand_before=(before[4], before[5]), brands=of_brands,
                    matched_categories=frozenset(matched_categories), matched_brands=frozenset(matched_brands))
