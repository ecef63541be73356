"""HTTP routes of card payments (issue 12; seed diagram 7): signed-in customers pay an order or
top up their wallet by card, and poll the result; staff decide payments held for fraud review.

    POST /api/payment/process                 pay your order by card (Idempotency-Key required)
    POST /api/payment/topup                   load your wallet by card (Idempotency-Key required)
    GET  /api/payment/attempts/{attempt_id}   one card payment of yours, as it is now
    POST /api/admin/payments/{attempt_id}/approve-review   (admin_router) the order paid
    POST /api/admin/payments/{attempt_id}/reject-review    (admin_router) cancelled at iyzico

Answers of the two payment routes (also on a replay of the same key, rendered as it is now):
    201  succeeded, pending_3ds (html_content: the bank's page), pending_form (payment_page_url,
         token, expires_at), review (paid, held for the shop's fraud check)
    202  unknown / initiated: iyzico's answer was not heard; it is looked up (poll the attempt)
    402  declined: the one error shape, code card_declined, card_insufficient_funds, invalid_cvc,
         fraud_suspected, card_expired, card_lost_or_stolen, card_not_permitted, threeds_failed,
         payment_failed; details.provider_code / provider_message are iyzico's; the order stays payable
    409  order_not_payable, nothing_due, payment_in_progress, wallet_amount_too_large, and the
         attempt cancelled because the order stopped being payable meanwhile
"""
from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.orders import api as orders
from chalicelib.platform import idempotency
from chalicelib.platform import permissions as perm
from chalicelib.platform.config import settings
from chalicelib.platform.db import get_db
from chalicelib.platform.http import json_response
from chalicelib.platform.routing import ADMIN, USER, Call, Router

from . import card, settle, states
from .card_schemas import AttemptOut, ProcessIn, ReviewDecisionIn, ReviewOut, TopupIn
from .errors import OrderNotPayable, PaymentDeclined

orders.register_messages()  # order_not_found answered from here
router = Router(tag="payments")
admin_router = Router(tag="payments")
PAY_LIMIT = (30, 900)
DEFAULT_API_HOST = "api.huglu.app"


def _caller(call: Call) -> card.Caller:
    """Who pays, and where the bank sends the browser back: PUBLIC_API_URL when configured (as in
    production and `make dev`), else the request's own Host over https."""
    base = settings().public_api_url
    if base is None:
        host = call.header("host") or DEFAULT_API_HOST
        if not all(ch.isalnum() or ch in ".-:" for ch in host) or len(host) > 255:
            host = DEFAULT_API_HOST
        base = f"https://{host}"
    return card.Caller(tenant=call.tenant, user_id=call.principal.user_id, ip=call.ctx.client_ip or "127.0.0.1",
                       callback_base=base)


def _answer(attempt: dict[str, Any], replayed: bool) -> Response:
    status = attempt["status"]
    if status == states.FAILED or status == states.EXPIRED:
        raise PaymentDeclined(attempt["failure_code"] or "payment_failed", *_provider(attempt),
                              attempt_id=attempt["id"])
    if status == states.CANCELLED:
        raise OrderNotPayable(str(attempt.get("order_status") or status))
    code = 202 if status in (states.UNKNOWN, states.INITIATED) else 201
    return json_response(AttemptOut.model_validate(attempt), code, idempotency.headers(replayed))


def _provider(attempt: dict[str, Any]) -> tuple[str | None, str | None]:
    text = attempt.get("failure_message") or ""
    code, _, message = text.partition(": ")
    return (code, message) if message else (None, text or None)


@router.post("/api/payment/process", auth=USER, body=ProcessIn, response=AttemptOut, status=201,
             also_statuses=(202,), idempotent="required", rate_limit=PAY_LIMIT, errors=(402, 404, 409))
def process_card_payment(call: Call) -> Response:
    """Pay your order (pending payment) by card.  flow: checkout_form (iyzico's hosted page: open
    payment_page_url), 3ds (send card or saved_card_id; show html_content, the bank's page) or
    direct (only where the shop switched 3-D Secure off).  wallet_amount: that much from your
    wallet, the card pays the rest.  201 with the attempt (succeeded, pending_3ds, pending_form,
    review); 202 when iyzico's answer was not heard (poll GET /api/payment/attempts/{id}); 402 a
    decline (the order stays payable: try another card); 404 another customer's order or saved
    card; 409 order_not_payable, nothing_due, payment_in_progress.  The Idempotency-Key is
    required: the same key again answers the same attempt (never a second charge)."""
    db = get_db()
    started = card.process(db, _caller(call), call.body, header=call.header("idempotency-key"))
    return _answer(card.view(db, call.tenant.id, call.principal.user_id, started.attempt_id), started.replayed)


@router.post("/api/payment/topup", auth=USER, body=TopupIn, response=AttemptOut, status=201, also_statuses=(202,),
             idempotent="required", rate_limit=PAY_LIMIT, errors=(402, 404))
def card_topup(call: Call) -> Response:
    """Load your wallet by card (1.00 - 50,000.00), in the same flows and with the same answers as
    POST /api/payment/process; the wallet is credited once, when the card payment succeeded."""
    db = get_db()
    started = card.topup(db, _caller(call), call.body, header=call.header("idempotency-key"))
    return _answer(card.view(db, call.tenant.id, call.principal.user_id, started.attempt_id), started.replayed)


@router.get("/api/payment/attempts/{attempt_id}", auth=USER, response=AttemptOut, errors=(404,))
def card_attempt(call: Call) -> AttemptOut:
    """One of your card payments as it is now (poll it after a 202, or after the bank's page)."""
    return AttemptOut.model_validate(card.view(get_db(), call.tenant.id, call.principal.user_id,
                                               call.path["attempt_id"]))


# -- staff -----------------------------------------------------------------------------------------
def _review_out(attempt_id: int, status: str, tenant_id: int) -> ReviewOut:
    row = card.view(get_db(), tenant_id, None, attempt_id)
    return ReviewOut(attempt_id=attempt_id, status=status, order_status=row.get("order_status"))


@admin_router.post("/api/admin/payments/{attempt_id}/approve-review", auth=ADMIN, permission=perm.FINANCE_WRITE,
                   body=ReviewDecisionIn, response=ReviewOut, errors=(404, 409))
def approve_review(call: Call) -> ReviewOut:
    """A card payment held for fraud review (fraudStatus 0) is fine: the order becomes paid (or,
    if it stopped being payable meanwhile, the payment is cancelled at iyzico).  Its
    fraud_review task is closed.  Again: the same answer; 409 payment_not_in_review."""
    status = settle.approve(get_db(), call.tenant.id, call.principal.user_id, call.path["attempt_id"], call.body.note)
    return _review_out(call.path["attempt_id"], status, call.tenant.id)


@admin_router.post("/api/admin/payments/{attempt_id}/reject-review", auth=ADMIN, permission=perm.FINANCE_WRITE,
                   body=ReviewDecisionIn, response=ReviewOut, errors=(404, 409))
def reject_review(call: Call) -> ReviewOut:
    """A card payment held for fraud review is refused: cancelled at iyzico (a failed cancel opens
    a card_refund_failed task), the attempt rejected, the order stays payable.  409
    payment_not_in_review."""
    status = settle.reject(get_db(), call.tenant.id, call.principal.user_id, call.path["attempt_id"], call.body.note)
    return _review_out(call.path["attempt_id"], status, call.tenant.id)
