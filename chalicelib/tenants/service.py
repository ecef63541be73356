"""Creating tenants and their API keys."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from chalicelib.platform import tenancy
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.errors import Conflict, NotFound
from chalicelib.platform.permissions import DEFAULT_ROLES

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

    def work(uow: UnitOfWork) -> NewTenant:
        if repo.slug_taken(uow, slug):
            raise Conflict("conflict", details={"slug": slug})
        tenant_id = repo.insert_tenant(uow, slug=slug, name=name, default_language=default_language,
                                       currency=currency, domain=domain, settings=settings or {})
        for role, (description, perms) in DEFAULT_ROLES.items():
            repo.insert_role(uow, tenant_id, role, description, perms)
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
