"""SQL of the public listing: one statement per page, one per facet cube, one per suggestion
list, whatever the page size (tests/integration/test_catalog_queries.py counts them).

Filters are turned into one WHERE clause (`where`) that every statement shares.  A page first
picks its ids in a derived table that touches `products` only (the sort's index, the keyset
seek, LIMIT), then joins the brand and the first image to those few rows.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, overload

from chalicelib.platform.db import Session
from chalicelib.platform.keyset import Keyset, Position
from chalicelib.platform.sql import BY_ID, marks

from . import facets as facet_math
from .listing_plan import PRICE_SORTS
from .search import NAME_PREFIX_BOOST, TextPlan

TEXT = "CONCAT(' ', COALESCE(p.search_text, p.name))"
# The listing's sorts: key columns, then the product id, all in one direction (platform/keyset.py).
# Relevance pages by the computed score (HAVING), so its key is the select's alias.
SORTS: dict[str, Keyset] = {
    "newest": Keyset("newest", ("p.created_at",), (datetime,), "p.id"),
    "price_asc": Keyset("price_asc", ("p.base_price",), (Decimal,), "p.id", descending=False),
    "price_desc": Keyset("price_desc", ("p.base_price",), (Decimal,), "p.id"),
    "best_selling": Keyset("best_selling", ("p.sold_count",), (int,), "p.id"),
    "rating": Keyset("rating", ("p.rating_avg", "p.rating_count"), (Decimal, int), "p.id"),
    "relevance": Keyset("relevance", ("score",), (int,), "p.id"),
}


@dataclass(frozen=True)
class Filters:
    tenant_id: int
    category_ids: tuple[int, ...] | None = None  # a category's visible subtree
    brand_ids: tuple[int, ...] = ()
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool = False
    attributes: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (key, accepted values)
    text: TextPlan | None = None


# product_attribute_values.attr_value's length (migration 0021): a value this long may be cut.
ATTRIBUTE_VALUE_CHARS = 255


def where(f: Filters, *, facets: bool = False, probes: bool = False) -> tuple[str, list[Any]]:
    """The WHERE clause; `facets` leaves out brand, price and stock (the cube groups by them)."""
    sql = ["p.tenant_id = %s", "p.status = 'active'"]
    params: list[Any] = [f.tenant_id]
    if f.category_ids is not None:
        sql.append(f"p.category_id IN ({marks(f.category_ids)})")
        params += f.category_ids
    if f.brand_ids and not facets:
        sql.append(f"p.brand_id IN ({marks(f.brand_ids)})")
        params += f.brand_ids
    if not facets:
        price_sql, price_params = price_condition(f)
        if price_sql:
            sql.append(price_sql)
            params += price_params
        if f.in_stock:
            sql.append("p.in_stock = 1")
    for key, values in f.attributes:
        attribute_sql, attribute_params = _attribute(key, values, probe=probes)
        sql.append(attribute_sql)
        params += attribute_params
    if f.text is not None:
        text_sql, text_params = text_condition(f.text)
        sql += text_sql
        params += text_params
    return " AND ".join(sql), params


def text_condition(text: TextPlan) -> tuple[list[str], list[Any]]:
    """The search words' conditions on products `p`: MATCH for the planned words, a word-prefix
    LIKE for each of the others."""
    sql, params = [], []
    if text.against is not None:
        sql.append("MATCH(p.search_terms) AGAINST (%s IN BOOLEAN MODE)")
        params.append(text.against)
    for group in text.like_groups:
        sql.append("(" + " OR ".join([f"{TEXT} LIKE %s"] * len(group)) + ")")
        params += [f"% {prefix}%" for prefix in group]
    return sql, params


def price_condition(f: Filters) -> tuple[str, list[Any]]:
    parts, params = [], []
    if f.min_price is not None:
        parts.append("p.base_price >= %s")
        params.append(f.min_price)
    if f.max_price is not None:
        parts.append("p.base_price <= %s")
        params.append(f.max_price)
    return " AND ".join(parts), params


def _attribute(key: str, values: tuple[str, ...], *, tenant: str = "p.tenant_id", product: str = "p.id",
               alias: str = "a", probe: bool = False) -> tuple[str, list[Any]]:
    """A product attribute or the option of one of its active variations equals one of the
    values (case- and accent-insensitive), e.g. renk = Haki: a primary-key probe per value in
    product_attribute_values (migration 0021, kept by triggers) instead of reading the JSON.
    The table keeps a value's first ATTRIBUTE_VALUE_CHARS characters, so a match on a value of
    that length - or any match for a filter value that long, which only internal callers send
    (the API takes 100) - is rechecked against the JSON, as the filter read it before.  The
    recheck reads the product by the index row's id, not through `p`: a reference to
    p.attributes would cost every candidate a row read on an index walk.  `tenant`, `product`:
    the columns naming the product checked (products `p`, or another attribute row's).
    `probe`: a scalar subquery through ix_product instead of EXISTS, which MariaDB may turn into
    a semi-join that reads every row of the values into a temporary table first - right for a
    read of every match or a walk that may pass most of the shop, wrong for each part of a merged
    read, which stops after a page of its category (two colours under Giyim by price: 6 x 33,000
    rows, 100 ms), and for the facet cube's check of each driving row."""
    a = alias
    probes = _probes(values)
    recheck, recheck_params = _recheck(key, values, a)
    # A probe names its index.  MariaDB keeps a table's rows-per-key figures while the table stays
    # open: one opened empty and then filled (a first catalogue, a seed, a backfill) says one row
    # per prefix, and MariaDB then probed by (tenant, key) off the primary key - every row of the
    # attribute, per candidate: 9-13 s for two colours by price at 100,000 products, against 11 ms
    # through ix_product (tests/e2e/test_stale_statistics.py).
    index = " FORCE INDEX (ix_product)" if probe else ""
    found = (f"SELECT 1 FROM product_attribute_values {a}{index} WHERE {a}.tenant_id = {tenant}"
             f" AND {a}.attr_key = %s AND {a}.attr_value IN ({marks(probes)}) AND {a}.product_id = {product}"
             f" AND {recheck}")
    return (f"({found} LIMIT 1) IS NOT NULL" if probe else f"EXISTS ({found})", [key, *probes, *recheck_params])


def _probes(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value[:ATTRIBUTE_VALUE_CHARS] for value in values))


