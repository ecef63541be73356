"""SQL of the public listing: one statement per page, one per facet cube, one per suggestion
list, whatever the page size (tests/integration/test_catalog_queries.py counts them).

Filters are turned into one WHERE clause (`where`) that every statement shares.  A page first
picks its ids in a derived table that touches `products` only (the sort's index, the keyset
seek, LIMIT), then joins the brand and the first image to those few rows.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from chalicelib.platform.db import Session
from chalicelib.platform.keyset import Keyset, Position
from chalicelib.platform.sql import marks

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
# A category page reads its own range of the sort's covering index (migration 0005): left to
# itself MariaDB walks the whole shop's sort index, slow when prices or sales cluster by category.
# Not with text or attribute filters: those cost a row read (and an attribute ~30 µs) per
# candidate, so stopping early on the walk beats checking the whole category.
CATEGORY_INDEX = {
    "newest": "ix_category_created", "price_asc": "ix_category_price", "price_desc": "ix_category_price",
    "best_selling": "ix_category_sold", "rating": "ix_category_rating",
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
        sql.append(_attribute(len(values)))
        path = f'$."{key}"'
        params += [path, *values, path, *values]
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


def _attribute(n: int) -> str:
    """A product attribute or the option of one of its active variations equals one of the
    values (case- and accent-insensitive), e.g. renk = Haki."""
    value = "JSON_UNQUOTE(JSON_EXTRACT({col}, %s)) COLLATE utf8mb4_unicode_ci IN ({marks})"
    # FORCE INDEX: MariaDB's EXISTS-to-IN rewrite otherwise probes ux_tenant_id (every variation
    # of the tenant, per product: 10 s instead of 9 ms on 10,000 products).
    return (f"({value.format(col='p.attributes', marks=marks(range(n)))} OR EXISTS (SELECT 1 FROM product_variations v"
            f" FORCE INDEX (ix_product)"
            f" WHERE v.tenant_id = p.tenant_id AND v.product_id = p.id AND v.is_active = 1"
            f" AND {value.format(col='v.options', marks=marks(range(n)))}))")


def _score(text: TextPlan) -> tuple[str, list[Any]]:
    """Relevance as an integer (a stable keyset value): InnoDB's MATCH score ×1000, plus a boost
    when the name (the start of search_text) starts with the whole query."""
    return (f"CAST(ROUND(MATCH(p.search_terms) AGAINST (%s IN BOOLEAN MODE) * 1000) AS SIGNED)"
            f" + {NAME_PREFIX_BOOST} * (COALESCE(p.search_text, p.name) LIKE %s)", [text.against, text.phrase + "%"])


def page(session: Session, f: Filters, sort: str, after: Position | None, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` products after the cursor in the sort's order (the caller asks one more
    than it shows to know whether there is a next page)."""
    keyset = SORTS[sort]
    direction = "DESC" if keyset.descending else "ASC"
    filter_sql, params = where(f)
    select, having = "p.id", ""
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
    hint = ""
    if f.category_ids is not None and sort in CATEGORY_INDEX and f.text is None and not f.attributes:
        hint = f" FORCE INDEX ({CATEGORY_INDEX[sort]})"
    return session.all(
        f"""SELECT p.id, p.name, p.slug, b.name AS brand, p.category_id, p.base_price, p.compare_at_price,
                   p.currency, p.total_stock, p.rating_avg, p.rating_count, p.created_at, p.sold_count,
                   {'page.score' if sort == 'relevance' else 'NULL'} AS score,
                   (SELECT i.s3_key FROM product_images i
                     WHERE i.tenant_id = p.tenant_id AND i.product_id = p.id
                     ORDER BY i.sort_order, i.id LIMIT 1) AS image
              FROM (SELECT {select} FROM products p{hint} WHERE {filter_sql}{having}
                     ORDER BY {inner_order} LIMIT %s) page
              JOIN products p ON p.tenant_id = %s AND p.id = page.id
              LEFT JOIN brands b ON b.tenant_id = p.tenant_id AND b.id = p.brand_id
             ORDER BY {outer_order}""",
        (*params, limit, f.tenant_id),
    )


def facet_cube(session: Session, f: Filters) -> list[list[Any]]:
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
