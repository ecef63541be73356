"""What the tenants area publishes to other areas (issue 10 item 1).

API keys of a tenant, inside the caller's transaction (the admin_access key routes):
    issue_api_key(uow, tenant_id, name=, created_by=, expires_at=) → key_id, api_key (shown once), prefix
    list_api_keys(session, tenant_id), get_api_key(session, tenant_id, key_id, for_update=)
    expire_api_key(uow, tenant_id, key_id, expires_at)   a rotation's grace period
    revoke_api_key_in(uow, tenant_id, key_id) → False when it was not active
Cached resolutions of a changed key are dropped after the commit.
The tenant's settings, inside the caller's transaction (the system area's settings routes, which
lock and read the row themselves and drop the cached tenant after the commit):
    update_tenant(uow, tenant_id, fields)   any of name, domain, default_language, settings (a dict)
    replace_cors_origins(uow, tenant_id, origins)   the complete new list of allowed origins

Everything else under chalicelib/tenants/ is private (tenant creation is used by the local tools
in infra/local, outside the areas).  The service is imported on first use: the admin_access
function imported it only inside the key routes.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import datetime

    from chalicelib.platform.db import Session, UnitOfWork

    from .service import IssuedKey

__all__ = ["expire_api_key", "get_api_key", "issue_api_key", "list_api_keys", "replace_cors_origins",
           "revoke_api_key_in", "update_tenant"]


def issue_api_key(uow: UnitOfWork, tenant_id: int, *, name: str, created_by: int | None,
                  expires_at: datetime | None = None) -> IssuedKey:
    from . import service  # lazy: see the module docstring

    return service.issue_api_key(uow, tenant_id, name=name, created_by=created_by, expires_at=expires_at)


def list_api_keys(session: Session, tenant_id: int) -> list[dict[str, Any]]:
    from . import service

    return service.list_api_keys(session, tenant_id)


def get_api_key(session: Session, tenant_id: int, key_id: int, *, for_update: bool = False) -> dict[str, Any] | None:
    from . import service

    return service.get_api_key(session, tenant_id, key_id, for_update=for_update)


def expire_api_key(uow: UnitOfWork, tenant_id: int, key_id: int, expires_at: datetime) -> None:
    from . import service

    service.expire_api_key(uow, tenant_id, key_id, expires_at)


def revoke_api_key_in(uow: UnitOfWork, tenant_id: int, key_id: int) -> bool:
    from . import service

    return service.revoke_api_key_in(uow, tenant_id, key_id)


def update_tenant(uow: UnitOfWork, tenant_id: int, fields: dict[str, Any]) -> None:
    from . import repository

    repository.update_tenant(uow, tenant_id, fields)


def replace_cors_origins(uow: UnitOfWork, tenant_id: int, origins: list[str]) -> None:
    from . import repository

    repository.replace_cors_origins(uow, tenant_id, origins)
