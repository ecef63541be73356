"""Errors of the live-users area and their messages (joined to the platform catalogue on import)."""
from __future__ import annotations

from chalicelib.platform import i18n
from chalicelib.platform.errors import NotFound

MESSAGES: dict[str, dict[str, str]] = {
    "presence_unknown": {
        "tr": "Bu cihaz için etkin bir oturum yok; uygulama yeniden kaydolmalı.",
        "en": "This device has no live presence; the app should register again.",
    },
}

i18n.register(messages=MESSAGES)


class PresenceUnknown(NotFound):
    """Heartbeat of a device whose presence expired or was never registered."""

    code = "presence_unknown"
