"""SQL of the cart area: carts, cart_items, and read-only joins to the catalogue rows they price.

Every statement names the tenant.  A cart is found by its owner: (tenant_id, user_id) for a
signed-in customer (ux_user), (tenant_id, device_id) with user_id NULL for a guest (ux_device);
a cart never has both.  Updates of rows by id name the primary key (FORCE INDEX (PRIMARY),
platform/sql.py BY_ID); MariaDB's single-table DELETE takes no index hint, and
the deletes here name the primary key or a unique key in full.

Locking: every write to a cart first takes its carts row (`lock_cart`), so changes to one cart
run one after another and a line read under that lock is the line the write changes.  A merge
takes the user's cart first, then the guest cart: always that order, so no two requests wait on
each other in a cycle.  Catalogue rows (variations, products) are only read, never locked: the
cart does not hold stock, the checkout does (atomically, in the orders area).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from chalicelib.platform.db import Session, UnitOfWork
from chalicelib.platform.sql import BY_ID, marks

# Owner conditions on `carts c`.  An expired guest cart is as good as gone: the hourly purge
# deletes it, reads never show it, and a write deletes it before starting a fresh one.
USER_CART = "c.user_id = %s"
GUEST_CART = "c.device_id = %s AND c.user_id IS NULL AND c.expires_at > UTC_TIMESTAMP(6)"

# What a cart line shows and is priced by: the line, its variation and product (live price,
# stock, status) and its picture (the variation's own image first, else the product's first).
LINE_COLUMNS = """ci.id, ci.product_id, ci.variation_id, ci.quantity, ci.unit_price AS added_price,
       ci.created_at AS added_at, v.sku, v.name AS variation_name, v.options, v.price, v.stock, v.reserved,
       v.is_active, v.low_stock_threshold, p.name AS product_name, p.slug AS product_slug,
       p.status AS product_status, p.vat_rate, p.category_id, p.brand_id,
       (SELECT COALESCE(i.thumb_key, i.s3_key) FROM product_images i
         WHERE i.tenant_id = ci.tenant_id AND i.product_id = ci.product_id
         ORDER BY i.variation_id <=> ci.variation_id DESC, i.sort_order, i.id LIMIT 1) AS image"""
LINE_JOINS = """LEFT JOIN cart_items ci ON ci.tenant_id = c.tenant_id AND ci.cart_id = c.id
  LEFT JOIN product_variations v ON v.tenant_id = ci.tenant_id AND v.id = ci.variation_id
  LEFT JOIN products p ON p.tenant_id = ci.tenant_id AND p.id = ci.product_id"""


# -- reads ------------------------------------------------------------------------------------
def cart_lines(session: Session, tenant_id: int, owner_sql: str, owner_value: Any,
               guest_device: str | None = None) -> list[dict[str, Any]]:
    """The cart and its lines in one statement: one row per line, or one row with NULL line
    columns for an empty cart, or one row with a NULL cart_id when there is no cart.
    `guest_device`: also report (guest_cart_id) a live guest cart of that device, for the merge
    at login, without a statement of its own."""
    guest = ("(SELECT g.id FROM carts g WHERE g.tenant_id = %s AND g.device_id = %s AND g.user_id IS NULL"
             " AND g.expires_at > UTC_TIMESTAMP(6))") if guest_device is not None else "NULL"
    params: list[Any] = [tenant_id, guest_device] if guest_device is not None else []
    return session.all(
        f"""SELECT c.id AS cart_id, c.currency, c.expires_at AS cart_expires_at, {guest} AS guest_cart_id,
                   {LINE_COLUMNS}
              FROM (SELECT 1) AS one
              LEFT JOIN carts c ON c.tenant_id = %s AND {owner_sql}
              {LINE_JOINS}
             ORDER BY ci.id""",
        (*params, tenant_id, owner_value),
    )


def add_target(uow: UnitOfWork, tenant_id: int, cart_id: int, variation_id: int,
               guest_device: str | None) -> dict[str, Any] | None:
    """What adding `variation_id` to the (locked) cart depends on: the variation and its product,
    the quantity already in the cart, the number of lines, and a guest cart waiting to merge."""
    guest = ("(SELECT g.id FROM carts g WHERE g.tenant_id = v.tenant_id AND g.device_id = %s AND g.user_id IS NULL"
             " AND g.expires_at > UTC_TIMESTAMP(6))") if guest_device is not None else "NULL"
    params: list[Any] = [guest_device] if guest_device is not None else []
    return uow.one(
        f"""SELECT v.id AS variation_id, v.product_id, v.price, v.stock, v.reserved, v.is_active, p.status AS product_status,
                   (SELECT ci.quantity FROM cart_items ci
                     WHERE ci.tenant_id = v.tenant_id AND ci.cart_id = %s AND ci.variation_id = v.id) AS in_cart,
                   (SELECT COUNT(*) FROM cart_items ci WHERE ci.tenant_id = v.tenant_id AND ci.cart_id = %s) AS line_count,
                   {guest} AS guest_cart_id
              FROM product_variations v
              JOIN products p ON p.tenant_id = v.tenant_id AND p.id = v.product_id
             WHERE v.tenant_id = %s AND v.id = %s""",
        (cart_id, cart_id, *params, tenant_id, variation_id),
    )


def item_target(uow: UnitOfWork, tenant_id: int, cart_id: int, item_id: int) -> dict[str, Any] | None:
    """A line of the (locked) cart with what changing its quantity depends on."""
    return uow.one(
        """SELECT ci.id, ci.variation_id, ci.quantity, v.price, v.stock, v.reserved, v.is_active,
                  p.status AS product_status
             FROM cart_items ci
             JOIN product_variations v ON v.tenant_id = ci.tenant_id AND v.id = ci.variation_id
             JOIN products p ON p.tenant_id = ci.tenant_id AND p.id = ci.product_id
            WHERE ci.tenant_id = %s AND ci.cart_id = %s AND ci.id = %s""",
        (tenant_id, cart_id, item_id),
    )


# -- the cart row ---------------------------------------------------------------------------
def lock_cart(uow: UnitOfWork, tenant_id: int, user_id: int | None, device_id: str | None,
              lifetime_days: int | None) -> int:
    """The owner's cart id, created if missing, its row locked for the rest of the transaction
    and its expiry (guests) / last activity pushed forward, in one statement.

    INSERT ... ON DUPLICATE KEY UPDATE instead of SELECT-then-INSERT: two first adds at once
    both end up with the one cart (the second waits on the unique key, then updates) instead of
    one of them failing on ux_user / ux_device.  `id = LAST_INSERT_ID(id)` makes the existing
    row's id the statement's insert id.  Both times come from the server's clock in one
    statement, so expires_at = updated_at + lifetime exactly (the purge relies on it); a user's
    cart (lifetime None) never expires."""
    return uow.insert(
        """INSERT INTO carts (tenant_id, user_id, device_id, expires_at)
           VALUES (%s, %s, %s, UTC_TIMESTAMP(6) + INTERVAL %s DAY)
           ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id), expires_at = VALUES(expires_at),
                                   updated_at = UTC_TIMESTAMP(6)""",
        (tenant_id, user_id, device_id, lifetime_days),
    )


def delete_expired_guest_cart(uow: UnitOfWork, tenant_id: int, device_id: str) -> int:
    """A guest cart past its expiry goes (with its lines, ON DELETE CASCADE) before the device's
    next write starts a fresh one: lines idle for weeks must not come back."""
    return uow.execute(
        """DELETE FROM carts WHERE tenant_id = %s AND device_id = %s AND user_id IS NULL
                              AND expires_at <= UTC_TIMESTAMP(6)""",
        (tenant_id, device_id),
    )


def lock_guest_cart(uow: UnitOfWork, tenant_id: int, device_id: str) -> int | None:
    value = uow.scalar(
        """SELECT id FROM carts WHERE tenant_id = %s AND device_id = %s AND user_id IS NULL
                                  AND expires_at > UTC_TIMESTAMP(6) FOR UPDATE""",
        (tenant_id, device_id),
    )
    return None if value is None else int(value)


def delete_cart(uow: UnitOfWork, tenant_id: int, cart_id: int) -> int:
    return uow.execute("DELETE FROM carts WHERE tenant_id = %s AND id = %s", (tenant_id, cart_id))


def delete_owner_carts(uow: UnitOfWork, tenant_id: int, user_id: int | None, device_id: str | None) -> int:
    """Clearing: the owner's cart goes with its lines, and for a signed-in customer the device's
    guest cart too (it would otherwise be merged back in at the next call)."""
    removed = 0
    if user_id is not None:
        removed += uow.execute("DELETE FROM carts WHERE tenant_id = %s AND user_id = %s", (tenant_id, user_id))
    if device_id is not None:
        removed += uow.execute("DELETE FROM carts WHERE tenant_id = %s AND device_id = %s AND user_id IS NULL",
                               (tenant_id, device_id))
    return removed


# -- lines --------------------------------------------------------------------------------------
def upsert_line(uow: UnitOfWork, tenant_id: int, cart_id: int, product_id: int, variation_id: int,
                quantity: int, unit_price: Decimal) -> None:
    """Add `quantity` to the cart's line of the variation, creating it if missing.  The increment
    happens in the statement (quantity = quantity + ...), never read-modify-write in Python, and
    the price the customer was shown becomes the line's reference price."""
    uow.execute(
        """INSERT INTO cart_items (tenant_id, cart_id, product_id, variation_id, quantity, unit_price)
           VALUES (%s, %s, %s, %s, %s, %s)
           ON DUPLICATE KEY UPDATE quantity = quantity + VALUES(quantity), unit_price = VALUES(unit_price)""",
        (tenant_id, cart_id, product_id, variation_id, quantity, unit_price),
    )


