"""Cart use cases (issue 5 item 1, C1–C3): view, add, change quantity, remove, clear, shipping
quotes, and the guest-cart purge.

A cart belongs to an `Owner`: a signed-in customer (carts.user_id) or, without sign-in, a device
(carts.device_id from X-Device-Id, a guest cart living GUEST_CART_DAYS after its last change).
A signed-in call that also carries the X-Device-Id of a live guest cart merges that cart into
the customer's first (cart.merge): "merge at login" is the app's first cart call after login.

Every change runs in one transaction that starts by locking the owner's carts row
(repository.lock_cart), so changes to one cart are serial: two adds of the same variation both
count, and two first adds create one cart.  Each change checks the product is active, the
variation is switched on and enough is available (stock - reserved) for the new quantity; the
cart itself holds no stock (the checkout reserves it atomically).  Views are read on the writer:
a customer must see the line they just added, which a lagging replica cannot promise.

Service functions return plain dicts shaped like schemas.CartOut.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.platform.db import Database, UnitOfWork

from . import repository as repo
from .errors import (
    CartItemNotFound,
    LineLimit,
    OutOfStock,
    ProductUnavailable,
    QuantityExceedsStock,
    QuantityLimit,
    VariationNotFound,
)
from .lines import GUEST_CART_DAYS, MAX_LINE_QUANTITY, MAX_LINES, available, on_sale, priced_cart, shipping_options
from .merge import MergeResult, merge_guest_cart
from .totals import Discount, ShippingMethod

PURGE_BATCH = 1000


@dataclass(frozen=True)
class Owner:
    """Whose cart: a signed-in user (device_id then only names a guest cart to merge) or a device."""

    user_id: int | None
    device_id: str | None

    def __post_init__(self) -> None:
        assert self.user_id is not None or self.device_id is not None, "a cart needs a user or a device"

    @property
    def is_guest(self) -> bool:
        return self.user_id is None

    @property
    def merge_device(self) -> str | None:
        """The device whose guest cart a signed-in call merges in."""
        return self.device_id if self.user_id is not None else None

    def condition(self) -> tuple[str, Any]:
        return (repo.USER_CART, self.user_id) if self.user_id is not None else (repo.GUEST_CART, self.device_id)


# -- reads ----------------------------------------------------------------------------------
def get_cart(db: Database, tenant_id: int, owner: Owner, shipping: ShippingMethod | None, *,
             currency: str = "TRY", discounts: Sequence[Discount] = ()) -> dict[str, Any]:
    """The cart with live prices and stock; merges a waiting guest cart in first (one statement
    when there is nothing to merge)."""
    owner_sql, value = owner.condition()
    rows = repo.cart_lines(db.session(), tenant_id, owner_sql, value, owner.merge_device)
    merged = None
    if rows[0]["guest_cart_id"] is not None:
        cart_id, merged = db.transaction(lambda uow: _merge_only(uow, tenant_id, owner))
        rows = _lines_by_id(db, tenant_id, cart_id)
    return _view(rows, shipping, currency, discounts, merged)


def shipping_quotes(db: Database, tenant_id: int, owner: Owner, methods: Sequence[ShippingMethod]) -> dict[str, Any]:
    """Every shipping method the shop offers, with its fee for this cart as it stands (read
    only: a guest cart waiting to merge is merged by the cart calls, not by this one)."""
    owner_sql, value = owner.condition()
    rows = repo.cart_lines(db.session(), tenant_id, owner_sql, value)
    return {"items": shipping_options(rows, methods)}


# -- changes --------------------------------------------------------------------------------
def add_item(db: Database, tenant_id: int, owner: Owner, variation_id: int, quantity: int,
             shipping: ShippingMethod | None, *, currency: str = "TRY",
             discounts: Sequence[Discount] = ()) -> dict[str, Any]:
    """Add `quantity` of a variation; an existing line of it grows.  Four statements for a
    signed-in customer (lock/create cart, read variation + line, upsert line, view)."""

    def work(uow: UnitOfWork) -> tuple[int, MergeResult | None]:
        cart_id = _lock(uow, tenant_id, owner)
        target = repo.add_target(uow, tenant_id, cart_id, variation_id, owner.merge_device)
        if target is None:
            raise VariationNotFound()  # missing, or another tenant's: the same answer
        merged = None
        if target["guest_cart_id"] is not None:
            merged = merge_guest_cart(uow, tenant_id, cart_id, owner.device_id or "")
            target = repo.add_target(uow, tenant_id, cart_id, variation_id, None)  # the merge may have added it
            assert target is not None
        in_cart = int(target["in_cart"] or 0)
        if not in_cart and int(target["line_count"]) >= MAX_LINES:
            raise LineLimit(MAX_LINES)
        _check_quantity(target, quantity + in_cart, requested=quantity, in_cart=in_cart)
        repo.upsert_line(uow, tenant_id, cart_id, int(target["product_id"]), variation_id, quantity, target["price"])
        uow.commit()
        return cart_id, merged

    cart_id, merged = db.transaction(work)
    return _view(_lines_by_id(db, tenant_id, cart_id), shipping, currency, discounts, merged)


def update_item(db: Database, tenant_id: int, owner: Owner, item_id: int, quantity: int,
                shipping: ShippingMethod | None, *, currency: str = "TRY",
                discounts: Sequence[Discount] = ()) -> dict[str, Any]:
    """Set a line's quantity (1..MAX_LINE_QUANTITY, validated by the schema).  Lowering is held
    to the stock too: a quantity the shop cannot deliver is never stored as a fresh choice."""

    def work(uow: UnitOfWork) -> tuple[int, MergeResult | None]:
        cart_id, merged = _lock_and_merge(uow, tenant_id, owner)
        target = repo.item_target(uow, tenant_id, cart_id, item_id)
        if target is None:
            raise CartItemNotFound()  # not in this owner's cart: another user's id looks missing
        _check_quantity(target, quantity, requested=quantity, in_cart=int(target["quantity"]))
        repo.set_quantity(uow, tenant_id, cart_id, item_id, quantity, target["price"])
        uow.commit()
        return cart_id, merged

    cart_id, merged = db.transaction(work)
    return _view(_lines_by_id(db, tenant_id, cart_id), shipping, currency, discounts, merged)


def remove_item(db: Database, tenant_id: int, owner: Owner, item_id: int, shipping: ShippingMethod | None, *,
                currency: str = "TRY", discounts: Sequence[Discount] = ()) -> dict[str, Any]:
    """Remove a line, whatever its status (an unavailable line must be removable)."""

    def work(uow: UnitOfWork) -> tuple[int, MergeResult | None]:
        cart_id, merged = _lock_and_merge(uow, tenant_id, owner)
        if not repo.delete_line(uow, tenant_id, cart_id, item_id):
            raise CartItemNotFound()
        uow.commit()
        return cart_id, merged

    cart_id, merged = db.transaction(work)
    return _view(_lines_by_id(db, tenant_id, cart_id), shipping, currency, discounts, merged)


def clear_cart(db: Database, tenant_id: int, owner: Owner, *, currency: str = "TRY") -> dict[str, Any]:
    """Empty the cart: the owner's cart row goes with its lines (a signed-in customer's device
    guest cart too, or it would merge straight back).  The next add starts a new cart."""

    def work(uow: UnitOfWork) -> None:
        repo.delete_owner_carts(uow, tenant_id, owner.user_id, owner.device_id)
        uow.commit()

    db.transaction(work)
    return _view([], None, currency, (), None)


# -- housekeeping -------------------------------------------------------------------------------
def purge_expired_guest_carts(db: Database, limit: int = PURGE_BATCH) -> int:
    """Delete up to `limit` guest carts past their expiry, tenant by tenant (lines go by ON DELETE
    CASCADE); returns how many.  For the hourly purge job: call again while it returns `limit`.
    Customers' carts never expire here."""
    session = db.session()
    removed = 0
    for tenant_id in repo.tenant_ids(session):
        if removed >= limit:
            break
        ids = repo.expired_guest_carts(session, tenant_id, GUEST_CART_DAYS, limit - removed)
        if ids:
            removed += repo.delete_expired_guest_carts(session, tenant_id, ids)
    return removed


