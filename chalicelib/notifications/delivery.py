"""Deliver one NotificationRequested (a send() channel), in the queue consumer.

    1. claim the delivery row (queued / deferred → sending): a duplicate or redelivered message
       finds it taken or done and stops - one effect, whatever SQS repeats;
    2. ask again whether it may go (a consent withdrawn since send() suppresses it);
    3. marketing in the tenant's quiet hours → deferred to the window's end (the sweep re-queues it);
    4. the channel's rate limit for the tenant (platform/ratelimit, in Redis) → re-queued with an
       SQS delay for when the window has room: a campaign cannot flood a gateway;
    5. the recipient now (users read model): address, phone or devices, language, status;
    6. render and hand to the adapter; a provider failure worth retrying is re-queued with
       exponential backoff (30 s, 60 s, ... ≤ 15 min, with jitter) until MAX_ATTEMPTS, then failed.
Anything unexpected releases the claim and raises, so queue.consume reports the record and
SQS redelivers it (then dead-letters it).
"""
from __future__ import annotations

import os
import random
import uuid
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from chalicelib.adapters import DeliveryError, mail, sms
from chalicelib.platform import crypto, queue, ratelimit
from chalicelib.platform.db import Database
from chalicelib.platform.logging import get_logger

from . import channel_templates, preferences, push_delivery, quiet_hours, repository
from . import deliveries_repository as deliveries
from .channels import DEFERRED, FAILED, MARKETING, MAX_ATTEMPTS, QUEUED, SENT, SUPPRESSED
from .errors import NotificationError
from .templates import LANGUAGES

log = get_logger("notifications.delivery")
QUEUE, EVENT = "notifications", "NotificationRequested"
MAX_SQS_DELAY = 900  # SQS's longest DelaySeconds; longer waits go through the sweep
SAFETY_SECONDS = 300  # the sweep re-sends a delayed message this long after it should have come
# Per tenant and channel: (messages, seconds).  SES's default sending rate is 14/s, Expo's 600/s
# per project; an SMS gateway contract is typically tens per second.
DEFAULT_RATES = {"email": (14, 1), "sms": (20, 1), "push": (600, 1)}
_RETRYABLE_EXPO = {"TOO_MANY_REQUESTS", "MessageRateExceeded", "URLError", "TimeoutError", "ConnectionRefusedError",
                   "RemoteDisconnected", "ConnectionResetError"}


@lru_cache(maxsize=1)
def rates() -> dict[str, tuple[int, int]]:
    """NOTIFY_RATE_LIMITS="sms=20/1,push=600/1,email=14/1" over the defaults."""
    found = dict(DEFAULT_RATES)
    for part in (os.environ.get("NOTIFY_RATE_LIMITS") or "").split(","):
        channel, _, rate = part.strip().partition("=")
        count, _, seconds = rate.partition("/")
        if channel in found and count.isdigit() and seconds.isdigit() and int(count) > 0 and int(seconds) > 0:
            found[channel] = (int(count), int(seconds))
    return found


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def deliver(db: Database, message: dict[str, Any]) -> None:
    tenant_id, delivery_id = int(message["tenant_id"]), int(message["payload"]["delivery_id"])
    with db.uow() as uow:
        row = deliveries.claim(uow, tenant_id, delivery_id)
        uow.commit()
    if row is None:
        return  # done already, or another consumer holds it
    try:
        _deliver(db, tenant_id, row)
    except Exception:
        with db.uow() as uow:  # release: the redelivery may claim it again
            deliveries.finish(uow, tenant_id, delivery_id, QUEUED, reason="error")
            uow.commit()
        raise


