"""Registration (U1) with verification first, so it never reveals who has an account.

POST /api/users stores nothing in MySQL: the pending registration (password already hashed)
waits in Redis under a verification id while a 6-digit code goes to the e-mail or phone.  If
the identifier already belongs to an account, the owner gets a "you already have an account"
message instead, and the caller gets the very same answer.  POST /api/users/verify with the
right code creates the account and signs the user in.

Indistinguishable (issue 9, 11a): a registration for a taken identifier is a *decoy*, stored
under the same purpose, with the same TTL, attempt limit and channel as a real one, so every
later step answers the same for both - resend (same channel, a new message to the owner),
verify (a wrong code is `code_invalid`; even a guessed decoy code is), the attempt limit and
expiry.  Both branches do the same work: one identifier lookup, one bcrypt hash, one Redis
write, one message.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.platform import crypto
from chalicelib.platform.db import Database, Session, UnitOfWork
from chalicelib.platform.errors import Conflict

from . import codes, mail, policy
from . import repository as repo
from .errors import verification_expired
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
    channel = "email" if reg.email else "sms"
    existing = _existing(db, tenant_id, reg.email, reg.phone)
    password_hash = hash_password(reg.password)  # on both branches: bcrypt dominates the time
    data: dict[str, Any] = {
        "email": reg.email, "phone": reg.phone, "channel": channel, "language": reg.language,
        "password_hash": password_hash, "first_name": reg.first_name, "last_name": reg.last_name,
        "marketing_consent": reg.marketing_consent,
    }
    if existing is not None:
        # Nothing of the caller's registration is kept; the owner hears in their own language.
        data.update(decoy=True, language=existing["language"], password_hash="", first_name="", last_name="",
                    marketing_consent=False)
    verification_id, code = codes.issue(tenant_id, PURPOSE, data)
    _send(tenant_id, data, code)
    return _answer(verification_id, data)


def resend(db: Database, tenant_id: int, verification_id: str) -> dict[str, Any]:
    """A new code for a pending registration (real or decoy alike); 400 when it has expired,
    was used up or never existed - the same for both kinds."""
    data = codes.peek(tenant_id, PURPOSE, verification_id)
    if data is None:
        raise verification_expired()
    _, code = codes.issue(tenant_id, PURPOSE, data, verification_id=verification_id)
    _send(tenant_id, data, code)
    return _answer(verification_id, data)


def _answer(verification_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"verification_id": verification_id, "channel": data["channel"], "expires_in": codes.CODE_TTL}


def _send(tenant_id: int, data: dict[str, Any], code: str) -> None:
    """The code to a new identifier; to the owner of a taken one, a notice instead (its code is
    never sent anywhere, so only a blind guess could match it, and verify refuses even that)."""
    to = data["email"] or data["phone"]
    if data.get("decoy"):
        mail.send(None, tenant_id, channel=data["channel"], to=to, template="account_exists",
                    lang=data["language"], params={})
    else:
        mail.send(None, tenant_id, channel=data["channel"], to=to, template="verification_code",
                    lang=data["language"], params={"code": code, "minutes": codes.CODE_TTL // 60})


def verify(db: Database, tenant_id: int, verification_id: str, code: str, client: Client) -> dict[str, Any]:
    data = codes.consume(tenant_id, PURPOSE, verification_id, code)
    if data.get("decoy"):
        raise codes.code_invalid()  # the answer to a wrong code: a decoy never creates anything

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
              session: Session | None = None) -> dict[str, Any] | None:
    session = session or db.session()
    if email:
        found = repo.user_by_email(session, tenant_id, email)
        if found is not None:
            return found
    if phone:
        return repo.user_by_phone_hash(session, tenant_id, crypto.lookup_hash(phone, "user.phone"))
    return None
