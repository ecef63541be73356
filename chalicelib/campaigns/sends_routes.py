"""Staff routes of campaign sends (K5 / AM: e-mail, SMS and push campaigns), tag campaigns-admin:

    GET    /api/admin/campaign-sends                    the shop's sends, newest first (filter by status)
    POST   /api/admin/campaign-sends                    a new draft
    GET    /api/admin/campaign-sends/{send_id}          one send
    PUT    /api/admin/campaign-sends/{send_id}          replace a draft
    DELETE /api/admin/campaign-sends/{send_id}          delete a draft or a cancelled send
    POST   /api/admin/campaign-sends/{send_id}/schedule send at scheduled_at (now when left out)
    POST   /api/admin/campaign-sends/{send_id}/cancel   stop it (a send in progress stops after its batch)
    GET    /api/admin/campaign-sends/{send_id}/stats    audience, queued, skipped by reason, deliveries per
                                                        channel, conversions within 7 days
"""
from __future__ import annotations

from chalicelib.platform import permissions
from chalicelib.platform.db import get_db
from chalicelib.platform.routing import ADMIN, Call, Router

from . import sends_service as service
from .sends_schemas import ScheduleIn, SendIn, SendOut, SendsPage, SendsQuery, SendStatsOut

router = Router(tag="campaigns-admin")
READ, WRITE = permissions.CAMPAIGNS_READ, permissions.CAMPAIGNS_WRITE
BASE = "/api/admin/campaign-sends"
ONE = BASE + "/{send_id}"


def _shown(tenant_id: int, send_id: int) -> SendOut:
    return SendOut.model_validate(service.get(get_db(), tenant_id, send_id))


def _fields(body: SendIn) -> dict[str, object]:
    return body.model_dump(mode="json")


@router.get(BASE, auth=ADMIN, permission=READ, query=SendsQuery, response=SendsPage, errors=(400, 401, 403))
def list_sends(call: Call) -> SendsPage:
    """The shop's campaign sends, newest first; page with next_cursor."""
    q: SendsQuery = call.query
    return SendsPage.model_validate(service.page(get_db(), call.tenant.id, q.status, q.position, q.limit))


@router.post(BASE, auth=ADMIN, permission=WRITE, body=SendIn, response=SendOut, status=201,
             errors=(400, 401, 403, 404))
def create_send(call: Call) -> SendOut:
    """A draft: name, channels (email, sms, push), audience (segments and / or loyalty levels, or
    all_customers), title (≤ 120), body (≤ 1000; ≤ 480 with SMS), deep_link (https:// or huglu://),
    optionally the campaign it promotes (404 when the shop has no such campaign)."""
    send_id = service.create(get_db(), call.tenant.id, call.principal.user_id, _fields(call.body))
    return _shown(call.tenant.id, send_id)


@router.get(ONE, auth=ADMIN, permission=READ, response=SendOut, errors=(401, 403, 404))
def get_send(call: Call) -> SendOut:
    """One campaign send with its counters."""
    return _shown(call.tenant.id, call.path["send_id"])


@router.put(ONE, auth=ADMIN, permission=WRITE, body=SendIn, response=SendOut, errors=(400, 401, 403, 404, 409))
def update_send(call: Call) -> SendOut:
    """Replace a draft's content; any other status is 409 send_status_conflict."""
    service.update(get_db(), call.tenant.id, call.path["send_id"], _fields(call.body))
    return _shown(call.tenant.id, call.path["send_id"])


@router.delete(ONE, auth=ADMIN, permission=WRITE, status=204, errors=(401, 403, 404, 409))
def delete_send(call: Call) -> None:
    """Delete a draft or a cancelled send (409 for one scheduled, in progress or sent)."""
    service.delete(get_db(), call.tenant.id, call.path["send_id"])


@router.post(ONE + "/schedule", auth=ADMIN, permission=WRITE, body=ScheduleIn, response=SendOut,
             errors=(400, 401, 403, 404, 409))
def schedule_send(call: Call) -> SendOut:
    """Schedule a draft (or move a scheduled send) to `scheduled_at`, now when left out; the
    delivery runs every minute.  Commercial messages reach only customers with consent (İYS) and
    wait out the shop's quiet hours."""
    service.schedule(get_db(), call.tenant.id, call.path["send_id"], call.body.scheduled_at)
    return _shown(call.tenant.id, call.path["send_id"])


@router.post(ONE + "/cancel", auth=ADMIN, permission=WRITE, response=SendOut, errors=(401, 403, 404, 409))
def cancel_send(call: Call) -> SendOut:
    """Cancel a draft, a scheduled send, or one in progress (it stops after the batch in hand);
    a sent one is 409."""
    service.cancel(get_db(), call.tenant.id, call.path["send_id"])
    return _shown(call.tenant.id, call.path["send_id"])


@router.get(ONE + "/stats", auth=ADMIN, permission=READ, response=SendStatsOut, errors=(401, 403, 404))
def send_stats(call: Call) -> SendStatsOut:
    """Audience, queued and skipped (by reason: no_consent, preference_off, no_device, ...), the
    deliveries per channel and status, and conversions: paid orders the recipients placed within
    7 days, and, for a send naming a campaign, their orders that used it."""
    return SendStatsOut.model_validate(service.stats(get_db(), call.tenant.id, call.path["send_id"]))
