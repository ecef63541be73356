"""Scheduled job of card payments: reconcile_card_payments (every 5 minutes) looks up at iyzico the
card attempts without an outcome past their grace and settles them (reconcile.run)."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.platform.db import get_db
from chalicelib.platform.logging import get_logger

from . import reconcile

bp = Blueprint(__name__)
log = get_logger("payments.reconcile_job")


@bp.schedule("rate(5 minutes)", name="reconcile_card_payments")
def reconcile_card_payments(event: Any) -> dict[str, int]:
    counts = reconcile.run(get_db())
    if counts["checked"]:
        log.info("card payments reconciled", extra=counts)
    return counts
