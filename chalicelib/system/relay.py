"""Scheduled job: publish outbox events whose after-commit publish did not happen
(platform/outbox.py).  Its own module: one blueprint per deployed function."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.platform.db import get_db
from chalicelib.platform.logging import get_logger

bp = Blueprint(__name__)
log = get_logger("jobs.outbox")


@bp.schedule("rate(1 minute)", name="outbox_relay")
def outbox_relay(event: Any) -> dict[str, int]:
    from chalicelib.platform import outbox

    result = outbox.relay(get_db())
    if result["published"] or result["failed"]:
        log.info("outbox relay", extra=result)
    return result
