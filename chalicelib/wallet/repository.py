"""SQL of the ledger: accounts and their balance rows, journal entries and their lines, holds,
and the reads that prove the invariants.

Every statement names the tenant.  Writes and locking reads of rows by id go through the
primary key (platform/sql.py BY_ID).  Journal entries and their lines are only ever inserted:
there is no UPDATE or DELETE of wallet_journals or wallet_ledger_entries anywhere (a
correction is a new entry; tests/wallet/test_ledger.py scans for one).
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from chalicelib.platform.db import Session, UnitOfWork
from chalicelib.platform.keyset import Keyset, Position
from chalicelib.platform.sql import BY_ID, lock_row, lock_rows, marks

# A line's signed amount, credit-normal: what it adds to its account's balance.
SIGNED = "IF(l.direction = 'credit', l.amount, -l.amount)"


# -- accounts ------------------------------------------------------------------------------------
def system_accounts(session: Session, tenant_id: int) -> list[dict[str, Any]]:
    return session.all("SELECT id, code FROM wallet_accounts WHERE tenant_id = %s AND system_code IS NOT NULL",
                       (tenant_id,))


def create_system_accounts(session: Session, tenant_id: int, codes: Sequence[str], currency: str) -> None:
    session.execute(f"""INSERT IGNORE INTO wallet_accounts (tenant_id, wallet_id, code, kind, currency)
                        VALUES {', '.join(["(%s, NULL, %s, 'system', %s)"] * len(codes))}""",
                    [v for code in codes for v in (tenant_id, code, currency)])


_WALLET_ACCOUNTS = """SELECT w.id AS wallet_id, w.user_id, w.currency, a.id AS account_id, a.code
                        FROM wallets w
                        JOIN wallet_accounts a ON a.tenant_id = w.tenant_id AND a.wallet_id = w.id"""


def wallet_accounts(session: Session, tenant_id: int, user_id: int) -> list[dict[str, Any]]:
    return session.all(f"{_WALLET_ACCOUNTS} WHERE w.tenant_id = %s AND w.user_id = %s", (tenant_id, user_id))


def wallet_accounts_by_wallet(session: Session, tenant_id: int, wallet_id: int) -> list[dict[str, Any]]:
    return session.all(f"{_WALLET_ACCOUNTS} WHERE w.tenant_id = %s AND w.id = %s", (tenant_id, wallet_id))


def create_wallet(session: Session, tenant_id: int, user_id: int, currency: str, codes: Sequence[str]) -> None:
    """The wallet row and its accounts; rows that exist already are left alone.  A user that
    does not exist makes no row (IGNORE turns the foreign key error into a warning)."""
    session.execute("INSERT IGNORE INTO wallets (tenant_id, user_id, currency) VALUES (%s, %s, %s)",
                    (tenant_id, user_id, currency))
    wallet_id = session.scalar("SELECT id FROM wallets WHERE tenant_id = %s AND user_id = %s", (tenant_id, user_id))
    if wallet_id is None:
        return
    session.execute(f"""INSERT IGNORE INTO wallet_accounts (tenant_id, wallet_id, code, kind, currency)
                        VALUES {', '.join(["(%s, %s, %s, 'customer', %s)"] * len(codes))}""",
                    [v for code in codes for v in (tenant_id, wallet_id, code, currency)])


def lock_accounts(uow: UnitOfWork, tenant_id: int, account_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The accounts' balance rows, locked FOR UPDATE in id order."""
    rows = lock_rows(uow, "wallet_accounts", tenant_id, account_ids,
                     columns="id, kind, balance, pending_debit, pending_credit")
    return {int(r["id"]): r for r in rows}


