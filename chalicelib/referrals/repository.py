"""SQL of the referrals area's own tables (referral_codes, referrals, referral_earnings), always
tenant-scoped; the customer's own rows also name the user, so another customer's id matches nothing.
The read models of other areas' tables (fraud checks, claim rules) are in checks.py; the one join
here is users (the referees' names on the referrer's history, masked by the service).

Lock order: the referral row (`referral(..., lock=True)`), then its earnings rows.
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from chalicelib.platform.db import Session, UnitOfWork
from chalicelib.platform.keyset import Keyset, Position
from chalicelib.platform.sql import BY_ID

NEWEST = Keyset("referrals-newest", ("r.created_at",), (dt.datetime,), id_column="r.id")
_REFERRAL = ("r.id, r.referrer_user_id, r.referred_user_id, r.referral_code, r.status, r.order_id, r.fraud_flags, "
             "r.qualified_at, r.rewarded_at, r.reversed_at, r.created_at")


def _decoded(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is not None and isinstance(row.get("fraud_flags"), (str, bytes)):
        row["fraud_flags"] = json.loads(row["fraud_flags"])
    return row


# -- codes -------------------------------------------------------------------------------------------
def code_of(session: Session, tenant_id: int, user_id: int) -> str | None:
    found = session.scalar("SELECT code FROM referral_codes WHERE tenant_id = %s AND user_id = %s", (tenant_id, user_id))
    return None if found is None else str(found)


def insert_code(session: Session, tenant_id: int, user_id: int, code: str) -> None:
    """INSERT IGNORE: the user's code made meanwhile, or the code taken, both leave the row out."""
    session.execute("INSERT IGNORE INTO referral_codes (tenant_id, user_id, code) VALUES (%s, %s, %s)",
                    (tenant_id, user_id, code))


def owner_of_code(session: Session, tenant_id: int, code: str) -> int | None:
    found = session.scalar("SELECT user_id FROM referral_codes WHERE tenant_id = %s AND code = %s", (tenant_id, code))
    return None if found is None else int(found)


# -- referrals ---------------------------------------------------------------------------------------
def referral(session: Session, tenant_id: int, referral_id: int, *, lock: bool = False) -> dict[str, Any] | None:
    suffix = " FOR UPDATE" if lock else ""
    return _decoded(session.one(f"SELECT {_REFERRAL} FROM referrals r WHERE r.tenant_id = %s AND r.id = %s{suffix}",
                                (tenant_id, referral_id)))


def referral_of_referee(session: Session, tenant_id: int, user_id: int) -> dict[str, Any] | None:
    return _decoded(session.one(f"SELECT {_REFERRAL} FROM referrals r WHERE r.tenant_id = %s "
                                "AND r.referred_user_id = %s", (tenant_id, user_id)))


def insert_referral(uow: UnitOfWork, tenant_id: int, referrer: int, referee: int, code: str) -> bool:
    """False when the referee was referred meanwhile (ux_referred)."""
    return uow.execute("""INSERT IGNORE INTO referrals (tenant_id, referrer_user_id, referred_user_id, referral_code)
                          VALUES (%s, %s, %s, %s)""", (tenant_id, referrer, referee, code)) == 1


def set_outcome(uow: UnitOfWork, tenant_id: int, referral_id: int, status: str, now: dt.datetime, *,
                order_id: int | None = None, flags: list[str] | None = None) -> None:
    """The referral qualified (rewarded or rejected, with its order and flags), or was rewarded by staff."""
    uow.execute(
        f"""UPDATE referrals {BY_ID} SET status = %s, order_id = COALESCE(%s, order_id),
                  fraud_flags = COALESCE(%s, fraud_flags), qualified_at = COALESCE(qualified_at, %s),
                  rewarded_at = IF(%s = 'rewarded', %s, rewarded_at)
            WHERE tenant_id = %s AND id = %s""",
        (status, order_id, None if flags is None else json.dumps(flags), now, status, now, tenant_id, referral_id))


def set_reversed(uow: UnitOfWork, tenant_id: int, referral_id: int, now: dt.datetime) -> None:
    uow.execute(f"UPDATE referrals {BY_ID} SET status = 'reversed', reversed_at = %s WHERE tenant_id = %s AND id = %s",
                (now, tenant_id, referral_id))


