"""Creating tenants and their API keys."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.platform import tenancy
from chalicelib.platform.db import Database, Session, UnitOfWork
from chalicelib.platform.errors import Conflict, NotFound

from . import repository as repo

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")


@dataclass(frozen=True)
class NewTenant:
    tenant_id: int
    api_key: str  # shown once; only its hash is stored
    api_key_id: int


def create_tenant(
    db: Database,
    *,
    slug: str,
    name: str,
    default_language: str = "tr",
    currency: str = "TRY",
    domain: str | None = None,
    cors_origins: list[str] | None = None,
    settings: dict[str, Any] | None = None,
) -> NewTenant:
    if not _SLUG.match(slug):
        raise ValueError(f"invalid tenant slug {slug!r}")
    # Tenant creation runs from the local tools and tests only, never in a deployed function;
    # the roles are admin_access's tables, created in this transaction.
    from chalicelib.admin_access import api as admin_access

    def work(uow: UnitOfWork) -> NewTenant:
        if repo.slug_taken(uow, slug):
            raise Conflict("conflict", details={"slug": slug})
        tenant_id = repo.insert_tenant(uow, slug=slug, name=name, default_language=default_language,
                                       currency=currency, domain=domain, settings=settings or {})
        admin_access.create_default_roles(uow, tenant_id)
        repo.insert_origins(uow, tenant_id, cors_origins or [])
        raw, prefix, key_hash = tenancy.generate_api_key()
        key_id = repo.insert_api_key(uow, tenant_id, name="default", prefix=prefix, key_hash=key_hash,
                                     created_by=None)
        uow.commit()
        return NewTenant(tenant_id, raw, key_id)

    return db.transaction(work)


def create_api_key(db: Database, tenant_id: int, *, name: str, created_by: int | None = None) -> tuple[int, str]:
    raw, prefix, key_hash = tenancy.generate_api_key()

    def work(uow: UnitOfWork) -> int:
        key_id = repo.insert_api_key(uow, tenant_id, name=name, prefix=prefix, key_hash=key_hash,
                                     created_by=created_by)
        uow.commit()
        return key_id

    return db.transaction(work), raw


def revoke_api_key(db: Database, tenant_id: int, key_id: int) -> None:
    def work(uow: UnitOfWork) -> None:
        key_hash = repo.revoke_api_key(uow, tenant_id, key_id)
        if key_hash is None:
            raise NotFound()
        uow.on_commit(lambda: tenancy.forget_keys([key_hash]))
        uow.commit()

    db.transaction(work)


# -- API keys inside a caller's transaction (the admin routes audit in the same one) ----------
@dataclass(frozen=True)
class IssuedKey:
    key_id: int
    api_key: str  # shown once; only its hash is stored
    prefix: str


def _key_view(row: dict[str, Any]) -> dict[str, Any]:
    """A key as it may be shown: never the hash."""
    return {k: v for k, v in row.items() if k != "key_hash"}


def issue_api_key(uow: UnitOfWork, tenant_id: int, *, name: str, created_by: int | None,
                  expires_at: datetime | None = None) -> IssuedKey:
    raw, prefix, key_hash = tenancy.generate_api_key()
    key_id = repo.insert_expiring_api_key(uow, tenant_id, name=name, prefix=prefix, key_hash=key_hash,
                                          created_by=created_by, expires_at=expires_at)
    return IssuedKey(key_id, raw, prefix)


def list_api_keys(session: Session, tenant_id: int) -> list[dict[str, Any]]:
    return repo.list_api_keys(session, tenant_id)


def get_api_key(session: Session, tenant_id: int, key_id: int, *, for_update: bool = False) -> dict[str, Any] | None:
    row = repo.get_api_key(session, tenant_id, key_id, for_update=for_update)
    return None if row is None else _key_view(row)


def expire_api_key(uow: UnitOfWork, tenant_id: int, key_id: int, expires_at: datetime) -> None:
    """Let a key work until `expires_at` (a rotation's grace period).  The cached resolution
    carries the old expiry, so it is dropped after commit."""
    row = repo.get_api_key(uow, tenant_id, key_id, for_update=True)
    if row is None:
        raise NotFound()
    repo.set_api_key_expiry(uow, tenant_id, key_id, expires_at)
    key_hash = str(row["key_hash"])
    uow.on_commit(lambda: tenancy.forget_keys([key_hash]))


def revoke_api_key_in(uow: UnitOfWork, tenant_id: int, key_id: int) -> bool:
    """Revoke now; False when the key was not active.  Cached resolutions go after commit."""
    key_hash = repo.revoke_api_key(uow, tenant_id, key_id)
    if key_hash is None:
        return False
    uow.on_commit(lambda: tenancy.forget_keys([key_hash]))
    return True
