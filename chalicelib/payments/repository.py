"""SQL of payment attempts and staff tasks (payment_attempts, payment_attempt_items,
payment_tasks: migration 0012).  Every statement names the tenant; repositories never commit.

The order number and status shown with an attempt come from `orders` (a declared read model,
platform/tables.py); every change of an order goes through orders.api.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from chalicelib.platform.db import Session, UnitOfWork
from chalicelib.platform.sql import BY_ID, lock_row

from . import states

DUPLICATE_KEY = 1062

ATTEMPT_COLUMNS = """a.id, a.tenant_id, a.order_id, a.user_id, a.purpose, a.flow, a.status, a.amount, a.wallet_amount,
    a.currency, a.installment, a.conversation_id, a.provider, a.provider_payment_id, a.reference_code, a.card_last4,
    a.card_association, a.card_family, a.failure_code, a.failure_message, a.payment_id, a.sender_name,
    a.bank_reference, a.decided_by, a.decided_at, a.decision_note, a.expires_at, a.created_at, a.updated_at"""
_WITH_ORDER = f"""SELECT {ATTEMPT_COLUMNS}, o.order_number, o.status AS order_status
                    FROM payment_attempts a
                    LEFT JOIN orders o ON o.tenant_id = a.tenant_id AND o.id = a.order_id"""
_TASK_COLUMNS = """id, tenant_id, kind, status, order_id, attempt_id, refund_id, amount, currency, reason, resolved_by,
    resolved_at, note, created_at"""


# -- attempts --------------------------------------------------------------------------------------
def get_attempt(session: Session, tenant_id: int, attempt_id: int) -> dict[str, Any] | None:
    """One attempt with its order's number and status."""
    return session.one(f"{_WITH_ORDER} WHERE a.tenant_id = %s AND a.id = %s", (tenant_id, attempt_id))


def lock_attempt(uow: UnitOfWork, tenant_id: int, attempt_id: int) -> dict[str, Any] | None:
    """The attempt row locked (after its order's row: the lock order of every payment change)."""
    return lock_row(uow, "payment_attempts", tenant_id, attempt_id)


def awaiting_for_order(session: Session, tenant_id: int, order_id: int) -> dict[str, Any] | None:
    """The order's bank transfer still awaited (at most one: created under the order's lock)."""
    return session.one("""SELECT id FROM payment_attempts FORCE INDEX (ix_order)
                           WHERE tenant_id = %s AND order_id = %s AND flow = 'bank_transfer' AND status = %s
                           ORDER BY id DESC LIMIT 1""", (tenant_id, order_id, states.AWAITING_TRANSFER))


def insert_bank_transfer(uow: UnitOfWork, tenant_id: int, *, order_id: int, user_id: int, amount: Decimal,
                         currency: str, conversation_id: str, reference_code: str, expires_at: datetime) -> int | None:
    """A bank transfer awaited; None when the reference code is taken already (draw another)."""
    import pymysql  # loaded already by platform.db

    try:
        return uow.insert("""INSERT INTO payment_attempts (tenant_id, order_id, user_id, purpose, flow, status, amount,
                                                           currency, conversation_id, provider, reference_code,
                                                           expires_at)
                             VALUES (%s, %s, %s, 'order', 'bank_transfer', %s, %s, %s, %s, 'bank_transfer', %s, %s)""",
                          (tenant_id, order_id, user_id, states.AWAITING_TRANSFER, amount, currency, conversation_id,
                           reference_code, expires_at))
    except pymysql.err.IntegrityError as exc:
        if exc.args and exc.args[0] == DUPLICATE_KEY and "ux_reference" in str(exc.args[-1]):
            return None
        raise


def update_attempt(uow: UnitOfWork, tenant_id: int, attempt_id: int, **columns: Any) -> None:
    """Set columns of an attempt (names from this area's code, never from input)."""
    sets = ", ".join(f"{name} = %s" for name in columns)
    uow.execute(f"UPDATE payment_attempts {BY_ID} SET {sets} WHERE tenant_id = %s AND id = %s",
                (*columns.values(), tenant_id, attempt_id))


def attempt_items(session: Session, tenant_id: int, attempt_id: int) -> list[dict[str, Any]]:
    return session.all("""SELECT item_id, order_item_id, price, paid_price, provider_transaction_id, refunded_amount
                            FROM payment_attempt_items WHERE tenant_id = %s AND attempt_id = %s ORDER BY item_id""",
                       (tenant_id, attempt_id))


def awaiting_of_unpayable_orders(session: Session, limit: int) -> list[dict[str, Any]]:
    """Awaited transfers of every tenant whose order is no longer pending payment (expired or
    cancelled): the sweep's work.  The awaited set is small; ix_sweep reads just it."""
    return session.all("""SELECT a.tenant_id, a.id, a.order_id FROM payment_attempts a FORCE INDEX (ix_sweep)
                            JOIN orders o ON o.tenant_id = a.tenant_id AND o.id = a.order_id
                           WHERE a.status = %s AND o.status <> 'pending_payment'
                           ORDER BY a.expires_at LIMIT %s""", (states.AWAITING_TRANSFER, limit))


