"""Scheduled jobs of the system area."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.platform.db import get_db
from chalicelib.platform.logging import get_logger

from . import service

bp = Blueprint(__name__)
relay_bp = Blueprint(f"{__name__}.relay")
log = get_logger("jobs.purge")


@bp.schedule("rate(1 hour)", name="purge_expired")
def purge_expired(event: Any) -> dict[str, int]:
    """Delete expired idempotency keys and long-expired refresh tokens, in bounded batches."""
    removed = service.purge_expired(get_db())
    log.info("purged expired rows", extra={"removed": removed})
    return removed


@relay_bp.schedule("rate(1 minute)", name="outbox_relay")
def outbox_relay(event: Any) -> dict[str, int]:
    """Publish outbox events whose after-commit publish did not happen (platform/outbox.py)."""
    from chalicelib.platform import outbox

    result = outbox.relay(get_db())
    if result["published"] or result["failed"]:
        log.info("outbox relay", extra=result)
    return result
