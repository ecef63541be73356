"""Paying an order by bank transfer (EFT / havale; seed diagram 7 "else EFT/Havale").

    start      POST /api/payment/bank-transfer: an attempt awaiting the transfer, with a short
               reference code; the order's method becomes eft and its stock is held for the
               tenant's window (settings.payments.bank_transfer_hours, default 48).  A second
               start for the same order answers the awaited attempt, not a second code.
    mark_sent  the customer says they sent it (sender name, bank reference): shown to staff.
    confirm    staff saw the money: the orders' payments row (provider bank_transfer, method eft)
               and mark_paid, the attempt succeeded - one transaction, audited.  Again: the same
               answer.  An order that expired or was cancelled meanwhile: 409 order_not_payable,
               the attempt expired, and one payment task "late_transfer_refund" (money arrived
               that must go back) - committed before the 409 is raised.
    reject     staff found no money (or the wrong amount): the attempt rejected, orders.api
               payment_failed (the order stays payable until its hold runs out).
    expire_awaiting  the sweep: awaited transfers of orders no longer pending payment → expired.

Lock order (as every payment of an order): the Idempotency-Key, the order row
(orders.api.lock_order), then the attempt row.  Confirm and reject of one attempt therefore run
in turn; the second finds the first's decision.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalicelib.orders import api as orders
from chalicelib.platform import audit, idempotency
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.logging import get_logger
from chalicelib.wallet import api as wallet

from . import references, states
from . import repository as repo
from .errors import (
    AttemptNotFound,
    AttemptNotPending,
    BankTransferNotConfigured,
    NotABankTransfer,
    NothingDue,
    OrderNotPayable,
)

if TYPE_CHECKING:
    from chalicelib.platform.context import Tenant

START = idempotency.Operation("bank_transfer_start")
CODE_TRIES = 5
log = get_logger("payments.bank_transfer")


@dataclass(frozen=True)
class Started:
    attempt_id: int
    created: bool
    replayed: bool = False


def transfer_window(tenant_settings: dict[str, Any] | None) -> dt.timedelta:
    """settings.payments.bank_transfer_hours (1-168); unset or malformed: 48 hours."""
    section = (tenant_settings or {}).get("payments")
    raw = section.get("bank_transfer_hours") if isinstance(section, dict) else None
    hours = raw if type(raw) is int and states.MIN_TRANSFER_HOURS <= raw <= states.MAX_TRANSFER_HOURS \
        else states.DEFAULT_TRANSFER_HOURS
    return dt.timedelta(hours=hours)


def bank_accounts(tenant: Tenant) -> list[dict[str, Any]]:
    """The shop's accounts to transfer to (the wallet's setting, through wallet.api)."""
    return wallet.bank_accounts(tenant.settings)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def start(db: Database, tenant: Tenant, user_id: int, order_id: int, *, header: str | None) -> Started:
    """The user's order, pending payment with something due, awaits a transfer.  404 for an
    order not theirs; 409 order_not_payable, nothing_due, bank_transfer_not_configured."""
    key = idempotency.key(tenant.id, START, user_id, header, {"order_id": order_id})
    if not bank_accounts(tenant):
        raise BankTransferNotConfigured()
    window = transfer_window(tenant.settings)

    def work(uow: UnitOfWork) -> Started:
        earlier = idempotency.claim(uow, key)
        if earlier is not None:
            return Started(int(earlier.body["attempt_id"]), earlier.status == 201, replayed=True)
        order = orders.lock_order(uow, tenant.id, order_id, user_id=user_id)
        if order["status"] != orders.PENDING_PAYMENT:
            raise OrderNotPayable(order["status"])
        due: Decimal = order["grand_total"] - order["paid_total"]
        if due <= 0:
            raise NothingDue()
        existing = repo.awaiting_for_order(uow, tenant.id, order_id)
        if existing is not None:
            started = Started(int(existing["id"]), created=False)
        else:
            until = _utcnow() + window
            orders.await_transfer(uow, tenant.id, order_id, until, user_id=user_id)
            started = Started(_insert(uow, tenant.id, order, due, until), created=True)
        idempotency.record(uow, key, 201 if started.created else 200, {"attempt_id": started.attempt_id})
        uow.commit()
        return started

    return db.transaction(work)


def _insert(uow: UnitOfWork, tenant_id: int, order: dict[str, Any], due: Decimal, until: dt.datetime) -> int:
    for _ in range(CODE_TRIES):
        attempt_id = repo.insert_bank_transfer(
            uow, tenant_id, order_id=order["id"], user_id=order["user_id"], amount=due, currency=order["currency"],
            conversation_id=references.conversation_id(), reference_code=references.transfer_code(), expires_at=until)
        if attempt_id is not None:
            return attempt_id
    raise RuntimeError("no free bank-transfer reference code after several draws")  # 40 bits: not in practice


def mark_sent(db: Database, tenant_id: int, user_id: int, attempt_id: int, *, sender_name: str | None,
              bank_reference: str | None) -> None:
    """The customer's note that the money is on its way; only while it is awaited (409)."""

    def work(uow: UnitOfWork) -> None:
        attempt = repo.lock_attempt(uow, tenant_id, attempt_id)
        if attempt is None or attempt["user_id"] != user_id:
            raise AttemptNotFound()
        if attempt["flow"] != states.BANK_TRANSFER:
            raise NotABankTransfer()
        if attempt["status"] != states.AWAITING_TRANSFER:
            raise AttemptNotPending(attempt["status"])
        changes = {k: v for k, v in (("sender_name", sender_name), ("bank_reference", bank_reference)) if v is not None}
        if changes:
            repo.update_attempt(uow, tenant_id, attempt_id, **changes)
        uow.commit()

    db.transaction(work)