def change_account(uow: UnitOfWork, tenant_id: int, account_id: int, balance: Decimal, pending_debit: Decimal,
                   pending_credit: Decimal) -> bool:
    """Add the deltas to one balance row, unless that would take a customer account below zero
    (balance less what pending holds will debit) or a pending amount below zero: False then.
    The version moves on every change, so a matched row always counts as changed."""
    return uow.execute(
        f"""UPDATE wallet_accounts {BY_ID}
               SET balance = balance + %s, pending_debit = pending_debit + %s,
                   pending_credit = pending_credit + %s, version = version + 1
             WHERE tenant_id = %s AND id = %s
               AND (kind = 'system' OR balance + %s - (pending_debit + %s) >= 0)
               AND pending_debit + %s >= 0 AND pending_credit + %s >= 0""",
        (balance, pending_debit, pending_credit, tenant_id, account_id, balance, pending_debit, pending_debit,
         pending_credit)) == 1


def balances(session: Session, tenant_id: int, account_ids: Sequence[int]) -> dict[int, Decimal]:
    ids = sorted(set(account_ids))
    rows = session.all(f"SELECT id, balance FROM wallet_accounts WHERE tenant_id = %s AND id IN ({marks(ids)})",
                       (tenant_id, *ids))
    return {int(r["id"]): r["balance"] for r in rows}


def account_rows(session: Session, tenant_id: int, account_ids: Sequence[int]) -> list[dict[str, Any]]:
    ids = sorted(set(account_ids))
    if not ids:
        return []
    return session.all(f"""SELECT id, code, kind, wallet_id, currency, balance, pending_debit, pending_credit, version
                             FROM wallet_accounts WHERE tenant_id = %s AND id IN ({marks(ids)}) ORDER BY id""",
                       (tenant_id, *ids))


# -- journal entries and lines ---------------------------------------------------------------------
def insert_journal(uow: UnitOfWork, tenant_id: int, transfer_id: str, kind: str, reference_type: str | None,
                   reference_id: str | None, description: str | None, created_by: int | None) -> int:
    """Raises IntegrityError 1062 (ux_transfer) when the transfer id has an entry already."""
    return uow.insert("""INSERT INTO wallet_journals (tenant_id, transfer_id, journal_type, reference_type,
                                                      reference_id, description, created_by)
                         VALUES (%s, %s, %s, %s, %s, %s, %s)""",
                      (tenant_id, transfer_id, kind, reference_type, reference_id, description, created_by))


def journal_by_transfer(session: Session, tenant_id: int, transfer_id: str) -> dict[str, Any] | None:
    return session.one("SELECT id, journal_type FROM wallet_journals WHERE tenant_id = %s AND transfer_id = %s",
                       (tenant_id, transfer_id))


def signed_lines(session: Session, tenant_id: int, journal_id: int) -> list[tuple[int, Decimal]]:
    rows = session.all(f"""SELECT l.account_id, {SIGNED} AS amount FROM wallet_ledger_entries l
                            WHERE l.tenant_id = %s AND l.journal_id = %s ORDER BY l.id""", (tenant_id, journal_id))
    return [(int(r["account_id"]), r["amount"]) for r in rows]


def insert_lines(uow: UnitOfWork, rows: list[tuple[Any, ...]]) -> None:
    """rows: (tenant_id, journal_id, account_id, wallet_id, direction, amount, balance_after,
    reference_type, reference_id)."""
    uow.executemany("""INSERT INTO wallet_ledger_entries (tenant_id, journal_id, account_id, wallet_id, direction,
                                                          amount, balance_after, reference_type, reference_id)
                       VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""", rows)


# -- holds -----------------------------------------------------------------------------------------
HOLD_COLUMNS = ("id, transfer_id, debit_account_id, credit_account_id, amount, status, journal_type, posted_amount, "
                "journal_id, reference_type, reference_id, description, expires_at, resolved_at, created_at")


def insert_hold(uow: UnitOfWork, fields: dict[str, Any]) -> int:
    return uow.insert(f"INSERT INTO wallet_holds ({', '.join(fields)}) VALUES ({marks(list(fields))})",
                      list(fields.values()))