def set_quantity(uow: UnitOfWork, tenant_id: int, cart_id: int, item_id: int, quantity: int, unit_price: Decimal) -> int:
    return uow.execute(
        f"""UPDATE cart_items {BY_ID} SET quantity = %s, unit_price = %s
             WHERE tenant_id = %s AND id = %s AND cart_id = %s""",
        (quantity, unit_price, tenant_id, item_id, cart_id),
    )


def delete_line(uow: UnitOfWork, tenant_id: int, cart_id: int, item_id: int) -> int:
    return uow.execute("DELETE FROM cart_items WHERE tenant_id = %s AND id = %s AND cart_id = %s",
                       (tenant_id, item_id, cart_id))


# -- merge --------------------------------------------------------------------------------------
def merge_candidates(uow: UnitOfWork, tenant_id: int, guest_cart_id: int, user_cart_id: int) -> list[dict[str, Any]]:
    """The guest cart's lines beside the user's line of the same variation (if any) and what is
    on sale now, in line order."""
    return uow.all(
        """SELECT g.id, g.variation_id, g.quantity, u.id AS user_item_id, u.quantity AS user_quantity,
                  v.stock, v.reserved, v.is_active, p.status AS product_status
             FROM cart_items g
             JOIN product_variations v ON v.tenant_id = g.tenant_id AND v.id = g.variation_id
             JOIN products p ON p.tenant_id = g.tenant_id AND p.id = g.product_id
             LEFT JOIN cart_items u ON u.tenant_id = g.tenant_id AND u.cart_id = %s AND u.variation_id = g.variation_id
            WHERE g.tenant_id = %s AND g.cart_id = %s
            ORDER BY g.id""",
        (user_cart_id, tenant_id, guest_cart_id),
    )


