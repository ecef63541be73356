"""HTTP routes of the referrals area (issue 15, R1-R3).

Apps (signed in): GET /api/referrals/code (the customer's code and share link, made on first ask),
POST /api/referrals/claim (attach to a referrer before the first order), GET /api/referrals (the
customer's referees and earnings, keyset pages).
Staff: GET /api/admin/referrals (filter by status), POST /api/admin/referrals/{referral_id}/approve
(a referral rejected by the fraud checks rewarded after all).  campaigns.read / campaigns.write.
"""
from __future__ import annotations

from chalicelib.platform import permissions
from chalicelib.platform.http import json_response
from chalicelib.platform.routing import ADMIN, USER, Call, Router

from . import service
from .schemas import (
    AdminQuery,
    AdminReferralOut,
    AdminReferralsOut,
    ClaimIn,
    ClaimOut,
    CodeOut,
    HistoryOut,
    HistoryQuery,
)

router = Router(tag="referrals")
READ, WRITE = permissions.CAMPAIGNS_READ, permissions.CAMPAIGNS_WRITE


@router.get("/api/referrals/code", auth=USER, response=CodeOut, errors=(401, 429))
def my_code(call: Call) -> CodeOut:
    """The customer's referral code and share link (made on the first ask, the same afterwards)."""
    return CodeOut.model_validate(service.my_code(call.tenant.id, call.principal.user_id, call.tenant.domain))


@router.post("/api/referrals/claim", auth=USER, body=ClaimIn, response=ClaimOut, status=201, also_statuses=(200,),
             rate_limit=(30, 3600), errors=(400, 401, 404, 409, 429))
def claim(call: Call) -> object:
    """Attach the signed-in customer to the owner of a referral code, before their first order and
    within settings.referrals.claim_days (30) of signing up.  201 attached; 200 the same code again
    (nothing changes); 404 referral_code_not_found; 409 referral_self, referral_already_referred,
    referral_has_orders, referral_claim_expired.  More than 5 refused claims an hour answer 429."""
    row, created = service.claim(call.tenant.id, call.principal.user_id, call.body.code, call.tenant.settings)
    out = ClaimOut.model_validate(row)
    return out if created else json_response(out, 200)


@router.get("/api/referrals", auth=USER, query=HistoryQuery, response=HistoryOut, errors=(400, 401, 429))
def history(call: Call) -> HistoryOut:
    """The customer's referees (names masked), newest first, with their status, and the referral
    bonus earned: credited, pending (referees still to receive their first order) and reversed."""
    q: HistoryQuery = call.query
    found = service.history(call.tenant.id, call.principal.user_id, call.tenant.settings, call.tenant.currency,
                            q.position, q.limit)
    return HistoryOut.model_validate(found)


@router.get("/api/admin/referrals", auth=ADMIN, permission=READ, query=AdminQuery, response=AdminReferralsOut,
            errors=(400, 401, 403))
def admin_referrals(call: Call) -> AdminReferralsOut:
    """Referrals newest first (filter by status), with their fraud flags and earnings."""
    q: AdminQuery = call.query
    return AdminReferralsOut.model_validate(service.admin_list(call.tenant.id, q.status, q.position, q.limit))


@router.post("/api/admin/referrals/{referral_id}/approve", auth=ADMIN, permission=WRITE, response=AdminReferralOut,
             errors=(401, 403, 404, 409))
def approve(call: Call) -> AdminReferralOut:
    """Reward a referral the fraud checks rejected (both sides get their bonus).  Approving a
    rewarded referral again answers it unchanged; any other status is 409 referral_not_rejected."""
    from . import rewards  # on first use: only an approval needs the wallet on this function

    row = rewards.approve(call.tenant.id, call.path["referral_id"], call.tenant.currency)
    earned = service.admin_earnings(call.tenant.id, int(row["id"]))
    return AdminReferralOut.model_validate({**row, "earnings": earned})
