"""Redis helpers against the real Redis: cache-aside, invalidation, outage fallback, limits."""
from __future__ import annotations

import uuid
from decimal import Decimal

from chalicelib.platform import cache, ratelimit
from chalicelib.platform.config import reset_settings


def test_cache_aside_loads_once_and_keeps_decimals():
    key = cache.tenant_key(1, "test", uuid.uuid4().hex)
    calls = []

    def loader():
        calls.append(1)
        return {"price": Decimal("1249.90"), "name": "Şişme Yatak"}

    first = cache.get_or_load(key, 60, loader)
    second = cache.get_or_load(key, 60, loader)
    assert calls == [1]
    assert Decimal(second["price"]) == Decimal("1249.90") and second["name"] == "Şişme Yatak"
    assert first["price"] == Decimal("1249.90")
    cache.invalidate(key)
    cache.get_or_load(key, 60, loader)
    assert calls == [1, 1]


def test_none_is_not_cached():
    key = cache.tenant_key(1, "missing", uuid.uuid4().hex)
    calls = []
    assert cache.get_or_load(key, 60, lambda: calls.append(1)) is None
    assert cache.get_or_load(key, 60, lambda: calls.append(1)) is None
    assert calls == [1, 1]


def test_tenant_keys_never_collide():
    assert cache.tenant_key(1, "product", 5) != cache.tenant_key(2, "product", 5)


def test_redis_outage_reads_through(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    reset_settings()
    cache.reset_client()
    try:
        assert cache.get_or_load("k", 60, lambda: {"v": 1}) == {"v": 1}
        for _ in range(3):
            assert ratelimit.check([ratelimit.Limit(uuid.uuid4().hex, 1, 60)]).allowed  # fails open
    finally:
        monkeypatch.undo()
        reset_settings()
        cache.reset_client()
        ratelimit._script = None


def test_sliding_window_limits_and_retry_after():
    key = uuid.uuid4().hex
    now = 1_800_000_000.0  # aligned to a 100 s window boundary
    lim = [ratelimit.Limit(key, 3, 100)]
    assert [ratelimit.check(lim, now + i).allowed for i in range(4)] == [True, True, True, False]
    blocked = ratelimit.check(lim, now + 10)
    assert not blocked.allowed and blocked.retry_after == 90  # the current window still holds 3
    # Early in the next window the previous one still weighs: 3 * 0.9 + 0 + 1 > 3.
    assert not ratelimit.check(lim, now + 110).allowed
    # Late in the next window most of it has slid out: 3 * 0.2 + 1 <= 3.
    assert ratelimit.check(lim, now + 180).allowed


def test_multiple_limits_count_all_or_nothing():
    device, ip = uuid.uuid4().hex, uuid.uuid4().hex
    now = 1_800_000_000.0
    tight = [ratelimit.Limit(device, 1, 100), ratelimit.Limit(ip, 10, 100)]
    assert ratelimit.check(tight, now).allowed
    assert not ratelimit.check(tight, now + 1).allowed
    # The refused call did not count against the IP budget.
    assert cache.redis_client().get(f"rl:{ip}:{int(now * 1000) // 100000}") == b"1"


def test_looking_without_counting():
    """count=False answers whether one more would be allowed and counts nothing (limits on failed
    attempts look first and count only the failures)."""
    key = uuid.uuid4().hex
    now = 1_800_000_000.0
    lim = [ratelimit.Limit(key, 2, 100)]
    assert all(ratelimit.check(lim, now + i, count=False).allowed for i in range(5))
    assert cache.redis_client().get(f"rl:{key}:{int(now * 1000) // 100000}") is None
    assert ratelimit.check(lim, now).allowed and ratelimit.check(lim, now + 1).allowed
    looked = ratelimit.check(lim, now + 10, count=False)
    assert not looked.allowed and looked.retry_after == 90
