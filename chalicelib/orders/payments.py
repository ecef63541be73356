"""What the payment side (issue: Payments, Wallet) calls on an order.  The order owns its
status (its stock moves through inventory.api); a payment provider integration only reports what happened:

    amount_due(...)        what to charge and the basket lines to send (iyzico wants both)
    mark_paid(...)         money arrived: reservation → sale, status paid, OrderPaid → invoices
    payment_failed(...)    a try failed: the order stays payable until its hold expires
    record_payment(...)    a provider's succeeded payment row (the wallet's, a card's), before mark_paid
    request_refund(...)    money must go back (cancel after payment, approved return):
                           payment_refunds rows 'requested', RefundRequested event; the rows the
                           wallet pays back (method "wallet", or a wallet payment's) also in a
                           WalletRefundRequested event on the wallet-refunds queue, those of an
                           iyzico payment going back to the card in a PaymentRefundRequested
                           event on the payment-refunds queue
    refund_succeeded(...)  the provider confirmed a refund: refunded_total, payment_status

Each takes the caller's unit of work, so the payment row and the order change commit together.
`mark_paid` on an order that is already paid is a no-op (providers call back more than once);
on a cancelled order it raises 409 illegal_transition so the caller refunds the late payment.
"""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from chalicelib.inventory import api as inventory
from chalicelib.platform import outbox
from chalicelib.platform.db import Session, UnitOfWork
from chalicelib.platform.errors import Conflict
from chalicelib.platform.sql import BY_ID, lock_row

from . import repository as repo
from . import states
from .states import Actor

INVOICES_QUEUE = "invoices"
# The wallet's refunds: their own queue, because order-events already has its consumer (the
# e-mails) and an SQS queue hands each message to one consumer.
WALLET_REFUNDS_QUEUE = "wallet-refunds"
WALLET_REFUND_REQUESTED = "WalletRefundRequested"
# Refunds of card payments (iyzico) that go back to the card: the payments area's consumer.
PAYMENT_REFUNDS_QUEUE = "payment-refunds"
PAYMENT_REFUND_REQUESTED = "PaymentRefundRequested"


def amount_due(session: Session, tenant_id: int, order_id: int) -> dict[str, Any]:
    order = repo.get_order(session, tenant_id, order_id)
    if order is None:
        raise Conflict("order_not_found")
    items = repo.items_of(session, tenant_id, [order_id])
    return {
        "order_id": order_id, "order_number": order["order_number"], "status": order["status"],
        "currency": order["currency"], "grand_total": order["grand_total"],
        "amount_due": max(order["grand_total"] - order["paid_total"], Decimal("0.00")),
        "lines": [{"order_item_id": i["id"], "name": i["name"], "sku": i["sku"], "quantity": i["quantity"],
                   "line_total": i["line_total"]} for i in items],
        "shipping_total": order["shipping_total"],
    }


def mark_paid(uow: UnitOfWork, tenant_id: int, order_id: int, *, amount: Decimal, method: str,
              actor: Actor = states.SYSTEM, note: str | None = None, locked: dict[str, Any] | None = None
              ) -> dict[str, Any]:
    """The order is paid in full.  Idempotent; the amount must equal what was due.  `locked`: the
    order row this transaction locked already (lock_order), not read again."""
    order = _locked(uow, tenant_id, order_id, locked)
    if order["payment_status"] == "paid" and order["status"] != states.PENDING_PAYMENT:
        return order
    states.check(order["status"], states.PAID, actor)  # before touching stock
    due = order["grand_total"] - order["paid_total"]
    if amount != due:
        raise Conflict("amount_mismatch", details={"amount": amount, "amount_due": due})
    inventory.sell(uow, tenant_id, order_id, repo.items_of(uow, tenant_id, [order_id]))
    updated = states.transition(uow, order, states.PAID, actor, note=note, extra={
        "payment_status": "paid", "payment_method": method, "paid_total": order["paid_total"] + amount,
        "reserved_until": None})
    outbox.add(uow, tenant_id, "OrderPaid", {"order_id": order_id, "order_number": order["order_number"],
                                             "user_id": order["user_id"], "amount": amount},
               queue=INVOICES_QUEUE, aggregate_type="order", aggregate_id=order_id)
    return updated


