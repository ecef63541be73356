"""Password reset (U3) and change.

Forgot: always 202, and always one message to the address or number typed.  If an active
account has it, a single-use link token (32 random bytes, only its SHA-256 stored in
user_tokens, RESET_TTL) goes out by e-mail, or by SMS for a phone number (the link is the SMS);
otherwise a notice that no active account uses it (`password_reset_unknown`: maybe another
address was used to sign up).  So the caller learns nothing from the answer or its timing - both
branches do one lookup and send one message - while the owner of the address always hears about
the request (issue 9, 11a).  Reset: spends the token with a conditional UPDATE,
sets the password and revokes every session.  Older unused reset tokens die with it.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from chalicelib.platform import crypto
from chalicelib.platform.context import current
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.errors import ApiError, Unauthorized

from . import mail, policy
from . import repository as repo
from .passwords import hash_password, verify_password
from .service import revoke_all_sessions, set_password

if TYPE_CHECKING:  # typing only: nothing more to import on a cold start
    from chalicelib.platform.context import Tenant

PURPOSE = "password_reset"
RESET_TTL = 30 * 60


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _reset_link(tenant: Tenant, token: str) -> str:
    host = tenant.domain if getattr(tenant, "domain", None) else "huglu.app"
    return f"https://{host}/sifre-sifirla?token={quote(token)}"


def forgot(db: Database, tenant: Tenant, *, email: str | None, phone: str | None) -> None:
    session = db.session()
    if email:
        user, channel, to = repo.user_by_email(session, tenant.id, email), "email", email
    else:
        assert phone is not None
        user = repo.user_by_phone_hash(session, tenant.id, crypto.lookup_hash(phone, "user.phone"))
        channel, to = "sms", phone
    if user is None or user["status"] != "active":
        # The same 202 and the same kind of work (one message) as below: the caller must not
        # learn whether the account exists.
        mail.send(None, tenant.id, channel=channel, to=to, template="password_reset_unknown",
                    lang=current().lang, params={})
        return
    token = secrets.token_urlsafe(32)

    def work(uow: UnitOfWork) -> None:
        repo.expire_user_tokens(uow, tenant.id, user["id"], PURPOSE)
        repo.insert_user_token(uow, tenant.id, user["id"], purpose=PURPOSE, token_hash=_hash(token),
                               expires_at=datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(seconds=RESET_TTL))
        mail.send(uow, tenant.id, channel=channel, to=to, template="password_reset", lang=user["language"],
                    params={"link": _reset_link(tenant, token), "minutes": RESET_TTL // 60}, user_id=user["id"])
        uow.commit()

    db.transaction(work)


def reset(db: Database, tenant_id: int, token: str, new_password: str) -> None:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        row = repo.spend_user_token(uow, tenant_id, PURPOSE, _hash(token))
        if row is None:
            raise Unauthorized("reset_token_invalid", status=400)
        user = repo.user_by_id(uow, tenant_id, row["user_id"])
        if user is None or user["status"] != "active":
            raise Unauthorized("reset_token_invalid", status=400)
        policy.check_password(new_password, email=user["email"])
        uow.commit()
        return user

    user = db.transaction(work)
    set_password(db, tenant_id, user["id"], new_password)  # also revokes every session
    policy.clear_failures(tenant_id, user["email"] or "")
    if user["email"]:
        mail.send(None, tenant_id, channel="email", to=user["email"], template="security_alert",
                    lang=user["language"], params={"event": "password_changed", "when": datetime.now(timezone.utc)},
                    user_id=user["id"])


def change(db: Database, tenant_id: int, user_id: int, session_id: str | None, current: str, new: str) -> None:
    user = repo.user_by_id(db.session(), tenant_id, user_id)
    if user is None or not verify_password(current, user["password_hash"]):
        raise ApiError("password_incorrect", status=400, details={"fields": [
            {"field": "current_password", "message": "Mevcut şifre hatalı.", "type": "password_incorrect"}]})
    policy.check_password(new, email=user["email"], field="new_password")

    def work(uow: UnitOfWork) -> None:
        repo.update_password(uow, tenant_id, user_id, hash_password(new))
        uow.commit()

    db.transaction(work)
    revoke_all_sessions(db, tenant_id, user_id, except_session=session_id)  # this device stays signed in
    if user["email"]:
        mail.send(None, tenant_id, channel="email", to=user["email"], template="security_alert",
                    lang=user["language"], params={"event": "password_changed", "when": datetime.now(timezone.utc)},
                    user_id=user_id)

