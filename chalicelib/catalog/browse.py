"""The public listing (filters, sorts, keyset pages, facets), search and suggestions.

One request = the catalogue version (one Redis GET), the metadata and vocabulary from process
memory, then the page's SQL (one statement; two when a budgeted walk falls back, catalog.text_walk:
a broad search's to every match, several values of an attribute's to the plain page; plus one
count when attribute filters are set) and the facet
cube's (one; one more to pick the driving filter of several attribute keys) — each answer cached
in Redis under the version (catalog.caching) — whatever the page size.
"""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalicelib.platform.db import Database, Session

from . import facets as facet_math
from . import listing_plan, search, text_walk
from . import listing_repository as sql
from .caching import RESPONSE_TTL, SUGGEST_TTL, cached, current_version
from .errors import UnknownFilterValue
from .meta import CatalogMeta
from .state import catalog_meta, stock_status, vocabulary

if TYPE_CHECKING:  # typing only: nothing more to import on a cold start
    from .schemas import ProductListQuery

SUGGEST_LIMIT = 8
SUGGEST_CATEGORIES = 3


def list_products(db: Database, tenant_id: int, query: ProductListQuery) -> dict[str, Any]:
    version = current_version(tenant_id)
    meta = catalog_meta(db, tenant_id, version)
    category_ids = _category_filter(meta, query.category_id)
    brand_ids = _brand_filter(meta, query.brand_id or [])
    sort = query.sort or ("relevance" if query.q else "newest")
    text_query = search.analyse(query.q, vocabulary(db, tenant_id, version)) if query.q else None
    if text_query is not None and not text_query.groups:
        text_query = None
    base = sql.Filters(tenant_id, category_ids, brand_ids, query.min_price, query.max_price, bool(query.in_stock),
                       tuple(query.attributes()))
    params = _normalised(query, sort, text_query)

    def load_page() -> dict[str, Any]:
        reader = db.reader()
        estimate = _estimate(meta, base)
        # Price order follows the category, and a word mostly names a category ("dürbün"): a walk
        # down the price index would pass every cheaper category first, so price sorts MATCH.
        kept = estimate.matches / max(estimate.total, 1)  # the share of the shop the other filters keep
        text = _plan(text_query, tenant_id, meta, limit=None if sort in listing_plan.PRICE_SORTS else query.limit,
                     ranked=sort == "relevance", share=kept)
        filters = replace(base, text=text)
        index, merge, empty, share = None, False, estimate.matches == 0, 1.0  # text and attributes only narrow further
        # Too broad to score every match (catalog.search): relevance is best-selling first, the
        # sales count standing in for the score (the relevance cursor keeps working) - and planned
        # as that sort, once: planned again on the filters the first plan had narrowed, the
        # estimate stayed the whole shop's and a colour's one category was walked across the shop.
        by_sales = sort == "relevance" and text is not None and not text.ranks
        if text is None or not text.ranks:
            filters, index, merge, none, share = _index(reader, meta, estimate, filters,
                                                        "best_selling" if by_sales else sort, query.limit + 1,
                                                        text_query)
            empty = empty or none
        if empty:
            rows: list[dict[str, Any]] = []
        elif by_sales:
            rows = _walk(reader, meta, filters, text_query, "best_selling", query, index, merge, kept, share)
            rows = [{**r, "score": r["sold_count"]} for r in rows]
        elif text is not None and not text.ranks:
            rows = _walk(reader, meta, filters, text_query, sort, query, index, merge, kept, share)
        else:
            walked = None
            several = any(len(values) > 1 for _key, values in filters.attributes)
            if (text is None and several and not merge and index is not None
                    and listing_plan.ordered(index, sort, categories=len(filters.category_ids or ()),
                                             brands=len(filters.brand_ids))
                    and not text_walk.hopeless(query.limit + 1, share)):
                # A walk's candidates probed for the attributes, with a budget: a short walk costs
                # a probe a candidate where the plain page's EXISTS may first read every row of
                # the values (two sizes: 36,000 rows, 25-40 ms, for a page found in 500
                # candidates); past the budget (the values sit far down the sort), the plain page.
                walked = text_walk.page(reader, filters, sort, query.after, query.limit + 1, index,
                                        text_walk.budget(query.limit + 1, share))
            rows = walked if walked is not None else sql.page(reader, filters, sort, query.after, query.limit + 1,
                                                              index, merge=merge)
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        return {"items": [_item(r) for r in rows],
                "next_cursor": sql.SORTS[sort].encode_row(rows[-1]) if more and rows else None}

    answer = cached(tenant_id, version, "page", params, RESPONSE_TTL, load_page)
    if text_query is not None:
        answer["did_you_mean"] = text_query.did_you_mean
    if query.facets:
        answer["facets"] = _facets(db, tenant_id, version, meta, base, query, text_query, params)
    return answer


