"""SQL for roles and their permissions, and the admin view of users and the roles they hold.

Every query names the tenant.  Column names are never taken from input.  Users and which roles
they hold (user_roles) are the accounts area's tables: they are read here and changed through
chalicelib.accounts.api (creation, names, status, role grants, sessions).
"""
from __future__ import annotations

from typing import Any

from chalicelib.platform.db import Session
from chalicelib.platform.sql import marks

ALL = "*"


# -- roles -------------------------------------------------------------------------------------
def lock_roles(session: Session, tenant_id: int) -> None:
    """Lock every role row of the tenant, in primary-key order.

    Every change that can add or remove a '*' holder (role permissions, user roles, user
    status) takes this first, so two admins demoting each other at the same moment are
    serialised and the second sees the first's result before the lock-out check."""
    session.all("SELECT id FROM roles WHERE tenant_id = %s ORDER BY id FOR UPDATE", (tenant_id,))


_ROLE_COLUMNS = "r.id, r.name, r.description, r.is_system, r.created_at, r.updated_at"
_MEMBERS = """(SELECT COUNT(*) FROM user_roles ur JOIN users u ON u.tenant_id = ur.tenant_id AND u.id = ur.user_id
                WHERE ur.tenant_id = r.tenant_id AND ur.role_id = r.id AND u.status <> 'deleted') AS member_count"""


def list_roles(session: Session, tenant_id: int) -> list[dict[str, Any]]:
    return session.all(f"SELECT {_ROLE_COLUMNS}, {_MEMBERS} FROM roles r WHERE r.tenant_id = %s ORDER BY r.name",
                       (tenant_id,))


def get_role(session: Session, tenant_id: int, role_id: int) -> dict[str, Any] | None:
    return session.one(f"SELECT {_ROLE_COLUMNS}, {_MEMBERS} FROM roles r WHERE r.tenant_id = %s AND r.id = %s",
                       (tenant_id, role_id))


def roles_by_name(session: Session, tenant_id: int, names: list[str]) -> dict[str, int]:
    if not names:
        return {}
    rows = session.all(f"SELECT id, name FROM roles WHERE tenant_id = %s AND name IN ({marks(names)})",
                       (tenant_id, *names))
    return {r["name"]: int(r["id"]) for r in rows}


