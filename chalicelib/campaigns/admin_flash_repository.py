"""SQL of flash deals on the staff side.  Every statement names the tenant.

Read models (platform/tables.py): `products` (the deal's product is this shop's; its row is locked
while a new or moved deal is checked for overlaps, so two staff writes on one product decide in
turn) and `product_variations` (the variation belongs to the product; the current price).
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from chalicelib.platform.db import Session, UnitOfWork
from chalicelib.platform.keyset import Keyset, Position
from chalicelib.platform.sql import BY_ID, lock_row, marks

DEALS = Keyset("admin_flash_deals", ("d.id",), (int,), id_column="d.id")
COLUMNS = """d.id, d.campaign_id, d.product_id, d.variation_id, d.title, d.deal_price, d.stock_limit, d.sold_count,
             d.per_user_limit, d.starts_at, d.ends_at, d.is_active, d.created_at, d.updated_at"""
WRITABLE = ("campaign_id", "product_id", "variation_id", "title", "deal_price", "stock_limit", "per_user_limit",
            "starts_at", "ends_at", "is_active")


def get(session: Session, tenant_id: int, deal_id: int) -> dict[str, Any] | None:
    return session.one(f"SELECT {COLUMNS} FROM flash_deals d WHERE d.tenant_id = %s AND d.id = %s",
                       (tenant_id, deal_id))


def lock(uow: UnitOfWork, tenant_id: int, deal_id: int) -> dict[str, Any] | None:
    return lock_row(uow, "flash_deals", tenant_id, deal_id, columns=COLUMNS, alias="d")


def page(session: Session, tenant_id: int, *, campaign_id: int | None, product_id: int | None,
         active_at: datetime | None, after: Position | None, limit: int) -> list[dict[str, Any]]:
    where: list[str] = ["d.tenant_id = %s"]
    params: list[Any] = [tenant_id]
    for column, value in (("d.campaign_id", campaign_id), ("d.product_id", product_id)):
        if value is not None:
            where.append(f"{column} = %s")
            params.append(value)
    if active_at is not None:
        where.append("d.is_active = 1 AND d.starts_at <= %s AND d.ends_at > %s")
        params += [active_at, active_at]
    tail, values = DEALS.page(where, params, after, limit)
    return session.all(f"SELECT {COLUMNS} FROM flash_deals d {tail}", values)


def insert(uow: UnitOfWork, tenant_id: int, fields: dict[str, Any]) -> int:
    columns = [c for c in WRITABLE if c in fields]
    values = [fields[c] for c in columns]
    return uow.insert(f"INSERT INTO flash_deals (tenant_id, {', '.join(columns)}) VALUES (%s, {marks(values)})",
                      (tenant_id, *values))


def update(uow: UnitOfWork, tenant_id: int, deal_id: int, fields: dict[str, Any]) -> None:
    columns = [c for c in WRITABLE if c in fields]
    if not columns:
        return
    assignments = ", ".join(f"{c} = %s" for c in columns)
    uow.execute(f"UPDATE flash_deals {BY_ID} SET {assignments} WHERE tenant_id = %s AND id = %s",
                (*[fields[c] for c in columns], tenant_id, deal_id))


def delete(uow: UnitOfWork, tenant_id: int, deal_id: int) -> None:
    uow.execute("DELETE FROM flash_deals WHERE tenant_id = %s AND id = %s", (tenant_id, deal_id))


def deactivate(uow: UnitOfWork, tenant_id: int, deal_id: int) -> None:
    uow.execute(f"UPDATE flash_deals {BY_ID} SET is_active = 0 WHERE tenant_id = %s AND id = %s",
                (tenant_id, deal_id))


def overlapping(session: Session, tenant_id: int, *, product_id: int, variation_id: int | None,
                starts_at: datetime, ends_at: datetime, except_id: int | None) -> int | None:
    """An active deal of the same product whose window overlaps, on the same variation or with
    either side covering the whole product; its id or None."""
    found = session.scalar(
        """SELECT d.id FROM flash_deals d
            WHERE d.tenant_id = %s AND d.product_id = %s AND d.is_active = 1 AND d.id <> %s
              AND (%s IS NULL OR d.variation_id IS NULL OR d.variation_id = %s)
              AND d.starts_at < %s AND d.ends_at > %s
            ORDER BY d.id LIMIT 1""",
        (tenant_id, product_id, except_id or 0, variation_id, variation_id, ends_at, starts_at))
    return None if found is None else int(found)


def lock_product(uow: UnitOfWork, tenant_id: int, product_id: int) -> bool:
    """Lock this shop's product row (the overlap check's turn); False when it is not this shop's."""
    return lock_row(uow, "products", tenant_id, product_id, columns="id") is not None


def current_price(session: Session, tenant_id: int, product_id: int, variation_id: int | None) -> Decimal | None:
    """The variation's price, or for a whole-product deal the lowest active variation's price
    (the product's base price when it has none); None when the variation is not the product's."""
    if variation_id is not None:
        price = session.scalar("""SELECT price FROM product_variations
                                   WHERE tenant_id = %s AND id = %s AND product_id = %s""",
                               (tenant_id, variation_id, product_id))
        return None if price is None else Decimal(price)
    row = session.one("""SELECT p.base_price, (SELECT MIN(v.price) FROM product_variations v
                                                WHERE v.tenant_id = p.tenant_id AND v.product_id = p.id
                                                  AND v.is_active = 1) AS lowest
                           FROM products p WHERE p.tenant_id = %s AND p.id = %s""", (tenant_id, product_id))
    if row is None:
        return None
    return Decimal(row["lowest"] if row["lowest"] is not None else row["base_price"])


def campaign_exists(session: Session, tenant_id: int, campaign_id: int) -> bool:
    return session.scalar("SELECT 1 FROM campaigns WHERE tenant_id = %s AND id = %s AND deleted_at IS NULL",
                          (tenant_id, campaign_id)) is not None
