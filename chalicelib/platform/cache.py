"""Redis: the shared client, cache-aside with explicit invalidation, short-lived state.

`redis` is imported on first use (it costs ~120-170 ms of import on this machine), so a
function that never touches Redis never pays for it.  Values are JSON; Decimals round-trip
as strings and come back as Decimal through `parse_float`/the caller's schema.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from .config import settings

T = TypeVar("T")
_client: Any = None
_lock = threading.Lock()


def redis_client() -> Any:
    global _client
    if _client is None:
        with _lock:
            if _client is None:
                import redis  # lazy: see module docstring

                _client = redis.Redis.from_url(
                    settings().redis_url,
                    socket_connect_timeout=2,
                    socket_timeout=2,
                    health_check_interval=30,
                    decode_responses=False,
                )
    return _client


def reset_client() -> None:
    global _client
    _client = None


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        # Naive datetimes come from the database, whose session time zone is UTC: say so (RFC 3339).
        return value.isoformat() + "Z" if value.tzinfo is None else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return value.decode()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(value: Any) -> str:
    return json.dumps(value, default=_default, separators=(",", ":"), ensure_ascii=False)


def loads(raw: bytes | str) -> Any:
    return json.loads(raw, parse_float=Decimal)


def tenant_key(tenant_id: int, *parts: object) -> str:
    """Every tenant-owned cache key carries the tenant, so tenants can never collide."""
    return "t:%d:%s" % (tenant_id, ":".join(str(p) for p in parts))


def redis_errors() -> tuple[type[BaseException], ...]:
    import redis

    return (redis.RedisError, OSError)


def get_or_load(key: str, ttl_seconds: int, loader: Callable[[], T | None]) -> T | None:
    """Cache-aside: return the cached value, else load, store (when not None) and return it.

    A Redis outage degrades to reading through to the loader (logged), never to an error:
    the cache is an accelerator, MySQL is the truth.
    """
    client = redis_client()
    try:
        raw = client.get(key)
    except redis_errors():
        _log_outage(key)
        return loader()
    if raw is not None:
        return loads(raw)  # type: ignore[no-any-return]
    value = loader()
    if value is not None:
        try:
            client.set(key, dumps(value), ex=ttl_seconds)
        except redis_errors():
            _log_outage(key)
    return value


def _log_outage(key: str) -> None:
    from .logging import get_logger

    get_logger("cache").warning("redis unavailable, reading through", extra={"cache_key": key})


def invalidate(*keys: str) -> None:
    """Explicit invalidation; call it from `uow.on_commit` so readers never re-cache old rows."""
    if keys:
        redis_client().delete(*keys)
