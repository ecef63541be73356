"""The ledger core: TigerBeetle's invariants on MySQL rows.

- Every movement is one journal entry (wallet_journals) whose lines (wallet_ledger_entries)
  sum to zero.  Entries are never changed; a correction is a new entry.
- A transfer id has at most one effect: it is the entry's unique key (ux_transfer).  Posting
  the same transfer id again answers the entry already made (`replayed`), or 409
  transfer_id_reused when the lines differ.
- Each account's balance row (wallet_accounts) changes in the transaction that writes its lines
  and always equals their sum; each line carries the balance after it (the running balance).
- A customer account never goes below zero: its balance, less what pending holds will debit,
  is checked under the row lock, again by the conditional UPDATE, and last by a CHECK.
- Holds (wallet_holds): `reserve` adds to the accounts' pending amounts, `post_hold` turns a
  pending hold into an entry (all of it or less), `void_hold` / the sweeper release it.

Lock order - the one order every wallet transaction takes its locks in, so concurrent ones
queue instead of deadlocking:

    1. the Idempotency-Key row (platform/idempotency.py), if the request has one
    2. the business row the movement is for (a top-up or withdrawal request), then a hold row
    3. the entry's transfer id (inserting the journal row)
    4. customer accounts, by id, locked FOR UPDATE and checked
    5. system accounts, by id, by their UPDATE.  They are the hot rows (every top-up credits
       through bank_clearing), so they come last and are held for the shortest time.
    6. then the inserts that reference them (lines, holds): a row's foreign key check takes a
       shared lock on the account, which, taken before the update's exclusive one, would let
       two transactions deadlock upgrading it.

Deadlock victims and lock-wait timeouts are retried by `Database.transaction` (platform/db.py),
which every caller runs its work in, so a client never sees one.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pymysql

from chalicelib.platform.db import Database, Session, UnitOfWork

from . import bonus_repository
from . import repository as repo
from .accounts import Account
from .errors import HoldExpired, HoldNotFound, HoldNotPending, InsufficientFunds, LedgerError, TransferIdReused

CENT = Decimal("0.01")
DUPLICATE_KEY = 1062
TRANSFER_ID_MAX = 128

PENDING, POSTED, VOIDED, EXPIRED = "pending", "posted", "voided", "expired"


@dataclass(frozen=True)
class Line:
    account: Account
    amount: Decimal  # signed, credit-normal: + credits the account, - debits it


@dataclass(frozen=True)
class Entry:
    transfer_id: str
    kind: str  # wallet_journals.journal_type: what the movement was for
    lines: tuple[Line, ...]
    reference_type: str | None = None
    reference_id: str | None = None
    description: str | None = None
    created_by: int | None = None


@dataclass(frozen=True)
class Posted:
    journal_id: int
    replayed: bool


@dataclass(frozen=True)
class HoldSpec:
    transfer_id: str
    kind: str  # the kind of the entry a post makes
    debit: Account  # a customer account: whose money is held
    credit: Account
    amount: Decimal
    expires_at: dt.datetime | None = None  # naive UTC; None: until someone posts or voids it
    reference_type: str | None = None
    reference_id: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Hold:
    id: int
    status: str
    amount: Decimal
    posted_amount: Decimal | None
    journal_id: int | None
    replayed: bool = False


# -- posting ---------------------------------------------------------------------------------------
def post(uow: UnitOfWork, tenant_id: int, entry: Entry) -> Posted:
    """Post `entry` in the caller's transaction (steps 3-6 of the lock order)."""
    _check_entry(entry)
    try:
        journal_id = repo.insert_journal(uow, tenant_id, entry.transfer_id, entry.kind, entry.reference_type,
                                         entry.reference_id, entry.description, entry.created_by)
    except pymysql.err.IntegrityError as exc:
        if not exc.args or exc.args[0] != DUPLICATE_KEY:
            raise
        return _replay(uow, tenant_id, entry)
    deltas: dict[Account, Decimal] = defaultdict(Decimal)
    for line in entry.lines:
        deltas[line.account] += line.amount
    after = _apply(uow, tenant_id, {account: (delta, Decimal(0), Decimal(0)) for account, delta in deltas.items()})
    _insert_lines(uow, tenant_id, journal_id, entry, after, deltas)
    return Posted(journal_id, replayed=False)


