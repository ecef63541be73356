"""The accounts area's door to the notification pipeline (chalicelib/notifications).

One place that knows how accounts talk to users, so flows read as "notify the user" and the
pipeline can change without touching them.
"""
from __future__ import annotations

from typing import Any

from chalicelib.platform.db import UnitOfWork


def send(uow: UnitOfWork | None, tenant_id: int, *, channel: str, to: str, template: str, lang: str,
         params: dict[str, Any], user_id: int | None = None) -> None:
    from chalicelib.notifications.api import notify

    notify(uow, tenant_id, channel=channel, to=to, template=template, lang=lang, params=params, user_id=user_id)