def count_lines(uow: UnitOfWork, tenant_id: int, cart_id: int) -> int:
    return int(uow.scalar("SELECT COUNT(*) FROM cart_items WHERE tenant_id = %s AND cart_id = %s",
                          (tenant_id, cart_id)))


def set_quantities(uow: UnitOfWork, tenant_id: int, changes: list[tuple[int, int]]) -> None:
    """(item_id, quantity) pairs."""
    if changes:
        uow.executemany(f"UPDATE cart_items {BY_ID} SET quantity = %s WHERE tenant_id = %s AND id = %s",
                        [(quantity, tenant_id, item_id) for item_id, quantity in changes])


def move_lines(uow: UnitOfWork, tenant_id: int, from_cart_id: int, to_cart_id: int,
               moves: list[tuple[int, int]]) -> None:
    """(item_id, quantity) pairs: guest lines re-parented to the user's cart.  They keep their
    ids, so an item id the app held before signing in still names the same line."""
    if moves:
        uow.executemany(
            f"UPDATE cart_items {BY_ID} SET cart_id = %s, quantity = %s WHERE tenant_id = %s AND id = %s AND cart_id = %s",
            [(to_cart_id, quantity, tenant_id, item_id, from_cart_id) for item_id, quantity in moves])


# -- housekeeping -------------------------------------------------------------------------------
def tenant_ids(session: Session) -> list[int]:
    """Every tenant, for sweeps that walk the shop one tenant at a time (tenants is not tenant-owned)."""
    return [int(r["id"]) for r in session.all("SELECT id FROM tenants ORDER BY id")]


def expired_guest_carts(session: Session, tenant_id: int, lifetime_days: int, limit: int) -> list[int]:
    """Ids of the tenant's guest carts past their expiry.  `expires_at` is the rule; the
    updated_at bound only lets the sweep read a range of ix_updated (tenant_id, updated_at)
    instead of every guest cart: lock_cart writes expires_at = updated_at + lifetime, so an
    expired cart was last updated at least a lifetime ago.  (Should GUEST_CART_DAYS ever grow,
    carts written under the shorter lifetime are swept that much later: harmless.)"""
    rows = session.all(
        """SELECT id FROM carts
            WHERE tenant_id = %s AND updated_at <= UTC_TIMESTAMP(6) - INTERVAL %s DAY
              AND user_id IS NULL AND expires_at <= UTC_TIMESTAMP(6)
            LIMIT %s""",
        (tenant_id, lifetime_days, limit),
    )
    return [int(r["id"]) for r in rows]


def delete_expired_guest_carts(session: Session, tenant_id: int, cart_ids: list[int]) -> int:
    """Deletes those still expired (one touched since the sweep read it lives on)."""
    return session.execute(
        f"""DELETE FROM carts WHERE tenant_id = %s AND id IN ({marks(cart_ids)})
             AND user_id IS NULL AND expires_at <= UTC_TIMESTAMP(6)""",
        (tenant_id, *cart_ids),
    )
