"""What the orders area publishes to other areas (issue 10 item 1).

The order state machine (shipping, returns and invoices move orders only through it):
    PENDING_PAYMENT, PAID, PREPARING, SHIPPED, DELIVERED, CANCELLED, RETURN_REQUESTED, RETURNED,
    REFUNDED, STATUSES
    Actor (.customer(id), .admin(id)), SYSTEM
    allowed(from_status, actor), check(from_status, to_status, actor)   409 illegal_transition
    lock_order(uow, tenant_id, order_id, user_id=)   the order row, locked; 404 order_not_found
    transition(uow, order, to_status, actor, note=, extra=, event=)  status + timeline + outbox event
Orders and their money (the payment side's entry points):
    get_order(session, tenant_id, order_id, user_id=)      the order as the API shows it
    cancel_locked(uow, order, actor, reason)               cancel with its stock and refund
    record_manual_payment(uow, tenant_id, order_id, method=, reference=, actor=)
    amount_due(session, tenant_id, order_id)               what to charge, and the basket lines
    record_payment(uow, tenant_id, order_id, provider=, method=, amount=, ...)  a provider's payment row
    mark_paid(uow, tenant_id, order_id, amount=, method=)  the whole amount due arrived: status paid
        (both take `locked=` the row lock_order gave this transaction, and then skip locking again)
    payment_failed(uow, tenant_id, order_id, reason=)      a try failed; the order stays payable
    await_transfer(uow, tenant_id, order_id, until, user_id=)  a bank transfer awaited: method eft,
                                                           stock held until `until`; 409 order_not_payable
    request_refund(uow, order, amount, reason=, ..., payment_id=)  → payment_refunds ids, RefundRequested
    refund_succeeded(uow, tenant_id, refund_id, provider_refund_id=)
    get_refund(session, tenant_id, refund_id)   {id, status, amount, currency, order_id, user_id, provider,
                                                 payment_id, return_id, reason, requested_by}
    WALLET_REFUNDS_QUEUE, WALLET_REFUND_REQUESTED   the refunds the wallet pays back: event payload
        {order_id, user_id, refunds: [{id, amount}], reason} (the rows of method "wallet" or of a
        wallet payment; RefundRequested on order-events still names every row)
    PAYMENT_REFUNDS_QUEUE, PAYMENT_REFUND_REQUESTED   the refunds going back to an iyzico card:
        payload {order_id, user_id, refunds: [{id, amount, payment_id}], reason} (the other rows of
        provider "iyzico"; the payments area's consumer carries them out)
    WALLET_BONUS_QUEUE, WALLET_BONUS_EVENT   an order delivered, returned or refunded, for the
        wallet's HPay bonus: payload {order_id, user_id, to, paid_total, currency}
    REWARD_QUEUES   every queue that event goes to (wallet bonus, loyalty, referrals, campaign bonus)
A received return (its own bookkeeping, in the caller's transaction):
    book_returned(uow, tenant_id, order_id, {order_item_id: quantity})   ReturnedQuantityExceeded
The API contract:  OrderOut, Status  (the admin detail extends OrderOut)
Error texts:       register_messages()  for a function that answers this area's error codes

Everything else under chalicelib/orders/ is private.  The state machine (states.py) imports only the platform and
is loaded with this module; the rest (service, payments with the inventory's stock moves, the
pydantic schemas) is imported on first use, so shipping and invoices, which only move orders,
keep them out of their cold start.
"""
from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .states import (
    CANCELLED,
    DELIVERED,
    PAID,
    PENDING_PAYMENT,
    PREPARING,
    REFUNDED,
    RETURN_REQUESTED,
    RETURNED,
    REWARD_QUEUES,
    SHIPPED,
    STATUSES,
    SYSTEM,
    WALLET_BONUS_EVENT,
    WALLET_BONUS_QUEUE,
    Actor,
    allowed,
    check,
    lock_order,
    transition,
)

if TYPE_CHECKING:
    from chalicelib.platform.db import Session, UnitOfWork

    from .schemas import OrderOut, Status

__all__ = [
    "CANCELLED", "DELIVERED", "PAID", "PENDING_PAYMENT", "PREPARING", "REFUNDED", "RETURNED", "RETURN_REQUESTED",
    "REWARD_QUEUES", "SHIPPED", "STATUSES", "SYSTEM", "WALLET_BONUS_EVENT", "WALLET_BONUS_QUEUE", "WALLET_REFUNDS_QUEUE", "WALLET_REFUND_REQUESTED",
    "PAYMENT_REFUNDS_QUEUE", "PAYMENT_REFUND_REQUESTED", "Actor", "OrderOut",
    "ReturnedQuantityExceeded", "Status", "allowed", "amount_due", "await_transfer", "book_returned", "cancel_locked", "check",
    "get_order", "get_refund", "lock_order", "mark_paid", "payment_failed", "record_manual_payment", "record_payment",
    "refund_succeeded", "register_messages", "request_refund", "transition",
]

