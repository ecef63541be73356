"""The wallet-refunds queue consumer (fed by the orders' outbox): a WalletRefundRequested event -
refunds of an order paid back into the wallet (method "wallet", or a payment made from it) -
credits each refund to the buyer's cash and confirms it to orders in one transaction
(payments.refund: entry "refund-<refund_id>"), so a redelivered event credits nothing more.
Other event types are skipped."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.orders.api import WALLET_REFUND_REQUESTED, WALLET_REFUNDS_QUEUE
from chalicelib.platform import queue
from chalicelib.platform.db import get_db

from . import payments

bp = Blueprint(__name__)


def handle_event(message: dict[str, Any]) -> None:
    if message.get("type") != WALLET_REFUND_REQUESTED:
        return
    tenant_id = int(message["tenant_id"])
    for refund in (message.get("payload") or {}).get("refunds") or []:
        payments.refund(get_db(), tenant_id, int(refund["id"]))


@bp.on_sqs_message(queue=WALLET_REFUNDS_QUEUE, batch_size=10, name="wallet_refunds")
def wallet_refunds(event: Any) -> dict[str, Any]:
    return queue.consume(WALLET_REFUNDS_QUEUE, event, handle_event)
