"""What the listing, search, suggestions and detail share per catalogue version, held in process
memory and Redis (catalog.caching): the category/brand metadata and the search vocabulary."""
from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from chalicelib.platform import cache
from chalicelib.platform.db import Database, Session

from . import caching
from . import repository as repo
from .meta import CatalogMeta
from .vocabulary import Vocabulary, count_words

LOW_STOCK_DEFAULT = 5
VOCABULARY_REBUILD_SECONDS = 600  # full rebuild; in between, changed products are added
VOCABULARY_OVERLAP = timedelta(seconds=30)  # re-read a little before the watermark (late commits)

_meta_memo: caching.Memo[CatalogMeta] = caching.Memo()
_vocabulary_memo: caching.Memo[tuple[Vocabulary, dict[str, Any]]] = caching.Memo(VOCABULARY_REBUILD_SECONDS)


def stock_status(available: int, low_threshold: int = LOW_STOCK_DEFAULT) -> str:
    if available <= 0:
        return "out_of_stock"
    return "low_stock" if available <= low_threshold else "in_stock"


def catalog_meta(db: Database, tenant_id: int, version: int | None) -> CatalogMeta:
    """Categories, brands and active-product counts: process memory, else Redis, else MySQL
    (three statements, once per catalogue version for all containers)."""
    meta = _meta_memo.get(tenant_id, version)
    if meta is not None:
        return meta

    def load() -> dict[str, Any]:
        session = db.reader()
        return CatalogMeta.from_rows(repo.categories(session, tenant_id), repo.brands(session, tenant_id),
                                     repo.active_counts(session, tenant_id)).to_json()

    if version is None:
        data = load()
    else:
        # "meta2": the shape with the price histogram (issue 16); a container still running the
        # earlier shape reads and writes "meta", never this one.
        data = cache.get_or_load(caching.key(tenant_id, version, "meta2", None), caching.META_TTL, load) or load()
    return _meta_memo.put(tenant_id, version, CatalogMeta.from_json(data))


def vocabulary(db: Database, tenant_id: int, version: int | None) -> Vocabulary:
    """The tenant's search vocabulary (catalog.vocabulary).  Rebuilt from every active product
    every VOCABULARY_REBUILD_SECONDS; after a catalogue change, only products updated since the
    last read are added (one indexed statement).  Shared through Redis across containers.
    A stale vocabulary never hides a product: the words typed are always searched as well."""
    held = _vocabulary_memo.get(tenant_id, version)
    if held is not None:
        return held[0]
    state_key = cache.tenant_key(tenant_id, "catalog", "vocabulary")
    state = caching.redis_get(state_key) if version is not None else None
    if state is None:
        last = _vocabulary_memo.last(tenant_id)
        state = last[1] if last is not None else None
    if state is not None and state["version"] == version and _fresh(state):
        return _remember(tenant_id, version, state)
    session = db.reader()
    if state is not None and _fresh(state) and version is not None:
        state = _add_changed(session, tenant_id, state)
    else:
        rows = repo.search_texts(session, tenant_id)
        watermark = _watermark(rows, None)
        state = {"built": time.time(), "words": count_words(r["text"] for r in rows), "watermark": watermark,
                 "recent": _recent(rows, watermark, [])}
    state["version"] = version
    if version is not None:
        caching.redis_set(state_key, state, 2 * VOCABULARY_REBUILD_SECONDS)
    return _remember(tenant_id, version, state)


def _add_changed(session: Session, tenant_id: int, state: dict[str, Any]) -> dict[str, Any]:
    """Add the words of products updated since the last read.  The read overlaps the previous
    one (late commits); rows already counted in the overlap are skipped by (id, updated_at).
    Words of products that changed or left keep their old counts until the next full rebuild:
    they only inflate an estimate or offer a correction that finds nothing extra."""
    since = datetime.fromisoformat(state["watermark"]) - VOCABULARY_OVERLAP
    counted = {tuple(pair) for pair in state.get("recent", [])}
    rows = [r for r in repo.search_texts(session, tenant_id, changed_since=since)
            if (r["id"], r["updated_at"].isoformat()) not in counted]
    words = dict(state["words"])
    for word, n in count_words(r["text"] for r in rows).items():
        words[word] = words.get(word, 0) + n
    watermark = _watermark(rows, state["watermark"])
    return {"built": state["built"], "words": words, "watermark": watermark,
            "recent": _recent(rows, watermark, state.get("recent", []))}


def _recent(rows: list[dict[str, Any]], watermark: str, previous: list[list[Any]]) -> list[list[Any]]:
    """(id, updated_at) of the rows inside the next read's overlap window."""
    start = (datetime.fromisoformat(watermark) - VOCABULARY_OVERLAP).isoformat()
    pairs = [[r["id"], r["updated_at"].isoformat()] for r in rows] + list(previous)
    return [pair for pair in pairs if pair[1] >= start]


def _watermark(rows: list[dict[str, Any]], previous: str | None) -> str:
    moments = [r["updated_at"] for r in rows]
    if previous is not None:
        moments.append(datetime.fromisoformat(previous))
    return max(moments, default=datetime(1970, 1, 1)).isoformat()


def _fresh(state: dict[str, Any]) -> bool:
    return time.time() - float(state["built"]) < VOCABULARY_REBUILD_SECONDS


def _remember(tenant_id: int, version: int | None, state: dict[str, Any]) -> Vocabulary:
    words = Vocabulary.from_counts(state["words"])
    _vocabulary_memo.put(tenant_id, version, (words, state))
    return words


def reset_memory() -> None:
    """Forget what this process holds (tests that rebuild data under the same version)."""
    _meta_memo.clear()
    _vocabulary_memo.clear()
