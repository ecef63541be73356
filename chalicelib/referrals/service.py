"""The referral rules a customer and staff meet: the share code, the claim, the history.

Code: 8 characters of an alphabet without look-alikes (no 0/O, 1/I, 2/Z, 5/S, 8/B), made on the
customer's first ask; unique per tenant (ux_code), a collision simply draws again.

Claim (the referee attaches to a referrer, once): refused with 404 referral_code_not_found (an
unknown code), 409 referral_self, referral_already_referred (linked to another code; the same code
again answers the existing referral: idempotent by nature), referral_has_orders (any order placed
already), referral_claim_expired (account older than settings.referrals.claim_days, default 30).
Failed claims are counted per customer (FAILED_CLAIMS in platform/ratelimit.py's counter): past the
limit, a failure answers 429, so codes cannot be guessed in bulk.

The reward and its reversal are in rewards.py (the referral-events consumer and staff's approval).
"""
from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from chalicelib.platform import ratelimit, tenancy
from chalicelib.platform.db import UnitOfWork, get_db
from chalicelib.platform.errors import ApiError, TooManyRequests
from chalicelib.platform.keyset import Position

from . import checks, rules
from . import repository as repo
from .errors import AlreadyReferred, ClaimExpired, RefereeHasOrders, ReferralCodeNotFound, SelfReferral

ALPHABET = "ACDEFHJKLMNPRTUVWXY34679"
CODE_LENGTH, CODE_ATTEMPTS = 8, 8
FAILED_CLAIMS = (5, 3600)  # failed claims per customer and hour before a failure answers 429
REFUSED = (ReferralCodeNotFound, SelfReferral, AlreadyReferred, RefereeHasOrders, ClaimExpired)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# -- the share code --------------------------------------------------------------------------------
def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def my_code(tenant_id: int, user_id: int, domain: str | None) -> dict[str, str]:
    session = get_db().session()
    code = repo.code_of(session, tenant_id, user_id)
    for _ in range(CODE_ATTEMPTS):
        if code is not None:
            break
        repo.insert_code(session, tenant_id, user_id, new_code())  # autocommit; IGNORE: made meanwhile or taken
        code = repo.code_of(session, tenant_id, user_id)
    if code is None:
        raise RuntimeError("no free referral code after several draws")
    return {"code": code, "share_url": tenancy.shop_link(domain, f"/r/{code}")}


# -- the claim ---------------------------------------------------------------------------------------
def claim(tenant_id: int, user_id: int, code: str, settings: dict[str, Any],
          now: dt.datetime | None = None) -> tuple[dict[str, Any], bool]:
    """(the referral, created now?).  A refusal counts against the customer's failed claims."""
    try:
        return _claim(tenant_id, user_id, code.strip().upper(), settings, now or utcnow())
    except REFUSED as exc:
        _count_failure(tenant_id, user_id, exc)
        raise


def _count_failure(tenant_id: int, user_id: int, refused: ApiError) -> None:
    limit, window = FAILED_CLAIMS
    decision = ratelimit.check([ratelimit.Limit(f"{tenant_id}:referral-claim-failed:u{user_id}", limit, window)])
    if not decision.allowed:
        raise TooManyRequests(headers={"Retry-After": str(decision.retry_after)},
                              params={"retry_after": decision.retry_after},
                              details={"retry_after": decision.retry_after, "limit": limit,
                                       "window_seconds": window}) from refused


def _claim(tenant_id: int, user_id: int, code: str, settings: dict[str, Any],
           now: dt.datetime) -> tuple[dict[str, Any], bool]:
    session = get_db().session()
    referrer = repo.owner_of_code(session, tenant_id, code)
    if referrer is None:
        raise ReferralCodeNotFound()
    if referrer == user_id:
        raise SelfReferral()
    existing = repo.referral_of_referee(session, tenant_id, user_id)
    if existing is not None:
        return _same(existing, referrer), False
    if checks.has_orders(session, tenant_id, user_id):
        raise RefereeHasOrders()
    days = rules.claim_days(settings)
    registered = checks.registered_at(session, tenant_id, user_id)
    if registered is None or registered < now - dt.timedelta(days=days):
        raise ClaimExpired(params={"days": days}, details={"claim_days": days})

    def work(uow: UnitOfWork) -> tuple[dict[str, Any], bool]:
        created = repo.insert_referral(uow, tenant_id, referrer, user_id, code)
        row = repo.referral_of_referee(uow, tenant_id, user_id)
        uow.commit()
        assert row is not None
        return (row, True) if created else (_same(row, referrer), False)

    return get_db().transaction(work)


def _same(existing: dict[str, Any], referrer: int) -> dict[str, Any]:
    if int(existing["referrer_user_id"]) != referrer:
        raise AlreadyReferred()
    return existing


# -- history -----------------------------------------------------------------------------------------
def history(tenant_id: int, user_id: int, settings: dict[str, Any], currency: str, position: Position | None,
            limit: int) -> dict[str, Any]:
    """The customer's referees (masked names), newest first, and what they earned."""
    session = get_db().reader()
    rows = repo.referrer_page(session, tenant_id, user_id, position, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    summary = repo.earnings_summary(session, tenant_id, user_id)
    waiting = repo.waiting_referees(session, tenant_id, user_id)
    return {
        "code": repo.code_of(session, tenant_id, user_id),
        "earnings": {**summary, "pending": rules.referrer_bonus(settings) * waiting, "currency": currency},
        "items": [{"id": r["id"], "name": checks.masked_name(r), "status": r["status"], "created_at": r["created_at"],
                   "qualified_at": r["qualified_at"], "rewarded_at": r["rewarded_at"],
                   "reversed_at": r["reversed_at"]} for r in rows],
        "next_cursor": repo.NEWEST.encode_row(rows[-1]) if more else None,
    }


def admin_list(tenant_id: int, status: str | None, position: Position | None, limit: int) -> dict[str, Any]:
    session = get_db().reader()
    rows = repo.admin_page(session, tenant_id, status, position, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    earned = repo.earnings_of(session, tenant_id, [int(r["id"]) for r in rows])
    for row in rows:
        row["earnings"] = earned.get(int(row["id"]), [])
    return {"items": rows, "next_cursor": repo.NEWEST.encode_row(rows[-1]) if more else None}


def admin_earnings(tenant_id: int, referral_id: int) -> list[dict[str, Any]]:
    return repo.earnings_of(get_db().session(), tenant_id, [referral_id]).get(referral_id, [])
