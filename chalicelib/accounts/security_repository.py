"""SQL for the accounts area's second factors: the TOTP columns of `users`, recovery codes and
biometric device keys.  Every query names the tenant (and, for a user's own rows, the user),
so a guessed id from another tenant or user simply matches nothing.  Nothing here commits.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from chalicelib.platform.db import Session

# -- TOTP ------------------------------------------------------------------------------------


def totp_state(session: Session, tenant_id: int, user_id: int, *, for_update: bool = False) -> dict[str, Any] | None:
    """The user's 2FA columns plus what the setup screen and alerts need (e-mail, language)."""
    lock = " FOR UPDATE" if for_update else ""
    return session.one(
        f"""SELECT id, email, language, status, totp_secret_enc, totp_enabled_at
              FROM users WHERE tenant_id = %s AND id = %s{lock}""",
        (tenant_id, user_id),
    )


def enable_totp(session: Session, tenant_id: int, user_id: int, secret_enc: bytes, enabled_at: datetime) -> bool:
    """Store the confirmed secret; False when 2FA was switched on meanwhile (a concurrent confirm)."""
    return session.execute(
        """UPDATE users SET totp_secret_enc = %s, totp_enabled_at = %s
            WHERE tenant_id = %s AND id = %s AND totp_enabled_at IS NULL""",
        (secret_enc, enabled_at, tenant_id, user_id),
    ) == 1


def disable_totp(session: Session, tenant_id: int, user_id: int) -> bool:
    return session.execute(
        """UPDATE users SET totp_secret_enc = NULL, totp_enabled_at = NULL
            WHERE tenant_id = %s AND id = %s AND totp_enabled_at IS NOT NULL""",
        (tenant_id, user_id),
    ) == 1


# -- recovery codes --------------------------------------------------------------------------


def replace_recovery_codes(session: Session, tenant_id: int, user_id: int, code_hashes: Iterable[str]) -> None:
    """Old codes stop working the moment the new set exists (same transaction)."""
    delete_recovery_codes(session, tenant_id, user_id)
    session.executemany(
        "INSERT INTO user_recovery_codes (tenant_id, user_id, code_hash) VALUES (%s, %s, %s)",
        [(tenant_id, user_id, h) for h in code_hashes],
    )


def delete_recovery_codes(session: Session, tenant_id: int, user_id: int) -> None:
    session.execute("DELETE FROM user_recovery_codes WHERE tenant_id = %s AND user_id = %s", (tenant_id, user_id))


def use_recovery_code(session: Session, tenant_id: int, user_id: int, code_hash: str) -> bool:
    """Spend a code.  The conditional update is the whole check: of two concurrent uses of the
    same code exactly one changes the row, so a code can never work twice."""
    return session.execute(
        """UPDATE user_recovery_codes SET used_at = UTC_TIMESTAMP(6)
            WHERE tenant_id = %s AND user_id = %s AND code_hash = %s AND used_at IS NULL""",
        (tenant_id, user_id, code_hash),
    ) == 1


def recovery_codes_left(session: Session, tenant_id: int, user_id: int) -> int:
    return int(session.scalar(
        "SELECT COUNT(*) FROM user_recovery_codes WHERE tenant_id = %s AND user_id = %s AND used_at IS NULL",
        (tenant_id, user_id),
    ))


# -- biometric device keys -------------------------------------------------------------------

_KEY_COLUMNS = "id, user_id, device_id, device_name, public_key_pem, last_used_at, revoked_at, created_at"


def lock_user(session: Session, tenant_id: int, user_id: int) -> bool:
    """Serialise one user's key registrations (device replacement and the per-user limit)."""
    return session.scalar("SELECT id FROM users WHERE tenant_id = %s AND id = %s FOR UPDATE",
                          (tenant_id, user_id)) is not None


def key_by_fingerprint(session: Session, tenant_id: int, fingerprint: str) -> dict[str, Any] | None:
    return session.one(f"SELECT {_KEY_COLUMNS} FROM biometric_keys WHERE tenant_id = %s AND key_fingerprint = %s",
                       (tenant_id, fingerprint))


