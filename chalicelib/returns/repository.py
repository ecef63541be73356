"""SQL of the returns area: returns, return_items, and what they need of the order's rows.

Every statement names the tenant.  Writes to rows by id name the primary key
(FORCE INDEX (PRIMARY), platform/sql.py BY_ID): under READ COMMITTED MariaDB lost concurrent
updates made through a secondary index.

Reads of order_items / orders / payment_refunds are the few columns a return is about (its
lines, their prices and returned quantities, the refunds it caused); the order's status is
only ever changed through orders.states, stock through inventory.api, refunds through
orders.payments and the returned quantities of the order's lines through orders.api.book_returned.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from chalicelib.platform.db import Session, UnitOfWork
from chalicelib.platform.keyset import Keyset, Position
from chalicelib.platform.sql import BY_ID, lock_row, marks

RETURN_COLUMNS = (
    "r.id, r.return_number, r.order_id, r.user_id, r.status, r.reason, r.description, r.photo_keys, "
    "r.refund_method, r.refund_amount, r.return_shipping_code, r.admin_note, r.resolved_by, r.resolved_at, "
    "r.created_at, r.updated_at, o.order_number, o.status AS order_status, o.contact_email, o.currency"
)
_FROM = "FROM returns r JOIN orders o ON o.tenant_id = r.tenant_id AND o.id = r.order_id"
# The staff queue, newest first by (created_at, id) (platform/keyset.py).
QUEUE = Keyset("return_queue", ("r.created_at",), (datetime,), "r.id")


# -- returns -------------------------------------------------------------------------------------
def get_return(session: Session, tenant_id: int, return_id: int) -> dict[str, Any] | None:
    return session.one(f"SELECT {RETURN_COLUMNS} {_FROM} WHERE r.tenant_id = %s AND r.id = %s", (tenant_id, return_id))


def order_of(session: Session, tenant_id: int, return_id: int) -> dict[str, Any] | None:
    """The return's order and owner (never change after insert: safe to read before locking)."""
    return session.one("SELECT order_id, user_id FROM returns WHERE tenant_id = %s AND id = %s", (tenant_id, return_id))


def lock_return(uow: UnitOfWork, tenant_id: int, return_id: int) -> dict[str, Any] | None:
    """The return row, locked.  Callers lock its order first (states.lock_order): one order."""
    return lock_row(uow, "returns", tenant_id, return_id)


def insert_return(uow: UnitOfWork, fields: dict[str, Any]) -> int:
    return uow.insert(f"INSERT INTO returns ({', '.join(fields)}) VALUES ({marks(list(fields))})",
                      list(fields.values()))


def insert_items(uow: UnitOfWork, rows: list[tuple[Any, ...]]) -> None:
    """rows: (tenant_id, return_id, order_item_id, quantity, reason, item_condition)."""
    uow.executemany("""INSERT INTO return_items (tenant_id, return_id, order_item_id, quantity, reason, item_condition)
                       VALUES (%s, %s, %s, %s, %s, %s)""", rows)


def update_return(uow: UnitOfWork, tenant_id: int, return_id: int, columns: dict[str, Any], *,
                  resolved: bool = False) -> None:
    sets = [f"{name} = %s" for name in columns]
    if resolved:
        sets.append("resolved_at = UTC_TIMESTAMP(6)")
    uow.execute(f"UPDATE returns {BY_ID} SET {', '.join(sets)} WHERE tenant_id = %s AND id = %s",
                (*columns.values(), tenant_id, return_id))


def items_of(session: Session, tenant_id: int, return_ids: list[int]) -> list[dict[str, Any]]:
    """Return lines with what was bought: name, price, the line's total and ordered quantity."""
    if not return_ids:
        return []
    return session.all(
        f"""SELECT ri.return_id, ri.id, ri.order_item_id, ri.quantity, ri.reason, ri.item_condition,
                   oi.product_id, oi.variation_id, oi.name, oi.variation_name, oi.sku, oi.image_key, oi.unit_price,
                   oi.quantity AS ordered_quantity, oi.line_total
              FROM return_items ri
              JOIN order_items oi ON oi.tenant_id = ri.tenant_id AND oi.id = ri.order_item_id
             WHERE ri.tenant_id = %s AND ri.return_id IN ({marks(return_ids)}) ORDER BY ri.return_id, ri.id""",
        (tenant_id, *return_ids))


def set_item_condition(uow: UnitOfWork, tenant_id: int, return_item_id: int, condition: str) -> None:
    uow.execute(f"UPDATE return_items {BY_ID} SET item_condition = %s WHERE tenant_id = %s AND id = %s",
                (condition, tenant_id, return_item_id))


