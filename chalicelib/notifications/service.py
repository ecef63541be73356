"""notify(): validate and render a notification, then queue it for delivery after commit.

Rendering happens here, in the caller's request, so a missing parameter or a malformed
recipient fails the call that made the mistake instead of reaching the consumer as a poison
message.  The queued message carries the rendered text, which the consumer delivers as is.

Message shape on the `notifications` queue (MESSAGE_VERSION 1):
    {"id", "v": 1, "tenant_id", "user_id", "channel": "email"|"sms", "to", "template", "lang",
     "subject" (e-mail only, else null), "text"}
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from chalicelib.platform import queue
from chalicelib.platform.db import UnitOfWork

from . import templates
from .errors import NotificationError

QUEUE = "notifications"
MESSAGE_VERSION = 1
# Deliberately plain: SES validates deliverability; this only keeps out what is certainly not
# one address (spaces, a second address after a comma, header-breaking characters).
_EMAIL = re.compile(r"^[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+\.[^@\s<>,;:\"()\[\]\\]+$")
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")  # ITU E.164: '+', country code, at most 15 digits


def check_recipient(channel: str, to: str) -> str:
    """`to` if it is an e-mail address (channel email) or an E.164 number (channel sms)."""
    if channel == "email":
        if not isinstance(to, str) or len(to) > 254 or not _EMAIL.match(to):
            raise NotificationError("email recipient is not a single e-mail address")
    elif channel == "sms":
        if not isinstance(to, str) or not _E164.match(to):
            raise NotificationError("sms recipient must be an E.164 number such as +905321234567")
    else:
        raise NotificationError(f"unknown channel {channel!r}; use one of {templates.CHANNELS}")
    return to


def build_message(tenant_id: int, *, channel: str, to: str, template: str, lang: str,
                  params: Mapping[str, Any], user_id: int | None = None) -> dict[str, Any]:
    """The queue message for a notification (validated and rendered); raises NotificationError."""
    if isinstance(tenant_id, bool) or not isinstance(tenant_id, int) or tenant_id <= 0:
        raise NotificationError("tenant_id must be a positive int")
    recipient = check_recipient(channel, to)
    rendered = templates.render(template, channel, lang, params)
    return {
        "v": MESSAGE_VERSION,
        "tenant_id": tenant_id,
        "user_id": user_id,
        "channel": channel,
        "to": recipient,
        "template": template,
        "lang": lang,
        "subject": rendered.subject,
        "text": rendered.text,
    }


def notify(uow: UnitOfWork | None, tenant_id: int, *, channel: str, to: str, template: str, lang: str,
           params: Mapping[str, Any], user_id: int | None = None) -> str:
    """Queue one e-mail or SMS; returns the notification id.

    With a unit of work the message leaves only if that transaction commits (a rolled-back
    sign-up sends no code); with `uow=None` it is sent at once.  Raises NotificationError,
    before anything is queued, for an unknown template/channel/language, missing or unexpected
    parameters, or a malformed recipient.  Templates and their parameters: templates.TEMPLATES.
    """
    message = build_message(tenant_id, channel=channel, to=to, template=template, lang=lang,
                            params=params, user_id=user_id)
    return queue.send(QUEUE, message, uow=uow)
