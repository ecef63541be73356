"""One run of a feed: fetch (conditional GET), parse by streaming, check, send valid rows in batches.

1. queued → running (a redelivered start finds it running and stops: one run, one parse);
2. open the source (adapters.feed_source): a 304 / S3 not-modified ends the run as not_modified;
3. stream the XML through xmlstream.items (DTDs and entities refused: the run fails, unharmed);
4. each item through rules.check; a bad one (and a SKU seen before in the same feed) is written
   to feed_run_errors with its line and reason, every ERROR_FLUSH rows;
5. valid rows leave in batches of BATCH_ROWS (fewer when they would pass BATCH_BYTES) on the feed-sync queue, each with a stable id
   (run, batch number), so a resent batch is recognised by its consumer;
6. parsing done: the counts and batches_sent are stored under the run's lock, the source keeps
   the new validators (not for a dry run, whose fetch is unconditional) and, when every batch has
   already been applied, the run is finished (report.finish).

Memory stays flat whatever the feed's size: one batch of rows, ERROR_FLUSH errors and the set
of SKUs seen (a few MB for 100,000) are all that is kept.
"""
from __future__ import annotations

import json
from typing import Any

from chalicelib.adapters import feed_source
from chalicelib.platform import queue
from chalicelib.platform.db import Database
from chalicelib.platform.logging import get_logger

from . import report, rules, xmlstream
from . import repository as repo
from .states import BATCH_BYTES, BATCH_ROWS, ERROR_FLUSH, FAILED, NOT_MODIFIED, ROWS_QUEUE, RUNNING

log = get_logger("feeds.sync")
PROGRESS_EVERY = 5000  # items between progress writes (the staff's view of a long parse)


class _Sender:
    """Collects valid rows and bad ones; sends / writes them in chunks."""

    def __init__(self, db: Database, tenant_id: int, run: dict[str, Any]) -> None:
        self.db, self.tenant_id, self.run = db, tenant_id, run
        self.rows: list[dict[str, Any]] = []
        self.errors: list[tuple[int, str | None, str, str]] = []
        self.batches = self.invalid = self.seen = self.bytes = 0
        self.skus: set[str] = set()

    def item(self, line: int, fields: dict[str, str], maps: rules.Mappings) -> None:
        self.seen += 1
        try:
            row = rules.check(fields, maps)
        except rules.Problem as problem:
            self.bad(line, fields.get("sku"), problem.field, problem.reason)
            return
        if row["sku"] in self.skus:
            self.bad(line, row["sku"], "sku", "the SKU appears earlier in the feed")
            return
        self.skus.add(row["sku"])
        row["line"] = line
        size = len(json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode()) + 1  # as queue.send writes it
        if self.bytes + size > BATCH_BYTES:
            self.send()
        self.rows.append(row)
        self.bytes += size
        if len(self.rows) >= BATCH_ROWS:
            self.send()
        if self.seen % PROGRESS_EVERY == 0:
            repo.progress(self.db.session(), self.tenant_id, int(self.run["id"]), self.seen)

    def bad(self, line: int, sku: str | None, field: str, reason: str) -> None:
        self.invalid += 1
        self.errors.append((line, sku, field, reason))
        if len(self.errors) >= ERROR_FLUSH:
            self.flush_errors()

    def send(self) -> None:
        if not self.rows:
            return
        run_id = int(self.run["id"])
        queue.send(ROWS_QUEUE, {"id": f"feed-{self.tenant_id}-{run_id}-{self.batches}", "tenant_id": self.tenant_id,
                                "run_id": run_id, "batch_no": self.batches, "dry_run": self.run["dry_run"],
                                "rows": self.rows})
        self.batches += 1
        self.rows, self.bytes = [], 0

    def flush_errors(self) -> None:
        if self.errors:
            repo.add_errors(self.db.session(), self.tenant_id, int(self.run["id"]), self.errors)
            self.errors = []


def execute(db: Database, tenant_id: int, run_id: int) -> str:
    """Carry out a queued run; returns its status after parsing (running while batches are applied)."""
    session = db.session()
    if not repo.start_run(session, tenant_id, run_id):
        return "skipped"  # started already: a redelivered message
    run = repo.get_run(session, tenant_id, run_id)
    source = repo.get_source(session, tenant_id, int(run["source_id"])) if run else None
    if run is None or source is None:
        if run is not None:
            repo.end_run(session, tenant_id, run_id, FAILED, failure="the feed source was deleted")
        return FAILED
    location = feed_source.Location(source["kind"], source["url"], source["bucket"], source["object_key"])
    conditional = not run["dry_run"]
    sender = _Sender(db, tenant_id, run)
    maps = rules.Mappings.of(source["category_mapping"], source["brand_mapping"])
    try:
        with feed_source.open_feed(location, etag=source["etag"] if conditional else None,
                                   last_modified=source["last_modified"] if conditional else None) as body:
            for line, fields in xmlstream.items(body, source["format"], source["field_mapping"]):
                sender.item(line, fields, maps)
            validators = (body.etag, body.last_modified)
    except feed_source.NotModified:
        repo.end_run(session, tenant_id, run_id, NOT_MODIFIED)
        return NOT_MODIFIED
    except (feed_source.FeedFetchError, xmlstream.FeedUnsafe, xmlstream.FeedUnreadable) as exc:
        return _fail(db, tenant_id, run_id, sender, exc)
    sender.send()
    sender.flush_errors()
    return _parsed(db, tenant_id, run, sender, validators)


def _fail(db: Database, tenant_id: int, run_id: int, sender: _Sender, exc: Exception) -> str:
    kind = {"FeedUnsafe": "unsafe XML refused", "FeedUnreadable": "not well-formed XML"}.get(
        type(exc).__name__, "fetch failed")
    sender.flush_errors()
    session = db.session()
    repo.parsed(session, tenant_id, run_id, seen=sender.seen, invalid=sender.invalid, batches=sender.batches)
    repo.end_run(session, tenant_id, run_id, FAILED, failure=f"{kind}: {exc}"[:500])
    log.warning("feed run failed", extra={"tenant_id": tenant_id, "run_id": run_id, "reason": kind})
    report.finish(db, tenant_id, run_id)
    return FAILED


def _parsed(db: Database, tenant_id: int, run: dict[str, Any], sender: _Sender,
            validators: tuple[str | None, str | None]) -> str:
    run_id = int(run["id"])

    def work(uow: Any) -> bool:
        locked = repo.get_run(uow, tenant_id, run_id, for_update=True)
        assert locked is not None
        repo.parsed(uow, tenant_id, run_id, seen=sender.seen, invalid=sender.invalid, batches=sender.batches)
        if not run["dry_run"]:
            repo.save_validators(uow, tenant_id, int(run["source_id"]), *validators)
        done = locked["batches_done"] >= sender.batches and locked["status"] == RUNNING
        if done:
            report.mark_reporting(uow, tenant_id, run_id)
        uow.commit()
        return done

    if db.transaction(work):
        report.finish(db, tenant_id, run_id)
    return RUNNING
