"""The ONE place a provider outcome becomes our state (every card flow, the callbacks, the
webhooks and the reconciliation job end here).

Idempotent: an attempt already final (states.FINAL) or in review is left as it is, so a callback
delivered twice, a webhook retried and the reconciliation job finding the same payment have one
effect.  Lock order, as every payment change of an order: the order row (orders.api.lock_order),
then the attempt row.

    success, fraudStatus 1   the basket lines get iyzico's paymentTransactionIds; the orders'
                             payments row (provider iyzico, method card, the card's part), the
                             wallet's holds captured (split payment), mark_paid for the whole amount
                             due; the attempt succeeded.  A top-up: the wallet credited
                             (purpose card_topup, transfer id card-topup-<attempt>), once.
    success, fraudStatus 0   the attempt in review, the order NOT paid (it keeps waiting), one
                             fraud_review task for staff (approve() / reject() below)
    decline                  the attempt failed, orders.api.payment_failed, wallet holds released
    success for an order no longer payable (it expired or was cancelled while the customer was
    on the bank's page): the payment is cancelled at iyzico at once; if that fails, a
    card_refund_failed task - money is never kept for an order we will not ship.

The amount recorded in `payments` is the attempt's amount (what the order owed the card); with
installments iyzico's paidPrice may be higher (the installment fee): it is kept in the details.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from chalicelib.adapters import iyzico
from chalicelib.orders import api as orders
from chalicelib.platform import audit
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.logging import get_logger
from chalicelib.wallet import api as wallet

from . import repository as repo
from . import states

log = get_logger("payments.settle")

# iyzico's bank error codes → what the app is told (errors.DECLINE_MESSAGES).
DECLINE_CODES = {
    "10051": "card_insufficient_funds", "10005": "card_declined", "10012": "card_declined", "10041": "card_lost_or_stolen",
    "10043": "card_lost_or_stolen", "10054": "card_expired", "10084": "invalid_cvc", "10057": "card_not_permitted",
    "10058": "card_not_permitted", "10034": "fraud_suspected", "10202": "card_declined", "10213": "threeds_failed",
    "10214": "threeds_failed",
}


class WalletPartGone(Exception):
    """The attempt's wallet holds were voided or expired before its card succeeded."""


def hold_name(attempt_id: int) -> str:
    """The attempt's name on its wallet holds (wallet.api.hold_for_order(attempt=...))."""
    return f"a{attempt_id}"


def decline_code(provider_code: str | None) -> str:
    return DECLINE_CODES.get(str(provider_code or ""), "card_declined")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def settle(db: Database, tenant_id: int, attempt_id: int, result: iyzico.PaymentResult, *,
           gateway: iyzico.PaymentGateway | None = None, ip: str = "127.0.0.1") -> str:
    """Record iyzico's (server-to-server) answer for the attempt; returns its status after."""
    found = repo.get_attempt(db.session(), tenant_id, attempt_id)
    if found is None:
        raise LookupError(f"payment attempt {attempt_id} not found")
    order_id = found["order_id"]

    def work(uow: UnitOfWork) -> str:
        order = orders.lock_order(uow, tenant_id, int(order_id)) if order_id is not None else None
        attempt = repo.lock_attempt(uow, tenant_id, attempt_id)
        assert attempt is not None
        if attempt["status"] in states.FINAL or attempt["status"] == states.REVIEW:
            return str(attempt["status"])
        if not result.ok:
            _failed(uow, attempt, order, decline_code(result.error_code), result.error_code, result.error_message)
        elif not _matches(attempt, result):
            log.error("iyzico answer does not match the attempt", extra={"attempt_id": attempt_id})
            _cancel_money(uow, attempt, order, result, gateway, ip, reason="answer_mismatch")
        elif order is not None and order["status"] != orders.PENDING_PAYMENT:
            _cancel_money(uow, attempt, order, result, gateway, ip, reason="order_" + str(order["status"]))
        else:
            _card_fields(uow, attempt, result)
            if result.fraud_status == 0:
                _review(uow, attempt, order)
            else:
                try:
                    _succeeded(uow, attempt, order, result.payment_id, result.paid_price)
                except WalletPartGone:  # nothing of the wallet was taken (capture is all or nothing)
                    _cancel_money(uow, attempt, order, result, gateway, ip, reason="wallet_part_gone")
        row = repo.lock_attempt(uow, tenant_id, attempt_id)
        _to_ml(uow, row, ip)
        uow.commit()
        return str(row["status"]) if row else ""

    return str(db.transaction(work))