# -- staff tasks -----------------------------------------------------------------------------------
def open_task(uow: UnitOfWork, tenant_id: int, *, kind: str, reason: str, order_id: int | None = None,
              attempt_id: int | None = None, refund_id: int | None = None, amount: Decimal | None = None,
              currency: str = "TRY") -> dict[str, Any]:
    """Open a task once per cause: a second call for the same attempt (or refund) of the same
    kind answers the first task (ux_attempt / ux_refund)."""
    uow.execute("""INSERT INTO payment_tasks (tenant_id, kind, order_id, attempt_id, refund_id, amount, currency, reason)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON DUPLICATE KEY UPDATE id = id""",
                (tenant_id, kind, order_id, attempt_id, refund_id, amount, currency, reason[:500]))
    if attempt_id is not None:
        row = uow.one(f"SELECT {_TASK_COLUMNS} FROM payment_tasks WHERE tenant_id = %s AND kind = %s AND attempt_id = %s",
                      (tenant_id, kind, attempt_id))
    else:
        row = uow.one(f"SELECT {_TASK_COLUMNS} FROM payment_tasks WHERE tenant_id = %s AND kind = %s AND refund_id = %s",
                      (tenant_id, kind, refund_id))
    if row is None:  # neither id given: a bug of the caller
        raise RuntimeError(f"payment task {kind} has no attempt or refund to name it")
    return row


def get_task(session: Session, tenant_id: int, task_id: int) -> dict[str, Any] | None:
    return session.one(f"SELECT {_TASK_COLUMNS} FROM payment_tasks WHERE tenant_id = %s AND id = %s",
                       (tenant_id, task_id))


def lock_task(uow: UnitOfWork, tenant_id: int, task_id: int) -> dict[str, Any] | None:
    return lock_row(uow, "payment_tasks", tenant_id, task_id, columns=_TASK_COLUMNS)


def resolve_task(uow: UnitOfWork, tenant_id: int, task_id: int, resolved_by: int, note: str | None) -> None:
    uow.execute(f"""UPDATE payment_tasks {BY_ID} SET status = %s, resolved_by = %s, resolved_at = UTC_TIMESTAMP(6),
                           note = %s WHERE tenant_id = %s AND id = %s""",
                (states.TASK_DONE, resolved_by, note, tenant_id, task_id))


# -- card attempts (card.py, settle.py, callbacks.py, reconcile.py) --------------------------------
CARD_FLOWS = ("card", "3ds", "checkout_form")
# An attempt whose outcome is not known yet: the reconciliation job's work.
OPEN_CARD_STATUSES = (states.INITIATED, states.PENDING_3DS, states.PENDING_FORM, states.UNKNOWN)


def insert_card_attempt(uow: UnitOfWork, tenant_id: int, *, order_id: int | None, user_id: int, purpose: str,
                        flow: str, amount: Decimal, wallet_amount: Decimal, currency: str, installment: int,
                        conversation_id: str, card_last4: str | None, wallet_hold_ref: str | None) -> int:
    """A card attempt, status initiated: committed before iyzico is called (so a lost answer is
    found again by its conversation id)."""
    return uow.insert("""INSERT INTO payment_attempts (tenant_id, order_id, user_id, purpose, flow, status, amount,
                                                       wallet_amount, wallet_hold_ref, currency, installment,
                                                       conversation_id, provider, card_last4)
                         VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'iyzico', %s)""",
                      (tenant_id, order_id, user_id, purpose, flow, states.INITIATED, amount, wallet_amount,
                       wallet_hold_ref, currency, installment, conversation_id, card_last4))


def insert_attempt_items(uow: UnitOfWork, tenant_id: int, attempt_id: int, items: list[dict[str, Any]]) -> None:
    """The basket lines sent (item_id, order_item_id, price); paid_price = price until iyzico says."""
    for item in items:
        uow.execute("""INSERT INTO payment_attempt_items (tenant_id, attempt_id, item_id, order_item_id, price,
                                                          paid_price) VALUES (%s, %s, %s, %s, %s, %s)""",
                    (tenant_id, attempt_id, item["item_id"], item.get("order_item_id"), item["price"],
                     item["price"]))


def set_item_transaction(uow: UnitOfWork, tenant_id: int, attempt_id: int, item_id: str,
                         transaction_id: str, paid_price: Decimal | None) -> None:
    """iyzico's paymentTransactionId of one basket line (refunds go per line) and what it charged."""
    uow.execute("""UPDATE payment_attempt_items SET provider_transaction_id = %s, paid_price = COALESCE(%s, paid_price)
                    WHERE tenant_id = %s AND attempt_id = %s AND item_id = %s""",
                (transaction_id, paid_price, tenant_id, attempt_id, item_id))


