"""HPay bonus (issue 11 item 8, W8): earned, spent soonest-expiring first, expired, reversed.

    grant           credit a customer's bonus account (bonus_expense → bonus) and record the grant:
                    amount, remaining, expires_at.  The one credit operation bonus rules call (a
                    delivered order now; referral and level rewards later).
    earn            an order delivered: `settings.wallet.bonus_earn_percent` (default 0: off) of
                    what was paid, entry "bonus-order-<order_id>", once however often it is delivered
    spend           what an order took from the bonus account comes off the grants, the soonest
                    expiring first (payments.py calls it in the payment's transaction)
    expire_grants   the hourly sweep: what remains of a grant past its expiry leaves the account
                    (entry "bonus-expiry-<grant_id>", bonus → bonus_expense)
    reverse         goods of the order it came from returned: the bonus is kept in proportion to
                    the goods kept, the rest taken back off what remains of the grant (entries
                    "bonus-reverse-<order_id>", then "-2", "-3" for later returns); never below
                    zero, the shortfall (spent or expired already) noted on the grant and the entry

Grants only track the bonus account's balance (staff adjustments on it make no grant and never
expire), so the sweep and the reversal take at most what the account has available: a customer
account never goes below zero.  Lock order (ledger.py): a grant changes only under its bonus
account's lock, so the account is locked first (step 4, ahead of the entry's transfer id: the
order the payment takes them in), then the grants, then the entry.
"""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from chalicelib.platform.db import Database, UnitOfWork

from . import accounts, ledger
from . import bonus_repository as grants
from . import repository as repo
from .accounts import BONUS, BONUS_EXPENSE, Account
from .ledger import CENT, Entry, Line, Posted

EARN, EXPIRY, REVERSAL = "bonus", "bonus_expiry", "bonus_reversal"  # the entries' kinds
DEFAULT_EXPIRY_DAYS = 365


# -- rules (settings.wallet) -----------------------------------------------------------------------
def _section(tenant_settings: dict[str, Any] | None) -> dict[str, Any]:
    section = (tenant_settings or {}).get("wallet")
    return section if isinstance(section, dict) else {}


def earn_percent(tenant_settings: dict[str, Any] | None) -> Decimal:
    """`bonus_earn_percent` (0-100); unset or malformed: 0, no bonus earned."""
    raw = _section(tenant_settings).get("bonus_earn_percent")
    try:
        value = Decimal(str(raw)) if raw is not None else Decimal(0)
    except (InvalidOperation, ValueError):
        return Decimal(0)
    return value if value.is_finite() and 0 < value <= 100 else Decimal(0)


def expiry_days(tenant_settings: dict[str, Any] | None) -> int:
    """`bonus_expiry_days`; unset or malformed: 365."""
    raw = _section(tenant_settings).get("bonus_expiry_days")
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and 0 < raw <= 3650 else DEFAULT_EXPIRY_DAYS


# -- earning ---------------------------------------------------------------------------------------
def grant(uow: UnitOfWork, tenant_id: int, user_id: int, amount: Decimal, *, transfer_id: str, days: int,
          order_id: int | None = None, currency: str = "TRY", description: str | None = None) -> Posted:
    """Credit `amount` of HPay bonus lasting `days`, in the caller's transaction.  The same
    transfer id again answers the first grant (`replayed`)."""
    wallet = accounts.open_wallet(uow, tenant_id, user_id, currency)
    expense = accounts.system_account(uow, tenant_id, BONUS_EXPENSE, currency)
    posted = ledger.post(uow, tenant_id, Entry(transfer_id, EARN, (Line(wallet.bonus, amount), Line(expense, -amount)),
                                               None if order_id is None else "order",
                                               None if order_id is None else str(order_id), description))
    if not posted.replayed:
        expires_at = _utcnow() + dt.timedelta(days=days)
        grants.insert_grant(uow, tenant_id, wallet.bonus.id, transfer_id, order_id, amount, expires_at)
    return posted