def revoke_device_keys(session: Session, tenant_id: int, user_id: int, device_id: str) -> int:
    return session.execute(
        """UPDATE biometric_keys SET revoked_at = UTC_TIMESTAMP(6)
            WHERE tenant_id = %s AND user_id = %s AND device_id = %s AND revoked_at IS NULL""",
        (tenant_id, user_id, device_id),
    )


def count_active_keys(session: Session, tenant_id: int, user_id: int) -> int:
    return int(session.scalar(
        "SELECT COUNT(*) FROM biometric_keys WHERE tenant_id = %s AND user_id = %s AND revoked_at IS NULL",
        (tenant_id, user_id),
    ))


def insert_key(session: Session, tenant_id: int, user_id: int, *, device_id: str, device_name: str | None,
               public_key_pem: str, fingerprint: str) -> int:
    return session.insert(
        """INSERT INTO biometric_keys (tenant_id, user_id, device_id, device_name, public_key_pem, key_fingerprint)
           VALUES (%s, %s, %s, %s, %s, %s)""",
        (tenant_id, user_id, device_id, device_name, public_key_pem, fingerprint),
    )


def key_for_user(session: Session, tenant_id: int, user_id: int, key_id: int) -> dict[str, Any] | None:
    return session.one(f"SELECT {_KEY_COLUMNS} FROM biometric_keys WHERE tenant_id = %s AND user_id = %s AND id = %s",
                       (tenant_id, user_id, key_id))


def active_keys(session: Session, tenant_id: int, user_id: int) -> list[dict[str, Any]]:
    return session.all(
        f"""SELECT {_KEY_COLUMNS} FROM biometric_keys
             WHERE tenant_id = %s AND user_id = %s AND revoked_at IS NULL ORDER BY id""",
        (tenant_id, user_id),
    )


def revoke_key(session: Session, tenant_id: int, user_id: int, key_id: int) -> bool:
    return session.execute(
        """UPDATE biometric_keys SET revoked_at = UTC_TIMESTAMP(6)
            WHERE tenant_id = %s AND user_id = %s AND id = %s AND revoked_at IS NULL""",
        (tenant_id, user_id, key_id),
    ) == 1


def revoke_all_keys(session: Session, tenant_id: int, user_id: int) -> int:
    return session.execute(
        "UPDATE biometric_keys SET revoked_at = UTC_TIMESTAMP(6) WHERE tenant_id = %s AND user_id = %s "
        "AND revoked_at IS NULL",
        (tenant_id, user_id),
    )


def active_key_id(session: Session, tenant_id: int, *, key_id: int | None = None, device_id: str | None = None,
                  email: str | None = None) -> int | None:
    """The active key a sign-in names, by id or by (device, e-mail); only for active users."""
    params: tuple[Any, ...]
    if key_id is not None:
        where, params = "k.id = %s", (key_id,)
    else:
        where, params = "k.device_id = %s AND u.email = %s", (device_id, email)
    value = session.scalar(
        f"""SELECT k.id FROM biometric_keys k
              JOIN users u ON u.tenant_id = k.tenant_id AND u.id = k.user_id
             WHERE k.tenant_id = %s AND {where} AND k.revoked_at IS NULL AND u.status = 'active'
             ORDER BY k.id DESC LIMIT 1""",
        (tenant_id, *params),
    )
    return None if value is None else int(value)


def key_for_login(session: Session, tenant_id: int, key_id: int) -> dict[str, Any] | None:
    """An active key of an active user, with what a session needs."""
    return session.one(
        """SELECT k.id, k.user_id, k.device_name, k.public_key_pem FROM biometric_keys k
             JOIN users u ON u.tenant_id = k.tenant_id AND u.id = k.user_id
            WHERE k.tenant_id = %s AND k.id = %s AND k.revoked_at IS NULL AND u.status = 'active'""",
        (tenant_id, key_id),
    )


def touch_key(session: Session, tenant_id: int, key_id: int) -> bool:
    """Record a successful sign-in; False when the key was revoked since the challenge was issued."""
    return session.execute(
        """UPDATE biometric_keys SET last_used_at = UTC_TIMESTAMP(6)
            WHERE tenant_id = %s AND id = %s AND revoked_at IS NULL""",
        (tenant_id, key_id),
    ) == 1
