"""The `invoices` queue consumer: OrderPaid → issue, store and e-mail the order's invoice.

The orders area writes {"type": "OrderPaid", "tenant_id", "payload": {"order_id", ...}} to the
outbox with the payment's transaction (platform/outbox.py); it reaches this queue after the
commit, or through the relay.  `queue.consume` skips message ids it has handled (the commit
callback and the relay can both publish one event) and reports failures per record; every
step of service.process_paid_order also skips what is already done, so even a replay under a
new id issues nothing twice.  A message that keeps failing (S3 down, an order whose lines do
not add up) goes to the queue's DLQ after MAX_RECEIVE_COUNT deliveries.
"""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.platform import queue
from chalicelib.platform.db import get_db
from chalicelib.platform.logging import get_logger

from . import errors as _errors  # noqa: F401 - registers the area's messages
from . import service

QUEUE = "invoices"
ORDER_PAID = "OrderPaid"

bp = Blueprint(__name__)
log = get_logger("invoices")


@bp.on_sqs_message(queue=QUEUE, batch_size=10)
def issue_invoices(event: Any) -> dict[str, Any]:
    return queue.consume(QUEUE, event, handle)


def handle(message: dict[str, Any]) -> None:
    """One outbox message (outbox.message()'s shape).  Other event types are acknowledged and
    ignored, so the orders area may route more to this queue without breaking it."""
    if message.get("type") != ORDER_PAID:
        log.info("event ignored", extra={"type": message.get("type"), "message_id": message.get("id")})
        return
    tenant_id = int(message["tenant_id"])
    order_id = int(message["payload"]["order_id"])
    service.process_paid_order(get_db(), tenant_id, order_id)
