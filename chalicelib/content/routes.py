"""The apps' content routes (issue 15 item 9: X3, AM), public with the tenant's API key.

    GET  /api/stories                        live stories in order, each with `seen` for the viewer
    POST /api/stories/{story_id}/views       the viewer saw it (idempotent per viewer)
    GET  /api/sliders?placement=home         live sliders / banners of a placement (home, category, cart, product)
    POST /api/sliders/{slider_id}/clicks     one click (click_count + 1)
    GET  /api/popups?platform=ios            the popups this viewer may see now, highest priority first
    POST /api/popups/{popup_id}/impressions  the popup was shown (counts toward its frequency cap)

The viewer is the signed-in customer when a Bearer token is sent, else the app's X-Device-Id.
Lists are served from the tenant's cached content (invalidated by every staff edit); `seen` and
the caps are the viewer's own rows, read per request.  Staff routes are in admin_routes.py.
"""
from __future__ import annotations

from chalicelib.platform.db import get_db
from chalicelib.platform.routing import PUBLIC, Call, Router

from . import feed
from .schemas import (
    ImpressionOut,
    PopupsOut,
    PopupsQuery,
    SlidersOut,
    SlidersQuery,
    StoriesOut,
    StoryViewOut,
)

router = Router(tag="content")
TRACKING_LIMIT = (600, 900)  # per viewer per 15 minutes: an app records what it shows, not more


def _viewer(call: Call) -> feed.Viewer:
    principal = call.ctx.principal
    return feed.Viewer(principal.user_id if principal else None, call.ctx.device_id)


@router.get("/api/stories", auth=PUBLIC, response=StoriesOut, errors=(401, 429))
def list_stories(call: Call) -> StoriesOut:
    """Stories showing now, in the shop's order, each with `seen` for this viewer (a guest without
    X-Device-Id sees every story unseen).  A story without ends_at expires 24 hours after it starts."""
    return StoriesOut.model_validate({"items": feed.stories(get_db(), call.tenant.id, _viewer(call))})


@router.post("/api/stories/{story_id}/views", auth=PUBLIC, response=StoryViewOut, rate_limit=TRACKING_LIMIT,
             errors=(400, 401, 404, 429))
def view_story(call: Call) -> StoryViewOut:
    """Record that the viewer (token, else X-Device-Id: 400 viewer_required without either) saw a
    story that shows now.  Idempotent: only the first view counts toward the story's views."""
    return StoryViewOut.model_validate(feed.view_story(get_db(), call.tenant.id, call.path["story_id"], _viewer(call)))


@router.get("/api/sliders", auth=PUBLIC, query=SlidersQuery, response=SlidersOut, errors=(400, 401, 429))
def list_sliders(call: Call) -> SlidersOut:
    """Sliders / banners of a placement (home by default) showing now, in the shop's order."""
    q: SlidersQuery = call.query
    return SlidersOut.model_validate({"items": feed.sliders(get_db(), call.tenant.id, q.placement)})


@router.post("/api/sliders/{slider_id}/clicks", auth=PUBLIC, rate_limit=TRACKING_LIMIT, errors=(401, 404, 429))
def click_slider(call: Call) -> None:
    """Count a click on a slider that shows now (204)."""
    feed.click_slider(get_db(), call.tenant.id, call.path["slider_id"])


@router.get("/api/popups", auth=PUBLIC, query=PopupsQuery, response=PopupsOut, errors=(400, 401, 429))
def list_popups(call: Call) -> PopupsOut:
    """The popups this viewer may see now: aimed at them (segments, levels, new customers, the
    app's `platform`) and under their frequency cap (once, daily, every visit); highest priority
    first.  Needs a token or X-Device-Id (400 viewer_required)."""
    q: PopupsQuery = call.query
    items = feed.popups(get_db(), call.tenant.id, _viewer(call), q.platform, q.limit)
    return PopupsOut.model_validate({"items": items})


@router.post("/api/popups/{popup_id}/impressions", auth=PUBLIC, response=ImpressionOut, rate_limit=TRACKING_LIMIT,
             errors=(400, 401, 404, 429))
def popup_impression(call: Call) -> ImpressionOut:
    """Record that the popup was shown to the viewer (token, else X-Device-Id); a once or daily
    popup is then left out of GET /api/popups for the viewer in that period."""
    return ImpressionOut.model_validate(
        feed.record_impression(get_db(), call.tenant.id, call.path["popup_id"], _viewer(call)))
