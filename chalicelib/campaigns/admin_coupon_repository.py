"""SQL of coupon codes and bulk batches on the staff side.  Every statement names the tenant.

Read model (platform/tables.py): `users` (a personal code's customer is this shop's), through
admin_repository.customer_exists.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.platform.db import Session, UnitOfWork
from chalicelib.platform.keyset import Keyset, Position
from chalicelib.platform.sql import BY_ID, lock_row, marks

COUPONS = Keyset("admin_coupons", ("k.id",), (int,), id_column="k.id")
BATCHES = Keyset("admin_coupon_batches", ("b.id",), (int,), id_column="b.id")
COLUMNS = """k.id, k.campaign_id, k.batch_id, k.code, k.description, k.source, k.usage_limit, k.usage_limit_per_user,
             k.used_count, k.user_id, k.starts_at, k.ends_at, k.is_active, k.created_by, k.created_at, k.updated_at"""
WRITABLE = ("description", "usage_limit", "usage_limit_per_user", "user_id", "starts_at", "ends_at", "is_active")
BATCH_COLUMNS = """b.id, b.campaign_id, b.prefix, b.quantity, b.usage_limit_per_code, b.created_by, b.created_at,
                   b.exported_at, b.exported_by"""
DUPLICATE_KEY = 1062


# -- single codes ---------------------------------------------------------------------------------
def get(session: Session, tenant_id: int, coupon_id: int) -> dict[str, Any] | None:
    return session.one(f"SELECT {COLUMNS} FROM coupons k WHERE k.tenant_id = %s AND k.id = %s", (tenant_id, coupon_id))


def lock(uow: UnitOfWork, tenant_id: int, coupon_id: int) -> dict[str, Any] | None:
    return lock_row(uow, "coupons", tenant_id, coupon_id, columns=COLUMNS, alias="k")


def code_taken(session: Session, tenant_id: int, code: str) -> bool:
    return session.scalar("SELECT 1 FROM coupons WHERE tenant_id = %s AND code = %s", (tenant_id, code)) is not None


def insert(uow: UnitOfWork, tenant_id: int, campaign_id: int, fields: dict[str, Any], created_by: int) -> int:
    columns = ["code", *(c for c in WRITABLE if c in fields)]
    values = [fields[c] for c in columns]
    return uow.insert(f"""INSERT INTO coupons (tenant_id, campaign_id, source, created_by, {", ".join(columns)})
                          VALUES (%s, %s, 'manual', %s, {marks(values)})""",
                      (tenant_id, campaign_id, created_by, *values))


def update(uow: UnitOfWork, tenant_id: int, coupon_id: int, fields: dict[str, Any]) -> None:
    columns = [c for c in WRITABLE if c in fields]
    if columns:
        uow.execute(f"UPDATE coupons {BY_ID} SET {', '.join(f'{c} = %s' for c in columns)} "
                    "WHERE tenant_id = %s AND id = %s", (*[fields[c] for c in columns], tenant_id, coupon_id))


def delete(uow: UnitOfWork, tenant_id: int, coupon_id: int) -> None:
    uow.execute("DELETE FROM coupons WHERE tenant_id = %s AND id = %s", (tenant_id, coupon_id))


def deactivate(uow: UnitOfWork, tenant_id: int, coupon_id: int) -> None:
    uow.execute(f"UPDATE coupons {BY_ID} SET is_active = 0 WHERE tenant_id = %s AND id = %s", (tenant_id, coupon_id))


def page(session: Session, tenant_id: int, campaign_id: int, after: Position | None,
         limit: int) -> list[dict[str, Any]]:
    tail, values = COUPONS.page(["k.tenant_id = %s", "k.campaign_id = %s", "k.batch_id IS NULL"],
                                [tenant_id, campaign_id], after, limit)
    return session.all(f"SELECT {COLUMNS} FROM coupons k {tail}", values)


# -- batches --------------------------------------------------------------------------------------
def insert_batch(uow: UnitOfWork, tenant_id: int, campaign_id: int, prefix: str, quantity: int, per_code: int,
                 created_by: int) -> int:
    return uow.insert("""INSERT INTO coupon_batches (tenant_id, campaign_id, prefix, quantity, usage_limit_per_code,
                                                     created_by) VALUES (%s, %s, %s, %s, %s, %s)""",
                      (tenant_id, campaign_id, prefix, quantity, per_code, created_by))


def insert_codes(uow: UnitOfWork, rows: Sequence[tuple[Any, ...]]) -> int:
    """Multi-row INSERT IGNORE of (tenant_id, campaign_id, batch_id, code, usage_limit, starts_at, ends_at,
    created_by): a code already taken in the shop is skipped; answers how many went in."""
    if not rows:
        return 0
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, 'bulk')"] * len(rows))
    return uow.execute(f"""INSERT IGNORE INTO coupons (tenant_id, campaign_id, batch_id, code, usage_limit, starts_at,
                                                       ends_at, created_by, source) VALUES {values}""",
                       [v for row in rows for v in row])


def get_batch(session: Session, tenant_id: int, batch_id: int) -> dict[str, Any] | None:
    return session.one(f"""SELECT {BATCH_COLUMNS},
                                  (SELECT COUNT(*) FROM coupons k WHERE k.tenant_id = b.tenant_id
                                      AND k.batch_id = b.id AND k.used_count > 0) AS used_codes
                             FROM coupon_batches b WHERE b.tenant_id = %s AND b.id = %s""", (tenant_id, batch_id))


def batches(session: Session, tenant_id: int, campaign_id: int, after: Position | None,
            limit: int) -> list[dict[str, Any]]:
    tail, values = BATCHES.page(["b.tenant_id = %s", "b.campaign_id = %s"], [tenant_id, campaign_id], after, limit)
    return session.all(f"""SELECT {BATCH_COLUMNS},
                                  (SELECT COUNT(*) FROM coupons k WHERE k.tenant_id = b.tenant_id
                                      AND k.batch_id = b.id AND k.used_count > 0) AS used_codes
                             FROM coupon_batches b {tail}""", values)


def mark_exported(uow: UnitOfWork, tenant_id: int, batch_id: int, staff_id: int) -> bool:
    """Take the batch's one export: True for the one caller whose UPDATE matched."""
    return uow.execute(f"""UPDATE coupon_batches {BY_ID} SET exported_at = UTC_TIMESTAMP(6), exported_by = %s
                            WHERE tenant_id = %s AND id = %s AND exported_at IS NULL""",
                       (staff_id, tenant_id, batch_id)) == 1


def batch_codes(session: Session, tenant_id: int, batch_id: int) -> list[str]:
    rows = session.all("SELECT code FROM coupons WHERE tenant_id = %s AND batch_id = %s ORDER BY id",
                       (tenant_id, batch_id))
    return [r["code"] for r in rows]