def _transfer(db: Database, tenant_id: int, attempt_id: int) -> dict[str, Any]:
    found = repo.get_attempt(db.session(), tenant_id, attempt_id)
    if found is None:
        raise AttemptNotFound()
    if found["flow"] != states.BANK_TRANSFER or found["order_id"] is None:
        raise NotABankTransfer()
    return found


def confirm(db: Database, tenant_id: int, staff_id: int, attempt_id: int, *, note: str | None) -> None:
    """Staff confirm the money arrived (see the module docstring)."""
    order_id = int(_transfer(db, tenant_id, attempt_id)["order_id"])

    def work(uow: UnitOfWork) -> str | None:
        order = orders.lock_order(uow, tenant_id, order_id)
        attempt = repo.lock_attempt(uow, tenant_id, attempt_id)
        assert attempt is not None  # attempts are never deleted
        if attempt["status"] == states.SUCCEEDED:
            return None  # confirmed already: the same answer
        if attempt["status"] not in (states.AWAITING_TRANSFER, states.EXPIRED):
            raise AttemptNotPending(attempt["status"])
        if order["status"] != orders.PENDING_PAYMENT or attempt["status"] == states.EXPIRED:
            _late(uow, tenant_id, staff_id, attempt, order, note)
            uow.commit()
            return str(order["status"])
        amount: Decimal = attempt["amount"]
        payment_id = orders.record_payment(
            uow, tenant_id, order_id, provider=states.BANK_TRANSFER, method=states.EFT, amount=amount,
            provider_payment_id=attempt["reference_code"],
            details={"attempt_id": attempt_id, "reference_code": attempt["reference_code"],
                     "sender_name": attempt["sender_name"], "bank_reference": attempt["bank_reference"],
                     "confirmed_by": staff_id})
        orders.mark_paid(uow, tenant_id, order_id, amount=amount, method=states.EFT, actor=orders.Actor.admin(staff_id),
                         note=f"bank transfer {attempt['reference_code']} confirmed")
        repo.update_attempt(uow, tenant_id, attempt_id, status=states.SUCCEEDED, payment_id=payment_id,
                            decided_by=staff_id, decided_at=_utcnow(), decision_note=note)
        audit.record(uow, tenant_id, "payment.bank_transfer_confirmed", entity_type="payment_attempt",
                     entity_id=attempt_id, before={"status": attempt["status"]},
                     after={"status": states.SUCCEEDED, "payment_id": payment_id, "amount": amount, "note": note})
        uow.commit()
        return None

    late_status = db.transaction(work)
    if late_status is not None:
        raise OrderNotPayable(late_status)


