"""Registration (U1) with verification first, so it never reveals who has an account.

POST /api/users stores nothing in MySQL: the pending registration (password already hashed)
waits in Redis under a verification id while a 6-digit code goes to the e-mail or phone.  If
the identifier already belongs to an account, the owner gets a "you already have an account"
message instead and the caller gets the very same 202 answer.  POST /api/users/verify with the
right code creates the account and signs the user in.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.platform import crypto
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.errors import Conflict

from . import codes, notify, policy
from . import repository as repo
from .passwords import hash_password
from .service import Client, complete_login

PURPOSE = "register"


@dataclass(frozen=True)
class Registration:
    email: str | None
    phone: str | None
    password: str
    first_name: str
    last_name: str
    language: str
    marketing_consent: bool


def start(db: Database, tenant_id: int, reg: Registration) -> dict[str, Any]:
    policy.check_password(reg.password, email=reg.email)
    channel, target = ("email", reg.email) if reg.email else ("sms", reg.phone)
    assert target is not None
    existing = _existing(db, tenant_id, reg.email, reg.phone)
    data = {
        "email": reg.email, "phone": reg.phone, "password_hash": hash_password(reg.password),
        "first_name": reg.first_name, "last_name": reg.last_name, "language": reg.language,
        "marketing_consent": reg.marketing_consent, "channel": channel,
    }
    if existing is not None:
        # Same answer as a new registration; the owner is told, the caller learns nothing.
        verification_id, _ = codes.issue(tenant_id, "register-decoy", {})
        notify.send(None, tenant_id, channel=channel, to=target, template="account_exists",
                    lang=existing["language"], params={})
    else:
        verification_id, code = codes.issue(tenant_id, PURPOSE, data)
        notify.send(None, tenant_id, channel=channel, to=target, template="verification_code",
                    lang=reg.language, params={"code": code, "minutes": codes.CODE_TTL // 60})
    return {"verification_id": verification_id, "channel": channel, "expires_in": codes.CODE_TTL}


def resend(db: Database, tenant_id: int, verification_id: str) -> dict[str, Any]:
    data = codes.peek(tenant_id, PURPOSE, verification_id)
    if data is not None:
        _, code = codes.issue(tenant_id, PURPOSE, data, verification_id=verification_id)
        notify.send(None, tenant_id, channel=data["channel"], to=data["email"] or data["phone"],
                    template="verification_code", lang=data["language"],
                    params={"code": code, "minutes": codes.CODE_TTL // 60})
    return {"verification_id": verification_id, "channel": (data or {}).get("channel", "email"),
            "expires_in": codes.CODE_TTL}


def verify(db: Database, tenant_id: int, verification_id: str, code: str, client: Client) -> dict[str, Any]:
    data = codes.consume(tenant_id, PURPOSE, verification_id, code)

    def work(uow: UnitOfWork) -> int:
        if _existing(db, tenant_id, data["email"], data["phone"], session=uow) is not None:
            raise Conflict("identifier_taken")  # someone verified the same identifier meanwhile
        user_id = repo.insert_customer(
            uow, tenant_id, email=data["email"],
            phone_enc=crypto.seal(data["phone"], "user.phone") if data["phone"] else None,
            phone_hash=crypto.lookup_hash(data["phone"], "user.phone") if data["phone"] else None,
            password_hash=data["password_hash"], first_name=data["first_name"], last_name=data["last_name"],
            language=data["language"], email_verified=data["channel"] == "email",
            phone_verified=data["channel"] == "sms",
            notification_prefs={"marketing_email": data["marketing_consent"],
                                "marketing_sms": data["marketing_consent"], "order_updates": True},
        )
        uow.commit()
        return user_id

    user_id = db.transaction(work)
    user = repo.user_by_id(db.session(), tenant_id, user_id)
    assert user is not None
    return complete_login(db, tenant_id, user, client, amr=("pwd",))


def _existing(db: Database, tenant_id: int, email: str | None, phone: str | None,
              session: Any = None) -> dict[str, Any] | None:
    session = session or db.session()
    if email:
        found = repo.user_by_email(session, tenant_id, email)
        if found is not None:
            return found
    if phone:
        return repo.user_by_phone_hash(session, tenant_id, crypto.lookup_hash(phone, "user.phone"))
    return None
