"""The notifications sweep (a scheduled function, every minute): re-queue the deliveries whose
wait is over (quiet hours ended, a long backoff passed, a delayed message overdue), and read the
receipts of push tickets (push_delivery.check_receipts).  Rows of every tenant, claimed with
FOR UPDATE SKIP LOCKED so two sweeps never re-queue the same delivery."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from chalicelib.platform.db import Database

from . import deliveries_repository as deliveries
from . import push_delivery
from .delivery import SAFETY_SECONDS, requeue

BATCH = 500


def release_due(db: Database, *, now: datetime | None = None, limit: int = BATCH) -> int:
    now = now or datetime.now(timezone.utc).replace(tzinfo=None)
    with db.uow() as uow:
        rows = deliveries.due(uow, now, limit)
        for row in rows:
            deliveries.requeued(uow, row["tenant_id"], row["id"], now + timedelta(seconds=SAFETY_SECONDS))
            requeue(uow, row["tenant_id"], row["id"], row["channel"])
        uow.commit()
    return len(rows)


def run(db: Database, *, receipt_grace_seconds: int = push_delivery.RECEIPT_GRACE_SECONDS) -> dict[str, int]:
    released = release_due(db)
    receipts = push_delivery.check_receipts(db, grace_seconds=receipt_grace_seconds)
    return {"requeued": released, **{f"receipts_{k}": v for k, v in receipts.items()}}
