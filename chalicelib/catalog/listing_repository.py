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
from typing import Any

from chalicelib.platform.db import Session
from chalicelib.platform.keyset import Keyset, Position
from chalicelib.platform.sql import marks

from . import facets as facet_math
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


def where(f: Filters, *, facets: bool = False) -> tuple[str, list[Any]]:
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
        attribute_sql, attribute_params = _attribute(key, values)
        sql.append(attribute_sql)
        params += attribute_params
    if f.text is not None:
        if f.text.against is not None:
            sql.append("MATCH(p.search_terms) AGAINST (%s IN BOOLEAN MODE)")
            params.append(f.text.against)
        for group in f.text.like_groups:
            sql.append("(" + " OR ".join([f"{TEXT} LIKE %s"] * len(group)) + ")")
            params += [f"% {prefix}%" for prefix in group]
    return " AND ".join(sql), params


def price_condition(f: Filters) -> tuple[str, list[Any]]:
    parts, params = [], []
    if f.min_price is not None:
        parts.append("p.base_price >= %s")
        params.append(f.min_price)
    if f.max_price is not None:
        parts.append("p.base_price <= %s")
        params.append(f.max_price)
    return " AND ".join(parts), params


def _attribute(key: str, values: tuple[str, ...]) -> tuple[str, list[Any]]:
    """A product attribute or the option of one of its active variations equals one of the
    values (case- and accent-insensitive), e.g. renk = Haki: a primary-key probe per value in
    product_attribute_values (migration 0021, kept by triggers) instead of reading the JSON.
    The table keeps a value's first ATTRIBUTE_VALUE_CHARS characters, so a match on a value of
    that length - or any match for a filter value that long, which only internal callers send
    (the API takes 100) - is rechecked against the JSON, as the filter read it before.  The
    recheck reads the product by the index row's id, not through `p`: a reference to
    p.attributes would cost every candidate a row read on an index walk."""
    cut = ATTRIBUTE_VALUE_CHARS
    probes = tuple(dict.fromkeys(value[:cut] for value in values))
    recheck, recheck_params = json_attribute(key, values, product="r")
    exact = "" if any(len(value) >= cut for value in values) else f"CHAR_LENGTH(a.attr_value) < {cut} OR "
    return (f"EXISTS (SELECT 1 FROM product_attribute_values a WHERE a.tenant_id = p.tenant_id"
            f" AND a.attr_key = %s AND a.attr_value IN ({marks(probes)}) AND a.product_id = p.id"
            f" AND ({exact}EXISTS (SELECT 1 FROM products r WHERE r.tenant_id = a.tenant_id AND r.id = a.product_id"
            f" AND {recheck})))",
            [key, *probes, *recheck_params])


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


def attribute_matches(session: Session, tenant_id: int, attributes: tuple[tuple[str, tuple[str, ...]], ...],
                      cap: int) -> int:
    """How many products the most selective attribute filter keeps, counted up to `cap` (an
    index range of product_attribute_values, at most `cap` entries each): lets the listing's
    planner tell a rare value (read its products from the index, then sort them) from a common
    one (walk the sort's index, one probe per candidate).  A product matching through several
    values of one key counts once per value: an estimate."""
    fewest = cap
    for key, values in attributes:
        probes = tuple(dict.fromkeys(value[:ATTRIBUTE_VALUE_CHARS] for value in values))
        found = session.scalar(
            f"""SELECT COUNT(*) FROM (SELECT 1 FROM product_attribute_values
                 WHERE tenant_id = %s AND attr_key = %s AND attr_value IN ({marks(probes)}) LIMIT %s) x""",
            (tenant_id, key, *probes, cap))
        fewest = min(fewest, int(found or 0))
    return fewest


def _score(text: TextPlan) -> tuple[str, list[Any]]:
    """Relevance as an integer (a stable keyset value): InnoDB's MATCH score ×1000, plus a boost
    when the name (the start of search_text) starts with the whole query."""
    return (f"CAST(ROUND(MATCH(p.search_terms) AGAINST (%s IN BOOLEAN MODE) * 1000) AS SIGNED)"
            f" + {NAME_PREFIX_BOOST} * (COALESCE(p.search_text, p.name) LIKE %s)", [text.against, text.phrase + "%"])


