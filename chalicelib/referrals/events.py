"""The referral-events consumer (its own function): the orders' reward events reward a referral and
take the reward back.

OrderBonusStatus (chalicelib/orders/states.py, sent to every queue of orders.api.REWARD_QUEUES):
payload {order_id, user_id, to: delivered | returned | refunded, paid_total, currency, ...}.  A
referee's first delivered order qualifies their referral (fraud checks, then both sides rewarded);
that order returned or refunded takes the rewards back (rewards.py).  Both once, so an
at-least-once redelivery changes nothing.  Other event types are skipped."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.orders.api import DELIVERED, WALLET_BONUS_EVENT
from chalicelib.platform import queue
from chalicelib.platform.db import get_db

from . import rewards
from .api import QUEUE

bp = Blueprint(__name__)


def handle_event(message: dict[str, Any]) -> None:
    if message.get("type") != WALLET_BONUS_EVENT:
        return
    payload = message.get("payload") or {}
    if payload.get("user_id") is None:
        return  # a guest's order: nobody to reward
    tenant_id, user_id, order_id = int(message["tenant_id"]), int(payload["user_id"]), int(payload["order_id"])
    if payload.get("to") == DELIVERED:
        rewards.qualify(get_db(), tenant_id, user_id, order_id, payload.get("currency") or "TRY")
    else:
        rewards.reverse(get_db(), tenant_id, user_id, order_id)


@bp.on_sqs_message(queue=QUEUE, batch_size=10, name="referral_events")
def referral_events(event: Any) -> dict[str, Any]:
    return queue.consume(QUEUE, event, handle_event)