def _recheck(key: str, values: tuple[str, ...], alias: str) -> tuple[str, list[Any]]:
    """The attribute row `alias` is a real match: its value is not a cut one, or the product's
    JSON says so (see _attribute)."""
    cut = ATTRIBUTE_VALUE_CHARS
    recheck, recheck_params = json_attribute(key, values, product="r")
    exact = "" if any(len(value) >= cut for value in values) else f"CHAR_LENGTH({alias}.attr_value) < {cut} OR "
    # A scalar subquery, not EXISTS: MariaDB may turn an EXISTS under OR into a materialised
    # semi-join - every product of the tenant read once per statement (~100 ms at 100,000).
    return (f"({exact}(SELECT 1 FROM products r WHERE r.tenant_id = {alias}.tenant_id"
            f" AND r.id = {alias}.product_id AND {recheck} LIMIT 1) IS NOT NULL)", recheck_params)


def json_attribute(key: str, values: tuple[str, ...], *, product: str = "p") -> tuple[str, list[Any]]:
    """The attribute condition read from the JSON of product `product` (an alias) itself, ~30 µs
    a product: the definition product_attribute_values follows, used for the rare value longer
    than it stores."""
    value = "JSON_UNQUOTE(JSON_EXTRACT({col}, %s)) COLLATE utf8mb4_unicode_ci IN ({marks})"
    path = f'$."{key}"'
    # FORCE INDEX: MariaDB's EXISTS-to-IN rewrite otherwise probes ux_tenant_id (every variation
    # of the tenant, per product).
    return (f"({value.format(col=f'{product}.attributes', marks=marks(values))} OR EXISTS (SELECT 1"
            f" FROM product_variations v FORCE INDEX (ix_product)"
            f" WHERE v.tenant_id = {product}.tenant_id AND v.product_id = {product}.id AND v.is_active = 1"
            f" AND {value.format(col='v.options', marks=marks(values))}))", [path, *values, path, *values])


@dataclass(frozen=True)
class AttributeCount:
    """Of one attribute filter (a key and its values): `entries`, the attribute rows a read of its
    products off product_attribute_values walks (its values' active products in the filter's
    categories, else in the price filter's buckets); `matches`, those also passing the brand,
    stock and price filters (price by whole buckets).  Counted from product_attribute_facet_counts
    (migration 0023): a product holding several of the values counts once for each, so both are
    upper bounds, exact for one value; 0 means no product passes.  `universal`: every active
    product of the filter's categories holds the value (one value, no cut one to recheck): the
    filter keeps them all and may be left out (mensei: Türkiye in a Turkish shop)."""
    key: str
    entries: int
    matches: int
    universal: bool = False
    # per category: (category, walked, passing, held) - `entries`, `matches` and all its products
    cells: tuple[tuple[int, int, int, int], ...] = ()

    @property
    def categories(self) -> frozenset[int]:
        """The categories holding a product of the values that passes the other filters."""
        return frozenset(category for category, _walked, passing, _held in self.cells if passing > 0)


def attribute_counts(session: Session, f: Filters) -> list[AttributeCount]:
    """AttributeCount of each attribute filter of `f`, in one statement (sums of a few hundred
    to a few thousand kept cells at most)."""
    if not f.attributes:
        return []
    buckets = None
    if f.min_price is not None or f.max_price is not None:
        inside, cut = facet_math.buckets_in_range(f.min_price, f.max_price)
        buckets = sorted(inside + cut)
    scope, scope_params = "", []
    if f.category_ids is not None:
        scope, scope_params = f" AND c.category_id IN ({marks(f.category_ids)})", list(f.category_ids)
    parts = [f"(SELECT CAST(COALESCE(SUM(c.products), 0) AS UNSIGNED) FROM product_facet_counts c"
             f" WHERE c.tenant_id = %s{scope})"]
    params: list[Any] = [f.tenant_id, *scope_params]
    for key, values in f.attributes:
        probes = _probes(values)
        passing, passing_params = ["TRUE"], []
        if f.brand_ids:
            passing.append(f"c.brand_id IN ({marks(f.brand_ids)})")
            passing_params += list(f.brand_ids)
        if f.in_stock:
            passing.append("c.in_stock = 1")
        in_price = "TRUE"
        if buckets is not None:
            in_price = f"c.facet_bucket IN ({', '.join(map(str, buckets))})" if buckets else "FALSE"
            passing.append(in_price)
        walked = "TRUE" if f.category_ids is not None else in_price
        # per category: so the filters' categories can be met (narrowed) as well as summed
        parts.append(
            f"""(SELECT JSON_ARRAYAGG(JSON_ARRAY(g.category_id, g.walked, g.passing, g.held))
                             FROM (SELECT c.category_id, CAST(SUM(IF({walked}, c.products, 0)) AS UNSIGNED) AS walked,
                                          CAST(SUM(IF({' AND '.join(passing)}, c.products, 0)) AS UNSIGNED) AS passing,
                                          CAST(SUM(c.products) AS UNSIGNED) AS held
                                     FROM product_attribute_facet_counts c
                                    WHERE c.tenant_id = %s AND c.attr_key = %s AND c.attr_value IN ({marks(probes)}){scope}
                                      AND c.products > 0
                                    GROUP BY c.category_id) g)""")
        parts.append(f"""(SELECT COUNT(*) FROM product_attribute_values a FORCE INDEX (ix_cells)
                           WHERE a.tenant_id = %s AND a.attr_key = %s AND a.attr_value IN ({marks(probes)})
                             AND a.value_cut = 1)""")
        params += [*passing_params, f.tenant_id, key, *probes, *scope_params, f.tenant_id, key, *probes]
    row = session.all(f"SELECT {', '.join(f'{part} AS k{i}' for i, part in enumerate(parts))}", params)[0]
    total = int(row["k0"])
    counts = []
    for i, (key, values) in enumerate(f.attributes):
        cells, cut_rows = json.loads(row[f"k{2 * i + 1}"] or "[]"), int(row[f"k{2 * i + 2}"])
        entries, matches, held = (sum(int(c[j]) for c in cells) for j in (1, 2, 3))
        universal = (len(_probes(values)) == 1 and len(values[0]) < ATTRIBUTE_VALUE_CHARS and not cut_rows
                     and int(held) == total > 0)
        counts.append(AttributeCount(key, int(entries), int(matches), universal,
                                     tuple((int(c[0]), int(c[1]), int(c[2]), int(c[3])) for c in cells)))
    return counts


