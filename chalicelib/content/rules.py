"""The content rules that need more than one field, and the shapes of links and media.

Pure functions (no SQL, no HTTP): the schemas use the single-value checks, the service runs
`check(kind, row)` on the row as it will be stored (a create's values, or an update merged into
the stored row), so a partial update is judged exactly like a create.

Links (stories and sliders): link_type and link_target come together or not at all.
  product / category / campaign → the target is the id, a positive integer (kept as its digits);
  url                           → an absolute https URL (no credentials, no spaces).
Popups' cta_link: an https URL or an app path ("/products/12").
Media (media_key, thumbnail_key, image_key, ...): an S3 key of the media area's shape
(letters, digits and / _ . - ! * ' ( ), no leading "/", no "..") or an https URL.
Schedules: ends_at, when given with starts_at, is later than it.  A story without ends_at
expires 24 hours after it starts (starts_at, else its creation), as on Instagram.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from .errors import invalid

LINK_TYPES = ("product", "category", "campaign", "url")
ID_LINKS = frozenset({"product", "category", "campaign"})
STORY_LIFETIME = timedelta(hours=24)
MAX_LINK = 500
BIGINT = 2**63

_KEY = re.compile(r"[A-Za-z0-9!_.*'()-][A-Za-z0-9!_.*'()/-]{0,499}")
_URL_CHARS = re.compile(r"[!-~]+")  # printable ASCII, no spaces (an IDN host is sent as punycode)
_APP_PATH = re.compile(r"/(?!/)[!-~]{0,499}")


def https_url(value: str) -> bool:
    if len(value) > MAX_LINK or not _URL_CHARS.fullmatch(value):
        return False
    try:
        parts = urlsplit(value)
        host = parts.hostname
        _ = parts.port  # a port that is no number raises ValueError
    except ValueError:
        return False
    return parts.scheme == "https" and bool(host) and "@" not in parts.netloc


def media_ref(value: str) -> bool:
    """An S3 key (no "..", no "//") or an https URL."""
    if value.startswith("https://"):
        return https_url(value)
    return bool(_KEY.fullmatch(value)) and ".." not in value and "//" not in value


def app_link(value: str) -> bool:
    """A popup's call to action: an https URL or a path inside the app."""
    return https_url(value) if value.startswith("https://") else bool(_APP_PATH.fullmatch(value))


def link_target(link_type: str, target: str) -> str | None:
    """The target in its stored form, or None when it does not fit the type."""
    if link_type in ID_LINKS:
        digits = target.strip()
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 19 or not 0 < int(digits) < BIGINT:
            return None
        return str(int(digits))
    return target if link_type == "url" and https_url(target) else None


def check(kind: str, row: dict[str, Any]) -> dict[str, Any]:
    """Raise the one validation error for a broken rule; return the row with its link target in
    stored form.  `kind`: story, slider or popup."""
    starts, ends = row.get("starts_at"), row.get("ends_at")
    if starts is not None and ends is not None and ends <= starts:
        raise invalid("ends_at", "schedule_order", "ends_at must be later than starts_at.")
    if kind == "popup":
        return row
    link_type, target = row.get("link_type"), row.get("link_target")
    if (link_type is None) != (target is None):
        raise invalid("link_target" if target is None else "link_type", "link_incomplete",
                      "Give link_type and link_target together, or neither.")
    if link_type is None:
        return row
    stored = link_target(link_type, str(target))
    if stored is None:
        raise invalid("link_target", "link_target_invalid",
                      "For product, category and campaign links a positive id; for url links an https URL.")
    return {**row, "link_target": stored}


def story_expiry(starts_at: datetime | None, ends_at: datetime | None, created_at: datetime) -> datetime:
    """When a story stops showing: its ends_at, else 24 hours after it starts (or was created)."""
    return ends_at if ends_at is not None else (starts_at or created_at) + STORY_LIFETIME
