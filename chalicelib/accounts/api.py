"""What the accounts area publishes to other areas (issue 10 item 1).

The rules for what an account is made of (one rule each, issue 9), for other areas' schemas:
    NewPassword           a new password (pydantic type: 400 password_too_long over 72 UTF-8 bytes)
    EMAIL_PATTERN, canonical_email(value)
Staff users, inside the caller's transaction (admin_access):
    hash_password(password)            bcrypt; call it *before* opening the transaction
    add_user(uow, tenant_id, email=, password_hash=, ..., roles=)  → user id (409 when the e-mail is taken)
    update_staff(uow, tenant_id, user_id, first_name=, last_name=, status=, role_ids=)
                                       names, status and the complete set of roles (staff = has a role)
    end_sessions(uow, tenant_id, user_id, except_session=)         revoke the user's sessions on commit
Housekeeping (the system area's hourly purge), in the caller's session:
    purge_expired_tokens(session, batch=) → how many refresh tokens a week past expiry were deleted

Everything else under chalicelib/accounts/ is private.  passwords and policy are what the schemas
need at import time; the accounts service (sessions, tokens, repository) is imported only when a
staff user is created or changed or their sessions end, as admin_access did before (its cold
start stays free of it); the purge imports only the repository.

accounts owns user_roles (which roles a user holds) as it owns users: a user's roles are granted
with the user and erased with their account here, so admin_access, which defines the roles and
checks who may grant them, changes a user's set through update_staff and the dependency runs one
way (admin_access → accounts).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .passwords import NewPassword, hash_password
from .policy import EMAIL_PATTERN, canonical_email

if TYPE_CHECKING:
    from chalicelib.platform.db import Session, UnitOfWork

__all__ = ["EMAIL_PATTERN", "NewPassword", "add_user", "canonical_email", "end_sessions", "hash_password",
           "purge_expired_tokens", "update_staff"]


def add_user(uow: UnitOfWork, tenant_id: int, *, email: str, password_hash: str, first_name: str = "",
             last_name: str = "", language: str = "tr", roles: list[str] | None = None) -> int:
    """A customer (no roles) or a staff user (with roles), inside the caller's transaction."""
    from . import service  # lazy: see the module docstring

    return service.add_user(uow, tenant_id, email=email, password_hash=password_hash, first_name=first_name,
                            last_name=last_name, language=language, roles=roles)


def end_sessions(uow: UnitOfWork, tenant_id: int, user_id: int, *, except_session: str | None = None) -> int:
    """Revoke the user's sessions (all but `except_session`) when `uow` commits; returns how many."""
    from . import service  # lazy: see the module docstring

    return service.end_sessions(uow, tenant_id, user_id, except_session=except_session)


def update_staff(uow: UnitOfWork, tenant_id: int, user_id: int, *, first_name: str | None = None,
                 last_name: str | None = None, status: str | None = None, role_ids: list[int] | None = None) -> None:
    """Staff administration's change of a user, inside the caller's transaction: None leaves a
    field as it is; `role_ids` (already resolved and checked by the caller) become the user's
    complete set of roles, and the user is staff exactly when it holds one."""
    from . import service  # lazy: see the module docstring

    service.update_staff(uow, tenant_id, user_id, first_name=first_name, last_name=last_name, status=status,
                         role_ids=role_ids)


def purge_expired_tokens(session: Session, *, batch: int) -> int:
    """Delete up to `batch` refresh tokens that expired more than a week ago (all tenants)."""
    from . import repository  # lazy: see the module docstring

    return repository.purge_expired_refresh_tokens(session, batch=batch)
