"""SQL for users, their roles and refresh tokens.  Every query names the tenant."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from chalicelib.platform.db import Session
from chalicelib.platform.sql import marks

_USER_COLUMNS = ("id, tenant_id, email, phone_enc, password_hash, first_name, last_name, language, status, "
                 "is_staff, totp_enabled_at, email_verified_at, phone_verified_at, notification_prefs, created_at")


def user_by_email(session: Session, tenant_id: int, email: str) -> dict[str, Any] | None:
    return session.one(f"SELECT {_USER_COLUMNS} FROM users WHERE tenant_id = %s AND email = %s", (tenant_id, email))


def user_by_phone_hash(session: Session, tenant_id: int, phone_hash: bytes) -> dict[str, Any] | None:
    return session.one(f"SELECT {_USER_COLUMNS} FROM users WHERE tenant_id = %s AND phone_hash = %s",
                       (tenant_id, phone_hash))


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
    return session.execute(
        f"""INSERT INTO user_roles (tenant_id, user_id, role_id)
            SELECT %s, %s, id FROM roles WHERE tenant_id = %s AND name IN ({marks(role_names)})""",
        (tenant_id, user_id, tenant_id, *role_names),
    )


def replace_roles(session: Session, tenant_id: int, user_id: int, role_ids: list[int]) -> None:
    """The user's complete set of roles becomes `role_ids` (admin_access resolved and checked them)."""
    session.execute("DELETE FROM user_roles WHERE tenant_id = %s AND user_id = %s", (tenant_id, user_id))
    session.executemany("INSERT INTO user_roles (tenant_id, user_id, role_id) VALUES (%s, %s, %s)",
                        [(tenant_id, user_id, rid) for rid in role_ids])


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


def update_staff(session: Session, tenant_id: int, user_id: int, fields: dict[str, Any]) -> None:
    """What staff administration changes on a user: names, status and is_staff."""
    assert set(fields) <= {"first_name", "last_name", "status", "is_staff"}, "column names are never taken from input"
    if fields:
        assignments = ", ".join(f"{k} = %s" for k in fields)
        session.execute(f"UPDATE users SET {assignments} WHERE tenant_id = %s AND id = %s",
                        (*fields.values(), tenant_id, user_id))


def purge_expired_refresh_tokens(session: Session, *, batch: int) -> int:
    """Refresh tokens a week past their expiry, across tenants, at most `batch` of them."""
    return session.execute(
        "DELETE FROM refresh_tokens WHERE expires_at < UTC_TIMESTAMP(6) - INTERVAL 7 DAY LIMIT %s", (batch,)
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


def insert_customer(session: Session, tenant_id: int, *, email: str | None, phone_enc: bytes | None,
                    phone_hash: bytes | None, password_hash: str, first_name: str, last_name: str, language: str,
                    email_verified: bool, phone_verified: bool, notification_prefs: dict[str, Any]) -> int:
    return session.insert(
        """INSERT INTO users (tenant_id, email, phone_enc, phone_hash, password_hash, first_name, last_name,
                              language, email_verified_at, phone_verified_at, notification_prefs)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s,
                   IF(%s, UTC_TIMESTAMP(6), NULL), IF(%s, UTC_TIMESTAMP(6), NULL), %s)""",
        (tenant_id, email, phone_enc, phone_hash, password_hash, first_name, last_name, language,
         int(email_verified), int(phone_verified), json.dumps(notification_prefs)),
    )


def update_profile(session: Session, tenant_id: int, user_id: int, fields: dict[str, Any]) -> None:
    allowed = {"first_name", "last_name", "language", "notification_prefs"}
    assert set(fields) <= allowed, "column names are never taken from input"
    if fields:
        values = [json.dumps(v) if k == "notification_prefs" else v for k, v in fields.items()]
        assignments = ", ".join(f"{k} = %s" for k in fields)
        session.execute(f"UPDATE users SET {assignments} WHERE tenant_id = %s AND id = %s",
                        (*values, tenant_id, user_id))


def set_email(session: Session, tenant_id: int, user_id: int, email: str) -> None:
    session.execute("UPDATE users SET email = %s, email_verified_at = UTC_TIMESTAMP(6) WHERE tenant_id = %s AND id = %s",
                    (email, tenant_id, user_id))


def set_phone(session: Session, tenant_id: int, user_id: int, phone_enc: bytes, phone_hash: bytes) -> None:
    session.execute(
        """UPDATE users SET phone_enc = %s, phone_hash = %s, phone_verified_at = UTC_TIMESTAMP(6)
            WHERE tenant_id = %s AND id = %s""",
        (phone_enc, phone_hash, tenant_id, user_id),
    )


def insert_user_token(session: Session, tenant_id: int, user_id: int, *, purpose: str, token_hash: str,
                      expires_at: datetime, payload: bytes | None = None) -> int:
    return session.insert(
        """INSERT INTO user_tokens (tenant_id, user_id, purpose, token_hash, payload, expires_at)
           VALUES (%s, %s, %s, %s, %s, %s)""",
        (tenant_id, user_id, purpose, token_hash, payload, expires_at),
    )


def spend_user_token(session: Session, tenant_id: int, purpose: str, token_hash: str) -> dict[str, Any] | None:
    """Mark a live token used and return it; None when unknown, used or expired.  The
    conditional UPDATE makes two concurrent uses impossible: only one changes the row."""
    row = session.one(
        """SELECT id, user_id, payload FROM user_tokens
            WHERE tenant_id = %s AND purpose = %s AND token_hash = %s
              AND used_at IS NULL AND expires_at > UTC_TIMESTAMP(6)""",
        (tenant_id, purpose, token_hash),
    )
    if row is None:
        return None
    changed = session.execute(
        "UPDATE user_tokens SET used_at = UTC_TIMESTAMP(6) WHERE tenant_id = %s AND id = %s AND used_at IS NULL",
        (tenant_id, row["id"]),
    )
    return row if changed == 1 else None


def expire_user_tokens(session: Session, tenant_id: int, user_id: int, purpose: str) -> None:
    session.execute(
        """UPDATE user_tokens SET used_at = UTC_TIMESTAMP(6)
            WHERE tenant_id = %s AND user_id = %s AND purpose = %s AND used_at IS NULL""",
        (tenant_id, user_id, purpose),
    )


def anonymise_user(session: Session, tenant_id: int, user_id: int) -> None:
    """KVKK/GDPR erasure: personal data goes, the row (and so orders' foreign keys) stays."""
    session.execute(
        """UPDATE users SET email = NULL, phone_enc = NULL, phone_hash = NULL, password_hash = NULL,
                  first_name = 'Silinmiş', last_name = 'Kullanıcı', national_id_enc = NULL,
                  totp_secret_enc = NULL, totp_enabled_at = NULL, notification_prefs = NULL,
                  referral_code = NULL, status = 'deleted', deleted_at = UTC_TIMESTAMP(6)
            WHERE tenant_id = %s AND id = %s""",
        (tenant_id, user_id),
    )
    for table in ("refresh_tokens", "user_tokens", "user_recovery_codes", "biometric_keys", "user_devices",
                  "user_roles"):
        session.execute(f"DELETE FROM {table} WHERE tenant_id = %s AND user_id = %s", (tenant_id, user_id))
