"""Rules for the permission catalogue and roles, and the guards every staff change passes.

Two rules keep a tenant from hurting itself, checked inside the transaction that makes the
change, after `repository.lock_roles` has serialised such changes tenant-wide:

* No escalation: a caller hands out or takes away only permissions they hold themselves, and
  changes a user's roles or status only when they hold everything that user holds ('*'
  holders may do anything).  Otherwise `users.write` alone could grant `super_admin` to its
  holder, or a store manager could disable the owner.  403.
* No lock-out: the tenant keeps at least one active staff user holding '*', and nobody strips
  their own '*' or disables themselves.  The super_admin role always means '*'.  409, and it
  is checked before the escalation rule, so "this would lock you out" is what the caller hears.

The caller's permissions are read from the database, not from the token: a token carries what
was true up to 15 minutes ago.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.platform import audit
from chalicelib.platform.context import current
from chalicelib.platform.db import Database, Session, UnitOfWork
from chalicelib.platform.errors import ApiError, Conflict, Forbidden, NotFound
from chalicelib.platform.permissions import DEFAULT_ROLES

from . import catalogue
from . import repository as repo

ALL = "*"
SUPER_ADMIN = "super_admin"


@dataclass(frozen=True)
class Actor:
    """Who is making the change: the signed-in admin and the session they are using."""

    user_id: int
    session_id: str | None = None


# -- guards ------------------------------------------------------------------------------------
def require_grantable(held: set[str], wanted: set[str]) -> None:
    if ALL in held or not wanted:
        return
    beyond = sorted(wanted - held)
    if beyond:
        raise Forbidden(details={"reason": "beyond_own_permissions", "permissions": beyond})


def invalid_field(field: str, *, tr: str, en: str) -> ApiError:
    """A 400 in the same shape as pydantic's, for checks that need the database."""
    message = tr if current().lang == "tr" else en
    return ApiError("validation_failed", status=400,
                    details={"fields": [{"field": field, "message": message, "type": "value_error"}]})


@dataclass(frozen=True)
class Baseline:
    """What the lock-out check compares against, read after the lock and before the change."""

    held: set[str]
    superusers: int


def baseline(uow: UnitOfWork, tenant_id: int, actor: Actor) -> Baseline:
    repo.lock_roles(uow, tenant_id)
    return Baseline(repo.permissions_of(uow, tenant_id, actor.user_id), repo.active_superusers(uow, tenant_id))


def check_no_lockout(uow: UnitOfWork, tenant_id: int, actor: Actor, before: Baseline) -> None:
    """After the change, in the same transaction: raising here rolls the change back."""
    if ALL in before.held and ALL not in repo.permissions_of(uow, tenant_id, actor.user_id):
        raise Conflict(details={"reason": "own_superuser"})
    # A tenant that never had a '*' holder (a fresh one) is not blocked by it.
    if before.superusers > 0 and repo.active_superusers(uow, tenant_id) == 0:
        raise Conflict(details={"reason": "last_superuser"})


def end_sessions(uow: UnitOfWork, tenant_id: int, user_ids: list[int], actor: Actor) -> None:
    """Revoke the users' sessions when this transaction commits, so a token minted with the old
    roles stops working at once.  The actor keeps the session they are using right now."""
    from chalicelib.accounts import api as accounts  # lazy: see routes.py

    for user_id in user_ids:
        keep = actor.session_id if user_id == actor.user_id else None
        accounts.end_sessions(uow, tenant_id, user_id, except_session=keep)


# -- catalogue and roles -----------------------------------------------------------------------
def permission_catalogue() -> list[dict[str, Any]]:
    return catalogue.catalogue()


def create_default_roles(uow: UnitOfWork, tenant_id: int) -> None:
    """A new tenant's system roles (platform.permissions.DEFAULT_ROLES), in the caller's transaction."""
    for name, (description, permissions) in DEFAULT_ROLES.items():
        role_id = repo.insert_role(uow, tenant_id, name, description, is_system=True)
        repo.add_role_permissions(uow, tenant_id, role_id, permissions)


def _role_view(row: dict[str, Any], permissions: list[str]) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "description": row["description"],
            "is_system": bool(row["is_system"]), "permissions": permissions,
            "member_count": int(row["member_count"]), "created_at": row["created_at"],
            "updated_at": row["updated_at"]}


