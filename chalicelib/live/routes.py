"""HTTP routes of live users: the app's presence calls and the staff overview.

The app calls register when it opens, heartbeat every 30 s, user-data/log with batches of
activity, unregister when it closes.  They are PUBLIC (tenant key): a guest is known by its
device id, a signed-in user by the token it sends too.  Limits are per route and per client (the
user, else the X-Device-Id header, else the IP): a heartbeat every 30 s is 30 per 15 minutes.
"""
from __future__ import annotations

from chalicelib.platform import permissions
from chalicelib.platform.routing import ADMIN, PUBLIC, Call, Router

from . import activity, push, service
from .activity import Activity
from .errors import PresenceUnknown
from .presence import now
from .schemas import (
    ActivityListOut,
    ActivityLogIn,
    ActivityLogOut,
    ActivityOut,
    ActivityQuery,
    HeartbeatIn,
    LiveUserOut,
    LiveUsersOut,
    LiveUsersQuery,
    MinuteCount,
    PresenceOut,
    RegisterIn,
    UnregisterIn,
)

router = Router(tag="live")
WINDOW = 900


def _client(call: Call, device_id: str) -> service.Client:
    principal = call.ctx.principal
    return service.Client(device_id=device_id, user_id=principal.user_id if principal else None)


def _presence_out(online: bool) -> PresenceOut:
    return PresenceOut(online=online, expires_in=service.ttl() if online else 0,
                       heartbeat_seconds=service.HEARTBEAT_SECONDS)


@router.post("/api/live-users/register", auth=PUBLIC, body=RegisterIn, response=PresenceOut,
             rate_limit=(30, WINDOW), errors=(400, 401, 429))
def register(call: Call) -> PresenceOut:
    """The app opened: this device is online (as its signed-in user, or as a guest)."""
    body: RegisterIn = call.body
    service.register(call.tenant.id, _client(call, body.device_id), body.platform, body.app_version,
                     body.screen, now())
    return _presence_out(True)


@router.post("/api/live-users/heartbeat", auth=PUBLIC, body=HeartbeatIn, response=PresenceOut,
             rate_limit=(60, WINDOW), errors=(400, 401, 404, 429))
def heartbeat(call: Call) -> PresenceOut:
    """Still here (every 30 s): the presence lives another TTL.  404 presence_unknown: register again."""
    body: HeartbeatIn = call.body
    if not service.heartbeat(call.tenant.id, _client(call, body.device_id), body.screen, now()):
        raise PresenceUnknown()
    return _presence_out(True)


@router.post("/api/live-users/unregister", auth=PUBLIC, body=UnregisterIn, response=PresenceOut,
             rate_limit=(30, WINDOW), errors=(400, 401, 429))
def unregister(call: Call) -> PresenceOut:
    """The app closed: the device leaves at once (answers the same when it was not online)."""
    body: UnregisterIn = call.body
    service.unregister(call.tenant.id, _client(call, body.device_id), now())
    return _presence_out(False)


@router.post("/api/user-data/log", auth=PUBLIC, body=ActivityLogIn, response=ActivityLogOut,
             rate_limit=(120, WINDOW), errors=(400, 401, 429))
def log_activity(call: Call) -> ActivityLogOut:
    """A batch of activity (screen changes, actions) with device timestamps, at most 50."""
    body: ActivityLogIn = call.body
    client = _client(call, body.device_id)
    events = [Activity(type=e.type, at=e.at, screen=e.screen, name=e.name, user_id=client.user_id,
                       product_id=e.product_id, query=e.query)
              for e in body.events]
    kept, dropped = service.log_activity(call.tenant.id, client, events, now())
    return ActivityLogOut(accepted=kept, dropped=dropped)


@router.get("/api/admin/live-users", auth=ADMIN, permission=permissions.USERS_READ, query=LiveUsersQuery,
            response=LiveUsersOut, errors=(400, 401, 403))
def live_users(call: Call) -> LiveUsersOut:
    """Who is online now (screen, signed-in or guest) and devices per minute over the last hours.
    Live updates: the WebSocket API (README, "Live users")."""
    query: LiveUsersQuery = call.query
    at = now()
    view = service.overview(call.tenant.id, at, query.hours, query.limit)
    users = [LiveUserOut.model_validate(push.user_view(p)) for p in view.users]
    signed_in = sum(1 for u in users if u.kind == "user")
    return LiveUsersOut(
        online=view.online, signed_in=signed_in, guests=len(users) - signed_in, users=users,
        truncated=view.online > len(users),
        per_minute=[MinuteCount.model_validate({"minute": push.iso(m * 60), "count": c}) for m, c in view.per_minute])


@router.get("/api/admin/live-users/activity", auth=ADMIN, permission=permissions.USERS_READ,
            query=ActivityQuery, response=ActivityListOut, errors=(400, 401, 403))
def device_activity(call: Call) -> ActivityListOut:
    """One device's recent activity, newest first (kept 7 days, at most 500 events)."""
    query: ActivityQuery = call.query
    items = activity.recent(call.tenant.id, query.device_id, query.limit)
    return ActivityListOut(items=[ActivityOut(type=a.type, at=a.at, screen=a.screen, name=a.name,
                                              user_id=a.user_id) for a in items])