# payments.py's constants, repeated here so that reading them does not load payments.py (and the
# inventory's stock moves with it); tests/wallet/test_payments.py checks they agree.
WALLET_REFUNDS_QUEUE = "wallet-refunds"
WALLET_REFUND_REQUESTED = "WalletRefundRequested"
PAYMENT_REFUNDS_QUEUE = "payment-refunds"
PAYMENT_REFUND_REQUESTED = "PaymentRefundRequested"

# The API contract's models, loaded on first access (PEP 562): building them costs ~10 ms of a
# cold start that the functions using only the state machine do not need.
_SCHEMAS = frozenset({"OrderOut", "Status"})


def __getattr__(name: str) -> Any:
    if name in _SCHEMAS:
        from . import schemas

        return getattr(schemas, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def register_messages() -> None:
    """Register the tr/en texts of the orders area's error codes (order_not_found,
    illegal_transition, amount_mismatch, ...) for a function outside this area that answers them."""
    from . import errors  # noqa: F401 - the module registers its messages when imported


def get_order(session: Session, tenant_id: int, order_id: int, *, user_id: int | None = None) -> dict[str, Any]:
    from . import service  # lazy: see the module docstring

    return service.get_order(session, tenant_id, order_id, user_id=user_id)


def cancel_locked(uow: UnitOfWork, order: dict[str, Any], actor: Actor, reason: str) -> dict[str, Any]:
    from . import service

    return service.cancel_locked(uow, order, actor, reason)


def record_manual_payment(uow: UnitOfWork, tenant_id: int, order_id: int, *, method: str, reference: str | None,
                          actor: Actor) -> dict[str, Any]:
    from . import payments

    return payments.record_manual_payment(uow, tenant_id, order_id, method=method, reference=reference, actor=actor)


def amount_due(session: Session, tenant_id: int, order_id: int) -> dict[str, Any]:
    from . import payments

    return payments.amount_due(session, tenant_id, order_id)


def record_payment(uow: UnitOfWork, tenant_id: int, order_id: int, *, provider: str, method: str, amount: Decimal,
                   provider_payment_id: str | None = None, details: dict[str, Any] | None = None,
                   locked: dict[str, Any] | None = None) -> int:
    from . import payments

    return payments.record_payment(uow, tenant_id, order_id, locked=locked, provider=provider, method=method,
                                   amount=amount,
                                   provider_payment_id=provider_payment_id, details=details)


def mark_paid(uow: UnitOfWork, tenant_id: int, order_id: int, *, amount: Decimal, method: str,
              actor: Actor = SYSTEM, note: str | None = None, locked: dict[str, Any] | None = None) -> dict[str, Any]:
    from . import payments

    return payments.mark_paid(uow, tenant_id, order_id, amount=amount, method=method, actor=actor, note=note,
                              locked=locked)


def await_transfer(uow: UnitOfWork, tenant_id: int, order_id: int, until: Any, *,
                   user_id: int | None = None) -> dict[str, Any]:
    from . import payments

    return payments.await_transfer(uow, tenant_id, order_id, until, user_id=user_id)


def payment_failed(uow: UnitOfWork, tenant_id: int, order_id: int, *, reason: str) -> None:
    from . import payments

    payments.payment_failed(uow, tenant_id, order_id, reason=reason)


def request_refund(uow: UnitOfWork, order: dict[str, Any], amount: Decimal, *, reason: str,
                   return_id: int | None = None, requested_by: int | None = None,
                   method: str = "original", payment_id: int | None = None) -> list[int]:
    from . import payments

    return payments.request_refund(uow, order, amount, reason=reason, return_id=return_id,
                                requested_by=requested_by, method=method, payment_id=payment_id)


def get_refund(session: Session, tenant_id: int, refund_id: int) -> dict[str, Any] | None:
    from . import payments

    return payments.get_refund(session, tenant_id, refund_id)


def refund_succeeded(uow: UnitOfWork, tenant_id: int, refund_id: int, *,
                     provider_refund_id: str | None = None) -> dict[str, Any]:
    from . import payments

    return payments.refund_succeeded(uow, tenant_id, refund_id, provider_refund_id=provider_refund_id)


class ReturnedQuantityExceeded(Exception):
    """book_returned: the line would have more units returned than were bought."""

    def __init__(self, order_item_id: int, quantity: int) -> None:
        super().__init__(f"order item {order_item_id}: {quantity} more returned is more than was bought")
        self.order_item_id = order_item_id
        self.quantity = quantity


def book_returned(uow: UnitOfWork, tenant_id: int, order_id: int, quantities: dict[int, int]) -> None:
    """Units of a return received: order_items.returned_quantity += quantity for each
    {order_item_id: quantity} of the order, in line order, in the caller's transaction (which
    holds the order's row lock).  More than was bought on a line (its CHECK) raises
    ReturnedQuantityExceeded; the caller's transaction then rolls back."""
    from . import admin_repository  # lazy: see the module docstring

    for order_item_id in sorted(quantities):
        if not admin_repository.add_returned(uow, tenant_id, order_id, order_item_id, quantities[order_item_id]):
            raise ReturnedQuantityExceeded(order_item_id, quantities[order_item_id])
