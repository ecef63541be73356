"""A run's last step: the CSV error report in the feeds bucket, the run's end, the e-mail to staff.

The report lists every bad row (line, SKU, field, reason) in line order, read from
feed_run_errors in pages and written to a temporary file, so a report of any length costs
little memory; it is uploaded to s3://<prefix>-feeds/tenants/<tenant>/feed-runs/<run>/errors.csv.
The e-mail (notifications' feed_sync_report template) carries the counts and the report's key;
staff read the rows through GET /api/admin/feed-runs/{run_id}/report.
"""
from __future__ import annotations

import csv
import io
import tempfile
from typing import Any

from chalicelib.platform.config import settings
from chalicelib.platform.db import Database, Session
from chalicelib.platform.logging import get_logger

from . import repository as repo
from .states import FAILED, REPORTING, SUCCEEDED

BUCKET = "feeds"
log = get_logger("feeds.report")


def bucket_name() -> str:
    return f"{settings().bucket_prefix}-{BUCKET}"


def report_key(tenant_id: int, run_id: int) -> str:
    return f"tenants/{tenant_id}/feed-runs/{run_id}/errors.csv"


def mark_reporting(session: Session, tenant_id: int, run_id: int) -> None:
    """Every batch is in: this caller (holding the run's lock) is the one that finishes the run."""
    repo.set_status(session, tenant_id, run_id, REPORTING)


def write_report(session: Session, tenant_id: int, run_id: int) -> str:
    from chalicelib.platform.aws import client

    key = report_key(tenant_id, run_id)
    with tempfile.TemporaryFile() as spool:
        text = io.TextIOWrapper(spool, encoding="utf-8-sig", newline="")  # the BOM: Excel reads Turkish letters
        writer = csv.writer(text)
        writer.writerow(["line", "sku", "field", "reason"])
        for error in repo.iter_errors(session, tenant_id, run_id):
            writer.writerow([error["line"], _cell(error["sku"]), error["field"], _cell(error["reason"])])
        text.flush()
        text.detach()  # the wrapper lets go of the file, which stays open for the upload
        spool.seek(0)
        client("s3").upload_fileobj(spool, bucket_name(), key, ExtraArgs={"ContentType": "text/csv; charset=utf-8"})
    return key


def _cell(value: str | None) -> str:
    """A spreadsheet must not run a feed's text as a formula (CSV injection)."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value or ""


def finish(db: Database, tenant_id: int, run_id: int) -> None:
    """Write the report, end the run (succeeded unless it failed already) and e-mail staff."""
    session = db.session()
    run = repo.get_run(session, tenant_id, run_id)
    if run is None:
        return
    key = write_report(session, tenant_id, run_id)
    status = FAILED if run["status"] == FAILED else SUCCEEDED
    if run["status"] == FAILED:
        session.execute("UPDATE feed_runs SET report_key = %s WHERE tenant_id = %s AND id = %s",
                        (key, tenant_id, run_id))
    else:
        repo.end_run(session, tenant_id, run_id, status, report_key=key)
    _mail(session, tenant_id, run_id, status, key)


def _mail(session: Session, tenant_id: int, run_id: int, status: str, key: str) -> None:
    from chalicelib.notifications import api as notifications

    run = repo.get_run(session, tenant_id, run_id)
    source = repo.get_source(session, tenant_id, int(run["source_id"])) if run else None
    if run is None or source is None or not source.get("report_email"):
        return
    params: dict[str, Any] = {
        "feed": source["name"][:200], "run": str(run_id), "outcome": status,
        "seen": run["seen_count"], "valid": run["valid_count"], "invalid": run["invalid_count"],
        "created": run["created_count"], "updated": run["updated_count"], "unchanged": run["unchanged_count"],
        "mode": "dry_run" if run["dry_run"] else "sync", "report": key,
    }
    try:
        notifications.notify(None, tenant_id, channel="email", to=source["report_email"], template="feed_sync_report",
                             lang="tr", params=params)
    except notifications.NotificationError:
        log.exception("feed report e-mail refused", extra={"tenant_id": tenant_id, "run_id": run_id})
