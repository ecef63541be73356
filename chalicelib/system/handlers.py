"""Scheduled jobs of the system area."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.platform.db import get_db
from chalicelib.platform.logging import get_logger

from . import service

bp = Blueprint(__name__)
log = get_logger("jobs.purge")


@bp.schedule("rate(1 hour)", name="purge_expired")
def purge_expired(event: Any) -> dict[str, int]:
    """Delete expired idempotency keys and long-expired refresh tokens, in bounded batches."""
    removed = service.purge_expired(get_db())
    log.info("purged expired rows", extra={"removed": removed})
    return removed

