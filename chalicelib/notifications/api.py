"""What the notifications area publishes to other areas (issue 10 item 1).

    notify(uow, tenant_id, channel=, to=, template=, lang=, params=, user_id=)
                          validate + render one e-mail / SMS, queue it after `uow` commits
    NotificationError     what notify raises for a request it cannot build (a caller's bug)
    LANGUAGES             the languages every template has ("tr", "en")
    MAX_PARAM_LENGTH      the longest parameter value a template takes

Everything else under chalicelib/notifications/ is private.  The whole area is light (no SQL,
no AWS client until a message is sent), so this module imports it at once.
"""
from __future__ import annotations

from .errors import NotificationError
from .service import notify
from .templates import LANGUAGES, MAX_PARAM_LENGTH

__all__ = ["LANGUAGES", "MAX_PARAM_LENGTH", "NotificationError", "notify"]
