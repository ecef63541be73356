"""What the accounts area publishes to other areas (issue 10 item 1).

The rules for what an account is made of (one rule each, issue 9), for other areas' schemas:
    NewPassword           a new password (pydantic type: 400 password_too_long over 72 UTF-8 bytes)
    EMAIL_PATTERN, canonical_email(value)
Staff users, inside the caller's transaction (admin_access):
    hash_password(password)            bcrypt; call it *before* opening the transaction
    add_user(uow, tenant_id, email=, password_hash=, ..., roles=)  → user id (409 when the e-mail is taken)
    end_sessions(uow, tenant_id, user_id, except_session=)         revoke the user's sessions on commit

Everything else under chalicelib/accounts/ is private.  passwords and policy are what the schemas
need at import time; the accounts service (sessions, tokens, repository) is imported only when a
staff user is created or their sessions end, as admin_access did before (its cold start stays
free of it).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .passwords import NewPassword, hash_password
from .policy import EMAIL_PATTERN, canonical_email

if TYPE_CHECKING:
    from chalicelib.platform.db import UnitOfWork

__all__ = ["EMAIL_PATTERN", "NewPassword", "add_user", "canonical_email", "end_sessions", "hash_password"]


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
