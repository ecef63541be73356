"""What the cart area publishes to other areas (issue 10 item 1).

The one totals rule (VAT inside Turkish consumer prices, discounts, shipping):
    Line, Totals, ShippingMethod, compute(lines, shipping=, discounts=)
    Adjustment, Effects: what a discount returns (the campaigns' promotions also add gift lines and
    waive shipping through Effects; see totals.Promotions)
    money(value), vat_inside(gross, rate), ZERO, SHIPPING_VAT_RATE
The shipping methods a tenant offers:
    shipping_methods(tenant_settings), shipping_method(tenant_settings, code)  (400 unknown_shipping_method)
What the checkout takes from a user's cart, inside the checkout's transaction:
    read_user_cart(uow, tenant_id, user_id) → [CheckoutLine];
    take_lines(uow, tenant_id, user_id, lines): exactly those lines out of the cart, its carts row
    locked like every cart change (CartChanged when it no longer holds them: run the transaction again)
The hourly purge job:
    purge_expired_guest_carts(db, limit)

Everything else under chalicelib/cart/ is private.  The totals (standard library only) are what
importers need at import time and load with this module; the rest is imported on first call,
as the invoices and system functions did before (they never pay for the checkout's SQL or the
cart service on a cold start).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .totals import (
    SHIPPING_VAT_RATE,
    ZERO,
    Adjustment,
    Effects,
    Line,
    ShippingMethod,
    Totals,
    compute,
    grouped,
    money,
    vat_inside,
)

if TYPE_CHECKING:
    from chalicelib.platform.db import Database, UnitOfWork

    from .handover import CheckoutLine

__all__ = [
    "SHIPPING_VAT_RATE", "ZERO", "Adjustment", "CartChanged", "Effects", "Line", "ShippingMethod", "Totals", "compute",
    "grouped", "money", "purge_expired_guest_carts", "read_user_cart", "shipping_method", "shipping_methods", "take_lines",
    "vat_inside",
]


class CartChanged(Exception):  # noqa: N818 - an instruction to the caller, like inventory.ReserveLineByLine
    """take_lines found the cart no longer holding the lines this transaction read (a second
    checkout of the same cart took them, or a quantity changed meanwhile): roll back and run the
    transaction again, which reads the cart as it is now."""


def shipping_methods(tenant_settings: dict[str, Any] | None) -> list[ShippingMethod]:
    from . import shipping  # lazy: see the module docstring

    return shipping.methods(tenant_settings)


def shipping_method(tenant_settings: dict[str, Any] | None, code: str | None) -> ShippingMethod:
    from . import shipping

    return shipping.method(tenant_settings, code)


def read_user_cart(uow: UnitOfWork, tenant_id: int, user_id: int) -> list[CheckoutLine]:
    from . import handover

    return handover.read_user_cart(uow, tenant_id, user_id)


def take_lines(uow: UnitOfWork, tenant_id: int, user_id: int, lines: list[CheckoutLine]) -> None:
    from . import handover

    handover.take_lines(uow, tenant_id, user_id, lines)


def purge_expired_guest_carts(db: Database, limit: int) -> int:
    """Delete up to `limit` guest carts past their expiry; returns how many went."""
    from .service import purge_expired_guest_carts as purge

    return purge(db, limit)
