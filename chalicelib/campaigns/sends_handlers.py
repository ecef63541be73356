"""Scheduled job of campaign sends (every minute): sends_service.run_due - the due sends of every
shop taken (one run each), delivered batch by batch through the notification pipeline, resumed
where they stopped after a crash or a full minute."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.platform.db import get_db
from chalicelib.platform.logging import get_logger

from . import sends_service

bp = Blueprint(__name__)
log = get_logger("campaigns.sends")


@bp.schedule("rate(1 minute)", name="deliver_campaign_sends")
def deliver_campaign_sends(event: Any) -> dict[str, int]:
    counts = sends_service.run_due(get_db())
    if counts["taken"]:
        log.info("campaign sends delivered", extra=counts)
    return counts
