"""Catalogue caches, all keyed by the tenant's catalogue version.

`catalog_changed(tenant_id)` (catalog.service; called by every catalogue write after commit)
increments `t:<tenant>:catalog:version`.  Every cached listing page, facet cube, suggestion list
and the category/brand metadata live under keys carrying that version, so one INCR makes all
of them stale at once, with nothing to enumerate or delete; the old entries expire on their
short TTLs.  A write that forgets to bump the version is still seen after at most the TTL.

Three layers:
- Redis, shared by every container: answers (page, cube, suggestions) for RESPONSE_TTL seconds.
- Process memory (a warm Lambda container): the metadata and the search vocabulary, valid while
  the version is unchanged (and for at most MEMO_MAX_AGE, against a lost version bump).
- MySQL, the truth.
Redis down: the version reads as None and everything is loaded from MySQL (logged, never an
error), like platform.cache.get_or_load.
"""
from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from chalicelib.platform import cache

T = TypeVar("T")

RESPONSE_TTL = 60
SUGGEST_TTL = 300
META_TTL = 300
MEMO_MAX_AGE = 60.0
# Switch for measurements: False answers every listing from MySQL (bench: uncached cases).
responses_enabled = True


def version_key(tenant_id: int) -> str:
    return cache.tenant_key(tenant_id, "catalog", "version")


def current_version(tenant_id: int) -> int | None:
    """The tenant's catalogue version; None when Redis is unreachable (then nothing is cached).
    A missing key (first use, or evicted) starts at the clock in ms, so a restarted count can
    never meet keys of an earlier life of the same number."""
    client = cache.redis_client()
    key = version_key(tenant_id)
    try:
        raw = client.get(key)
        if raw is None:
            client.set(key, int(time.time() * 1000), nx=True)
            raw = client.get(key)
    except cache.redis_errors():
        _outage(key)
        return None
    return int(raw) if raw is not None else None


def bump(tenant_id: int) -> None:
    cache.redis_client().incr(version_key(tenant_id))


def key(tenant_id: int, version: int, kind: str, params: Any) -> str:
    digest = hashlib.sha1(json.dumps(params, sort_keys=True, default=str).encode(), usedforsecurity=False)
    return cache.tenant_key(tenant_id, "catalog", f"v{version}", kind, digest.hexdigest()[:24])


def cached(tenant_id: int, version: int | None, kind: str, params: Any, ttl: int,
           loader: Callable[[], T]) -> T:
    """Cache-aside under the version; straight to the loader when versions are unknown or
    responses are switched off."""
    if version is None or not responses_enabled:
        return loader()
    return cache.get_or_load(key(tenant_id, version, kind, params), ttl, loader)  # type: ignore[return-value]


@dataclass
class _Entry(Generic[T]):
    version: int | None
    at: float
    value: T


class Memo(Generic[T]):
    """Per-tenant values held by this process for one catalogue version."""

    def __init__(self, max_age: float = MEMO_MAX_AGE) -> None:
        self.max_age = max_age
        self._entries: dict[int, _Entry[T]] = {}
        self._lock = threading.Lock()

    def get(self, tenant_id: int, version: int | None) -> T | None:
        entry = self._entries.get(tenant_id)
        if entry is None or time.monotonic() - entry.at > self.max_age:
            return None
        if version is not None and entry.version != version:
            return None
        return entry.value

    def last(self, tenant_id: int) -> T | None:
        entry = self._entries.get(tenant_id)
        return None if entry is None else entry.value

    def put(self, tenant_id: int, version: int | None, value: T) -> T:
        with self._lock:
            self._entries[tenant_id] = _Entry(version, time.monotonic(), value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def redis_get(key_: str) -> Any:
    try:
        raw = cache.redis_client().get(key_)
    except cache.redis_errors():
        _outage(key_)
        return None
    return None if raw is None else cache.loads(raw)


def redis_set(key_: str, value: Any, ttl: int) -> None:
    try:
        cache.redis_client().set(key_, cache.dumps(value), ex=ttl)
    except cache.redis_errors():
        _outage(key_)


def _outage(key_: str) -> None:
    from chalicelib.platform.logging import get_logger

    get_logger("catalog.cache").warning("redis unavailable, reading through", extra={"cache_key": key_})
