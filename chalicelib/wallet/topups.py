"""Bank-transfer top-ups (W2; AF's top-up requests) along diagram 20 (states.py):

    request    (customer) amount within the tenant's limits → requested, with a reference code to
               write on the transfer and the shop's bank accounts; Idempotency-Key optional
    sent       (customer) requested → pending_approval: who sent it, the bank's reference
    approve    (staff)    pending_approval → approved: one entry, transfer id "topup-<id>",
               bank_clearing → the customer's cash; audited
    reject     (staff)    pending_approval → rejected, with a note the customer reads; audited

Card top-ups go through the payments issue's iyzico flow, which calls api.credit(purpose=
"card_topup") when the card succeeded.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pymysql

from chalicelib.platform import idempotency
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.keyset import Position
from chalicelib.platform.text import reference_number

from . import accounts, ledger, rules, states
from . import request_repository as repo
from .decisions import decide
from .errors import BankTransferUnavailable, TopupNotFound
from .ledger import Entry, Line

if TYPE_CHECKING:
    from chalicelib.platform.context import Tenant

TOPUP_REQUEST = idempotency.Operation("wallet_topup_request")
_ADMIN_ONLY = ("user_id", "wallet_id", "reviewed_by", "journal_id")


@dataclass(frozen=True)
class Made:
    id: int
    replayed: bool


def request_topup(db: Database, tenant: Tenant, user_id: int, amount: Decimal, note: str | None,
                  header: str | None) -> Made:
    rules.check_amount(tenant.settings, "topup", amount)
    if not rules.bank_accounts(tenant.settings):
        raise BankTransferUnavailable()
    key = idempotency.key(tenant.id, TOPUP_REQUEST, user_id, header, {"amount": amount, "note": note})
    wallet = accounts.open_wallet(db.session(), tenant.id, user_id, tenant.currency)

    def work(uow: UnitOfWork) -> Made:
        earlier = idempotency.claim(uow, key)
        if earlier is not None:
            return Made(int(earlier.body["id"]), replayed=True)
        fields = {"tenant_id": tenant.id, "wallet_id": wallet.id, "user_id": user_id, "amount": amount,
                  "currency": wallet.currency, "method": "eft", "status": states.REQUESTED, "user_note": note}
        topup_id = _insert(uow, fields)
        idempotency.record(uow, key, 201, {"id": topup_id})
        uow.commit()
        return Made(topup_id, replayed=False)

    return db.transaction(work)


def _insert(uow: UnitOfWork, fields: dict[str, Any]) -> int:
    """With a fresh reference code; the rare collision (ux_reference) draws another."""
    for attempt in range(5):
        fields["reference_code"] = reference_number("W", dt.datetime.now(dt.UTC))
        try:
            return repo.insert_topup(uow, fields)
        except pymysql.err.IntegrityError as exc:
            if "ux_reference" not in str(exc) or attempt == 4:
                raise
    raise AssertionError("unreachable")


def report_sent(db: Database, tenant_id: int, user_id: int, topup_id: int, *, sender_name: str,
                bank_reference: str | None, note: str | None) -> tuple[dict[str, Any], bool]:
    """The customer says the transfer is on its way: requested → pending_approval."""

    def move(uow: UnitOfWork, row: dict[str, Any]) -> dict[str, Any]:
        columns = {"status": states.PENDING_APPROVAL, "sender_name": sender_name, "bank_reference": bank_reference,
                   "sent_at": dt.datetime.now(dt.UTC).replace(tzinfo=None)}
        if note is not None:
            columns["user_note"] = note
        repo.update_topup(uow, tenant_id, topup_id, columns)
        return {}

    changed = decide(db, tenant_id, lock=lambda uow: _own(repo.lock_topup(uow, tenant_id, topup_id), user_id),
                     missing=TopupNotFound, moves=states.TOPUP_MOVES, target=states.PENDING_APPROVAL, move=move,
                     audited=None)
    return get_topup(db, tenant_id, topup_id, user_id=user_id), changed


def _own(row: dict[str, Any] | None, user_id: int) -> dict[str, Any] | None:
    """Another customer's request is indistinguishable from none (404)."""
    return row if row is not None and row["user_id"] == user_id else None


