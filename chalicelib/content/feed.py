"""What the apps read and record: stories with `seen`, sliders of a placement, the popups a viewer
may see now, story views, slider clicks and popup impressions.

A viewer is the signed-in customer ("u:<id>") or, for a guest, the app's X-Device-Id ("d:<id>").
The tenant's live lists come from the cache (service.live_rows); the viewer's own rows are one
indexed query per request (story_views / popup_impressions by primary key).

Popups:
- targeting (audience, every condition given must hold): platforms (the app's ?platform=),
  segments (the customer's ML segment, chalicelib.ml.api), levels (the loyalty level code,
  chalicelib.loyalty.api), new_customers (true: guests and customers without a paid order yet;
  false: customers with one).  A guest never matches a segment or level condition.  The facts
  are looked up only when a popup asks for them, each at most once per request.
- frequency cap per viewer: once (ever), daily (a calendar day in Turkey, UTC+3: period key the
  date), every_visit (no cap).  POST .../impressions counts a show; GET /api/popups leaves out
  the popups already shown in their period, highest priority first.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from chalicelib.platform.db import Database, Session, UnitOfWork

from . import repository as repo
from . import service
from .errors import PopupNotFound, SliderNotFound, StoryNotFound, ViewerRequired

TURKEY = timezone(timedelta(hours=3))
ONCE = ""  # the period key of "once" and "every_visit" shows


@dataclass(frozen=True)
class Viewer:
    user_id: int | None
    device_id: str | None

    @property
    def key(self) -> str | None:
        if self.user_id is not None:
            return f"u:{self.user_id}"
        return f"d:{self.device_id}" if self.device_id else None

    def required_key(self) -> str:
        key = self.key
        if key is None:
            raise ViewerRequired()
        return key


def period_key(frequency: str, now: datetime) -> str:
    """daily: the date in Turkey (UTC+3); once and every_visit: one lifetime period."""
    if frequency != "daily":
        return ONCE
    return now.replace(tzinfo=timezone.utc).astimezone(TURKEY).date().isoformat()


# -- stories -------------------------------------------------------------------------------------
def stories(db: Database, tenant_id: int, viewer: Viewer, now: datetime | None = None) -> list[dict[str, Any]]:
    rows = service.live_rows(db, tenant_id, repo.STORY, now or service.utcnow())
    key = viewer.key
    seen = repo.seen_stories(db.reader(), tenant_id, key, [r["id"] for r in rows]) if key else set()
    return [{**r, "seen": r["id"] in seen} for r in rows]


def view_story(db: Database, tenant_id: int, story_id: int, viewer: Viewer,
               now: datetime | None = None) -> dict[str, Any]:
    """Idempotent per viewer: the first view counts (view_count + 1), later ones change nothing."""
    key, at = viewer.required_key(), now or service.utcnow()

    def work(uow: UnitOfWork) -> bool:
        if repo.live_one(uow, repo.STORY, tenant_id, story_id, at) is None:
            raise StoryNotFound()
        first = repo.add_view(uow, tenant_id, story_id, key)
        if first:
            repo.count_view(uow, tenant_id, story_id)
        uow.commit()
        return first

    return {"story_id": story_id, "first_view": db.transaction(work)}


# -- sliders -------------------------------------------------------------------------------------
def sliders(db: Database, tenant_id: int, placement: str, now: datetime | None = None) -> list[dict[str, Any]]:
    return [r for r in service.live_rows(db, tenant_id, repo.SLIDER, now or service.utcnow())
            if r["placement"] == placement]


def click_slider(db: Database, tenant_id: int, slider_id: int, now: datetime | None = None) -> None:
    if not repo.add_click(db.session(), tenant_id, slider_id, now or service.utcnow()):
        raise SliderNotFound()


# -- popups --------------------------------------------------------------------------------------
@dataclass
class _Facts:
    """What targeting may ask about the viewer, each looked up once and only when asked."""

    session: Session
    tenant_id: int
    user_id: int | None
    _known: dict[str, Any] = field(default_factory=dict)

    def _get(self, name: str, load: Callable[[int], Any]) -> Any:
        if self.user_id is None:
            return None
        if name not in self._known:
            self._known[name] = load(self.user_id)
        return self._known[name]

    def segment(self) -> str | None:
        return self._get("segment", lambda uid: segment_of(self.session, self.tenant_id, uid))  # type: ignore[no-any-return]

    def level(self) -> str | None:
        return self._get("level", lambda uid: level_code(self.session, self.tenant_id, uid))  # type: ignore[no-any-return]

    def is_new(self) -> bool:
        return not self._get("has_order", lambda uid: repo.has_order(self.session, self.tenant_id, uid))


def segment_of(session: Session, tenant_id: int, user_id: int) -> str | None:
    """The customer's segment as the ML service wrote it (the ML area's door)."""
    from chalicelib.ml import api as ml  # on first use: only segment-targeted popups need it

    return ml.segment_of(session, tenant_id, user_id)


def level_code(session: Session, tenant_id: int, user_id: int) -> str | None:
    """The customer's loyalty level code (the loyalty area's door)."""
    from chalicelib.loyalty import api as loyalty  # on first use: only level-targeted popups need it

    return loyalty.level_code(session, tenant_id, user_id)


def targets(audience: dict[str, Any] | None, platform: str | None, facts: _Facts) -> bool:
    if not audience:
        return True
    if audience.get("platforms") and platform not in audience["platforms"]:
        return False
    new = audience.get("new_customers")
    if new is not None and facts.is_new() != new:
        return False
    if audience.get("segments") and facts.segment() not in audience["segments"]:
        return False
    return not (audience.get("levels") and facts.level() not in audience["levels"])


def popups(db: Database, tenant_id: int, viewer: Viewer, platform: str | None, limit: int,
           now: datetime | None = None) -> list[dict[str, Any]]:
    """The popups this viewer may see now: shown, targeted at them, not capped; highest priority first."""
    key, at = viewer.required_key(), now or service.utcnow()
    session = db.reader()
    facts = _Facts(session, tenant_id, viewer.user_id)
    rows = [r for r in service.live_rows(db, tenant_id, repo.POPUP, at) if targets(r.get("audience"), platform, facts)]
    today = period_key("daily", at)
    shown = repo.impressions(session, tenant_id, key, [r["id"] for r in rows if r["frequency"] != "every_visit"],
                             (ONCE, today))
    free = [r for r in rows if (r["id"], period_key(r["frequency"], at)) not in shown or r["frequency"] == "every_visit"]
    return free[:limit]


def record_impression(db: Database, tenant_id: int, popup_id: int, viewer: Viewer,
                      now: datetime | None = None) -> dict[str, Any]:
    key, at = viewer.required_key(), now or service.utcnow()

    def work(uow: UnitOfWork) -> dict[str, Any]:
        row = repo.live_one(uow, repo.POPUP, tenant_id, popup_id, at)
        if row is None:
            raise PopupNotFound()
        shown = repo.add_impression(uow, tenant_id, popup_id, key, period_key(row["frequency"], at), at)
        uow.commit()
        return {"popup_id": popup_id, "shown": shown, "capped": row["frequency"] != "every_visit"}

    return db.transaction(work)
