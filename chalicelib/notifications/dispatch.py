"""send(): a channel-aware notification to one user, through the transactional outbox.

    1. check the request (category, template, channels, language, parameters - rendered once per
       channel now, so a caller's mistake fails its own request, not the consumer);
    2. per channel, decide: the user's preference and, for commercial messages, the İYS consent
       (preferences.gate); a "no" is written as a suppressed delivery, so staff see why;
    3. write one notification_deliveries row per channel and, for each queued one, an outbox
       event NotificationRequested in the caller's transaction: the message exists exactly when
       the caller's change does, and the consumer delivers each channel on its own (one failing
       gateway does not hold the others back, and a retry sends only what failed).

Quiet hours and rate limits are the consumer's business: they depend on when it is sent.
The text is rendered again at delivery, in the user's language then (unless `lang` was given).
"""
from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.platform import cache, outbox
from chalicelib.platform.db import Database, UnitOfWork

from . import channel_templates, deliveries_repository, preferences
from .channels import CATEGORIES, CHANNELS, MARKETING, QUEUED, SUPPRESSED
from .errors import NotificationError
from .templates import LANGUAGES

QUEUE = "notifications"
EVENT = "NotificationRequested"


@dataclass(frozen=True)
class SendResult:
    """What send() decided: the message id (shared by its channels) and, per channel, the
    delivery id and its first status (queued or suppressed, with the reason)."""

    message_id: str
    deliveries: dict[str, tuple[int, str, str | None]]


def send(uow_or_db: UnitOfWork | Database, tenant_id: int, user_id: int, category: str, template: str,
         data: Mapping[str, Any], *, channels: Sequence[str] | None = None, lang: str | None = None,
         message_id: str | None = None) -> SendResult:
    """Notify `user_id` by the channels asked (default: every channel the template has).

    With a unit of work, everything joins the caller's transaction (commit is theirs); with a
    Database, send opens and commits its own.  `message_id` makes a caller's retry idempotent:
    the same id again sends nothing new and answers the first result.
    Raises NotificationError for an unknown category / template / channel / language, a
    campaign template under a transactional category, or wrong parameters.
    """
    chosen = _check(category, template, data, channels, lang)
    if isinstance(uow_or_db, Database):
        with uow_or_db.uow() as uow:
            result = _send(uow, tenant_id, user_id, category, template, data, chosen, lang, message_id)
            uow.commit()
        return result
    return _send(uow_or_db, tenant_id, user_id, category, template, data, chosen, lang, message_id)


def _check(category: str, template: str, data: Mapping[str, Any], channels: Sequence[str] | None,
           lang: str | None) -> tuple[str, ...]:
    if category not in CATEGORIES:
        raise NotificationError(f"unknown category {category!r}; use one of {CATEGORIES}")
    found = channel_templates.get(template)
    if found.marketing and category not in MARKETING:
        raise NotificationError(f"template {template!r} is commercial: send it as category 'campaign'")
    if lang is not None and lang not in LANGUAGES:
        raise NotificationError(f"unsupported language {lang!r}; use one of {LANGUAGES}")
    chosen = tuple(channels) if channels is not None else found.all_channels
    unknown = [c for c in chosen if c not in CHANNELS]
    if not chosen or unknown:
        raise NotificationError(f"channels must be some of {CHANNELS}")
    for channel in chosen:
        channel_templates.render(template, channel, lang or "tr", data)  # raises on a caller's mistake
    try:
        cache.loads(cache.dumps(dict(data)))
    except (TypeError, ValueError) as exc:
        raise NotificationError("template parameters must be JSON values") from exc
    return tuple(dict.fromkeys(chosen))


def _send(uow: UnitOfWork, tenant_id: int, user_id: int, category: str, template: str, data: Mapping[str, Any],
          channels: tuple[str, ...], lang: str | None, message_id: str | None) -> SendResult:
    message_id = message_id or uuid.uuid4().hex
    earlier = uow.all("""SELECT id, channel, status, reason FROM notification_deliveries
                          WHERE tenant_id = %s AND message_id = %s""", (tenant_id, message_id))
    if earlier:
        return SendResult(message_id, {r["channel"]: (r["id"], r["status"], r["reason"]) for r in earlier})
    deliveries: dict[str, tuple[int, str, str | None]] = {}
    for channel in channels:
        reason = preferences.gate(uow, tenant_id, user_id, category, channel)
        status = SUPPRESSED if reason else QUEUED
        delivery_id = deliveries_repository.insert(
            uow, tenant_id, message_id=message_id, user_id=user_id, category=category, template=template,
            channel=channel, lang=lang, params=dict(data), status=status, reason=reason)
        if status == QUEUED:
            outbox.add(uow, tenant_id, EVENT, {"delivery_id": delivery_id, "channel": channel}, queue=QUEUE,
                       aggregate_type="notification_delivery", aggregate_id=delivery_id)
        deliveries[channel] = (delivery_id, status, reason)
    return SendResult(message_id, deliveries)
