"""SQL for tenant settings, the audit log and housekeeping.  Always tenant-scoped."""
from __future__ import annotations

import json
from typing import Any

from chalicelib.platform import idempotency
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


def update_tenant(session: Session, tenant_id: int, fields: dict[str, Any]) -> None:
    allowed = {"name", "domain", "default_language", "settings"}
    assert set(fields) <= allowed, "column names are never taken from input"
    if not fields:
        return
    values = [json.dumps(v) if k == "settings" else v for k, v in fields.items()]
    assignments = ", ".join(f"{k} = %s" for k in fields)
    session.execute(f"UPDATE tenants SET {assignments} WHERE id = %s", (*values, tenant_id))


def replace_cors_origins(session: Session, tenant_id: int, origins: list[str]) -> None:
    session.execute("DELETE FROM tenant_cors_origins WHERE tenant_id = %s", (tenant_id,))
    if origins:
        session.executemany(
            "INSERT INTO tenant_cors_origins (tenant_id, origin) VALUES (%s, %s)",
            [(tenant_id, o) for o in origins],
        )


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


def purge_expired(session: Session, *, batch: int = 5000) -> dict[str, int]:
    """Housekeeping across tenants (the only global writes; bounded batches, index-driven)."""
    idem = idempotency.purge_expired(session, batch=batch)  # the mechanism owns its table's SQL
    tokens = session.execute(
        "DELETE FROM refresh_tokens WHERE expires_at < UTC_TIMESTAMP(6) - INTERVAL 7 DAY LIMIT %s", (batch,)
    )
    return {"idempotency_keys": idem, "refresh_tokens": tokens}