def in_flight_for_order(uow: UnitOfWork, tenant_id: int, order_id: int) -> dict[str, Any] | None:
    """A direct card attempt of the order whose answer is still awaited (initiated / unknown /
    review): a second charge must wait for it.  Read under the order's lock."""
    return uow.one("""SELECT id, status FROM payment_attempts FORCE INDEX (ix_order)
                       WHERE tenant_id = %s AND order_id = %s AND status IN ('initiated', 'unknown', 'review')
                       ORDER BY id DESC LIMIT 1""", (tenant_id, order_id))


def attempt_by_conversation(session: Session, tenant_id: int, conversation_id: str) -> dict[str, Any] | None:
    return session.one(f"{_WITH_ORDER} WHERE a.tenant_id = %s AND a.conversation_id = %s",
                       (tenant_id, conversation_id))


def attempt_by_token(session: Session, tenant_id: int, token: str) -> dict[str, Any] | None:
    return session.one(f"{_WITH_ORDER} WHERE a.tenant_id = %s AND a.provider_token = %s", (tenant_id, token))


def attempt_by_provider_payment(session: Session, tenant_id: int, payment_id: str) -> dict[str, Any] | None:
    return session.one(f"{_WITH_ORDER} WHERE a.tenant_id = %s AND a.provider_payment_id = %s ORDER BY a.id DESC "
                       "LIMIT 1", (tenant_id, payment_id))


def attempt_extras(session: Session, tenant_id: int, attempt_id: int) -> dict[str, Any] | None:
    """The card-flow columns not in ATTEMPT_COLUMNS (the 3-D Secure page, the form's token)."""
    return session.one("""SELECT provider_token, raw_response, bin_number, fraud_status, wallet_hold_ref
                            FROM payment_attempts WHERE tenant_id = %s AND id = %s""", (tenant_id, attempt_id))


def saved_card(session: Session, tenant_id: int, user_id: int, card_id: int) -> dict[str, Any] | None:
    """One of the user's saved cards (iyzico's tokens only; payment_cards is written by cards.py)."""
    return session.one("""SELECT id, card_user_key, card_token, last4, bin_number FROM payment_cards
                           WHERE tenant_id = %s AND user_id = %s AND id = %s""", (tenant_id, user_id, card_id))


def open_card_attempts(session: Session, *, initiated_before: datetime, limit: int) -> list[dict[str, Any]]:
    """Card attempts of every tenant still without an outcome: unknown or initiated ones older than
    the grace, and 3-D Secure / checkout-form sessions past their expiry (ix_sweep: status first)."""
    return session.all("""SELECT tenant_id, id FROM payment_attempts FORCE INDEX (ix_sweep)
                           WHERE status IN ('unknown', 'initiated') AND updated_at < %s
                          UNION ALL
                          SELECT tenant_id, id FROM payment_attempts FORCE INDEX (ix_sweep)
                           WHERE status IN ('pending_3ds', 'pending_form')
                             AND (expires_at IS NULL OR expires_at < UTC_TIMESTAMP(6)) AND updated_at < %s
                          LIMIT %s""", (initiated_before, initiated_before, limit))


def tenant_by_slug(session: Session, slug: str) -> dict[str, Any] | None:
    """An open callback names its tenant by slug (a declared read of tenants)."""
    return session.one("SELECT id, slug, domain, status, settings FROM tenants WHERE slug = %s", (slug,))


def buyer_of(session: Session, tenant_id: int, user_id: int) -> dict[str, Any] | None:
    """The buyer's name and e-mail sent to iyzico (a declared read of users)."""
    return session.one("""SELECT id, email, first_name, last_name, created_at FROM users
                           WHERE tenant_id = %s AND id = %s""", (tenant_id, user_id))


def insert_webhook_event(uow: UnitOfWork, tenant_id: int, *, reference_code: str, event_type: str | None,
                         payment_id: str | None, conversation_id: str | None, status: str | None,
                         body: str) -> bool:
    """True when this iyziReferenceCode is new (False: a retried delivery, already taken)."""
    return bool(uow.execute("""INSERT IGNORE INTO payment_webhook_events (tenant_id, reference_code, event_type,
                                                                          payment_id, conversation_id, status, body)
                               VALUES (%s, %s, %s, %s, %s, %s, %s)""",
                            (tenant_id, reference_code, event_type, payment_id, conversation_id, status, body)))


def webhook_processed(uow: UnitOfWork, tenant_id: int, reference_code: str) -> None:
    uow.execute("""UPDATE payment_webhook_events SET processed_at = UTC_TIMESTAMP(6)
                    WHERE tenant_id = %s AND reference_code = %s""", (tenant_id, reference_code))


def open_task_of_attempt(uow: UnitOfWork, tenant_id: int, kind: str, attempt_id: int) -> dict[str, Any] | None:
    return uow.one(f"""SELECT {_TASK_COLUMNS} FROM payment_tasks
                        WHERE tenant_id = %s AND kind = %s AND attempt_id = %s AND status = 'open' FOR UPDATE""",
                   (tenant_id, kind, attempt_id))
