"""SQL for users, their roles and refresh tokens.  Every query names the tenant."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.platform.db import Session

_USER_COLUMNS = ("id, tenant_id, email, password_hash, first_name, last_name, language, status, is_staff, "
                 "totp_enabled_at, created_at")


def user_by_email(session: Session, tenant_id: int, email: str) -> dict[str, Any] | None:
    return session.one(f"SELECT {_USER_COLUMNS} FROM users WHERE tenant_id = %s AND email = %s", (tenant_id, email))


def user_by_id(session: Session, tenant_id: int, user_id: int) -> dict[str, Any] | None:
    return session.one(f"SELECT {_USER_COLUMNS} FROM users WHERE tenant_id = %s AND id = %s", (tenant_id, user_id))


def insert_user(session: Session, tenant_id: int, *, email: str, password_hash: str, first_name: str,
                last_name: str, language: str, is_staff: bool) -> int:
    return session.insert(
        """INSERT INTO users (tenant_id, email, password_hash, first_name, last_name, language, is_staff)
           VALUES (%s, %s, %s, %s, %s, %s, %s)""",
        (tenant_id, email, password_hash, first_name, last_name, language, int(is_staff)),
    )


def grant_roles(session: Session, tenant_id: int, user_id: int, role_names: list[str]) -> int:
    if not role_names:
        return 0
    marks = ", ".join(["%s"] * len(role_names))
    return session.execute(
        f"""INSERT INTO user_roles (tenant_id, user_id, role_id)
            SELECT %s, %s, id FROM roles WHERE tenant_id = %s AND name IN ({marks})""",
        (tenant_id, user_id, tenant_id, *role_names),
    )


def roles_and_permissions(session: Session, tenant_id: int, user_id: int) -> tuple[list[str], set[str]]:
    rows = session.all(
        """SELECT r.name, rp.permission
             FROM user_roles ur
             JOIN roles r ON r.tenant_id = ur.tenant_id AND r.id = ur.role_id
             LEFT JOIN role_permissions rp ON rp.tenant_id = r.tenant_id AND rp.role_id = r.id
            WHERE ur.tenant_id = %s AND ur.user_id = %s""",
        (tenant_id, user_id),
    )
    roles = sorted({r["name"] for r in rows})
    perms = {r["permission"] for r in rows if r["permission"]}
    return roles, perms


def touch_login(session: Session, tenant_id: int, user_id: int) -> None:
    session.execute("UPDATE users SET last_login_at = UTC_TIMESTAMP(6) WHERE tenant_id = %s AND id = %s",
                    (tenant_id, user_id))


def insert_refresh_token(session: Session, tenant_id: int, user_id: int, *, family_id: str, token_hash: str,
                         parent_id: int | None, amr: tuple[str, ...], expires_at: datetime,
                         device_name: str | None, user_agent: str | None, ip: str | None) -> int:
    return session.insert(
        """INSERT INTO refresh_tokens
             (tenant_id, user_id, family_id, amr, token_hash, parent_id, expires_at, device_name, user_agent, ip)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (tenant_id, user_id, family_id, ",".join(amr), token_hash, parent_id, expires_at, device_name, user_agent, ip),
    )


def refresh_token_for_update(session: Session, tenant_id: int, token_hash: str) -> dict[str, Any] | None:
    return session.one(
        """SELECT id, user_id, family_id, amr, device_name, expires_at, used_at, revoked_at
             FROM refresh_tokens WHERE tenant_id = %s AND token_hash = %s FOR UPDATE""",
        (tenant_id, token_hash),
    )


def mark_refresh_used(session: Session, tenant_id: int, token_id: int) -> None:
    session.execute("UPDATE refresh_tokens SET used_at = UTC_TIMESTAMP(6) WHERE tenant_id = %s AND id = %s",
                    (tenant_id, token_id))


def revoke_family(session: Session, tenant_id: int, family_id: str) -> int:
    return session.execute(
        """UPDATE refresh_tokens SET revoked_at = UTC_TIMESTAMP(6)
            WHERE tenant_id = %s AND family_id = %s AND revoked_at IS NULL""",
        (tenant_id, family_id),
    )


def update_password(session: Session, tenant_id: int, user_id: int, password_hash: str) -> None:
    session.execute("UPDATE users SET password_hash = %s WHERE tenant_id = %s AND id = %s",
                    (password_hash, tenant_id, user_id))


def revoke_all_sessions(session: Session, tenant_id: int, user_id: int, *, except_family: str | None = None) -> int:
    return session.execute(
        """UPDATE refresh_tokens SET revoked_at = UTC_TIMESTAMP(6)
            WHERE tenant_id = %s AND user_id = %s AND revoked_at IS NULL AND family_id <> %s""",
        (tenant_id, user_id, except_family or ""),
    )
