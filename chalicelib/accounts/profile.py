"""Profile (U4, U5, U7): view and edit, e-mail / phone change with re-verification, and
account deletion (KVKK / GDPR: personal data erased, orders kept for accounting)."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from chalicelib.platform import crypto
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.errors import ApiError, Conflict, NotFound

from . import codes, mail, policy
from . import repository as repo
from .passwords import verify_password
from .service import revoke_all_sessions

EMAIL_CHANGE, PHONE_CHANGE = "email-change", "phone-change"


def _mask_phone(phone: str | None) -> str | None:
    return None if not phone else phone[:5] + "*" * (len(phone) - 7) + phone[-2:]


def view(db: Database, tenant_id: int, user_id: int) -> dict[str, Any]:
    session = db.session()
    user = repo.user_by_id(session, tenant_id, user_id)
    if user is None or user["status"] == "deleted":
        raise NotFound()
    roles, _ = repo.roles_and_permissions(session, tenant_id, user_id)
    phone = crypto.open_sealed(user["phone_enc"], "user.phone")
    return {
        "id": user["id"], "email": user["email"], "phone": phone, "phone_masked": _mask_phone(phone),
        "first_name": user["first_name"], "last_name": user["last_name"], "language": user["language"],
        "is_staff": bool(user["is_staff"]), "roles": roles,
        "email_verified": user["email_verified_at"] is not None, "phone_verified": user["phone_verified_at"] is not None,
        "two_factor_enabled": user["totp_enabled_at"] is not None,
        "notification_prefs": json.loads(user["notification_prefs"]) if user["notification_prefs"] else {},
        "created_at": user["created_at"],
    }


def update(db: Database, tenant_id: int, user_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    def work(uow: UnitOfWork) -> None:
        if "notification_prefs" in changes:
            current = repo.user_by_id(uow, tenant_id, user_id)
            stored = json.loads(current["notification_prefs"]) if current and current["notification_prefs"] else {}
            changes["notification_prefs"] = {**stored, **changes["notification_prefs"]}
        repo.update_profile(uow, tenant_id, user_id, changes)
        uow.commit()

    db.transaction(work)
    return view(db, tenant_id, user_id)


def _require_password(db: Database, tenant_id: int, user_id: int, password: str) -> dict[str, Any]:
    user = repo.user_by_id(db.session(), tenant_id, user_id)
    if user is None or not verify_password(password, user["password_hash"]):
        raise ApiError("password_incorrect", status=400, details={"fields": [
            {"field": "password", "message": "Şifre hatalı.", "type": "password_incorrect"}]})
    return user


def start_email_change(db: Database, tenant_id: int, user_id: int, new_email: str, password: str) -> dict[str, Any]:
    user = _require_password(db, tenant_id, user_id, password)
    verification_id, code = codes.issue(tenant_id, EMAIL_CHANGE, {"user_id": user_id, "email": new_email})
    mail.send(None, tenant_id, channel="email", to=new_email, template="email_change", lang=user["language"],
                params={"code": code, "minutes": codes.CODE_TTL // 60}, user_id=user_id)
    return {"verification_id": verification_id, "channel": "email", "expires_in": codes.CODE_TTL}


def start_phone_change(db: Database, tenant_id: int, user_id: int, new_phone: str, password: str) -> dict[str, Any]:
    user = _require_password(db, tenant_id, user_id, password)
    verification_id, code = codes.issue(tenant_id, PHONE_CHANGE, {"user_id": user_id, "phone": new_phone})
    mail.send(None, tenant_id, channel="sms", to=new_phone, template="verification_code", lang=user["language"],
                params={"code": code, "minutes": codes.CODE_TTL // 60}, user_id=user_id)
    return {"verification_id": verification_id, "channel": "sms", "expires_in": codes.CODE_TTL}


def finish_change(db: Database, tenant_id: int, user_id: int, verification_id: str, code: str) -> dict[str, Any]:
    data = codes.peek(tenant_id, EMAIL_CHANGE, verification_id)
    purpose = EMAIL_CHANGE if data is not None else PHONE_CHANGE
    data = codes.consume(tenant_id, purpose, verification_id, code)
    if data["user_id"] != user_id:
        raise NotFound()  # another user's verification id

    def work(uow: UnitOfWork) -> tuple[str | None, str]:
        old = repo.user_by_id(uow, tenant_id, user_id)
        if purpose == EMAIL_CHANGE:
            if repo.user_by_email(uow, tenant_id, data["email"]) is not None:
                raise Conflict("identifier_taken")
            repo.set_email(uow, tenant_id, user_id, data["email"])
        else:
            phone_hash = crypto.lookup_hash(data["phone"], "user.phone")
            if repo.user_by_phone_hash(uow, tenant_id, phone_hash) is not None:
                raise Conflict("identifier_taken")
            repo.set_phone(uow, tenant_id, user_id, crypto.seal(data["phone"], "user.phone"), phone_hash)
        uow.commit()
        return (old["email"], old["language"]) if old else (None, "tr")

    old_email, lang = db.transaction(work)
    if purpose == EMAIL_CHANGE and old_email:
        # The old address hears about it: the way to notice an account takeover.
        mail.send(None, tenant_id, channel="email", to=old_email, template="security_alert", lang=lang,
                    params={"event": "email_changed", "when": datetime.now(timezone.utc)}, user_id=user_id)
    return view(db, tenant_id, user_id)


def delete_account(db: Database, tenant_id: int, user_id: int, password: str) -> None:
    user = _require_password(db, tenant_id, user_id, password)

    def work(uow: UnitOfWork) -> None:
        if user["email"]:  # queued with the address before the address is erased
            mail.send(uow, tenant_id, channel="email", to=user["email"], template="account_deleted",
                        lang=user["language"], params={}, user_id=user_id)
        repo.anonymise_user(uow, tenant_id, user_id)
        _erase_other_areas(uow, tenant_id, user_id)
        uow.commit()

    db.transaction(work)
    revoke_all_sessions(db, tenant_id, user_id)
    if user["email"]:
        policy.clear_failures(tenant_id, user["email"])


def _erase_other_areas(uow: UnitOfWork, tenant_id: int, user_id: int) -> None:
    """Personal data other areas hold for the user (addresses, favourites, ...), erased in the
    same transaction through their services."""
    from chalicelib.addresses.api import erase_user_addresses  # only when someone leaves
    from chalicelib.engagement.api import erase_user_data

    erase_user_addresses(uow, tenant_id, user_id)
    erase_user_data(uow, tenant_id, user_id)
