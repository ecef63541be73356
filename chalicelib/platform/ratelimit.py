"""Rate limiting in Redis: a sliding-window counter, checked and counted atomically in Lua.

The window is approximated from two fixed windows (the current count plus the previous one,
weighted by how much of it still overlaps), the scheme Cloudflare and NGINX use: smooth at
window edges, two small keys per client, one round trip per request for all limits at once.

Policy (who is a client, which limits apply) lives in the middleware; this module only counts.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from .cache import redis_client, redis_errors

_LUA = """
-- KEYS: (current window key, previous window key) per limit
-- ARGV: limit, window_ms, elapsed_ms_in_current_window per limit; then 1 to count, 0 to only look
local n = #KEYS / 2
local worst_wait, blocked = 0, false
for i = 1, n do
  local limit = tonumber(ARGV[i * 3 - 2])
  local window = tonumber(ARGV[i * 3 - 1])
  local elapsed = tonumber(ARGV[i * 3])
  local cur = tonumber(redis.call('GET', KEYS[i * 2 - 1]) or '0')
  local prev = tonumber(redis.call('GET', KEYS[i * 2]) or '0')
  if prev * (window - elapsed) / window + cur + 1 > limit then
    blocked = true
    local wait
    if cur + 1 > limit then
      wait = window - elapsed
    else
      wait = window * (1 - (limit - 1 - cur) / prev) - elapsed
    end
    if wait > worst_wait then worst_wait = wait end
  end
end
if blocked then return {0, math.ceil(worst_wait)} end
if ARGV[n * 3 + 1] == '0' then return {1, 0} end
for i = 1, n do
  if redis.call('INCR', KEYS[i * 2 - 1]) == 1 then
    redis.call('PEXPIRE', KEYS[i * 2 - 1], tonumber(ARGV[i * 3 - 1]) * 2)
  end
end
return {1, 0}
"""

_script: Any = None


@dataclass(frozen=True)
class Limit:
    key: str  # identifies the counter: tenant, bucket and client
    limit: int
    window_seconds: int


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int  # seconds; 0 when allowed


def check(limits: list[Limit], now: float | None = None, *, count: bool = True) -> Decision:
    """Count one request against every limit, or none of them if any is exhausted.  With
    count=False only look: whether one more would be allowed (limits on failed attempts look
    before the attempt and count only the failures)."""
    global _script
    if not limits:
        return Decision(True, 0)
    client = redis_client()
    if _script is None or _script.registered_client is not client:  # a new client (config change)
        _script = client.register_script(_LUA)
    now_ms = int((now if now is not None else time.time()) * 1000)
    keys: list[str] = []
    args: list[int] = []
    for lim in limits:
        window_ms = lim.window_seconds * 1000
        index = now_ms // window_ms
        keys += [f"rl:{lim.key}:{index}", f"rl:{lim.key}:{index - 1}"]
        args += [lim.limit, window_ms, now_ms - index * window_ms]
    args.append(1 if count else 0)
    try:
        allowed, wait_ms = _script(keys=keys, args=args)
    except redis_errors():
        # Fail open: a Redis outage must not take the shop down; it is logged and alerted on.
        from .logging import get_logger

        get_logger("ratelimit").error("redis unavailable, rate limit not enforced")
        return Decision(True, 0)
    if allowed:
        return Decision(True, 0)
    return Decision(False, max(1, math.ceil(int(wait_ms) / 1000)))
