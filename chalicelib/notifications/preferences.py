"""Per-user preferences per category and channel, and the İYS consent for commercial messages.

Transactional categories (order, stock, account) are on unless the user turned one off
(notification_preferences holds only the changes).  The campaign category is the consent: it
is on for a channel exactly when the newest marketing_consents row of that channel is ONAY.
Changing it appends a consent row (ONAY / RET, the source, the moment, the recipient) that is
kept for İYS; its iys_status stays "pending" for the İYS sync.

TODO(İYS): sending the pending consent rows to İYS (its consent API, through an adapter in
chalicelib/adapters/ with a local fake) is not built yet; the rows and their status are ready
for it.  Push is not an İYS channel (its rows are "not_applicable"), but commercial pushes still
need the consent here (Law 6563 covers every commercial electronic message).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from chalicelib.platform import crypto
from chalicelib.platform.db import Database, Session

from . import quiet_hours, repository
from .channels import CATEGORIES, CHANNELS, CONSENT_SOURCES, IYS_TYPES, MARKETING, ONAY, RET, default_enabled


def gate(session: Session, tenant_id: int, user_id: int, category: str, channel: str) -> str | None:
    """Why a message of `category` may not go to the user by `channel` (a suppression reason),
    or None when it may."""
    if category in MARKETING:
        return None if repository.consent_status(session, tenant_id, user_id, channel) == ONAY else "no_consent"
    enabled = repository.preference(session, tenant_id, user_id, category, channel)
    return "preference_off" if enabled is False else None


def view(session: Session, tenant_id: int, user_id: int) -> dict[str, Any]:
    """Every category × channel as on / off, the consent records behind the campaign row, and the
    tenant's quiet hours for marketing."""
    stored = repository.preferences(session, tenant_id, user_id)
    consents = repository.latest_consents(session, tenant_id, user_id)
    table: dict[str, dict[str, bool]] = {}
    for category in CATEGORIES:
        row = {}
        for channel in CHANNELS:
            if category in MARKETING:
                row[channel] = consents.get(channel, {}).get("status") == ONAY
            else:
                row[channel] = stored.get((category, channel), default_enabled(category))
        table[category] = row
    quiet = quiet_hours.from_settings(repository.tenant_notification_settings(session, tenant_id))
    return {
        "preferences": table,
        "consents": {channel: {"status": c["status"], "source": c["source"], "consent_at": c["consent_at"],
                               "iys_type": c["iys_type"], "iys_status": c["iys_status"]}
                     for channel, c in consents.items()},
        "quiet_hours": quiet_hours.describe(quiet),
    }


def update(db: Database, tenant_id: int, user_id: int, changes: dict[str, dict[str, bool]], source: str) -> dict[str, Any]:
    """Apply the changed switches in one transaction; a campaign switch appends a consent record
    (ONAY when turned on, RET when an ONAY is withdrawn).  Returns the new view."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with db.uow() as uow:
        current = repository.latest_consents(uow, tenant_id, user_id)
        contact: dict[str, Any] | None = None
        for category, switches in changes.items():
            for channel, enabled in switches.items():
                if category not in MARKETING:
                    repository.set_preference(uow, tenant_id, user_id, category, channel, enabled)
                    continue
                was = current.get(channel, {}).get("status")
                status = ONAY if enabled else RET
                if (was == ONAY) == enabled:
                    continue  # no change: İYS gets a record per change, not per save
                if contact is None:
                    contact = repository.contact(uow, tenant_id, user_id) or {}
                repository.add_consent(uow, tenant_id, user_id, channel=channel, iys_type=IYS_TYPES[channel],
                                       recipient=_recipient(contact, channel), status=status, source=source,
                                       iys_source=CONSENT_SOURCES.get(source), at=now)
        uow.commit()
    return view(db.session(), tenant_id, user_id)


def _recipient(contact: dict[str, Any], channel: str) -> str | None:
    """The address İYS records the consent for: the e-mail, or the phone number (E.164)."""
    if channel == "email":
        return contact.get("email")
    if channel == "sms":
        return crypto.open_sealed(contact.get("phone_enc"), "user.phone")
    return None
