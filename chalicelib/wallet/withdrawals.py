"""Withdrawals (W3; AF's withdrawal requests) along diagram 20 (states.py):

    request   (customer) amount within the tenant's limits and the available cash, a Turkish
              IBAN (mod 97; sealed with the platform's field encryption, only the last four
              digits in clear) and the account holder → pending, and the amount held at once
              (hold transfer id "withdrawal-<id>", cash → withdrawals_payable): it can never be
              spent twice, and two requests never exceed the balance.  Idempotency-Key optional.
    approve   (staff) pending → approved: staff paid it out; the hold is posted; audited
    reject    (staff) pending → rejected: the hold is voided, the amount available again; audited

The request, its hold and the key's answer commit together: a refused request (409 not enough
available) leaves nothing behind.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalicelib.platform import crypto, idempotency
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.keyset import Position

from . import accounts, ledger, rules, states
from . import request_repository as repo
from .decisions import decide
from .errors import InsufficientFunds, WithdrawalNotFound
from .iban import masked, normalise
from .ledger import HoldSpec
from .topups import Made

if TYPE_CHECKING:
    from chalicelib.platform.context import Tenant

WITHDRAWAL_REQUEST = idempotency.Operation("wallet_withdrawal_request")
IBAN_FIELD = "wallet_withdrawal.iban"
_ADMIN_ONLY = ("user_id", "wallet_id", "reviewed_by", "journal_id", "hold_id", "paid_at")


def request_withdrawal(db: Database, tenant: Tenant, user_id: int, *, amount: Decimal, iban: str,
                       account_holder: str, note: str | None, header: str | None) -> Made:
    rules.check_amount(tenant.settings, "withdrawal", amount)
    iban = normalise(iban)
    key = idempotency.key(tenant.id, WITHDRAWAL_REQUEST, user_id, header,
                          {"amount": amount, "iban": iban, "account_holder": account_holder, "note": note})
    session = db.session()
    earlier = idempotency.lookup(session, key)  # a replay need not seal the IBAN again
    if earlier is not None:
        return Made(int(earlier.body["id"]), replayed=True)
    wallet = accounts.find_wallet(session, tenant.id, user_id)
    if wallet is None:
        raise InsufficientFunds(Decimal(0), amount)
    payable = accounts.system_account(session, tenant.id, accounts.WITHDRAWALS_PAYABLE, tenant.currency)
    sealed = crypto.seal(iban, IBAN_FIELD)

    def work(uow: UnitOfWork) -> Made:
        earlier = idempotency.claim(uow, key)
        if earlier is not None:
            return Made(int(earlier.body["id"]), replayed=True)
        withdrawal_id = repo.insert_withdrawal(uow, {
            "tenant_id": tenant.id, "wallet_id": wallet.id, "user_id": user_id, "amount": amount,
            "currency": wallet.currency, "iban_enc": sealed, "iban_last4": iban[-4:], "account_holder": account_holder,
            "status": states.PENDING, "user_note": note})
        hold = ledger.reserve(uow, tenant.id, HoldSpec(
            f"withdrawal-{withdrawal_id}", "withdrawal", wallet.cash, payable, amount, None,
            "withdrawal_request", str(withdrawal_id), f"Para çekme {masked(iban[-4:])}"))
        repo.update_withdrawal(uow, tenant.id, withdrawal_id, {"hold_id": hold.id})
        idempotency.record(uow, key, 201, {"id": withdrawal_id})
        uow.commit()
        return Made(withdrawal_id, replayed=False)

    return db.transaction(work)


def approve(db: Database, tenant_id: int, staff_id: int, withdrawal_id: int,
            note: str | None) -> tuple[dict[str, Any], bool]:
    """Staff paid the amount out to the IBAN: the hold becomes the entry that lowers the balance."""

    def move(uow: UnitOfWork, row: dict[str, Any]) -> dict[str, Any]:
        hold = ledger.post_hold(uow, tenant_id, int(row["hold_id"]), created_by=staff_id)
        repo.update_withdrawal(uow, tenant_id, withdrawal_id, {
            "status": states.APPROVED, "admin_note": note, "reviewed_by": staff_id, "journal_id": hold.journal_id,
            "paid_at": dt.datetime.now(dt.UTC).replace(tzinfo=None)}, reviewed=True)
        return {"journal_id": hold.journal_id, "amount": row["amount"], "note": note}

    changed = decide(db, tenant_id, lock=lambda uow: repo.lock_withdrawal(uow, tenant_id, withdrawal_id),
                     missing=WithdrawalNotFound, moves=states.WITHDRAWAL_MOVES, target=states.APPROVED, move=move,
                     audited="wallet_withdrawal.approve")
    return get_withdrawal(db, tenant_id, withdrawal_id, admin=True), changed


def reject(db: Database, tenant_id: int, staff_id: int, withdrawal_id: int, note: str) -> tuple[dict[str, Any], bool]:
    """The payout will not happen: the hold is voided and the amount is available again."""

    def move(uow: UnitOfWork, row: dict[str, Any]) -> dict[str, Any]:
        ledger.void_hold(uow, tenant_id, int(row["hold_id"]))
        repo.update_withdrawal(uow, tenant_id, withdrawal_id, {
            "status": states.REJECTED, "admin_note": note, "reviewed_by": staff_id}, reviewed=True)
        return {"note": note}

    changed = decide(db, tenant_id, lock=lambda uow: repo.lock_withdrawal(uow, tenant_id, withdrawal_id),
                     missing=WithdrawalNotFound, moves=states.WITHDRAWAL_MOVES, target=states.REJECTED, move=move,
                     audited="wallet_withdrawal.reject")
    return get_withdrawal(db, tenant_id, withdrawal_id, admin=True), changed


# -- reads -------------------------------------------------------------------------------------------
def get_withdrawal(db: Database, tenant_id: int, withdrawal_id: int, *, user_id: int | None = None,
                   admin: bool = False) -> dict[str, Any]:
    row = repo.get_withdrawal(db.session(), tenant_id, withdrawal_id)
    if row is None or (user_id is not None and row["user_id"] != user_id):
        raise WithdrawalNotFound()
    return view(row, admin=admin)


def list_withdrawals(db: Database, tenant_id: int, *, user_id: int | None, statuses: Sequence[str] | None,
                     after: Position | None, limit: int, admin: bool) -> dict[str, Any]:
    rows = repo.withdrawals(db.session(), tenant_id, user_id=user_id, statuses=statuses, after=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [view(r, admin=admin) for r in rows],
            "next_cursor": repo.NEWEST.encode_row(rows[-1]) if more else None}


def view(row: dict[str, Any], *, admin: bool) -> dict[str, Any]:
    """Customers see the IBAN masked; staff, who pay it out, see it whole."""
    shown = {"id": row["id"], "amount": row["amount"], "currency": row["currency"], "status": row["status"],
             "iban": masked(row["iban_last4"] or "****"), "account_holder": row["account_holder"],
             "note": row["user_note"], "staff_note": row["admin_note"], "reviewed_at": row["reviewed_at"],
             "created_at": row["created_at"], "updated_at": row["updated_at"]}
    if admin:
        shown.update({key: row[key] for key in _ADMIN_ONLY})
        shown["iban"] = crypto.open_sealed(row["iban_enc"], IBAN_FIELD)
    return shown
