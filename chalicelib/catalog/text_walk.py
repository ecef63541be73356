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

A walk whose budget runs out with a few matches found has measured the words' real share among
the candidates, where the budget assumed them independent: two words that go together ("klasik
av": 4,300 products, where the 1,200 candidates hold ~50 for a page of 97) would fall back to
reading 12,500 rows of "klasik" and probing each for "av" (~50 ms).  So, given what that
fall-back costs (`fallback_us`), the walk goes on from its last match when the rest of the page
is expected within that cost (`more_budget`); no match at all, or a share that would cost more,
falls back at once - words that rarely meet ("kamp tüfeği") cost no more than before.

Attribute filters without text walk the same way when one of them has several values (two
sizes): the plain page's EXISTS lets MariaDB read every row of the values into a temporary table
first (36,000 rows for beden M or L at 100,000 products: 25-40 ms), where the page is found among
a few hundred candidates probed one by one (5-9 ms).  Past the budget, the plain page.
"""
from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from chalicelib.platform.db import Session
from chalicelib.platform.keyset import Keyset, Position
from chalicelib.platform.sql import BY_ID

from .listing_plan import ENTRY_US, PROBE_US, ROW_US, SORTED_US
from .listing_repository import SORTS, Filters, _page_rows, text_condition, where

MIN_BUDGET = 300
MAX_BUDGET = 1_200  # the first read: ~6-8 µs a candidate (its row read and the LIKEs), ~7-10 ms
BUDGET_FACTOR = 3  # room for an estimate that is off by this much before giving up on the walk
WALK_US = 7.0  # one candidate of a text walk (1,200 with two words: 8-10 ms at 100,000 products)
MORE_FACTOR = 2  # the second read's room: the share is measured now, not assumed


def budget(limit: int, text_share: float) -> int:
    """Candidates to read for `limit` matches when a `text_share` of what the filters keep
    holds the words."""
    expected = limit / max(text_share, 1e-9)
    return int(min(max(BUDGET_FACTOR * expected, MIN_BUDGET), MAX_BUDGET))


def hopeless(limit: int, most_share: float, fallback: float = 0.0) -> bool:
    """Even the largest budget holds fewer than `limit` matches where the words are as common as
    they can be (`most_share`: TextQuery.most, the narrowest word's share - words that go together,
    "av tüfeği", are far more common together than independent ones): the walk would read its
    budget and fall back anyway ("klasik kamp", limit 96: 17 ms spent before the fall-back).  The
    largest budget: MAX_BUDGET, or as many candidates as the `fallback` (µs) would cost."""
    return limit / max(most_share, 1e-9) > max(MAX_BUDGET, fallback / WALK_US)


def fallback_us(rows: float, words: int, kept: float, matches: float) -> float:
    """What reading every match instead costs (browse._walk's fall-back, listing_repository.page off
    product_search_words): the narrowest word's `rows` read, the share of them the other filters
    keep (`kept`) probed for each other word, and the `matches`' rows read and sorted.  ("klasik
    av", 12,500 rows and 4,300 matches: ~45 ms estimated, 53-58 measured.)"""
    return rows * ENTRY_US + rows * kept * max(words - 1, 0) * PROBE_US + matches * (ROW_US + SORTED_US)


def more_budget(limit: int, found: int, scanned: int, fallback: float) -> int:
    """Candidates for a second read after `found` matches among `scanned`: the rest of the page at
    the share measured - taken low, found - sqrt(found) of them, since a few matches measure it
    badly ("lite sp", 2 of 1,200: a second read of 3,900 found too few, 28 ms, then fell back) -
    with room, within what the fall-back would cost; 0 when not worth it (no match or one, or the
    rest would cost more than the fall-back)."""
    low = found - math.sqrt(found)
    if low <= 0 or found >= limit or fallback <= 0:
        return 0
    more = (limit - found) * scanned / low
    if more * WALK_US >= fallback:
        return 0
    return int(min(MORE_FACTOR * more + MIN_BUDGET, fallback / WALK_US))


def page(session: Session, f: Filters, sort: str, after: Position | None, limit: int, index: str,
         scan: int, fallback: float = 0.0) -> list[dict[str, Any]] | None:
    """`limit` products after the cursor, found among the first `scan` candidates of the walk -
    or, when those hold some and `fallback` (what the caller's read of every match would cost,
    µs) allows it, among the next `more_budget` candidates after the last one found; None when
    fewer than `limit` were found (the caller reads every match instead).  Without text, the
    candidates are checked for the attribute filters alone, by a probe each on the candidate's id
    (no row read)."""
    rows = _walked(session, f, sort, after, limit, index, scan)
    if len(rows) >= limit:
        return rows
    more = more_budget(limit, len(rows), scan, fallback)
    if not more:
        return None
    keyset = SORTS[sort]
    rest = _walked(session, f, sort, keyset.decode(keyset.encode_row(rows[-1])), limit - len(rows), index, more)
    return rows + rest if len(rows) + len(rest) >= limit else None


def _walked(session: Session, f: Filters, sort: str, after: Position | None, limit: int, index: str,
            scan: int) -> list[dict[str, Any]]:
    """The first `limit` matches among the first `scan` candidates after the cursor."""
    assert f.text is None or f.text.against is None  # a walk: LIKE groups only
    keyset = SORTS[sort]
    checks: list[str] = []
    check_params: list[Any] = []
    if f.attributes:
        attribute_sql, check_params = where(Filters(f.tenant_id, attributes=f.attributes), probes=True)
        checks.append(attribute_sql)
    if f.text is None:
        # the probes name products `p` (tenant_id, id): the candidates carry both under those names
        candidates, params, order = _candidates(f, keyset, after, index, "p", "p.tenant_id, p.status, ")
        ids_sql = f"SELECT p.id FROM {candidates} WHERE {' AND '.join(checks)} ORDER BY {order} LIMIT %s"
        ids_params = [*params, scan, *check_params, limit]
    else:
        text_sql, text_params = text_condition(f.text)
        candidates, params, order = _candidates(f, keyset, after, index, "c", "")
        ids_sql = (f"SELECT c.id FROM {candidates} JOIN products p {BY_ID} ON p.tenant_id = %s AND p.id = c.id"
                   f" WHERE {' AND '.join([*text_sql, *checks])} ORDER BY {order} LIMIT %s")
        ids_params = [*params, scan, f.tenant_id, *text_params, *check_params, limit]
    return _page_rows(session, ids_sql, ids_params, keyset.order_by(), sort, f.tenant_id)


def _candidates(f: Filters, keyset: Keyset, after: Position | None, index: str, alias: str,
                carried: str) -> tuple[str, list[Any], str]:
    """The walk's candidates as a derived table `alias` (its LIMIT, the budget, is the caller's
    next parameter): the index read in the sort's order after the cursor, every filter but the
    words and the attributes checked on the entry, so neither can make the walk run on; with
    its parameters and the sort's ORDER BY over `alias`."""
    filter_sql, params = where(replace(f, text=None, attributes=()))
    if after is not None:
        cond, cond_params = keyset.after(after)
        filter_sql, params = f"{filter_sql} AND {cond}", [*params, *cond_params]
    columns = ", ".join(keyset.columns)
    direction = "DESC" if keyset.descending else "ASC"
    order = ", ".join(f"{alias}.{col.split('.')[-1]} {direction}" for col in (*keyset.columns, keyset.id_column))
    return (f"(SELECT {carried}p.id, {columns} FROM products p FORCE INDEX ({index})"
            f" WHERE {filter_sql} ORDER BY {keyset.order_by()} LIMIT %s) {alias}", params, order)
