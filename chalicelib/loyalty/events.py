"""The loyalty-events consumer (its own function): the orders' reward events earn and take back points.

OrderBonusStatus (chalicelib/orders/states.py, sent to every queue of orders.api.REWARD_QUEUES):
payload {order_id, user_id, to: delivered | returned | refunded, paid_total, currency, and for
returned / refunded items_total, returned_total}.  Delivered earns the order's points (and the
level's extra bonus), returned or refunded takes back their share; both once (points.py), so an
at-least-once redelivery changes nothing.  Other event types are skipped."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from chalice import Blueprint

from chalicelib.orders.api import DELIVERED, WALLET_BONUS_EVENT
from chalicelib.platform import queue
from chalicelib.platform.db import get_db

from . import points
from .api import QUEUE

bp = Blueprint(__name__)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def handle_event(message: dict[str, Any]) -> None:
    if message.get("type") != WALLET_BONUS_EVENT:
        return
    tenant_id = int(message["tenant_id"])
    payload = message.get("payload") or {}
    order_id = int(payload["order_id"])
    if payload.get("to") == DELIVERED:
        paid = _decimal(payload.get("paid_total"))
        if payload.get("user_id") is not None and paid is not None:
            points.earn(get_db(), tenant_id, order_id, int(payload["user_id"]), paid,
                        payload.get("currency") or "TRY")
    else:  # returned or refunded: in proportion to the goods that came back (all: shares unknown)
        points.reverse(get_db(), tenant_id, order_id, returned=_decimal(payload.get("returned_total")),
                       of=_decimal(payload.get("items_total")))


@bp.on_sqs_message(queue=QUEUE, batch_size=10, name="loyalty_events")
def loyalty_events(event: Any) -> dict[str, Any]:
    return queue.consume(QUEUE, event, handle_event)
