"""The schedule's dispatcher: every few minutes, start the sources whose time has come.

Due sources of all tenants are read FOR UPDATE SKIP LOCKED (two dispatchers never start one
source twice); each gets a queued run - unless its previous run is still going, which is
skipped rather than stacked - and its next time (now + interval).  The run messages leave after
the commit, on the feed-runs queue, for the fetch function.
"""
from __future__ import annotations

from typing import Any

from chalicelib.platform import queue
from chalicelib.platform.db import Database, UnitOfWork

from . import repository as repo
from .states import RUNS_QUEUE

MAX_PER_TICK = 100


def dispatch(db: Database) -> list[int]:
    """Start due runs; returns their ids."""

    def work(uow: UnitOfWork) -> list[int]:
        started = []
        for source in repo.due_sources(uow, MAX_PER_TICK):
            tenant_id, source_id = int(source["tenant_id"]), int(source["id"])
            run_id = None
            if repo.active_run(uow, tenant_id, source_id) is None:
                run_id = repo.insert_run(uow, tenant_id, source_id, dry_run=False, triggered_by="schedule",
                                         actor_id=None)
                queue.send(RUNS_QUEUE, run_message(tenant_id, run_id), uow=uow)
                started.append(run_id)
            repo.schedule_next(uow, tenant_id, source_id, run_id)
        uow.commit()
        return started

    return db.transaction(work)


def run_message(tenant_id: int, run_id: int) -> dict[str, Any]:
    return {"id": f"feed-run-{tenant_id}-{run_id}", "tenant_id": tenant_id, "run_id": run_id}
