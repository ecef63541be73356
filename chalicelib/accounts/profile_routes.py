"""HTTP routes for the signed-in user's profile: GET/PUT /api/users/profile, e-mail and phone
change with re-verification, account deletion."""
from __future__ import annotations

from chalicelib.platform.db import get_db
from chalicelib.platform.routing import USER, Call, Router

from . import profile
from .schemas import (
    DeleteAccountIn,
    EmailChangeIn,
    PhoneChangeIn,
    ProfileOut,
    ProfileUpdateIn,
    VerificationOut,
    VerifyIn,
)

router = Router(tag="accounts")


@router.get("/api/users/profile", auth=USER, response=ProfileOut)
def get_profile(call: Call) -> ProfileOut:
    """The signed-in user's profile."""
    return ProfileOut.model_validate(profile.view(get_db(), call.tenant.id, call.principal.user_id))


@router.put("/api/users/profile", auth=USER, body=ProfileUpdateIn, response=ProfileOut)
def update_profile(call: Call) -> ProfileOut:
    """Edit name, language (which drives message language) and notification preferences.
    Fields left out keep their value; none of them can be cleared (null is a 400)."""
    body: ProfileUpdateIn = call.body
    updated = profile.update(get_db(), call.tenant.id, call.principal.user_id, body.changes())
    return ProfileOut.model_validate(updated)


@router.post("/api/users/profile/email", auth=USER, body=EmailChangeIn, response=VerificationOut, status=202,
             rate_limit=(5, 900))
def change_email(call: Call) -> VerificationOut:
    """Start an e-mail change: a code goes to the new address (password required)."""
    result = profile.start_email_change(get_db(), call.tenant.id, call.principal.user_id, call.body.new_email,
                                        call.body.password)
    return VerificationOut.model_validate(result)


@router.post("/api/users/profile/phone", auth=USER, body=PhoneChangeIn, response=VerificationOut, status=202,
             rate_limit=(5, 900))
def change_phone(call: Call) -> VerificationOut:
    """Start a phone change: a code goes by SMS to the new number (password required)."""
    result = profile.start_phone_change(get_db(), call.tenant.id, call.principal.user_id, call.body.new_phone,
                                        call.body.password)
    return VerificationOut.model_validate(result)


@router.post("/api/users/profile/verify", auth=USER, body=VerifyIn, response=ProfileOut, rate_limit=(30, 900))
def verify_change(call: Call) -> ProfileOut:
    """Finish an e-mail or phone change with the code."""
    result = profile.finish_change(get_db(), call.tenant.id, call.principal.user_id, call.body.verification_id,
                                   call.body.code)
    return ProfileOut.model_validate(result)


@router.delete("/api/users/profile", auth=USER, body=DeleteAccountIn, status=204)
def delete_account(call: Call) -> None:
    """Delete the account (KVKK): personal data erased, orders kept anonymised for accounting."""
    profile.delete_account(get_db(), call.tenant.id, call.principal.user_id, call.body.password)
