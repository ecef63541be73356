"""Admin audit log: who changed what, with before/after, in the same transaction as the change."""
from __future__ import annotations

from typing import Any

from . import cache
from .context import current
from .db import UnitOfWork


def record(
    uow: UnitOfWork,
    tenant_id: int,
    action: str,
    *,
    entity_type: str | None = None,
    entity_id: object = None,
    before: Any = None,
    after: Any = None,
) -> None:
    ctx = current()
    uow.insert(
        """INSERT INTO admin_logs
             (tenant_id, user_id, action, entity_type, entity_id, before_data, after_data, request_id, ip)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (
            tenant_id,
            ctx.principal.user_id if ctx.principal else None,
            action,
            entity_type,
            None if entity_id is None else str(entity_id),
            None if before is None else cache.dumps(before),
            None if after is None else cache.dumps(after),
            ctx.request_id,
            ctx.client_ip or None,
        ),
    )