def _facets(db: Database, tenant_id: int, version: int | None, meta: CatalogMeta, base: sql.Filters, query: ProductListQuery,
            text_query: search.TextQuery | None, params: dict[str, Any]) -> dict[str, Any]:
    shared = {k: params[k] for k in ("category", "q", "attributes", "min_price", "max_price")}

    def load_cube() -> list[list[int]]:
        text = _plan(text_query, tenant_id, meta, limit=None, ranked=False)
        filters = replace(base, text=text)
        return facet_math.normalised(sql.facet_cube(db.reader(), filters))

    cube = cached(tenant_id, version, "facets", shared, RESPONSE_TTL, load_cube)
    return facet_math.compute(cube, meta, category_id=query.category_id, brand_ids=base.brand_ids,
                              in_stock=base.in_stock)


def suggest(db: Database, tenant_id: int, q: str) -> dict[str, Any]:
    """Up to 8 suggestions for the search box: matching categories first (at most 3), then
    products, for the words typed so far (the last one still being typed)."""
    version = current_version(tenant_id)
    meta = catalog_meta(db, tenant_id, version)
    text_query = search.analyse(q, vocabulary(db, tenant_id, version))
    if not text_query.groups:
        return {"items": [], "did_you_mean": None}

    def load() -> dict[str, Any]:
        words = [g.prefixes for g in text_query.groups]
        categories = [{"type": "category", **c} for c in meta.matching_categories(words, SUGGEST_CATEGORIES)]
        limit = SUGGEST_LIMIT - len(categories)
        rows = _suggested(db.reader(), tenant_id, meta, text_query, limit) if limit else []
        products = [{"type": "product", "id": r["id"], "name": r["name"], "slug": r["slug"],
                     "category_id": r["category_id"]} for r in rows]
        return {"items": categories + products, "did_you_mean": text_query.did_you_mean}

    return cached(tenant_id, version, "suggest", text_query.folded, SUGGEST_TTL, load)


def _suggested(reader: Session, tenant_id: int, meta: CatalogMeta, text_query: search.TextQuery,
               limit: int) -> list[dict[str, Any]]:
    """Products for the search box, planned as the relevance sort is (catalog.search.plan,
    ranked): when even the narrowest word is in RANKED_WALK_MIN_DF products or more, the
    best-selling index is walked with a budget (catalog.text_walk) - when the budget runs out,
    every match best-selling first, as the walk would have had them (off product_search_words);
    else MATCH ranks them.  (Planned unranked, two broad words that meet in a few hundred
    products - "polar yelek" - were scored by MATCH over the narrower one's thousands of
    postings, ~8 µs each: 30-45 ms at 100,000 products, against 7-10 ms walked.)"""
    text = _plan(text_query, tenant_id, meta, limit=limit, ranked=True)
    if text is not None and not text.ranks:
        words = text_query.share(meta.total)
        fallback = _fallback_us(meta, text, words, 1.0)
        if not text_walk.hopeless(limit, text_query.most(meta.total), fallback):
            scan = text_walk.budget(limit, words)
            rows = text_walk.page(reader, sql.Filters(tenant_id, text=text), "best_selling", None, limit,
                                  listing_plan.WALK_INDEX["best_selling"], scan, fallback)
            if rows is not None:
                return rows
        return sql.suggestions_of_every_match(reader, sql.Filters(tenant_id, text=text), limit)
    return sql.suggestions(reader, sql.Filters(tenant_id, text=text), limit)


# -- helpers ---------------------------------------------------------------------------------------
def _category_filter(meta: CatalogMeta, category_id: int | None) -> tuple[int, ...] | None:
    if category_id is None:
        return None
    if category_id not in meta.categories:
        raise UnknownFilterValue("category_id", category_id)
    return meta.subtree(category_id)


