"""The registry of staff WebSocket connections, in Redis.

    live:conn:{connection id}   JSON {tenant_id, user_id, at}; expires CONNECTION_TTL after the last
                                message (API Gateway closes a connection after 2 h anyway, and
                                after 10 idle minutes: the panel pings every few minutes)
    t:{tid}:live:conns          set of the tenant's connection ids, expiring with the newest one

The set may hold ids whose record expired or whose socket is gone (a disconnect that never
reached us): `members` drops the first kind, a send answered "gone" (410) the second.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass

from chalicelib.platform.cache import redis_client, tenant_key

CONNECTION_TTL = 2 * 3600 + 60


@dataclass(frozen=True)
class Connection:
    connection_id: str
    tenant_id: int
    user_id: int


def _key(connection_id: str) -> str:
    return f"live:conn:{connection_id}"


def _set(tenant_id: int) -> str:
    return tenant_key(tenant_id, "live", "conns")


def add(connection_id: str, tenant_id: int, user_id: int) -> None:
    record = json.dumps({"tenant_id": tenant_id, "user_id": user_id, "at": time.time()})
    pipe = redis_client().pipeline(transaction=True)
    pipe.set(_key(connection_id), record, ex=CONNECTION_TTL)
    pipe.sadd(_set(tenant_id), connection_id)
    pipe.expire(_set(tenant_id), CONNECTION_TTL)
    pipe.execute()


def get(connection_id: str) -> Connection | None:
    raw = redis_client().get(_key(connection_id))
    if raw is None:
        return None
    data = json.loads(raw)
    return Connection(connection_id, int(data["tenant_id"]), int(data["user_id"]))


def touch(connection: Connection) -> None:
    pipe = redis_client().pipeline(transaction=False)
    pipe.expire(_key(connection.connection_id), CONNECTION_TTL)
    pipe.expire(_set(connection.tenant_id), CONNECTION_TTL)
    pipe.execute()


def remove(connection_id: str, tenant_id: int | None = None) -> None:
    client = redis_client()
    if tenant_id is None:
        found = get(connection_id)
        tenant_id = found.tenant_id if found else None
    pipe = client.pipeline(transaction=True)
    pipe.delete(_key(connection_id))
    if tenant_id is not None:
        pipe.srem(_set(tenant_id), connection_id)
    pipe.execute()


def members(tenant_id: int) -> list[str]:
    """The tenant's live connection ids (stale set members are dropped on the way)."""
    client = redis_client()
    ids = sorted(m.decode() for m in client.smembers(_set(tenant_id)))
    if not ids:
        return []
    records = client.mget([_key(i) for i in ids])
    alive, stale = [], []
    for connection_id, raw in zip(ids, records, strict=True):
        if raw is not None and int(json.loads(raw)["tenant_id"]) == tenant_id:
            alive.append(connection_id)
        else:
            stale.append(connection_id)
    if stale:
        client.srem(_set(tenant_id), *stale)
    return alive
