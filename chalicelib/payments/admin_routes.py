"""HTTP routes of payment transactions for staff (issue 12, AF): finance.read to look,
finance.write to decide.  Another tenant's ids are 404.

    GET  /api/admin/payments                          attempts: status, flow / method, provider, dates,
                                                      amounts, order, customer; keyset pages
    GET  /api/admin/payments/{attempt_id}             one attempt: basket lines, the order's payments
    POST /api/admin/payments/{attempt_id}/confirm     a bank transfer's money arrived: the order is paid
    POST /api/admin/payments/{attempt_id}/reject      no such money: the transfer turned down
    GET  /api/admin/payment-tasks                     manual work (open / done)
    POST /api/admin/payment-tasks/{task_id}/done      close a task with a note

Confirm and reject are idempotent by their nature (the same decision again answers the attempt
as it is); they take no Idempotency-Key.
"""
from __future__ import annotations

from chalicelib.orders import api as orders
from chalicelib.platform import permissions as perm
from chalicelib.platform.db import get_db
from chalicelib.platform.routing import ADMIN, Call, Router

from . import bank_transfer, tasks, views
from .admin_schemas import (
    AdminPaymentDetail,
    AdminPaymentPage,
    ConfirmIn,
    PaymentListQuery,
    RejectIn,
    TaskDoneIn,
    TaskOut,
    TaskPage,
    TaskQuery,
)
from .history_repository import AdminFilters

orders.register_messages()  # amount_mismatch, illegal_transition answered from here
router = Router(tag="payments")


@router.get("/api/admin/payments", auth=ADMIN, permission=perm.FINANCE_READ, query=PaymentListQuery,
            response=AdminPaymentPage)
def payments(call: Call) -> AdminPaymentPage:
    """The tenant's payment attempts, newest first: by status, flow or method (card, eft),
    provider (repeatable), created_from / created_before (UTC), amount_min / amount_max, order or
    customer; keyset pages (next_cursor)."""
    q: PaymentListQuery = call.query
    filters = AdminFilters(statuses=q.status or (), flows=q.flows, providers=q.provider or (),
                           created_from=q.created_from, created_before=q.created_before, amount_min=q.amount_min,
                           amount_max=q.amount_max, order_id=q.order_id, user_id=q.user_id)
    if (q.flow or q.method) and not filters.flows:  # flow and method that share nothing: no rows
        return AdminPaymentPage(items=[])
    return AdminPaymentPage.model_validate(views.admin_list(get_db(), call.tenant.id, filters, q.position, q.limit))


@router.get("/api/admin/payments/{attempt_id}", auth=ADMIN, permission=perm.FINANCE_READ,
            response=AdminPaymentDetail, errors=(404,))
def payment(call: Call) -> AdminPaymentDetail:
    """One attempt: what was asked and answered, the basket lines sent to the provider, and the
    money taken for its order by every method (the order's payments)."""
    return AdminPaymentDetail.model_validate(views.admin_detail(get_db(), call.tenant.id, call.path["attempt_id"]))


@router.post("/api/admin/payments/{attempt_id}/confirm", auth=ADMIN, permission=perm.FINANCE_WRITE, body=ConfirmIn,
             response=AdminPaymentDetail, errors=(404, 409))
def confirm_transfer(call: Call) -> AdminPaymentDetail:
    """The bank transfer's money arrived: the order's payment is recorded (bank_transfer, eft)
    and the order is paid, with the attempt succeeded, in one transaction (audited).  Again: the
    same answer.  409 payment_attempt_not_pending for a rejected one, not_a_bank_transfer for a
    card payment; 409 order_not_payable when the order expired or was cancelled meanwhile - the
    attempt is then expired and a payment task late_transfer_refund is opened (once) to pay the
    money back."""
    body: ConfirmIn = call.body
    db = get_db()
    bank_transfer.confirm(db, call.tenant.id, call.principal.user_id, call.path["attempt_id"], note=body.note)
    return AdminPaymentDetail.model_validate(views.admin_detail(db, call.tenant.id, call.path["attempt_id"]))


@router.post("/api/admin/payments/{attempt_id}/reject", auth=ADMIN, permission=perm.FINANCE_WRITE, body=RejectIn,
             response=AdminPaymentDetail, errors=(404, 409))
def reject_transfer(call: Call) -> AdminPaymentDetail:
    """No such money arrived: the transfer is rejected with the reason (audited, and in the
    order's history as a failed payment; the order stays payable until its hold runs out).
    Again: the same answer.  409 payment_attempt_not_pending once confirmed or expired."""
    body: RejectIn = call.body
    db = get_db()
    bank_transfer.reject(db, call.tenant.id, call.principal.user_id, call.path["attempt_id"], reason=body.reason)
    return AdminPaymentDetail.model_validate(views.admin_detail(db, call.tenant.id, call.path["attempt_id"]))


@router.get("/api/admin/payment-tasks", auth=ADMIN, permission=perm.FINANCE_READ, query=TaskQuery,
            response=TaskPage)
def payment_tasks(call: Call) -> TaskPage:
    """Manual payment work, newest first: late bank transfers to pay back, card refunds that
    failed, fraud reviews; by status (open, done); keyset pages."""
    q: TaskQuery = call.query
    return TaskPage.model_validate(views.tasks(get_db(), call.tenant.id, list(q.status or ()), q.position, q.limit))


@router.post("/api/admin/payment-tasks/{task_id}/done", auth=ADMIN, permission=perm.FINANCE_WRITE, body=TaskDoneIn,
             response=TaskOut, errors=(404,))
def payment_task_done(call: Call) -> TaskOut:
    """Close a task with a note of what was done (audited).  A task closed already keeps its
    first note and is answered as it is."""
    body: TaskDoneIn = call.body
    db = get_db()
    tasks.mark_done(db, call.tenant.id, call.principal.user_id, call.path["task_id"], body.note)
    return TaskOut.model_validate(views.task(db, call.tenant.id, call.path["task_id"]))
