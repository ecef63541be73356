"""Sessions in Redis: the seed's "session check" for signed-in requests.

A session is one refresh-token family (its id is the `sid` claim of every access token it
issues).  Redis holds `sess:<tenant>:<sid>` while the session lives and a per-user set of sids,
so a user can list their devices and sign others out, and a revoked session's access tokens
stop working at once instead of after their 15 minutes.  MySQL (refresh_tokens) stays the
source of truth for refreshing; Redis is the fast check.  If Redis is down the check fails
open (logged): the token's signature and expiry still hold.
"""
from __future__ import annotations

import json
import time
from typing import Any

from . import cache
from .logging import get_logger

log = get_logger("sessions")


def _key(tenant_id: int, sid: str) -> str:
    return f"sess:{tenant_id}:{sid}"


def _user_key(tenant_id: int, user_id: int) -> str:
    return f"usess:{tenant_id}:{user_id}"


def create(tenant_id: int, user_id: int, sid: str, ttl_seconds: int, info: dict[str, Any]) -> None:
    record = {"user_id": user_id, "created_at": int(time.time()), **info}
    pipe = cache.redis_client().pipeline()
    pipe.set(_key(tenant_id, sid), cache.dumps(record), ex=ttl_seconds)
    pipe.sadd(_user_key(tenant_id, user_id), sid)
    pipe.expire(_user_key(tenant_id, user_id), ttl_seconds)
    pipe.execute()


def touch(tenant_id: int, sid: str, ttl_seconds: int, **changes: Any) -> None:
    """Extend a session on refresh and record when it was last used."""
    redis = cache.redis_client()
    raw = redis.get(_key(tenant_id, sid))
    if raw is None:
        return
    record = {**json.loads(raw), **changes, "last_used_at": int(time.time())}
    redis.set(_key(tenant_id, sid), cache.dumps(record), ex=ttl_seconds)


def is_active(tenant_id: int, sid: str | None) -> bool:
    if sid is None:
        return False
    try:
        return bool(cache.redis_client().exists(_key(tenant_id, sid)))
    except cache.redis_errors():
        log.error("redis unavailable, session check skipped")
        return True


def revoke(tenant_id: int, user_id: int, sids: list[str]) -> None:
    if not sids:
        return
    pipe = cache.redis_client().pipeline()
    pipe.delete(*[_key(tenant_id, s) for s in sids])
    pipe.srem(_user_key(tenant_id, user_id), *sids)
    pipe.execute()


def list_for_user(tenant_id: int, user_id: int) -> list[dict[str, Any]]:
    redis = cache.redis_client()
    sids = sorted(s.decode() for s in redis.smembers(_user_key(tenant_id, user_id)))
    if not sids:
        return []
    values = redis.mget([_key(tenant_id, s) for s in sids])
    alive, gone = [], []
    for sid, raw in zip(sids, values, strict=True):
        if raw is None:
            gone.append(sid)
        else:
            alive.append({"id": sid, **json.loads(raw)})
    if gone:
        redis.srem(_user_key(tenant_id, user_id), *gone)
    return alive


def revoke_all(tenant_id: int, user_id: int, *, except_sid: str | None = None) -> list[str]:
    sids = [s["id"] for s in list_for_user(tenant_id, user_id) if s["id"] != except_sid]
    revoke(tenant_id, user_id, sids)
    return sids
