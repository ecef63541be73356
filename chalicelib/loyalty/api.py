"""What the loyalty area publishes to other areas (issue 15, L1-L3).

    benefits(session, tenant_id, user_id)   → Benefits(level_code, free_shipping, extra_bonus_percent,
                                              early_access_minutes)   one primary-key lookup joined to
                                              the tier: cheap enough for a cart view
    level_code(session, tenant_id, user_id) → "gold" | None
    members_at_levels(session, tenant_id, codes, after_user_id, limit) → [user_id, ...]   the members
                                              holding any of the level codes, by user id after
                                              `after_user_id` (campaign audiences walk them)
    QUEUE = "loyalty-events"   the queue whose consumer (events.py) earns and takes back points:
                               orders.api's REWARD_QUEUES sends it the orders' OrderBonusStatus events

A customer without a level (or a shop without tiers) gets NO_BENEFITS: no free shipping, 0 %,
0 minutes.  The campaign engine consumes free shipping and early access; the extra bonus percent
is granted by this area's own loyalty-events consumer on delivery (points.py).

The level rule (rules.py):
- Points: a delivered order earns floor(paid_total x settings.loyalty.points_per_try) points
  (default 1 per lira), once per order; a return or refund takes back the returned share.
- points_12m = the points earned in the last 365 days.  The level is the highest tier whose
  min_points <= points_12m.  Reaching a tier (or qualifying for the one held again) sets
  retained_until = now + 365 days.
- Downgrade: only once retained_until has passed, and then to the tier the rolling points_12m
  reach (possibly none).  Re-evaluated on every change of points and by a daily job over the
  members whose retained_until passed.

Everything else under chalicelib/loyalty/ is private.
"""
from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from . import repository as _repo
from .rules import benefits_of as _benefits_of

if TYPE_CHECKING:
    from chalicelib.platform.db import Session

__all__ = ["NO_BENEFITS", "QUEUE", "Benefits", "benefits", "level_code", "members_at_levels"]

QUEUE = "loyalty-events"


class Benefits(NamedTuple):
    level_code: str | None
    free_shipping: bool
    extra_bonus_percent: Decimal
    early_access_minutes: int


NO_BENEFITS = Benefits(None, False, Decimal(0), 0)


def benefits(session: Session, tenant_id: int, user_id: int) -> Benefits:
    row = _repo.member_benefits(session, tenant_id, user_id)
    if row is None:
        return NO_BENEFITS
    found = _benefits_of(row["benefits"])
    return Benefits(str(row["code"]), bool(found["free_shipping"]), Decimal(found["extra_bonus_percent"]),
                    int(found["early_access_minutes"]))


def level_code(session: Session, tenant_id: int, user_id: int) -> str | None:
    return benefits(session, tenant_id, user_id).level_code


def members_at_levels(session: Session, tenant_id: int, codes: Sequence[str], after_user_id: int,
                      limit: int) -> list[int]:
    return _repo.members_at_levels(session, tenant_id, list(codes), after_user_id, limit)
