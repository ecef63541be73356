"""SQL of the discount wheel: wheel campaigns, their prizes (wheel_prizes), spins
(discount_wheel_spins) and the coupons and hidden campaigns prizes become.  Tenant-scoped;
nothing here commits.

A wheel is a campaign of type "wheel" with active prizes of its own; the hidden campaign a coupon
prize follows (wheel_prizes.prize_campaign_id, also of type "wheel") has none, so it is never
taken for a wheel.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pymysql

from chalicelib.platform.db import Session, UnitOfWork
from chalicelib.platform.sql import BY_ID

DUPLICATE_KEY = 1062

_PRIZE_COLUMNS = """id, campaign_id, label, kind, value, prize_campaign_id, weight, stock, awarded, valid_days,
       sort_order, is_active, created_at, updated_at"""


# -- the customer's wheel ------------------------------------------------------------------------
def active_wheel(session: Session, tenant_id: int, now: dt.datetime) -> dict[str, Any] | None:
    """The running wheel (highest priority, then oldest): active, in its window, with prizes."""
    return session.one(
        """SELECT c.id, c.name, c.description, c.starts_at, c.ends_at FROM campaigns c
            WHERE c.tenant_id = %s AND c.type = 'wheel' AND c.status = 'active' AND c.deleted_at IS NULL
              AND (c.starts_at IS NULL OR c.starts_at <= %s) AND (c.ends_at IS NULL OR c.ends_at > %s)
              AND EXISTS (SELECT 1 FROM wheel_prizes p
                           WHERE p.tenant_id = c.tenant_id AND p.campaign_id = c.id AND p.is_active = 1)
            ORDER BY c.priority DESC, c.id LIMIT 1""", (tenant_id, now, now))


def slots(session: Session, tenant_id: int, campaign_id: int) -> list[dict[str, Any]]:
    """The wheel's active prizes in slot order (ix_campaign)."""
    return session.all(
        f"""SELECT {_PRIZE_COLUMNS} FROM wheel_prizes
             WHERE tenant_id = %s AND campaign_id = %s AND is_active = 1 ORDER BY sort_order, id""",
        (tenant_id, campaign_id))


def spin_in_period(session: Session, tenant_id: int, campaign_id: int, user_id: int,
                   period_key: str) -> dict[str, Any] | None:
    return session.one("""SELECT id FROM discount_wheel_spins
                           WHERE tenant_id = %s AND campaign_id = %s AND user_id = %s AND period_key = %s""",
                       (tenant_id, campaign_id, user_id, period_key))


def insert_spin(uow: UnitOfWork, tenant_id: int, campaign_id: int, user_id: int, spin_date: dt.date,
                period_key: str) -> int | None:
    """The spin's row first (ux_period); None when the customer already spun in the period.  A
    concurrent spin of the same period waits on this row until the first commits (then it is a
    duplicate) or rolls back (then it goes ahead)."""
    return _insert_unique(uow, """INSERT INTO discount_wheel_spins (tenant_id, campaign_id, user_id, spin_date,
                                                                   period_key, prize)
                                  VALUES (%s, %s, %s, %s, %s, '{}')""",
                          (tenant_id, campaign_id, user_id, spin_date, period_key))


def _insert_unique(uow: UnitOfWork, sql: str, params: tuple[Any, ...]) -> int | None:
    """INSERT; None on a duplicate key (InnoDB undoes the statement only: the transaction goes on)."""
    try:
        return uow.insert(sql, params)
    except pymysql.err.IntegrityError as exc:
        if exc.args and exc.args[0] == DUPLICATE_KEY:
            return None
        raise


def claim_prize(uow: UnitOfWork, tenant_id: int, prize_id: int) -> bool:
    """One unit of the prize's stock, if it has one left (the conditional UPDATE is the truth)."""
    return uow.execute(
        f"""UPDATE wheel_prizes {BY_ID} SET awarded = awarded + 1
            WHERE tenant_id = %s AND id = %s AND is_active = 1 AND (stock IS NULL OR awarded + 1 <= stock)""",
        (tenant_id, prize_id)) == 1


def insert_coupon(uow: UnitOfWork, tenant_id: int, campaign_id: int, user_id: int, code: str,
                  starts_at: dt.datetime, ends_at: dt.datetime, description: str) -> int | None:
    """A personal single-use coupon of the prize's hidden campaign; None if the code is taken."""
    return _insert_unique(uow,
        """INSERT INTO coupons (tenant_id, campaign_id, code, description, usage_limit, usage_limit_per_user, user_id,
                                starts_at, ends_at, is_active, source)
           VALUES (%s, %s, %s, %s, 1, 1, %s, %s, %s, 1, 'wheel')""",
        (tenant_id, campaign_id, code, description[:255], user_id, starts_at, ends_at))


