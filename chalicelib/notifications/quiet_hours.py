"""Quiet hours: marketing messages wait until the tenant's night is over (transactional ones do not).

The tenant's settings.notifications may hold
    {"quiet_hours": {"start": "21:00", "end": "09:00"} | null, "time_zone": "Europe/Istanbul"}
null turns quiet hours off; anything missing takes the default below.  A window whose start is
after its end spans midnight (21:00-09:00); start == end is no window at all.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone, tzinfo
from typing import Any

DEFAULT_START, DEFAULT_END, DEFAULT_ZONE = time(21, 0), time(9, 0), "Europe/Istanbul"
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
# Turkey has kept UTC+3 all year since 2016: the fallback where no tz database is installed.
_TURKEY = timezone(timedelta(hours=3))


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time
    zone: tzinfo


def _time(value: Any, default: time) -> time:
    match = _HHMM.match(value) if isinstance(value, str) else None
    return time(int(match.group(1)), int(match.group(2))) if match else default


def _zone(name: Any) -> tzinfo:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name if isinstance(name, str) and name else DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return _TURKEY


def from_settings(section: dict[str, Any]) -> QuietHours | None:
    """The tenant's quiet hours, or None when it turned them off."""
    if "quiet_hours" in section and not section["quiet_hours"]:
        return None
    found = section.get("quiet_hours")
    window: dict[str, Any] = found if isinstance(found, dict) else {}
    return QuietHours(_time(window.get("start"), DEFAULT_START), _time(window.get("end"), DEFAULT_END),
                      _zone(section.get("time_zone")))


def describe(quiet: QuietHours | None) -> dict[str, str] | None:
    if quiet is None:
        return None
    return {"start": quiet.start.strftime("%H:%M"), "end": quiet.end.strftime("%H:%M"), "time_zone": str(quiet.zone)}


def next_allowed(quiet: QuietHours | None, now: datetime) -> datetime | None:
    """None when a marketing message may go at `now` (aware, or naive UTC); else the naive UTC
    moment the window ends."""
    if quiet is None or quiet.start == quiet.end:
        return None
    aware = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    local = aware.astimezone(quiet.zone)
    t = local.time()
    if quiet.start < quiet.end:
        inside, end_day = quiet.start <= t < quiet.end, local.date()
    else:  # spans midnight
        inside = t >= quiet.start or t < quiet.end
        end_day = local.date() + timedelta(days=1) if t >= quiet.start else local.date()
    if not inside:
        return None
    ends = datetime.combine(end_day, quiet.end, tzinfo=quiet.zone)
    return ends.astimezone(timezone.utc).replace(tzinfo=None)