def earned(paid_total: Decimal, percent: Decimal) -> Decimal:
    """The bonus on `paid_total`, rounded down to the cent."""
    return (paid_total * percent / 100).quantize(CENT, rounding=ROUND_DOWN)


def earn(db: Database, tenant_id: int, order_id: int, user_id: int, paid_total: Decimal,
         currency: str = "TRY") -> Decimal:
    """An order delivered: its bonus credited once (a redelivered event, or a delivery again after
    rejected returns, finds the grant).  Returns what was credited now (0: nothing)."""
    session = db.session()
    rules = grants.tenant_settings(session, tenant_id)
    amount = earned(paid_total, earn_percent(rules))
    if amount <= 0 or grants.grant_by_transfer(session, tenant_id, earn_id(order_id)) is not None:
        return Decimal(0)
    days = expiry_days(rules)
    accounts.system_account(session, tenant_id, BONUS_EXPENSE, currency)  # created outside the grant

    def work(uow: UnitOfWork) -> Decimal:
        posted = grant(uow, tenant_id, user_id, amount, transfer_id=earn_id(order_id), days=days,
                       order_id=order_id, currency=currency, description=f"HPay bonus, order {order_id}")
        uow.commit()
        return Decimal(0) if posted.replayed else amount

    result: Decimal = db.transaction(work)
    return result


def earn_id(order_id: int) -> str:
    return f"bonus-order-{order_id}"


# -- spending --------------------------------------------------------------------------------------
def spend(uow: UnitOfWork, tenant_id: int, account_id: int, amount: Decimal) -> Decimal:
    """`amount` left the bonus account (an order paid): take it off its grants, soonest expiring
    first.  The caller holds the account's lock.  Returns what the grants covered (the rest was
    bonus no grant tracks, e.g. a staff adjustment)."""
    left = amount
    for row in grants.lock_spendable(uow, tenant_id, account_id):
        if left <= 0:
            break
        taken = min(left, row["remaining"])
        grants.set_remaining(uow, tenant_id, int(row["id"]), row["remaining"] - taken)
        left -= taken
    return amount - left


# -- expiry and reversal ---------------------------------------------------------------------------
def expire_grants(db: Database, *, batch: int = 200) -> int:
    """Post an expiry entry for what remains of each grant past its expiry (each in its own
    transaction); returns how many grants ended.  The hourly sweep's work."""
    ended = 0
    for found in grants.expired_grants(db.session(), batch):
        tenant_id, grant_id, account_id = int(found["tenant_id"]), int(found["id"]), int(found["account_id"])
        _expense(db, tenant_id, account_id)

        def work(uow: UnitOfWork, tenant_id: int = tenant_id, grant_id: int = grant_id,
                 account_id: int = account_id) -> bool:
            available = _lock_available(uow, tenant_id, account_id)
            row = grants.lock_grant(uow, tenant_id, grant_id)
            if row is None or row["status"] != grants.ACTIVE or row["expires_at"] > _utcnow():
                return False
            taken = min(row["remaining"], available)
            if taken > 0:
                _take_back(uow, tenant_id, account_id, taken, f"bonus-expiry-{grant_id}", EXPIRY,
                           row, f"HPay bonus expired (grant {grant_id})")
            note = _shortfall(row["remaining"] - taken, row["remaining"], "held or gone when it expired")
            grants.set_remaining(uow, tenant_id, grant_id, Decimal(0), grants.EXPIRED, note)
            uow.commit()
            return True

        ended += int(db.transaction(work))
    return ended


