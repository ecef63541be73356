"""Points from the orders' reward events (the loyalty-events consumer, events.py), and the level's
extra HPay bonus.

    earn     an order delivered: floor(paid_total x settings.loyalty.points_per_try) points, one
             `earn` row per order (ux_order_kind: a redelivered event adds nothing); the member is
             re-evaluated, and the level held then grants its extra_bonus_percent of paid_total as
             HPay bonus through wallet.api.grant_bonus ("level-bonus-<order_id>", lasting
             settings.wallet.bonus_expiry_days or 365), all in one transaction.
    reverse  goods of the order came back (returned / refunded): one `reverse` row of minus the
             points in proportion to returned_total / items_total (all when absent).  A later,
             larger return raises the same row to its new share; the same return again changes
             nothing.  The reversal keeps its order's earning time, so both leave the 365-day
             window together.  The level bonus is NOT taken back: wallet.api offers no way to take
             back one grant by its transfer id (bonus.reverse serves the wallet's own order bonus
             only), and a debit would leave the grant's `remaining` for the expiry sweep to take
             twice; the level moves with the points, which is the lasting effect.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from chalicelib.cart.api import money
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.wallet import api as wallet

from . import repository as repo
from . import rules
from .service import evaluate, utcnow


def level_bonus_id(order_id: int) -> str:
    return f"level-bonus-{order_id}"


def earn(db: Database, tenant_id: int, order_id: int, user_id: int, paid_total: Decimal, currency: str = "TRY",
         now: dt.datetime | None = None) -> int:
    """Returns the points added now (0: none, or added before)."""
    now = now or utcnow()
    settings = repo.tenant_settings(db.session(), tenant_id)
    points = rules.earned_points(paid_total, rules.points_per_try(settings))
    if points <= 0:
        return 0

    def work(uow: UnitOfWork) -> int:
        repo.lock_member(uow, tenant_id, user_id)
        if not repo.add_points(uow, tenant_id, user_id, order_id, repo.EARN, points, now, f"order {order_id}"):
            return 0  # a redelivered event
        tier = evaluate(uow, tenant_id, user_id, now)
        percent = Decimal(rules.benefits_of(tier["benefits"])["extra_bonus_percent"]) if tier else Decimal(0)
        amount = money(paid_total * percent / 100)
        if amount > 0:
            wallet.grant_bonus(uow, tenant_id, user_id, amount, transfer_id=level_bonus_id(order_id),
                               days=rules.bonus_days(settings), order_id=order_id, currency=currency,
                               description=f"Level bonus ({tier['code'] if tier else ''}), order {order_id}")
        uow.commit()
        return points

    result: int = db.transaction(work)
    return result


def reverse(db: Database, tenant_id: int, order_id: int, *, returned: Decimal | None = None,
            of: Decimal | None = None, now: dt.datetime | None = None) -> int:
    """Returns the points taken back now (0: none earned, or this share taken already)."""
    now = now or utcnow()
    found = repo.order_points(db.session(), tenant_id, order_id).get(repo.EARN)
    if found is None:
        return 0
    user_id = int(found["user_id"])

    def work(uow: UnitOfWork) -> int:
        repo.lock_member(uow, tenant_id, user_id)
        rows = repo.order_points(uow, tenant_id, order_id)
        earned, before = rows[repo.EARN], rows.get(repo.REVERSE)
        due = rules.reversed_points(int(earned["points"]), returned, of)
        taken = 0 if before is None else -int(before["points"])
        if due <= taken:
            return 0
        if before is None:
            repo.add_points(uow, tenant_id, user_id, order_id, repo.REVERSE, -due, earned["earned_at"],
                            f"order {order_id} returned")
        else:
            repo.set_points(uow, tenant_id, int(before["id"]), -due)
        evaluate(uow, tenant_id, user_id, now)
        uow.commit()
        return due - taken

    result: int = db.transaction(work)
    return result
