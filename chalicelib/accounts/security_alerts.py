"""Security alerts ("2FA was switched off on your account") through the notification pipeline:
a `security_alert` e-mail, sent through the accounts area's door to it (mail.py, which calls
chalicelib.notifications.api).

Alerts are sent after the change committed and are best effort: a failing alert must not turn
an already-committed change into an error answer (e.g. recovery codes that were saved but never
shown because the response became a 500).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from chalicelib.platform.logging import get_logger

from . import mail

log = get_logger("accounts.security")

# Event codes of the notifications area's `security_alert` template (its _SECURITY_EVENTS).
MFA_ENABLED = "two_factor_enabled"
MFA_DISABLED = "two_factor_disabled"
RECOVERY_CODES_REGENERATED = "recovery_codes_regenerated"
RECOVERY_CODE_USED = "recovery_code_used"
BIOMETRIC_KEY_ADDED = "biometric_key_added"


def send(tenant_id: int, user: dict[str, Any], event: str) -> None:
    """Queue a `security_alert` e-mail to the account owner.  `user` needs id, email, language."""
    if not user.get("email"):
        return  # phone-only account: SMS carries codes, not alerts (the template is e-mail only)
    try:
        mail.send(None, tenant_id, channel="email", to=user["email"], template="security_alert",
                    lang=user.get("language") or "tr", params={"event": event, "when": _now()},
                    user_id=user["id"])
    except Exception:  # noqa: BLE001 - best effort, see module docstring
        log.exception("security alert failed", extra={"event": event})


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)  # naive UTC, as the template expects
