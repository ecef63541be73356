"""Slugs and the search text: derived values that must stay in step with what they derive from."""
from __future__ import annotations

from chalicelib.platform.db import Session
from chalicelib.platform.text import fold, slugify

from . import repository as repo

SLUG_MAX = 270  # products.slug is VARCHAR(280): room for a "-NNN" suffix


def base_slug(name: str, fallback: str) -> str:
    return slugify(name, max_length=SLUG_MAX) or fallback


def next_free(base: str, taken: set[str]) -> str:
    """`base`, else base-2, base-3, ... (the seed's rule)."""
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def category_path_names(category_id: int, categories: dict[int, tuple[str, str]]) -> list[str]:
    """Names from the root down to `category_id` ('Kamp', 'Uyku', 'Şişme Yatak')."""
    _, path = categories[category_id]
    return [categories[int(part)][0] for part in path.strip("/").split("/") if part and int(part) in categories]


def search_text(name: str, brand: str | None, category_id: int, categories: dict[int, tuple[str, str]]) -> str:
    """What the FULLTEXT index searches: the Turkish-folded product name, brand and category path
    (infra/local/seed_catalog.py builds it the same way)."""
    return fold(" ".join([name, brand or "", *category_path_names(category_id, categories)]))


def refresh_search_texts(session: Session, tenant_id: int, *, brand_id: int | None = None,
                         category_path: str | None = None, product_ids: list[int] | None = None) -> list[int]:
    """Recompute search_text of the selected products (after a brand or category rename, a
    category move, or a product edit); writes only the rows that differ; returns their ids."""
    rows = repo.products_for_search_text(session, tenant_id, brand_id=brand_id, category_path=category_path,
                                         product_ids=product_ids)
    if not rows:
        return []
    categories = repo.category_names(session, tenant_id)
    changed = []
    for row in rows:
        text = search_text(row["name"], row["brand"], row["category_id"], categories)
        if text != row["search_text"]:
            changed.append((text, int(row["id"])))
    repo.set_search_texts(session, tenant_id, changed)
    return [pid for _, pid in changed]