def fail(db: Database, tenant_id: int, attempt_id: int, code: str, provider_code: str | None = None,
         message: str | None = None, *, status: str = states.FAILED) -> str:
    """An attempt that ended without a payment (3-D Secure init refused, a session that expired
    unpaid, a payment iyzico never heard of): failed / expired, the order told, holds released."""
    found = repo.get_attempt(db.session(), tenant_id, attempt_id)
    if found is None:
        raise LookupError(f"payment attempt {attempt_id} not found")

    def work(uow: UnitOfWork) -> str:
        order = orders.lock_order(uow, tenant_id, int(found["order_id"])) if found["order_id"] is not None else None
        attempt = repo.lock_attempt(uow, tenant_id, attempt_id)
        assert attempt is not None
        if attempt["status"] in states.FINAL or attempt["status"] == states.REVIEW:
            return str(attempt["status"])
        _failed(uow, attempt, order, code, provider_code, message, status=status)
        _to_ml(uow, repo.lock_attempt(uow, tenant_id, attempt_id), None)
        uow.commit()
        return status

    return str(db.transaction(work))


def _to_ml(uow: UnitOfWork, attempt: dict[str, Any] | None, ip: str | None) -> None:
    """The attempt's outcome for the ML service's anomaly detection (card testing: many declines
    from one device or IP), after the commit.  The card's BIN only - never the number."""
    if attempt is None:
        return
    from chalicelib.ml import api as ml  # on first use
    from chalicelib.platform.context import current

    status = str(attempt["status"])
    if status in (states.SUCCEEDED, states.REVIEW):  # review: the bank said yes, iyzico's fraud check waits
        outcome = "succeeded"
    elif status == states.FAILED and attempt.get("failure_code"):
        outcome = "declined"
    else:
        outcome = "error"
    ctx = current()
    ml.payment_attempt(uow, int(attempt["tenant_id"]), order_id=attempt["order_id"], user_id=attempt["user_id"],
                       outcome=outcome, amount=attempt["amount"], card_bin=attempt.get("bin_number"),
                       ip=ctx.client_ip or ip, device_id=ctx.device_id)


def _matches(attempt: dict[str, Any], result: iyzico.PaymentResult) -> bool:
    """The answer is about this attempt: our basket id and the amount we asked for."""
    basket = str(attempt["order_id"]) if attempt["order_id"] is not None else f"topup-{attempt['id']}"
    return result.basket_id == basket and result.price is not None and result.price == attempt["amount"]


def _card_fields(uow: UnitOfWork, attempt: dict[str, Any], result: iyzico.PaymentResult) -> None:
    for item in result.items:
        repo.set_item_transaction(uow, attempt["tenant_id"], attempt["id"], item.item_id, item.payment_transaction_id,
                                  item.paid_price)
    repo.update_attempt(uow, attempt["tenant_id"], attempt["id"], provider_payment_id=result.payment_id,
                        card_last4=result.card_last4 or attempt["card_last4"], bin_number=(result.bin_number or "")[:8]
                        or None, card_association=result.card_association, card_family=result.card_family,
                        installment=result.installment or attempt["installment"], fraud_status=result.fraud_status)


