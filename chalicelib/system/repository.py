"""SQL the system area reads: tenant settings (the tenants area writes them) and the audit log.
Always tenant-scoped."""
from __future__ import annotations

import json
from typing import Any

from chalicelib.platform.db import Session


def get_tenant(session: Session, tenant_id: int, *, for_update: bool = False) -> dict[str, Any] | None:
    row = session.one(
        "SELECT id, slug, name, domain, default_language, currency, settings FROM tenants WHERE id = %s"
        + (" FOR UPDATE" if for_update else ""),
        (tenant_id,),
    )
    if row is not None:
        row["settings"] = json.loads(row["settings"]) if row["settings"] else {}
    return row


def cors_origins(session: Session, tenant_id: int) -> list[str]:
    rows = session.all("SELECT origin FROM tenant_cors_origins WHERE tenant_id = %s ORDER BY origin", (tenant_id,))
    return [r["origin"] for r in rows]


def list_admin_logs(
    session: Session,
    tenant_id: int,
    *,
    action: str | None,
    entity_type: str | None,
    user_id: int | None,
    before_id: int | None,
    limit: int,
) -> list[dict[str, Any]]:
    where = ["tenant_id = %s"]
    params: list[Any] = [tenant_id]
    for column, value in (("action", action), ("entity_type", entity_type), ("user_id", user_id)):
        if value is not None:
            where.append(f"{column} = %s")
            params.append(value)
    if before_id is not None:
        where.append("id < %s")
        params.append(before_id)
    params.append(limit)
    return session.all(
        f"""SELECT id, user_id, action, entity_type, entity_id, before_data, after_data,
                   request_id, ip, created_at
              FROM admin_logs WHERE {' AND '.join(where)}
             ORDER BY id DESC LIMIT %s""",
        params,
    )