def page(session: Session, f: Filters, sort: str, after: Position | None, limit: int,
         index: str | None = None, *, merge: bool = False) -> list[dict[str, Any]]:
    """Up to `limit` products after the cursor in the sort's order (the caller asks one more
    than it shows to know whether there is a next page).  `index`: the products index the ids
    are read from, as catalog.listing_plan chose it (None: MariaDB's choice); `merge`: read
    each category of the filter apart, in order, and merge (_merged_ids)."""
    keyset = SORTS[sort]
    direction = "DESC" if keyset.descending else "ASC"
    filter_sql, params = where(f)
    select, having = "p.id", ""
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
    with the brand and the first image joined to those few."""
    return session.all(
        f"""SELECT p.id, p.name, p.slug, b.name AS brand, p.category_id, p.base_price, p.compare_at_price,
                   p.currency, p.total_stock, p.rating_avg, p.rating_count, p.created_at, p.sold_count,
                   {'page.score' if sort == 'relevance' else 'NULL'} AS score,
                   (SELECT i.s3_key FROM product_images i
                     WHERE i.tenant_id = p.tenant_id AND i.product_id = p.id
                     ORDER BY i.sort_order, i.id LIMIT 1) AS image
              FROM ({ids_sql}) page
              JOIN products p ON p.tenant_id = %s AND p.id = page.id
              LEFT JOIN brands b ON b.tenant_id = p.tenant_id AND b.id = p.brand_id
             ORDER BY {order}""",
        (*params, tenant_id),
    )


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
        part_sql, part_params = where(part)
        if after is not None:
            cond, cond_params = keyset.after(after)
            part_sql, part_params = f"{part_sql} AND {cond}", [*part_params, *cond_params]
        parts.append(f"(SELECT p.id, {', '.join(keyset.columns)} FROM products p FORCE INDEX ({index})"
                     f" WHERE {part_sql} ORDER BY {keyset.order_by()} LIMIT %s)")
        params += [*part_params, limit]
    direction = "DESC" if keyset.descending else "ASC"
    order = ", ".join(f"{c.split('.')[-1]} {direction}" for c in (*keyset.columns, keyset.id_column))
    return f"SELECT id FROM ({' UNION ALL '.join(parts)}) merged ORDER BY {order} LIMIT %s", [*params, limit]


def facet_cube(session: Session, f: Filters) -> list[list[Any]]:
    """The facet cube: from the kept counts when only category and price narrow it, else by
    grouping the matching products (text and attributes narrow those to few rows)."""
    if f.text is None and not f.attributes:
        return facet_cube_counted(session, f)
    return facet_cube_scan(session, f)


def facet_cube_counted(session: Session, f: Filters) -> list[list[Any]]:
    """The same cube as facet_cube_scan from product_facet_counts (migration 0020): the category
    subtree's cells, buckets summed to bands in the key's order.  With a price range, a bucket
    wholly inside counts fully, one wholly outside not at all, and of the (at most two) buckets
    the range cuts, the smaller side is counted from products through the covering
    ix_price_bucket (facets.price_plan) and added to or taken from the cells here."""
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
    edges_sql, params = "NULL", [f.tenant_id, *category_params]
    if plan.add or plan.subtract:
        edge, edge_params = _edge_condition(f, plan)
        edges_sql = f"""(SELECT JSON_ARRAYAGG(JSON_ARRAY(e.category_id, e.brand_id, e.in_stock, e.facet_bucket, e.n))
              FROM (SELECT p.category_id, COALESCE(p.brand_id, 0) AS brand_id, p.in_stock, p.facet_bucket, COUNT(*) AS n
                      FROM products p FORCE INDEX (ix_price_bucket)
                     WHERE p.tenant_id = %s AND p.status = 'active' AND ({edge}){category_sql.format(t='p')}
                     GROUP BY p.category_id, p.brand_id, p.in_stock, p.facet_bucket) e)"""
        params += [f.tenant_id, *edge_params, *category_params]
    row = session.all(
        f"""SELECT (SELECT JSON_ARRAYAGG(JSON_ARRAY(g.category_id, g.brand_id, g.facet_band, g.in_stock, g.n, g.n_price))
                      FROM (SELECT c.category_id, c.brand_id, c.facet_band, c.in_stock,
                                   CAST(SUM(c.products) AS UNSIGNED) AS n, CAST({in_price} AS UNSIGNED) AS n_price
                              FROM product_facet_counts c
                             WHERE c.tenant_id = %s AND c.products > 0{category_sql.format(t='c')}
                             GROUP BY c.category_id, c.brand_id, c.in_stock, c.facet_band) g) AS cells,
                   {edges_sql} AS edges""",
        params,
    )[0]
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


def facet_cube_scan(session: Session, f: Filters) -> list[list[Any]]:
    """Products matching the shared filters, grouped by what the facets count (facets.py):
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
