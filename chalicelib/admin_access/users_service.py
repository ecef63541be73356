"""Staff administration: listing and reading users, creating staff, changing roles, status and
names.  Guards (escalation, lock-out) come from service.py; accounts creates and changes the
user (its roles included) and ends sessions, inside this transaction so the change and its
audit row are one."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.platform import audit
from chalicelib.platform.db import Database, Session, UnitOfWork
from chalicelib.platform.errors import Conflict, NotFound

from . import repository as repo
from .service import Actor, baseline, check_no_lockout, end_sessions, invalid_field, require_grantable

if TYPE_CHECKING:  # typing only: nothing more to import on a cold start
    from .schemas import UserListQuery

_SUMMARY = ("id", "email", "first_name", "last_name", "status", "is_staff", "last_login_at", "created_at")
_AUDITED = ("id", "email", "first_name", "last_name", "status", "is_staff", "roles")


def _summary(row: dict[str, Any], roles: list[str]) -> dict[str, Any]:
    view = {k: row[k] for k in _SUMMARY}
    view["is_staff"] = bool(row["is_staff"])
    view["roles"] = roles
    return view


def _detail(session: Session, tenant_id: int, user_id: int, *, for_update: bool = False) -> dict[str, Any]:
    row = repo.get_user(session, tenant_id, user_id, for_update=for_update)
    if row is None:
        raise NotFound()
    view = _summary(row, repo.roles_of_users(session, tenant_id, [user_id])[user_id])
    view.update(language=row["language"], email_verified_at=row["email_verified_at"],
                totp_enabled=bool(row["totp_enabled"]), updated_at=row["updated_at"],
                permissions=sorted(repo.permissions_of(session, tenant_id, user_id)))
    return view


def _audited(view: dict[str, Any]) -> dict[str, Any]:
    return {k: view[k] for k in _AUDITED}


def _resolve_roles(uow: UnitOfWork, tenant_id: int, names: list[str]) -> tuple[list[int], set[str]]:
    """The ids of the named roles and the permissions they grant; 400 for unknown names."""
    found = repo.roles_by_name(uow, tenant_id, names)
    missing = sorted(set(names) - set(found))
    if missing:
        unknown = ", ".join(missing)
        raise invalid_field("roles", tr=f"Bilinmeyen roller: {unknown}", en=f"unknown roles: {unknown}")
    granted = repo.permissions_by_role(uow, tenant_id, list(found.values()))
    return sorted(found.values()), {p for perms in granted.values() for p in perms}


def list_users(db: Database, tenant_id: int, query: UserListQuery) -> dict[str, Any]:
    session = db.reader()
    rows = repo.list_users(session, tenant_id, q=query.q, role=query.role, status=query.status,
                           is_staff=query.is_staff, before_id=query.cursor, limit=query.limit + 1)
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    roles = repo.roles_of_users(session, tenant_id, [int(r["id"]) for r in rows])
    return {"items": [_summary(r, roles[int(r["id"])]) for r in rows],
            "next_cursor": rows[-1]["id"] if more and rows else None}


def get_user(db: Database, tenant_id: int, user_id: int) -> dict[str, Any]:
    return _detail(db.reader(), tenant_id, user_id)


def create_staff(db: Database, tenant_id: int, actor: Actor, *, email: str, password: str, first_name: str,
                 last_name: str, language: str, roles: list[str]) -> dict[str, Any]:
    from chalicelib.accounts import api as accounts  # lazy: see routes.py

    password_hash = accounts.hash_password(password)  # bcrypt before any row is locked

    def work(uow: UnitOfWork) -> dict[str, Any]:
        before = baseline(uow, tenant_id, actor)
        require_grantable(before.held, _resolve_roles(uow, tenant_id, roles)[1])
        user_id = accounts.add_user(uow, tenant_id, email=email, password_hash=password_hash,
                                    first_name=first_name, last_name=last_name, language=language, roles=roles)
        view = _detail(uow, tenant_id, user_id)
        audit.record(uow, tenant_id, "user.create", entity_type="user", entity_id=user_id, after=_audited(view))
        uow.commit()
        return view

    return db.transaction(work)


def update_user(db: Database, tenant_id: int, actor: Actor, user_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """`changes`: any of roles (the complete new set), status, first_name, last_name."""
    from chalicelib.accounts import api as accounts  # lazy: see routes.py

    def work(uow: UnitOfWork) -> dict[str, Any]:
        before = baseline(uow, tenant_id, actor)
        current = _detail(uow, tenant_id, user_id, for_update=True)
        new_roles = changes.get("roles")
        roles_change = new_roles is not None and set(new_roles) != set(current["roles"])
        status = changes.get("status") or current["status"]
        if status == "disabled" and user_id == actor.user_id:
            raise Conflict(details={"reason": "own_account"})
        granted: set[str] = set()
        role_ids: list[int] | None = None
        if roles_change:
            assert new_roles is not None
            role_ids, granted = _resolve_roles(uow, tenant_id, new_roles)
        accounts.update_staff(uow, tenant_id, user_id, first_name=changes.get("first_name"),
                              last_name=changes.get("last_name"),
                              status=status if status != current["status"] else None, role_ids=role_ids)
        # Lock-out first, so "you would lock the tenant out" (409) wins over "not yours to
        # change" (403) when both hold; either way the transaction rolls back.
        check_no_lockout(uow, tenant_id, actor, before)
        if roles_change or status != current["status"]:
            # Acting on someone who holds more than you, or granting more than you hold, would
            # be escalation by other means.
            require_grantable(before.held, set(current["permissions"]) | granted)
        after = _detail(uow, tenant_id, user_id)
        if _audited(after) == _audited(current):
            return current  # nothing changed: nothing to write or audit
        if roles_change or (status == "disabled" and current["status"] != "disabled"):
            end_sessions(uow, tenant_id, [user_id], actor)
        audit.record(uow, tenant_id, "user.update", entity_type="user", entity_id=user_id,
                     before=_audited(current), after=_audited(after))
        uow.commit()
        return after

    return db.transaction(work)

