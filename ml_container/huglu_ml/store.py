"""Redis access. Every key is tenant-scoped: ``ml:{tenant}:...`` (the API's keys never start with ``ml:``)."""

from __future__ import annotations

import json
import time
from functools import lru_cache
from typing import Any

import redis

from huglu_ml.config import get_settings

RECENT_ITEMS = 20  # live items kept per user / device
SESSION_EVENTS = 200  # events kept per live session
SESSION_TTL_S = 2 * 3600
EPM_TTL_S = 3 * 3600
SEEN_TTL_S = 7 * 24 * 3600


@lru_cache(maxsize=1)
def client() -> redis.Redis:
    return redis.Redis.from_url(get_settings().redis_url, decode_responses=True, socket_timeout=2)


def key(tenant_id: int, *parts: object) -> str:
    return ":".join(["ml", str(int(tenant_id)), *(str(p) for p in parts)])


def ping() -> bool:
    try:
        return bool(client().ping())
    except Exception:  # noqa: BLE001 - health reports any failure as false
        return False


# ------------------------------------------------------------------------------------------ counters
def count_event(tenant_id: int, at_epoch: float) -> None:
    minute = int(at_epoch // 60)
    pipe = client().pipeline()
    pipe.incr(key(tenant_id, "epm", minute))
    pipe.expire(key(tenant_id, "epm", minute), EPM_TTL_S)
    pipe.incr(key(tenant_id, "events_total"))
    pipe.execute()


def events_per_minute(tenant_id: int, minutes: int = 15, now: float | None = None) -> list[tuple[int, int]]:
    """(minute epoch, count) for the last ``minutes`` minutes, oldest first."""
    current = int((now or time.time()) // 60)
    span = list(range(current - minutes + 1, current + 1))
    values = client().mget([key(tenant_id, "epm", m) for m in span])
    return [(m, int(v or 0)) for m, v in zip(span, values, strict=True)]


def events_total(tenant_id: int) -> int:
    return int(client().get(key(tenant_id, "events_total")) or 0)


# ------------------------------------------------------------------------------------- live features
def push_recent_item(tenant_id: int, subject: str, product_id: int) -> None:
    """Most recent first, de-duplicated, for the user (``user:<id>``) or device (``device:<id>``)."""
    k = key(tenant_id, "recent", subject)
    pipe = client().pipeline()
    pipe.lrem(k, 0, str(product_id))
    pipe.lpush(k, str(product_id))
    pipe.ltrim(k, 0, RECENT_ITEMS - 1)
    pipe.expire(k, 30 * 24 * 3600)
    pipe.execute()


def recent_items(tenant_id: int, subjects: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for subject in subjects:
        for item in client().lrange(key(tenant_id, "recent", subject), 0, RECENT_ITEMS - 1):
            seen.setdefault(item, None)
    return list(seen)


def push_session_event(tenant_id: int, session_id: str, event: dict[str, Any], at_epoch: float) -> None:
    k = key(tenant_id, "session", session_id)
    pipe = client().pipeline()
    pipe.rpush(k, json.dumps(event, default=str))
    pipe.ltrim(k, -SESSION_EVENTS, -1)
    pipe.expire(k, SESSION_TTL_S)
    if event.get("device_id"):
        pipe.set(key(tenant_id, "device_session", str(event["device_id"])[:128]), session_id, ex=SESSION_TTL_S)
    pipe.zadd(key(tenant_id, "sessions"), {session_id: at_epoch})
    pipe.zremrangebyscore(key(tenant_id, "sessions"), 0, at_epoch - SESSION_TTL_S)
    pipe.execute()


def session_events(tenant_id: int, session_id: str) -> list[dict[str, Any]]:
    return [json.loads(x) for x in client().lrange(key(tenant_id, "session", session_id), 0, -1)]


def device_session(tenant_id: int, device_id: str) -> str | None:
    return client().get(key(tenant_id, "device_session", device_id))


def live_sessions(tenant_id: int, limit: int) -> list[str]:
    """Sessions seen in the last two hours, most recent first."""
    cutoff = time.time() - SESSION_TTL_S
    return list(client().zrevrangebyscore(key(tenant_id, "sessions"), "+inf", cutoff, start=0, num=limit))


def push_history(tenant_id: int, subject: str, event: dict[str, Any], keep: int = 100) -> list[dict[str, Any]]:
    """Append a server event to a subject's recent history (for burst features) and return the history."""
    k = key(tenant_id, "hist", subject)
    pipe = client().pipeline()
    pipe.rpush(k, json.dumps(event, default=str))
    pipe.ltrim(k, -keep, -1)
    pipe.expire(k, 24 * 3600)
    pipe.lrange(k, 0, -1)
    return [json.loads(x) for x in pipe.execute()[-1]]


# ------------------------------------------------------------------------------------- idempotency
def seen(tenant_id: int, event_id: str) -> bool:
    return bool(client().exists(key(tenant_id, "seen", event_id)))


def mark_seen(tenant_id: int, event_id: str) -> None:
    client().set(key(tenant_id, "seen", event_id), "1", ex=SEEN_TTL_S)


# ---------------------------------------------------------------------------------------------- jobs
def save_job(tenant_id: int, job_id: str, doc: dict[str, Any]) -> None:
    client().set(key(tenant_id, "job", job_id), json.dumps(doc, default=str), ex=7 * 24 * 3600)


def load_job(tenant_id: int, job_id: str) -> dict[str, Any] | None:
    raw = client().get(key(tenant_id, "job", job_id))
    return json.loads(raw) if raw else None


def publish(tenant_id: int, message: dict[str, Any]) -> None:
    client().publish(key(tenant_id, "insights"), json.dumps(message, default=str))
