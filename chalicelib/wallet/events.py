"""The wallet's queue consumers (fed by the orders' outbox), one blueprint each (one function each).

wallet-refunds (`bp`): a WalletRefundRequested event - refunds of an order paid back into the
wallet (method "wallet", or a payment made from it) - credits each refund to the buyer's cash and
confirms it to orders in one transaction (payments.refund: entry "refund-<refund_id>"), so a
redelivered event credits nothing more.
wallet-bonus (`bonus_bp`): OrderBonusStatus for an order delivered earns its HPay bonus
(bonus.earn); returned or refunded takes back what remains of it (bonus.reverse); both once.
Other event types are skipped."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from chalice import Blueprint

from chalicelib.orders.api import (
    DELIVERED,
    WALLET_BONUS_EVENT,
    WALLET_BONUS_QUEUE,
    WALLET_REFUND_REQUESTED,
    WALLET_REFUNDS_QUEUE,
)
from chalicelib.platform import queue
from chalicelib.platform.db import get_db

from . import bonus, payments

bp = Blueprint(__name__)
bonus_bp = Blueprint(__name__)


def handle_event(message: dict[str, Any]) -> None:
    if message.get("type") != WALLET_REFUND_REQUESTED:
        return
    tenant_id = int(message["tenant_id"])
    for refund in (message.get("payload") or {}).get("refunds") or []:
        payments.refund(get_db(), tenant_id, int(refund["id"]))


@bp.on_sqs_message(queue=WALLET_REFUNDS_QUEUE, batch_size=10, name="wallet_refunds")
def wallet_refunds(event: Any) -> dict[str, Any]:
    return queue.consume(WALLET_REFUNDS_QUEUE, event, handle_event)


def handle_bonus_event(message: dict[str, Any]) -> None:
    if message.get("type") != WALLET_BONUS_EVENT:
        return
    tenant_id = int(message["tenant_id"])
    payload = message.get("payload") or {}
    order_id = int(payload["order_id"])
    if payload.get("to") == DELIVERED:
        if payload.get("user_id") is not None and payload.get("paid_total") is not None:
            bonus.earn(get_db(), tenant_id, order_id, int(payload["user_id"]), Decimal(str(payload["paid_total"])),
                       payload.get("currency") or "TRY")
    else:  # returned or refunded: in proportion to the goods that came back (all: older events)
        returned, of = payload.get("returned_total"), payload.get("items_total")
        bonus.reverse(get_db(), tenant_id, order_id,
                      returned=None if returned is None else Decimal(str(returned)),
                      of=None if of is None else Decimal(str(of)))


@bonus_bp.on_sqs_message(queue=WALLET_BONUS_QUEUE, batch_size=10, name="wallet_bonus")
def wallet_bonus(event: Any) -> dict[str, Any]:
    return queue.consume(WALLET_BONUS_QUEUE, event, handle_bonus_event)