def finish_spin(uow: UnitOfWork, tenant_id: int, spin_id: int, prize: dict[str, Any], prize_id: int,
                coupon_id: int | None) -> None:
    uow.execute(f"UPDATE discount_wheel_spins {BY_ID} SET prize = %s, prize_id = %s, coupon_id = %s WHERE tenant_id = %s "
                "AND id = %s", (json.dumps(prize, default=str), prize_id, coupon_id, tenant_id, spin_id))


def spin(session: Session, tenant_id: int, user_id: int, spin_id: int) -> dict[str, Any] | None:
    """A customer's spin with its coupon's code and end."""
    return session.one(
        """SELECT s.id, s.campaign_id, s.period_key, s.prize, s.prize_id, s.created_at, c.code AS coupon_code,
                  c.ends_at AS coupon_ends_at
             FROM discount_wheel_spins s
             LEFT JOIN coupons c ON c.tenant_id = s.tenant_id AND c.id = s.coupon_id
            WHERE s.tenant_id = %s AND s.id = %s AND s.user_id = %s""", (tenant_id, spin_id, user_id))


# -- staff: prizes ----------------------------------------------------------------------------------
def campaign(session: Session, tenant_id: int, campaign_id: int) -> dict[str, Any] | None:
    """A campaign with whether it is some prize's hidden campaign."""
    return session.one(
        """SELECT c.id, c.name, c.type, c.deleted_at,
                  EXISTS (SELECT 1 FROM wheel_prizes p
                           WHERE p.tenant_id = c.tenant_id AND p.prize_campaign_id = c.id) AS is_prize_campaign
             FROM campaigns c WHERE c.tenant_id = %s AND c.id = %s""", (tenant_id, campaign_id))


def prizes(session: Session, tenant_id: int, campaign_id: int) -> list[dict[str, Any]]:
    return slots(session, tenant_id, campaign_id)


def prize(session: Session, tenant_id: int, prize_id: int, *, lock: bool = False) -> dict[str, Any] | None:
    return session.one(f"SELECT {_PRIZE_COLUMNS} FROM wheel_prizes WHERE tenant_id = %s AND id = %s AND is_active = 1"
                       + (" FOR UPDATE" if lock else ""), (tenant_id, prize_id))


def insert_prize(uow: UnitOfWork, tenant_id: int, campaign_id: int, values: dict[str, Any]) -> int:
    return uow.insert(
        """INSERT INTO wheel_prizes (tenant_id, campaign_id, label, kind, value, prize_campaign_id, weight, stock,
                                     valid_days, sort_order)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (tenant_id, campaign_id, values["label"], values["kind"], values["value"], values["prize_campaign_id"],
         values["weight"], values["stock"], values["valid_days"], values["sort_order"]))


def update_prize(uow: UnitOfWork, tenant_id: int, prize_id: int, values: dict[str, Any]) -> None:
    uow.execute(
        f"""UPDATE wheel_prizes {BY_ID} SET label = %s, kind = %s, value = %s, prize_campaign_id = %s, weight = %s, stock = %s,
                                   valid_days = %s, sort_order = %s
            WHERE tenant_id = %s AND id = %s""",
        (values["label"], values["kind"], values["value"], values["prize_campaign_id"], values["weight"],
         values["stock"], values["valid_days"], values["sort_order"], tenant_id, prize_id))


def deactivate_prize(uow: UnitOfWork, tenant_id: int, prize_id: int) -> None:
    uow.execute(f"UPDATE wheel_prizes {BY_ID} SET is_active = 0 WHERE tenant_id = %s AND id = %s", (tenant_id, prize_id))


def insert_prize_campaign(uow: UnitOfWork, tenant_id: int, name: str, rules: dict[str, Any],
                          created_by: int | None) -> int:
    """The hidden campaign whose rules a won coupon follows: type wheel (a code is needed), active,
    priority 0, not stackable, no window of its own (each coupon has one)."""
    return uow.insert(
        """INSERT INTO campaigns (tenant_id, name, type, rules, priority, is_stackable, status, created_by)
           VALUES (%s, %s, 'wheel', %s, 0, 0, 'active', %s)""", (tenant_id, name[:200], json.dumps(rules), created_by))


def update_prize_campaign(uow: UnitOfWork, tenant_id: int, campaign_id: int, name: str, rules: dict[str, Any],
                          status: str) -> None:
    uow.execute(f"UPDATE campaigns {BY_ID} SET name = %s, rules = %s, status = %s WHERE tenant_id = %s AND id = %s",
                (name[:200], json.dumps(rules), status, tenant_id, campaign_id))
