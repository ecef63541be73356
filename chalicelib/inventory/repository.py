"""SQL of the inventory area: the stock columns of product_variations (stock, reserved) and
products (total_stock, sold_count), and the stock_movements log.  The rest of those two tables
belongs to the catalogue admin (platform/tables.py COLUMN_OWNERS).

Every statement names the tenant.  Stock changes are atomic conditional updates
(`... WHERE stock - reserved >= q`, `... WHERE stock + delta >= reserved`), so concurrent
checkouts and adjustments never lose an update, oversell, or push stock below what open orders
hold.  Every write and locking read by id names the primary key (platform/sql.py BY_ID: ix_stock
(tenant_id, stock) holds the very column being changed; ix_facets holds products.in_stock,
generated from total_stock).  Rows are touched in one order: variations (id order, callers
sort), then products (id order), so two transactions sharing rows queue instead of deadlocking.
"""
from __future__ import annotations

from typing import Any

from chalicelib.platform.db import Session, UnitOfWork
from chalicelib.platform.sql import BY_ID, lock_row, marks

from .api import MAX_STOCK, MAX_TOTAL_STOCK

VARIATION = "id, product_id, stock, reserved, is_active"


# -- orders: reserve at checkout, sell at payment, release / restock at cancel ---------------------
def reserve(uow: UnitOfWork, tenant_id: int, variation_id: int, quantity: int) -> bool:
    """Hold `quantity` for an unpaid order, only if that many are free.  The condition is
    checked on the locked row, so concurrent checkouts of the last units can't both pass."""
    return uow.execute(
        f"""UPDATE product_variations {BY_ID} SET reserved = reserved + %s
             WHERE tenant_id = %s AND id = %s AND is_active = 1 AND stock - reserved >= %s""",
        (quantity, tenant_id, variation_id, quantity)) == 1


def reserve_all(uow: UnitOfWork, tenant_id: int, quantities: list[tuple[int, int]]) -> bool:
    """`reserve` for several distinct variations in one statement: (variation_id, quantity) each,
    quantities above 0.  The rows are read through PRIMARY in ascending id order and each is held
    only if its own condition holds, as line by line.  False: some row was short (others may be
    held - the caller's transaction must roll back)."""
    cases = " ".join(["WHEN %s THEN %s"] * len(quantities))
    pairs = [x for pair in quantities for x in pair]
    ids = [v for v, _ in quantities]
    return uow.execute(
        f"""UPDATE product_variations {BY_ID} SET reserved = reserved + CASE id {cases} END
             WHERE tenant_id = %s AND id IN ({marks(ids)}) AND is_active = 1
               AND stock - reserved >= CASE id {cases} END""",
        (*pairs, tenant_id, *ids, *pairs)) == len(quantities)


def available(session: Session, tenant_id: int, variation_ids: list[int]) -> dict[int, int]:
    rows = session.all(f"SELECT id, GREATEST(stock - reserved, 0) AS available FROM product_variations {BY_ID} "
                       f"WHERE tenant_id = %s AND id IN ({marks(variation_ids)})", (tenant_id, *variation_ids))
    return {r["id"]: int(r["available"]) for r in rows}


def release(uow: UnitOfWork, tenant_id: int, variation_id: int, quantity: int) -> None:
    """Give a reservation back (unpaid order cancelled or expired)."""
    uow.execute(f"UPDATE product_variations {BY_ID} SET reserved = GREATEST(reserved - %s, 0) "
                "WHERE tenant_id = %s AND id = %s", (quantity, tenant_id, variation_id))


def sell(uow: UnitOfWork, tenant_id: int, variation_id: int, quantity: int) -> int:
    """Payment arrived: the reserved units leave stock.  Returns the stock left."""
    uow.execute(f"""UPDATE product_variations {BY_ID}
                      SET stock = stock - %s, reserved = GREATEST(reserved - %s, 0), version = version + 1
                    WHERE tenant_id = %s AND id = %s""", (quantity, quantity, tenant_id, variation_id))
    return int(uow.scalar(f"SELECT stock FROM product_variations {BY_ID} WHERE tenant_id = %s AND id = %s",
                          (tenant_id, variation_id)))