def permissions_by_role(session: Session, tenant_id: int, role_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {rid: [] for rid in role_ids}
    if not role_ids:
        return out
    rows = session.all(
        f"""SELECT role_id, permission FROM role_permissions
             WHERE tenant_id = %s AND role_id IN ({marks(role_ids)}) ORDER BY permission""",
        (tenant_id, *role_ids),
    )
    for r in rows:
        out[int(r["role_id"])].append(r["permission"])
    return out


def insert_role(session: Session, tenant_id: int, name: str, description: str, *, is_system: bool = False) -> int:
    return session.insert("INSERT INTO roles (tenant_id, name, description, is_system) VALUES (%s, %s, %s, %s)",
                          (tenant_id, name, description, int(is_system)))


def add_role_permissions(session: Session, tenant_id: int, role_id: int, permissions: list[str]) -> None:
    session.executemany("INSERT INTO role_permissions (tenant_id, role_id, permission) VALUES (%s, %s, %s)",
                        [(tenant_id, role_id, p) for p in permissions])


def update_role(session: Session, tenant_id: int, role_id: int, fields: dict[str, Any]) -> None:
    assert set(fields) <= {"name", "description"}, "column names are never taken from input"
    if fields:
        assignments = ", ".join(f"{k} = %s" for k in fields)
        session.execute(f"UPDATE roles SET {assignments} WHERE tenant_id = %s AND id = %s",
                        (*fields.values(), tenant_id, role_id))


def replace_role_permissions(session: Session, tenant_id: int, role_id: int, permissions: list[str]) -> None:
    session.execute("DELETE FROM role_permissions WHERE tenant_id = %s AND role_id = %s", (tenant_id, role_id))
    add_role_permissions(session, tenant_id, role_id, permissions)
    # updated_at records permission changes too (the roles row itself may not have changed)
    session.execute("UPDATE roles SET updated_at = UTC_TIMESTAMP(6) WHERE tenant_id = %s AND id = %s",
                    (tenant_id, role_id))


def delete_role(session: Session, tenant_id: int, role_id: int) -> None:
    session.execute("DELETE FROM roles WHERE tenant_id = %s AND id = %s", (tenant_id, role_id))


def role_member_ids(session: Session, tenant_id: int, role_id: int) -> list[int]:
    rows = session.all("SELECT user_id FROM user_roles WHERE tenant_id = %s AND role_id = %s ORDER BY user_id",
                       (tenant_id, role_id))
    return [int(r["user_id"]) for r in rows]


# -- who holds what ----------------------------------------------------------------------------
def permissions_of(session: Session, tenant_id: int, user_id: int) -> set[str]:
    rows = session.all(
        """SELECT DISTINCT rp.permission
             FROM user_roles ur
             JOIN role_permissions rp ON rp.tenant_id = ur.tenant_id AND rp.role_id = ur.role_id
            WHERE ur.tenant_id = %s AND ur.user_id = %s""",
        (tenant_id, user_id),
    )
    return {r["permission"] for r in rows}


def active_superusers(session: Session, tenant_id: int) -> int:
    """Active staff users holding '*' through any role: the people who can undo any mistake."""
    return int(session.scalar(
        """SELECT COUNT(DISTINCT u.id)
             FROM users u
             JOIN user_roles ur ON ur.tenant_id = u.tenant_id AND ur.user_id = u.id
             JOIN role_permissions rp ON rp.tenant_id = ur.tenant_id AND rp.role_id = ur.role_id
            WHERE u.tenant_id = %s AND u.status = 'active' AND u.is_staff = 1 AND rp.permission = %s""",
        (tenant_id, ALL),
    ))


def roles_of_users(session: Session, tenant_id: int, user_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {uid: [] for uid in user_ids}
    if not user_ids:
        return out
    rows = session.all(
        f"""SELECT ur.user_id, r.name FROM user_roles ur
              JOIN roles r ON r.tenant_id = ur.tenant_id AND r.id = ur.role_id
             WHERE ur.tenant_id = %s AND ur.user_id IN ({marks(user_ids)}) ORDER BY r.name""",
        (tenant_id, *user_ids),
    )
    for r in rows:
        out[int(r["user_id"])].append(r["name"])
    return out


# -- users -------------------------------------------------------------------------------------
# Never password_hash, phone_enc, totp_secret_enc or national_id_enc: not even into memory here.
_USER_COLUMNS = """id, email, first_name, last_name, language, status, is_staff, last_login_at,
                   email_verified_at, totp_enabled_at IS NOT NULL AS totp_enabled, created_at, updated_at"""


def get_user(session: Session, tenant_id: int, user_id: int, *, for_update: bool = False) -> dict[str, Any] | None:
    return session.one(
        f"SELECT {_USER_COLUMNS} FROM users WHERE tenant_id = %s AND id = %s AND status <> 'deleted'"
        + (" FOR UPDATE" if for_update else ""),
        (tenant_id, user_id),
    )


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def list_users(session: Session, tenant_id: int, *, q: str | None, role: str | None, status: str | None,
               is_staff: bool | None, before_id: int | None, limit: int) -> list[dict[str, Any]]:
    """Newest first, keyset on id.  Names are utf8mb4_turkish_ci, so 'IŞIK' finds 'Işık' and
    'İPEK' finds 'ipek'; e-mails are stored lower-cased (binary collation), so the search text
    is lower-cased for them."""
    where: list[str] = ["u.tenant_id = %s"]
    params: list[Any] = [tenant_id]
    if status is None:
        where.append("u.status <> 'deleted'")
    else:
        where.append("u.status = %s")
        params.append(status)
    if is_staff is not None:
        where.append("u.is_staff = %s")
        params.append(int(is_staff))
    if q is not None:
        where.append("(u.email LIKE %s OR u.first_name LIKE %s OR u.last_name LIKE %s"
                     " OR CONCAT_WS(' ', u.first_name, u.last_name) LIKE %s)")
        pattern = _like(q.strip())
        params += [_like(q.strip().lower()), pattern, pattern, pattern]
    if role is not None:
        where.append("""EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.tenant_id = ur.tenant_id AND r.id = ur.role_id
                               WHERE ur.tenant_id = u.tenant_id AND ur.user_id = u.id AND r.name = %s)""")
        params.append(role)
    if before_id is not None:
        where.append("u.id < %s")
        params.append(before_id)
    params.append(limit)
    columns = ", ".join(f"u.{c.strip()}" for c in
                        ("id", "email", "first_name", "last_name", "status", "is_staff", "last_login_at", "created_at"))
    return session.all(f"SELECT {columns} FROM users u WHERE {' AND '.join(where)} ORDER BY u.id DESC LIMIT %s",
                       params)
