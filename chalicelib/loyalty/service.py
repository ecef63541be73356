"""The loyalty area's rules around its rows: tiers (staff CRUD), a customer's level view, the
evaluation of a member's level and the daily sweep of levels whose retention ran out.

The level rule itself is in rules.py (and repeated in api.py's docstring).  Points come from the
loyalty-events consumer (points.py); every change of points re-evaluates the member in the same
transaction (`evaluate`), and the daily job (handlers.py) re-evaluates members whose retained_until
has passed, which is when a downgrade can happen.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import pymysql

from chalicelib.platform import audit
from chalicelib.platform.db import Database, UnitOfWork, get_db
from chalicelib.platform.logging import get_logger

from . import repository as repo
from . import rules
from .errors import LevelCodeTaken, LevelInUse, LevelNotFound

log = get_logger("loyalty.service")
HISTORY = 20
DUPLICATE_KEY = 1062


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "benefits": rules.benefits_of(row.get("benefits"))}


# -- tiers (staff) ---------------------------------------------------------------------------------
def list_levels(tenant_id: int) -> list[dict[str, Any]]:
    return [_shown(r) for r in repo.levels(get_db().reader(), tenant_id)]


def _values(body: dict[str, Any]) -> dict[str, Any]:
    benefits = rules.benefits_of(body.get("benefits"))
    return {**body, "description": body.get("description"), "benefits": benefits,
            "bonus_rate": benefits["extra_bonus_percent"]}


def _code_unique(work: Any) -> dict[str, Any]:
    """Run a tier write; a concurrent writer of the same code (ux_code) is 409 level_code_taken."""
    try:
        result: dict[str, Any] = get_db().transaction(work)
    except pymysql.err.IntegrityError as exc:
        if exc.args and exc.args[0] == DUPLICATE_KEY:
            raise LevelCodeTaken() from exc
        raise
    return result


def create_level(tenant_id: int, body: dict[str, Any]) -> dict[str, Any]:
    values = _values(body)

    def work(uow: UnitOfWork) -> dict[str, Any]:
        if repo.code_taken(uow, tenant_id, values["code"]):
            raise LevelCodeTaken()
        level_id = repo.insert_level(uow, tenant_id, values)
        audit.record(uow, tenant_id, "loyalty.level_created", entity_type="user_level", entity_id=level_id,
                     after=values)
        row = repo.level(uow, tenant_id, level_id)
        uow.commit()
        assert row is not None
        return _shown(row)

    return _code_unique(work)


def update_level(tenant_id: int, level_id: int, body: dict[str, Any]) -> dict[str, Any]:
    values = _values(body)

    def work(uow: UnitOfWork) -> dict[str, Any]:
        before = repo.level(uow, tenant_id, level_id, lock=True)
        if before is None:
            raise LevelNotFound()
        if repo.code_taken(uow, tenant_id, values["code"], except_id=level_id):
            raise LevelCodeTaken()
        repo.update_level(uow, tenant_id, level_id, values)
        audit.record(uow, tenant_id, "loyalty.level_updated", entity_type="user_level", entity_id=level_id,
                     before=_shown(before), after=values)
        row = repo.level(uow, tenant_id, level_id)
        uow.commit()
        assert row is not None
        return _shown(row)

    return _code_unique(work)


def delete_level(tenant_id: int, level_id: int) -> None:
    """Only a tier nobody holds (409 level_in_use otherwise: the members' levels stay truthful)."""

    def work(uow: UnitOfWork) -> None:
        before = repo.level(uow, tenant_id, level_id, lock=True)
        if before is None:
            raise LevelNotFound()
        if repo.level_held(uow, tenant_id, level_id):
            raise LevelInUse()
        repo.delete_level(uow, tenant_id, level_id)
        audit.record(uow, tenant_id, "loyalty.level_deleted", entity_type="user_level", entity_id=level_id,
                     before=_shown(before))
        uow.commit()

    get_db().transaction(work)


# -- a customer's level ------------------------------------------------------------------------------
def my_level(tenant_id: int, user_id: int, now: dt.datetime | None = None) -> dict[str, Any]:
    """The level view: the tier held, points of the last 365 days, the next tier and the way there."""
    now = now or utcnow()
    session = get_db().reader()
    tiers = [_shown(t) for t in repo.levels(session, tenant_id)]
    member = repo.member(session, tenant_id, user_id)
    points = repo.points_since(session, tenant_id, user_id, now - rules.YEAR)
    level_id = None if member is None else member["level_id"]
    held = next((t for t in tiers if int(t["id"]) == level_id), None)
    ahead = rules.progress(tiers, level_id if held else None, points)
    return {
        "levels_configured": bool(tiers), "level": held, "points_12m": points, "next_level": ahead["next"],
        "points_to_next": ahead["points_to_next"], "progress_percent": ahead["progress_percent"],
        "retained_until": member["retained_until"] if member and held else None,
        "benefits": held["benefits"] if held else dict(rules.NO_BENEFITS),
        "history": repo.history(session, tenant_id, user_id, HISTORY),
    }


# -- evaluation ------------------------------------------------------------------------------------
def evaluate(uow: UnitOfWork, tenant_id: int, user_id: int, now: dt.datetime) -> dict[str, Any] | None:
    """Apply the level rule to the (locked) member in the caller's transaction; returns the tier
    held afterwards (None: no level)."""
    member = repo.lock_member(uow, tenant_id, user_id)
    tiers = repo.levels(uow, tenant_id)
    points = repo.points_since(uow, tenant_id, user_id, now - rules.YEAR)
    held = rules.Standing(member["level_id"], member["level_since"], member["retained_until"])
    after = rules.decide(tiers, held, points, now)
    if after != held:
        repo.set_member(uow, tenant_id, user_id, *after)
        if after.level_id != held.level_id:
            log.info("level changed", extra={"tenant_id": tenant_id, "user_id": user_id,
                                             "from_level": held.level_id, "to_level": after.level_id})
    return next((t for t in tiers if int(t["id"]) == after.level_id), None)


def sweep_retained(db: Database, now: dt.datetime | None = None, *, batch: int = 500) -> int:
    """The daily job: re-evaluate every member whose retained_until has passed (each in its own
    transaction); returns how many were evaluated.  A member still qualifying is kept for another
    year, the others drop to the tier their points reach (or none)."""
    now = now or utcnow()
    done = 0
    for tenant_id in repo.tenants_with_members(db.session()):
        while True:
            due = repo.retained_ended(db.session(), tenant_id, now, batch)
            for user_id in due:
                def work(uow: UnitOfWork, user_id: int = user_id, tenant_id: int = tenant_id) -> None:
                    evaluate(uow, tenant_id, user_id, now)
                    uow.commit()

                db.transaction(work)
            done += len(due)
            if len(due) < batch:
                break
    return done
