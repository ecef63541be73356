"""A circuit breaker shared by every Lambda through Redis (nothing in the platform does this yet).

    closed     calls go through; each failure counts in a fixed window of WINDOW_SECONDS
    open       FAILURES failures within a window: no call goes out for COOL_DOWN_SECONDS
               (callers answer from the popularity fallback at once, instead of each waiting
               out the timeout against a service that is down)
    half-open  the cool-down is over: one caller (SET NX) sends a probe; its success closes the
               circuit, its failure opens it for another cool-down

Why Redis: a Lambda lives minutes and there are many of them; a breaker in process memory would
let every new instance pay the timeout again.  The keys are global, not tenant-scoped (the
service is one for every tenant) and carry a short hash of the service URL, so two deployments
(or two test sessions with their own fakes) sharing a Redis never trip each other.  A Redis
outage fails open: the breaker is an accelerator of failure, the timeout still bounds each call.

    ml:cb:{url-hash}:fail   failures in the current window (INCR, EXPIRE on the first)
    ml:cb:{url-hash}:open   present while open (PX = cool-down)
    ml:cb:{url-hash}:trip   present from opening until a probe succeeds (open or half-open)
    ml:cb:{url-hash}:probe  the half-open probe's claim (PX = PROBE_SECONDS)
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from chalicelib.platform.cache import redis_client, redis_errors
from chalicelib.platform.logging import get_logger

FAILURES = 5
WINDOW_SECONDS = 30
COOL_DOWN_SECONDS = 15
PROBE_SECONDS = 5  # longer than one call's timeout: a probe that hangs frees the claim itself

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"
log = get_logger("ml.breaker")


@dataclass(frozen=True)
class Breaker:
    name: str
    failures: int = FAILURES
    window_s: int = WINDOW_SECONDS
    cool_down_s: float = COOL_DOWN_SECONDS
    probe_s: float = PROBE_SECONDS

    @classmethod
    def for_url(cls, url: str) -> Breaker:
        return cls(hashlib.sha256(url.encode()).hexdigest()[:12], FAILURES, WINDOW_SECONDS, COOL_DOWN_SECONDS,
                   PROBE_SECONDS)

    def _key(self, part: str) -> str:
        return f"ml:cb:{self.name}:{part}"

    def state(self) -> str:
        try:
            redis = redis_client()
            if redis.exists(self._key("open")):
                return OPEN
            return HALF_OPEN if redis.exists(self._key("trip")) else CLOSED
        except redis_errors():
            return CLOSED

    def allow(self) -> bool:
        """May a call go out now?  In half-open, True for the one caller that claimed the probe."""
        try:
            redis = redis_client()
            if redis.exists(self._key("open")):
                return False
            if not redis.exists(self._key("trip")):
                return True
            return bool(redis.set(self._key("probe"), b"1", nx=True, px=int(self.probe_s * 1000)))
        except redis_errors():
            log.warning("redis unavailable: circuit breaker lets the call through")
            return True

    def success(self) -> None:
        try:
            redis = redis_client()
            if redis.exists(self._key("trip")):
                redis.delete(self._key("trip"), self._key("probe"), self._key("fail"), self._key("open"))
                log.info("ml circuit closed", extra={"breaker": self.name})
        except redis_errors():
            pass

    def failure(self) -> None:
        try:
            redis = redis_client()
            if redis.exists(self._key("trip")):  # the half-open probe failed: open again
                self._open(redis)
                return
            pipe = redis.pipeline()
            pipe.incr(self._key("fail"))
            pipe.expire(self._key("fail"), self.window_s, nx=True)
            count = int(pipe.execute()[0])
            if count >= self.failures:
                self._open(redis)
        except redis_errors():
            pass

    def _open(self, redis: object) -> None:
        pipe = redis.pipeline()  # type: ignore[attr-defined]
        pipe.set(self._key("open"), b"1", px=int(self.cool_down_s * 1000))
        pipe.set(self._key("trip"), b"1")
        pipe.delete(self._key("fail"), self._key("probe"))
        pipe.execute()
        log.warning("ml circuit opened", extra={"breaker": self.name})

    def reset(self) -> None:
        redis_client().delete(*(self._key(p) for p in ("fail", "open", "trip", "probe")))
