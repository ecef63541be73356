"""SQL of card refunds and of the reconciliation report: the attempt an orders payment came
from, its basket items (how much of each went back), a return's lines, what is still requested
of a payment.  Every statement names the tenant; repositories never commit.

Read models (declared in platform/tables.py): `payment_refunds` (the refunds of a payment still
requested) and `return_items` (the lines of a return).  Writes to orders' rows go through
orders.api only.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from chalicelib.platform.db import Session, UnitOfWork

from . import states

_ITEM_COLUMNS = "item_id, order_item_id, price, paid_price, provider_transaction_id, refunded_amount"


def attempt_of_payment(session: Session, tenant_id: int, order_id: int, payment_id: int) -> dict[str, Any] | None:
    """The iyzico attempt that made the orders' payments row `payment_id` (ix_order: an order
    has a handful of attempts)."""
    return session.one("""SELECT id, order_id, user_id, flow, status, amount, currency, conversation_id,
                                 provider_payment_id, payment_id, created_at
                            FROM payment_attempts FORCE INDEX (ix_order)
                           WHERE tenant_id = %s AND order_id = %s AND payment_id = %s AND provider = 'iyzico'
                           ORDER BY id DESC LIMIT 1""", (tenant_id, order_id, payment_id))


def lock_items(uow: UnitOfWork, tenant_id: int, attempt_id: int) -> list[dict[str, Any]]:
    """The attempt's basket items, locked (after the order and the attempt rows)."""
    return uow.all(f"""SELECT {_ITEM_COLUMNS} FROM payment_attempt_items
                        WHERE tenant_id = %s AND attempt_id = %s ORDER BY item_id FOR UPDATE""",
                   (tenant_id, attempt_id))


def items_of(session: Session, tenant_id: int, attempt_ids: list[int]) -> list[dict[str, Any]]:
    if not attempt_ids:
        return []
    marks = ", ".join(["%s"] * len(attempt_ids))
    return session.all(f"""SELECT attempt_id, {_ITEM_COLUMNS} FROM payment_attempt_items
                            WHERE tenant_id = %s AND attempt_id IN ({marks}) ORDER BY attempt_id, item_id""",
                       (tenant_id, *attempt_ids))


def set_refunded(uow: UnitOfWork, tenant_id: int, attempt_id: int, item_id: str, refunded: Decimal) -> None:
    uow.execute("""UPDATE payment_attempt_items SET refunded_amount = %s
                    WHERE tenant_id = %s AND attempt_id = %s AND item_id = %s""",
                (refunded, tenant_id, attempt_id, item_id))


def return_lines(session: Session, tenant_id: int, return_id: int) -> list[int]:
    """The order_items a return is made of (read model `return_items`)."""
    rows = session.all("SELECT order_item_id FROM return_items WHERE tenant_id = %s AND return_id = %s",
                       (tenant_id, return_id))
    return [int(r["order_item_id"]) for r in rows]


def requested_of_payment(session: Session, tenant_id: int, payment_id: int) -> Decimal:
    """What of a payment is asked back and not yet confirmed (read model `payment_refunds`)."""
    value = session.scalar("""SELECT COALESCE(SUM(amount), 0) FROM payment_refunds FORCE INDEX (ix_payment)
                               WHERE tenant_id = %s AND payment_id = %s AND status = 'requested'""",
                           (tenant_id, payment_id))
    return Decimal(value or 0)


def requested_refunds_of_payment(session: Session, tenant_id: int, payment_id: int) -> list[int]:
    rows = session.all("""SELECT id FROM payment_refunds FORCE INDEX (ix_payment)
                           WHERE tenant_id = %s AND payment_id = %s AND status = 'requested' ORDER BY id""",
                       (tenant_id, payment_id))
    return [int(r["id"]) for r in rows]


def open_task_of_refund(session: Session, tenant_id: int, refund_id: int) -> dict[str, Any] | None:
    """The card_refund_failed task of a refund (ux_refund: at most one)."""
    return session.one("""SELECT id, status FROM payment_tasks
                           WHERE tenant_id = %s AND kind = 'card_refund_failed' AND refund_id = %s""",
                       (tenant_id, refund_id))


def iyzico_attempts(session: Session, tenant_id: int, since: dt.datetime, before: dt.datetime,
                    limit: int) -> list[dict[str, Any]]:
    """The tenant's iyzico attempts made in [since, before), oldest first, at most `limit`.
    Every status is named so that ix_status (tenant_id, status, created_at) reads just the range."""
    marks = ", ".join(["%s"] * len(states.STATUSES))
    return session.all(f"""SELECT id, order_id, flow, status, amount, currency, conversation_id, provider_payment_id,
                                  payment_id, created_at
                             FROM payment_attempts FORCE INDEX (ix_status)
                            WHERE tenant_id = %s AND status IN ({marks}) AND created_at >= %s AND created_at < %s
                              AND provider = 'iyzico'
                            ORDER BY created_at, id LIMIT %s""", (tenant_id, *states.STATUSES, since, before, limit))


# -- for tests and tools that bring a settled card payment into being -----------------------------
def insert_settled_attempt(uow: UnitOfWork, tenant_id: int, *, order_id: int, user_id: int, flow: str,
                           amount: Decimal, currency: str, conversation_id: str, provider_payment_id: str,
                           payment_id: int, items: list[dict[str, Any]]) -> int:
    """A succeeded iyzico attempt and its basket items, as the card flows' settle writes them
    (the test kit's way to a paid card order without depending on those flows)."""
    attempt_id = uow.insert("""INSERT INTO payment_attempts (tenant_id, order_id, user_id, purpose, flow, status, amount,
                                                             currency, conversation_id, provider, provider_payment_id,
                                                             payment_id)
                               VALUES (%s, %s, %s, 'order', %s, %s, %s, %s, %s, 'iyzico', %s, %s)""",
                            (tenant_id, order_id, user_id, flow, states.SUCCEEDED, amount, currency, conversation_id,
                             provider_payment_id, payment_id))
    for item in items:
        uow.execute("""INSERT INTO payment_attempt_items (tenant_id, attempt_id, item_id, order_item_id, price,
                                                          paid_price, provider_transaction_id)
                       VALUES (%s, %s, %s, %s, %s, %s, %s)""",
                    (tenant_id, attempt_id, item["item_id"], item.get("order_item_id"), item["price"],
                     item["paid_price"], item["provider_transaction_id"]))
    return attempt_id
