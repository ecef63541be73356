"""The order-events queue consumer (fed by the outbox): tells customers what happened to their
orders - received, paid, shipped, delivered, cancelled, return steps - by e-mail in their
language through the notifications queue (mail.py)."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.platform import queue

from . import mail

bp = Blueprint(__name__)


@bp.on_sqs_message(queue="order-events", batch_size=10, name="order_events")
def order_events(event: Any) -> dict[str, Any]:
    return queue.consume("order-events", event, mail.handle_event)
