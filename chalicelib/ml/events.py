"""Events to the ML service: one JSON message per event on the "events" queue.

    {"id", "type", "tenant_id", "at" (ISO-8601 UTC), "user_id", "device_id", "session_id", "payload"}

Losing one is harmless (a recommendation a little less fresh, one event fewer in a feature), a
failed checkout or login because SQS hiccuped is not: sending never raises, it logs.  Inside a
transaction the messages leave after the commit (uow.on_commit), never from an open one.  A
guest's product views are also kept briefly in Redis (its own recent views), so the popularity
fallback can still answer "for you" with the categories it looked at.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from chalicelib.platform import queue
from chalicelib.platform.cache import redis_client, tenant_key
from chalicelib.platform.db import UnitOfWork
from chalicelib.platform.logging import get_logger

QUEUE = "events"
APP_TYPES = frozenset({"product_view", "search", "add_to_cart", "screen"})
SERVER_TYPES = frozenset({"order_placed", "order_status_changed", "payment_attempt", "login", "refund_requested"})
TYPES = APP_TYPES | SERVER_TYPES
RECENT_VIEWS = 20  # per device, for the guest fallback
RECENT_TTL_SECONDS = 7 * 24 * 3600
log = get_logger("ml.events")


def iso(at: dt.datetime | None) -> str:
    at = at or dt.datetime.now(dt.UTC)
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def message(tenant_id: int, event_type: str, payload: dict[str, Any], *, user_id: int | None = None,
            device_id: str | None = None, session_id: str | None = None, at: dt.datetime | None = None,
            event_id: str | None = None) -> dict[str, Any]:
    if event_type not in TYPES:
        raise ValueError(f"unknown ML event type {event_type!r}")
    return {"id": event_id or uuid.uuid4().hex, "type": event_type, "tenant_id": tenant_id, "at": iso(at),
            "user_id": user_id, "device_id": device_id, "session_id": session_id, "payload": payload}


def publish(messages: list[dict[str, Any]], uow: UnitOfWork | None = None) -> None:
    """Inside a transaction (orders, payments, a sign-in's session): an outbox row each, published by
    the relay (deferred: the request pays one INSERT, no SQS call; the service hears of it within
    a minute or two).  Outside one (the app's activity, a failed sign-in): sent now, best effort."""
    if not messages:
        return
    if uow is not None:
        from chalicelib.platform import outbox

        for m in messages:
            outbox.add(uow, m["tenant_id"], m["type"], m, queue=QUEUE, deferred=True)
        uow.on_commit(lambda: _remember_views(messages))
    else:
        _send(messages)


def _send(messages: list[dict[str, Any]]) -> None:
    try:
        queue.send_batch(QUEUE, messages)
    except Exception:  # noqa: BLE001 - best effort by design (module docstring)
        log.warning("could not send ML events", extra={"count": len(messages),
                                                       "types": sorted({m["type"] for m in messages})})
    _remember_views(messages)


def _remember_views(messages: Iterable[dict[str, Any]]) -> None:
    views = [m for m in messages if m["type"] == "product_view" and m.get("device_id")
             and isinstance(m["payload"].get("product_id"), int)]
    if not views:
        return
    try:
        pipe = redis_client().pipeline(transaction=False)
        for m in views:
            key = recent_key(m["tenant_id"], m["device_id"])
            pipe.lrem(key, 0, m["payload"]["product_id"])
            pipe.lpush(key, m["payload"]["product_id"])
            pipe.ltrim(key, 0, RECENT_VIEWS - 1)
            pipe.expire(key, RECENT_TTL_SECONDS)
        pipe.execute()
    except Exception:  # noqa: BLE001 - an accelerator of the fallback only
        log.warning("could not keep recent views")


def recent_key(tenant_id: int, device_id: str) -> str:
    return tenant_key(tenant_id, "ml", "recent", device_id)


def recent_views(tenant_id: int, device_id: str, limit: int = RECENT_VIEWS) -> list[int]:
    try:
        return [int(v) for v in redis_client().lrange(recent_key(tenant_id, device_id), 0, limit - 1)]
    except Exception:  # noqa: BLE001 - no recent views is a valid answer
        return []