def _succeeded(uow: UnitOfWork, attempt: dict[str, Any], order: dict[str, Any] | None,
               provider_payment_id: str | None, paid_price: Decimal | None) -> None:
    tenant_id, attempt_id = attempt["tenant_id"], attempt["id"]
    payment_row: int | None = None
    if order is None:  # a wallet top-up
        wallet.credit(uow, tenant_id, int(attempt["user_id"]), attempt["amount"], transfer_id=f"card-topup-{attempt_id}",
                      purpose="card_topup", reference_type="payment_attempt", reference_id=str(attempt_id),
                      description="card top-up")
    else:
        order_id = int(order["id"])
        if attempt["wallet_amount"] > 0:
            # The wallet part first: were its holds voided or expired meanwhile (a newer attempt,
            # the reservation's end), the order is not paid in full - the caller cancels the card.
            captured = wallet.capture_for_order(uow, tenant_id, order_id, attempt=hold_name(attempt_id))
            if captured != attempt["wallet_amount"]:
                raise WalletPartGone(captured)
        payment_row = orders.record_payment(
            uow, tenant_id, order_id, provider=states.IYZICO, method=states.CARD, amount=attempt["amount"],
            provider_payment_id=provider_payment_id, locked=order,
            details={"attempt_id": attempt_id, "paid_price": paid_price, "installment": attempt["installment"]})
        due: Decimal = order["grand_total"] - order["paid_total"]
        orders.mark_paid(uow, tenant_id, order_id, amount=due, method=states.CARD, locked=order,
                         note=f"card payment {provider_payment_id}")
    repo.update_attempt(uow, tenant_id, attempt_id, status=states.SUCCEEDED, payment_id=payment_row,
                        decided_at=_utcnow(), failure_code=None, failure_message=None)


def _review(uow: UnitOfWork, attempt: dict[str, Any], order: dict[str, Any] | None) -> None:
    repo.update_attempt(uow, attempt["tenant_id"], attempt["id"], status=states.REVIEW)
    repo.open_task(uow, attempt["tenant_id"], kind=states.FRAUD_REVIEW, order_id=order["id"] if order else None,
                   attempt_id=attempt["id"], amount=attempt["amount"], currency=attempt["currency"],
                   reason="iyzico took the card payment under fraud review (fraudStatus 0): approve to ship the "
                          "order, or reject to cancel the payment")


def _failed(uow: UnitOfWork, attempt: dict[str, Any], order: dict[str, Any] | None, code: str,
            provider_code: str | None, message: str | None, *, status: str = states.FAILED) -> None:
    repo.update_attempt(uow, attempt["tenant_id"], attempt["id"], status=status, failure_code=code,
                        failure_message=(f"{provider_code}: {message}" if provider_code else message or code)[:500],
                        decided_at=_utcnow())
    if order is not None:
        if attempt["wallet_amount"] > 0:
            wallet.release_for_order(uow, attempt["tenant_id"], int(order["id"]), attempt=hold_name(attempt["id"]))
        if order["status"] == orders.PENDING_PAYMENT:
            orders.payment_failed(uow, attempt["tenant_id"], int(order["id"]), reason=f"card: {code}")


def _cancel_money(uow: UnitOfWork, attempt: dict[str, Any], order: dict[str, Any] | None,
                  result: iyzico.PaymentResult, gateway: iyzico.PaymentGateway | None, ip: str, *,
                  reason: str) -> None:
    """iyzico took money we must not keep: cancel the payment now (same day, whole payment); if
    iyzico refuses or cannot be reached, a card_refund_failed task for staff."""
    tenant_id, attempt_id = attempt["tenant_id"], attempt["id"]
    cancelled = False
    try:
        answer = (gateway or iyzico.gateway()).cancel(str(result.payment_id), attempt["conversation_id"], ip)
        cancelled = answer.ok
    except iyzico.IyzicoError:
        log.warning("cancel of a payment we must not keep failed", extra={"attempt_id": attempt_id})
    repo.update_attempt(uow, tenant_id, attempt_id, status=states.CANCELLED, provider_payment_id=result.payment_id,
                        failure_code=reason[:64], decided_at=_utcnow(),
                        failure_message=("cancelled at iyzico" if cancelled else "cancel at iyzico failed"))
    if attempt["wallet_amount"] > 0 and order is not None:
        wallet.release_for_order(uow, tenant_id, int(order["id"]), attempt=hold_name(attempt_id))
    if not cancelled:
        repo.open_task(uow, tenant_id, kind=states.CARD_REFUND_FAILED, order_id=order["id"] if order else None,
                       attempt_id=attempt_id, amount=result.paid_price or attempt["amount"], currency=attempt["currency"],
                       reason=f"card payment {result.payment_id} taken for a {reason} could not be cancelled at "
                              "iyzico: refund it by hand")
    audit.record(uow, tenant_id, "payment.card_cancelled_late", entity_type="payment_attempt", entity_id=attempt_id,
                 after={"reason": reason, "cancelled": cancelled, "payment_id": result.payment_id})


