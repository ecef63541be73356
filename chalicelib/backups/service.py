"""Backups as operations: take one (scheduled, manual, a tenant's export), verify one, prune by the
retention policy, and the staff's view of them.

A backup's life is its status.json in the bucket (store.py): queued (a staff request, answered at
once) → running → succeeded | failed, with the verification added when it has run.  Taking a
backup whose status is already succeeded does nothing, so a redelivered queue message is harmless.
"""
from __future__ import annotations

import datetime as dt
import os
import secrets
from typing import Any

from chalicelib.platform import queue
from chalicelib.platform.logging import get_logger

from . import dump, media, repository, restore, retention, store
from .errors import BackupInProgress, BackupNotFound
from .progress import Progress

log = get_logger("backups")
QUEUE = "backups"
SCHEDULED, MANUAL, TENANT = "daily", "manual", "tenant"
KINDS = (SCHEDULED, MANUAL, TENANT)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_id(now: dt.datetime | None = None) -> int:
    """yyyymmddhhmmss and three random digits: sorts by time, fits a BIGINT and a path's *_id."""
    return int((now or _now()).strftime("%Y%m%d%H%M%S")) * 1000 + secrets.randbelow(1000)


def _status_key(backup_id: int, tenant_id: int | None) -> str:
    return f"{store.prefix_of(backup_id, tenant_id)}/status.json"


def status_of(backup_id: int, tenant_id: int | None = None) -> dict[str, Any] | None:
    found = store.get_json(_status_key(backup_id, tenant_id))
    return found if isinstance(found, dict) else None


def _save(status: dict[str, Any]) -> dict[str, Any]:
    store.put_json(_status_key(int(status["id"]), status.get("tenant_id")), status)
    return status


def _new_status(kind: str, tenant_id: int | None, requested_by: int | None = None) -> dict[str, Any]:
    now = _now()
    return {"id": new_id(now), "kind": kind, "tenant_id": tenant_id, "status": "queued",
            "created_at": now.isoformat(timespec="seconds"), "requested_by": requested_by}


# -- taking backups ------------------------------------------------------------------------------------
def request(kind: str, *, tenant_id: int | None = None, requested_by: int | None = None) -> dict[str, Any]:
    """Queue a manual backup or a tenant's export; the consumer takes it (handlers.py)."""
    scope = store.tenant_statuses(tenant_id) if kind == TENANT else store.database_statuses()
    if any(s["status"] in ("queued", "running") and s["kind"] == kind for s in scope):
        raise BackupInProgress()
    status = _save(_new_status(kind, tenant_id if kind == TENANT else None, requested_by))
    queue.send(QUEUE, {"id": f"backup-{status['id']}", "action": "backup", "backup_id": status["id"],
                       "kind": kind, "tenant_id": status["tenant_id"]})
    return status


def run(kind: str, *, backup_id: int | None = None, tenant_id: int | None = None, with_media: bool = True,
        progress: Progress | None = None) -> dict[str, Any]:
    """Take the backup now.  A failure is recorded in its status and raised (the queue retries)."""
    status = (status_of(backup_id, tenant_id) if backup_id else None) or _new_status(kind, tenant_id)
    if backup_id and status["id"] != backup_id:
        status["id"] = backup_id
    if status["status"] == "succeeded":
        return status
    status.update(status="running", started_at=_now().isoformat(timespec="seconds"), error=None)
    _save(status)
    prefix = store.prefix_of(int(status["id"]), tenant_id)
    conn = repository.connect(repository.live_target())
    try:
        tenant = None
        if tenant_id is not None:
            tenant = repository.tenant_row(conn, str(tenant_id))
            if tenant is None:
                raise ValueError(f"no tenant {tenant_id}")
        manifest = dump.dump(conn, prefix, backup_id=int(status["id"]), kind=kind, tenant=tenant, progress=progress)
        if with_media and tenant_id is None:
            status["media"] = media.backup_media(prefix, progress)
    except Exception as exc:
        status.update(status="failed", finished_at=_now().isoformat(timespec="seconds"), error=str(exc)[:500])
        _save(status)
        log.exception("backup failed", extra={"backup_id": status["id"]})
        raise
    finally:
        conn.close()
    status.update(status="succeeded", finished_at=_now().isoformat(timespec="seconds"),
                  alembic_revision=manifest["alembic_revision"], size_bytes=manifest["totals"]["bytes"],
                  tables=manifest["totals"]["tables"], rows=manifest["totals"]["rows"])
    if tenant is not None:
        status["tenant_slug"] = tenant[1]
    return _save(status)


def manifest_of(backup_id: int, tenant_id: int | None = None) -> dict[str, Any]:
    found = store.get_json(f"{store.prefix_of(backup_id, tenant_id)}/manifest.json")
    if not isinstance(found, dict):
        raise BackupNotFound()
    return found


def verify(backup_id: int, *, tenant_id: int | None = None, scratch_db: str | None = None,
           progress: Progress | None = None) -> dict[str, Any]:
    """Restore into a scratch database, compare counts and checksums with the manifest, record it."""
    status = status_of(backup_id, tenant_id)
    if status is None:
        raise BackupNotFound()
    manifest = manifest_of(backup_id, tenant_id)
    scratch = scratch_db or f"{repository.live_target().database}_verify_{os.getpid()}"
    outcome = restore.verify(manifest, scratch, progress=progress)
    status.update(verified_at=_now().isoformat(timespec="seconds"),
                  verification={"ok": outcome.ok, "tables": outcome.tables, "rows": outcome.rows,
                                "mismatches": [m.as_dict() for m in outcome.mismatches][:50]})
    if not outcome.ok:
        log.error("backup verification failed", extra={"backup_id": backup_id, "mismatches": len(outcome.mismatches)})
    return _save(status)


def prune(now: dt.datetime | None = None, policy: retention.Policy = retention.Policy(),
          *, dry_run: bool = False) -> retention.Plan:
    """Delete the backups the retention policy no longer keeps (database backups and tenant exports)."""
    entries = store.database_statuses() + store.tenant_statuses()
    plan = retention.plan(entries, now or _now(), policy)
    if not dry_run:
        tenants = {int(e["id"]): e.get("tenant_id") for e in entries}
        for backup_id in plan.delete:
            store.delete_prefix(store.prefix_of(backup_id, tenants.get(backup_id)))
    return plan


# -- the staff's view ----------------------------------------------------------------------------------
def visible_to(tenant_id: int) -> list[dict[str, Any]]:
    """What a shop's staff see: the database backups (their shop's data is in them) and their own
    shop's exports, newest first."""
    found = store.database_statuses() + store.tenant_statuses(tenant_id)
    return sorted(found, key=lambda s: int(s["id"]), reverse=True)


def detail_for(tenant_id: int, backup_id: int) -> dict[str, Any]:
    """A backup with its manifest summary.  A database backup's per-table row counts are the whole
    platform's, so a shop sees only the table names of it; its own export's counts in full."""
    status = status_of(backup_id) or status_of(backup_id, tenant_id)
    if status is None:
        raise BackupNotFound()
    detail = dict(status)
    manifest = store.get_json(f"{store.prefix_of(backup_id, status.get('tenant_id'))}/manifest.json")
    if isinstance(manifest, dict):
        own = status.get("tenant_id") == tenant_id
        detail["manifest"] = {
            "format": manifest["format"], "created_at": manifest["created_at"],
            "alembic_revision": manifest["alembic_revision"],
            "tables": [{"name": t["name"], "rows": t["rows"] if own else None, "bytes": t["bytes"]}
                       for t in manifest["tables"]],
        }
    return detail