def await_transfer(uow: UnitOfWork, tenant_id: int, order_id: int, until: Any, *,
                   user_id: int | None = None) -> dict[str, Any]:
    """The customer chose to pay by bank transfer (EFT / havale): payment method eft, and the
    stock held until `until` (never shortened: a later hold stays).  Under the order lock; 404
    for another user's order (with `user_id`), 409 order_not_payable unless pending payment.
    Returns the updated order row."""
    order = states.lock_order(uow, tenant_id, order_id, user_id=user_id)
    if order["status"] != states.PENDING_PAYMENT:
        raise Conflict("order_not_payable", params={"status": order["status"]}, details={"status": order["status"]})
    held = order["reserved_until"] if order["reserved_until"] is not None and order["reserved_until"] > until else until
    uow.execute(f"UPDATE orders {BY_ID} SET reserved_until = %s, payment_method = 'eft', version = version + 1 "
                "WHERE tenant_id = %s AND id = %s", (held, tenant_id, order_id))
    return {**order, "reserved_until": held, "payment_method": "eft", "version": order["version"] + 1}


def payment_failed(uow: UnitOfWork, tenant_id: int, order_id: int, *, reason: str) -> None:
    """A payment attempt failed; the customer may try again until the reservation runs out."""
    order = states.lock_order(uow, tenant_id, order_id)
    if order["status"] == states.PENDING_PAYMENT:
        uow.execute(f"UPDATE orders {BY_ID} SET payment_status = 'failed' WHERE tenant_id = %s AND id = %s",
                    (tenant_id, order_id))
        uow.execute("""INSERT INTO order_status_history (tenant_id, order_id, from_status, to_status, actor_type, note)
                       VALUES (%s, %s, %s, %s, 'system', %s)""",
                    (tenant_id, order_id, order["status"], order["status"], f"payment failed: {reason}"[:1000]))


def request_refund(uow: UnitOfWork, order: dict[str, Any], amount: Decimal, *, reason: str,
                   return_id: int | None = None, requested_by: int | None = None,
                   method: str = "original", payment_id: int | None = None) -> list[int]:
    """Ask for `amount` back on a locked order: one payment_refunds row per successful payment,
    newest payment first, never more than a payment has left (`payment_id`: from that payment
    only).  Payments recorded without a
    provider (marked paid by an admin) get a row too: staff pays those back by hand and confirms
    with refund_succeeded.  Returns the refund row ids."""
    tenant_id = order["tenant_id"]
    refundable = order["paid_total"] - order["refunded_total"]
    amount = min(amount, refundable)
    if amount <= 0:
        return []
    payments = uow.all("""SELECT id, provider, amount, refunded_amount, currency FROM payments FORCE INDEX (ix_order)
                           WHERE tenant_id = %s AND order_id = %s AND status IN ('succeeded', 'partially_refunded')
                           ORDER BY id DESC FOR UPDATE""", (tenant_id, order["id"]))
    if payment_id is not None:
        payments = [p for p in payments if p["id"] == payment_id]
    pending = uow.all("""SELECT r.payment_id, COALESCE(SUM(r.amount), 0) AS amount FROM payment_refunds r
                          JOIN payments p ON p.tenant_id = r.tenant_id AND p.id = r.payment_id
                         WHERE r.tenant_id = %s AND p.order_id = %s AND r.status = 'requested'
                         GROUP BY r.payment_id""", (tenant_id, order["id"]))
    held = {row["payment_id"]: row["amount"] for row in pending}
    ids: list[int] = []
    to_wallet: list[dict[str, Any]] = []
    to_card: list[dict[str, Any]] = []
    left = amount
    for payment in payments:
        room = payment["amount"] - payment["refunded_amount"] - held.get(payment["id"], Decimal("0"))
        part = min(room, left)
        if part <= 0:
            continue
        ids.append(uow.insert(
            """INSERT INTO payment_refunds (tenant_id, payment_id, return_id, amount, currency, reason, requested_by)
               VALUES (%s, %s, %s, %s, %s, %s, %s)""",
            (tenant_id, payment["id"], return_id, part, payment["currency"], reason[:255], requested_by)))
        if method == "wallet" or payment["provider"] == "wallet":
            to_wallet.append({"id": ids[-1], "amount": part})
        elif payment["provider"] == "iyzico":
            to_card.append({"id": ids[-1], "amount": part, "payment_id": payment["id"]})
        left -= part
        if left <= 0:
            break
    uow.execute(f"UPDATE orders {BY_ID} SET payment_status = 'refund_pending' WHERE tenant_id = %s AND id = %s",
                (tenant_id, order["id"]))
    outbox.add(uow, tenant_id, "RefundRequested", {
        "order_id": order["id"], "order_number": order["order_number"], "user_id": order["user_id"],
        "amount": amount - left, "refund_ids": ids, "return_id": return_id, "method": method, "reason": reason,
    }, queue=states.ORDER_EVENTS_QUEUE, aggregate_type="order", aggregate_id=order["id"])
    if to_wallet:
        outbox.add(uow, tenant_id, WALLET_REFUND_REQUESTED, {
            "order_id": order["id"], "user_id": order["user_id"], "refunds": to_wallet, "reason": reason,
        }, queue=WALLET_REFUNDS_QUEUE, aggregate_type="order", aggregate_id=order["id"])
    if to_card:
        outbox.add(uow, tenant_id, PAYMENT_REFUND_REQUESTED, {
            "order_id": order["id"], "user_id": order["user_id"], "refunds": to_card, "reason": reason,
        }, queue=PAYMENT_REFUNDS_QUEUE, aggregate_type="order", aggregate_id=order["id"])
    return ids


