"""Scheduled job of the orders area: release_expired_reservations (every minute) cancels
unpaid orders past reserved_until and gives their stock back (service.expire_reservations).
The order-events queue consumer is in events.py (one blueprint per deployed function).
"""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.platform.db import get_db
from chalicelib.platform.logging import get_logger

from . import service

bp = Blueprint(__name__)
log = get_logger("orders.jobs")


@bp.schedule("rate(1 minute)", name="release_expired_reservations")
def release_expired_reservations(event: Any) -> dict[str, int]:
    released = service.expire_reservations(get_db())
    if released:
        log.info("released expired reservations", extra={"orders": released})
    return {"released": released}
