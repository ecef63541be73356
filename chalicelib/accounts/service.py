"""Login, refresh-token rotation with reuse detection, logout, profile.

Refresh tokens are opaque random strings; only their SHA-256 is stored.  Each login starts a
*family* (its id is the session id in the access token).  Using a refresh token marks it used
and issues its successor in the same family; presenting a used or revoked token again means it
was stolen or replayed, so the whole family is revoked (OAuth 2.0 Security BCP, section 4.14).
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from chalicelib.platform import auth, sessions
from chalicelib.platform.config import settings
from chalicelib.platform.context import Principal
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.errors import ApiError, NotFound, Unauthorized

from . import repository as repo
from .passwords import hash_password, verify_password

__all__ = ["hash_password"]  # other areas hash a password through this service, before their transaction


@dataclass(frozen=True)
class Client:
    """Where a login comes from (kept with the refresh token for 'my sessions' lists)."""

    device_name: str | None = None
    user_agent: str | None = None
    ip: str | None = None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _user_view(user: dict[str, Any], roles: list[str]) -> dict[str, Any]:
    return {
        "id": user["id"], "email": user["email"], "first_name": user["first_name"],
        "last_name": user["last_name"], "language": user["language"], "is_staff": bool(user["is_staff"]),
        "roles": roles, "created_at": user["created_at"],
    }


def _issue(uow: UnitOfWork, tenant_id: int, user: dict[str, Any], *, family_id: str, parent_id: int | None,
           client: Client, amr: tuple[str, ...]) -> dict[str, Any]:
    roles, perms = repo.roles_and_permissions(uow, tenant_id, user["id"])
    refresh = secrets.token_urlsafe(32)
    repo.insert_refresh_token(
        uow, tenant_id, user["id"], family_id=family_id, token_hash=_hash(refresh), parent_id=parent_id, amr=amr,
        expires_at=_now() + timedelta(seconds=settings().refresh_token_seconds),
        device_name=client.device_name, user_agent=(client.user_agent or "")[:255] or None, ip=client.ip,
    )
    principal = Principal(user_id=user["id"], tenant_id=tenant_id, roles=tuple(roles),
                          permissions=frozenset(perms), is_staff=bool(user["is_staff"]), session_id=family_id,
                          amr=amr)
    access, expires_in = auth.issue_access_token(principal)
    ttl = settings().refresh_token_seconds
    if parent_id is None:
        info = {"device_name": client.device_name, "user_agent": (client.user_agent or "")[:255] or None,
                "ip": client.ip}
        uow.on_commit(lambda: sessions.create(tenant_id, user["id"], family_id, ttl, info))
    else:
        uow.on_commit(lambda: sessions.touch(tenant_id, family_id, ttl, ip=client.ip))
    return {"access_token": access, "token_type": "Bearer", "expires_in": expires_in,
            "refresh_token": refresh, "user": _user_view(user, roles)}


def login(db: Database, tenant_id: int, *, email: str | None, phone: str | None, password: str,
          client: Client) -> dict[str, Any]:
    """Password step of signing in, by e-mail or phone.  Failures are counted per identifier and
    per IP (policy.py) and answered identically whether or not the account exists."""
    from . import policy

    identifier = email or phone or ""
    ip = client.ip or "unknown"
    policy.ensure_not_locked(tenant_id, identifier, ip)
    session = db.session()
    if email:
        user = repo.user_by_email(session, tenant_id, email)
    else:
        from chalicelib.platform import crypto

        user = repo.user_by_phone_hash(session, tenant_id, crypto.lookup_hash(identifier, "user.phone"))
    ok = verify_password(password, user["password_hash"] if user else None)
    if not ok or user is None or user["status"] != "active":
        # One answer for "no such account", "wrong password" and "disabled".
        policy.record_failure(tenant_id, identifier, ip)
        _login_to_ml(tenant_id, "failure", user["id"] if user else None, client)
        raise Unauthorized("invalid_credentials")
    policy.clear_failures(tenant_id, identifier)
    if user["totp_enabled_at"] is not None:
        # Password was right; the session starts only after the second factor (accounts/mfa.py).
        from .mfa import start_login_challenge

        return start_login_challenge(tenant_id, user["id"], client)
    return complete_login(db, tenant_id, user, client, amr=("pwd",))


def complete_login(db: Database, tenant_id: int, user: dict[str, Any], client: Client,
                   *, amr: tuple[str, ...]) -> dict[str, Any]:
    """Start a session for a user whose credentials (password, second factor, biometric
    signature) have been checked: a new refresh-token family, its Redis session, tokens.
    `amr` records how (RFC 8176: "pwd", "otp", "hwk"); admin 2FA policy reads it."""

    def work(uow: UnitOfWork) -> dict[str, Any]:
        result = _issue(uow, tenant_id, user, family_id=secrets.token_hex(16), parent_id=None, client=client,
                        amr=amr)
        repo.touch_login(uow, tenant_id, user["id"])
        _login_to_ml(tenant_id, "success", user["id"], client, uow)
        uow.commit()
        return result

    return db.transaction(work)


def _login_to_ml(tenant_id: int, outcome: str, user_id: int | None, client: Client,
                 uow: UnitOfWork | None = None) -> None:
    """A sign-in's outcome for the ML service's anomaly detection (many accounts from one device,
    password spraying from one IP); sent after the commit, never failing the sign-in (ml.api)."""
    from chalicelib.ml import api as ml  # on first use
    from chalicelib.platform.context import current

    ml.login(tenant_id, outcome=outcome, user_id=user_id, ip=client.ip, device_id=current().device_id, uow=uow)


def get_active_user(db: Database, tenant_id: int, user_id: int) -> dict[str, Any]:
    user = repo.user_by_id(db.session(), tenant_id, user_id)
    if user is None or user["status"] != "active":
        raise Unauthorized("invalid_credentials")
    return user


def refresh(db: Database, tenant_id: int, refresh_token: str, client: Client) -> dict[str, Any]:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        row = repo.refresh_token_for_update(uow, tenant_id, _hash(refresh_token))
        if row is None:
            raise Unauthorized("refresh_token_invalid")
        if row["used_at"] is not None or row["revoked_at"] is not None:
            repo.revoke_family(uow, tenant_id, row["family_id"])
            uow.commit()  # the revocation must stick even though the call fails
            sessions.revoke(tenant_id, row["user_id"], [row["family_id"]])
            raise Unauthorized("refresh_token_invalid", details={"reason": "reused"})
        if row["expires_at"] < _now():
            raise Unauthorized("refresh_token_invalid")
        user = repo.user_by_id(uow, tenant_id, row["user_id"])
        if user is None or user["status"] != "active":
            repo.revoke_family(uow, tenant_id, row["family_id"])
            uow.commit()
            sessions.revoke(tenant_id, row["user_id"], [row["family_id"]])
            raise Unauthorized("refresh_token_invalid")
        repo.mark_refresh_used(uow, tenant_id, row["id"])
        result = _issue(uow, tenant_id, user, family_id=row["family_id"], parent_id=row["id"],
                        client=Client(row["device_name"] or client.device_name, client.user_agent, client.ip),
                        amr=tuple(filter(None, (row.get("amr") or "pwd").split(","))))
        uow.commit()
        return result

    return db.transaction(work)


def logout(db: Database, tenant_id: int, user_id: int, session_id: str | None) -> None:
    if not session_id:
        return

    def work(uow: UnitOfWork) -> None:
        repo.revoke_family(uow, tenant_id, session_id)
        uow.on_commit(lambda: sessions.revoke(tenant_id, user_id, [session_id]))
        uow.commit()

    db.transaction(work)


def end_sessions(uow: UnitOfWork, tenant_id: int, user_id: int, *, except_session: str | None = None) -> int:
    """Inside the caller's transaction: revoke the user's refresh tokens; their Redis sessions
    (and so their access tokens) end when that transaction commits."""
    count = repo.revoke_all_sessions(uow, tenant_id, user_id, except_family=except_session)

    def end_redis_sessions() -> None:
        sessions.revoke_all(tenant_id, user_id, except_sid=except_session)

    uow.on_commit(end_redis_sessions)
    return count


def revoke_all_sessions(db: Database, tenant_id: int, user_id: int, *, except_session: str | None = None) -> int:
    """End every session of a user (password change, disabling, 'sign out other devices')."""

    def work(uow: UnitOfWork) -> int:
        count = end_sessions(uow, tenant_id, user_id, except_session=except_session)
        uow.commit()
        return count

    return db.transaction(work)


def list_sessions(tenant_id: int, user_id: int, current_sid: str | None) -> list[dict[str, Any]]:
    found = sessions.list_for_user(tenant_id, user_id)
    return sorted(({**s, "current": s["id"] == current_sid} for s in found),
                  key=lambda s: s.get("last_used_at") or s["created_at"], reverse=True)


def revoke_session(db: Database, tenant_id: int, user_id: int, sid: str) -> None:
    if not any(s["id"] == sid for s in sessions.list_for_user(tenant_id, user_id)):
        raise NotFound()  # another user's session id looks like no session at all
    logout(db, tenant_id, user_id, sid)


def add_user(uow: UnitOfWork, tenant_id: int, *, email: str, password_hash: str, first_name: str = "",
             last_name: str = "", language: str = "tr", roles: list[str] | None = None) -> int:
    """Inside the caller's transaction: a customer (no roles) or a staff user (with roles).
    Hash the password with `hash_password` *before* opening the transaction: bcrypt takes
    ~250 ms and must not run while rows are locked."""
    if repo.user_by_email(uow, tenant_id, email.lower()) is not None:
        raise ApiError("conflict", status=409, details={"email": "taken"})
    user_id = repo.insert_user(uow, tenant_id, email=email.lower(), password_hash=password_hash,
                               first_name=first_name, last_name=last_name, language=language, is_staff=bool(roles))
    repo.grant_roles(uow, tenant_id, user_id, roles or [])
    return user_id


def update_staff(uow: UnitOfWork, tenant_id: int, user_id: int, *, first_name: str | None = None,
                 last_name: str | None = None, status: str | None = None, role_ids: list[int] | None = None) -> None:
    """Inside the caller's transaction: staff administration's change of a user.  None leaves a
    field as it is; `role_ids` become the user's complete set of roles, and the user is staff
    exactly when it holds one (as add_user)."""
    fields: dict[str, Any] = {k: v for k, v in (("first_name", first_name), ("last_name", last_name),
                                                ("status", status)) if v is not None}
    if role_ids is not None:
        repo.replace_roles(uow, tenant_id, user_id, role_ids)
        fields["is_staff"] = int(bool(role_ids))
    repo.update_staff(uow, tenant_id, user_id, fields)


def create_user(db: Database, tenant_id: int, *, email: str, password: str, first_name: str = "",
                last_name: str = "", language: str = "tr", roles: list[str] | None = None) -> int:
    """Create a user in its own transaction (seeding, the tenants command, tests)."""
    password_hash = hash_password(password)

    def work(uow: UnitOfWork) -> int:
        user_id = add_user(uow, tenant_id, email=email, password_hash=password_hash, first_name=first_name,
                           last_name=last_name, language=language, roles=roles)
        uow.commit()
        return user_id

    return db.transaction(work)


def set_password(db: Database, tenant_id: int, user_id: int, password: str) -> None:
    """Replace a password and end every session of the user (all refresh-token families)."""
    password_hash = hash_password(password)

    def work(uow: UnitOfWork) -> None:
        repo.update_password(uow, tenant_id, user_id, password_hash)
        end_sessions(uow, tenant_id, user_id)
        # A reset may follow a stolen phone: its device key must not sign in any more either.
        from .biometric import revoke_all_keys

        revoke_all_keys(uow, tenant_id, user_id)
        uow.commit()

    db.transaction(work)
