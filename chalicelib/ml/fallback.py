"""Popularity within the tenant's own catalogue: what the apps get when the ML service is down,
its circuit is open, or it has nothing to say.

    for_you          a guest's recent views (their categories' best sellers) first, then best sellers
    similar          best sellers of the product's category, then best sellers
    bought_together  products in the same orders as the basket's (co-occurrence, bounded SQL),
                     then the basket's categories, then best sellers

Candidate lists are id lists cached briefly in Redis (tenant-keyed, CACHE_SECONDS), longer than
the answer needs: the caller drops what the caller excludes and hydrates the rest through the
catalogue (which leaves out whatever stopped being active meanwhile).
"""
from __future__ import annotations

from collections.abc import Iterable

from chalicelib.platform.cache import get_or_load, tenant_key
from chalicelib.platform.db import get_db

from . import events
from . import repository as repo

POPULAR_DAYS = 30
TOGETHER_DAYS = 180
POOL = 60  # candidates per cached list
CACHE_SECONDS = 120


def popular(tenant_id: int, category_id: int | None = None) -> list[int]:
    def load() -> list[int]:
        return repo.best_sellers(get_db().reader(), tenant_id, POPULAR_DAYS, POOL, category_id)

    key = tenant_key(tenant_id, "ml", "pop", category_id if category_id is not None else "all")
    return get_or_load(key, CACHE_SECONDS, load) or []


def _categories(tenant_id: int, product_ids: list[int]) -> list[int]:
    return repo.categories_of(get_db().reader(), tenant_id, product_ids[:10]) if product_ids else []


def _chain(*lists: Iterable[int]) -> list[int]:
    seen: set[int] = set()
    out: list[int] = []
    for ids in lists:
        for pid in ids:
            if pid not in seen:
                seen.add(pid)
                out.append(pid)
    return out


def for_you(tenant_id: int, device_id: str | None) -> list[int]:
    recent = events.recent_views(tenant_id, device_id, 5) if device_id else []
    by_category = [popular(tenant_id, c) for c in _categories(tenant_id, recent)]
    return [p for p in _chain(*by_category, popular(tenant_id)) if p not in recent]


def similar(tenant_id: int, product_id: int) -> list[int]:
    by_category = [popular(tenant_id, c) for c in _categories(tenant_id, [product_id])]
    return [p for p in _chain(*by_category, popular(tenant_id)) if p != product_id]


def bought_together(tenant_id: int, product_ids: list[int]) -> list[int]:
    basket = sorted(set(product_ids))[:20]

    def load() -> list[int]:
        return repo.bought_with(get_db().reader(), tenant_id, basket, TOGETHER_DAYS, POOL)

    key = tenant_key(tenant_id, "ml", "together", ",".join(map(str, basket)))
    together = get_or_load(key, CACHE_SECONDS, load) or []
    by_category = [popular(tenant_id, c) for c in _categories(tenant_id, basket)]
    return [p for p in _chain(together, *by_category, popular(tenant_id)) if p not in basket]