def get_refund(session: Session, tenant_id: int, refund_id: int) -> dict[str, Any] | None:
    """A refund row with what paying it back needs: its amount and status, the order and its buyer,
    the payment it comes from and the return it is for."""
    return session.one("""SELECT r.id, r.status, r.amount, r.currency, p.order_id, p.user_id, p.provider,
                                 r.payment_id, r.return_id, r.reason, r.requested_by
                            FROM payment_refunds r JOIN payments p ON p.tenant_id = r.tenant_id AND p.id = r.payment_id
                           WHERE r.tenant_id = %s AND r.id = %s""", (tenant_id, refund_id))


def refund_succeeded(uow: UnitOfWork, tenant_id: int, refund_id: int, *, provider_refund_id: str | None = None
                     ) -> dict[str, Any]:
    """A requested refund went through: payment and order totals follow.  Idempotent."""
    # Lock in the order every other money path uses - order, then its payments and refunds - so
    # this cannot deadlock with a cancel or a return refund of the same order.
    order_id = uow.scalar("""SELECT p.order_id FROM payment_refunds r JOIN payments p
                                ON p.tenant_id = r.tenant_id AND p.id = r.payment_id
                             WHERE r.tenant_id = %s AND r.id = %s""", (tenant_id, refund_id))
    if order_id is None:
        raise Conflict("refund_not_found")
    order = states.lock_order(uow, tenant_id, int(order_id))
    refund = lock_row(uow, "payment_refunds", tenant_id, refund_id)
    payment = lock_row(uow, "payments", tenant_id, refund["payment_id"] if refund else 0,
                       columns="id, order_id, amount, refunded_amount")
    if refund is None or payment is None:
        raise Conflict("refund_not_found")
    if refund["status"] == "succeeded":
        return order
    uow.execute(f"UPDATE payment_refunds {BY_ID} SET status = 'succeeded', provider_refund_id = %s "
                "WHERE tenant_id = %s AND id = %s", (provider_refund_id, tenant_id, refund_id))
    refunded_amount = payment["refunded_amount"] + refund["amount"]
    uow.execute(f"UPDATE payments {BY_ID} SET refunded_amount = %s, status = %s WHERE tenant_id = %s AND id = %s",
                (refunded_amount, "refunded" if refunded_amount >= payment["amount"] else "partially_refunded",
                 tenant_id, payment["id"]))
    refunded_total = order["refunded_total"] + refund["amount"]
    still_pending = uow.scalar("""SELECT COUNT(*) FROM payment_refunds r JOIN payments p
                                     ON p.tenant_id = r.tenant_id AND p.id = r.payment_id
                                  WHERE r.tenant_id = %s AND p.order_id = %s AND r.status = 'requested'""",
                               (tenant_id, order["id"]))
    payment_status = ("refund_pending" if still_pending else
                      "refunded" if refunded_total >= order["paid_total"] else "partially_refunded")
    uow.execute(f"UPDATE orders {BY_ID} SET refunded_total = %s, payment_status = %s "
                "WHERE tenant_id = %s AND id = %s", (refunded_total, payment_status, tenant_id, order["id"]))
    order = {**order, "refunded_total": refunded_total, "payment_status": payment_status}
    awaiting = uow.scalar("""SELECT COUNT(*) FROM returns WHERE tenant_id = %s AND order_id = %s
                              AND status = 'received'""", (tenant_id, order["id"]))
    # "refunded" only once nothing received is still waiting for its refund to be requested
    if order["status"] == states.RETURNED and not still_pending and not awaiting:
        order = states.transition(uow, order, states.REFUNDED, states.SYSTEM,
                                     note=f"refund {refund_id} completed")
    return order


