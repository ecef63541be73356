"""SQL of the orders area: orders, their items, timeline and reservations that ran out.

Every statement names the tenant.  Stock is the inventory area's (inventory.api).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.platform.db import Session, UnitOfWork
from chalicelib.platform.sql import marks

ORDER_COLUMNS = (
    "id, tenant_id, order_number, user_id, status, payment_status, payment_method, currency, subtotal, discount_total, "
    "shipping_total, shipping_method, vat_total, grand_total, paid_total, refunded_total, coupon_code, discounts, "
    "shipping_address, billing_address, contact_email, customer_note, reserved_until, source, placed_at, "
    "paid_at, shipped_at, delivered_at, cancelled_at, cancel_reason, version, created_at, updated_at"
)
ORDER_NAMES = tuple(name.strip() for name in ORDER_COLUMNS.split(","))
ITEM_COLUMNS = (
    "id, product_id, variation_id, name, variation_name, sku, barcode, options, image_key, unit_price, vat_rate, "
    "quantity, discount_amount, vat_amount, line_total, returned_quantity"
)


# -- checkout ---------------------------------------------------------------------------------
def user_contact(session: Session, tenant_id: int, user_id: int) -> dict[str, Any] | None:
    """The customer's e-mail and language (the order mails; read-only use of accounts' users table:
    the orders Lambda should not load the accounts area for two columns)."""
    return session.one("SELECT email, language FROM users WHERE tenant_id = %s AND id = %s", (tenant_id, user_id))


def user_email(session: Session, tenant_id: int, user_id: int) -> str | None:
    """The customer's e-mail for the order's contact snapshot (user_contact's column the checkout needs)."""
    email: str | None = session.scalar("SELECT email FROM users WHERE tenant_id = %s AND id = %s", (tenant_id, user_id))
    return email


def insert_order(uow: UnitOfWork, fields: dict[str, Any]) -> int:
    return uow.insert(f"INSERT INTO orders ({', '.join(fields)}) VALUES ({marks(list(fields))})",
                      list(fields.values()))


_ITEM_INSERT = ("INSERT INTO order_items (tenant_id, order_id, product_id, variation_id, name, variation_name, sku, "
                "barcode, options, image_key, unit_price, vat_rate, quantity, discount_amount, vat_amount, line_total) "
                "VALUES ")
_ITEM_ROW = "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"


def insert_items(uow: UnitOfWork, rows: list[tuple[Any, ...]]) -> list[int]:
    """One multi-row INSERT; returns the new rows' ids in the order of `rows`: counted from
    LAST_INSERT_ID() where the server promises them consecutive (Session.consecutive_ids), read
    back (one index read) where it does not."""
    first = uow.insert(_ITEM_INSERT + ", ".join([_ITEM_ROW] * len(rows)), [v for row in rows for v in row])
    step = uow.consecutive_ids()
    if step is not None:
        return [first + i * step for i in range(len(rows))]
    return [r["id"] for r in uow.all("SELECT id FROM order_items WHERE tenant_id = %s AND order_id = %s ORDER BY id",
                                     (rows[0][0], rows[0][1]))]


# -- reads -------------------------------------------------------------------------------------
def get_order(session: Session, tenant_id: int, order_id: int) -> dict[str, Any] | None:
    return session.one(f"SELECT {ORDER_COLUMNS} FROM orders WHERE tenant_id = %s AND id = %s", (tenant_id, order_id))


def items_of(session: Session, tenant_id: int, order_ids: list[int]) -> list[dict[str, Any]]:
    if not order_ids:
        return []
    return session.all(f"SELECT order_id, {ITEM_COLUMNS} FROM order_items WHERE tenant_id = %s "
                       f"AND order_id IN ({marks(order_ids)}) ORDER BY order_id, id", (tenant_id, *order_ids))


def history_of(session: Session, tenant_id: int, order_id: int) -> list[dict[str, Any]]:
    return session.all("""SELECT from_status, to_status, actor_type, actor_user_id, note, created_at
                            FROM order_status_history WHERE tenant_id = %s AND order_id = %s ORDER BY id""",
                       (tenant_id, order_id))


def payments_of(session: Session, tenant_id: int, order_id: int) -> list[dict[str, Any]]:
    return session.all("""SELECT id, provider, method, status, amount, refunded_amount, currency, installment,
                                 card_last4, card_brand, paid_at, created_at
                            FROM payments WHERE tenant_id = %s AND order_id = %s ORDER BY id""", (tenant_id, order_id))


def shipments_of(session: Session, tenant_id: int, order_id: int) -> list[dict[str, Any]]:
    """Summary for the order page (the shipping area serves the full tracking history)."""
    return session.all("""SELECT id, carrier, tracking_number, tracking_url, status, shipped_at, delivered_at,
                                 estimated_delivery_at FROM shipments WHERE tenant_id = %s AND order_id = %s ORDER BY id""",
                       (tenant_id, order_id))


def list_for_user(session: Session, tenant_id: int, user_id: int, *, statuses: list[str] | None,
                  before_id: int | None, limit: int) -> list[dict[str, Any]]:
    where: list[str] = ["tenant_id = %s", "user_id = %s"]
    params: list[Any] = [tenant_id, user_id]
    if statuses:
        where.append(f"status IN ({marks(statuses)})")
        params.extend(statuses)
    if before_id is not None:
        where.append("id < %s")
        params.append(before_id)
    return session.all(f"""SELECT id, order_number, status, payment_status, currency, grand_total, placed_at,
                                  (SELECT COALESCE(SUM(quantity), 0) FROM order_items i
                                    WHERE i.tenant_id = o.tenant_id AND i.order_id = o.id) AS item_count
                             FROM orders o WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT %s""", (*params, limit))


# -- reservations that ran out -----------------------------------------------------------------
def expired_reservations(session: Session, now: datetime, limit: int) -> list[dict[str, Any]]:
    """Unpaid orders past their hold, all tenants (ix_expiry, global on purpose)."""
    return session.all("""SELECT tenant_id, id FROM orders FORCE INDEX (ix_expiry)
                           WHERE status = 'pending_payment' AND reserved_until < %s
                           ORDER BY reserved_until LIMIT %s""", (now, limit))
