"""What the admin-access area publishes to other areas (issue 10 item 1).

Roles and their permissions, inside the caller's transaction:
    create_default_roles(uow, tenant_id)   a new tenant's system roles (platform.permissions.DEFAULT_ROLES)

Everything else under chalicelib/admin_access/ is private.  The service is imported on first call.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.platform.db import UnitOfWork

__all__ = ["create_default_roles"]


def create_default_roles(uow: UnitOfWork, tenant_id: int) -> None:
    from . import service  # lazy: see the module docstring

    service.create_default_roles(uow, tenant_id)