def _brand_filter(meta: CatalogMeta, brand_ids: list[int]) -> tuple[int, ...]:
    for brand_id in brand_ids:
        if brand_id not in meta.brands:
            raise UnknownFilterValue("brand_id", brand_id)
    return tuple(sorted(set(brand_ids)))


def _estimate(meta: CatalogMeta, f: sql.Filters) -> listing_plan.Estimate:
    """How many products the category, brand, price and stock filters keep, from the histogram.
    It is exact for those at this catalogue version (each cell knows its lowest and highest
    price): no match in it means an empty page, and a category or brand without a match need
    not be read - a walk would read its whole range to find that out."""
    category_ids = None if f.category_ids is None else frozenset(f.category_ids)
    brand_ids = frozenset(f.brand_ids)
    return meta.remembered(
        ("estimate", category_ids, brand_ids, f.min_price, f.max_price, f.in_stock),
        lambda: listing_plan.estimate(meta.cells, category_ids=category_ids, brand_ids=brand_ids,
                                      low=f.min_price, high=f.max_price, in_stock=f.in_stock))


def _index(session: Session, meta: CatalogMeta, estimate: listing_plan.Estimate, f: sql.Filters, sort: str,
           limit: int, text_query: search.TextQuery | None) -> tuple[sql.Filters, str | None, bool, bool, float]:
    """The filters narrowed to the categories and brands that hold a match (and to the categories
    where the attribute filters meet, listing_repository.narrowed), the index a page reads its
    ids from, whether per category or brand (catalog.listing_plan), whether nothing can
    match, and the share of the index's passing entries expected to hold the attribute and text
    filters (listing_plan.Choice.share).  Even without
    a filter: left to itself MariaDB reads the whole shop off the narrowest covering index and
    sorts it (140 ms at 100,000 products) rather than walk the sort's index."""
    text_share = None
    if f.text is not None and text_query is not None:
        text_share = text_query.share(meta.total) if text_query.groups else 1.0
    if estimate.matches and f.category_ids is not None and len(f.category_ids) > 1:
        f = replace(f, category_ids=tuple(c for c in f.category_ids if c in estimate.matched_categories))
    if estimate.matches and len(f.brand_ids) > 1:
        f = replace(f, brand_ids=tuple(b for b in f.brand_ids if b in estimate.matched_brands))
    attribute_counts = None
    if f.attributes and estimate.matches:
        # a filter every product of the categories passes (mensei: Türkiye) is left out
        f, counts = sql.without_universal(f, sql.attribute_counts(session, f))
        met = sql.narrowed(f, counts)
        narrow = None if met is None or met is f else _estimate(meta, met)
        if met is None or (narrow is not None and not narrow.matches):
            return f, None, False, True, 0.0  # no category holds a product of every attribute filter
        if narrow is not None and met is not None and (
                f.category_ids is not None or narrow.matches * 2 <= estimate.matches):
            # plan (and read) only the categories where the attribute filters meet, counted there:
            # always out of a category filter's subtree (a merged read walks each category to the
            # end when the filters meet nowhere in it - shoes under Giyim for beden:L); for the
            # whole shop when they hold under half the matches (else the shop's own ways stay)
            f = replace(met, category_ids=tuple(c for c in met.category_ids or () if c in narrow.matched_categories))
            estimate, counts = narrow, sql.counted_in(counts, f.category_ids or ())
        elif narrow is not None:
            # the shop's ways stay, but a price walk reads - and probes - everything priced beyond
            # the meeting categories before its first match (colours by price, highest first: the
            # firearms, which have none; 22-29 ms where 0.4-3 were estimated)
            estimate = replace(estimate, before_asc=narrow.before_asc, before_desc=narrow.before_desc,
                               probed_before=(max(narrow.before_asc - estimate.before_asc, 0.0),
                                              max(narrow.before_desc - estimate.before_desc, 0.0)))
        attribute_counts = tuple((float(c.entries), float(c.matches)) for c in counts)
    # the attribute filter a read of product_attribute_values would be driven by: the fewest rows
    driver = min(range(len(attribute_counts)), key=lambda i: (attribute_counts[i], i)) if attribute_counts else None
    choice = listing_plan.choose(sort, estimate, limit=limit, categories=len(f.category_ids or ()),
                                 price_filter=f.min_price is not None or f.max_price is not None,
                                 attributes=len(f.attributes), text_share=text_share, brands=len(f.brand_ids),
                                 attribute_counts=attribute_counts,
                                 driver_values=0 if driver is None else len(set(f.attributes[driver][1])))
    if choice.index == sql.ATTRIBUTE_INDEX and driver is not None:
        # the page reads the first attribute filter's rows (listing_repository.page)
        f = replace(f, attributes=(f.attributes[driver], *f.attributes[:driver], *f.attributes[driver + 1:]))
    return f, choice.index, choice.merge, estimate.matches == 0, choice.share