def hold_by_transfer(session: Session, tenant_id: int, transfer_id: str) -> dict[str, Any] | None:
    return session.one(f"SELECT {HOLD_COLUMNS} FROM wallet_holds WHERE tenant_id = %s AND transfer_id = %s",
                       (tenant_id, transfer_id))


def pending_holds_like(uow: UnitOfWork, tenant_id: int, prefix: str) -> list[dict[str, Any]]:
    """Pending holds whose transfer id starts with `prefix` (a range of ux_transfer), locked."""
    return uow.all(f"""SELECT {HOLD_COLUMNS} FROM wallet_holds WHERE tenant_id = %s AND transfer_id LIKE %s
                         AND status = 'pending' ORDER BY id FOR UPDATE""",
                   (tenant_id, prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"))


def lock_hold(uow: UnitOfWork, tenant_id: int, hold_id: int) -> dict[str, Any] | None:
    return lock_row(uow, "wallet_holds", tenant_id, hold_id, columns=HOLD_COLUMNS)


def get_hold(session: Session, tenant_id: int, hold_id: int) -> dict[str, Any] | None:
    return lock_row(session, "wallet_holds", tenant_id, hold_id, columns=HOLD_COLUMNS, lock=False)


def resolve_hold(uow: UnitOfWork, tenant_id: int, hold_id: int, status: str, posted_amount: Decimal | None,
                 journal_id: int | None) -> None:
    uow.execute(f"""UPDATE wallet_holds {BY_ID} SET status = %s, posted_amount = %s, journal_id = %s,
                           resolved_at = UTC_TIMESTAMP(6)
                     WHERE tenant_id = %s AND id = %s""", (status, posted_amount, journal_id, tenant_id, hold_id))


def expired_holds(session: Session, limit: int) -> list[dict[str, Any]]:
    """Pending holds past their expiry, of every tenant (ix_expiry), soonest first."""
    return session.all("""SELECT tenant_id, id FROM wallet_holds
                           WHERE status = 'pending' AND expires_at <= UTC_TIMESTAMP(6)
                           ORDER BY expires_at LIMIT %s""", (limit,))


# -- the invariants (reconcile) --------------------------------------------------------------------
def accounts_against_lines(session: Session, tenant_id: int) -> list[dict[str, Any]]:
    """Every account with its balance row and what its lines and pending holds add up to."""
    return session.all(
        f"""SELECT a.id, a.code, a.kind, a.wallet_id, a.balance, a.pending_debit, a.pending_credit,
                   COALESCE(l.total, 0) AS lines_total, COALESCE(l.n, 0) AS line_count,
                   COALESCE(d.held, 0) AS holds_debit, COALESCE(c.held, 0) AS holds_credit
              FROM wallet_accounts a
              LEFT JOIN (SELECT l.account_id, SUM({SIGNED}) AS total, COUNT(*) AS n FROM wallet_ledger_entries l
                          WHERE l.tenant_id = %s GROUP BY l.account_id) l ON l.account_id = a.id
              LEFT JOIN (SELECT debit_account_id AS account_id, SUM(amount) AS held FROM wallet_holds
                          WHERE tenant_id = %s AND status = 'pending' GROUP BY debit_account_id) d ON d.account_id = a.id
              LEFT JOIN (SELECT credit_account_id AS account_id, SUM(amount) AS held FROM wallet_holds
                          WHERE tenant_id = %s AND status = 'pending' GROUP BY credit_account_id) c ON c.account_id = a.id
             WHERE a.tenant_id = %s ORDER BY a.id""", (tenant_id, tenant_id, tenant_id, tenant_id))


def unbalanced_entries(session: Session, tenant_id: int, limit: int) -> list[dict[str, Any]]:
    """Entries whose lines do not sum to zero, or that have fewer than two lines."""
    return session.all(
        f"""SELECT j.id, j.transfer_id, COALESCE(SUM({SIGNED}), 0) AS total, COUNT(l.id) AS line_count
              FROM wallet_journals j
              LEFT JOIN wallet_ledger_entries l ON l.tenant_id = j.tenant_id AND l.journal_id = j.id
             WHERE j.tenant_id = %s GROUP BY j.id, j.transfer_id
            HAVING total <> 0 OR line_count < 2 LIMIT %s""", (tenant_id, limit))


def broken_running_balances(session: Session, tenant_id: int, limit: int) -> list[dict[str, Any]]:
    """Lines whose balance_after is not the sum of their account's lines up to them (id order:
    lines of an account are inserted under its row lock, so ids follow the account's history)."""
    return session.all(
        f"""SELECT id, account_id, balance_after, running FROM (
                SELECT l.id, l.account_id, l.balance_after,
                       SUM({SIGNED}) OVER (PARTITION BY l.account_id ORDER BY l.id) AS running
                  FROM wallet_ledger_entries l WHERE l.tenant_id = %s) x
             WHERE running <> balance_after LIMIT %s""", (tenant_id, limit))


def totals(session: Session, tenant_id: int) -> dict[str, Any]:
    return session.one(
        f"""SELECT (SELECT COUNT(*) FROM wallet_journals WHERE tenant_id = %s) AS entries,
                   (SELECT COUNT(*) FROM wallet_ledger_entries WHERE tenant_id = %s) AS line_count,
                   (SELECT COALESCE(SUM({SIGNED}), 0) FROM wallet_ledger_entries l WHERE l.tenant_id = %s) AS lines_sum,
                   (SELECT COUNT(*) FROM wallet_holds WHERE tenant_id = %s AND status = 'pending') AS pending_holds""",
        (tenant_id, tenant_id, tenant_id, tenant_id)) or {}


# -- what the customer sees ------------------------------------------------------------------------
# The history, newest first: lines of one wallet in id order, which is each account's order
# (its lines are inserted under its row lock), so the running balances read down the page.
HISTORY = Keyset("wallet_history", ("l.id",), (int,), id_column="l.id")


def wallet_balances(session: Session, tenant_id: int, user_id: int) -> list[dict[str, Any]]:
    return session.all("""SELECT w.id AS wallet_id, w.status, a.currency, a.code, a.balance, a.pending_debit
                            FROM wallets w
                            JOIN wallet_accounts a ON a.tenant_id = w.tenant_id AND a.wallet_id = w.id
                           WHERE w.tenant_id = %s AND w.user_id = %s""", (tenant_id, user_id))


def history(session: Session, tenant_id: int, wallet_id: int, *, account_id: int | None, kinds: Sequence[str] | None,
            direction: str | None, created_from: datetime | None, created_before: datetime | None,
            after: Position | None, limit: int) -> list[dict[str, Any]]:
    where: list[str] = ["l.tenant_id = %s", "l.wallet_id = %s"]
    params: list[Any] = [tenant_id, wallet_id]
    if account_id is not None:
        where.append("l.account_id = %s")
        params.append(account_id)
    if kinds:
        where.append(f"j.journal_type IN ({marks(kinds)})")
        params += kinds
    if direction is not None:
        where.append("l.direction = %s")
        params.append(direction)
    if created_from is not None:
        where.append("l.created_at >= %s")
        params.append(created_from)
    if created_before is not None:
        where.append("l.created_at < %s")
        params.append(created_before)
    tail, values = HISTORY.page(where, params, after, limit)
    return session.all(f"""SELECT l.id, l.journal_id, a.code AS account, j.journal_type AS type, l.direction, l.amount,
                                  l.balance_after, l.currency, j.description, j.reference_type, j.reference_id,
                                  l.created_at
                             FROM wallet_ledger_entries l
                             JOIN wallet_accounts a ON a.tenant_id = l.tenant_id AND a.id = l.account_id
                             JOIN wallet_journals j ON j.tenant_id = l.tenant_id AND j.id = l.journal_id
                             {tail}""", values)