def record_payment(uow: UnitOfWork, tenant_id: int, order_id: int, *, provider: str, method: str, amount: Decimal,
                   provider_payment_id: str | None = None, details: dict[str, Any] | None = None,
                   locked: dict[str, Any] | None = None) -> int:
    """A provider's succeeded payment of a payable order (locked here): the payments row that
    refunds are later drawn from.  The caller then calls mark_paid (once the whole amount due is
    in: a wallet + card payment records two rows).  409 illegal_transition unless the order is
    pending payment."""
    order = _locked(uow, tenant_id, order_id, locked)
    states.check(order["status"], states.PAID, states.SYSTEM)
    return _insert_payment(uow, order, provider=provider, method=method, amount=amount,
                           provider_payment_id=provider_payment_id, details=details)


def _locked(uow: UnitOfWork, tenant_id: int, order_id: int, locked: dict[str, Any] | None) -> dict[str, Any]:
    """The order row: the one the caller locked in this transaction, or locked now."""
    if locked is not None and locked["id"] == order_id and locked["tenant_id"] == tenant_id:
        return locked
    return states.lock_order(uow, tenant_id, order_id)


def _insert_payment(uow: UnitOfWork, order: dict[str, Any], *, provider: str, method: str, amount: Decimal,
                    provider_payment_id: str | None, details: dict[str, Any] | None) -> int:
    return uow.insert("""INSERT INTO payments (tenant_id, order_id, user_id, purpose, provider, method, status, amount,
                                               currency, provider_payment_id, raw_response, paid_at)
                         VALUES (%s, %s, %s, 'order', %s, %s, 'succeeded', %s, %s, %s, %s, UTC_TIMESTAMP(6))""",
                      (order["tenant_id"], order["id"], order["user_id"], provider, method, amount, order["currency"],
                       provider_payment_id, json.dumps(details, default=str)))


def record_manual_payment(uow: UnitOfWork, tenant_id: int, order_id: int, *, method: str, reference: str | None,
                          actor: Actor) -> dict[str, Any]:
    """Staff confirms money that arrived outside a provider (EFT / havale seen on the bank
    statement, cash at the store): a 'manual' payment row for the amount due, then mark_paid.
    Calling it again for a paid order changes nothing."""
    order = states.lock_order(uow, tenant_id, order_id)
    if order["payment_status"] == "paid" and order["status"] != states.PENDING_PAYMENT:
        return order  # confirmed already (a retry, or a second member of staff)
    states.check(order["status"], states.PAID, actor)  # 409 unless it is still payable
    due = order["grand_total"] - order["paid_total"]
    if due > 0:  # nothing to record for an order discounted to zero (payments.amount > 0)
        _insert_payment(uow, order, provider="manual", method=method, amount=due, provider_payment_id=None,
                        details={"reference": reference, "confirmed_by": actor.user_id})
    return mark_paid(uow, tenant_id, order_id, amount=due, method=method, actor=actor,
                     note=f"{method} payment confirmed" + (f" ({reference})" if reference else ""))
