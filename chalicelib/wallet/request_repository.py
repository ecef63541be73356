"""SQL of the requests customers make and staff decide: bank-transfer top-ups and withdrawals.

Every statement names the tenant; writes and locking reads by id go through the primary key
(platform/sql.py BY_ID).  Lists are keyset pages, newest first (ix_user / ix_status).
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from chalicelib.platform.db import Session, UnitOfWork
from chalicelib.platform.keyset import Keyset, Position
from chalicelib.platform.sql import BY_ID, lock_row, marks

NEWEST = Keyset("wallet_requests", ("created_at",), (datetime,))

TOPUP_COLUMNS = ("id, wallet_id, user_id, reference_code, amount, currency, method, status, sender_name, "
                 "bank_reference, user_note, admin_note, sent_at, reviewed_by, reviewed_at, journal_id, "
                 "created_at, updated_at")
WITHDRAWAL_COLUMNS = ("id, wallet_id, user_id, amount, currency, iban_enc, iban_last4, account_holder, status, "
                      "user_note, admin_note, reviewed_by, reviewed_at, paid_at, journal_id, hold_id, "
                      "created_at, updated_at")


def _sets(columns: dict[str, Any], reviewed: bool) -> str:
    sets = [f"{name} = %s" for name in columns]
    if reviewed:
        sets.append("reviewed_at = UTC_TIMESTAMP(6)")
    return ", ".join(sets)


def _page(session: Session, table: str, columns: str, tenant_id: int, user_id: int | None,
          statuses: Sequence[str] | None, after: Position | None, limit: int) -> list[dict[str, Any]]:
    where: list[str] = ["tenant_id = %s"]
    params: list[Any] = [tenant_id]
    if user_id is not None:
        where.append("user_id = %s")
        params.append(user_id)
    if statuses:
        where.append(f"status IN ({marks(statuses)})")
        params += statuses
    tail, values = NEWEST.page(where, params, after, limit)
    return session.all(f"SELECT {columns} FROM {table} {tail}", values)


# -- top-ups -------------------------------------------------------------------------------------
def insert_topup(uow: UnitOfWork, fields: dict[str, Any]) -> int:
    return uow.insert(f"INSERT INTO wallet_topup_requests ({', '.join(fields)}) VALUES ({marks(list(fields))})",
                      list(fields.values()))


def get_topup(session: Session, tenant_id: int, topup_id: int) -> dict[str, Any] | None:
    return lock_row(session, "wallet_topup_requests", tenant_id, topup_id, columns=TOPUP_COLUMNS, lock=False)


def lock_topup(uow: UnitOfWork, tenant_id: int, topup_id: int) -> dict[str, Any] | None:
    return lock_row(uow, "wallet_topup_requests", tenant_id, topup_id, columns=TOPUP_COLUMNS)


def update_topup(uow: UnitOfWork, tenant_id: int, topup_id: int, columns: dict[str, Any], *,
                 reviewed: bool = False) -> None:
    uow.execute(f"UPDATE wallet_topup_requests {BY_ID} SET {_sets(columns, reviewed)} WHERE tenant_id = %s AND id = %s",
                (*columns.values(), tenant_id, topup_id))


def topups(session: Session, tenant_id: int, *, user_id: int | None, statuses: Sequence[str] | None,
           after: Position | None, limit: int) -> list[dict[str, Any]]:
    return _page(session, "wallet_topup_requests", TOPUP_COLUMNS, tenant_id, user_id, statuses, after, limit)


# -- withdrawals ---------------------------------------------------------------------------------
def insert_withdrawal(uow: UnitOfWork, fields: dict[str, Any]) -> int:
    return uow.insert(
        f"INSERT INTO wallet_withdrawal_requests ({', '.join(fields)}) VALUES ({marks(list(fields))})",
        list(fields.values()))


def get_withdrawal(session: Session, tenant_id: int, withdrawal_id: int) -> dict[str, Any] | None:
    return lock_row(session, "wallet_withdrawal_requests", tenant_id, withdrawal_id, columns=WITHDRAWAL_COLUMNS,
                    lock=False)


def lock_withdrawal(uow: UnitOfWork, tenant_id: int, withdrawal_id: int) -> dict[str, Any] | None:
    return lock_row(uow, "wallet_withdrawal_requests", tenant_id, withdrawal_id, columns=WITHDRAWAL_COLUMNS)


def update_withdrawal(uow: UnitOfWork, tenant_id: int, withdrawal_id: int, columns: dict[str, Any], *,
                      reviewed: bool = False) -> None:
    uow.execute(
        f"UPDATE wallet_withdrawal_requests {BY_ID} SET {_sets(columns, reviewed)} WHERE tenant_id = %s AND id = %s",
        (*columns.values(), tenant_id, withdrawal_id))


def withdrawals(session: Session, tenant_id: int, *, user_id: int | None, statuses: Sequence[str] | None,
                after: Position | None, limit: int) -> list[dict[str, Any]]:
    return _page(session, "wallet_withdrawal_requests", WITHDRAWAL_COLUMNS, tenant_id, user_id, statuses, after,
                 limit)
