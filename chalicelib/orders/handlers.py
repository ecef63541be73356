"""Queue consumer and scheduled job of the orders area.

- release_expired_reservations (every minute): unpaid orders past reserved_until are cancelled
  and their stock comes back (service.expire_reservations).
- order_events (the "order-events" queue, fed by the outbox): tells the customer what happened
  to their order - received, paid, shipped, delivered, cancelled, return steps - by e-mail in
  their language through the notifications queue.
"""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.platform import queue
from chalicelib.platform.db import get_db
from chalicelib.platform.logging import get_logger

from . import notify, service

# One blueprint per deployed function (infra/functions.py: a function's `handler` must serve
# every event source of its app).
reservations_bp = Blueprint(__name__)
events_bp = Blueprint(f"{__name__}.events")
log = get_logger("orders.jobs")


@reservations_bp.schedule("rate(1 minute)", name="release_expired_reservations")
def release_expired_reservations(event: Any) -> dict[str, int]:
    released = service.expire_reservations(get_db())
    if released:
        log.info("released expired reservations", extra={"orders": released})
    return {"released": released}


@events_bp.on_sqs_message(queue="order-events", batch_size=10, name="order_events")
def order_events(event: Any) -> dict[str, Any]:
    return queue.consume("order-events", event, notify.handle_event)
