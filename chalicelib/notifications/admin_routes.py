"""The delivery log for staff (users.read): every message on every channel with its status.

    GET /api/admin/notifications/deliveries                  by status, channel, category, template,
                                                             user, message, dates; keyset pages
    GET /api/admin/notifications/deliveries/{delivery_id}    one delivery with its push tickets
Another tenant's ids are 404.
"""
from __future__ import annotations

from chalicelib.platform import permissions as perm
from chalicelib.platform.db import get_db
from chalicelib.platform.errors import NotFound
from chalicelib.platform.routing import ADMIN, Call, Router

from . import deliveries_repository as deliveries
from .schemas import DeliveryDetail, DeliveryPage, DeliveryQuery

router = Router(tag="notifications")


@router.get("/api/admin/notifications/deliveries", auth=ADMIN, permission=perm.USERS_READ, query=DeliveryQuery,
            response=DeliveryPage)
def list_deliveries(call: Call) -> DeliveryPage:
    """Deliveries, newest first: queued, deferred (quiet hours), sent, delivered (push receipt ok),
    failed (with the reason), suppressed (no consent, preference off, no device)."""
    q: DeliveryQuery = call.query
    filters = {"status": q.status, "channel": q.channel, "category": q.category, "template": q.template,
               "user_id": q.user_id, "message_id": q.message_id, "created_from": q.created_from,
               "created_before": q.created_before}
    rows = deliveries.page(get_db().reader(), call.tenant.id, filters, q.position, q.limit)
    more = len(rows) > q.limit
    rows = rows[:q.limit]
    return DeliveryPage.model_validate({"items": rows,
                                        "next_cursor": deliveries.NEWEST.encode_row(rows[-1]) if more else None})


@router.get("/api/admin/notifications/deliveries/{delivery_id}", auth=ADMIN, permission=perm.USERS_READ,
            response=DeliveryDetail, errors=(404,))
def delivery(call: Call) -> DeliveryDetail:
    row = deliveries.detail(get_db().reader(), call.tenant.id, call.path["delivery_id"])
    if row is None:
        raise NotFound()
    return DeliveryDetail.model_validate(row)
