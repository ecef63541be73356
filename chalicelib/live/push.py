"""Pushes to the tenant's connected staff: small JSON events, one per change.

    {"type": "appeared" | "updated" | "screen" | "left", "user": {...} | null, "device_id": "...",
     "reason": "unregister" | "expired" (left only), "online": 12, "at": "2026-12-06T17:45:07Z"}
    {"type": "snapshot", "users": [...], "online": 12, "at": ...}     (answer to {"action": "snapshot"})

A push never fails the request that caused it: a gone connection is dropped from the registry,
any other failure is logged and the next change or snapshot brings the panel up to date.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from chalicelib.platform.logging import get_logger

from . import connections
from .presence import Presence
from .senders import SendFailed, get_sender

log = get_logger("live.push")


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def user_view(p: Presence) -> dict[str, Any]:
    return {"device_id": p.device_id, "kind": p.kind, "user_id": p.user_id, "platform": p.platform,
            "app_version": p.app_version, "screen": p.screen, "since": iso(p.since), "last_seen": iso(p.last_seen)}


def event(kind: str, device_id: str, presence: Presence | None, online: int, now: float,
          reason: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": kind, "device_id": device_id,
                            "user": user_view(presence) if presence else None, "online": online, "at": iso(now)}
    if reason:
        body["reason"] = reason
    return body


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()


def send_to(connection_id: str, message: dict[str, Any], tenant_id: int | None = None) -> bool:
    """One connection; False (and dropped from the registry) when it is gone."""
    try:
        delivered = get_sender().send(connection_id, encode(message))
    except SendFailed:
        log.warning("push failed", extra={"connection": connection_id})
        return True  # not known to be gone: keep it
    if not delivered:
        connections.remove(connection_id, tenant_id)
    return delivered


def broadcast(tenant_id: int, message: dict[str, Any]) -> int:
    """Every connected staff member of this tenant (and of no other); how many got it."""
    sent = 0
    for connection_id in connections.members(tenant_id):
        if send_to(connection_id, message, tenant_id):
            sent += 1
    return sent
