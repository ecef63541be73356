"""Scheduled jobs of the shipping area: the carrier poll."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.platform.db import get_db
from chalicelib.platform.logging import get_logger

from . import polling

bp = Blueprint(__name__)
log = get_logger("jobs.shipping_poll")


@bp.schedule("rate(15 minutes)", name="shipping_poll")
def poll_carriers(event: Any) -> dict[str, int]:
    """Ask carriers for news of shipments not yet delivered or returned (bounded batch, all tenants)."""
    counts = polling.poll_due(get_db(), time_left=polling.lambda_time_left(getattr(event, "context", None)))
    log.info("carrier poll", extra=counts)
    return counts