def counted_in(counts: list[AttributeCount], categories: tuple[int, ...]) -> list[AttributeCount]:
    """attribute_counts of the same filters scoped to `categories` (narrowed's), from the per-
    category cells already read: a category filter's read walks all of a value's rows there."""
    kept = frozenset(categories)
    return [AttributeCount(c.key, sum(held for cat, _w, _p, held in c.cells if cat in kept),
                           sum(passing for cat, _w, passing, _h in c.cells if cat in kept), False,
                           tuple(cell for cell in c.cells if cell[0] in kept))
            for c in counts]


def narrowed(f: Filters, counts: list[AttributeCount]) -> Filters | None:
    """`f` in only the categories where every attribute filter has a product passing the other
    filters the kept counts know (attribute_counts' `categories`): no other category can hold a
    match - shoe sizes and clothing sizes meet nowhere, a colour and a shock system in one
    category.  The counts are upper bounds (a cut value counts its 255-character start), so
    nothing that matches is left out.  None when no category is left: nothing matches."""
    if not counts:
        return f
    held = frozenset.intersection(*(c.categories for c in counts))
    kept = tuple(c for c in f.category_ids if c in held) if f.category_ids is not None else tuple(sorted(held))
    if not kept:
        return None
    return f if kept == f.category_ids else replace(f, category_ids=kept)


def without_universal(f: Filters, counts: list[AttributeCount]) -> tuple[Filters, list[AttributeCount]]:
    """`f` without the attribute filters every product in its categories passes (AttributeCount.
    universal), and the counts of the others."""
    kept = [i for i, c in enumerate(counts) if not c.universal]
    if len(kept) == len(counts):
        return f, counts
    return replace(f, attributes=tuple(f.attributes[i] for i in kept)), [counts[i] for i in kept]


ATTRIBUTE_INDEX = "product_attribute_values"  # listing_plan.ATTRIBUTE_WAY: ids read off ix_cells / ix_category


def _carried(f: Filters, row: str, *, facets: bool) -> tuple[list[str], list[Any]]:
    """The filters on a derived row that carries its product's columns (product_attribute_values
    since 0023, product_search_words): active, category, and unless `facets` (the cube groups
    by them) brand, price and stock."""
    sql, params = [f"{row}.active = 1"], list[Any]()
    if f.category_ids is not None:
        sql.append(f"{row}.category_id IN ({marks(f.category_ids)})")
        params += f.category_ids
    if not facets:
        if f.brand_ids:
            sql.append(f"{row}.brand_id IN ({marks(f.brand_ids)})")
            params += f.brand_ids
        price_sql, price_params = price_condition(f)
        if price_sql:
            sql.append(price_sql.replace("p.base_price", f"{row}.base_price"))
            params += price_params
        if f.in_stock:
            sql.append(f"{row}.in_stock = 1")
    return sql, params


def _attribute_rows(f: Filters, driver: int, *, facets: bool, alias: str = "a",
                   whole: bool = True, bound: tuple[str, list[Any]] | None = None) -> tuple[str, list[Any]]:
    """The rows of product_attribute_values `a` of the `driver`-th attribute filter's values whose
    products pass every other filter the rows carry (category; and brand, price and stock unless
    `facets`), the other attribute filters (a probe each, `_attribute`'s `probe`) and the cut values' recheck: one range
    of ix_category (with categories) or ix_cells (by price bucket), checked on the index.
    `whole` False: only the uncut values' rows, off ix_cells in price order (_price_bound).
    `bound`: a condition on the index's columns checked before any probe (MariaDB evaluates
    them in the order written: a row past the page's last price costs no probe)."""
    key, values = f.attributes[driver]
    probes = _probes(values)
    index = "ix_category" if f.category_ids is not None and whole else "ix_cells"
    sql = ["a.tenant_id = %s", "a.attr_key = %s", f"a.attr_value IN ({marks(probes)})"]
    params: list[Any] = [f.tenant_id, key, *probes]
    if index == "ix_cells":
        sql.append("a.value_cut IN (0, 1)" if whole else "a.value_cut = 0")
    if index == "ix_cells" and not facets and (f.min_price is not None or f.max_price is not None):
        inside, cut = facet_math.buckets_in_range(f.min_price, f.max_price)
        buckets = sorted(inside + cut) or [-1]
        sql.append(f"a.facet_bucket BETWEEN {buckets[0]} AND {buckets[-1]}")
    carried, carried_params = _carried(f, "a", facets=facets)
    sql += carried
    params += carried_params
    if bound is not None:
        sql.append(bound[0])
        params += bound[1]
    recheck, recheck_params = _recheck(key, values, "a")
    sql.append(recheck)
    params += recheck_params
    if f.text is not None and f.text.groups:  # a search's words: probed, as the other attributes
        word_sql, word_params = _word_probes(f.text.groups, "a", f.tenant_id, few=True)
        sql += word_sql
        params += word_params
    for i, (other_key, other_values) in enumerate(f.attributes):
        if i != driver:
            other, other_params = _attribute(other_key, other_values, tenant="a.tenant_id", product="a.product_id",
                                             alias=f"o{i}", probe=True)
            sql.append(other)
            params += other_params
    where_sql = " AND ".join(sql)
    if alias != "a":
        where_sql = where_sql.replace("a.", f"{alias}.")  # (the probes' aliases end in a digit)
    return f"product_attribute_values {alias} FORCE INDEX ({index}) WHERE {where_sql}", params