def _walk(reader: Session, meta: CatalogMeta, f: sql.Filters, text_query: search.TextQuery | None, sort: str,
          query: ProductListQuery, index: str | None, merge: bool, kept: float, share: float) -> list[dict[str, Any]]:
    """A page of a broad search walked down the sort's index with a budget (catalog.text_walk);
    past the budget, the same page from every match (the words as a filter, the same order: off
    product_search_words, listing_repository.page), whose cost the narrowest word's rows bound.
    `kept`: the share of the shop the other filters keep; `share`: of the index's passing entries,
    the share the planner expects to hold the words and the attribute filters (Choice.share)."""
    # (a rare attribute value's own rows, ATTRIBUTE_INDEX, are few already: read as planned)
    if index == sql.ATTRIBUTE_INDEX or text_query is None or sort not in listing_plan.WALK_INDEX:
        return sql.page(reader, f, sort, query.after, query.limit + 1, index, merge=merge)
    assert f.text is not None  # planned from text_query (load_page)
    words = text_query.share(meta.total)
    fallback = _fallback_us(meta, f.text, words, kept)
    # what the attribute filters keep of the words' candidates: a walk's budget and its hope follow
    # it too (hacim_l:3 in "tekstil köroğlu": a walk sized for the words alone read its 1,200
    # candidates for nothing, 9 ms, before the fall-back)
    attributes = min(share / words, 1.0) if words > 0 and 0 < share < words else 1.0
    if not merge and not text_walk.hopeless(query.limit + 1, text_query.most(meta.total) * attributes, fallback):
        scan = text_walk.budget(query.limit + 1, words * attributes)
        rows = text_walk.page(reader, f, sort, query.after, query.limit + 1,
                              index or listing_plan.WALK_INDEX[sort], scan, fallback)
        if rows is not None:
            return rows
    # Past the budget - or for a subtree read category by category, which has none and read whole
    # categories the words rarely meet ("silah" under Giyim: 145 ms) - every match.
    matched = replace(f, text=_plan(text_query, f.tenant_id, meta, limit=None, ranked=False))
    return sql.page(reader, matched, sort, query.after, query.limit + 1)


def _fallback_us(meta: CatalogMeta, plan: search.TextPlan, words: float, kept: float) -> float:
    """What a broad search's read of every match costs (catalog.text_walk.fallback_us): the bound a
    walk that has found part of its page may spend on the rest.  `words`: the share of the shop
    expected to hold every word (TextQuery.share); `kept`: the share the other filters keep."""
    return text_walk.fallback_us(plan.narrowest_df, len(plan.dfs), kept, words * meta.total * kept)


def _plan(text_query: search.TextQuery | None, tenant_id: int, meta: CatalogMeta, *, limit: int | None,
          ranked: bool, share: float = 1.0) -> search.TextPlan | None:
    if text_query is None:
        return None
    return search.plan(text_query, tenant_id, catalogue_size=meta.total, limit=limit, ranked=ranked, share=share)


def _normalised(query: ProductListQuery, sort: str, text_query: search.TextQuery | None) -> dict[str, Any]:
    """The request as a cache key: equal requests, however spelled, share one entry."""
    return {
        "category": query.category_id, "brands": sorted(set(query.brand_id or [])),
        "min_price": _dec(query.min_price), "max_price": _dec(query.max_price), "in_stock": bool(query.in_stock),
        "attributes": [[k, list(v)] for k, v in query.attributes()],
        "q": text_query.folded if text_query else None, "sort": sort, "limit": query.limit,
        "cursor": query.cursor,
    }


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value.normalize())


def _item(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": r["id"], "name": r["name"], "slug": r["slug"], "brand": r["brand"], "category_id": r["category_id"],
        "price": r["base_price"], "compare_at_price": r["compare_at_price"], "currency": r["currency"],
        "stock_status": stock_status(r["total_stock"]), "rating_avg": r["rating_avg"],
        "rating_count": r["rating_count"], "image": r["image"],
    }
