"""Coupon codes a signed-in customer applies to the cart (K2, issue 15).

    apply   a code is normalised (trimmed, upper-cased the Turkish way: ı and i → I, İ → I) and
            must then be ASCII [A-Z0-9-] (else 400 coupon_code_invalid).  It is refused with one
            clear code: 404 coupon_not_found (unknown, another tenant's, or another customer's
            personal code: all alike, nothing revealed), 409 coupon_inactive (the coupon is
            switched off, its campaign paused, draft or deleted), coupon_not_started,
            coupon_expired (the coupon's or the campaign's window is over, or the campaign ended),
            coupon_exhausted (the coupon's or its campaign's uses are gone),
            coupon_per_customer_limit (this customer's uses of the coupon or of the campaign).
            The campaign's other conditions (first order, segment, level, minimum spend, ...) are
            the engine's: the cart shows a code that does not apply in `rejected`, with the reason.
            At most MAX_CODES codes; applying an applied code again is the same 200.
    list    the applied codes with their campaign and whether each still applies (and why not).
    remove  one applied code (404 when it is not applied).

Guessing: refused codes are counted per customer (USER_FAILURES) and per client IP
(IP_FAILURES) in FAILURE_WINDOW with the platform's rate limiter (platform/ratelimit.py); the
limit is looked at before the code is, so a blocked guesser learns nothing more (429 with
Retry-After).  Successful applies, and malformed codes that cannot be anyone's, are not counted.

For the checkout (re-exported by api.py): `applied_coupons` - the codes that still apply now, in
one query - and `clear_applied` once the order claimed them.

Applying is one INSERT IGNORE on cart_coupons' primary key, so concurrent applies of one code
are harmless; two different codes applied at the very same moment by one customer may pass the
MAX_CODES count together, and `applied_coupons` hands the checkout the oldest MAX_CODES only.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from chalicelib.platform import ratelimit
from chalicelib.platform.db import Database, Session, UnitOfWork

from . import coupons_repository as repo
from .customer_facts import forget_customer
from .errors import CouponCodeInvalid, CouponNotFound, CouponRefused, CouponsTooMany, coupon_attempts
from .model import CouponRef

MAX_CODES = 5
USER_FAILURES, IP_FAILURES, FAILURE_WINDOW = 10, 30, 900
CODE_PATTERN = re.compile(r"[A-Z0-9-]{1,64}")
_TURKISH_I = str.maketrans({"ı": "I", "i": "I", "İ": "I"})


def normalise_code(raw: str) -> str:
    """The stored form of a typed code, or 400 coupon_code_invalid."""
    code = raw.strip().translate(_TURKISH_I).upper()
    if not CODE_PATTERN.fullmatch(code):
        raise CouponCodeInvalid()
    return code


def refusal(row: dict[str, Any] | None, user_id: int, now: dt.datetime) -> str | None:
    """Why the code of `row` (coupons_repository columns) cannot be applied by the user now, as an
    error code; None when it can."""
    if row is None or (row["owner_id"] is not None and int(row["owner_id"]) != user_id):
        return "coupon_not_found"
    if row["campaign_id"] is None or row["campaign_deleted_at"] is not None or row["campaign_status"] is None:
        return "coupon_inactive"
    if row["campaign_status"] == "ended" or _ended(row["ends_at"], now) or _ended(row["campaign_ends_at"], now):
        return "coupon_expired"
    if not row["is_active"] or row["campaign_status"] != "active":
        return "coupon_inactive"
    if _later(row["starts_at"], now) or _later(row["campaign_starts_at"], now):
        return "coupon_not_started"
    if _used_up(row["usage_limit"], row["used_count"]) or _used_up(row["campaign_usage_limit"],
                                                                  row["campaign_used_count"]):
        return "coupon_exhausted"
    if _used_up(row["usage_limit_per_user"], row["coupon_uses"]) or _used_up(row["campaign_limit_per_user"],
                                                                            row["campaign_uses"]):
        return "coupon_per_customer_limit"
    return None


def _ended(ends_at: dt.datetime | None, now: dt.datetime) -> bool:
    return ends_at is not None and ends_at <= now


def _later(starts_at: dt.datetime | None, now: dt.datetime) -> bool:
    return starts_at is not None and starts_at > now


def _used_up(limit: int | None, used: int | None) -> bool:
    return limit is not None and int(used or 0) >= int(limit)


def view(row: dict[str, Any], user_id: int, now: dt.datetime) -> dict[str, Any]:
    """A code as the customer sees it: campaign, effective window, whether it applies and why not."""
    reason = refusal(row, user_id, now)
    starts = [t for t in (row["starts_at"], row["campaign_starts_at"]) if t is not None]
    ends = [t for t in (row["ends_at"], row["campaign_ends_at"]) if t is not None]
    return {"code": row["code"], "campaign_id": row["campaign_id"], "campaign_name": row["campaign_name"],
            "description": row["campaign_description"], "valid": reason is None, "reason": reason,
            "starts_at": max(starts) if starts else None, "ends_at": min(ends) if ends else None,
            "applied_at": row.get("applied_at")}


# -- the routes' operations -------------------------------------------------------------------
def apply(db: Database, tenant_id: int, user_id: int, client_ip: str, raw_code: str,
          now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    limits = _failure_limits(tenant_id, user_id, client_ip)
    looked = ratelimit.check(limits, count=False)
    if not looked.allowed:
        raise coupon_attempts(looked.retry_after)
    code = normalise_code(raw_code)
    session = db.session()
    row = repo.by_code(session, tenant_id, user_id, code)
    reason = refusal(row, user_id, now)
    if reason is not None:
        ratelimit.check(limits)  # count the failure
        raise CouponNotFound() if reason == "coupon_not_found" else CouponRefused(reason)
    assert row is not None
    applied = repo.applied_ids(session, tenant_id, user_id)
    if int(row["coupon_id"]) not in applied and len(applied) >= MAX_CODES:
        raise CouponsTooMany(MAX_CODES)
    repo.add(session, tenant_id, user_id, int(row["coupon_id"]))
    forget_customer(tenant_id, user_id)  # the cart's promotions read the applied codes again
    return next(v for v in list_applied(db, tenant_id, user_id, now) if v["code"] == code)


def list_applied(db: Database, tenant_id: int, user_id: int, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    now = now or utcnow()
    return [view(row, user_id, now) for row in repo.applied(db.session(), tenant_id, user_id)]


def remove(db: Database, tenant_id: int, user_id: int, raw_code: str) -> None:
    if repo.remove(db.session(), tenant_id, user_id, normalise_code(raw_code)) == 0:
        raise CouponNotFound()
    forget_customer(tenant_id, user_id)


def _failure_limits(tenant_id: int, user_id: int, client_ip: str) -> list[ratelimit.Limit]:
    return [ratelimit.Limit(f"{tenant_id}:coupon-fail:u{user_id}", USER_FAILURES, FAILURE_WINDOW),
            ratelimit.Limit(f"{tenant_id}:coupon-fail:ip{client_ip or '-'}", IP_FAILURES, FAILURE_WINDOW)]


# -- published for the checkout (api.py) ----------------------------------------------------------
def applied_coupons(session: Session, tenant_id: int, user_id: int, now: dt.datetime) -> list[CouponRef]:
    """The customer's applied codes that still apply now (active, in their window, uses left,
    the customer's own or no one's), oldest first, at most MAX_CODES: one query."""
    refs = [CouponRef(coupon_id=int(r["coupon_id"]), code=str(r["code"]), campaign_id=int(r["campaign_id"]))
            for r in repo.applied(session, tenant_id, user_id) if refusal(r, user_id, now) is None]
    return refs[:MAX_CODES]


def clear_applied(uow: UnitOfWork, tenant_id: int, user_id: int) -> None:
    """Empty the customer's applied codes (the checkout, after claiming them, in its transaction)."""
    repo.clear(uow, tenant_id, user_id)
    uow.on_commit(lambda: forget_customer(tenant_id, user_id))


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
