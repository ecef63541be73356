"""Rewarding a referral and taking the reward back (the referral-events consumer, staff's approval).

    qualify   the referee's first delivered order (the first OrderBonusStatus "delivered" while the
              referral is still `registered`): the fraud checks run (checks.fraud_flags); any flag →
              status `rejected` with the flags and the order, no reward; none → both sides get HPay
              bonus: wallet.api.credit to their bonus account, purpose referral_reward (the purpose
              wallet.api keeps for this; settings.referrals referrer_bonus / referee_bonus; transfer
              ids "referral-<id>-referrer" / "-referee"), one referral_earnings row each (credited,
              with the journal id), status `rewarded`.
              Why credit and not grant_bonus: a grant can only be taken back by the wallet's own
              order reversal (bonus.reverse); debiting a granted bonus would leave the grant
              promising money the account no longer holds (wallet.reconcile reports it, and the
              expiry sweep would take it a second time).  So the referral bonus does not expire
              until wallet.api offers a reversal of one grant by its transfer id.
    approve   staff approve a `rejected` referral: the same rewards (flags kept for the record).
              Approving a rewarded one again answers it unchanged.
    reverse   the qualifying order returned or refunded (any share of it): each credited side's
              bonus is debited back (wallet.api.debit, purpose bonus_expiry, account bonus, transfer id
              "referral-<id>-<role>-reverse"), never more than the bonus account has available - a
              customer who spent or lost the bonus meanwhile keeps the shortfall (amount -
              reversed_amount on the earning) rather than going below zero; status `reversed`.

All of it once: the referral row is locked and its status checked in the transaction, and the
wallet's transfer ids make a retried grant or debit answer the first one.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from chalicelib.platform import audit
from chalicelib.platform.db import Database, UnitOfWork, get_db
from chalicelib.wallet import api as wallet

from . import checks, rules
from . import repository as repo
from .errors import ReferralNotFound, ReferralNotRejected
from .service import utcnow

REGISTERED, REWARDED, REJECTED, REVERSED = "registered", "rewarded", "rejected", "reversed"
REFERRER, REFEREE = "referrer", "referee"


def _credit(uow: UnitOfWork, tenant_id: int, ref: dict[str, Any], order_id: int | None, currency: str,
            settings: dict[str, Any], now: dt.datetime) -> None:
    sides = ((REFERRER, int(ref["referrer_user_id"]), rules.referrer_bonus(settings)),
             (REFEREE, int(ref["referred_user_id"]), rules.referee_bonus(settings)))
    for role, user_id, amount in sides:
        if amount <= 0:
            continue
        posted = wallet.credit(uow, tenant_id, user_id, amount, transfer_id=f"referral-{ref['id']}-{role}",
                               purpose="referral_reward", account=wallet.BONUS, reference_type="referral",
                               reference_id=str(ref["id"]), description=f"Referral reward ({role}), referral {ref['id']}")
        repo.insert_earning(uow, tenant_id, int(ref["id"]), user_id, role, order_id, amount, currency,
                            posted.journal_id, now)


def qualify(db: Database, tenant_id: int, referee: int, order_id: int, currency: str = "TRY",
            now: dt.datetime | None = None) -> str | None:
    """The referee's order was delivered; returns the referral's new status (None: nothing to do)."""
    now = now or utcnow()
    session = db.session()
    found = repo.referral_of_referee(session, tenant_id, referee)
    if found is None or found["status"] != REGISTERED:
        return None
    flags = checks.fraud_flags(session, tenant_id, int(found["referrer_user_id"]), referee)
    settings = repo.tenant_settings(session, tenant_id)

    def work(uow: UnitOfWork) -> str | None:
        ref = repo.referral(uow, tenant_id, int(found["id"]), lock=True)
        if ref is None or ref["status"] != REGISTERED:
            return None  # a redelivered event, or another order of the referee got there first
        if flags:
            repo.set_outcome(uow, tenant_id, int(ref["id"]), REJECTED, now, order_id=order_id, flags=flags)
        else:
            _credit(uow, tenant_id, ref, order_id, currency, settings, now)
            repo.set_outcome(uow, tenant_id, int(ref["id"]), REWARDED, now, order_id=order_id, flags=[])
        uow.commit()
        return REJECTED if flags else REWARDED

    result: str | None = db.transaction(work)
    return result


def approve(tenant_id: int, referral_id: int, currency: str, now: dt.datetime | None = None) -> dict[str, Any]:
    """Staff overrule the fraud checks of a rejected referral: both sides rewarded now."""
    now = now or utcnow()
    db = get_db()
    settings = repo.tenant_settings(db.session(), tenant_id)

    def work(uow: UnitOfWork) -> dict[str, Any]:
        ref = repo.referral(uow, tenant_id, referral_id, lock=True)
        if ref is None:
            raise ReferralNotFound()
        if ref["status"] == REWARDED:
            return ref
        if ref["status"] != REJECTED:
            raise ReferralNotRejected(details={"status": ref["status"]})
        order_id = None if ref["order_id"] is None else int(ref["order_id"])
        _credit(uow, tenant_id, ref, order_id, currency, settings, now)
        repo.set_outcome(uow, tenant_id, referral_id, REWARDED, now)
        audit.record(uow, tenant_id, "referrals.approved", entity_type="referral", entity_id=referral_id,
                     before={"status": ref["status"], "fraud_flags": ref["fraud_flags"]}, after={"status": REWARDED})
        row = repo.referral(uow, tenant_id, referral_id)
        uow.commit()
        assert row is not None
        return row

    return db.transaction(work)


def reverse(db: Database, tenant_id: int, referee: int, order_id: int, now: dt.datetime | None = None) -> Decimal:
    """The qualifying order came back; returns what was taken back now (both sides)."""
    now = now or utcnow()
    found = repo.referral_of_referee(db.session(), tenant_id, referee)
    if found is None or found["status"] != REWARDED or found["order_id"] is None or int(found["order_id"]) != order_id:
        return Decimal(0)

    def work(uow: UnitOfWork) -> Decimal:
        ref = repo.referral(uow, tenant_id, int(found["id"]), lock=True)
        if ref is None or ref["status"] != REWARDED:
            return Decimal(0)
        taken_all = Decimal(0)
        for earning in repo.earnings(uow, tenant_id, int(ref["id"]), lock=True):
            if earning["status"] == "credited":
                taken_all += _take_back(uow, tenant_id, int(ref["id"]), earning, now)
        repo.set_reversed(uow, tenant_id, int(ref["id"]), now)
        uow.commit()
        return taken_all

    result: Decimal = db.transaction(work)
    return result


def _take_back(uow: UnitOfWork, tenant_id: int, referral_id: int, earning: dict[str, Any], now: dt.datetime) -> Decimal:
    user_id = int(earning["user_id"])
    available = wallet.balance(uow, tenant_id, user_id).bonus.available
    taken = min(Decimal(earning["amount"]), max(available, Decimal(0)))
    if taken > 0:
        wallet.debit(uow, tenant_id, user_id, taken, transfer_id=f"referral-{referral_id}-{earning['role']}-reverse",
                     purpose="bonus_expiry", account=wallet.BONUS, reference_type="referral",
                     reference_id=str(referral_id), description=f"Referral reward taken back, referral {referral_id}")
    repo.set_earning_reversed(uow, tenant_id, int(earning["id"]), taken, now)
    return taken
