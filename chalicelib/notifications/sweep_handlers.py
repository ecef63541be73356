"""Scheduled job of notifications (every minute): sweep.run - deferred deliveries re-queued when
their wait is over, push receipts read and dead tokens pruned."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.platform.db import get_db
from chalicelib.platform.logging import get_logger

from . import sweep

bp = Blueprint(__name__)
log = get_logger("notifications.sweep")


@bp.schedule("rate(1 minute)", name="sweep_notifications")
def sweep_notifications(event: Any) -> dict[str, int]:
    counts = sweep.run(get_db())
    if any(counts.values()):
        log.info("notifications swept", extra=counts)
    return counts
