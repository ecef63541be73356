"""The campaign-rewards queue consumer: a promotion's bonus credit (actions bonus_percent / bonus_fixed)
is HPay bonus credited when the order is delivered (issue 15).

The checkout recorded the bonus on the order's campaign_redemptions rows (bonus_status pending).
OrderBonusStatus "delivered" grants each pending one through wallet.api.grant_bonus with the transfer
id "campaign-bonus-<redemption id>" (a redelivered event answers the first grant) and marks it
granted; a cancelled order's released claims earn nothing.  A return does not take a granted
campaign bonus back: the wallet publishes no way to take back a grant other than its own HPay
bonus (bonus.reverse), and the bonus is small and expires (settings.campaigns.bonus_days, default
90) — noted in the README as a known gap.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from chalice import Blueprint

from chalicelib.platform import queue
from chalicelib.platform.db import UnitOfWork, get_db
from chalicelib.platform.sql import BY_ID

from .api import REWARDS_QUEUE

bp = Blueprint(__name__)
EVENT = "OrderBonusStatus"
DEFAULT_BONUS_DAYS = 90


def handle_event(message: dict[str, Any]) -> None:
    payload = message.get("payload") or {}
    if message.get("type") != EVENT or payload.get("to") != "delivered" or payload.get("user_id") is None:
        return
    tenant_id, order_id, user_id = int(message["tenant_id"]), int(payload["order_id"]), int(payload["user_id"])
    grant_pending(tenant_id, order_id, user_id)


def grant_pending(tenant_id: int, order_id: int, user_id: int) -> Decimal:
    """Credit the order's pending campaign bonuses; returns what was credited now."""
    from chalicelib.wallet import api as wallet

    db = get_db()
    rows = db.session().all(
        """SELECT r.id, r.bonus_amount, t.settings FROM campaign_redemptions r JOIN tenants t ON t.id = r.tenant_id
            WHERE r.tenant_id = %s AND r.order_id = %s AND r.status = 'claimed' AND r.bonus_status = 'pending'
            ORDER BY r.id""", (tenant_id, order_id))
    credited = Decimal("0.00")
    for row in rows:
        amount, days = Decimal(row["bonus_amount"]), _days(row["settings"])

        def work(uow: UnitOfWork, row: dict[str, Any] = row, amount: Decimal = amount, days: int = days) -> bool:
            if not uow.execute(f"""UPDATE campaign_redemptions {BY_ID} SET bonus_status = 'granted'
                                   WHERE tenant_id = %s AND id = %s AND bonus_status = 'pending'""",
                               (tenant_id, row["id"])):
                return False
            wallet.grant_bonus(uow, tenant_id, user_id, amount, transfer_id=f"campaign-bonus-{row['id']}", days=days,
                               order_id=order_id, description="Kampanya bonusu / campaign bonus")
            uow.commit()
            return True

        if db.transaction(work):
            credited += amount
    return credited


def _days(settings: Any) -> int:
    import json

    conf = (json.loads(settings) if isinstance(settings, (str, bytes)) else settings or {}).get("campaigns") or {}
    days = conf.get("bonus_days", DEFAULT_BONUS_DAYS)
    return days if isinstance(days, int) and not isinstance(days, bool) and 0 < days <= 3650 else DEFAULT_BONUS_DAYS


@bp.on_sqs_message(queue=REWARDS_QUEUE, batch_size=10, name="campaign_rewards")
def campaign_rewards(event: Any) -> dict[str, Any]:
    return queue.consume(REWARDS_QUEUE, event, handle_event)
