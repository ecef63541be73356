"""SQL of the notifications area's own tables (push_devices, notification_preferences,
marketing_consents) and of what it reads from others (declared in platform/tables.py
READ_MODELS): the recipient's contact details (users) and the tenant's quiet hours (tenants).

Every function takes the tenant; none commits (the service owns the transaction).
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from chalicelib.platform.db import Session


# -- push devices -------------------------------------------------------------------------------
def register_device(session: Session, tenant_id: int, user_id: int, device_id: str, token: str,
                    platform: str | None) -> int:
    """The (user, device) row now holds `token`.  The token leaves any other user or device first
    (a phone changed hands, or the app was reinstalled under a new device id)."""
    session.execute("DELETE FROM push_devices WHERE tenant_id = %s AND token = %s AND NOT (user_id = %s AND device_id = %s)",
                    (tenant_id, token, user_id, device_id))
    session.execute(
        """INSERT INTO push_devices (tenant_id, user_id, device_id, token, platform) VALUES (%s, %s, %s, %s, %s)
           ON DUPLICATE KEY UPDATE token = VALUES(token), platform = COALESCE(VALUES(platform), platform),
                                   updated_at = UTC_TIMESTAMP(6)""",
        (tenant_id, user_id, device_id, token, platform))
    return int(session.scalar("SELECT id FROM push_devices WHERE tenant_id = %s AND user_id = %s AND device_id = %s",
                              (tenant_id, user_id, device_id)))


def device(session: Session, tenant_id: int, user_id: int, device_id: str) -> dict[str, Any] | None:
    return session.one("""SELECT id, device_id, platform, created_at, updated_at FROM push_devices
                           WHERE tenant_id = %s AND user_id = %s AND device_id = %s""", (tenant_id, user_id, device_id))


def remove_device(session: Session, tenant_id: int, user_id: int, device_id: str) -> bool:
    return session.execute("DELETE FROM push_devices WHERE tenant_id = %s AND user_id = %s AND device_id = %s",
                           (tenant_id, user_id, device_id)) > 0


def tokens(session: Session, tenant_id: int, user_id: int) -> list[str]:
    rows = session.all("SELECT token FROM push_devices WHERE tenant_id = %s AND user_id = %s ORDER BY id",
                       (tenant_id, user_id))
    return [row["token"] for row in rows]


def prune_token(session: Session, tenant_id: int, token: str) -> int:
    """Forget a token Expo called DeviceNotRegistered (the app was uninstalled)."""
    return session.execute("DELETE FROM push_devices WHERE tenant_id = %s AND token = %s", (tenant_id, token))


# -- preferences and consent --------------------------------------------------------------------
def preferences(session: Session, tenant_id: int, user_id: int) -> dict[tuple[str, str], bool]:
    rows = session.all("""SELECT category, channel, enabled FROM notification_preferences
                           WHERE tenant_id = %s AND user_id = %s""", (tenant_id, user_id))
    return {(row["category"], row["channel"]): bool(row["enabled"]) for row in rows}


def preference(session: Session, tenant_id: int, user_id: int, category: str, channel: str) -> bool | None:
    value = session.scalar("""SELECT enabled FROM notification_preferences
                               WHERE tenant_id = %s AND user_id = %s AND category = %s AND channel = %s""",
                           (tenant_id, user_id, category, channel))
    return None if value is None else bool(value)


def set_preference(session: Session, tenant_id: int, user_id: int, category: str, channel: str, enabled: bool) -> None:
    session.execute(
        """INSERT INTO notification_preferences (tenant_id, user_id, category, channel, enabled)
           VALUES (%s, %s, %s, %s, %s) ON DUPLICATE KEY UPDATE enabled = VALUES(enabled)""",
        (tenant_id, user_id, category, channel, int(enabled)))


def latest_consents(session: Session, tenant_id: int, user_id: int) -> dict[str, dict[str, Any]]:
    """The newest consent row per channel (the current state; older rows are its history)."""
    rows = session.all(
        """SELECT c.channel, c.status, c.source, c.iys_type, c.iys_source, c.consent_at, c.iys_status
             FROM marketing_consents c
             JOIN (SELECT channel, MAX(id) AS id FROM marketing_consents
                    WHERE tenant_id = %s AND user_id = %s GROUP BY channel) newest ON newest.id = c.id
            WHERE c.tenant_id = %s""", (tenant_id, user_id, tenant_id))
    return {row["channel"]: row for row in rows}


def consent_status(session: Session, tenant_id: int, user_id: int, channel: str) -> str | None:
    return session.scalar("""SELECT status FROM marketing_consents WHERE tenant_id = %s AND user_id = %s
                              AND channel = %s ORDER BY id DESC LIMIT 1""", (tenant_id, user_id, channel))


def add_consent(session: Session, tenant_id: int, user_id: int, *, channel: str, iys_type: str | None,
                recipient: str | None, status: str, source: str, iys_source: str | None, at: datetime) -> int:
    return session.insert(
        """INSERT INTO marketing_consents (tenant_id, user_id, channel, iys_type, recipient, status, source,
                                           iys_source, consent_at, iys_status)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (tenant_id, user_id, channel, iys_type, recipient, status, source, iys_source, at,
         "pending" if iys_type else "not_applicable"))


# -- what other areas own, read as declared -----------------------------------------------------
def contact(session: Session, tenant_id: int, user_id: int) -> dict[str, Any] | None:
    """The user's e-mail, sealed phone, language and status (users, read model)."""
    return session.one("SELECT email, phone_enc, language, status FROM users WHERE tenant_id = %s AND id = %s",
                       (tenant_id, user_id))


def tenant_notification_settings(session: Session, tenant_id: int) -> dict[str, Any]:
    """settings.notifications of the tenant (tenants, read model): quiet_hours and time_zone."""
    raw = session.scalar("SELECT settings FROM tenants WHERE id = %s", (tenant_id,))
    data = json.loads(raw) if isinstance(raw, str | bytes) and raw else {}
    section = data.get("notifications") if isinstance(data, dict) else None
    return section if isinstance(section, dict) else {}
