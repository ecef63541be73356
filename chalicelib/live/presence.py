"""Presence of app clients in Redis: who is online, on which screen, and how many per minute.

Keys (tenant-scoped through cache.tenant_key, so tenants never meet):
    t:{tid}:live:p:{device}   the presence record (JSON), kept 2 × TTL so a late sweep can still
                              say who left
    t:{tid}:live:online       sorted set device → expires-at (epoch s): online = score > now
    live:expiry               sorted set "{tid}|{device}" → expires-at, across tenants: what the
                              sweep scans for presences that ended without an unregister
    t:{tid}:live:m:{minute}   HyperLogLog of the devices seen in that minute (register, heartbeat,
                              activity), kept 25 h: the per-minute counts (an estimate, ±0.81 %)

Every change is one Lua script, so a heartbeat racing the sweep either extends a live presence
or finds it gone (the app then registers again), and exactly one caller reports each departure.
The scripts name every key they touch (KEYS), so they also run on a clustered Redis as long as
a tenant's keys and live:expiry share a slot (hash tags) - here, one primary.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import Any

from chalicelib.platform.cache import redis_client, tenant_key

EXPIRY_INDEX = "live:expiry"
MINUTE_KEEP_SECONDS = 25 * 3600

_REGISTER = """
local old = redis.call('ZSCORE', KEYS[2], ARGV[2])
local was = 0
if old and tonumber(old) > tonumber(ARGV[5]) then was = 1 end
local prev = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[6])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[3])
redis.call('PFADD', KEYS[4], ARGV[2])
redis.call('EXPIRE', KEYS[4], ARGV[7])
if was == 1 and prev then return {1, prev} end
return {0, ''}
"""

_HEARTBEAT = """
local old = redis.call('ZSCORE', KEYS[2], ARGV[1])
if (not old) or tonumber(old) <= tonumber(ARGV[4]) then return 0 end
if redis.call('PEXPIRE', KEYS[1], ARGV[5]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
redis.call('PFADD', KEYS[4], ARGV[1])
redis.call('EXPIRE', KEYS[4], ARGV[6])
return 1
"""

_SET_SCREEN = """
local old = redis.call('ZSCORE', KEYS[2], ARGV[1])
if (not old) or tonumber(old) <= tonumber(ARGV[2]) then return false end
local raw = redis.call('GET', KEYS[1])
if not raw then return false end
local rec = cjson.decode(raw)
if rec['screen'] == ARGV[3] then return false end
rec['screen'] = ARGV[3]
rec['last_seen'] = tonumber(ARGV[2])
local out = cjson.encode(rec)
redis.call('SET', KEYS[1], out, 'KEEPTTL')
return out
"""

_UNREGISTER = """
local removed = redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[2])
local prev = redis.call('GET', KEYS[1])
redis.call('DEL', KEYS[1])
if removed == 1 and prev then return prev end
return false
"""

_CLAIM_EXPIRED = """
local g = redis.call('ZSCORE', KEYS[1], ARGV[1])
if (not g) or tonumber(g) > tonumber(ARGV[3]) then return false end
redis.call('ZREM', KEYS[1], ARGV[1])
local z = redis.call('ZSCORE', KEYS[2], ARGV[2])
if (not z) or tonumber(z) > tonumber(ARGV[3]) then return false end
redis.call('ZREM', KEYS[2], ARGV[2])
local raw = redis.call('GET', KEYS[3])
redis.call('DEL', KEYS[3])
return raw or '{}'
"""

_scripts: dict[str, Any] = {}


def _script(source: str) -> Any:
    client = redis_client()
    script = _scripts.get(source)
    if script is None or script.registered_client is not client:
        script = _scripts[source] = client.register_script(source)
    return script


@dataclass(frozen=True)
class Presence:
    device_id: str
    kind: str  # "user" | "guest"
    user_id: int | None
    platform: str
    app_version: str
    screen: str | None
    since: float
    last_seen: float

    def dumps(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def loads(cls, raw: bytes | str) -> Presence:
        data = json.loads(raw)
        user_id = data.get("user_id")
        return cls(device_id=str(data["device_id"]), kind=str(data["kind"]),
                   user_id=int(user_id) if isinstance(user_id, int | float) else None,
                   platform=str(data["platform"]), app_version=str(data["app_version"]),
                   screen=data.get("screen") if isinstance(data.get("screen"), str) else None,
                   since=float(data["since"]), last_seen=float(data["last_seen"]))


def _keys(tenant_id: int, device_id: str) -> tuple[str, str, str]:
    return (tenant_key(tenant_id, "live", "p", device_id), tenant_key(tenant_id, "live", "online"),
            f"{tenant_id}|{device_id}")


def minute_key(tenant_id: int, minute: int) -> str:
    return tenant_key(tenant_id, "live", "m", minute)


def put(tenant_id: int, presence: Presence, ttl: int, now: float) -> Presence | None:
    """Store the presence; the record it replaced when the device was online already, else None."""
    pkey, zkey, member = _keys(tenant_id, presence.device_id)
    was, prev = _script(_REGISTER)(
        keys=[pkey, zkey, EXPIRY_INDEX, minute_key(tenant_id, int(now // 60))],
        args=[presence.dumps(), presence.device_id, member, now + ttl, now, ttl * 2000, MINUTE_KEEP_SECONDS])
    return Presence.loads(prev) if int(was) == 1 else None


def extend(tenant_id: int, device_id: str, ttl: int, now: float) -> bool:
    """Heartbeat: push the expiry out; False when the presence is gone (expired or never made)."""
    pkey, zkey, member = _keys(tenant_id, device_id)
    return bool(_script(_HEARTBEAT)(
        keys=[pkey, zkey, EXPIRY_INDEX, minute_key(tenant_id, int(now // 60))],
        args=[device_id, member, now + ttl, now, ttl * 2000, MINUTE_KEEP_SECONDS]))


def set_screen(tenant_id: int, device_id: str, screen: str, now: float) -> Presence | None:
    """The updated presence when the screen changed; None when unchanged or not online."""
    pkey, zkey, _ = _keys(tenant_id, device_id)
    raw = _script(_SET_SCREEN)(keys=[pkey, zkey], args=[device_id, now, screen])
    return Presence.loads(raw) if raw else None


def remove(tenant_id: int, device_id: str) -> Presence | None:
    """Unregister: the presence that ended, or None when it was not online."""
    pkey, zkey, member = _keys(tenant_id, device_id)
    raw = _script(_UNREGISTER)(keys=[pkey, zkey, EXPIRY_INDEX], args=[device_id, member])
    return Presence.loads(raw) if raw else None


def touch_minute(tenant_id: int, device_id: str, now: float) -> None:
    key = minute_key(tenant_id, int(now // 60))
    pipe = redis_client().pipeline(transaction=False)
    pipe.pfadd(key, device_id)
    pipe.expire(key, MINUTE_KEEP_SECONDS)
    pipe.execute()


def claim_expired(now: float, limit: int = 500, tenant_id: int | None = None) -> list[tuple[int, str, Presence | None]]:
    """Presences past their expiry, each removed and returned to exactly one caller:
    (tenant id, device id, the record when still readable).  `tenant_id`: that tenant's only
    (tests, which share one Redis with other test sessions)."""
    client = redis_client()
    if tenant_id is None:
        due = client.zrangebyscore(EXPIRY_INDEX, "-inf", now, start=0, num=limit)
    else:
        due = [f"{tenant_id}|{d.decode()}".encode() for d in client.zrangebyscore(
            tenant_key(tenant_id, "live", "online"), "-inf", now, start=0, num=limit)]
    claimed: list[tuple[int, str, Presence | None]] = []
    for raw_member in due:
        member = raw_member.decode()
        tid_text, _, device_id = member.partition("|")
        owner = int(tid_text)
        pkey, zkey, _ = _keys(owner, device_id)
        raw = _script(_CLAIM_EXPIRED)(keys=[EXPIRY_INDEX, zkey, pkey], args=[member, device_id, now])
        if raw is None:
            continue  # extended or unregistered meanwhile
        try:
            record = Presence.loads(raw) if raw not in (b"{}", "{}") else None
        except (ValueError, KeyError):
            record = None
        claimed.append((owner, device_id, record))
    return claimed


def online(tenant_id: int, now: float, limit: int) -> tuple[int, list[Presence]]:
    """(how many are online, up to `limit` of them, longest online first)."""
    client = redis_client()
    zkey = tenant_key(tenant_id, "live", "online")
    pipe = client.pipeline(transaction=False)
    pipe.zcount(zkey, f"({now}", "+inf")
    pipe.zrangebyscore(zkey, f"({now}", "+inf", start=0, num=limit)
    total, devices = pipe.execute()
    if not devices:
        return int(total), []
    raws = client.mget([tenant_key(tenant_id, "live", "p", d.decode()) for d in devices])
    found = [Presence.loads(r) for r in raws if r]
    found.sort(key=lambda p: (p.since, p.device_id))
    return int(total), found


def count_online(tenant_id: int, now: float) -> int:
    return int(redis_client().zcount(tenant_key(tenant_id, "live", "online"), f"({now}", "+inf"))


def per_minute(tenant_id: int, now: float, hours: int) -> list[tuple[int, int]]:
    """(minute since the epoch, devices seen) for each minute of the last `hours`, oldest first."""
    last = int(now // 60)
    minutes = list(range(last - hours * 60 + 1, last + 1))
    pipe = redis_client().pipeline(transaction=False)
    for minute in minutes:
        pipe.pfcount(minute_key(tenant_id, minute))
    return list(zip(minutes, (int(c) for c in pipe.execute()), strict=True))


def now() -> float:
    return time.time()
