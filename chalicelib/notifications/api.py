"""What the notifications area publishes to other areas (issue 10 item 1; issue 13 item 4).

    notify(uow, tenant_id, channel=, to=, template=, lang=, params=, user_id=)
                          validate + render one e-mail / SMS to a given address, queue it after
                          `uow` commits (verification codes, reset links: no preference applies)
    send(uow_or_db, tenant_id, user_id, category, template, data, channels=, lang=, message_id=)
                          a channel-aware message to a user (e-mail, SMS, push): per channel the
                          user's preference and, for category "campaign", the İYS consent decide;
                          one delivery row and outbox event per channel in the caller's
                          transaction; quiet hours, rate limits and retries in the consumer.
                          Returns SendResult (message id; per channel delivery id, status, reason)
    SendResult            what send() decided
    delivery_counts(session, tenant_id, message_prefix) → {channel: {status: count}}
                          the delivery log of a batch of sends whose message ids share a prefix
                          (a campaign send's "csend-<id>-")
    CATEGORIES, CHANNELS  ("order", "campaign", "stock", "account"), ("email", "sms", "push")
    NotificationError     what notify / send raise for a request they cannot build (a caller's bug)
    LANGUAGES             the languages every template has ("tr", "en")
    MAX_PARAM_LENGTH      the longest parameter value a template takes

Everything else under chalicelib/notifications/ is private.  notify's path is light (no SQL, no
AWS client until a message is sent), so this module imports it at once; send's modules are
imported on its first call.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .channels import CATEGORIES, CHANNELS
from .errors import NotificationError
from .service import notify
from .templates import LANGUAGES, MAX_PARAM_LENGTH

if TYPE_CHECKING:
    from chalicelib.platform.db import Database, Session, UnitOfWork

    from .dispatch import SendResult

__all__ = ["CATEGORIES", "CHANNELS", "LANGUAGES", "MAX_PARAM_LENGTH", "NotificationError", "SendResult",
           "delivery_counts", "notify", "send"]


def send(uow_or_db: UnitOfWork | Database, tenant_id: int, user_id: int, category: str, template: str,
         data: Mapping[str, Any], *, channels: Sequence[str] | None = None, lang: str | None = None,
         message_id: str | None = None) -> SendResult:
    """See dispatch.send: a channel-aware, consent-checked notification through the outbox."""
    from . import dispatch  # lazy: see the module docstring

    return dispatch.send(uow_or_db, tenant_id, user_id, category, template, data, channels=channels, lang=lang,
                         message_id=message_id)


def delivery_counts(session: Session, tenant_id: int, message_prefix: str) -> dict[str, dict[str, int]]:
    from . import deliveries_repository  # lazy: see the module docstring

    counts: dict[str, dict[str, int]] = {}
    for row in deliveries_repository.status_counts(session, tenant_id, message_prefix):
        counts.setdefault(row["channel"], {})[row["status"]] = int(row["n"])
    return counts


def __getattr__(name: str) -> Any:
    if name == "SendResult":
        from .dispatch import SendResult

        return SendResult
    raise AttributeError(name)
