"""SQL for tenants, their CORS origins and API keys."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from chalicelib.platform.db import Session


def insert_tenant(session: Session, *, slug: str, name: str, default_language: str, currency: str,
                  domain: str | None, settings: dict[str, Any]) -> int:
    return session.insert(
        """INSERT INTO tenants (slug, name, domain, default_language, currency, settings)
           VALUES (%s, %s, %s, %s, %s, %s)""",
        (slug, name, domain, default_language, currency, json.dumps(settings)),
    )


def slug_taken(session: Session, slug: str) -> bool:
    return session.scalar("SELECT 1 FROM tenants WHERE slug = %s", (slug,)) is not None


def insert_api_key(session: Session, tenant_id: int, *, name: str, prefix: str, key_hash: str,
                   created_by: int | None) -> int:
    return session.insert(
        """INSERT INTO api_keys (tenant_id, name, key_prefix, key_hash, created_by)
           VALUES (%s, %s, %s, %s, %s)""",
        (tenant_id, name, prefix, key_hash, created_by),
    )


def revoke_api_key(session: Session, tenant_id: int, key_id: int) -> str | None:
    row = session.one(
        "SELECT key_hash FROM api_keys WHERE tenant_id = %s AND id = %s AND status = 'active' FOR UPDATE",
        (tenant_id, key_id),
    )
    if row is None:
        return None
    session.execute(
        "UPDATE api_keys SET status = 'revoked', revoked_at = UTC_TIMESTAMP(6) WHERE tenant_id = %s AND id = %s",
        (tenant_id, key_id),
    )
    return str(row["key_hash"])


def insert_origins(session: Session, tenant_id: int, origins: list[str]) -> None:
    if origins:
        session.executemany(
            "INSERT INTO tenant_cors_origins (tenant_id, origin) VALUES (%s, %s)",
            [(tenant_id, o) for o in sorted(set(origins))],
        )


# -- settings (the system area's settings routes) ------------------------------------------------
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
    insert_origins(session, tenant_id, origins)


# -- API-key administration (chalicelib/admin_access) -----------------------------------------
_KEY_COLUMNS = "id, name, key_prefix, status, created_by, last_used_at, expires_at, revoked_at, created_at"


def insert_expiring_api_key(session: Session, tenant_id: int, *, name: str, prefix: str, key_hash: str,
                            created_by: int | None, expires_at: datetime | None) -> int:
    return session.insert(
        """INSERT INTO api_keys (tenant_id, name, key_prefix, key_hash, created_by, expires_at)
           VALUES (%s, %s, %s, %s, %s, %s)""",
        (tenant_id, name, prefix, key_hash, created_by, expires_at),
    )


def list_api_keys(session: Session, tenant_id: int) -> list[dict[str, Any]]:
    """Every key of the tenant, newest first.  The hash is not selected: it never leaves here."""
    return session.all(f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE tenant_id = %s ORDER BY id DESC", (tenant_id,))


def get_api_key(session: Session, tenant_id: int, key_id: int, *, for_update: bool = False) -> dict[str, Any] | None:
    """One key including its hash (needed to drop cached resolutions after a change)."""
    return session.one(
        f"SELECT {_KEY_COLUMNS}, key_hash FROM api_keys WHERE tenant_id = %s AND id = %s"
        + (" FOR UPDATE" if for_update else ""),
        (tenant_id, key_id),
    )


def set_api_key_expiry(session: Session, tenant_id: int, key_id: int, expires_at: datetime) -> None:
    session.execute("UPDATE api_keys SET expires_at = %s WHERE tenant_id = %s AND id = %s",
                    (expires_at, tenant_id, key_id))