def _audited_role(view: dict[str, Any]) -> dict[str, Any]:
    return {k: view[k] for k in ("id", "name", "description", "is_system", "permissions")}


def _load_role(session: Session, tenant_id: int, role_id: int) -> dict[str, Any]:
    row = repo.get_role(session, tenant_id, role_id)
    if row is None:
        raise NotFound()
    return _role_view(row, repo.permissions_by_role(session, tenant_id, [role_id])[role_id])


def list_roles(db: Database, tenant_id: int) -> list[dict[str, Any]]:
    session = db.reader()
    rows = repo.list_roles(session, tenant_id)
    perms = repo.permissions_by_role(session, tenant_id, [int(r["id"]) for r in rows])
    return [_role_view(r, perms[int(r["id"])]) for r in rows]


def create_role(db: Database, tenant_id: int, actor: Actor, *, name: str, description: str,
                permissions: list[str]) -> dict[str, Any]:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        before = baseline(uow, tenant_id, actor)
        require_grantable(before.held, set(permissions))
        if repo.roles_by_name(uow, tenant_id, [name]):
            raise Conflict(details={"name": "taken"})
        role_id = repo.insert_role(uow, tenant_id, name, description)
        repo.replace_role_permissions(uow, tenant_id, role_id, permissions)
        view = _load_role(uow, tenant_id, role_id)
        audit.record(uow, tenant_id, "role.create", entity_type="role", entity_id=role_id,
                     after=_audited_role(view))
        uow.commit()
        return view

    return db.transaction(work)


def update_role(db: Database, tenant_id: int, actor: Actor, role_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """`changes`: any of name, description, permissions (already validated against the catalogue)."""

    def work(uow: UnitOfWork) -> dict[str, Any]:
        before = baseline(uow, tenant_id, actor)
        current = _load_role(uow, tenant_id, role_id)
        fields: dict[str, Any] = {}
        if changes.get("name") not in (None, current["name"]):
            if current["is_system"]:
                raise Conflict(details={"reason": "system_role_name"})
            if repo.roles_by_name(uow, tenant_id, [changes["name"]]):
                raise Conflict(details={"name": "taken"})
            fields["name"] = changes["name"]
        if "description" in changes:  # null clears it (RoleUpdateIn.CLEARABLE)
            fields["description"] = changes["description"]
        old = set(current["permissions"])
        new = set(changes["permissions"]) if changes.get("permissions") is not None else old
        if new != old and current["is_system"] and current["name"] == SUPER_ADMIN:
            raise Conflict(details={"reason": "super_admin_is_everything"})
        repo.update_role(uow, tenant_id, role_id, fields)
        if new != old:
            repo.replace_role_permissions(uow, tenant_id, role_id, sorted(new))
        check_no_lockout(uow, tenant_id, actor, before)  # 409 before 403, as for users
        require_grantable(before.held, (new - old) | (old - new))
        after = _load_role(uow, tenant_id, role_id)
        if _audited_role(after) == _audited_role(current):
            return current  # nothing changed: nothing to write or audit
        if old - new:  # members' tokens still carry the removed permissions
            end_sessions(uow, tenant_id, repo.role_member_ids(uow, tenant_id, role_id), actor)
        audit.record(uow, tenant_id, "role.update", entity_type="role", entity_id=role_id,
                     before=_audited_role(current), after=_audited_role(after))
        uow.commit()
        return after

    return db.transaction(work)


def delete_role(db: Database, tenant_id: int, actor: Actor, role_id: int) -> None:
    def work(uow: UnitOfWork) -> None:
        before = baseline(uow, tenant_id, actor)
        current = _load_role(uow, tenant_id, role_id)
        if current["is_system"]:
            raise Conflict(details={"reason": "system_role"})
        if current["member_count"]:
            raise Conflict(details={"reason": "role_in_use", "member_count": current["member_count"]})
        require_grantable(before.held, set(current["permissions"]))
        repo.delete_role(uow, tenant_id, role_id)
        audit.record(uow, tenant_id, "role.delete", entity_type="role", entity_id=role_id,
                     before=_audited_role(current))
        uow.commit()

    db.transaction(work)
