"""SQL pieces every repository shares: the primary-key hint, placeholders, locking reads by id.

BY_ID, `FORCE INDEX (PRIMARY)`, is what correctness relies on, not a speed-up: without it
MariaDB may run `UPDATE product_variations ... WHERE tenant_id = ? AND id = ?` through an index
that holds the very column being changed (ix_stock), and under READ COMMITTED its
semi-consistent read then SKIPS a row a concurrent transaction just changed - the update reports
0 rows and is lost (tests/integration/test_stock_concurrency.py caught 15 of 100).  So every
write and every locking read of rows by id names the primary key.

`lock_rows` / `lock_row` are those locking reads: tenant-scoped, through the primary key, and
(for several rows) in primary-key order, the one order every transaction takes row locks in, so
two transactions locking overlapping sets queue instead of deadlocking.
"""
from __future__ import annotations

from collections.abc import Iterable, Sized
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .db import Session

BY_ID = "FORCE INDEX (PRIMARY)"


def marks(values: Sized) -> str:
    """`%s, %s, %s`: one placeholder per value, for `IN (...)` and `VALUES (...)`."""
    return ", ".join(["%s"] * len(values))


def _source(table: str, alias: str | None) -> tuple[str, str]:
    # The index hint follows the alias: `FROM product_variations v FORCE INDEX (PRIMARY)`.
    return (f"{table} {alias} {BY_ID}", f"{alias}.") if alias else (f"{table} {BY_ID}", "")


def lock_rows(session: Session, table: str, tenant_id: int, ids: Iterable[int], *, columns: str = "*",
              alias: str | None = None, lock: bool = True) -> list[dict[str, Any]]:
    """The tenant's rows of `table` with these ids, locked FOR UPDATE in primary-key order (ids are
    de-duplicated and sorted here); missing ids are simply absent.  `lock=False` is the same read
    without the lock, for a caller that validates before it decides to lock."""
    ordered = sorted(set(ids))
    if not ordered:
        return []
    source, prefix = _source(table, alias)
    return session.all(f"SELECT {columns} FROM {source} WHERE {prefix}tenant_id = %s "
                       f"AND {prefix}id IN ({marks(ordered)}) ORDER BY {prefix}id{' FOR UPDATE' if lock else ''}",
                       (tenant_id, *ordered))


def lock_row(session: Session, table: str, tenant_id: int, row_id: int, *, columns: str = "*",
             alias: str | None = None, lock: bool = True) -> dict[str, Any] | None:
    """One row of the tenant's `table` by id, locked FOR UPDATE (None when there is none)."""
    source, prefix = _source(table, alias)
    return session.one(f"SELECT {columns} FROM {source} WHERE {prefix}tenant_id = %s AND {prefix}id = %s"
                       f"{' FOR UPDATE' if lock else ''}", (tenant_id, row_id))