def _deliver(db: Database, tenant_id: int, row: dict[str, Any]) -> None:
    session, channel, user_id = db.session(), row["channel"], row["user_id"]
    reason = preferences.gate(session, tenant_id, user_id, row["category"], channel)
    if reason:
        return _finish(db, tenant_id, row, SUPPRESSED, reason=reason)
    if row["category"] in MARKETING:
        quiet = quiet_hours.from_settings(repository.tenant_notification_settings(session, tenant_id))
        until = quiet_hours.next_allowed(quiet, _now())
        if until is not None:
            return _finish(db, tenant_id, row, DEFERRED, reason="quiet_hours", next_attempt_at=until)
    count, seconds = rates()[channel]
    decision = ratelimit.check([ratelimit.Limit(f"notify:{tenant_id}:{channel}", count, seconds)])
    if not decision.allowed:
        return later(db, tenant_id, row, "rate_limited", decision.retry_after, row["attempts"])
    contact = repository.contact(session, tenant_id, user_id)
    if contact is None or contact["status"] != "active":
        return _finish(db, tenant_id, row, SUPPRESSED, reason="user_inactive")
    lang = row["lang"] or (contact["language"] if contact["language"] in LANGUAGES else "tr")
    try:
        rendered = channel_templates.render(row["template"], channel, lang, row["params"])
    except NotificationError:
        return _finish(db, tenant_id, row, FAILED, reason="render_error")
    try:
        if channel == "push":
            push_delivery.deliver(db, tenant_id, row, rendered)
            return None
        _send_to_address(db, tenant_id, row, contact, rendered.subject, rendered.text)
    except DeliveryError as exc:
        attempts = row["attempts"] + 1
        if _retryable(exc) and attempts < MAX_ATTEMPTS:
            return later(db, tenant_id, row, f"retry:{exc.provider}:{exc.code}"[:64], backoff(attempts), attempts)
        log.warning("notification failed", extra={"tenant_id": tenant_id, "delivery_id": row["id"],
                                                  "provider": exc.provider, "error": exc.code})
        return _finish(db, tenant_id, row, FAILED, reason=f"{exc.provider}:{exc.code}"[:64], provider=exc.provider,
                       attempts=attempts)
    return None


def _send_to_address(db: Database, tenant_id: int, row: dict[str, Any], contact: dict[str, Any],
                     subject: str | None, text: str) -> None:
    from .handlers import mask_recipient

    if row["channel"] == "email":
        to, provider = contact["email"], "ses"
    else:
        to, provider = crypto.open_sealed(contact["phone_enc"], "user.phone"), sms.provider_name()
    if not to:
        return _finish(db, tenant_id, row, SUPPRESSED, reason="no_address")
    if row["channel"] == "email":
        ref = mail.mailer().send(to, subject or "", text)
    else:
        sender = sms.marketing_sms_sender() if row["category"] in MARKETING else sms.sms_sender()
        ref = sender.send(to, text)
    return _finish(db, tenant_id, row, SENT, provider=provider, provider_ref=ref, recipient=mask_recipient(to))


def _retryable(exc: DeliveryError) -> bool:
    if exc.provider == "expo":
        return exc.code in _RETRYABLE_EXPO or exc.code.startswith("http_5")
    return sms.is_retryable(exc)


def backoff(attempt: int) -> int:
    """Seconds before retry `attempt` (1, 2, ...): 30 s doubling, ≤ 15 min, ±20 % jitter so a
    batch that failed together does not come back together."""
    base = min(MAX_SQS_DELAY, 30 * 2 ** (attempt - 1))
    return max(1, int(base * random.uniform(0.8, 1.0)))  # noqa: S311 - jitter, not a secret


def _finish(db: Database, tenant_id: int, row: dict[str, Any], status: str, **fields: Any) -> None:
    with db.uow() as uow:
        deliveries.finish(uow, tenant_id, row["id"], status, **fields)
        uow.commit()


def later(db: Database, tenant_id: int, row: dict[str, Any], reason: str, delay: int, attempts: int) -> None:
    """Queue the delivery again after `delay` seconds (an SQS delay up to 15 min; beyond, the sweep)."""
    due = _now() + timedelta(seconds=delay)
    with db.uow() as uow:
        if delay <= MAX_SQS_DELAY:
            deliveries.finish(uow, tenant_id, row["id"], QUEUED, reason=reason, attempts=attempts,
                              next_attempt_at=due + timedelta(seconds=SAFETY_SECONDS))
            requeue(uow, tenant_id, row["id"], row["channel"], delay)
        else:
            deliveries.finish(uow, tenant_id, row["id"], QUEUED, reason=reason, attempts=attempts, next_attempt_at=due)
        uow.commit()


def requeue(uow: Any, tenant_id: int, delivery_id: int, channel: str, delay: int = 0) -> str:
    """A fresh message for the delivery (its own id: the consumer's dedupe must not skip it; the
    row's claim keeps it to one send), sent when `uow` commits."""
    body = {"id": f"notification-{tenant_id}-{delivery_id}-{uuid.uuid4().hex[:12]}", "type": EVENT,
            "tenant_id": tenant_id, "payload": {"delivery_id": delivery_id, "channel": channel}}
    return queue.send(QUEUE, body, uow=uow, delay_seconds=max(0, min(delay, MAX_SQS_DELAY)))
