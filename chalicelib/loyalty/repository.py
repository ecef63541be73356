"""SQL of the loyalty area (user_levels, loyalty_members, loyalty_points), always tenant-scoped.

Owned: user_levels (the tiers), loyalty_members (a customer's level and until when it is kept),
loyalty_points (one row per order and kind: earn, reverse).  Read model (platform/tables.py
READ_MODELS): tenants.settings (settings.loyalty.points_per_try, settings.wallet.bonus_expiry_days).

Lock order: the member row (`lock_member`), then that member's points rows.  Every change of a
customer's points happens under their member lock, so two events for one customer run in turn.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from chalicelib.platform.db import Session, UnitOfWork
from chalicelib.platform.sql import BY_ID

_LEVEL = ("id, code, name, description, sort_order, min_points, bonus_rate, benefits, created_at, updated_at")
EARN, REVERSE = "earn", "reverse"


def _decoded(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is not None and isinstance(row.get("benefits"), (str, bytes)):
        row["benefits"] = json.loads(row["benefits"])
    return row


# -- tiers -------------------------------------------------------------------------------------------
def levels(session: Session, tenant_id: int) -> list[dict[str, Any]]:
    """The active tiers, lowest first (min_points, then sort_order, then id)."""
    rows = session.all(f"SELECT {_LEVEL} FROM user_levels WHERE tenant_id = %s AND is_active = 1 "
                       "ORDER BY min_points, sort_order, id LIMIT 200", (tenant_id,))
    return [r for r in (_decoded(row) for row in rows) if r is not None]


def level(session: Session, tenant_id: int, level_id: int, *, lock: bool = False) -> dict[str, Any] | None:
    suffix = " FOR UPDATE" if lock else ""
    return _decoded(session.one(f"SELECT {_LEVEL} FROM user_levels WHERE tenant_id = %s AND id = %s "
                                f"AND is_active = 1{suffix}", (tenant_id, level_id)))


def code_taken(session: Session, tenant_id: int, code: str, except_id: int | None = None) -> bool:
    found = session.scalar("SELECT id FROM user_levels WHERE tenant_id = %s AND code = %s", (tenant_id, code))
    return found is not None and int(found) != except_id


def insert_level(uow: UnitOfWork, tenant_id: int, values: dict[str, Any]) -> int:
    return uow.insert(
        """INSERT INTO user_levels (tenant_id, code, name, description, sort_order, min_points, bonus_rate, benefits)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s)""",
        (tenant_id, values["code"], values["name"], values["description"], values["sort_order"],
         values["min_points"], values["bonus_rate"], json.dumps(values["benefits"])))


def update_level(uow: UnitOfWork, tenant_id: int, level_id: int, values: dict[str, Any]) -> None:
    uow.execute(
        f"""UPDATE user_levels {BY_ID} SET code = %s, name = %s, description = %s, sort_order = %s, min_points = %s,
                  bonus_rate = %s, benefits = %s WHERE tenant_id = %s AND id = %s""",
        (values["code"], values["name"], values["description"], values["sort_order"], values["min_points"],
         values["bonus_rate"], json.dumps(values["benefits"]), tenant_id, level_id))


def level_held(session: Session, tenant_id: int, level_id: int) -> bool:
    return session.scalar("SELECT 1 FROM loyalty_members WHERE tenant_id = %s AND level_id = %s LIMIT 1",
                          (tenant_id, level_id)) is not None


def delete_level(uow: UnitOfWork, tenant_id: int, level_id: int) -> None:
    uow.execute("DELETE FROM user_levels WHERE tenant_id = %s AND id = %s", (tenant_id, level_id))


# -- members -----------------------------------------------------------------------------------------
def member(session: Session, tenant_id: int, user_id: int) -> dict[str, Any] | None:
    return session.one("SELECT user_id, level_id, level_since, retained_until FROM loyalty_members "
                       "WHERE tenant_id = %s AND user_id = %s", (tenant_id, user_id))


def member_benefits(session: Session, tenant_id: int, user_id: int) -> dict[str, Any] | None:
    """The member's level code and benefits: one primary-key lookup joined to its tier."""
    return _decoded(session.one(
        """SELECT l.code, l.benefits FROM loyalty_members m
             JOIN user_levels l ON l.tenant_id = m.tenant_id AND l.id = m.level_id
            WHERE m.tenant_id = %s AND m.user_id = %s""", (tenant_id, user_id)))