def reverse(db: Database, tenant_id: int, order_id: int, *, returned: Decimal | None = None,
            of: Decimal | None = None) -> Decimal:
    """Goods of the order came back (`returned` of `of` worth; None: all of it): the customer keeps
    the bonus in proportion to what they kept, and what is over comes back off what remains of the
    grant, never more than the account has (the shortfall, spent or expired already, is noted).
    A second, later return takes its own share; the same return again takes nothing more.
    Returns what was taken back now."""
    found = grants.grant_by_transfer(db.session(), tenant_id, earn_id(order_id))
    if found is None or found["status"] != grants.ACTIVE:
        return Decimal(0)
    account_id = int(found["account_id"])
    _expense(db, tenant_id, account_id)

    def work(uow: UnitOfWork) -> Decimal:
        available = _lock_available(uow, tenant_id, account_id)
        row = grants.lock_grant(uow, tenant_id, int(found["id"]))
        if row is None or row["status"] != grants.ACTIVE:
            return Decimal(0)
        keep = kept(row["amount"], returned, of)
        earlier = grants.reversed_so_far(uow, tenant_id, account_id, order_id)
        due = row["amount"] - earlier - keep  # what the customer still holds beyond their share
        if due <= 0:
            return Decimal(0)  # this return was taken back already (a redelivered event)
        taken = min(due, row["remaining"], available)
        note = _shortfall(due - taken, due, "spent or gone before the return")
        if taken > 0:
            count = grants.reversals(uow, tenant_id, order_id)
            transfer_id = earn_id(order_id).replace("bonus-order-", "bonus-reverse-") + (
                f"-{count + 1}" if count else "")
            _take_back(uow, tenant_id, account_id, taken, transfer_id, REVERSAL, row,
                       f"HPay bonus of order {order_id} taken back" + (f"; {note}" if note else ""))
        remaining = row["remaining"] - taken
        ended = keep <= 0 or remaining <= 0 and note is not None
        grants.set_remaining(uow, tenant_id, int(row["id"]), Decimal(0) if ended else remaining,
                             grants.REVERSED if ended else grants.ACTIVE, note)
        uow.commit()
        return taken

    result: Decimal = db.transaction(work)
    return result


def kept(amount: Decimal, returned: Decimal | None, of: Decimal | None) -> Decimal:
    """What of a grant of `amount` the customer keeps when goods worth `returned` of `of` came
    back: in proportion, rounded down to the cent; nothing when all came back (or unknown)."""
    if returned is None or of is None or of <= 0 or returned >= of:
        return Decimal(0)
    return (amount * (of - max(returned, Decimal(0))) / of).quantize(CENT, rounding=ROUND_DOWN)


def _shortfall(short: Decimal, of: Decimal, why: str) -> str | None:
    """The grant's note when less than `of` could be taken back."""
    return f"{short} of {of} {why}" if short > 0 else None


def _lock_available(uow: UnitOfWork, tenant_id: int, account_id: int) -> Decimal:
    """Lock the bonus account (before its grants); what it has available, holds set aside."""
    row = repo.lock_accounts(uow, tenant_id, [account_id])[account_id]
    available: Decimal = row["balance"] - row["pending_debit"]
    return max(available, Decimal(0))


def _take_back(uow: UnitOfWork, tenant_id: int, account_id: int, amount: Decimal, transfer_id: str, kind: str,
               row: dict[str, Any], description: str) -> None:
    (found,) = repo.account_rows(uow, tenant_id, [account_id])
    mine = Account(account_id, BONUS, False, int(found["wallet_id"]))
    expense = accounts.system_account(uow, tenant_id, BONUS_EXPENSE)
    order = None if row["order_id"] is None else str(row["order_id"])
    ledger.post(uow, tenant_id, Entry(transfer_id, kind, (Line(mine, -amount), Line(expense, amount)),
                                      None if order is None else "order", order, description[:255]))


def _expense(db: Database, tenant_id: int, account_id: int) -> None:
    """The tenant's bonus_expense account exists before the transaction (created outside it, as
    payments.pay_order does for shop_revenue)."""
    rows = repo.account_rows(db.session(), tenant_id, [account_id])
    accounts.system_account(db.session(), tenant_id, BONUS_EXPENSE, rows[0]["currency"] if rows else "TRY")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
