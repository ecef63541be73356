"""The scheduled poll: ask carriers for news of shipments still on their way.

Carriers without webhooks are asked every run; carriers with webhooks only as a safety net
(tracking.next_poll).  One run takes at most POLL_BATCH due shipments over all tenants, oldest
due first, and stops early when its time is nearly up, so a slow carrier delays shipments to the
next run instead of timing the function out mid-way.  Each shipment is claimed before the HTTP
call (overlapping runs skip it), asked outside any transaction, and its events recorded in a
transaction of their own through tracking.record, so one bad shipment never undoes the others.
A failed ask backs off (10 min doubling up to 12 h); delivered and returned shipments are never
asked again.
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from chalicelib.adapters.carrier import CarrierError, carrier_for
from chalicelib.orders import api as orders
from chalicelib.platform.db import Database
from chalicelib.platform.logging import get_logger

from . import repository as repo
from . import tracking

log = get_logger("shipping.polling")

POLL_BATCH = 100
LEASE = dt.timedelta(minutes=10)  # a run that dies mid-way leaves its claims for the next run after this


def poll_due(db: Database, *, now: dt.datetime | None = None, limit: int = POLL_BATCH,
             time_left: Callable[[], float] | None = None, reserve_seconds: float = 10.0) -> dict[str, int]:
    """Poll what is due at `now` (default: the clock).  `time_left()` gives the seconds the run
    has left; it stops claiming once fewer than `reserve_seconds` remain."""
    now = now or tracking.utcnow()
    counts = {"due": 0, "polled": 0, "events_stored": 0, "failed": 0, "skipped": 0}
    session = db.session()
    due = repo.due_for_poll(session, now, limit)
    counts["due"] = len(due)
    for row in due:
        if time_left is not None and time_left() < reserve_seconds:
            break
        tenant_id, shipment_id = row["tenant_id"], row["id"]
        if not repo.claim_poll(session, tenant_id, shipment_id, row["poll_due_at"], now + LEASE):
            counts["skipped"] += 1  # another run has it
            continue
        carrier = carrier_for(row["carrier"])
        if carrier is None or not row["tracking_number"]:
            repo.stop_polling(session, tenant_id, shipment_id)  # integration switched off since
            counts["skipped"] += 1
            continue
        try:
            events = carrier.track(row["tracking_number"])
        except CarrierError as exc:
            _failed(db, row, now, exc.reason)
            counts["failed"] += 1
            continue
        try:
            outcome = tracking.record(
                db, tenant_id, shipment_id,
                [tracking.NewEvent(e.status, e.occurred_at, e.description, e.location, e.raw) for e in events],
                source="carrier", actor=orders.SYSTEM,
                extra={"poll_due_at": tracking.next_poll(row["carrier"], now), "poll_failures": 0})
        except Exception:  # noqa: BLE001 - one shipment's failure must not stop the batch
            log.exception("recording polled events failed", extra={"tenant_id": tenant_id, "shipment_id": shipment_id})
            _failed(db, row, now, "record_failed")
            counts["failed"] += 1
            continue
        counts["polled"] += 1
        counts["events_stored"] += outcome.stored
    return counts


def _failed(db: Database, row: dict[str, Any], now: dt.datetime, reason: str) -> None:
    failures = int(row["poll_failures"] or 0) + 1
    log.warning("carrier poll failed", extra={"tenant_id": row["tenant_id"], "shipment_id": row["id"],
                                              "carrier": row["carrier"], "reason": reason, "failures": failures})
    next_due = tracking.next_poll(row["carrier"], now, failures)
    if next_due is not None:
        repo.poll_failed(db.session(), row["tenant_id"], row["id"], next_due)


def lambda_time_left(context: object) -> Callable[[], float] | None:
    """Seconds left in this Lambda invocation (None outside Lambda: no limit but the batch)."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    started = time.monotonic()
    budget = remaining() / 1000.0
    return lambda: budget - (time.monotonic() - started)
