"""Live users: the rules between the app's calls, the presence store and the pushes to staff.

Plain values in, plain values out; Redis is the only store (presence.py, activity.py), so there
is no unit of work here.  Times are epoch seconds, passed in so tests can move the clock.
"""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.platform.config import settings

from . import activity, presence, push
from .activity import Activity
from .presence import Presence

HEARTBEAT_SECONDS = 30  # the app's beat; the TTL (settings) is three beats by default
# Activity the app sends late (a batch kept while offline) is kept up to this age; older is dropped.
MAX_EVENT_AGE_SECONDS = 24 * 3600
MAX_EVENT_FUTURE_SECONDS = 300  # device clocks run ahead; further is a broken clock: dropped


def ttl() -> int:
    return settings().live_presence_ttl_seconds


@dataclass(frozen=True)
class Client:
    """Who calls: the device always, the user when signed in (else a guest)."""

    device_id: str
    user_id: int | None


def register(tenant_id: int, client: Client, platform: str, app_version: str, screen: str | None,
             now: float) -> Presence:
    record = Presence(device_id=client.device_id, kind="user" if client.user_id else "guest",
                      user_id=client.user_id, platform=platform, app_version=app_version, screen=screen,
                      since=now, last_seen=now)
    previous = presence.put(tenant_id, record, ttl(), now)
    if previous is not None:  # already online (the app restarted, or signed in): same session
        record = Presence(**{**record.__dict__, "since": previous.since})
        presence.put(tenant_id, record, ttl(), now)
    kind = "updated" if previous is not None else "appeared"
    if previous is None or _differs(previous, record):
        push.broadcast(tenant_id, push.event(kind, client.device_id, record,
                                             presence.count_online(tenant_id, now), now))
    return record


def _differs(a: Presence, b: Presence) -> bool:
    return (a.kind, a.user_id, a.platform, a.app_version, a.screen) != (b.kind, b.user_id, b.platform,
                                                                         b.app_version, b.screen)


def heartbeat(tenant_id: int, client: Client, screen: str | None, now: float) -> bool:
    """False when the presence is gone (expired, or swept): the app registers again."""
    if not presence.extend(tenant_id, client.device_id, ttl(), now):
        return False
    if screen is not None:
        _screen_changed(tenant_id, client.device_id, screen, now)
    return True


def unregister(tenant_id: int, client: Client, now: float) -> bool:
    ended = presence.remove(tenant_id, client.device_id)
    if ended is None:
        return False
    push.broadcast(tenant_id, push.event("left", client.device_id, ended,
                                         presence.count_online(tenant_id, now), now, reason="unregister"))
    return True


def log_activity(tenant_id: int, client: Client, events: list[Activity], now: float) -> tuple[int, int]:
    """(kept, dropped).  The newest screen event becomes the presence's screen."""
    kept = [e for e in events
            if now - MAX_EVENT_AGE_SECONDS <= e.at.timestamp() <= now + MAX_EVENT_FUTURE_SECONDS]
    kept.sort(key=lambda e: e.at)
    if kept:
        activity.append(tenant_id, client.device_id, kept)
        presence.touch_minute(tenant_id, client.device_id, now)
        screens = [e for e in kept if e.type == "screen" and e.screen]
        if screens:
            _screen_changed(tenant_id, client.device_id, str(screens[-1].screen), now)
        _to_ml(tenant_id, client, kept)
    return len(kept), len(events) - len(kept)


def _to_ml(tenant_id: int, client: Client, events: list[Activity]) -> None:
    """The events the ML service learns from (screens, product views, searches, adds to cart);
    other actions stay in the device's stream only.  Sending never fails the call (ml.api)."""
    from chalicelib.ml import api as ml  # on first use: the live function's cold start stays as it was

    out = []
    for e in events:
        payload: dict[str, object] | None = None
        if e.type == "screen" and e.screen:
            kind, payload = "screen", {"screen": e.screen}
        elif e.name in ("product_view", "add_to_cart") and e.product_id is not None:
            kind, payload = str(e.name), {"product_id": e.product_id, "screen": e.screen}
            if kind == "add_to_cart":
                payload["quantity"] = 1
        elif e.name == "search" and e.query:
            kind, payload = "search", {"query": e.query, "screen": e.screen}
        if payload is not None:
            out.append(ml.Event(type=kind, at=e.at, user_id=client.user_id, device_id=client.device_id,
                                payload=payload))
    if out:
        ml.record_events(tenant_id, out)


def _screen_changed(tenant_id: int, device_id: str, screen: str, now: float) -> None:
    updated = presence.set_screen(tenant_id, device_id, screen, now)
    if updated is not None:
        push.broadcast(tenant_id, push.event("screen", device_id, updated,
                                             presence.count_online(tenant_id, now), now))


@dataclass(frozen=True)
class Overview:
    online: int
    users: list[Presence]
    per_minute: list[tuple[int, int]]


def overview(tenant_id: int, now: float, hours: int, limit: int) -> Overview:
    total, users = presence.online(tenant_id, now, limit)
    return Overview(total, users, presence.per_minute(tenant_id, now, hours))


def sweep(now: float, tenant_id: int | None = None) -> int:
    """Presences that ended without an unregister (the app was killed, the phone lost signal):
    each is removed once and reported to its tenant's staff as left (reason "expired").
    `tenant_id`: sweep that tenant only (tests)."""
    left = 0
    while True:
        claimed = presence.claim_expired(now, tenant_id=tenant_id)
        for owner, device_id, record in claimed:
            push.broadcast(owner, push.event("left", device_id, record,
                                             presence.count_online(owner, now), now, reason="expired"))
        left += len(claimed)
        if len(claimed) < 500:
            return left


def snapshot(tenant_id: int, now: float, limit: int = 500) -> dict[str, object]:
    total, users = presence.online(tenant_id, now, limit)
    return {"type": "snapshot", "online": total, "users": [push.user_view(u) for u in users],
            "truncated": total > len(users), "at": push.iso(now)}
