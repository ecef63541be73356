"""The `notifications` queue consumer: hand each queued message to the e-mail or SMS adapter.

Two kinds of message share the queue: notify()'s rendered e-mail / SMS (MESSAGE_VERSION 1,
below) and send()'s NotificationRequested outbox events (one delivery row each; delivery.py
decides, renders and sends, by e-mail, SMS or push).

`queue.consume` makes it idempotent (a redelivered message id is skipped), reports only the
failed records (`batchItemFailures`), and SQS dead-letters a message after maxReceiveCount
failed deliveries.

Logs name the template, channel, tenant and a masked recipient, never the text: it holds the
verification code or the reset link.
"""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.adapters import DeliveryError, mail, sms
from chalicelib.platform import queue
from chalicelib.platform.logging import get_logger

from .errors import NotDelivered
from .service import MESSAGE_VERSION, QUEUE

bp = Blueprint(__name__)
log = get_logger("notifications")


@bp.on_sqs_message(queue=QUEUE, batch_size=10)
def deliver_notifications(event: Any) -> dict[str, Any]:
    return queue.consume(QUEUE, event, deliver)


def mask_recipient(to: str) -> str:
    """'ayse.yilmaz@example.com' → 'a***@example.com', '+905321234567' → '+90********67'."""
    if "@" in to:
        local, _, domain = to.rpartition("@")
        return f"{local[:1]}***@{domain}"
    if len(to) <= 5:
        return "*" * len(to)
    return to[:3] + "*" * (len(to) - 5) + to[-2:]


def deliver(message: dict[str, Any]) -> None:
    """Send one queued notification; raises to have SQS retry it (then dead-letter it)."""
    if message.get("type") == "NotificationRequested":
        from chalicelib.platform.db import get_db

        from . import delivery  # lazy: notify()'s path needs none of it

        delivery.deliver(get_db(), message)
        return
    if message.get("v") != MESSAGE_VERSION:
        raise NotDelivered(f"unsupported notification message version {message.get('v')!r}")
    channel, to = message["channel"], message["to"]
    fields = {
        "notification_id": message.get("id"),
        "tenant_id": message.get("tenant_id"),
        "user_id": message.get("user_id"),
        "template": message.get("template"),
        "channel": channel,
        "to": mask_recipient(str(to)),
    }
    try:
        if channel == "email":
            provider_id = mail.mailer().send(to, message["subject"], message["text"])
        elif channel == "sms":
            # The rendered body and nothing else: no prefix, no footer, no ids.
            provider_id = sms.sms_sender().send(to, message["text"])
        else:
            raise NotDelivered(f"unknown channel {channel!r}")
    except DeliveryError as exc:
        log.warning("notification not delivered", extra={**fields, "provider": exc.provider, "error": exc.code})
        # `from None`: the provider's exception text can quote the recipient, and queue.consume
        # logs this traceback; the provider and its error code are in the line above.
        raise NotDelivered(f"{fields['template']} by {channel} not delivered: {exc}") from None
    log.info("notification delivered", extra={**fields, "provider_message_id": provider_id})