def _price_bound(f: Filters, driver: int, keyset: Keyset, after: Position | None, limit: int) -> tuple[str, list[Any]]:
    """For a price sort over the `driver`-th attribute filter: the price of the `limit`-th of its
    products after the cursor - each of its values' rows read in price order off ix_cells
    (value, bucket, price: filters checked on the way, stopping at `limit`), the parts merged and
    each product taken once - the page lies among the rows priced up to it.  (A part holds each
    product once, so the merged first `limit` products are among the parts' first `limit` rows:
    the bound is never tighter than the page.)"""
    direction = "DESC" if keyset.descending else "ASC"
    bound = None
    if after is not None:  # checked on the index entry, before any probe
        op = "<" if keyset.descending else ">"
        bound = (f"(a.base_price {op} %s OR (a.base_price = %s AND a.product_id {op} %s))",
                 [after.value, after.value, after.id])
    key, values = f.attributes[driver]
    parts, params = [], []
    for value in _probes(values):
        one = replace(f, attributes=tuple((k, (value,)) if i == driver else (k, v)
                                          for i, (k, v) in enumerate(f.attributes)))
        rows_sql, rows_params = _attribute_rows(one, driver, facets=False, alias="ab", whole=False, bound=bound)
        parts.append(f"(SELECT ab.product_id, ab.base_price FROM {rows_sql}"
                     f" ORDER BY ab.facet_bucket {direction}, ab.base_price {direction} LIMIT %s)")
        params += [*rows_params, limit]
    edge = "MIN" if keyset.descending else "MAX"
    if len(parts) == 1:
        return f"(SELECT {edge}(x.base_price) FROM {parts[0]} x)", params
    merged = (f"SELECT DISTINCT u.product_id, u.base_price FROM ({' UNION ALL '.join(parts)}) u"
              f" ORDER BY u.base_price {direction} LIMIT %s")
    return f"(SELECT {edge}(x.base_price) FROM ({merged}) x)", [*params, limit]


# A search with attribute filters reads one side's rows and probes the other for each: a word
# probe per attribute row (the product's words through ix_product, each LIKE-checked) costs
# ~4.3 µs, an attribute probe per word row ~1.7 µs (measured at 100,000 products: renk:gri with
# "sarıkam", ~8,600 rows each, a cube in 38 ms driven by the colour, 15 by the word; "tekstil"
# + renk:Siyah by newest 52 -> 28 ms).  A price sort's page driven by the attribute reads its
# rows only up to the page's last price (_price_bound), so there the rows alone are compared.
ATTRIBUTE_DRIVES_RATIO = 0.4


def attributes_drive(counts: list[AttributeCount], text: TextPlan, sort: str | None = None) -> bool:
    """The fewest-rows attribute filter drives a search's cube (`sort` None) or page (the words
    probed), rather than the narrowest word's rows (the attributes probed): when it has under
    ATTRIBUTE_DRIVES_RATIO of that word's products - under as many, for a page in price order."""
    ratio = 1.0 if sort in PRICE_SORTS else ATTRIBUTE_DRIVES_RATIO
    return bool(counts) and min(c.entries for c in counts) < ratio * text.narrowest_df


def driver_attribute(f: Filters, counts: list[AttributeCount]) -> int:
    """The attribute filter whose products are fewest to walk."""
    return min(range(len(f.attributes)), key=lambda i: (counts[i].entries, i)) if counts else 0


def _score(text: TextPlan) -> tuple[str, list[Any]]:
    """Relevance as an integer (a stable keyset value): InnoDB's MATCH score ×1000, plus a boost
    when the name (the start of search_text) starts with the whole query."""
    return (f"CAST(ROUND(MATCH(p.search_terms) AGAINST (%s IN BOOLEAN MODE) * 1000) AS SIGNED)"
            f" + {NAME_PREFIX_BOOST} * (COALESCE(p.search_text, p.name) LIKE %s)", [text.against, text.phrase + "%"])


def page(session: Session, f: Filters, sort: str, after: Position | None, limit: int,
         index: str | None = None, *, merge: bool = False, driver: int = 0) -> list[dict[str, Any]]:
    """Up to `limit` products after the cursor in the sort's order (the caller asks one more
    than it shows to know whether there is a next page).  `index`: the products index the ids
    are read from, as catalog.listing_plan chose it (None: MariaDB's choice; ATTRIBUTE_INDEX:
    the `driver`-th attribute filter's products off product_attribute_values, then sorted);
    `merge`: read each category of the filter apart, in order, and merge (_merged_ids)."""
    keyset = SORTS[sort]
    direction = "DESC" if keyset.descending else "ASC"
    if f.text is not None and f.text.against is not None and f.text.groups and sort != "relevance" \
            and index != ATTRIBUTE_INDEX and not merge:
        # Every match of the words is needed (MATCH planned as a filter): read off
        # product_search_words - or, when an attribute filter holds fewer products than the
        # narrowest word, off that filter's rows with the words probed.
        counts = attribute_counts(session, replace(f, text=None)) if f.attributes else []
        if attributes_drive(counts, f.text, sort):
            index, driver = ATTRIBUTE_INDEX, driver_attribute(f, counts)
        else:
            ids_sql, params = _word_page_ids(f, keyset, after, limit)
            return _page_rows(session, ids_sql, params, keyset.order_by(), sort, f.tenant_id)
    # EXISTS here: a walk of one index may pass most of the shop before the page (the colours of
    # shoes in price order), and a semi-join of the values' rows read once bounds that; the merged
    # parts below, each a category's range, probe.
    filter_sql, params = where(f)
    select, having = "p.id", ""
    if index == ATTRIBUTE_INDEX and sort != "relevance":
        rows_sql, rows_params = _attribute_rows(f, driver, facets=False)
        if sort in PRICE_SORTS:
            # in price order: only the values' rows up to the page's last price (_price_bound)
            bound, bound_params = _price_bound(f, driver, keyset, after, limit)
            rows_sql, rows_params = _attribute_rows(
                f, driver, facets=False, whole=False,
                bound=(f"a.base_price {'>=' if keyset.descending else '<='} {bound}", bound_params))
            cut_sql, cut_params = _attribute_rows(f, driver, facets=False, whole=False)
            cut_sql = cut_sql.replace("a.value_cut = 0", "a.value_cut = 1")  # the cut values' rows, all
            rows_sql = f"{rows_sql} UNION SELECT a.product_id FROM {cut_sql}"
            rows_params = [*rows_params, *cut_params]
        # the attributes and the words: checked on `a` already
        filter_sql, params = where(replace(f, attributes=(), text=None if f.text and f.text.groups else f.text))
        if after is not None:
            cond, cond_params = keyset.after(after)
            filter_sql, params = f"{filter_sql} AND {cond}", [*params, *cond_params]
        ids_sql = (f"SELECT p.id FROM (SELECT DISTINCT a.product_id FROM {rows_sql}) d"
                   f" STRAIGHT_JOIN products p {BY_ID} ON p.id = d.product_id WHERE {filter_sql}"
                   f" ORDER BY {keyset.order_by()} LIMIT %s")
        return _page_rows(session, ids_sql, [*rows_params, *params, limit], keyset.order_by(), sort, f.tenant_id)
    if index == ATTRIBUTE_INDEX:
        index = None
    if merge and index and sort != "relevance":
        ids_sql, params = _merged_ids(f, keyset, after, limit, index)
        inner_order = keyset.order_by()
        return _page_rows(session, ids_sql, params, inner_order, sort, f.tenant_id)
    if sort == "relevance":
        assert f.text is not None and f.text.against is not None  # the service plans it so
        score_sql, score_params = _score(f.text)
        select = f"p.id, {score_sql} AS score"
        params = [*score_params, *params]
        if after is not None:
            cond, cond_params = keyset.after(after)
            having, params = f" HAVING {cond}", [*params, *cond_params]
        inner_order = keyset.order_by()
        outer_order = f"page.score {direction}, p.id {direction}"
    else:
        if after is not None:
            cond, cond_params = keyset.after(after)
            filter_sql, params = f"{filter_sql} AND {cond}", [*params, *cond_params]
        inner_order = keyset.order_by()
        outer_order = inner_order
    hint = f" FORCE INDEX ({index})" if index else ""
    ids_sql = f"SELECT {select} FROM products p{hint} WHERE {filter_sql}{having} ORDER BY {inner_order} LIMIT %s"
    return _page_rows(session, ids_sql, [*params, limit], outer_order, sort, f.tenant_id)


