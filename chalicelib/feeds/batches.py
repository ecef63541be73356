"""The feed-sync consumer's work: one batch of valid rows into the catalogue, exactly once.

In one transaction: the batch is recorded (feed_run_batches, PK run + batch number: a
redelivered batch finds its row and does nothing - one effect however often SQS delivers it);
the rows go through catalog_admin.api.upsert_rows (its locks, price history, stock movements;
the catalogue's cache effects run once, after this commit); rows the catalogue refuses are
written as bad rows with their feed line; the run's counts move on under its row lock, taken
last so that batches of one run are applied side by side.  The batch that completes the run
(every batch in, parsing done) marks it for reporting and writes the report after commit.
"""
from __future__ import annotations

from typing import Any

from chalicelib.catalog_admin import api as catalogue
from chalicelib.platform.db import Database, UnitOfWork

from . import report
from . import repository as repo
from .states import RUNNING


def apply(db: Database, message: dict[str, Any]) -> bool:
    """Apply a batch message; False when it was applied before (or its run is gone)."""
    tenant_id, run_id, batch_no = int(message["tenant_id"]), int(message["run_id"]), int(message["batch_no"])
    rows: list[dict[str, Any]] = list(message["rows"])

    def work(uow: UnitOfWork) -> tuple[bool, bool]:
        run = repo.get_run(uow, tenant_id, run_id)
        if run is None or not repo.claim_batch(uow, tenant_id, run_id, batch_no, len(rows)):
            return False, False
        result = catalogue.upsert_rows(uow, tenant_id, rows, actor_id=None, dry_run=bool(run["dry_run"]))
        rejected = result["rejected"]
        repo.add_errors(uow, tenant_id, run_id, [
            (int(rows[r["index"]]["line"]), rows[r["index"]]["sku"], r["field"], r["reason"]) for r in rejected])
        locked = repo.get_run(uow, tenant_id, run_id, for_update=True)
        assert locked is not None
        bad_rows = len({r["index"] for r in rejected})
        repo.batch_applied(uow, tenant_id, run_id, valid=len(rows) - bad_rows, invalid=bad_rows,
                           created=result["created"], updated=result["updated"], unchanged=result["unchanged"])
        total = locked["batches_sent"]
        done = locked["status"] == RUNNING and total is not None and locked["batches_done"] + 1 >= total
        if done:
            report.mark_reporting(uow, tenant_id, run_id)
        uow.commit()
        return True, done

    applied, done = db.transaction(work)
    if done:
        report.finish(db, tenant_id, run_id)
    return applied
