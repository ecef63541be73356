"""What the orders area publishes to other areas (issue 10 item 1).

The order state machine (shipping, returns, invoices, the admin panel move orders only through it):
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
    request_refund(uow, order, amount, reason=, ...)       → payment_refunds ids, RefundRequested
    refund_succeeded(uow, tenant_id, refund_id, provider_refund_id=)
    restock(uow, tenant_id, order_id, items, actor_id, effects, reason=, unsell=)  returned goods back
The API contract:  OrderOut, Status  (the admin detail extends OrderOut)
Error texts:       register_messages()  for a function that answers this area's error codes

Everything else under chalicelib/orders/ is private.  The lifecycle imports only the platform and
is loaded with this module; the rest (service, hooks, stock with the catalogue's effects, the
pydantic schemas) is imported on first use, so shipping and invoices, which only move orders,
keep them out of their cold start.
"""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .lifecycle import (
    CANCELLED,
    DELIVERED,
    PAID,
    PENDING_PAYMENT,
    PREPARING,
    REFUNDED,
    RETURN_REQUESTED,
    RETURNED,
    SHIPPED,
    STATUSES,
    SYSTEM,
    Actor,
    allowed,
    check,
    lock_order,
    transition,
)

if TYPE_CHECKING:
    from chalicelib.catalog.api import Effects
    from chalicelib.platform.db import Session, UnitOfWork

    from .schemas import OrderOut, Status

__all__ = [
    "CANCELLED", "DELIVERED", "PAID", "PENDING_PAYMENT", "PREPARING", "REFUNDED", "RETURNED", "RETURN_REQUESTED",
    "SHIPPED", "STATUSES", "SYSTEM", "Actor", "OrderOut", "Status", "allowed", "cancel_locked", "check", "get_order",
    "lock_order", "record_manual_payment", "refund_succeeded", "register_messages", "request_refund", "restock",
    "transition",
]

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


def get_order(session: Session, tenant_id: int, order_id: int, *, user_id: int | None = None,
              just_placed: bool = False) -> dict[str, Any]:
    from . import service  # lazy: see the module docstring

    return service.get_order(session, tenant_id, order_id, user_id=user_id, just_placed=just_placed)


def cancel_locked(uow: UnitOfWork, order: dict[str, Any], actor: Actor, reason: str) -> dict[str, Any]:
    from . import service

    return service.cancel_locked(uow, order, actor, reason)


def record_manual_payment(uow: UnitOfWork, tenant_id: int, order_id: int, *, method: str, reference: str | None,
                          actor: Actor) -> dict[str, Any]:
    from . import hooks

    return hooks.record_manual_payment(uow, tenant_id, order_id, method=method, reference=reference, actor=actor)


def request_refund(uow: UnitOfWork, order: dict[str, Any], amount: Decimal, *, reason: str,
                   return_id: int | None = None, requested_by: int | None = None,
                   method: str = "original") -> list[int]:
    from . import hooks

    return hooks.request_refund(uow, order, amount, reason=reason, return_id=return_id,
                                requested_by=requested_by, method=method)


def refund_succeeded(uow: UnitOfWork, tenant_id: int, refund_id: int, *,
                     provider_refund_id: str | None = None) -> dict[str, Any]:
    from . import hooks

    return hooks.refund_succeeded(uow, tenant_id, refund_id, provider_refund_id=provider_refund_id)


def restock(uow: UnitOfWork, tenant_id: int, order_id: int, items: Iterable[dict[str, Any]], actor_id: int | None,
            effects: Effects, *, reason: str, unsell: bool) -> None:
    from . import stock

    stock.restock(uow, tenant_id, order_id, items, actor_id, effects, reason=reason, unsell=unsell)