def _check_entry(entry: Entry) -> None:
    _check_transfer_id(entry.transfer_id)
    if len(entry.lines) < 2:
        raise LedgerError("an entry has at least two lines")
    for line in entry.lines:
        if line.amount == 0 or line.amount.quantize(CENT) != line.amount:
            raise LedgerError(f"line amounts are non-zero with at most two places: {line.amount}")
    if sum((line.amount for line in entry.lines), Decimal(0)) != 0:
        raise LedgerError(f"the lines of {entry.transfer_id!r} do not sum to zero")


def _check_transfer_id(transfer_id: str) -> None:
    """1-128 printable ASCII characters (the columns compare them byte for byte)."""
    if not transfer_id or len(transfer_id) > TRANSFER_ID_MAX or not (transfer_id.isascii()
                                                                     and transfer_id.isprintable()):
        raise LedgerError(f"a transfer id is 1-{TRANSFER_ID_MAX} printable ASCII characters, not {transfer_id!r}")


def _replay(session: Session, tenant_id: int, entry: Entry) -> Posted:
    """The transfer id has an entry (committed: the insert waited for it): the same lines are a
    retry, anything else is another movement under a used id."""
    found = repo.journal_by_transfer(session, tenant_id, entry.transfer_id)
    assert found is not None  # the unique key said so, and entries are never deleted
    made = sorted(repo.signed_lines(session, tenant_id, int(found["id"])))
    asked = sorted((line.account.id, line.amount) for line in entry.lines)
    if found["journal_type"] != entry.kind or made != asked:
        raise TransferIdReused(entry.transfer_id)
    return Posted(int(found["id"]), replayed=True)


Change = tuple[Decimal, Decimal, Decimal]  # balance, pending debit, pending credit


def _apply(uow: UnitOfWork, tenant_id: int, changes: dict[Account, Change],
           locked: dict[int, dict[str, Any]] | None = None) -> dict[int, Decimal]:
    """Apply the changes in the lock order (customer accounts by id, then system accounts by
    id); returns each account's balance after them.  InsufficientFunds when a customer account
    would go below zero.  `locked`: the customer rows when the caller has locked them already."""
    customers = sorted((a for a in changes if not a.system), key=lambda a: a.id)
    systems = sorted((a for a in changes if a.system), key=lambda a: a.id)
    after: dict[int, Decimal] = {}
    if locked is None:
        locked = repo.lock_accounts(uow, tenant_id, [a.id for a in customers])
    for account in customers:
        row = locked.get(account.id)
        if row is None:
            raise LedgerError(f"account {account.id} is not the tenant's")
        balance, pending_debit, pending_credit = changes[account]
        available = row["balance"] - row["pending_debit"]
        if row["kind"] == "customer" and available + balance - pending_debit < 0:
            raise InsufficientFunds(max(available, Decimal(0)), -(balance - pending_debit))
        after[account.id] = row["balance"] + balance
    for account in [*customers, *systems]:
        if not repo.change_account(uow, tenant_id, account.id, *changes[account]):
            # Only a system-flagged account of the wrong kind, or a pending amount that the
            # holds table says exists but the row does not: never a client's doing.
            raise InsufficientFunds(Decimal(0), -changes[account][0])
    if systems:
        after.update(repo.balances(uow, tenant_id, [a.id for a in systems]))
    return after


def _insert_lines(uow: UnitOfWork, tenant_id: int, journal_id: int, entry: Entry, after: dict[int, Decimal],
                  deltas: dict[Account, Decimal]) -> None:
    """The entry's lines, each with its account's running balance (the balance before the
    entry plus the lines so far)."""
    running = {account.id: after[account.id] - delta for account, delta in deltas.items()}
    rows = []
    for line in entry.lines:
        running[line.account.id] += line.amount
        rows.append((tenant_id, journal_id, line.account.id, line.account.wallet_id,
                     "credit" if line.amount > 0 else "debit", abs(line.amount), running[line.account.id],
                     entry.reference_type, entry.reference_id))
    repo.insert_lines(uow, rows)


