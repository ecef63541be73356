"""A search page read by walking the sort's index, with a budget (issue 16).

For a broad word (thousands of products) a page sorted by anything but relevance - and
relevance itself past search.RANKED_WALK_MIN_DF, ranked by sales - is cheapest found by walking
the sort's index and checking each candidate's words (catalog.search): a word in 8 % of the shop
fills a page of 24 after ~300 candidates.  How many candidates a walk needs is only an estimate
(catalog.search.TextQuery.share takes the words as independent), and when the words, or the
words and the other filters, rarely meet - "yelek tüfeği", "ayakkabı" among three brands that
make none - the walk reads everything the filters keep to find that out: 750 ms at 100,000
products.

So the walk gets a budget: it reads the first `budget` candidates off the index (the filters
are checked on the covering index entry), then the rows of those for the words and attributes.  A full page
among them is the answer - the candidates are in page order, and the first matches in that order
are the page.  Fewer, and the caller reads every match instead (product_search_words, migration
0024), whose cost is bounded by the narrowest word's rows (catalog.browse).  Worst case: the
budget plus that read.

Attribute filters without text walk the same way when one of them has several values (two
sizes): the plain page's EXISTS lets MariaDB read every row of the values into a temporary table
first (36,000 rows for beden M or L at 100,000 products: 25-40 ms), where the page is found among
a few hundred candidates probed one by one (5-9 ms).  Past the budget, the plain page.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib.platform.db import Session
from chalicelib.platform.keyset import Position
from chalicelib.platform.sql import BY_ID

from .listing_repository import SORTS, Filters, _page_rows, text_condition, where

MIN_BUDGET = 300
MAX_BUDGET = 1_200  # ~6 µs a candidate (its row read and the LIKEs): ~7 ms
BUDGET_FACTOR = 3  # room for an estimate that is off by this much before giving up on the walk


def budget(limit: int, text_share: float) -> int:
    """Candidates to read for `limit` matches when a `text_share` of what the filters keep
    holds the words."""
    expected = limit / max(text_share, 1e-9)
    return int(min(max(BUDGET_FACTOR * expected, MIN_BUDGET), MAX_BUDGET))


def hopeless(limit: int, most_share: float) -> bool:
    """Even the largest budget holds fewer than `limit` matches where the words are as common as
    they can be (`most_share`: TextQuery.most, the narrowest word's share - words that go together,
    "av tüfeği", are far more common together than independent ones): the walk would read its
    budget and fall back anyway ("klasik kamp", limit 96: 17 ms spent before the fall-back)."""
    return limit / max(most_share, 1e-9) > MAX_BUDGET


def page(session: Session, f: Filters, sort: str, after: Position | None, limit: int, index: str,
         scan: int) -> list[dict[str, Any]] | None:
    """Up to `limit` products after the cursor, found among the first `scan` candidates of the
    walk; None when fewer than `limit` were found there (the caller reads every match instead).
    Without text, the candidates are checked for the attribute filters alone, by a probe each
    on the candidate's id (no row read)."""
    assert f.text is None or f.text.against is None  # a walk: LIKE groups only
    if f.text is None:
        return _attribute_page(session, f, sort, after, limit, index, scan)
    keyset = SORTS[sort]
    # The index entry carries category, brand, price and stock; the words and the attributes are
    # checked on the budget's candidates only, so neither can make the walk run on.
    filter_sql, params = where(replace(f, text=None, attributes=()))
    if after is not None:
        cond, cond_params = keyset.after(after)
        filter_sql, params = f"{filter_sql} AND {cond}", [*params, *cond_params]
    text_sql, text_params = text_condition(f.text)
    if f.attributes:
        attribute_sql, attribute_params = where(Filters(f.tenant_id, attributes=f.attributes), probes=True)
        text_sql, text_params = [*text_sql, attribute_sql], [*text_params, *attribute_params]
    columns = ", ".join(keyset.columns)
    direction = "DESC" if keyset.descending else "ASC"
    walked_order = ", ".join(f"c.{col.split('.')[-1]} {direction}" for col in (*keyset.columns, keyset.id_column))
    ids_sql = (f"SELECT c.id FROM (SELECT p.id, {columns} FROM products p FORCE INDEX ({index})"
               f" WHERE {filter_sql} ORDER BY {keyset.order_by()} LIMIT %s) c"
               f" JOIN products p {BY_ID} ON p.tenant_id = %s AND p.id = c.id"
               f" WHERE {' AND '.join(text_sql)} ORDER BY {walked_order} LIMIT %s")
    rows = _page_rows(session, ids_sql, [*params, scan, f.tenant_id, *text_params, limit], keyset.order_by(),
                      sort, f.tenant_id)
    return rows if len(rows) >= limit else None


def _attribute_page(session: Session, f: Filters, sort: str, after: Position | None, limit: int, index: str,
                    scan: int) -> list[dict[str, Any]] | None:
    """`page` for attribute filters alone: the first `scan` candidates in the sort's order (every
    other filter checked on the index entry), each probed for the attributes."""
    assert f.attributes
    keyset = SORTS[sort]
    filter_sql, params = where(replace(f, attributes=()))
    if after is not None:
        cond, cond_params = keyset.after(after)
        filter_sql, params = f"{filter_sql} AND {cond}", [*params, *cond_params]
    probes, probe_params = where(Filters(f.tenant_id, attributes=f.attributes), probes=True)
    # the probes name products `p` (tenant_id, id): the candidates carry both under those names
    columns = ", ".join(keyset.columns)
    direction = "DESC" if keyset.descending else "ASC"
    walked_order = ", ".join(f"p.{col.split('.')[-1]} {direction}" for col in (*keyset.columns, keyset.id_column))
    ids_sql = (f"SELECT p.id FROM (SELECT p.tenant_id, p.status, p.id, {columns} FROM products p FORCE INDEX ({index})"
               f" WHERE {filter_sql} ORDER BY {keyset.order_by()} LIMIT %s) p"
               f" WHERE {probes} ORDER BY {walked_order} LIMIT %s")
    rows = _page_rows(session, ids_sql, [*params, scan, *probe_params, limit], keyset.order_by(), sort, f.tenant_id)
    return rows if len(rows) >= limit else None