# -- staff: fraud review -------------------------------------------------------------------------------
def approve(db: Database, tenant_id: int, staff_id: int, attempt_id: int, note: str | None) -> str:
    """The payment under review is fine: the order paid as on a plain success (its task done).
    The order no longer payable meanwhile: the payment cancelled as for a late success."""
    return _decide(db, tenant_id, staff_id, attempt_id, note, approve=True)


def reject(db: Database, tenant_id: int, staff_id: int, attempt_id: int, note: str | None) -> str:
    """The payment under review is refused: cancelled at iyzico, the attempt rejected, the order
    told (payment_failed), the wallet's holds released; a failed cancel opens a card_refund_failed task."""
    return _decide(db, tenant_id, staff_id, attempt_id, note, approve=False)


def _decide(db: Database, tenant_id: int, staff_id: int, attempt_id: int, note: str | None, *, approve: bool) -> str:
    from .errors import AttemptNotFound, NotInReview

    found = repo.get_attempt(db.session(), tenant_id, attempt_id)
    if found is None or found["provider"] != states.IYZICO:
        raise AttemptNotFound()
    order_id = found["order_id"]

    def work(uow: UnitOfWork) -> str:
        order = orders.lock_order(uow, tenant_id, int(order_id)) if order_id is not None else None
        attempt = repo.lock_attempt(uow, tenant_id, attempt_id)
        assert attempt is not None
        wanted = states.SUCCEEDED if approve else states.REJECTED
        if attempt["status"] == wanted:
            return wanted  # decided already: the same answer
        if attempt["status"] != states.REVIEW:
            raise NotInReview(str(attempt["status"]))
        payment = iyzico.PaymentResult(ok=True, status="success", payment_id=attempt["provider_payment_id"],
                                       price=attempt["amount"])
        if approve and (order is None or order["status"] == orders.PENDING_PAYMENT):
            try:
                _succeeded(uow, attempt, order, attempt["provider_payment_id"], None)
            except WalletPartGone:
                _cancel_money(uow, attempt, order, payment, None, "127.0.0.1", reason="wallet_part_gone")
        elif approve:
            assert order is not None
            _cancel_money(uow, attempt, order, payment, None, "127.0.0.1", reason="order_" + str(order["status"]))
        else:
            _cancel_money(uow, attempt, order, payment, None, "127.0.0.1", reason="fraud_review_rejected")
            repo.update_attempt(uow, tenant_id, attempt_id, status=states.REJECTED, decided_by=staff_id,
                                decision_note=note)
            if order is not None and order["status"] == orders.PENDING_PAYMENT:
                orders.payment_failed(uow, tenant_id, int(order["id"]), reason="card payment rejected in fraud review")
        repo.update_attempt(uow, tenant_id, attempt_id, decided_by=staff_id, decision_note=note)
        task = repo.open_task_of_attempt(uow, tenant_id, states.FRAUD_REVIEW, attempt_id)
        if task is not None:
            repo.resolve_task(uow, tenant_id, int(task["id"]), staff_id, note or ("approved" if approve else "rejected"))
        audit.record(uow, tenant_id, "payment.fraud_review_" + ("approved" if approve else "rejected"),
                     entity_type="payment_attempt", entity_id=attempt_id, before={"status": states.REVIEW},
                     after={"note": note})
        row = repo.lock_attempt(uow, tenant_id, attempt_id)
        uow.commit()
        return str(row["status"]) if row else wanted

    return str(db.transaction(work))
