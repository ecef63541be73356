"""The ledger's accounts: a customer's wallet (cash and HPay bonus) and the tenant's system accounts.

    customer (one wallet per user)   cash, bonus
    system (one of each per tenant)  shop_revenue         what customers paid for orders from the wallet
                                     card_clearing        card top-ups, until the gateway settles
                                     bank_clearing        bank-transfer top-ups received
                                     gift_card_liability  gift cards issued and not yet redeemed
                                     bonus_expense        HPay bonus granted (promotion expense)
                                     withdrawals_payable  withdrawals approved, owed to the bank account
                                     adjustments          staff's manual corrections (admin finance), with a reason

Balances are credit-normal (migration 0010): a customer's account is what the shop owes them
(never below zero); system accounts may go either way, and all of a tenant's sum to zero.

Accounts are created on first use and never deleted, so their ids are cached in the warm
container: a system account's for ever, a customer's for a while (bounded).  Only what a read
outside a transaction saw is cached: inside one, the rows may be this transaction's own and go
with its rollback.  Creating is INSERT IGNORE on the unique keys, so two first uses at once
make one row.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pymysql

from chalicelib.platform.db import RETRYABLE, Session, UnitOfWork

from . import repository as repo
from .errors import LedgerError

CASH, BONUS = "cash", "bonus"
CUSTOMER_CODES = (CASH, BONUS)
SHOP_REVENUE = "shop_revenue"
CARD_CLEARING = "card_clearing"
BANK_CLEARING = "bank_clearing"
GIFT_CARD_LIABILITY = "gift_card_liability"
BONUS_EXPENSE = "bonus_expense"
WITHDRAWALS_PAYABLE = "withdrawals_payable"
ADJUSTMENTS = "adjustments"
# A tenant that lacks a code added later gets it on its next first use (system_account).
SYSTEM_CODES = (SHOP_REVENUE, CARD_CLEARING, BANK_CLEARING, GIFT_CARD_LIABILITY, BONUS_EXPENSE, WITHDRAWALS_PAYABLE,
                ADJUSTMENTS)

_CACHE_MAX = 10_000


@dataclass(frozen=True)
class Account:
    """An account as the ledger moves it: system accounts are taken last (ledger.py)."""

    id: int
    code: str
    system: bool
    wallet_id: int | None = None


@dataclass(frozen=True)
class Wallet:
    id: int
    user_id: int
    currency: str
    cash: Account
    bonus: Account

    def account(self, code: str) -> Account:
        return self.cash if code == CASH else self.bonus


_lock = threading.Lock()
_system: dict[int, dict[str, Account]] = {}
_wallets: dict[tuple[int, int], Wallet] = {}


def system_account(session: Session, tenant_id: int, code: str, currency: str = "TRY") -> Account:
    """The tenant's system account `code`, created with all the others on first use."""
    if code not in SYSTEM_CODES:
        raise LedgerError(f"unknown system account {code!r}")
    known = _system.get(tenant_id)
    if known is None:
        rows = repo.system_accounts(session, tenant_id)
        if len(rows) < len(SYSTEM_CODES):
            _idempotent(session, lambda: repo.create_system_accounts(session, tenant_id, SYSTEM_CODES, currency))
            rows = repo.system_accounts(session, tenant_id)
        known = {r["code"]: Account(int(r["id"]), r["code"], True) for r in rows}
        if not isinstance(session, UnitOfWork):
            with _lock:
                _system[tenant_id] = known
    return known[code]


def _idempotent(session: Session, insert: Callable[[], None], attempts: int = 4) -> None:
    """Run an INSERT IGNORE that creates accounts on first use.  Two first uses at once can
    deadlock on the unique key's gap locks; outside a transaction the statement alone is retried
    (it is idempotent), inside one the deadlock ends the transaction and Database.transaction
    retries all of it."""
    for attempt in range(attempts):
        try:
            insert()
            return
        except pymysql.err.MySQLError as exc:
            errno = exc.args[0] if exc.args else None
            if isinstance(session, UnitOfWork) or errno not in RETRYABLE or attempt == attempts - 1:
                raise
            time.sleep(0.005 * 2**attempt)


def find_wallet(session: Session, tenant_id: int, user_id: int) -> Wallet | None:
    """The user's wallet, or None when nothing has ever moved through it."""
    cached = _wallets.get((tenant_id, user_id))
    if cached is not None:
        return cached
    rows = repo.wallet_accounts(session, tenant_id, user_id)
    if len(rows) < len(CUSTOMER_CODES):
        return None
    wallet = _wallet(rows)
    if not isinstance(session, UnitOfWork):
        with _lock:
            if len(_wallets) >= _CACHE_MAX:
                _wallets.clear()
            _wallets[(tenant_id, user_id)] = wallet
    return wallet


def open_wallet(session: Session, tenant_id: int, user_id: int, currency: str = "TRY") -> Wallet:
    """The user's wallet, created with its accounts if it has none (idempotent, race-safe)."""
    found = find_wallet(session, tenant_id, user_id)
    if found is not None:
        return found
    _idempotent(session, lambda: repo.create_wallet(session, tenant_id, user_id, currency, CUSTOMER_CODES))
    opened = find_wallet(session, tenant_id, user_id)
    if opened is None:  # the user is not the tenant's: no wallet row could be made
        raise LedgerError(f"user {user_id} has no account in tenant {tenant_id}")
    return opened


def wallet_of(session: Session, tenant_id: int, wallet_id: int) -> Wallet:
    """A wallet by id (a top-up or withdrawal request names it)."""
    rows = repo.wallet_accounts_by_wallet(session, tenant_id, wallet_id)
    return _wallet(rows)


def _wallet(rows: list[dict[str, Any]]) -> Wallet:
    by_code = {r["code"]: r for r in rows}
    first = rows[0]

    def account(code: str) -> Account:
        return Account(int(by_code[code]["account_id"]), code, False, int(first["wallet_id"]))

    return Wallet(int(first["wallet_id"]), int(first["user_id"]), first["currency"], account(CASH), account(BONUS))


def forget() -> None:
    """Drop the cached ids (tests that rebuild the database)."""
    with _lock:
        _system.clear()
        _wallets.clear()