def _page_rows(session: Session, ids_sql: str, params: list[Any], order: str, sort: str,
               tenant_id: int) -> list[dict[str, Any]]:
    """The page's rows for the ids `ids_sql` picks (a derived table touching products only),
    with the brand and the first image joined to those few - as one JSON document the server
    builds in page order: pymysql decodes each field of a result in Python (~1 µs a field, 15 a
    row: ~1.5 ms for a page of 100), where json.loads reads the whole document in C."""
    score = "page.score" if sort == "relevance" else "NULL"
    rows: list[dict[str, Any]] = session.one_json(
        f"""SELECT JSON_ARRAYAGG(JSON_OBJECT(
                     'id', p.id, 'name', p.name, 'slug', p.slug, 'brand', b.name, 'category_id', p.category_id,
                     'base_price', p.base_price, 'compare_at_price', p.compare_at_price, 'currency', p.currency,
                     'total_stock', p.total_stock, 'rating_avg', p.rating_avg, 'rating_count', p.rating_count,
                     'created_at', p.created_at, 'sold_count', p.sold_count, 'score', {score},
                     'image', (SELECT i.s3_key FROM product_images i
                                WHERE i.tenant_id = p.tenant_id AND i.product_id = p.id
                                ORDER BY i.sort_order, i.id LIMIT 1)) ORDER BY {order})
              FROM ({ids_sql}) page
              JOIN products p {BY_ID} ON p.tenant_id = %s AND p.id = page.id
              LEFT JOIN brands b ON b.tenant_id = p.tenant_id AND b.id = p.brand_id""",
        (*params, tenant_id),
    ) or []
    for row in rows:  # DATETIME(6) comes as its text: the newest sort's cursor takes the value
        row["created_at"] = datetime.fromisoformat(row["created_at"])
    return rows


def _merged_ids(f: Filters, keyset: Keyset, after: Position | None, limit: int, index: str) -> tuple[str, list[Any]]:
    """The ids of a page over several categories (a subtree) or brands, each read apart off its
    own ordered range of `index` (ix_category_<sort>, or ix_status_brand for a price sort) up to
    `limit`, then merged: parts x limit entries at most, where one IN over the subtree reads every
    product of it and sorts them (a root category of 30,000 products: 30,000 entries for 25)."""
    by_brand = index == "ix_status_brand"
    split = f.brand_ids if by_brand else f.category_ids
    assert split
    parts, params = [], []
    for one in split:
        part = replace(f, brand_ids=(one,)) if by_brand else replace(f, category_ids=(one,))
        part_sql, part_params = where(part, probes=True)  # each part stops after `limit`: probe, never materialise
        if after is not None:
            cond, cond_params = keyset.after(after)
            part_sql, part_params = f"{part_sql} AND {cond}", [*part_params, *cond_params]
        parts.append(f"(SELECT p.id, {', '.join(keyset.columns)} FROM products p FORCE INDEX ({index})"
                     f" WHERE {part_sql} ORDER BY {keyset.order_by()} LIMIT %s)")
        params += [*part_params, limit]
    direction = "DESC" if keyset.descending else "ASC"
    order = ", ".join(f"{c.split('.')[-1]} {direction}" for c in (*keyset.columns, keyset.id_column))
    return f"SELECT id FROM ({' UNION ALL '.join(parts)}) merged ORDER BY {order} LIMIT %s", [*params, limit]


def facet_cube(session: Session, f: Filters, counts: list[AttributeCount] | None = None) -> list[list[Any]]:
    """The facet cube: from the kept counts when only category and price narrow it, or one
    attribute value (product_attribute_facet_counts); from product_attribute_values' covering
    indexes for other attribute filters (the fewest rows' filter read, the others probed); from
    product_search_words when text narrows it (facet_cube_words).  `counts`: attribute_counts of `f`
    when the caller has them (which attribute to read)."""
    if f.text is None and not f.attributes:
        return facet_cube_counted(session, f)
    if f.text is None:
        if len(f.attributes) == 1 and len(_probes(f.attributes[0][1])) == 1 \
                and len(f.attributes[0][1][0]) < ATTRIBUTE_VALUE_CHARS:
            cube = facet_cube_counted(session, f, attribute=(f.attributes[0][0], f.attributes[0][1][0]))
            if cube is not None:
                return cube
        return facet_cube_attributes(session, f, driver_attribute(f, counts) if counts else None)
    if f.text.groups:
        if f.attributes:  # an attribute filter rarer than the narrowest word drives, the words probed
            scope = replace(f, text=None, brand_ids=(), min_price=None, max_price=None, in_stock=False)
            counts = counts or attribute_counts(session, scope)
            if attributes_drive(counts, f.text):
                return facet_cube_attributes(session, f, driver_attribute(f, counts))
        return facet_cube_words(session, f)
    return facet_cube_scan(session, f)