# -- holds -----------------------------------------------------------------------------------------
def reserve(uow: UnitOfWork, tenant_id: int, spec: HoldSpec) -> Hold:
    """Hold `spec.amount` of the debit account for a later post: it stops being available at
    once.  The same transfer id again answers the hold already made (`replayed`)."""
    if spec.amount <= 0 or spec.amount.quantize(CENT) != spec.amount or spec.debit.system:
        raise LedgerError("a hold is a positive amount with at most two places, of a customer account")
    if spec.debit == spec.credit:
        raise LedgerError("a hold moves between two accounts")
    _check_transfer_id(spec.transfer_id)
    # Customer accounts first (step 4): a retry with this transfer id queues behind this
    # transaction on the debit account, then finds the hold below.
    locked = repo.lock_accounts(uow, tenant_id, [a.id for a in (spec.debit, spec.credit) if not a.system])
    found = repo.hold_by_transfer(uow, tenant_id, spec.transfer_id)
    if found is not None:
        if (int(found["debit_account_id"]), int(found["credit_account_id"]), found["amount"], found["journal_type"]) != (
                spec.debit.id, spec.credit.id, spec.amount, spec.kind):
            raise TransferIdReused(spec.transfer_id)
        return _hold(found, replayed=True)
    _apply(uow, tenant_id, {spec.debit: (Decimal(0), spec.amount, Decimal(0)),
                            spec.credit: (Decimal(0), Decimal(0), spec.amount)}, locked)
    hold_id = repo.insert_hold(uow, {
        "tenant_id": tenant_id, "transfer_id": spec.transfer_id, "debit_account_id": spec.debit.id,
        "credit_account_id": spec.credit.id, "amount": spec.amount, "journal_type": spec.kind,
        "reference_type": spec.reference_type, "reference_id": spec.reference_id, "description": spec.description,
        "expires_at": spec.expires_at})
    return Hold(hold_id, PENDING, spec.amount, None, None)


def post_hold(uow: UnitOfWork, tenant_id: int, hold_id: int, amount: Decimal | None = None,
              created_by: int | None = None) -> Hold:
    """Post a pending hold: an entry moving `amount` (default: all of it; less releases the
    rest) under the hold's transfer id.  Posting a posted hold answers it (`replayed`); a
    voided or expired one is 409 hold_not_pending, a pending one past its expiry 409 hold_expired."""
    row = _lock(uow, tenant_id, hold_id)
    if row["status"] == POSTED:
        return _hold(row, replayed=True)
    _check_pending(row)
    held: Decimal = row["amount"]
    amount = held if amount is None else amount
    if not 0 < amount <= held or amount.quantize(CENT) != amount:
        raise LedgerError(f"a hold of {held} posts more than 0 and at most that, not {amount}")
    debit, credit = _accounts_of(uow, tenant_id, row)
    entry = Entry(row["transfer_id"], row["journal_type"], (Line(debit, -amount), Line(credit, amount)),
                  row["reference_type"], row["reference_id"], row["description"], created_by)
    try:
        journal_id = repo.insert_journal(uow, tenant_id, entry.transfer_id, entry.kind, entry.reference_type,
                                         entry.reference_id, entry.description, created_by)
    except pymysql.err.IntegrityError as exc:  # an entry posted directly under the hold's id
        if exc.args and exc.args[0] == DUPLICATE_KEY:
            raise TransferIdReused(entry.transfer_id) from None
        raise
    after = _apply(uow, tenant_id, {debit: (-amount, -held, Decimal(0)), credit: (amount, Decimal(0), -held)})
    _insert_lines(uow, tenant_id, journal_id, entry, after, {debit: -amount, credit: amount})
    repo.resolve_hold(uow, tenant_id, hold_id, POSTED, amount, journal_id)
    return Hold(hold_id, POSTED, held, amount, journal_id)


def void_hold(uow: UnitOfWork, tenant_id: int, hold_id: int) -> Hold:
    """Release a pending hold.  Voiding a voided (or expired) hold answers it (`replayed`); a
    posted one is 409 hold_not_pending."""
    row = _lock(uow, tenant_id, hold_id)
    if row["status"] in (VOIDED, EXPIRED):
        return _hold(row, replayed=True)
    if row["status"] != PENDING:
        raise HoldNotPending(row["status"])
    return _release(uow, tenant_id, row, VOIDED)


def _release(uow: UnitOfWork, tenant_id: int, row: dict[str, Any], status: str) -> Hold:
    debit, credit = _accounts_of(uow, tenant_id, row)
    _apply(uow, tenant_id, {debit: (Decimal(0), -row["amount"], Decimal(0)),
                            credit: (Decimal(0), Decimal(0), -row["amount"])})
    repo.resolve_hold(uow, tenant_id, int(row["id"]), status, None, None)
    return Hold(int(row["id"]), status, row["amount"], None, None)


def _lock(uow: UnitOfWork, tenant_id: int, hold_id: int) -> dict[str, Any]:
    """The hold row, locked (step 2 of the lock order)."""
    row = repo.lock_hold(uow, tenant_id, hold_id)
    if row is None:
        raise HoldNotFound()
    return row


def _check_pending(row: dict[str, Any]) -> None:
    if row["status"] != PENDING:
        raise HoldNotPending(row["status"])
    if _expired(row):
        raise HoldExpired()


