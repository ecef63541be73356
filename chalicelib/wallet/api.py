"""What the wallet area publishes to other areas (issue 11; ARCHITECTURE.md: money belongs to
the wallet ledger).

Money moves in the caller's transaction: pass the UnitOfWork of a `Database.transaction` (it
retries deadlock victims), so the caller's own rows and the wallet's commit together.  Each
movement names a transfer id, chosen by the caller and stable across its retries (e.g.
"payment-812"): the same id again answers the first movement (`replayed`), never a second one.

    credit(uow, tenant_id, user_id, amount, transfer_id=, purpose=, account=CASH, ...)  → Posted
        purposes CREDIT_PURPOSES: card_topup (the payments issue, after iyzico succeeded),
        order_refund, bonus, referral_reward, gift_card
    debit(uow, tenant_id, user_id, amount, transfer_id=, purpose=, account=CASH, ...)   → Posted
        purposes DEBIT_PURPOSES: order_payment, bonus_expiry
    hold(uow, tenant_id, user_id, amount, transfer_id=, purpose=, expires_in=, ...)     → Hold
        (a wallet + card payment: hold the wallet part, then)
    post_hold(uow, tenant_id, hold_id, amount=None)     → Hold   (the card succeeded)
    void_hold(uow, tenant_id, hold_id)                  → Hold   (the card failed)
    transfer(uow, tenant_id, from_user_id, to_user_id, amount, transfer_id=, ...)       → Posted
    balance(session, tenant_id, user_id)                → Balance (cash, bonus: balance, held, available)
    reconcile(session, tenant_id)                       → Reconciliation (.ok, .problems)
    grant_bonus(uow, tenant_id, user_id, amount, transfer_id=, days=, ...)             → Posted
        HPay bonus that expires after `days` and is spent soonest-expiring first: the one credit
        operation of bonus rules (delivered orders now; referral and level rewards later)

An order paid with wallet + card (the payments issue; wallet-only is POST /api/payment/wallet):
    hold_for_order(uow, tenant_id, user_id, order_id, amount, attempt=, tenant_settings=)  → OrderHold
        the wallet part of payment attempt `attempt` held (bonus first, within
        settings.wallet.bonus_max_per_order) until the order's reservation runs out; another
        attempt's pending holds on the order are voided (one wallet part per order at a time)
    capture_for_order(uow, tenant_id, order_id, attempt=)   → Decimal  the card succeeded: the
        attempt's holds posted and the wallet's payment row recorded; then the caller's card row and
        orders.api.mark_paid - unless less than it held came back (holds voided / expired meanwhile)
    release_for_order(uow, tenant_id, order_id, attempt=)   → Decimal  the card failed: holds voided

Turkish IBANs (the system area's settings check the shop's bank accounts with them):
    IBAN_PATTERN (what a client may send), is_valid_iban(text), normalise_iban(text)
The shop's bank accounts (settings.wallet.bank_accounts), as shown for a transfer: the payments
area shows them for an order paid by bank transfer:
    bank_accounts(tenant_settings)  → [{bank, iban, account_holder, branch}] (invalid entries left out)

Errors (the one error shape): InsufficientFunds 409, TransferIdReused 409, HoldNotPending 409,
HoldExpired 409, HoldNotFound 404, SelfTransfer 400.  A malformed call (amount not positive
or with more than two places, an unknown purpose) is a LedgerError: a bug, not a client's input.

Everything else under chalicelib/wallet/ is private.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import accounts, history, ledger
from .accounts import BONUS, CASH
from .errors import (
    HoldExpired,
    HoldNotFound,
    HoldNotPending,
    InsufficientFunds,
    LedgerError,
    SelfTransfer,
    TransferIdReused,
)
from .iban import PATTERN as IBAN_PATTERN
from .iban import is_valid as is_valid_iban
from .iban import normalise as normalise_iban
from .ledger import Entry, Hold, HoldSpec, Line, Posted, Reconciliation

if TYPE_CHECKING:
    from chalicelib.platform.db import Session, UnitOfWork

    from .payments import OrderHold

__all__ = [
    "BONUS", "CASH", "CREDIT_PURPOSES", "DEBIT_PURPOSES", "IBAN_PATTERN", "AccountBalance", "Balance", "Hold",
    "HoldExpired", "HoldNotFound", "HoldNotPending", "InsufficientFunds", "LedgerError", "Posted", "Reconciliation",
    "SelfTransfer", "TransferIdReused", "balance", "bank_accounts", "capture_for_order", "credit", "debit",
    "grant_bonus", "hold", "hold_for_order", "is_valid_iban", "normalise_iban", "post_hold", "reconcile",
    "release_for_order", "transfer", "void_hold",
]

# purpose → the system account on the other side of the customer's line
CREDIT_PURPOSES: dict[str, str] = {
    "card_topup": accounts.CARD_CLEARING,
    "order_refund": accounts.SHOP_REVENUE,
    "bonus": accounts.BONUS_EXPENSE,
    "referral_reward": accounts.BONUS_EXPENSE,
    "gift_card": accounts.GIFT_CARD_LIABILITY,
}
DEBIT_PURPOSES: dict[str, str] = {
    "order_payment": accounts.SHOP_REVENUE,
    "bonus_expiry": accounts.BONUS_EXPENSE,
}


@dataclass(frozen=True)
class AccountBalance:
    balance: Decimal
    held: Decimal  # pending holds that will debit it
    available: Decimal


@dataclass(frozen=True)
class Balance:
    currency: str
    cash: AccountBalance
    bonus: AccountBalance


def credit(uow: UnitOfWork, tenant_id: int, user_id: int, amount: Decimal, *, transfer_id: str, purpose: str,
           account: str = CASH, reference_type: str | None = None, reference_id: str | None = None,
           description: str | None = None, created_by: int | None = None) -> Posted:
    """Credit the user's wallet (opened on first use) from the purpose's system account.  Bonus
    that should expire and be spent soonest-expiring first is a grant: grant_bonus."""
    amount = _amount(amount)
    other = _system(uow, tenant_id, CREDIT_PURPOSES, purpose)
    wallet = accounts.open_wallet(uow, tenant_id, user_id)
    mine = wallet.account(_code(account))
    return ledger.post(uow, tenant_id, Entry(transfer_id, purpose, (Line(mine, amount),
                                                                    Line(other, -amount)),
                                             reference_type, reference_id, description, created_by))


def debit(uow: UnitOfWork, tenant_id: int, user_id: int, amount: Decimal, *, transfer_id: str, purpose: str,
          account: str = CASH, reference_type: str | None = None, reference_id: str | None = None,
          description: str | None = None, created_by: int | None = None) -> Posted:
    """Debit the user's wallet to the purpose's system account; never below zero (409)."""
    amount = _amount(amount)
    other = _system(uow, tenant_id, DEBIT_PURPOSES, purpose)
    mine = _existing(uow, tenant_id, user_id, amount).account(_code(account))
    return ledger.post(uow, tenant_id, Entry(transfer_id, purpose, (Line(mine, -amount),
                                                                    Line(other, amount)),
                                             reference_type, reference_id, description, created_by))


def hold(uow: UnitOfWork, tenant_id: int, user_id: int, amount: Decimal, *, transfer_id: str, purpose: str,
         account: str = CASH, expires_in: dt.timedelta | None = None, reference_type: str | None = None,
         reference_id: str | None = None, description: str | None = None) -> Hold:
    """Hold part of the user's wallet for a debit (DEBIT_PURPOSES) decided later; with
    `expires_in` the sweeper releases it if nobody posts or voids it by then."""
    amount = _amount(amount)
    other = _system(uow, tenant_id, DEBIT_PURPOSES, purpose)
    mine = _existing(uow, tenant_id, user_id, amount).account(_code(account))
    expires_at = None if expires_in is None else dt.datetime.now(dt.UTC).replace(tzinfo=None) + expires_in
    return ledger.reserve(uow, tenant_id, HoldSpec(transfer_id, purpose, mine, other, amount, expires_at,
                                                   reference_type, reference_id, description))


def post_hold(uow: UnitOfWork, tenant_id: int, hold_id: int, amount: Decimal | None = None) -> Hold:
    return ledger.post_hold(uow, tenant_id, hold_id, None if amount is None else _amount(amount))


def void_hold(uow: UnitOfWork, tenant_id: int, hold_id: int) -> Hold:
    return ledger.void_hold(uow, tenant_id, hold_id)


def transfer(uow: UnitOfWork, tenant_id: int, from_user_id: int, to_user_id: int, amount: Decimal, *,
             transfer_id: str, reference_type: str | None = None, reference_id: str | None = None,
             description: str | None = None) -> Posted:
    """Cash from one customer's wallet to another's (same tenant)."""
    amount = _amount(amount)
    if from_user_id == to_user_id:
        raise SelfTransfer()
    source = _existing(uow, tenant_id, from_user_id, amount).cash
    target = accounts.open_wallet(uow, tenant_id, to_user_id).cash
    return ledger.post(uow, tenant_id, Entry(transfer_id, "transfer", (Line(source, -amount),
                                                                       Line(target, amount)),
                                             reference_type, reference_id, description, from_user_id))


def balance(session: Session, tenant_id: int, user_id: int) -> Balance:
    shown = history.balance(session, tenant_id, user_id)
    parts = {code: AccountBalance(shown[code]["balance"], shown[code]["held"], shown[code]["available"])
             for code in (CASH, BONUS)}
    return Balance(shown["currency"], parts[CASH], parts[BONUS])


def hold_for_order(uow: UnitOfWork, tenant_id: int, user_id: int, order_id: int, amount: Decimal, *, attempt: str,
                   tenant_settings: dict[str, Any] | None = None, use_bonus: bool = True) -> OrderHold:
    from . import payments  # lazy: it loads orders.api, which the wallet's own function does not need

    return payments.hold_for_order(uow, tenant_id, user_id, order_id, amount, attempt=attempt,
                                   tenant_settings=tenant_settings, use_bonus=use_bonus)


def capture_for_order(uow: UnitOfWork, tenant_id: int, order_id: int, *, attempt: str) -> Decimal:
    from . import payments

    return payments.capture_for_order(uow, tenant_id, order_id, attempt=attempt)


def release_for_order(uow: UnitOfWork, tenant_id: int, order_id: int, *, attempt: str) -> Decimal:
    from . import payments

    return payments.release_for_order(uow, tenant_id, order_id, attempt=attempt)


def bank_accounts(tenant_settings: dict[str, Any] | None) -> list[dict[str, Any]]:
    from . import rules  # lazy: a caller that only shows accounts needs nothing else of the wallet

    return rules.bank_accounts(tenant_settings)


def reconcile(session: Session, tenant_id: int) -> Reconciliation:
    return ledger.reconcile(session, tenant_id)


def grant_bonus(uow: UnitOfWork, tenant_id: int, user_id: int, amount: Decimal, *, transfer_id: str, days: int,
                order_id: int | None = None, currency: str = "TRY", description: str | None = None) -> Posted:
    """HPay bonus lasting `days` (1-3650), in the caller's transaction; the same transfer id again
    answers the first grant.  The tenant's bonus_expense account must exist before the transaction
    (accounts are created outside it): call it through `Database.transaction` as bonus.earn does."""
    from . import bonus  # lazy: only bonus rules need the grants

    _amount(amount)
    if not 0 < days <= 3650:
        raise LedgerError(f"a bonus lasts 1-3650 days, not {days!r}")
    return bonus.grant(uow, tenant_id, user_id, amount, transfer_id=transfer_id, days=days, order_id=order_id,
                       currency=currency, description=description)


def _amount(amount: Decimal) -> Decimal:
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0 or amount != amount.quantize(
            ledger.CENT):
        raise LedgerError(f"an amount is a positive Decimal with at most two places, not {amount!r}")
    return amount


def _code(account: str) -> str:
    if account not in (CASH, BONUS):
        raise LedgerError(f"a wallet account is {CASH!r} or {BONUS!r}, not {account!r}")
    return account


def _system(session: Session, tenant_id: int, purposes: dict[str, str], purpose: str) -> accounts.Account:
    if purpose not in purposes:
        raise LedgerError(f"unknown purpose {purpose!r}; one of {sorted(purposes)}")
    return accounts.system_account(session, tenant_id, purposes[purpose])


def _existing(session: Session, tenant_id: int, user_id: int, amount: Decimal) -> accounts.Wallet:
    """The user's wallet; a user whose wallet never held anything has nothing to give (409)."""
    wallet = accounts.find_wallet(session, tenant_id, user_id)
    if wallet is None:
        raise InsufficientFunds(Decimal(0), amount)
    return wallet
