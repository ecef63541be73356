"""The level rules (L1-L3), pure: points of an order, the share a return takes back, which tier a
customer holds.  No SQL, no clock: callers pass `now`.

The level rule (chalicelib/loyalty/api.py repeats it for other areas):
- points_12m: the points earned in the 365 days before now.  A reversal row carries its order's
  earning time, so an order's points and their reversal leave the window together.
- The qualified tier: the highest tier (by min_points, then sort_order) with min_points <= points_12m.
- Reaching a tier at or above the one held (an upgrade, or the same tier qualified again) sets the
  level and retained_until = now + 365 days: the level is kept for a year after the points last
  reached it.
- Downgrade: when the qualified tier is below the one held, nothing changes until retained_until
  has passed; then the level drops to the qualified tier (maybe several tiers, maybe none), kept
  for 365 days again when there is one.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any, NamedTuple

YEAR = dt.timedelta(days=365)
DEFAULT_POINTS_PER_TRY = Decimal(1)
MAX_POINTS_PER_TRY = Decimal(1000)
DEFAULT_BONUS_DAYS = 365
NO_BENEFITS: dict[str, Any] = {"free_shipping": False, "extra_bonus_percent": "0", "early_access_minutes": 0}


class Standing(NamedTuple):
    level_id: int | None
    since: dt.datetime | None
    retained_until: dt.datetime | None


def _section(settings: dict[str, Any] | None, name: str) -> dict[str, Any]:
    found = (settings or {}).get(name)
    return found if isinstance(found, dict) else {}


def points_per_try(settings: dict[str, Any] | None) -> Decimal:
    """settings.loyalty.points_per_try (0-1000, a number or a decimal string); else 1."""
    raw = _section(settings, "loyalty").get("points_per_try")
    if raw is None or isinstance(raw, bool):
        return DEFAULT_POINTS_PER_TRY
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return DEFAULT_POINTS_PER_TRY
    return value if value.is_finite() and 0 <= value <= MAX_POINTS_PER_TRY else DEFAULT_POINTS_PER_TRY


def bonus_days(settings: dict[str, Any] | None) -> int:
    """How long a level bonus lasts: settings.wallet.bonus_expiry_days (1-3650), else 365."""
    raw = _section(settings, "wallet").get("bonus_expiry_days")
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 < raw <= 3650:
        return raw
    return DEFAULT_BONUS_DAYS


def earned_points(paid_total: Decimal, rate: Decimal) -> int:
    """floor(paid_total x rate), never negative."""
    return max(int((paid_total * rate).to_integral_value(rounding=ROUND_FLOOR)), 0)


def reversed_points(earned: int, returned: Decimal | None, of: Decimal | None) -> int:
    """What of `earned` points a return of goods worth `returned` of `of` takes back: the points of
    what was kept stay (rounded down), the rest goes; all when the shares are unknown."""
    if returned is None or of is None or of <= 0 or returned >= of:
        return earned
    kept = int((earned * (of - max(returned, Decimal(0))) / of).to_integral_value(rounding=ROUND_FLOOR))
    return earned - kept


def qualified(tiers: Sequence[dict[str, Any]], points: int) -> dict[str, Any] | None:
    """The highest tier with min_points <= points; `tiers` lowest first."""
    best = None
    for tier in tiers:
        if int(tier["min_points"]) <= points:
            best = tier
    return best


def rank(tiers: Sequence[dict[str, Any]], level_id: int | None) -> int:
    """The tier's place, lowest 0; -1 for none (or a tier no longer offered)."""
    for index, tier in enumerate(tiers):
        if level_id is not None and int(tier["id"]) == level_id:
            return index
    return -1


def decide(tiers: Sequence[dict[str, Any]], held: Standing, points: int, now: dt.datetime) -> Standing:
    """The member's standing after an evaluation (the module docstring's rule)."""
    target = qualified(tiers, points)
    target_rank = -1 if target is None else tiers.index(target)
    held_rank = rank(tiers, held.level_id)
    if target is not None and target_rank >= held_rank:
        same = target_rank == held_rank
        return Standing(int(target["id"]), held.since if same and held.since else now, now + YEAR)
    if held_rank == -1:
        return Standing(None, None, None)
    if held.retained_until is not None and held.retained_until > now:
        return held
    if target is None:
        return Standing(None, None, None)
    return Standing(int(target["id"]), now, now + YEAR)


def progress(tiers: Sequence[dict[str, Any]], level_id: int | None, points: int) -> dict[str, Any]:
    """The next tier above the one held, the points still missing and the way there in percent."""
    held_rank = rank(tiers, level_id)
    if held_rank + 1 >= len(tiers):
        return {"next": None, "points_to_next": None, "progress_percent": 100 if tiers else 0}
    following = tiers[held_rank + 1]
    base = int(tiers[held_rank]["min_points"]) if held_rank >= 0 else 0
    goal = int(following["min_points"])
    span = goal - base
    done = 100 if span <= 0 else int(min(max((points - base) * 100 // span, 0), 100))
    return {"next": following, "points_to_next": max(goal - points, 0), "progress_percent": done}


def benefits_of(raw: Any) -> dict[str, Any]:
    """A tier's benefits JSON read defensively (a row written before validation, or by hand)."""
    found = raw if isinstance(raw, dict) else {}
    out = dict(NO_BENEFITS)
    if isinstance(found.get("free_shipping"), bool):
        out["free_shipping"] = found["free_shipping"]
    try:
        percent = Decimal(str(found.get("extra_bonus_percent", "0")))
        if percent.is_finite() and 0 <= percent <= 100:
            out["extra_bonus_percent"] = str(percent)
    except (InvalidOperation, ValueError):
        pass
    minutes = found.get("early_access_minutes")
    if isinstance(minutes, int) and not isinstance(minutes, bool) and 0 <= minutes <= 1440:
        out["early_access_minutes"] = minutes
    return out
