"""SQL of the invoices area.  Every statement names the tenant; rows by id are written through the
primary key (FORCE INDEX (PRIMARY): platform/sql.py BY_ID).

Reads of orders, order_items, users and tenants are read-only uses of other areas' tables for
the few columns an invoice prints (as orders.repository.user_contact does for users): the
invoices Lambda should not load those areas for them.  The order row *lock* is taken through
orders.states.lock_order, the orders area's own helper.

Lock order inside issue_invoice: the order row (states.lock_order), then the tenant's
invoice_sequences row for the year.  Nothing else locks invoice_sequences, and everything that
locks an order takes it first, so the two never deadlock with other areas.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.platform import cache
from chalicelib.platform.db import Session, UnitOfWork
from chalicelib.platform.sql import BY_ID, marks

INVOICE_COLUMNS = (
    "id, order_id, invoice_number, invoice_year, sequence_number, invoice_type, status, seller, buyer, currency, "
    "subtotal, discount_total, shipping_total, vat_total, grand_total, vat_breakdown, s3_key, issued_at, emailed_at"
)
ITEM_COLUMNS = ("id, name, variation_name, sku, unit_price, vat_rate, quantity, discount_amount, vat_amount, "
                "line_total")
_JSON = ("seller", "buyer", "vat_breakdown")


def _decoded(row: dict[str, Any] | None, names: tuple[str, ...] = _JSON) -> dict[str, Any] | None:
    # MariaDB hands JSON columns back as text; MySQL 8 as text too through pymysql.
    if row is None:
        return None
    return {**row, **{n: cache.loads(row[n]) if isinstance(row[n], (str, bytes)) else row[n] for n in names}}


# -- reads ----------------------------------------------------------------------------------
def tenant(session: Session, tenant_id: int) -> dict[str, Any] | None:
    row = session.one("SELECT id, slug, name, domain, default_language, settings FROM tenants WHERE id = %s",
                      (tenant_id,))
    return _decoded(row, ("settings",))


def sale_invoice(session: Session, tenant_id: int, order_id: int) -> dict[str, Any] | None:
    return _decoded(session.one(
        f"""SELECT {INVOICE_COLUMNS} FROM invoices
             WHERE tenant_id = %s AND sale_order_id = %s""", (tenant_id, order_id)))


def order_items(session: Session, tenant_id: int, order_id: int) -> list[dict[str, Any]]:
    return session.all(f"SELECT {ITEM_COLUMNS} FROM order_items WHERE tenant_id = %s AND order_id = %s ORDER BY id",
                       (tenant_id, order_id))


def order_for_print(session: Session, tenant_id: int, order_id: int) -> dict[str, Any] | None:
    return _decoded(session.one(
        """SELECT id, order_number, user_id, payment_method, shipping_method, discounts, placed_at, contact_email
             FROM orders WHERE tenant_id = %s AND id = %s""", (tenant_id, order_id)), ("discounts",))


def order_ref(session: Session, tenant_id: int, order_id: int) -> dict[str, Any] | None:
    """{id, user_id} of the order (user_id None for a guest order); None when there is no such order."""
    return session.one("SELECT id, user_id FROM orders WHERE tenant_id = %s AND id = %s", (tenant_id, order_id))


def recipient(session: Session, tenant_id: int, order_id: int) -> dict[str, Any] | None:
    """Where the invoice e-mail goes: the order's contact e-mail (its snapshot at checkout), else the
    account's, in the account's language."""
    return session.one(
        """SELECT o.order_number, o.user_id, o.contact_email, u.email AS user_email, u.language, u.status AS user_status
             FROM orders o LEFT JOIN users u ON u.tenant_id = o.tenant_id AND u.id = o.user_id
            WHERE o.tenant_id = %s AND o.id = %s""", (tenant_id, order_id))


# -- numbering ------------------------------------------------------------------------------
def lock_sequence(uow: UnitOfWork, tenant_id: int, year: int) -> int:
    """The year's last issued number, its row locked until the transaction ends.

    A missing row (the tenant's first invoice of the year) is inserted with ON DUPLICATE KEY
    UPDATE: concurrent first invoices all land on the one row, the losers waiting on its lock
    instead of failing on the duplicate key; INSERT IGNORE would take a shared lock and
    deadlock the moment two of them upgrade it."""
    row = uow.one("SELECT last_number FROM invoice_sequences WHERE tenant_id = %s AND `year` = %s FOR UPDATE",
                  (tenant_id, year))
    if row is None:
        uow.execute("""INSERT INTO invoice_sequences (tenant_id, `year`, last_number) VALUES (%s, %s, 0)
                       ON DUPLICATE KEY UPDATE last_number = last_number""", (tenant_id, year))
        row = uow.one("SELECT last_number FROM invoice_sequences WHERE tenant_id = %s AND `year` = %s FOR UPDATE",
                      (tenant_id, year))
    assert row is not None
    return int(row["last_number"])


def set_sequence(uow: UnitOfWork, tenant_id: int, year: int, number: int) -> None:
    uow.execute("UPDATE invoice_sequences SET last_number = %s WHERE tenant_id = %s AND `year` = %s",
                (number, tenant_id, year))


# -- writes ---------------------------------------------------------------------------------
def insert_invoice(uow: UnitOfWork, tenant_id: int, fields: dict[str, Any]) -> int:
    values = {name: cache.dumps(value) if name in _JSON else value for name, value in fields.items()}
    names = ", ".join(values)
    return uow.insert(f"INSERT INTO invoices (tenant_id, {names}) VALUES (%s, {marks(values)})",
                      (tenant_id, *values.values()))


def get_invoice(session: Session, tenant_id: int, invoice_id: int) -> dict[str, Any] | None:
    return _decoded(session.one(f"SELECT {INVOICE_COLUMNS} FROM invoices WHERE tenant_id = %s AND id = %s",
                                (tenant_id, invoice_id)))


def set_s3_key(session: Session, tenant_id: int, invoice_id: int, key: str) -> None:
    session.execute(f"UPDATE invoices {BY_ID} SET s3_key = %s WHERE tenant_id = %s AND id = %s",
                    (key, tenant_id, invoice_id))


def mark_emailed(session: Session, tenant_id: int, invoice_id: int, when: datetime) -> None:
    session.execute(f"UPDATE invoices {BY_ID} SET emailed_at = %s WHERE tenant_id = %s AND id = %s",
                    (when, tenant_id, invoice_id))