def referrer_page(session: Session, tenant_id: int, user_id: int, position: Position | None,
                  limit: int) -> list[dict[str, Any]]:
    """The customer's referees, newest first, with their names (users read model: masked by the service)."""
    tail, params = NEWEST.page(["r.tenant_id = %s", "r.referrer_user_id = %s"], [tenant_id, user_id], position, limit)
    return session.all(
        f"""SELECT r.id, r.status, r.created_at, r.qualified_at, r.rewarded_at, r.reversed_at,
                   u.first_name, u.last_name
              FROM referrals r
              JOIN users u ON u.tenant_id = r.tenant_id AND u.id = r.referred_user_id {tail}""", params)


def admin_page(session: Session, tenant_id: int, status: str | None, position: Position | None,
               limit: int) -> list[dict[str, Any]]:
    where: list[str] = ["r.tenant_id = %s"]
    params: list[Any] = [tenant_id]
    if status is not None:
        where, params = [*where, "r.status = %s"], [*params, status]
    tail, values = NEWEST.page(where, params, position, limit)
    rows = session.all(f"SELECT {_REFERRAL} FROM referrals r {tail}", values)
    return [r for r in (_decoded(row) for row in rows) if r is not None]


# -- earnings ----------------------------------------------------------------------------------------
def insert_earning(uow: UnitOfWork, tenant_id: int, referral_id: int, user_id: int, role: str, order_id: int | None,
                   amount: Decimal, currency: str, journal_id: int | None, now: dt.datetime) -> None:
    uow.execute(
        """INSERT INTO referral_earnings (tenant_id, referral_id, user_id, role, order_id, amount, currency, status,
                                          journal_id, credited_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s, 'credited', %s, %s)""",
        (tenant_id, referral_id, user_id, role, order_id, amount, currency, journal_id, now))


def earnings(session: Session, tenant_id: int, referral_id: int, *, lock: bool = False) -> list[dict[str, Any]]:
    suffix = " FOR UPDATE" if lock else ""
    return session.all(f"""SELECT id, user_id, role, amount, currency, status, journal_id, reversed_amount
                             FROM referral_earnings WHERE tenant_id = %s AND referral_id = %s
                            ORDER BY id{suffix}""", (tenant_id, referral_id))


def earnings_of(session: Session, tenant_id: int, referral_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The earnings of a page of referrals, by referral."""
    if not referral_ids:
        return {}
    marks = ", ".join(["%s"] * len(referral_ids))
    rows = session.all(f"""SELECT id, referral_id, user_id, role, amount, currency, status, journal_id, reversed_amount,
                                  credited_at, reversed_at
                             FROM referral_earnings WHERE tenant_id = %s AND referral_id IN ({marks})
                            ORDER BY id""", (tenant_id, *referral_ids))
    found: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        found.setdefault(int(row["referral_id"]), []).append(row)
    return found


def set_earning_reversed(uow: UnitOfWork, tenant_id: int, earning_id: int, taken: Decimal, now: dt.datetime) -> None:
    uow.execute(f"""UPDATE referral_earnings {BY_ID} SET status = 'reversed', reversed_amount = %s, reversed_at = %s
                    WHERE tenant_id = %s AND id = %s""", (taken, now, tenant_id, earning_id))


def earnings_summary(session: Session, tenant_id: int, user_id: int) -> dict[str, Decimal]:
    """What the customer earned: credited (still theirs), reversed (taken back)."""
    row = session.one(
        """SELECT COALESCE(SUM(amount - reversed_amount), 0) AS credited, COALESCE(SUM(reversed_amount), 0) AS reversed
             FROM referral_earnings WHERE tenant_id = %s AND user_id = %s""", (tenant_id, user_id)) or {}
    cent = Decimal("0.01")
    return {"credited": Decimal(row.get("credited") or 0).quantize(cent),
            "reversed": Decimal(row.get("reversed") or 0).quantize(cent)}


def waiting_referees(session: Session, tenant_id: int, user_id: int) -> int:
    """The customer's referees whose first order is still to be delivered."""
    return int(session.scalar("SELECT COUNT(*) FROM referrals WHERE tenant_id = %s AND referrer_user_id = %s "
                              "AND status = 'registered'", (tenant_id, user_id)) or 0)


def tenant_settings(session: Session, tenant_id: int) -> dict[str, Any]:
    raw = session.scalar("SELECT settings FROM tenants WHERE id = %s", (tenant_id,))
    found = json.loads(raw) if isinstance(raw, (str, bytes)) else raw
    return found if isinstance(found, dict) else {}