def facet_cube_attributes(session: Session, f: Filters, driver: int | None = None) -> list[list[Any]]:
    """The same cube as facet_cube_scan for attribute filters (a search's words probed): the
    `driver`-th filter's rows of product_attribute_values (attribute_counts' fewest when None)
    in the category, each product once, grouped - the index carries every column the cube needs."""
    if driver is None:
        counts = attribute_counts(session, replace(f, brand_ids=(), min_price=None, max_price=None, in_stock=False))
        reduced, counts = without_universal(f, counts)
        if reduced is not f:  # fewer filters: perhaps none, or one value the kept counts answer
            return facet_cube(session, reduced)
        met = narrowed(f, counts)
        if met is None:  # the filters meet in no category
            return []
        driver = driver_attribute(f, counts)
        if met is not f and not counts[driver].categories <= frozenset(met.category_ids or ()):
            # the driving filter has rows where the others have none: only the categories where
            # they all meet are read (ix_category), counted there
            f, counts = met, counted_in(counts, met.category_ids or ())
            driver = driver_attribute(f, counts)
    rows_sql, params = _attribute_rows(f, driver, facets=True)
    price_sql, price_params = price_condition(f)
    in_price = f"CAST(SUM({price_sql.replace('p.base_price', 'd.base_price')}) AS UNSIGNED)" if price_sql \
        else "COUNT(*)"
    distinct = "DISTINCT " if len(_probes(f.attributes[driver][1])) > 1 else ""
    raw = session.scalar(
        f"""SELECT JSON_ARRAYAGG(JSON_ARRAY(c.category_id, c.brand_id, c.facet_band, c.in_stock, c.n, c.n_price))
              FROM (SELECT d.category_id, d.brand_id, d.facet_band, d.in_stock, COUNT(*) AS n, {in_price} AS n_price
                      FROM (SELECT {distinct}a.product_id, a.category_id, a.brand_id, a.facet_band, a.in_stock,
                                   a.base_price FROM {rows_sql}) d
                     GROUP BY d.category_id, d.brand_id, d.facet_band, d.in_stock) c""",
        (*price_params, *params),
    )
    return json.loads(raw) if raw else []


@overload
def facet_cube_counted(session: Session, f: Filters) -> list[list[Any]]: ...
@overload
def facet_cube_counted(session: Session, f: Filters, attribute: tuple[str, str]) -> list[list[Any]] | None: ...
def facet_cube_counted(session: Session, f: Filters, attribute: tuple[str, str] | None = None,
                       ) -> list[list[Any]] | None:
    """The same cube as facet_cube_scan from product_facet_counts (migration 0020): the category
    subtree's cells, buckets summed to bands in the key's order.  With a price range, a bucket
    wholly inside counts fully, one wholly outside not at all, and of the (at most two) buckets
    the range cuts, the smaller side is counted from products through the covering
    ix_price_bucket (facets.price_plan) and added to or taken from the cells here.
    `attribute` (key, value): the products holding that one value instead (f's attribute
    filter), from product_attribute_facet_counts and product_attribute_values' ix_cells
    (migration 0023); None when a cut value (CHAR_LENGTH 255) might match, which only the
    JSON can tell (the caller reads the rows then)."""
    plan = facet_math.price_plan(f.min_price, f.max_price)
    priced = f.min_price is not None or f.max_price is not None
    category_sql, category_params = "", []
    if f.category_ids is not None:
        category_sql, category_params = f" AND {{t}}.category_id IN ({marks(f.category_ids)})", list(f.category_ids)
    if not priced:
        in_price = "SUM(c.products)"
    elif plan.whole:
        in_price = f"SUM(IF(c.facet_bucket IN ({', '.join(map(str, plan.whole))}), c.products, 0))"
    else:
        in_price = "0"
    counts, of_value, value_params = "product_facet_counts", "", []
    source, cut_sql = "products p FORCE INDEX (ix_price_bucket) WHERE p.tenant_id = %s AND p.status = 'active'", "0"
    if attribute is not None:
        counts, of_value, value_params = ("product_attribute_facet_counts", " AND c.attr_key = %s AND c.attr_value = %s",
                                          list(attribute))
        source = ("product_attribute_values p FORCE INDEX (ix_cells) WHERE p.tenant_id = %s AND p.attr_key = %s"
                  " AND p.attr_value = %s AND p.value_cut = 0 AND p.active = 1")
        cut_sql = ("(SELECT COUNT(*) FROM product_attribute_values a FORCE INDEX (ix_cells) WHERE a.tenant_id = %s"
                   " AND a.attr_key = %s AND a.attr_value = %s AND a.value_cut = 1)")
    edges_sql, params = "NULL", [f.tenant_id, *value_params, *category_params]
    if plan.add or plan.subtract:
        edge, edge_params = _edge_condition(f, plan)
        edges_sql = f"""(SELECT JSON_ARRAYAGG(JSON_ARRAY(e.category_id, e.brand_id, e.in_stock, e.facet_bucket, e.n))
              FROM (SELECT p.category_id, COALESCE(p.brand_id, 0) AS brand_id, p.in_stock, p.facet_bucket, COUNT(*) AS n
                      FROM {source} AND ({edge}){category_sql.format(t='p')}
                     GROUP BY p.category_id, p.brand_id, p.in_stock, p.facet_bucket) e)"""
        params += [f.tenant_id, *value_params, *edge_params, *category_params]
    if attribute is not None:
        params += [f.tenant_id, *value_params]
    row = session.all(
        f"""SELECT (SELECT JSON_ARRAYAGG(JSON_ARRAY(g.category_id, g.brand_id, g.facet_band, g.in_stock, g.n, g.n_price))
                      FROM (SELECT c.category_id, c.brand_id, c.facet_band, c.in_stock,
                                   CAST(SUM(c.products) AS UNSIGNED) AS n, CAST({in_price} AS UNSIGNED) AS n_price
                              FROM {counts} c
                             WHERE c.tenant_id = %s{of_value} AND c.products > 0{category_sql.format(t='c')}
                             GROUP BY c.category_id, c.brand_id, c.in_stock, c.facet_band) g) AS cells,
                   {edges_sql} AS edges, {cut_sql} AS cut""",
        params,
    )[0]
    if row["cut"]:
        return None
    cube = json.loads(row["cells"]) if row["cells"] else []
    if row["edges"]:
        by_cell = {(c[0], c[1], c[2], c[3]): c for c in cube}
        subtract = set(plan.subtract)
        for category_id, brand_id, in_stock, bucket, n in json.loads(row["edges"]):
            cell = by_cell.get((category_id, brand_id, facet_math.band_of_bucket(bucket), in_stock))
            if cell is not None:
                cell[5] += -n if bucket in subtract else n
    return cube


