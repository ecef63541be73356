"""HTTP routes of the admin order panel (issue 5 item 8, feature AO), deployed as their own
function (functions/orders_admin.py) and documented under the OpenAPI tag orders_admin.

    GET  /api/admin/orders                          filtered, searched, keyset-paged list
    GET  /api/admin/orders/summary                  counts per status (the panel's tabs)
    GET  /api/admin/orders/cancellations            refunds still pending, unpaid holds running out
    GET  /api/admin/orders/{order_id}               detail + staff extras + allowed next statuses
    PUT  /api/admin/orders/{order_id}/status        move along the lifecycle (expected_version)
    POST /api/admin/orders/{order_id}/mark-paid     confirm an EFT / cash payment
    POST /api/admin/orders/{order_id}/cancel        cancel: stock back, refund requested
    PUT  /api/admin/orders/{order_id}/note          the staff-only note

Reads need orders.read, writes orders.write; every write is audited in its own transaction.
Another tenant's order id answers 404, like an id that does not exist.  (The invoice, shipment
and return routes under /api/admin/orders/{order_id}/... belong to those areas.)
"""
from __future__ import annotations

from chalicelib.platform import permissions as perm
from chalicelib.platform.db import get_db
from chalicelib.platform.routing import ADMIN, Call, Router

from . import admin_service as service
from . import errors  # noqa: F401 - registers the area's messages
from .admin_schemas import (
    AdminOrderOut,
    MarkPaidIn,
    NoteIn,
    OrderListPage,
    OrderListQuery,
    OrdersAdminCancelIn,
    QueuePage,
    QueueQuery,
    StatusIn,
    StatusSummary,
)

router = Router(tag="orders_admin")
READ, WRITE = perm.ORDERS_READ, perm.ORDERS_WRITE


@router.get("/api/admin/orders", auth=ADMIN, permission=READ, query=OrderListQuery, response=OrderListPage)
def list_orders(call: Call) -> OrderListPage:
    """Orders of every customer, newest first unless sorted otherwise.

    Filters combine (AND); `status` and `payment_status` repeat.  `q` is an order number or
    its start, an e-mail or its start, or words starting the customer's first / last name.
    Pages follow `next_cursor` (valid for the same sort)."""
    return OrderListPage.model_validate(service.list_orders(get_db(), call.tenant.id, call.query))


@router.get("/api/admin/orders/summary", auth=ADMIN, permission=READ, response=StatusSummary)
def order_summary(call: Call) -> StatusSummary:
    """How many orders are in each status."""
    return StatusSummary.model_validate(service.summary(get_db(), call.tenant.id))


@router.get("/api/admin/orders/cancellations", auth=ADMIN, permission=READ, query=QueueQuery, response=QueuePage)
def cancellations_queue(call: Call) -> QueuePage:
    """Orders to act on: `refund_pending` (cancelled, money still to go back) or `expiring`
    (unpaid, stock hold ending within `within_minutes`), with both counts."""
    return QueuePage.model_validate(service.cancellations(get_db(), call.tenant.id, call.query))


@router.get("/api/admin/orders/{order_id}", auth=ADMIN, permission=READ, response=AdminOrderOut, errors=(404,))
def order_detail(call: Call) -> AdminOrderOut:
    """One order with items, payments, refunds, shipments, timeline, staff note and the
    statuses it may move to next (and through which action)."""
    return AdminOrderOut.model_validate(
        service.detail(get_db(), call.tenant.id, call.path["order_id"], call.principal.user_id))


@router.put("/api/admin/orders/{order_id}/status", auth=ADMIN, permission=WRITE, body=StatusIn,
            response=AdminOrderOut, errors=(404, 409))
def change_status(call: Call) -> AdminOrderOut:
    """Move the order to a legal next status (409 illegal_transition otherwise).

    cancelled releases / restocks and requests the refund; paid is 409 use_mark_paid; return
    steps are 409 status_managed_by_returns.  With `expected_version`, a change someone else made
    first is 409 order_version_conflict.  Already in that status: answered unchanged."""
    body: StatusIn = call.body
    return AdminOrderOut.model_validate(service.change_status(
        get_db(), call.tenant.id, call.path["order_id"], call.principal.user_id, to_status=body.status,
        note=body.note, expected_version=body.expected_version))


@router.post("/api/admin/orders/{order_id}/mark-paid", auth=ADMIN, permission=WRITE, body=MarkPaidIn,
             response=AdminOrderOut, errors=(404, 409))
def mark_paid(call: Call) -> AdminOrderOut:
    """Confirm a bank transfer or cash payment of the amount due: the stock hold becomes a sale
    and the invoice follows.  An already paid order answers unchanged; a cancelled one is 409."""
    body: MarkPaidIn = call.body
    return AdminOrderOut.model_validate(service.mark_paid(
        get_db(), call.tenant.id, call.path["order_id"], call.principal.user_id, method=body.method,
        reference=body.reference))


@router.post("/api/admin/orders/{order_id}/cancel", auth=ADMIN, permission=WRITE, body=OrdersAdminCancelIn,
             response=AdminOrderOut, errors=(404, 409))
def cancel_order(call: Call) -> AdminOrderOut:
    """Cancel an order that has not shipped, with a reason; a cancelled order answers unchanged."""
    return AdminOrderOut.model_validate(service.cancel(
        get_db(), call.tenant.id, call.path["order_id"], call.principal.user_id, reason=call.body.reason))


@router.put("/api/admin/orders/{order_id}/note", auth=ADMIN, permission=WRITE, body=NoteIn,
            response=AdminOrderOut, errors=(404,))
def set_note(call: Call) -> AdminOrderOut:
    """Set or clear the staff-only note (never shown to the customer)."""
    return AdminOrderOut.model_validate(service.set_note(
        get_db(), call.tenant.id, call.path["order_id"], call.principal.user_id, note=call.body.admin_note))