def restock(uow: UnitOfWork, tenant_id: int, variation_id: int, quantity: int) -> tuple[int, int]:
    """Units come back on the shelf (paid order cancelled, return received).
    Returns (available before, available after)."""
    row = lock_row(uow, "product_variations", tenant_id, variation_id, columns="stock, reserved")
    if row is None:
        return 0, 0
    uow.execute(f"UPDATE product_variations {BY_ID} SET stock = stock + %s, version = version + 1 "
                "WHERE tenant_id = %s AND id = %s", (quantity, tenant_id, variation_id))
    before = row["stock"] - row["reserved"]
    return before, before + quantity


def add_product_counters(uow: UnitOfWork, tenant_id: int, deltas: dict[int, tuple[int, int]]) -> list[int]:
    """products.total_stock += stock delta, sold_count += sold delta, in id order.  Returns the
    products whose total stock crossed zero (their listing's in-stock flag changed)."""
    crossed = []
    for product_id in sorted(deltas):
        stock_delta, sold_delta = deltas[product_id]
        locked = lock_row(uow, "products", tenant_id, product_id, columns="total_stock")
        before = None if locked is None else locked["total_stock"]
        uow.execute(f"""UPDATE products {BY_ID} SET total_stock = GREATEST(total_stock + %s, 0),
                               sold_count = GREATEST(sold_count + %s, 0) WHERE tenant_id = %s AND id = %s""",
                    (stock_delta, sold_delta, tenant_id, product_id))
        if before is not None and (before > 0) != (before + stock_delta > 0):
            crossed.append(product_id)
    return crossed


def insert_order_movements(uow: UnitOfWork, rows: list[tuple[Any, ...]]) -> None:
    """rows: (tenant_id, product_id, variation_id, delta, reserved_delta, reason, order_id, actor_user_id);
    one multi-row INSERT, written out here (pymysql's executemany finds its VALUES clause with a
    regular expression on every call: a checkout pays that for nothing)."""
    if rows:
        uow.execute(
            """INSERT INTO stock_movements (tenant_id, product_id, variation_id, delta, reserved_delta, reason,
                                            reference_type, reference_id, actor_user_id) VALUES """
            + ", ".join(["(%s, %s, %s, %s, %s, %s, 'order', %s, %s)"] * len(rows)), [v for row in rows for v in row])


# -- the admin's counts: adjustments, bulk and import sets, opening stock --------------------------
def get_variation(session: Session, tenant_id: int, variation_id: int, *, for_update: bool = False
                  ) -> dict[str, Any] | None:
    return lock_row(session, "product_variations", tenant_id, variation_id, columns=VARIATION, lock=for_update)


def add_stock(session: Session, tenant_id: int, variation_id: int, delta: int) -> bool:
    """The atomic conditional update: applies `delta` only when the result stays at or above the
    reserved quantity (and so at or above 0) and at most MAX_STOCK (within the INT column).
    False when refused (or no such variation)."""
    return session.execute(
        f"""UPDATE product_variations {BY_ID} SET stock = stock + %s, version = version + 1
             WHERE tenant_id = %s AND id = %s AND stock + %s >= reserved AND stock + %s BETWEEN 0 AND %s""",
        (delta, tenant_id, variation_id, delta, delta, MAX_STOCK)) == 1


def set_stock(session: Session, tenant_id: int, variation_id: int, stock: int) -> bool:
    """Set on-hand stock, only when it stays at or above the reserved quantity."""
    return session.execute(
        f"""UPDATE product_variations {BY_ID} SET stock = %s, version = version + 1
             WHERE tenant_id = %s AND id = %s AND %s >= reserved""",
        (stock, tenant_id, variation_id, stock)) == 1


