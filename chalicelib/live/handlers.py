"""Scheduled job of live users: presences that expired without an unregister become "left".

Why a sweep every minute and not Redis keyspace notifications: notifications are fire-and-forget
(a subscriber that is down misses them), need `notify-keyspace-events` set on the server
(ElastiCache: a parameter group) and a long-lived subscriber, which Lambda is not.  The sweep
reads an index of expiry times (presence.py, live:expiry), so nothing is missed however late it
runs, and tests drive it like any scheduled event.  Staff lists never wait for it: they count only
presences whose expiry is in the future; the push of "left" comes within a minute of the TTL.
"""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.platform.logging import get_logger

from . import service
from .presence import now

log = get_logger("live.sweep")
bp = Blueprint(__name__)


@bp.schedule("rate(1 minute)", name="live_sweep", description="Expired live-user presences → left")
def live_sweep(event: Any) -> dict[str, int]:
    left = service.sweep(now())
    if left:
        log.info("presences expired", extra={"left": left})
    return {"left": left}