# -- helpers --------------------------------------------------------------------------------
def _lock(uow: UnitOfWork, tenant_id: int, owner: Owner) -> int:
    """Lock (creating if needed) the owner's cart, pushing its expiry forward."""
    if owner.is_guest:
        assert owner.device_id is not None
        repo.delete_expired_guest_cart(uow, tenant_id, owner.device_id)
        return repo.lock_cart(uow, tenant_id, None, owner.device_id, GUEST_CART_DAYS)
    return repo.lock_cart(uow, tenant_id, owner.user_id, None, None)


def _lock_and_merge(uow: UnitOfWork, tenant_id: int, owner: Owner) -> tuple[int, MergeResult | None]:
    cart_id = _lock(uow, tenant_id, owner)
    device = owner.merge_device
    return cart_id, (merge_guest_cart(uow, tenant_id, cart_id, device) if device is not None else None)


def _merge_only(uow: UnitOfWork, tenant_id: int, owner: Owner) -> tuple[int, MergeResult | None]:
    cart_id, merged = _lock_and_merge(uow, tenant_id, owner)
    uow.commit()
    return cart_id, merged


def _check_quantity(target: dict[str, Any], new_quantity: int, *, requested: int, in_cart: int) -> None:
    variation_id = int(target["variation_id"])
    if not on_sale(target):
        raise ProductUnavailable(variation_id)
    left = available(target)
    if left <= 0:
        raise OutOfStock(variation_id)
    if new_quantity > left:
        raise QuantityExceedsStock(variation_id, requested, in_cart, left)
    if new_quantity > MAX_LINE_QUANTITY:
        raise QuantityLimit(variation_id, MAX_LINE_QUANTITY, in_cart)


def _lines_by_id(db: Database, tenant_id: int, cart_id: int) -> list[dict[str, Any]]:
    return repo.cart_lines(db.session(), tenant_id, "c.id = %s", cart_id)


def _view(rows: Sequence[dict[str, Any]], shipping: ShippingMethod | None, currency: str,
          discounts: Sequence[Discount], merged: MergeResult | None) -> dict[str, Any]:
    head = rows[0] if rows else {}
    cart_id = head.get("cart_id")
    return {
        "id": cart_id,
        "currency": head.get("currency") or currency,
        "expires_at": head.get("cart_expires_at"),
        **priced_cart(rows, shipping, discounts),
        "merged": merged.as_dict() if merged is not None else None,
    }
