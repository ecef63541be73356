"""Scheduled job of the wallet: expire_wallet_holds (every minute) releases the pending holds
past their expiry (a wallet + card payment whose card never answered), ledger.expire_holds."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.platform.db import get_db
from chalicelib.platform.logging import get_logger

from . import ledger

bp = Blueprint(__name__)
log = get_logger("wallet.jobs")


@bp.schedule("rate(1 minute)", name="expire_wallet_holds")
def expire_wallet_holds(event: Any) -> dict[str, int]:
    expired = ledger.expire_holds(get_db())
    if expired:
        log.info("expired wallet holds", extra={"holds": expired})
    return {"expired": expired}