def approve(db: Database, tenant_id: int, staff_id: int, topup_id: int, note: str | None) -> tuple[dict[str, Any], bool]:
    """Staff saw the money on the bank statement: the wallet is credited, once."""
    bank = accounts.system_account(db.session(), tenant_id, accounts.BANK_CLEARING)

    def move(uow: UnitOfWork, row: dict[str, Any]) -> dict[str, Any]:
        wallet = accounts.wallet_of(uow, tenant_id, int(row["wallet_id"]))
        amount: Decimal = row["amount"]
        posted = ledger.post(uow, tenant_id, Entry(
            f"topup-{topup_id}", "bank_topup", (Line(wallet.cash, amount), Line(bank, -amount)),
            "topup_request", str(topup_id), f"Havale / EFT {row['reference_code']}", staff_id))
        repo.update_topup(uow, tenant_id, topup_id, {"status": states.APPROVED, "admin_note": note,
                                                     "reviewed_by": staff_id, "journal_id": posted.journal_id},
                          reviewed=True)
        return {"journal_id": posted.journal_id, "amount": amount, "note": note}

    changed = decide(db, tenant_id, lock=lambda uow: repo.lock_topup(uow, tenant_id, topup_id), missing=TopupNotFound,
                     moves=states.TOPUP_MOVES, target=states.APPROVED, move=move, audited="wallet_topup.approve")
    return get_topup(db, tenant_id, topup_id, admin=True), changed


def reject(db: Database, tenant_id: int, staff_id: int, topup_id: int, note: str) -> tuple[dict[str, Any], bool]:
    def move(uow: UnitOfWork, row: dict[str, Any]) -> dict[str, Any]:
        repo.update_topup(uow, tenant_id, topup_id, {"status": states.REJECTED, "admin_note": note,
                                                     "reviewed_by": staff_id}, reviewed=True)
        return {"note": note}

    changed = decide(db, tenant_id, lock=lambda uow: repo.lock_topup(uow, tenant_id, topup_id), missing=TopupNotFound,
                     moves=states.TOPUP_MOVES, target=states.REJECTED, move=move, audited="wallet_topup.reject")
    return get_topup(db, tenant_id, topup_id, admin=True), changed


# -- reads -------------------------------------------------------------------------------------------
def get_topup(db: Database, tenant_id: int, topup_id: int, *, user_id: int | None = None, admin: bool = False,
              tenant_settings: dict[str, Any] | None = None) -> dict[str, Any]:
    row = repo.get_topup(db.session(), tenant_id, topup_id)
    if row is None or (user_id is not None and row["user_id"] != user_id):
        raise TopupNotFound()
    return view(row, tenant_settings, admin=admin)


def list_topups(db: Database, tenant_id: int, *, user_id: int | None, statuses: Sequence[str] | None,
                after: Position | None, limit: int, admin: bool,
                tenant_settings: dict[str, Any] | None = None) -> dict[str, Any]:
    rows = repo.topups(db.session(), tenant_id, user_id=user_id, statuses=statuses, after=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [view(r, tenant_settings, admin=admin) for r in rows],
            "next_cursor": repo.NEWEST.encode_row(rows[-1]) if more else None}


def view(row: dict[str, Any], tenant_settings: dict[str, Any] | None, *, admin: bool) -> dict[str, Any]:
    shown = {"id": row["id"], "reference_code": row["reference_code"], "amount": row["amount"],
             "currency": row["currency"], "method": row["method"], "status": row["status"],
             "sender_name": row["sender_name"], "bank_reference": row["bank_reference"], "note": row["user_note"],
             "staff_note": row["admin_note"], "can_report_sent": row["status"] == states.REQUESTED,
             "bank_accounts": rules.bank_accounts(tenant_settings) if row["status"] == states.REQUESTED else [],
             "sent_at": row["sent_at"], "reviewed_at": row["reviewed_at"], "created_at": row["created_at"],
             "updated_at": row["updated_at"]}
    if admin:
        shown.update({key: row[key] for key in _ADMIN_ONLY})
    return shown