def _edge_condition(f: Filters, plan: facet_math.PricePlan) -> tuple[str, list[Any]]:
    """Products of the cut buckets on the side price_plan counts: inside the range for `add`,
    outside it for `subtract` - ranges of ix_price_bucket (facet_bucket, base_price)."""
    inside_sql, inside_params = price_condition(f)
    outside, outside_params = [], []
    if f.min_price is not None:
        outside.append("p.base_price < %s")
        outside_params.append(f.min_price)
    if f.max_price is not None:
        outside.append("p.base_price > %s")
        outside_params.append(f.max_price)
    parts, params = [], []
    for bucket in plan.add:
        parts.append(f"(p.facet_bucket = %s AND {inside_sql})")
        params += [bucket, *inside_params]
    for bucket in plan.subtract:
        parts.append(f"(p.facet_bucket = %s AND ({' OR '.join(outside)}))")
        params += [bucket, *outside_params]
    return " OR ".join(parts), params


def _word_probes(groups: tuple[tuple[str, ...], ...], row: str, tenant_id: int, *,
                 few: bool) -> tuple[list[str], list[Any]]:
    """The product of `row` (an alias with tenant_id and product_id) holds a word beginning each
    group.  `few` candidates (a rare attribute value's rows, a price-bounded read): one probe of
    ix_product per candidate - a scalar subquery, not EXISTS (see _recheck).  Else (a word's
    rows): an IN over the group's rows, uncorrelated so MariaDB may read the group's range once
    into a keyed temporary table (Materialization) - two broad words of 13,000 and 24,000
    products met in 16 ms that way, against 90 ms probing each candidate."""
    sql: list[str] = []
    params: list[Any] = []
    for i, group in enumerate(groups):
        words = " OR ".join([f"wp{i}.word LIKE %s"] * len(group))
        if few:
            sql.append(f"(SELECT 1 FROM product_search_words wp{i} FORCE INDEX (ix_product)"
                       f" WHERE wp{i}.tenant_id = {row}.tenant_id AND wp{i}.product_id = {row}.product_id"
                       f" AND ({words}) LIMIT 1) IS NOT NULL")
            params += [f"{prefix}%" for prefix in group]
        else:
            sql.append(f"{row}.product_id IN (SELECT wp{i}.product_id FROM product_search_words wp{i}"
                       f" WHERE wp{i}.tenant_id = %s AND ({words}))")
            params += [tenant_id, *(f"{prefix}%" for prefix in group)]
    return sql, params


# A group read whole into a keyed temporary table (~1 µs a row) against a probe of ix_product
# per driving row (~4 µs): the table wins while the group holds under this many times the
# driver's products.
MATERIALISE_RATIO = 3


def _word_tables(groups: tuple[tuple[str, ...], ...], dfs: tuple[int, ...], driver_df: int,
                 tenant_id: int) -> tuple[str, list[Any], tuple[tuple[str, ...], ...]]:
    """Joins of `w` to the products of each group close to the driver in size, each group's
    range read once (a derived table, DISTINCT: one row a product, keyed on product_id by the
    server) - where MariaDB, left to weigh an IN, may probe per row instead (FirstMatch: "Huğlu
    Sarı", 12,800 rows probed against a 24,000-row group, 90 ms; read once, 45).  Returns the
    join SQL, its parameters, and the groups left to _word_probes."""
    joins, params, rest = [], [], []
    for i, group in enumerate(groups):
        df = dfs[i] if i < len(dfs) else None
        if df is None or df > MATERIALISE_RATIO * max(driver_df, 1):
            rest.append(group)
            continue
        words = " OR ".join([f"wj{i}.word LIKE %s"] * len(group))
        joins.append(f" STRAIGHT_JOIN (SELECT DISTINCT wj{i}.product_id FROM product_search_words wj{i}"
                     f" WHERE wj{i}.tenant_id = %s AND ({words})) wj{i} ON wj{i}.product_id = w.product_id")
        params += [tenant_id, *(f"{prefix}%" for prefix in group)]
    return "".join(joins), params, tuple(rest)


def _word_rows(f: Filters, *, facets: bool) -> tuple[str, list[Any]]:
    """The rows of product_search_words `w` (migration 0024) of the text's narrowest group - any
    of its word beginnings - whose products are active, in the category filter (and unless
    `facets`, the brand, price and stock filters), hold a word beginning each other group
    (_word_probes) and pass the attribute filters (a probe each): one range of the
    clustered primary key, which carries the filter, facet and price / newest sort columns.  A
    product holding several words of the group has a row for each (the caller takes it once)."""
    assert f.text is not None and f.text.groups
    driver, *others = f.text.groups
    joins, join_params, probed = _word_tables(tuple(others), f.text.dfs[1:], f.text.narrowest_df, f.tenant_id)
    sql = ["w.tenant_id = %s", "(" + " OR ".join(["w.word LIKE %s"] * len(driver)) + ")"]
    params: list[Any] = [*join_params, f.tenant_id, *(f"{prefix}%" for prefix in driver)]
    carried, carried_params = _carried(f, "w", facets=facets)
    sql += carried
    params += carried_params
    word_sql, word_params = _word_probes(probed, "w", f.tenant_id, few=False)
    sql += word_sql
    params += word_params
    for i, (key, values) in enumerate(f.attributes):
        attribute_sql, attribute_params = _attribute(key, values, tenant="w.tenant_id", product="w.product_id",
                                                     alias=f"o{i}")
        sql.append(attribute_sql)
        params += attribute_params
    return f"product_search_words w FORCE INDEX (PRIMARY){joins} WHERE {' AND '.join(sql)}", params