def set_opening_stock(session: Session, tenant_id: int, stocks: list[tuple[int, int]]) -> None:
    """stocks: (variation id, stock) of variations inserted in this transaction (with 0)."""
    if stocks:
        session.executemany(f"UPDATE product_variations {BY_ID} SET stock = %s WHERE tenant_id = %s AND id = %s",
                            [(stock, tenant_id, variation_id) for variation_id, stock in stocks])


def open_new_products(session: Session, tenant_id: int, stocks: list[tuple[int, int, int]]) -> None:
    """stocks: (product id, variation id, stock) of products inserted in this transaction with one
    variation each (stock and total 0): both set in two statements, whatever the count."""
    stocked = [s for s in stocks if s[2]]
    if not stocked:
        return
    variation_case = " ".join("WHEN %s THEN %s" for _ in stocked)
    session.execute(f"UPDATE product_variations SET stock = CASE id {variation_case} END "
                    f"WHERE tenant_id = %s AND id IN ({marks(stocked)})",
                    (*[x for _, v, n in stocked for x in (v, n)], tenant_id, *[v for _, v, _ in stocked]))
    session.execute(f"UPDATE products SET total_stock = CASE id {variation_case} END "
                    f"WHERE tenant_id = %s AND id IN ({marks(stocked)})",
                    (*[x for p, _, n in stocked for x in (p, n)], tenant_id, *[p for p, _, _ in stocked]))


def add_total_stock(session: Session, tenant_id: int, deltas: dict[int, int]) -> list[int]:
    """products.total_stock += delta, in primary-key order (an increment re-reads the locked row,
    so concurrent changes to sibling variations add up).  Returns the products left unchanged
    because their total would leave the INT column's range (MariaDB would fail the statement):
    the caller refuses the request, which rolls the others back."""
    refused = []
    for product_id in sorted(deltas):
        if deltas[product_id] and session.execute(
                f"""UPDATE products {BY_ID} SET total_stock = total_stock + %s
                     WHERE tenant_id = %s AND id = %s AND total_stock + %s <= %s""",
                (deltas[product_id], tenant_id, product_id, deltas[product_id], MAX_TOTAL_STOCK)) != 1:
            refused.append(product_id)
    return refused


def total_stock(session: Session, tenant_id: int, product_id: int) -> int:
    value = session.scalar("SELECT total_stock FROM products WHERE tenant_id = %s AND id = %s",
                           (tenant_id, product_id))
    return int(value or 0)


def insert_movements(session: Session, rows: list[tuple[Any, ...]]) -> int | None:
    """rows: (tenant_id, product_id, variation_id, delta, stock_after, reason, reference_type, actor, note).
    Returns the id of the first row when exactly one is written."""
    if not rows:
        return None
    sql = """INSERT INTO stock_movements (tenant_id, product_id, variation_id, delta, stock_after, reason,
                                          reference_type, actor_user_id, note)
             VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"""
    if len(rows) == 1:
        return session.insert(sql, rows[0])
    session.executemany(sql, rows)
    return None


# -- history ---------------------------------------------------------------------------------------
def history(session: Session, tenant_id: int, product_id: int, variation_id: int | None, limit: int
            ) -> tuple[int, list[dict[str, Any]]]:
    """(how many movements, the newest `limit` of them) of a product, or of one of its variations."""
    where, params = "tenant_id = %s AND product_id = %s", [tenant_id, product_id]
    if variation_id is not None:
        where += " AND variation_id = %s"
        params.append(variation_id)
    count = session.scalar(f"SELECT COUNT(*) FROM stock_movements WHERE {where}", params)
    movements = session.all(
        f"""SELECT id, variation_id, delta, stock_after, reason, note, reference_type, actor_user_id, created_at
              FROM stock_movements WHERE {where} ORDER BY id DESC LIMIT %s""", (*params, limit))
    return int(count or 0), movements
