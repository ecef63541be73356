"""The stock-events queue consumer (fed by the inventory's outbox): a StockReturned event - a
variation's available stock went from 0 to more than 0 - e-mails the customers waiting for it
(service.stock_returned: one back-in-stock e-mail per customer and product, alerts closed in
the same transaction, so a redelivered or repeated event sends nothing more).  Other event
types on the queue are skipped."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.inventory.api import StockReturned
from chalicelib.platform import queue

from . import service

bp = Blueprint(__name__)


def handle_event(message: dict[str, Any]) -> None:
    returned = StockReturned.from_message(message)
    if returned is not None:
        service.stock_returned(returned.tenant_id, list(returned.variation_ids))


@bp.on_sqs_message(queue=StockReturned.QUEUE, batch_size=10, name="stock_events")
def stock_events(event: Any) -> dict[str, Any]:
    return queue.consume(StockReturned.QUEUE, event, handle_event)