# The sorts whose keys product_search_words carries: a page of them never reads products' rows
# before the page's own.
WORD_SORTS = frozenset({"newest", "price_asc", "price_desc"})


def _word_page_ids(f: Filters, keyset: Keyset, after: Position | None, limit: int) -> tuple[str, list[Any]]:
    """A page's ids for a text query whose every match is needed (a sort other than relevance,
    or relevance ranked by sales past the walk's budget): each matching product once, off
    product_search_words (_word_rows), sorted on its own columns for price and newest, else
    with each match's products row read for the sort key (best-selling, rating)."""
    rows_sql, params = _word_rows(f, facets=False)
    cond, cond_params = keyset.after(after) if after is not None else ("TRUE", [])
    if keyset.name in WORD_SORTS:
        # the derived table is `p`, its columns named as products', so the keyset's SQL applies
        inner = f"SELECT DISTINCT w.product_id AS id, w.base_price, w.product_created_at AS created_at FROM {rows_sql}"
        return (f"SELECT p.id FROM ({inner}) p WHERE {cond} ORDER BY {keyset.order_by()} LIMIT %s",
                [*params, *cond_params, limit])
    return (f"SELECT p.id FROM (SELECT DISTINCT w.product_id FROM {rows_sql}) d"
            f" STRAIGHT_JOIN products p {BY_ID} ON p.tenant_id = %s AND p.id = d.product_id"
            f" WHERE {cond} ORDER BY {keyset.order_by()} LIMIT %s", [*params, f.tenant_id, *cond_params, limit])


def facet_cube_words(session: Session, f: Filters) -> list[list[Any]]:
    """The same cube as facet_cube_scan for a text query, off product_search_words: the
    narrowest group's rows, each product once, grouped - ~0.3 µs a row where MATCH costs ~8 µs
    a posting (a word in a third of 100,000 products: ~25 ms instead of ~130)."""
    rows_sql, params = _word_rows(f, facets=True)
    price_sql, price_params = price_condition(f)
    in_price = f"CAST(SUM({price_sql.replace('p.base_price', 'd.base_price')}) AS UNSIGNED)" if price_sql \
        else "COUNT(*)"
    raw = session.scalar(
        f"""SELECT JSON_ARRAYAGG(JSON_ARRAY(c.category_id, c.brand_id, c.facet_band, c.in_stock, c.n, c.n_price))
              FROM (SELECT d.category_id, d.brand_id, d.facet_band, d.in_stock, COUNT(*) AS n, {in_price} AS n_price
                      FROM (SELECT DISTINCT w.product_id, w.category_id, w.brand_id, w.facet_band, w.in_stock,
                                   w.base_price FROM {rows_sql}) d
                     GROUP BY d.category_id, d.brand_id, d.facet_band, d.in_stock) c""",
        (*price_params, *params),
    )
    return json.loads(raw) if raw else []


def facet_cube_scan(session: Session, f: Filters) -> list[list[Any]]:
    """The definition the other cubes are tested against (and the cube of a text plan without
    word groups, which catalog.search does not make):
    products matching the shared filters, grouped by what the facets count (facets.py):
    [category_id, brand_id, facet_band, in_stock, count, count within the price range], as one
    JSON value: a few hundred rows parsed by pymysql cost more than the grouping itself."""
    filter_sql, params = where(f, facets=True)
    price_sql, price_params = price_condition(f)
    in_price = f"CAST(SUM({price_sql}) AS UNSIGNED)" if price_sql else "COUNT(*)"
    raw = session.scalar(
        f"""SELECT JSON_ARRAYAGG(JSON_ARRAY(c.category_id, c.brand_id, c.facet_band, c.in_stock, c.n, c.n_price))
              FROM (SELECT p.category_id, p.brand_id, p.facet_band, p.in_stock, COUNT(*) AS n, {in_price} AS n_price
                      FROM products p WHERE {filter_sql}
                     GROUP BY p.category_id, p.brand_id, p.facet_band, p.in_stock) c""",
        (*price_params, *params),
    )
    return json.loads(raw) if raw else []


def suggestions_of_every_match(session: Session, f: Filters, limit: int) -> list[dict[str, Any]]:
    """Products for autocomplete when a budgeted walk of the best-selling index found too few
    (catalog.text_walk): every match off product_search_words, best-selling first as the walk
    would have given them - the narrowest word's rows, where MATCH would score every posting of
    a broad one (a word in a quarter of the shop: 60-80 ms at 100,000 products)."""
    rows_sql, params = _word_rows(f, facets=False)
    return session.all(
        f"""SELECT p.id, p.name, p.slug, p.category_id FROM (SELECT DISTINCT w.product_id FROM {rows_sql}) d
              STRAIGHT_JOIN products p {BY_ID} ON p.tenant_id = %s AND p.id = d.product_id
             ORDER BY p.sold_count DESC, p.id DESC LIMIT %s""",
        (*params, f.tenant_id, limit),
    )


def suggestions(session: Session, f: Filters, limit: int) -> list[dict[str, Any]]:
    """Products for autocomplete: most relevant first when MATCH ran, else best-selling first
    (the planner walks ix_status_sold for broad prefixes)."""
    filter_sql, params = where(f)
    text = f.text
    if text is not None and text.against is not None:
        score_sql, score_params = _score(text)
        order, params = f"{score_sql} DESC, p.sold_count DESC, p.id DESC", [*params, *score_params]
    else:
        order = "p.sold_count DESC, p.id DESC"
    return session.all(
        f"""SELECT p.id, p.name, p.slug, p.category_id FROM products p
             WHERE {filter_sql} ORDER BY {order} LIMIT %s""",
        (*params, limit),
    )