def _late(uow: UnitOfWork, tenant_id: int, staff_id: int, attempt: dict[str, Any], order: dict[str, Any],
          note: str | None) -> None:
    """Money arrived for an order no longer payable: the attempt expired, one task to pay it back."""
    if attempt["status"] == states.AWAITING_TRANSFER:
        repo.update_attempt(uow, tenant_id, attempt["id"], status=states.EXPIRED)
    task = repo.open_task(uow, tenant_id, kind=states.LATE_TRANSFER_REFUND, order_id=order["id"],
                          attempt_id=attempt["id"], amount=attempt["amount"], currency=attempt["currency"],
                          reason=f"bank transfer {attempt['reference_code']} confirmed after the order became "
                                 f"{order['status']}; pay the money back" + (f" ({note})" if note else ""))
    audit.record(uow, tenant_id, "payment.late_transfer", entity_type="payment_attempt", entity_id=attempt["id"],
                 after={"order_status": order["status"], "task_id": task["id"], "confirmed_by": staff_id})


def reject(db: Database, tenant_id: int, staff_id: int, attempt_id: int, *, reason: str) -> None:
    """Staff found no such money: the attempt rejected, the order told (payment_failed).  Again:
    the same answer; a confirmed or expired attempt is 409 payment_attempt_not_pending."""
    order_id = int(_transfer(db, tenant_id, attempt_id)["order_id"])

    def work(uow: UnitOfWork) -> None:
        order = orders.lock_order(uow, tenant_id, order_id)
        attempt = repo.lock_attempt(uow, tenant_id, attempt_id)
        assert attempt is not None
        if attempt["status"] == states.REJECTED:
            return
        if attempt["status"] != states.AWAITING_TRANSFER:
            raise AttemptNotPending(attempt["status"])
        repo.update_attempt(uow, tenant_id, attempt_id, status=states.REJECTED, decided_by=staff_id,
                            decided_at=_utcnow(), decision_note=reason, failure_code="transfer_rejected",
                            failure_message=reason)
        if order["status"] == orders.PENDING_PAYMENT:
            orders.payment_failed(uow, tenant_id, order_id, reason=f"bank transfer rejected: {reason}")
        audit.record(uow, tenant_id, "payment.bank_transfer_rejected", entity_type="payment_attempt",
                     entity_id=attempt_id, before={"status": attempt["status"]},
                     after={"status": states.REJECTED, "reason": reason})
        uow.commit()

    db.transaction(work)


def expire_awaiting(db: Database, *, limit: int = 500) -> int:
    """Awaited transfers whose order is no longer pending payment (the orders' reservation sweep
    cancelled it, or it was cancelled) become expired; each in its own short transaction."""
    expired = 0
    for row in repo.awaiting_of_unpayable_orders(db.session(), limit):
        def work(uow: UnitOfWork, row: dict[str, Any] = row) -> bool:
            order = orders.lock_order(uow, row["tenant_id"], row["order_id"])
            attempt = repo.lock_attempt(uow, row["tenant_id"], row["id"])
            if attempt is None or attempt["status"] != states.AWAITING_TRANSFER \
                    or order["status"] == orders.PENDING_PAYMENT:
                return False
            repo.update_attempt(uow, row["tenant_id"], row["id"], status=states.EXPIRED,
                                failure_code="order_" + str(order["status"])[:50])
            uow.commit()
            return True

        try:
            expired += bool(db.transaction(work))
        except Exception:  # noqa: BLE001 - one bad row must not stop the sweep
            log.exception("could not expire an awaited bank transfer", extra={"attempt_id": row["id"]})
    return expired
