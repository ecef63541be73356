"""SQL of the HPay bonus grants (wallet_bonus_grants, migration 0011) and the one tenant setting
read the bonus consumer needs.  Every statement names the tenant but the sweep's range read
(ix_expiry, global on purpose); writes by id go through the primary key (BY_ID)."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from chalicelib.platform.db import Session, UnitOfWork
from chalicelib.platform.sql import BY_ID, lock_row

from .repository import SIGNED

ACTIVE, EXPIRED, REVERSED = "active", "expired", "reversed"
_COLUMNS = "id, tenant_id, account_id, transfer_id, order_id, amount, remaining, status, expires_at, note"


def tenant_settings(session: Session, tenant_id: int) -> dict[str, Any]:
    """The tenant's settings (settings.wallet holds the bonus rules); {} for none."""
    raw = session.scalar("SELECT settings FROM tenants WHERE id = %s", (tenant_id,))
    if not raw:
        return {}
    found = json.loads(raw) if isinstance(raw, (str, bytes)) else raw
    return found if isinstance(found, dict) else {}


def insert_grant(uow: UnitOfWork, tenant_id: int, account_id: int, transfer_id: str, order_id: int | None,
                 amount: Decimal, expires_at: dt.datetime) -> int:
    return uow.insert("""INSERT INTO wallet_bonus_grants (tenant_id, account_id, transfer_id, order_id, amount,
                                                          remaining, expires_at)
                         VALUES (%s, %s, %s, %s, %s, %s, %s)""",
                      (tenant_id, account_id, transfer_id, order_id, amount, amount, expires_at))


def grant_by_transfer(session: Session, tenant_id: int, transfer_id: str, *, lock: bool = False
                      ) -> dict[str, Any] | None:
    return session.one(f"SELECT {_COLUMNS} FROM wallet_bonus_grants WHERE tenant_id = %s AND transfer_id = %s"
                       f"{' FOR UPDATE' if lock else ''}", (tenant_id, transfer_id))


def lock_grant(uow: UnitOfWork, tenant_id: int, grant_id: int) -> dict[str, Any] | None:
    return lock_row(uow, "wallet_bonus_grants", tenant_id, grant_id, columns=_COLUMNS)


def lock_spendable(uow: UnitOfWork, tenant_id: int, account_id: int) -> list[dict[str, Any]]:
    """The account's active grants with something left, soonest-expiring first, locked."""
    return uow.all(f"""SELECT {_COLUMNS} FROM wallet_bonus_grants
                        WHERE tenant_id = %s AND account_id = %s AND status = 'active' AND remaining > 0
                        ORDER BY expires_at, id FOR UPDATE""", (tenant_id, account_id))


def set_remaining(uow: UnitOfWork, tenant_id: int, grant_id: int, remaining: Decimal, status: str = ACTIVE,
                  note: str | None = None) -> None:
    uow.execute(f"""UPDATE wallet_bonus_grants {BY_ID} SET remaining = %s, status = %s, note = COALESCE(%s, note)
                     WHERE tenant_id = %s AND id = %s""", (remaining, status, note, tenant_id, grant_id))


def reversed_so_far(session: Session, tenant_id: int, account_id: int, order_id: int) -> Decimal:
    """What the order's reversal entries took off the bonus account so far (a positive amount)."""
    found = session.scalar(f"""SELECT COALESCE(-SUM({SIGNED}), 0) FROM wallet_journals j
                                 JOIN wallet_ledger_entries l ON l.tenant_id = j.tenant_id AND l.journal_id = j.id
                                WHERE j.tenant_id = %s AND j.reference_type = 'order' AND j.reference_id = %s
                                  AND j.journal_type = 'bonus_reversal' AND l.account_id = %s""",
                           (tenant_id, str(order_id), account_id))
    return Decimal(found or 0)


def reversals(session: Session, tenant_id: int, order_id: int) -> int:
    """How many reversal entries the order has (the next one's transfer id counts on)."""
    return int(session.scalar("""SELECT COUNT(*) FROM wallet_journals WHERE tenant_id = %s AND reference_type = 'order'
                                    AND reference_id = %s AND journal_type = 'bonus_reversal'""",
                              (tenant_id, str(order_id))) or 0)


def expired_grants(session: Session, limit: int) -> list[dict[str, Any]]:
    """Active grants past their expiry, of every tenant (ix_expiry), soonest first."""
    return session.all("""SELECT tenant_id, id, account_id FROM wallet_bonus_grants
                           WHERE status = 'active' AND expires_at <= UTC_TIMESTAMP(6)
                           ORDER BY expires_at LIMIT %s""", (limit,))


def grants_beyond_balance(session: Session, tenant_id: int, limit: int) -> list[dict[str, Any]]:
    """Bonus accounts whose active grants promise more than the account holds (grants track part
    of the balance: a staff adjustment adds bonus no grant tracks, never the other way round), and
    ended grants with something left."""
    return session.all("""SELECT g.account_id, a.balance, SUM(IF(g.status = 'active', g.remaining, 0)) AS promised,
                                 SUM(g.status <> 'active' AND g.remaining <> 0) AS ended_with_rest
                            FROM wallet_bonus_grants g
                            JOIN wallet_accounts a ON a.tenant_id = g.tenant_id AND a.id = g.account_id
                           WHERE g.tenant_id = %s GROUP BY g.account_id, a.balance
                          HAVING promised > a.balance OR ended_with_rest > 0 LIMIT %s""", (tenant_id, limit))
