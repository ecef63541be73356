"""What the payments area publishes to other areas (issue 12): the provider-integration side of
paying (card flows with iyzico - to come - and bank transfers).  The money actually taken and
given back is the orders area's (payments / payment_refunds, through orders.api); this area keeps
the attempts that led to it.

    STATUSES, FLOWS, METHOD_OF_FLOW      an attempt's statuses and flows (states.py)
    attempts_of_order(session, tenant_id, order_id)   the order's attempts, oldest first:
        [{id, flow, status, amount, currency, reference_code, payment_id, created_at}]
    open_task(uow, tenant_id, kind=, reason=, order_id=, attempt_id=, refund_id=, amount=, currency=)
        manual work for staff, once per cause (e.g. a refund that cannot go back to the card)

Everything else under chalicelib/payments/ is private.
"""
from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .states import FLOWS, METHOD_OF_FLOW, STATUSES, TASK_KINDS

if TYPE_CHECKING:
    from chalicelib.platform.db import Session, UnitOfWork

__all__ = ["FLOWS", "METHOD_OF_FLOW", "STATUSES", "TASK_KINDS", "attempts_of_order", "open_task"]


def attempts_of_order(session: Session, tenant_id: int, order_id: int) -> list[dict[str, Any]]:
    return session.all("""SELECT id, flow, status, amount, currency, reference_code, payment_id, created_at
                            FROM payment_attempts FORCE INDEX (ix_order)
                           WHERE tenant_id = %s AND order_id = %s ORDER BY id""", (tenant_id, order_id))


def open_task(uow: UnitOfWork, tenant_id: int, *, kind: str, reason: str, order_id: int | None = None,
              attempt_id: int | None = None, refund_id: int | None = None, amount: Decimal | None = None,
              currency: str = "TRY") -> dict[str, Any]:
    from . import repository  # lazy: a caller that only reads statuses needs no SQL module

    if kind not in TASK_KINDS:
        raise ValueError(f"unknown payment task kind {kind!r}")
    return repository.open_task(uow, tenant_id, kind=kind, reason=reason, order_id=order_id, attempt_id=attempt_id,
                                refund_id=refund_id, amount=amount, currency=currency)
