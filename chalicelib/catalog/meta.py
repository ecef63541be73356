"""A tenant's category tree and brands with their active-product counts: small, read on every
listing (filter validation, category subtrees, facet names, the total for the search planner),
so it is cached per catalogue version (catalog.caching) and answered from memory.  Pure data.

Only active categories whose ancestors are all active are visible: a hidden category hides its
subtree, from the tree, from filters (404) and from facets.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from chalicelib.platform.text import fold

T = TypeVar("T")


@dataclass
class CatalogMeta:
    categories: dict[int, dict[str, Any]]  # visible categories: id, parent_id, name, slug, path, depth, image
    brands: dict[int, dict[str, Any]]  # active brands: id, name, slug, logo, sort_order
    counts: dict[tuple[int, int], int]  # (category_id, brand_id or 0) → active products
    # The same finer: (category_id, brand_id or 0, price band, in stock, active products, lowest
    # and highest price) - the histogram catalog.listing_plan estimates a filter set's size from.
    cells: list[tuple[int, int, int, bool, int, float, float]] = field(default_factory=list)
    children: dict[int, list[int]] = field(default_factory=dict)  # parent (0 = root) → ids in shop order
    _subtrees: dict[int, tuple[int, ...]] = field(default_factory=dict, repr=False)
    _folded: dict[int, str] = field(default_factory=dict, repr=False)
    _path_ids: dict[int, list[int]] = field(default_factory=dict, repr=False)
    _remembered: dict[Any, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        order = sorted(self.categories.values(), key=lambda c: (c["sort_order"], c["name"], c["id"]))
        self.children = {}
        for c in order:
            self.children.setdefault(c["parent_id"] or 0, []).append(c["id"])

    # -- building and caching ---------------------------------------------------------------
    @classmethod
    def from_rows(cls, categories: list[dict[str, Any]], brands: list[dict[str, Any]],
                  counts: list[dict[str, Any]]) -> CatalogMeta:
        by_id = {int(c["id"]): c for c in categories}
        visible: dict[int, dict[str, Any]] = {}
        for c in categories:
            ids = [int(part) for part in str(c["path"]).strip("/").split("/") if part]
            if ids and all(i in by_id and by_id[i]["is_active"] for i in ids):
                visible[int(c["id"])] = {
                    "id": int(c["id"]), "parent_id": c["parent_id"], "name": c["name"], "slug": c["slug"],
                    "path": c["path"], "depth": int(c["depth"]), "sort_order": int(c["sort_order"]),
                    "image": c["image_key"],
                }
        active_brands = {
            int(b["id"]): {"id": int(b["id"]), "name": b["name"], "slug": b["slug"], "logo": b["logo_key"],
                           "sort_order": int(b["sort_order"])}
            for b in brands if b["is_active"]
        }
        cells = [(int(r["category_id"]), int(r["brand_id"] or 0), int(r["facet_band"]), bool(r["in_stock"]),
                  int(r["n"]), float(r["lo"]), float(r["hi"])) for r in counts]
        return cls(visible, active_brands, _tally(cells), cells)

    def to_json(self) -> dict[str, Any]:
        return {"c": list(self.categories.values()), "b": list(self.brands.values()),
                "cells": [[c, b, band, int(s), n, lo, hi] for c, b, band, s, n, lo, hi in self.cells]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CatalogMeta:
        cells = [(int(c), int(b), int(band), bool(s), int(n), float(lo), float(hi))
                 for c, b, band, s, n, lo, hi in data["cells"]]
        return cls({int(c["id"]): c for c in data["c"]}, {int(b["id"]): b for b in data["b"]}, _tally(cells), cells)

    # -- derived answers, kept with the version they derive from --------------------------------
    REMEMBERED: ClassVar[int] = 2048  # entries; when full, forgotten at once (a catalogue change starts afresh anyway)

    def remembered(self, key: Any, compute: Callable[[], T]) -> T:
        """compute() for `key`, once per catalogue version: for pure functions of this metadata
        (the listing planner's estimate of a filter set: ~0.3 ms over the histogram of a shop of
        100,000 products, on every listing, facets and search call; shop traffic repeats its
        category pages and filter sets)."""
        try:
            return self._remembered[key]  # type: ignore[no-any-return]
        except KeyError:
            pass
        value = compute()
        if len(self._remembered) >= self.REMEMBERED:
            self._remembered.clear()
        self._remembered[key] = value
        return value

    # -- questions ----------------------------------------------------------------------------
    @property
    def total(self) -> int:
        """Active products of the tenant (every category, hidden ones included)."""
        return sum(self.counts.values())

    def subtree(self, category_id: int) -> tuple[int, ...]:
        """The visible category and all its visible descendants."""
        if category_id not in self._subtrees:
            prefix = self.categories[category_id]["path"]
            self._subtrees[category_id] = tuple(sorted(
                cid for cid, c in self.categories.items() if c["path"].startswith(prefix)))
        return self._subtrees[category_id]

    def child_of(self, parent_id: int | None, category_id: int) -> int | None:
        """The child of `parent_id` (None: the roots) on the way down to `category_id`."""
        ids = self._path_ids.get(category_id)
        if ids is None:
            category = self.categories.get(category_id)
            if category is None:
                return None
            ids = self._path_ids[category_id] = [int(part) for part in category["path"].strip("/").split("/") if part]
        if parent_id is None:
            return ids[0]
        if parent_id in ids and ids.index(parent_id) + 1 < len(ids):
            return ids[ids.index(parent_id) + 1]
        return None

    def breadcrumbs(self, category_id: int) -> list[dict[str, Any]]:
        category = self.categories.get(category_id)
        if category is None:
            return []
        ids = [int(part) for part in category["path"].strip("/").split("/") if part]
        return [{"id": i, "name": self.categories[i]["name"], "slug": self.categories[i]["slug"]} for i in ids]

    def product_count(self, category_id: int) -> int:
        subtree = set(self.subtree(category_id))
        return sum(n for (c, _), n in self.counts.items() if c in subtree)

    def brand_count(self, brand_id: int) -> int:
        return sum(n for (_, b), n in self.counts.items() if b == brand_id)

    def tree(self, parent: int = 0) -> list[dict[str, Any]]:
        return [
            {"id": cid, "name": self.categories[cid]["name"], "slug": self.categories[cid]["slug"],
             "image": self.categories[cid]["image"], "product_count": self.product_count(cid),
             "children": self.tree(cid)}
            for cid in self.children.get(parent, [])
        ]

    def brand_list(self) -> list[dict[str, Any]]:
        ordered = sorted(self.brands.values(), key=lambda b: (b["sort_order"], b["name"], b["id"]))
        return [{"id": b["id"], "name": b["name"], "slug": b["slug"], "logo": b["logo"],
                 "product_count": self.brand_count(b["id"])} for b in ordered]

    def matching_categories(self, words: list[tuple[str, ...]], limit: int) -> list[dict[str, Any]]:
        """Visible categories whose folded name has, for every query word, a word starting with
        one of its accepted beginnings; whole-name prefix matches first, then by product count."""
        found = []
        for cid, category in self.categories.items():
            folded = self._folded.get(cid)
            if folded is None:
                folded = self._folded[cid] = fold(category["name"])
            names = folded.split()
            if words and all(any(n.startswith(p) for n in names for p in group) for group in words):
                count = self.product_count(cid)
                if count:
                    starts = any(folded.startswith(p) for p in words[0])
                    found.append((not starts, -count, category["depth"], cid))
        found.sort()
        return [{"id": cid, "name": self.categories[cid]["name"], "slug": self.categories[cid]["slug"]}
                for *_, cid in found[:limit]]


def _tally(cells: list[tuple[int, int, int, bool, int, float, float]]) -> dict[tuple[int, int], int]:
    tally: dict[tuple[int, int], int] = {}
    for category_id, brand_id, _band, _stocked, n, _lo, _hi in cells:
        tally[(category_id, brand_id)] = tally.get((category_id, brand_id), 0) + n
    return tally
