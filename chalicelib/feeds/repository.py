"""SQL of the feeds area: sources, runs, the batches a run applied and its bad rows.  Always
tenant-scoped, except the dispatcher's read of due sources (ix_due, over every tenant)."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from chalicelib.platform.db import Session
from chalicelib.platform.sql import lock_row

STALE_HOURS = 2  # longer than a run takes (feeds_fetch's 15 minutes plus its batches)
JSON_FIELDS = ("field_mapping", "category_mapping", "brand_mapping")
SOURCE_FIELDS = ("name", "kind", "url", "bucket", "object_key", "format", "field_mapping", "category_mapping",
                 "brand_mapping", "interval_minutes", "enabled", "report_email")
RUN_COLUMNS = """id, source_id, status, dry_run, triggered_by, seen_count, valid_count, invalid_count, created_count,
                 updated_count, unchanged_count, batches_sent, batches_done, failure, report_key, started_at,
                 finished_at, created_at"""


def _decode(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is not None:
        for name in JSON_FIELDS:
            if isinstance(row.get(name), str | bytes):
                row[name] = json.loads(row[name])
        if "enabled" in row:
            row["enabled"] = bool(row["enabled"])
    return row


def _encode(name: str, value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if name in JSON_FIELDS and value is not None else value


# -- sources -------------------------------------------------------------------------------------
def insert_source(session: Session, tenant_id: int, fields: dict[str, Any]) -> int:
    names = [n for n in SOURCE_FIELDS if n in fields]
    columns = ", ".join(["tenant_id", "next_run_at", *names])
    marks = ", ".join(["%s"] * len(names))
    next_run = "NOW(6)" if fields.get("interval_minutes") else "NULL"
    return session.insert(f"INSERT INTO feed_sources ({columns}) VALUES (%s, {next_run}, {marks})",
                          (tenant_id, *[_encode(n, fields[n]) for n in names]))


def update_source(session: Session, tenant_id: int, source_id: int, fields: dict[str, Any]) -> None:
    names = sorted(n for n in fields if n in SOURCE_FIELDS)
    if not names:
        return
    sets = ", ".join(f"{n} = %s" for n in names)
    if "interval_minutes" in fields:  # a new schedule starts now (or stops)
        sets += ", next_run_at = IF(interval_minutes IS NULL, NULL, NOW(6))"
    session.execute(f"UPDATE feed_sources SET {sets} WHERE tenant_id = %s AND id = %s",
                    (*[_encode(n, fields[n]) for n in names], tenant_id, source_id))


def get_source(session: Session, tenant_id: int, source_id: int, *, for_update: bool = False
               ) -> dict[str, Any] | None:
    return _decode(lock_row(session, "feed_sources", tenant_id, source_id, lock=for_update))


def list_sources(session: Session, tenant_id: int) -> list[dict[str, Any]]:
    rows = session.all("SELECT * FROM feed_sources WHERE tenant_id = %s ORDER BY id", (tenant_id,))
    return [r for r in (_decode(r) for r in rows) if r is not None]


def source_name_taken(session: Session, tenant_id: int, name: str, except_id: int = 0) -> bool:
    return session.scalar("SELECT 1 FROM feed_sources WHERE tenant_id = %s AND name = %s AND id <> %s",
                          (tenant_id, name, except_id)) is not None


def delete_source(session: Session, tenant_id: int, source_id: int) -> None:
    session.execute("DELETE FROM feed_sources WHERE tenant_id = %s AND id = %s", (tenant_id, source_id))


def save_validators(session: Session, tenant_id: int, source_id: int, etag: str | None, modified: str | None) -> None:
    session.execute("UPDATE feed_sources SET etag = %s, last_modified = %s WHERE tenant_id = %s AND id = %s",
                    (etag, modified, tenant_id, source_id))


def due_sources(session: Session, limit: int) -> list[dict[str, Any]]:
    """Due sources of every tenant, locked (SKIP LOCKED: two dispatchers never start one twice)."""
    return session.all(
        """SELECT id, tenant_id, interval_minutes, last_run_id FROM feed_sources FORCE INDEX (ix_due)
            WHERE enabled = 1 AND next_run_at <= NOW(6) ORDER BY next_run_at LIMIT %s FOR UPDATE SKIP LOCKED""",
        (limit,))


def schedule_next(session: Session, tenant_id: int, source_id: int, run_id: int | None) -> None:
    session.execute(
        """UPDATE feed_sources SET next_run_at = NOW(6) + INTERVAL interval_minutes MINUTE,
                  last_run_id = COALESCE(%s, last_run_id) WHERE tenant_id = %s AND id = %s""",
        (run_id, tenant_id, source_id))


# -- runs ----------------------------------------------------------------------------------------
def insert_run(session: Session, tenant_id: int, source_id: int, *, dry_run: bool, triggered_by: str,
               actor_id: int | None) -> int:
    run_id = session.insert(
        "INSERT INTO feed_runs (tenant_id, source_id, dry_run, triggered_by, actor_id) VALUES (%s, %s, %s, %s, %s)",
        (tenant_id, source_id, int(dry_run), triggered_by, actor_id))
    session.execute("UPDATE feed_sources SET last_run_id = %s WHERE tenant_id = %s AND id = %s",
                    (run_id, tenant_id, source_id))
    return run_id


def active_run(session: Session, tenant_id: int, source_id: int) -> int | None:
    """The source's run still going, if any.  A run older than STALE_HOURS counts as abandoned (its
    fetch function died mid-parse): it no longer blocks the next one."""
    return session.scalar("SELECT id FROM feed_runs WHERE tenant_id = %s AND source_id = %s "
                          "AND status IN ('queued', 'running', 'reporting') "
                          "AND created_at > NOW(6) - INTERVAL %s HOUR ORDER BY id DESC LIMIT 1",
                          (tenant_id, source_id, STALE_HOURS))


def get_run(session: Session, tenant_id: int, run_id: int, *, for_update: bool = False) -> dict[str, Any] | None:
    row = lock_row(session, "feed_runs", tenant_id, run_id, lock=for_update, columns=RUN_COLUMNS)
    if row is not None:
        row["dry_run"] = bool(row["dry_run"])
    return row


def list_runs(session: Session, tenant_id: int, source_id: int, limit: int) -> list[dict[str, Any]]:
    rows = session.all(f"SELECT {RUN_COLUMNS} FROM feed_runs WHERE tenant_id = %s AND source_id = %s "
                       "ORDER BY id DESC LIMIT %s", (tenant_id, source_id, limit))
    for row in rows:
        row["dry_run"] = bool(row["dry_run"])
    return rows


def start_run(session: Session, tenant_id: int, run_id: int) -> bool:
    """queued → running; False when it is not queued any more (a redelivered start)."""
    return session.execute("UPDATE feed_runs SET status = 'running', started_at = NOW(6) "
                           "WHERE tenant_id = %s AND id = %s AND status = 'queued'", (tenant_id, run_id)) == 1


def end_run(session: Session, tenant_id: int, run_id: int, status: str, *, failure: str | None = None,
            report_key: str | None = None) -> None:
    session.execute("UPDATE feed_runs SET status = %s, failure = %s, report_key = COALESCE(%s, report_key), "
                    "finished_at = NOW(6) WHERE tenant_id = %s AND id = %s",
                    (status, failure, report_key, tenant_id, run_id))


def set_status(session: Session, tenant_id: int, run_id: int, status: str) -> None:
    session.execute("UPDATE feed_runs SET status = %s WHERE tenant_id = %s AND id = %s", (status, tenant_id, run_id))


def parsed(session: Session, tenant_id: int, run_id: int, *, seen: int, invalid: int, batches: int) -> None:
    session.execute("UPDATE feed_runs SET seen_count = %s, invalid_count = invalid_count + %s, batches_sent = %s "
                    "WHERE tenant_id = %s AND id = %s", (seen, invalid, batches, tenant_id, run_id))


def progress(session: Session, tenant_id: int, run_id: int, seen: int) -> None:
    session.execute("UPDATE feed_runs SET seen_count = %s WHERE tenant_id = %s AND id = %s", (seen, tenant_id, run_id))


def claim_batch(session: Session, tenant_id: int, run_id: int, batch_no: int, rows: int) -> bool:
    """True the first time a batch is recorded; False for a redelivery already applied."""
    return session.execute("INSERT IGNORE INTO feed_run_batches (tenant_id, run_id, batch_no, rows_count) "
                           "VALUES (%s, %s, %s, %s)", (tenant_id, run_id, batch_no, rows)) == 1


def batch_applied(session: Session, tenant_id: int, run_id: int, *, valid: int, invalid: int, created: int,
                  updated: int, unchanged: int) -> None:
    session.execute(
        """UPDATE feed_runs SET batches_done = batches_done + 1, valid_count = valid_count + %s,
                  invalid_count = invalid_count + %s, created_count = created_count + %s,
                  updated_count = updated_count + %s, unchanged_count = unchanged_count + %s
            WHERE tenant_id = %s AND id = %s""",
        (valid, invalid, created, updated, unchanged, tenant_id, run_id))


def add_errors(session: Session, tenant_id: int, run_id: int, errors: list[tuple[int, str | None, str, str]]) -> None:
    """errors: (line, sku, field, reason)."""
    session.executemany(
        "INSERT INTO feed_run_errors (tenant_id, run_id, line, sku, field, reason) VALUES (%s, %s, %s, %s, %s, %s)",
        [(tenant_id, run_id, line, (sku or "")[:64] or None, field[:32], reason[:500])
         for line, sku, field, reason in errors])


def errors(session: Session, tenant_id: int, run_id: int, limit: int) -> list[dict[str, Any]]:
    return session.all("SELECT line, sku, field, reason FROM feed_run_errors WHERE tenant_id = %s AND run_id = %s "
                       "ORDER BY line, id LIMIT %s", (tenant_id, run_id, limit))


def iter_errors(session: Session, tenant_id: int, run_id: int, page: int = 2000) -> Iterator[dict[str, Any]]:
    """Every bad row of a run in line order, read in keyset pages (the report of a huge feed)."""
    last = (0, 0)
    while True:
        rows = session.all(
            """SELECT id, line, sku, field, reason FROM feed_run_errors
                WHERE tenant_id = %s AND run_id = %s AND (line, id) > (%s, %s) ORDER BY line, id LIMIT %s""",
            (tenant_id, run_id, last[0], last[1], page))
        yield from rows
        if len(rows) < page:
            return
        last = (rows[-1]["line"], rows[-1]["id"])
