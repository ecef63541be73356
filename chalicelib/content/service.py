"""Staff side of the content area: create, read, update, delete and list stories, sliders and
popups, each write audited (admin_logs) in its transaction; and the apps' cached live lists.

The cache (platform/cache.py, cache-aside) holds per tenant and kind the enabled rows that had not
ended when it was loaded - scheduled ones included - so readers filter by their own clock and a
cached list stays right until a staff write; every write invalidates its kind's key after the
commit (uow.on_commit), so the apps see an edit on their next read.  TTL as a safety net for a
lost invalidation (Redis down at the moment of the write).  Per-viewer parts (seen, frequency
caps) are never cached: feed.py reads them in one indexed query per request.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalicelib.platform import audit, cache
from chalicelib.platform.db import Database, Session, UnitOfWork
from chalicelib.platform.errors import NotFound
from chalicelib.platform.keyset import Position

from . import repository as repo
from . import rules
from .errors import PopupNotFound, SliderNotFound, StoryNotFound

LIVE_TTL = 300
_NOT_FOUND: dict[str, type[NotFound]] = {"story": StoryNotFound, "slider": SliderNotFound, "popup": PopupNotFound}
_TIMES = ("starts_at", "ends_at", "expires_at", "created_at", "updated_at")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def status_of(row: dict[str, Any], now: datetime) -> str:
    end = row.get("expires_at")
    if end is not None and end <= now:
        return "expired"
    if not row["is_active"]:
        return "disabled"
    if row.get("starts_at") is not None and row["starts_at"] > now:
        return "scheduled"
    return "active"


def shows(row: dict[str, Any], now: datetime) -> bool:
    """An enabled row shows between its start (none: at once) and its end (none: never)."""
    starts, ends = row.get("starts_at"), row.get("expires_at")
    return (starts is None or starts <= now) and (ends is None or ends > now)


def _staff(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {**row, "status": status_of(row, now)}


def _not_found(kind: repo.Kind) -> NotFound:
    return _NOT_FOUND[kind.name]()


# -- the apps' cached lists -----------------------------------------------------------------------
def live_key(tenant_id: int, kind: repo.Kind) -> str:
    return cache.tenant_key(tenant_id, "content", kind.name, "live")


def live_rows(db: Database, tenant_id: int, kind: repo.Kind, now: datetime) -> list[dict[str, Any]]:
    """The kind's rows showing at `now`, in the apps' order, from the cache when it holds them."""
    rows = cache.get_or_load(live_key(tenant_id, kind), LIVE_TTL,
                             lambda: repo.live(db.reader(), kind, tenant_id, utcnow())) or []
    return [row for row in (_revived(r) for r in rows) if shows(row, now)]


def _revived(row: dict[str, Any]) -> dict[str, Any]:
    """A row as loaded, or as it came back from the cache's JSON (times as "…Z" text)."""
    for name in _TIMES:
        value = row.get(name)
        if isinstance(value, str):
            row[name] = datetime.fromisoformat(value).replace(tzinfo=None)
    return row


def _invalidate(uow: UnitOfWork, tenant_id: int, kind: repo.Kind) -> None:
    key = live_key(tenant_id, kind)

    def drop() -> None:
        try:
            cache.invalidate(key)
        except cache.redis_errors():  # the TTL ends the stale list; the write itself succeeded
            pass

    uow.on_commit(drop)


# -- staff CRUD -------------------------------------------------------------------------------------
def _load(session: Session, kind: repo.Kind, tenant_id: int, item_id: int, *, lock: bool = False) -> dict[str, Any]:
    row = repo.get(session, kind, tenant_id, item_id, lock=lock)
    if row is None:
        raise _not_found(kind)
    return row


def create(db: Database, tenant_id: int, kind: repo.Kind, values: dict[str, Any],
           now: datetime | None = None) -> dict[str, Any]:
    values = rules.check(kind.name, values)

    def work(uow: UnitOfWork) -> dict[str, Any]:
        item_id = repo.insert(uow, kind, tenant_id, values)
        row = _load(uow, kind, tenant_id, item_id)
        audit.record(uow, tenant_id, f"{kind.name}.create", entity_type=kind.name, entity_id=item_id, after=row)
        _invalidate(uow, tenant_id, kind)
        uow.commit()
        return row

    return _staff(db.transaction(work), now or utcnow())


def update(db: Database, tenant_id: int, kind: repo.Kind, item_id: int, changes: dict[str, Any],
           now: datetime | None = None) -> dict[str, Any]:
    """A partial update, judged on the merged row like a create; audited with before and after.
    An empty body changes nothing and answers the row as it is."""
    if not changes:
        return get(db, tenant_id, kind, item_id, now)

    def work(uow: UnitOfWork) -> dict[str, Any]:
        before = _load(uow, kind, tenant_id, item_id, lock=True)
        merged = rules.check(kind.name, {**before, **changes})
        repo.update(uow, kind, tenant_id, item_id, {k: merged[k] for k in changes})
        after = _load(uow, kind, tenant_id, item_id)
        audit.record(uow, tenant_id, f"{kind.name}.update", entity_type=kind.name, entity_id=item_id,
                     before=before, after=after)
        _invalidate(uow, tenant_id, kind)
        uow.commit()
        return after

    return _staff(db.transaction(work), now or utcnow())


def delete(db: Database, tenant_id: int, kind: repo.Kind, item_id: int) -> None:
    """Deleted with its views or impressions; the audit row keeps what it was."""

    def work(uow: UnitOfWork) -> None:
        before = _load(uow, kind, tenant_id, item_id, lock=True)
        repo.delete(uow, kind, tenant_id, item_id)
        audit.record(uow, tenant_id, f"{kind.name}.delete", entity_type=kind.name, entity_id=item_id, before=before)
        _invalidate(uow, tenant_id, kind)
        uow.commit()

    db.transaction(work)


def get(db: Database, tenant_id: int, kind: repo.Kind, item_id: int, now: datetime | None = None) -> dict[str, Any]:
    return _staff(_load(db.reader(), kind, tenant_id, item_id), now or utcnow())


def list_page(db: Database, tenant_id: int, kind: repo.Kind, *, status: str | None, placement: str | None = None,
              position: Position | None, limit: int, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    rows = repo.page(db.reader(), kind, tenant_id, status=status, placement=placement, now=now,
                     position=position, limit=limit + 1)
    more, rows = len(rows) > limit, rows[:limit]
    return {"items": [_staff(r, now) for r in rows],
            "next_cursor": kind.keyset.encode_row(rows[-1]) if more else None}