def members_at_levels(session: Session, tenant_id: int, codes: list[str], after_user_id: int,
                      limit: int) -> list[int]:
    """Members holding any of the level codes, by user id after `after_user_id` (the primary key)."""
    if not codes:
        return []
    marks = ", ".join(["%s"] * len(codes))
    rows = session.all(
        f"""SELECT m.user_id FROM loyalty_members m
              JOIN user_levels l ON l.tenant_id = m.tenant_id AND l.id = m.level_id
             WHERE m.tenant_id = %s AND m.user_id > %s AND l.code IN ({marks})
             ORDER BY m.user_id LIMIT %s""", (tenant_id, after_user_id, *codes, limit))
    return [int(r["user_id"]) for r in rows]


def lock_member(uow: UnitOfWork, tenant_id: int, user_id: int) -> dict[str, Any]:
    """The member row, created empty on first use, locked for this transaction."""
    uow.execute("INSERT IGNORE INTO loyalty_members (tenant_id, user_id) VALUES (%s, %s)", (tenant_id, user_id))
    row = uow.one("SELECT user_id, level_id, level_since, retained_until FROM loyalty_members "
                  "WHERE tenant_id = %s AND user_id = %s FOR UPDATE", (tenant_id, user_id))
    assert row is not None
    return row


def set_member(uow: UnitOfWork, tenant_id: int, user_id: int, level_id: int | None, since: dt.datetime | None,
               retained_until: dt.datetime | None) -> None:
    uow.execute(f"UPDATE loyalty_members {BY_ID} SET level_id = %s, level_since = %s, retained_until = %s "
                "WHERE tenant_id = %s AND user_id = %s", (level_id, since, retained_until, tenant_id, user_id))


def tenants_with_members(session: Session) -> list[int]:
    return [int(r["tenant_id"]) for r in session.all("SELECT DISTINCT tenant_id FROM loyalty_members")]


def retained_ended(session: Session, tenant_id: int, now: dt.datetime, limit: int) -> list[int]:
    """Members whose kept level ran out (ix_retained), soonest first."""
    rows = session.all("SELECT user_id FROM loyalty_members WHERE tenant_id = %s AND retained_until <= %s "
                       "ORDER BY retained_until LIMIT %s", (tenant_id, now, limit))
    return [int(r["user_id"]) for r in rows]


# -- points ------------------------------------------------------------------------------------------
def add_points(uow: UnitOfWork, tenant_id: int, user_id: int, order_id: int, kind: str, points: int,
               earned_at: dt.datetime, note: str | None = None) -> bool:
    """One row per order and kind (ux_order_kind): False when it was there already."""
    return uow.execute(
        """INSERT IGNORE INTO loyalty_points (tenant_id, user_id, order_id, kind, points, earned_at, note)
           VALUES (%s, %s, %s, %s, %s, %s, %s)""",
        (tenant_id, user_id, order_id, kind, points, earned_at, note)) == 1


def order_points(session: Session, tenant_id: int, order_id: int) -> dict[str, dict[str, Any]]:
    """The order's rows by kind (earn, reverse)."""
    rows = session.all("SELECT id, user_id, kind, points, earned_at FROM loyalty_points "
                       "WHERE tenant_id = %s AND order_id = %s FOR UPDATE", (tenant_id, order_id))
    return {r["kind"]: r for r in rows}


def set_points(uow: UnitOfWork, tenant_id: int, row_id: int, points: int) -> None:
    uow.execute(f"UPDATE loyalty_points {BY_ID} SET points = %s WHERE tenant_id = %s AND id = %s", (points, tenant_id, row_id))


def points_since(session: Session, tenant_id: int, user_id: int, since: dt.datetime) -> int:
    """Sum of the points earned after `since` (a reversal counts at its order's earning time)."""
    total = session.scalar("SELECT COALESCE(SUM(points), 0) FROM loyalty_points "
                           "WHERE tenant_id = %s AND user_id = %s AND earned_at > %s", (tenant_id, user_id, since))
    return int(total or 0)


def history(session: Session, tenant_id: int, user_id: int, limit: int) -> list[dict[str, Any]]:
    return session.all("SELECT id, order_id, kind, points, earned_at, created_at FROM loyalty_points "
                       "WHERE tenant_id = %s AND user_id = %s ORDER BY earned_at DESC, id DESC LIMIT %s",
                       (tenant_id, user_id, limit))


def tenant_settings(session: Session, tenant_id: int) -> dict[str, Any]:
    raw = session.scalar("SELECT settings FROM tenants WHERE id = %s", (tenant_id,))
    found = json.loads(raw) if isinstance(raw, (str, bytes)) else raw
    return found if isinstance(found, dict) else {}
