"""SQL of gift cards (W6): the gift_cards rows, found by id or by the keyed hash of their code.

Writes and locking reads by id go through the primary key (platform/sql.py BY_ID): the
redemption's conditional UPDATE changes `status`, which ix_status_expires holds.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.platform.db import Session, UnitOfWork
from chalicelib.platform.keyset import Position
from chalicelib.platform.sql import BY_ID, lock_row, marks

from .request_repository import NEWEST  # the request lists' sort, whose cursors GiftCardQuery takes

COLUMNS = ("id, code_last4, initial_amount, remaining_amount, currency, status, expires_at, redeemed_by_user_id, "
           "redeemed_at, created_by, created_at, updated_at")
# What each status filter of the staff list means; an active card past its expiry is expired.
_STATUS_WHERE = {
    "active": "(status = 'active' AND (expires_at IS NULL OR expires_at > UTC_TIMESTAMP(6)))",
    "redeemed": "status = 'redeemed'",
    "expired": "(status = 'expired' OR (status = 'active' AND expires_at <= UTC_TIMESTAMP(6)))",
    "voided": "status = 'disabled'",
}


def insert_cards(uow: UnitOfWork, rows: Sequence[tuple[Any, ...]]) -> list[int]:
    """(tenant_id, code_hash, code_last4, amount, currency, expires_at, created_by) each; their ids."""
    ids = []
    for row in rows:  # one by one: the ids of a multi-row INSERT are only contiguous by convention
        ids.append(uow.insert(
            "INSERT INTO gift_cards (tenant_id, code_hash, code_last4, initial_amount, remaining_amount, currency, "
            "expires_at, created_by) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (row[0], row[1], row[2], row[3], row[3], row[4], row[5], row[6])))
    return ids


def card_id_by_hash(session: Session, tenant_id: int, code_hash: str) -> int | None:
    row = session.one("SELECT id FROM gift_cards WHERE tenant_id = %s AND code_hash = %s", (tenant_id, code_hash))
    return None if row is None else int(row["id"])


def take(uow: UnitOfWork, tenant_id: int, card_id: int, user_id: int) -> bool:
    """Mark an active, unexpired card redeemed by `user_id`: True for the one caller that did.
    Concurrent callers queue on the row lock and then find it redeemed."""
    return uow.execute(
        f"UPDATE gift_cards {BY_ID} SET status = 'redeemed', remaining_amount = 0, redeemed_by_user_id = %s, "
        "redeemed_at = UTC_TIMESTAMP(6) WHERE tenant_id = %s AND id = %s AND status = 'active' "
        "AND (expires_at IS NULL OR expires_at > UTC_TIMESTAMP(6))", (user_id, tenant_id, card_id)) == 1


def get_card(session: Session, tenant_id: int, card_id: int) -> dict[str, Any] | None:
    return lock_row(session, "gift_cards", tenant_id, card_id, columns=COLUMNS, lock=False)


def lock_card(uow: UnitOfWork, tenant_id: int, card_id: int) -> dict[str, Any] | None:
    return lock_row(uow, "gift_cards", tenant_id, card_id, columns=COLUMNS)


def void(uow: UnitOfWork, tenant_id: int, card_id: int) -> None:
    uow.execute(f"UPDATE gift_cards {BY_ID} SET status = 'disabled', remaining_amount = 0 "
                "WHERE tenant_id = %s AND id = %s", (tenant_id, card_id))


def cards(session: Session, tenant_id: int, statuses: Sequence[str] | None, ids: Sequence[int] | None,
          after: Position | None, limit: int) -> list[dict[str, Any]]:
    where: list[str] = ["tenant_id = %s"]
    params: list[Any] = [tenant_id]
    if statuses:
        where.append("(" + " OR ".join(_STATUS_WHERE[s] for s in statuses) + ")")
    if ids:
        where.append(f"id IN ({marks(ids)})")
        params += list(ids)
    tail, values = NEWEST.page(where, params, after, limit)
    return session.all(f"SELECT {COLUMNS} FROM gift_cards {tail}", values)