def status_counts(session: Session, tenant_id: int, order_id: int) -> dict[str, int]:
    rows = session.all("""SELECT status, COUNT(*) AS n FROM returns FORCE INDEX (ix_order)
                           WHERE tenant_id = %s AND order_id = %s GROUP BY status""", (tenant_id, order_id))
    return {r["status"]: int(r["n"]) for r in rows}


def held_quantities(session: Session, tenant_id: int, order_id: int, statuses: Sequence[str]) -> dict[int, int]:
    """Units per order item in the order's returns of these statuses."""
    rows = session.all(
        f"""SELECT ri.order_item_id, SUM(ri.quantity) AS quantity
              FROM returns r FORCE INDEX (ix_order)
              JOIN return_items ri ON ri.tenant_id = r.tenant_id AND ri.return_id = r.id
             WHERE r.tenant_id = %s AND r.order_id = %s AND r.status IN ({marks(statuses)})
             GROUP BY ri.order_item_id""", (tenant_id, order_id, *statuses))
    return {int(r["order_item_id"]): int(r["quantity"]) for r in rows}


# -- the order's lines -------------------------------------------------------------------------
def order_items(session: Session, tenant_id: int, order_id: int) -> dict[int, dict[str, Any]]:
    rows = session.all("""SELECT id, product_id, variation_id, name, quantity, returned_quantity, line_total
                            FROM order_items WHERE tenant_id = %s AND order_id = %s ORDER BY id""",
                       (tenant_id, order_id))
    return {int(r["id"]): r for r in rows}


# -- refunds -----------------------------------------------------------------------------------
def refunds_of(session: Session, tenant_id: int, return_ids: list[int]) -> list[dict[str, Any]]:
    if not return_ids:
        return []
    return session.all(f"""SELECT id, return_id, amount, currency, status, created_at, updated_at
                             FROM payment_refunds FORCE INDEX (ix_return)
                            WHERE tenant_id = %s AND return_id IN ({marks(return_ids)}) ORDER BY id""",
                       (tenant_id, *return_ids))


def refund_amounts(session: Session, tenant_id: int, refund_ids: list[int]) -> Decimal:
    if not refund_ids:
        return Decimal("0.00")
    return Decimal(session.scalar(f"SELECT COALESCE(SUM(amount), 0) FROM payment_refunds {BY_ID} "
                                  f"WHERE tenant_id = %s AND id IN ({marks(refund_ids)})", (tenant_id, *refund_ids)))


def order_refunds_by_status(session: Session, tenant_id: int, order_id: int) -> dict[str, Decimal]:
    """Sum of the order's refund rows per status (requested, succeeded, failed)."""
    rows = session.all("""SELECT r.status, SUM(r.amount) AS amount FROM payment_refunds r
                            JOIN payments p ON p.tenant_id = r.tenant_id AND p.id = r.payment_id
                           WHERE r.tenant_id = %s AND p.order_id = %s GROUP BY r.status""", (tenant_id, order_id))
    return {r["status"]: Decimal(r["amount"]) for r in rows}


# -- lists -------------------------------------------------------------------------------------
def list_for_user(session: Session, tenant_id: int, user_id: int, *, statuses: Sequence[str] | None,
                  before_id: int | None, limit: int) -> list[dict[str, Any]]:
    where: list[str] = ["r.tenant_id = %s", "r.user_id = %s"]
    params: list[Any] = [tenant_id, user_id]
    if statuses:
        where.append(f"r.status IN ({marks(statuses)})")
        params.extend(statuses)
    if before_id is not None:
        where.append("r.id < %s")
        params.append(before_id)
    return session.all(f"SELECT {RETURN_COLUMNS} {_FROM} WHERE {' AND '.join(where)} ORDER BY r.id DESC LIMIT %s",
                       (*params, limit))


def list_for_admin(session: Session, tenant_id: int, *, statuses: Sequence[str] | None, created_from: datetime | None,
                   created_before: datetime | None, order_number: str | None,
                   after: Position | None, limit: int) -> list[dict[str, Any]]:
    """Newest first by (created_at, id): with a status filter ix_status (tenant, status,
    created_at) serves the order; the keyset condition continues after the cursor's row."""
    where: list[str] = ["r.tenant_id = %s"]
    params: list[Any] = [tenant_id]
    if statuses:
        where.append(f"r.status IN ({marks(statuses)})")
        params.extend(statuses)
    if created_from is not None:
        where.append("r.created_at >= %s")
        params.append(created_from)
    if created_before is not None:
        where.append("r.created_at < %s")
        params.append(created_before)
    if order_number:
        where.append("o.order_number = %s")
        params.append(order_number)
    tail, values = QUEUE.page(where, params, after, limit)
    return session.all(f"SELECT {RETURN_COLUMNS} {_FROM} {tail}", values)
