"""SQL of transfers between customers (W7): the wallet_transfers rows, today's total a sender
has sent, and the customers a transfer names (READ_MODELS: users, for the wallet)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from chalicelib.platform.db import Session, UnitOfWork
from chalicelib.platform.keyset import Keyset, Position

from .request_repository import NEWEST as REQUESTS

# The request lists' sort (request_repository.NEWEST, whose cursors the query takes) on the joined row.
NEWEST = Keyset(REQUESTS.name, ("t.created_at",), (datetime,), id_column="t.id")

_USER = "id, email, language, first_name, last_name"
_ACTIVE = "tenant_id = %s AND status = 'active' AND deleted_at IS NULL"


def customer_by_email(session: Session, tenant_id: int, email: str) -> dict[str, Any] | None:
    return session.one(f"SELECT {_USER} FROM users WHERE {_ACTIVE} AND email = %s", (tenant_id, email))


def customer_by_phone_hash(session: Session, tenant_id: int, phone_hash: bytes) -> dict[str, Any] | None:
    return session.one(f"SELECT {_USER} FROM users WHERE {_ACTIVE} AND phone_hash = %s", (tenant_id, phone_hash))


def customer_by_id(session: Session, tenant_id: int, user_id: int) -> dict[str, Any] | None:
    return session.one(f"SELECT {_USER} FROM users WHERE {_ACTIVE} AND id = %s", (tenant_id, user_id))


def sent_since(uow: UnitOfWork, tenant_id: int, wallet_id: int, since: datetime) -> Decimal:
    """What the wallet has sent since `since` (naive UTC); read under the sender's account lock."""
    row = uow.one("SELECT COALESCE(SUM(amount), 0) AS total FROM wallet_transfers "
                  "WHERE tenant_id = %s AND from_wallet_id = %s AND created_at >= %s", (tenant_id, wallet_id, since))
    return Decimal(row["total"]) if row else Decimal(0)


def insert_transfer(uow: UnitOfWork, tenant_id: int, from_wallet_id: int, to_wallet_id: int, amount: Decimal,
                    currency: str, note: str | None, user_id: int) -> int:
    return uow.insert("INSERT INTO wallet_transfers (tenant_id, from_wallet_id, to_wallet_id, amount, currency, note, "
                      "created_by) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                      (tenant_id, from_wallet_id, to_wallet_id, amount, currency, note, user_id))


def set_journal(uow: UnitOfWork, tenant_id: int, transfer_id: int, journal_id: int) -> None:
    uow.execute("UPDATE wallet_transfers SET journal_id = %s WHERE tenant_id = %s AND id = %s",
                (journal_id, tenant_id, transfer_id))


_VIEW = """SELECT t.id, t.amount, t.currency, t.note, t.created_at, t.from_wallet_id, t.to_wallet_id,
                  fu.id AS from_user_id, fu.first_name AS from_first, fu.last_name AS from_last,
                  tu.id AS to_user_id, tu.first_name AS to_first, tu.last_name AS to_last
             FROM wallet_transfers t
             JOIN wallets fw ON fw.tenant_id = t.tenant_id AND fw.id = t.from_wallet_id
             JOIN wallets tw ON tw.tenant_id = t.tenant_id AND tw.id = t.to_wallet_id
             JOIN users fu ON fu.tenant_id = t.tenant_id AND fu.id = fw.user_id
             JOIN users tu ON tu.tenant_id = t.tenant_id AND tu.id = tw.user_id"""


def transfer(session: Session, tenant_id: int, transfer_id: int) -> dict[str, Any] | None:
    return session.one(f"{_VIEW} WHERE t.tenant_id = %s AND t.id = %s", (tenant_id, transfer_id))


def transfers_of(session: Session, tenant_id: int, wallet_id: int, after: Position | None,
                 limit: int) -> list[dict[str, Any]]:
    """The wallet's transfers, sent and received, newest first (ix_from / ix_to)."""
    tail, values = NEWEST.page(["t.tenant_id = %s", "(t.from_wallet_id = %s OR t.to_wallet_id = %s)"],
                               [tenant_id, wallet_id, wallet_id], after, limit)
    return session.all(f"{_VIEW} {tail}", values)
