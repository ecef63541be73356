"""Scheduled job of the payments area: expire_bank_transfers (every 15 minutes) marks expired
the awaited bank transfers whose order is no longer pending payment - the orders' reservation
sweep (functions/release_reservations.py) cancels an unpaid order past its hold and gives its
stock back; this one closes the transfer that order was waiting for (bank_transfer.expire_awaiting).
A transfer confirmed after that is 409 and becomes a payment task (money to pay back)."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.platform.db import get_db
from chalicelib.platform.logging import get_logger

from . import bank_transfer

bp = Blueprint(__name__)
log = get_logger("payments.jobs")


@bp.schedule("rate(15 minutes)", name="expire_bank_transfers")
def expire_bank_transfers(event: Any) -> dict[str, int]:
    expired = bank_transfer.expire_awaiting(get_db())
    if expired:
        log.info("expired awaited bank transfers", extra={"attempts": expired})
    return {"expired": expired}
