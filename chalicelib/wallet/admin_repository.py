"""SQL of admin finance (AF): the tenant's wallets with their balances and owners, and its ledger
lines for the export.  Reads only; the adjustment's writes go through ledger.py.

Every statement names the tenant.  The owner's e-mail and names come from `users` (a declared
read model, platform/tables.py): the list is searched by them and shows them.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from chalicelib.platform.db import Session
from chalicelib.platform.keyset import Keyset, Position
from chalicelib.platform.sql import marks

from .repository import SIGNED

# Newest wallets first: a wallet id grows with its first movement.
WALLETS = Keyset("admin_wallets", ("w.id",), (int,), id_column="w.id")

_WALLET_ROWS = """SELECT w.id, w.user_id, w.currency, w.status, w.created_at, u.email, u.first_name, u.last_name,
                         c.balance AS cash_balance, c.pending_debit AS cash_held,
                         b.balance AS bonus_balance, b.pending_debit AS bonus_held
                    FROM wallets w
                    JOIN wallet_accounts c ON c.tenant_id = w.tenant_id AND c.wallet_id = w.id AND c.code = 'cash'
                    JOIN wallet_accounts b ON b.tenant_id = w.tenant_id AND b.wallet_id = w.id AND b.code = 'bonus'
                    JOIN users u ON u.tenant_id = w.tenant_id AND u.id = w.user_id"""
_LIKE_WILDCARDS = re.compile(r"([\\%_])")


@dataclass(frozen=True)
class WalletFilters:
    statuses: Sequence[str] = ()
    min_balance: Decimal | None = None  # cash and bonus together
    user_id: int | None = None
    email_prefix: str | None = None
    name_words: Sequence[str] = field(default_factory=tuple)


def _starts(text: str) -> str:
    """A LIKE pattern for "starts with `text`", its wildcards taken literally."""
    return _LIKE_WILDCARDS.sub(r"\\\1", text) + "%"


def wallets(session: Session, tenant_id: int, f: WalletFilters, after: Position | None,
            limit: int) -> list[dict[str, Any]]:
    where: list[str] = ["w.tenant_id = %s"]
    params: list[Any] = [tenant_id]
    if f.statuses:
        where.append(f"w.status IN ({marks(f.statuses)})")
        params += f.statuses
    if f.min_balance is not None:
        where.append("c.balance + b.balance >= %s")
        params.append(f.min_balance)
    if f.user_id is not None:
        where.append("w.user_id = %s")
        params.append(f.user_id)
    if f.email_prefix is not None:
        where.append("u.email LIKE %s")
        params.append(_starts(f.email_prefix))
    for word in f.name_words:  # every word starts the first or the last name (users.ix_name)
        where.append("(u.first_name LIKE %s OR u.last_name LIKE %s)")
        params += [_starts(word), _starts(word)]
    tail, values = WALLETS.page(where, params, after, limit)
    return session.all(f"{_WALLET_ROWS} {tail}", values)


def wallet(session: Session, tenant_id: int, wallet_id: int) -> dict[str, Any] | None:
    return session.one(f"{_WALLET_ROWS} WHERE w.tenant_id = %s AND w.id = %s", (tenant_id, wallet_id))


def ledger_lines(session: Session, tenant_id: int, created_from: datetime, created_before: datetime,
                 limit: int) -> list[dict[str, Any]]:
    """The lines of the tenant's entries made in [created_from, created_before), in entry order,
    each with its entry, account and wallet owner (the range reads wallet_journals.ix_created)."""
    return session.all(
        f"""SELECT l.id, l.journal_id, j.transfer_id, j.journal_type, a.code AS account, a.kind, l.wallet_id,
                   w.user_id, l.direction, {SIGNED} AS amount, l.balance_after, l.currency, j.reference_type,
                   j.reference_id, j.description, j.created_by, j.created_at
              FROM wallet_journals j
              JOIN wallet_ledger_entries l ON l.tenant_id = j.tenant_id AND l.journal_id = j.id
              JOIN wallet_accounts a ON a.tenant_id = l.tenant_id AND a.id = l.account_id
              LEFT JOIN wallets w ON w.tenant_id = l.tenant_id AND w.id = l.wallet_id
             WHERE j.tenant_id = %s AND j.created_at >= %s AND j.created_at < %s
             ORDER BY j.id, l.id LIMIT %s""", (tenant_id, created_from, created_before, limit))
