"""HTTP routes of card refunds and cancels and of the reconciliation report, for staff (issue 12,
items 7 and 10): finance.write to give money back, finance.read to look.  Another tenant's ids
are 404.

    POST /api/admin/payments/{attempt_id}/refund     (part of) a card payment back to the card
    POST /api/admin/payments/{attempt_id}/cancel     the whole payment cancelled the same day
    GET  /api/admin/payments/reconciliation          our records against iyzico's: mismatches

Refund and cancel require an Idempotency-Key.  Each runs in two steps: the refund row is asked
through orders.api (on the locked order, committed: the intent), then carried out at once by
refunds.carry_out, and the answer says how it ended.  Synchronous on purpose: staff at the
panel want to know whether the money went back, and a refusal (a card that cannot be refunded)
shows up as its task right away.  Nothing is lost when the second step does not finish (iyzico
unreachable, a timeout): the refund row stays requested and its PaymentRefundRequested event,
committed with it, lets the payments_refunds consumer finish it (status "requested" in the
answer).  Should that consumer get to the row first, it spreads the amount by the default rules
rather than the `items` named here - the same money, maybe on other lines.
"""
from __future__ import annotations

from decimal import Decimal

from chalice import Response

from chalicelib.adapters.iyzico import IyzicoUnavailable
from chalicelib.orders import api as orders
from chalicelib.platform import idempotency
from chalicelib.platform import permissions as perm
from chalicelib.platform.db import get_db
from chalicelib.platform.http import json_response
from chalicelib.platform.logging import get_logger
from chalicelib.platform.routing import ADMIN, Call, Router

from . import reconciliation, refunds
from .refund_schemas import CancelIn, ReconciliationOut, ReconciliationQuery, RefundIn, RefundOut

orders.register_messages()
router = Router(tag="payments")
log = get_logger("payments.refund_routes")


def _answer(tenant_id: int, refund_id: int, outcome: refunds.Outcome | None, replayed: bool) -> Response:
    state = refunds.refund_state(get_db(), tenant_id, refund_id)
    shown = RefundOut(refund_id=refund_id, status=state["status"], via=outcome.via if outcome else None,
                      amount=state["amount"], currency=state["currency"], order_id=state["order_id"],
                      task_id=state["task_id"])
    return json_response(shown, 201, idempotency.headers(replayed))


def _carry_out(tenant_id: int, refund_id: int, plan: dict[int, Decimal] | None) -> refunds.Outcome | None:
    try:
        return refunds.carry_out(get_db(), tenant_id, refund_id, plan=plan)
    except IyzicoUnavailable:
        log.warning("iyzico unreachable: the refund is left to the queue", extra={"refund_id": refund_id})
        return None


@router.post("/api/admin/payments/{attempt_id}/refund", auth=ADMIN, permission=perm.FINANCE_WRITE, body=RefundIn,
             response=RefundOut, status=201, idempotent="required", errors=(404, 409))
def refund(call: Call) -> Response:
    """Give (part of) a succeeded card payment back to the card: `amount` (left out or null: all
    that is left), a `reason`, optionally the order lines with amounts adding up to it.  The
    refund is asked through the order (its totals and payment status follow) and carried out at
    iyzico at once - refunded per basket item; a whole payment on its day is still refunded here
    (use cancel to cancel it).  status succeeded, or requested with task_id when iyzico refused
    (a staff task opened) or without it when iyzico could not be reached (the queue finishes it).
    400 an amount of 0, below 0, with three decimals or more than is left; 409 nothing left or
    not a succeeded card payment.  The same Idempotency-Key answers the same refund as it is now."""
    body: RefundIn = call.body
    tenant_id = call.tenant.id
    plan = {i.order_item_id: i.amount for i in body.items} if body.items else None
    asked = refunds.request_admin_refund(get_db(), tenant_id, call.principal.user_id, call.path["attempt_id"],
                                         amount=body.amount, reason=body.reason, items=plan,
                                         header=call.header("idempotency-key"))
    outcome = None if asked.replayed else _carry_out(tenant_id, asked.refund_id, plan)
    return _answer(tenant_id, asked.refund_id, outcome, asked.replayed)


@router.post("/api/admin/payments/{attempt_id}/cancel", auth=ADMIN, permission=perm.FINANCE_WRITE, body=CancelIn,
             response=RefundOut, status=201, idempotent="required", errors=(404, 409))
def cancel(call: Call) -> Response:
    """Cancel a succeeded card payment as a whole on the day it was made (Turkish time): an order
    that was only paid is cancelled with it (stock back, every payment of it refunded);
    otherwise only this payment goes back.  409 cancel_not_possible when it is another day or
    something of it was refunded or asked back already (refund it instead).  Answered as refund."""
    body: CancelIn = call.body
    tenant_id = call.tenant.id
    asked = refunds.request_admin_cancel(get_db(), tenant_id, call.principal.user_id, call.path["attempt_id"],
                                         reason=body.reason, header=call.header("idempotency-key"))
    outcome = None if asked.replayed else _carry_out(tenant_id, asked.refund_id, None)
    return _answer(tenant_id, asked.refund_id, outcome, asked.replayed)


@router.get("/api/admin/payments/reconciliation", auth=ADMIN, permission=perm.FINANCE_READ,
            query=ReconciliationQuery, response=ReconciliationOut)
def reconciliation_report(call: Call) -> ReconciliationOut:
    """Our iyzico attempts made from date_from to date_to (UTC days, at most 31) compared with
    iyzico's records; only the mismatches, each with its field and reason (status, amount,
    currency, refunded).  At most 200 attempts per report (`truncated`: narrow the range);
    attempts iyzico could not be asked about are counted in `unreachable`."""
    q: ReconciliationQuery = call.query
    return ReconciliationOut.model_validate(reconciliation.report(get_db(), call.tenant.id, q.date_from, q.date_to))