def _expired(row: dict[str, Any]) -> bool:
    return row["expires_at"] is not None and row["expires_at"] <= _utcnow()


def _accounts_of(session: Session, tenant_id: int, row: dict[str, Any]) -> tuple[Account, Account]:
    """The hold's two accounts (kind, code and wallet never change: an unlocked read will do)."""
    ids = (int(row["debit_account_id"]), int(row["credit_account_id"]))
    found = {int(r["id"]): r for r in repo.account_rows(session, tenant_id, ids)}
    debit, credit = (Account(i, found[i]["code"], found[i]["kind"] == "system",
                             None if found[i]["wallet_id"] is None else int(found[i]["wallet_id"])) for i in ids)
    return debit, credit


def _hold(row: dict[str, Any], *, replayed: bool) -> Hold:
    return Hold(int(row["id"]), row["status"], row["amount"], row["posted_amount"],
                None if row["journal_id"] is None else int(row["journal_id"]), replayed)


def expire_holds(db: Database, *, batch: int = 200) -> int:
    """Release the pending holds past their expiry (status expired), each in its own
    transaction; a hold posted or voided meanwhile is left alone.  The sweeper's work."""
    expired = 0
    for found in repo.expired_holds(db.session(), batch):
        tenant_id, hold_id = int(found["tenant_id"]), int(found["id"])

        def work(uow: UnitOfWork, tenant_id: int = tenant_id, hold_id: int = hold_id) -> bool:
            row = _lock(uow, tenant_id, hold_id)
            if row["status"] != PENDING or not _expired(row):
                return False
            _release(uow, tenant_id, row, EXPIRED)
            uow.commit()
            return True

        expired += int(db.transaction(work))
    return expired


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


# -- reconcile -------------------------------------------------------------------------------------
@dataclass
class Reconciliation:
    """What reconcile found; `ok` when every invariant holds."""

    accounts: int = 0
    entries: int = 0
    lines: int = 0
    pending_holds: int = 0
    customer_total: Decimal = Decimal(0)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def reconcile(session: Session, tenant_id: int, *, limit: int = 50) -> Reconciliation:
    """Prove the tenant's ledger: every balance row equals the sum of its lines and its pending
    amounts the sum of its pending holds; no customer account below zero (holds included);
    every entry's lines sum to zero; all lines of the tenant sum to zero; every line's running
    balance is its account's sum up to it; no bonus account's grants promise more than it holds.  Read-only; `limit` problems of each kind at most."""
    report = Reconciliation()
    for a in repo.accounts_against_lines(session, tenant_id):
        report.accounts += 1
        name = f"account {a['id']} ({a['code']}{'' if a['wallet_id'] is None else ', wallet ' + str(a['wallet_id'])})"
        if a["balance"] != a["lines_total"]:
            report.problems.append(f"{name}: balance {a['balance']} but its lines sum to {a['lines_total']}")
        if a["pending_debit"] != a["holds_debit"] or a["pending_credit"] != a["holds_credit"]:
            report.problems.append(f"{name}: pending {a['pending_debit']}/{a['pending_credit']} but its pending "
                                   f"holds are {a['holds_debit']}/{a['holds_credit']}")
        if a["kind"] == "customer":
            report.customer_total += a["balance"]
            if a["balance"] - a["pending_debit"] < 0:
                report.problems.append(f"{name}: below zero ({a['balance']} less {a['pending_debit']} held)")
    for e in repo.unbalanced_entries(session, tenant_id, limit):
        report.problems.append(f"entry {e['id']} ({e['transfer_id']}): {e['line_count']} lines summing to {e['total']}")
    for line in repo.broken_running_balances(session, tenant_id, limit):
        report.problems.append(f"line {line['id']} of account {line['account_id']}: balance_after "
                               f"{line['balance_after']} but the running sum is {line['running']}")
    for g in bonus_repository.grants_beyond_balance(session, tenant_id, limit):
        report.problems.append(f"bonus account {g['account_id']}: grants promise {g['promised']} but it holds "
                               f"{g['balance']}" + (f"; {g['ended_with_rest']} ended grants keep a rest"
                                                    if g["ended_with_rest"] else ""))
    totals = repo.totals(session, tenant_id)
    report.entries, report.lines = int(totals["entries"]), int(totals["line_count"])
    report.pending_holds = int(totals["pending_holds"])
    if totals["lines_sum"] != 0:
        report.problems.append(f"the tenant's lines sum to {totals['lines_sum']}, not zero")
    return report
