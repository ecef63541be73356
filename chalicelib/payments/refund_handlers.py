"""The payment-refunds consumer (function payments_refunds, fed by the orders' outbox): a
PaymentRefundRequested event names the refund rows of an iyzico payment that go back to the
card; each is carried out by refunds.carry_out (cancel the same day, else refund per item) and
confirmed to orders.  Other event types are skipped.

Redelivery is safe: a refund succeeded already, or handed to staff (its card_refund_failed
task), is left as it is, so a card iyzico refuses opens one task and the message is done - no
poison loop, no silent loss.  IyzicoUnavailable is raised: queue.consume reports the record as
failed and SQS delivers it again (then the dead-letter queue after MAX_RECEIVE_COUNT)."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.orders.api import PAYMENT_REFUND_REQUESTED, PAYMENT_REFUNDS_QUEUE
from chalicelib.platform import queue
from chalicelib.platform.db import get_db

from . import refunds

bp = Blueprint(__name__)


def handle_event(message: dict[str, Any]) -> None:
    if message.get("type") != PAYMENT_REFUND_REQUESTED:
        return
    tenant_id = int(message["tenant_id"])
    for refund in (message.get("payload") or {}).get("refunds") or []:
        refunds.carry_out(get_db(), tenant_id, int(refund["id"]))


@bp.on_sqs_message(queue=PAYMENT_REFUNDS_QUEUE, batch_size=10, name="payments_refunds")
def payments_refunds(event: Any) -> dict[str, Any]:
    return queue.consume(PAYMENT_REFUNDS_QUEUE, event, handle_event)
