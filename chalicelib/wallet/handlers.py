"""Scheduled jobs of the wallet, one blueprint each (one function each):
expire_wallet_holds (`bp`, every minute) releases the pending holds past their expiry (a wallet
+ card payment whose card never answered), ledger.expire_holds; expire_wallet_bonus (`bonus_bp`,
every hour) posts an expiry entry for what remains of each HPay bonus grant past its expiry,
bonus.expire_grants."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.platform.db import get_db
from chalicelib.platform.logging import get_logger

from . import bonus, ledger

bp = Blueprint(__name__)
bonus_bp = Blueprint(__name__)
log = get_logger("wallet.jobs")


@bp.schedule("rate(1 minute)", name="expire_wallet_holds")
def expire_wallet_holds(event: Any) -> dict[str, int]:
    expired = ledger.expire_holds(get_db())
    if expired:
        log.info("expired wallet holds", extra={"holds": expired})
    return {"expired": expired}


@bonus_bp.schedule("rate(1 hour)", name="expire_wallet_bonus")
def expire_wallet_bonus(event: Any) -> dict[str, int]:
    ended = bonus.expire_grants(get_db())
    if ended:
        log.info("expired HPay bonus grants", extra={"grants": ended})
    return {"expired": ended}
