"""SQL for addresses.  Every statement names the tenant *and* the owning user, so an address id
of another user or tenant simply matches nothing (the API turns that into 404).

Locking: every write first locks the owner's `users` row (`lock_owner`), then touches
addresses.  One lock per user serialises that user's address writes, which is what makes the
20-address limit and "exactly one default per type" hold under concurrent requests (READ
COMMITTED takes no gap locks, so locking existing address rows alone could not stop a
concurrent insert).  The unique key on (tenant, user, type, default_marker) stays as the last
line of defence.
"""
from __future__ import annotations

from typing import Any

from chalicelib.platform.db import Session
from chalicelib.platform.sql import marks

COLUMNS = (
    "id, address_type, entity_type, title, first_name, last_name, phone, phone_enc, company_name, tax_office,"
    " tax_number_enc, national_id_enc, country_code, il, ilce, mahalle, address_line, posta_kodu,"
    " lat, lng, place_id, geocode_status, geocode_precision, is_default, created_at, updated_at"
)
# Columns a write may set; names are never taken from input.
WRITABLE = frozenset({
    "address_type", "entity_type", "title", "first_name", "last_name", "phone", "phone_enc", "company_name",
    "tax_office", "tax_number_enc", "national_id_enc", "il", "ilce", "mahalle", "address_line", "posta_kodu",
    "lat", "lng", "place_id", "geocode_status", "geocode_precision", "is_default",
})


def lock_owner(session: Session, tenant_id: int, user_id: int) -> bool:
    """Lock the owner's users row for the rest of the transaction; False when there is no such user."""
    row = session.one("SELECT id FROM users WHERE tenant_id = %s AND id = %s FOR UPDATE", (tenant_id, user_id))
    return row is not None


def count_for_user(session: Session, tenant_id: int, user_id: int) -> int:
    return int(session.scalar("SELECT COUNT(*) FROM addresses WHERE tenant_id = %s AND user_id = %s",
                              (tenant_id, user_id)))


def list_for_user(session: Session, tenant_id: int, user_id: int, address_type: str | None) -> list[dict[str, Any]]:
    """Defaults first, then newest first, per type."""
    where = "tenant_id = %s AND user_id = %s"
    params: list[Any] = [tenant_id, user_id]
    if address_type is not None:
        where += " AND address_type = %s"
        params.append(address_type)
    return session.all(
        f"SELECT {COLUMNS} FROM addresses WHERE {where} ORDER BY address_type, is_default DESC, created_at DESC, id DESC",
        params,
    )


def get(session: Session, tenant_id: int, user_id: int, address_id: int) -> dict[str, Any] | None:
    return session.one(f"SELECT {COLUMNS} FROM addresses WHERE tenant_id = %s AND user_id = %s AND id = %s",
                       (tenant_id, user_id, address_id))


# What an order's snapshot takes of an address (service.order_snapshot), read as one JSON column
# (Session.one_json: one column description for pymysql to parse instead of eighteen, on every
# checkout); the sealed columns come hex-encoded and go back to bytes here.
SNAPSHOT_COLUMNS = ("id", "address_type", "entity_type", "title", "first_name", "last_name", "phone", "company_name",
                    "tax_office", "country_code", "il", "ilce", "mahalle", "address_line", "posta_kodu")
SEALED_COLUMNS = ("phone_enc", "tax_number_enc", "national_id_enc")
_SNAPSHOT = ("SELECT JSON_OBJECT(" + ", ".join([f"'{c}', {c}" for c in SNAPSHOT_COLUMNS]
                                               + [f"'{c}', HEX({c})" for c in SEALED_COLUMNS])
             + ") FROM addresses WHERE tenant_id = %s AND user_id = %s AND id = %s")


def get_for_snapshot(session: Session, tenant_id: int, user_id: int, address_id: int) -> dict[str, Any] | None:
    """SNAPSHOT_COLUMNS and SEALED_COLUMNS of the user's address (bytes, as `get` has them)."""
    row: dict[str, Any] | None = session.one_json(_SNAPSHOT, (tenant_id, user_id, address_id))
    if row is not None:
        for column in SEALED_COLUMNS:
            if row[column] is not None:
                row[column] = bytes.fromhex(row[column])
    return row


def has_default(session: Session, tenant_id: int, user_id: int, address_type: str) -> bool:
    return session.one(
        "SELECT id FROM addresses WHERE tenant_id = %s AND user_id = %s AND address_type = %s AND is_default = 1",
        (tenant_id, user_id, address_type),
    ) is not None


def newest_id(session: Session, tenant_id: int, user_id: int, address_type: str) -> int | None:
    value = session.scalar(
        """SELECT id FROM addresses WHERE tenant_id = %s AND user_id = %s AND address_type = %s
            ORDER BY created_at DESC, id DESC LIMIT 1""",
        (tenant_id, user_id, address_type),
    )
    return None if value is None else int(value)


def insert(session: Session, tenant_id: int, user_id: int, values: dict[str, Any]) -> int:
    _check_columns(values)
    names = ", ".join(values)
    return session.insert(f"INSERT INTO addresses (tenant_id, user_id, {names}) VALUES (%s, %s, {marks(values)})",
                          (tenant_id, user_id, *values.values()))


def update(session: Session, tenant_id: int, user_id: int, address_id: int, values: dict[str, Any]) -> None:
    _check_columns(values)
    if not values:
        return
    assignments = ", ".join(f"{name} = %s" for name in values)
    session.execute(f"UPDATE addresses SET {assignments} WHERE tenant_id = %s AND user_id = %s AND id = %s",
                    (*values.values(), tenant_id, user_id, address_id))


def clear_default(session: Session, tenant_id: int, user_id: int, address_type: str) -> None:
    # Must run before the new default is set: the unique key is checked row by row, not at commit.
    session.execute(
        """UPDATE addresses SET is_default = 0
            WHERE tenant_id = %s AND user_id = %s AND address_type = %s AND is_default = 1""",
        (tenant_id, user_id, address_type),
    )


def set_default(session: Session, tenant_id: int, user_id: int, address_id: int) -> None:
    session.execute("UPDATE addresses SET is_default = 1 WHERE tenant_id = %s AND user_id = %s AND id = %s",
                    (tenant_id, user_id, address_id))


def delete(session: Session, tenant_id: int, user_id: int, address_id: int) -> int:
    return session.execute("DELETE FROM addresses WHERE tenant_id = %s AND user_id = %s AND id = %s",
                           (tenant_id, user_id, address_id))


def delete_all_for_user(session: Session, tenant_id: int, user_id: int) -> int:
    return session.execute("DELETE FROM addresses WHERE tenant_id = %s AND user_id = %s", (tenant_id, user_id))


def _check_columns(values: dict[str, Any]) -> None:
    unknown = set(values) - WRITABLE
    assert not unknown, f"not writable: {sorted(unknown)}"
