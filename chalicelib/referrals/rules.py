"""settings.referrals, read defensively (a malformed value falls back to its default):
referrer_bonus "50.00", referee_bonus "25.00" (money, 0 turns that side's reward off), claim_days 30
(how old an account may be to claim a code, 1-3650).  The bonus does not expire (rewards.py says why),
so there is no `days` setting yet."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")
DEFAULTS: dict[str, Any] = {"referrer_bonus": Decimal("50.00"), "referee_bonus": Decimal("25.00"), "claim_days": 30}
MAX_BONUS = Decimal("100000.00")


def _section(settings: dict[str, Any] | None) -> dict[str, Any]:
    found = (settings or {}).get("referrals")
    return found if isinstance(found, dict) else {}


def _money(settings: dict[str, Any] | None, name: str) -> Decimal:
    raw = _section(settings).get(name)
    if raw is None or isinstance(raw, bool):
        return Decimal(DEFAULTS[name])
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return Decimal(DEFAULTS[name])
    if not value.is_finite() or not 0 <= value <= MAX_BONUS or value != value.quantize(CENT):
        return Decimal(DEFAULTS[name])
    return value.quantize(CENT)


def _days(settings: dict[str, Any] | None, name: str) -> int:
    raw = _section(settings).get(name)
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 < raw <= 3650:
        return raw
    return int(DEFAULTS[name])


def referrer_bonus(settings: dict[str, Any] | None) -> Decimal:
    return _money(settings, "referrer_bonus")


def referee_bonus(settings: dict[str, Any] | None) -> Decimal:
    return _money(settings, "referee_bonus")


def claim_days(settings: dict[str, Any] | None) -> int:
    return _days(settings, "claim_days")
