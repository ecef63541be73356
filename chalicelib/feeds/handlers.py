"""The feeds area's event functions:

    feeds_dispatch   schedule, every 5 minutes: start the due sources' runs (dispatch.py)
    feeds_fetch      SQS feed-runs: fetch, parse, check and send one run's rows (sync.py)
    feeds_rows       SQS feed-sync: apply one batch of rows to the catalogue (batches.py)

Both consumers go through platform.queue.consume: idempotent by message id, partial batch
failures reported, a message that keeps failing moved to the queue's DLQ after MAX_RECEIVE_COUNT.
feeds_fetch takes one message at a time: a run can take minutes (its Lambda timeout is raised
in infra/resources.py).
"""
from __future__ import annotations

from typing import Any

from chalice import Blueprint, Rate

from chalicelib.platform import queue
from chalicelib.platform.db import get_db

from .states import ROWS_QUEUE, RUNS_QUEUE

dispatch_bp = Blueprint(__name__)
fetch_bp = Blueprint(__name__)
rows_bp = Blueprint(__name__)


def handle_run(message: dict[str, Any]) -> None:
    from . import sync

    sync.execute(get_db(), int(message["tenant_id"]), int(message["run_id"]))


def handle_batch(message: dict[str, Any]) -> None:
    from . import batches

    batches.apply(get_db(), message)


@dispatch_bp.schedule(Rate(5, unit=Rate.MINUTES), name="feeds_dispatch")
def feeds_dispatch(event: Any) -> dict[str, Any]:
    from . import dispatch

    return {"started": dispatch.dispatch(get_db())}


@fetch_bp.on_sqs_message(queue=RUNS_QUEUE, batch_size=1, name="feeds_fetch")
def feeds_fetch(event: Any) -> dict[str, Any]:
    return queue.consume(RUNS_QUEUE, event, handle_run)


@rows_bp.on_sqs_message(queue=ROWS_QUEUE, batch_size=5, name="feeds_rows")
def feeds_rows(event: Any) -> dict[str, Any]:
    return queue.consume(ROWS_QUEUE, event, handle_batch)
