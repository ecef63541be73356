"""Transactional outbox: events that must not be lost are written with the change they report.

`add(uow, ...)` records an event in the caller's transaction: its outbox_events row is written,
with the transaction's other events in one INSERT, just before that transaction commits, so the
event exists exactly when the change does (an order placed, paid, cancelled).  After the commit the
events are published to their SQS queue at once and marked sent; should the process die (or
SQS fail) in between, `relay()` (a scheduled function, every minute) publishes what is still
pending after a grace period.  The SQS message id is "outbox-<tenant>-<row id>", and `queue.consume`
skips ids it has handled, so a row published twice (commit callback and relay racing) is
acted on once.

`queue.send(..., uow=)` stays the tool for messages whose loss is harmless (a verification
code the user can request again); this is for the ones an order's customer or the ledger
depends on.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from . import cache
from .db import Database, Session, UnitOfWork
from .logging import get_logger
from .sql import marks

log = get_logger("outbox")
RELAY_GRACE_SECONDS = 60  # the commit callback normally publishes within milliseconds
RELAY_BATCH = 100
MAX_ATTEMPTS = 20  # then the row stays 'failed' for an operator to look at


def add(uow: UnitOfWork, tenant_id: int, event_type: str, payload: dict[str, Any], *, queue: str,
        aggregate_type: str | None = None, aggregate_id: Any = None, deferred: bool = False) -> None:
    """Record an event in the open transaction; it is published after the commit, or with
    `deferred` by the relay alone (a minute or two later), so the request pays no SQS call for an
    event nobody waits for (the ML service's order and payment events).

    The transaction's events are written together, by one multi-row INSERT just before it commits
    (UnitOfWork.before_commit; issue 16 item 4: a checkout's two events were two statements), so
    the rows exist exactly when the change does.  The payload is serialised here, once: the row
    and the SQS message carry that text."""
    event = {"tenant_id": tenant_id, "queue": queue, "event_type": event_type, "aggregate_type": aggregate_type,
             "aggregate_id": aggregate_id, "payload": payload, "text": cache.dumps(payload), "deferred": deferred}
    if uow.committed:  # added after the commit (autocommit again): written at once, published with the rest
        _write(uow, [event])
        return
    events: list[dict[str, Any]] | None = uow.state.get("outbox")
    if events is None:  # the first event of this transaction: one INSERT, then one publish, for all
        events = uow.state["outbox"] = []
        uow.before_commit(lambda: _write(uow, events))
    events.append(event)


def add_to_each(uow: UnitOfWork, tenant_id: int, event_type: str, payload: dict[str, Any], *,
                queues: Sequence[str], aggregate_type: str | None = None, aggregate_id: Any = None) -> None:
    """The same event for several consumers, one row per queue (each SQS queue has one consumer):
    an order delivered is rewarded by the wallet, loyalty, referrals and campaigns alike."""
    for queue in queues:
        add(uow, tenant_id, event_type, payload, queue=queue, aggregate_type=aggregate_type, aggregate_id=aggregate_id)


_INSERT = "INSERT INTO outbox_events (tenant_id, queue, event_type, aggregate_type, aggregate_id, payload) VALUES "
_ROW = "(%s, %s, %s, %s, %s, %s)"


def _write(uow: UnitOfWork, events: list[dict[str, Any]]) -> None:
    """The transaction's events as rows (before its commit); the ones not deferred are published
    after it.  One INSERT where the server numbers a multi-row INSERT's rows consecutively
    (Session.consecutive_ids: the SQS message ids are the row ids), else one INSERT a row."""
    if not events:
        return
    rows = [(e["tenant_id"], e["queue"], e["event_type"], e["aggregate_type"],
             None if e["aggregate_id"] is None else str(e["aggregate_id"]), e["text"]) for e in events]
    step = uow.consecutive_ids() if len(rows) > 1 else 1
    if step is None:
        ids = [uow.insert(_INSERT + _ROW, row) for row in rows]
    else:
        first = uow.insert(_INSERT + ", ".join([_ROW] * len(rows)), [v for row in rows for v in row])
        ids = [first + i * step for i in range(len(rows))]
    pending = [{**e, "id": event_id} for e, event_id in zip(events, ids, strict=True) if not e["deferred"]]
    if pending:
        uow.on_commit(lambda: _publish_after_commit(uow, pending))


def message(event: dict[str, Any]) -> dict[str, Any]:
    """The SQS body of an outbox event (what consumers receive); `_body` writes the same text."""
    # The tenant in the id too: ids restart when a database is rebuilt (tests, a restore) while
    # Redis may still remember handled ids for two days.
    return {"id": f"outbox-{event['tenant_id']}-{event['id']}", "type": event["event_type"], "tenant_id": event["tenant_id"],
            "aggregate_type": event["aggregate_type"], "aggregate_id": event["aggregate_id"],
            "payload": event["payload"]}


def _publish_after_commit(session: Session, events: list[dict[str, Any]]) -> None:
    try:
        sent = _publish(events)
        _mark_sent(session, sent)
    except Exception:  # noqa: BLE001 - the change is committed; the relay publishes later
        log.exception("outbox publish failed; the relay will retry", extra={"events": [e["id"] for e in events]})


def _publish(events: list[dict[str, Any]]) -> list[int]:
    """Send events to their queues in batches of 10; returns the ids SQS accepted."""
    from .aws import client
    from .queue import queue_url

    sqs = client("sqs")
    sent: list[int] = []
    by_queue: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_queue.setdefault(event["queue"], []).append(event)
    for queue, items in by_queue.items():
        for start in range(0, len(items), 10):
            batch = items[start:start + 10]
            answer = sqs.send_message_batch(QueueUrl=queue_url(queue), Entries=[
                {"Id": str(e["id"]), "MessageBody": _body(e)} for e in batch])
            sent.extend(int(ok["Id"]) for ok in answer.get("Successful", []))
            for failed in answer.get("Failed", []):
                log.warning("outbox event refused by SQS", extra={"event": failed.get("Id"), "code": failed.get("Code")})
    return sent


def _body(event: dict[str, Any]) -> str:
    """cache.dumps(message(event)), reusing the payload's text when the event has it (serialised
    once, in `add`): the compact JSON of the envelope with that text in place of the payload."""
    text = event.get("text")
    if text is None:
        return cache.dumps(message(event))
    envelope = cache.dumps({**message(event), "payload": None})
    if not envelope.endswith(_NULL_PAYLOAD):  # message() no longer ends with the payload
        return cache.dumps(message(event))
    return envelope[:-len("null}")] + text + "}"


_NULL_PAYLOAD = '"payload":null}'


def _mark_sent(session: Session, ids: list[int]) -> None:
    if ids:
        session.execute(f"UPDATE outbox_events SET status = 'sent', sent_at = UTC_TIMESTAMP(6), "
                        f"attempts = attempts + 1 WHERE id IN ({marks(ids)})", ids)


def relay(db: Database, *, grace_seconds: int = RELAY_GRACE_SECONDS, limit: int = RELAY_BATCH) -> dict[str, int]:
    """Publish events still pending after the grace period (all tenants, oldest first).

    Rows are claimed with FOR UPDATE SKIP LOCKED so two relays never send the same batch."""
    cutoff = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(seconds=grace_seconds)
    with db.uow() as uow:
        rows = uow.all(
            """SELECT id, tenant_id, queue, event_type, aggregate_type, aggregate_id, payload, attempts
                 FROM outbox_events WHERE status = 'pending' AND available_at <= %s
                ORDER BY available_at, id LIMIT %s FOR UPDATE SKIP LOCKED""", (cutoff, limit))
        if not rows:
            uow.commit()
            return {"published": 0, "failed": 0}
        events = [{**row, "payload": cache.loads(row["payload"])} for row in rows]
        try:
            sent = _publish(events)
            error = None
        except Exception as exc:  # noqa: BLE001 - counted and retried with backoff
            sent, error = [], str(exc)[:1000]
        _mark_sent(uow, sent)
        unsent = [row for row in rows if row["id"] not in set(sent)]
        for row in unsent:
            attempts = row["attempts"] + 1
            uow.execute(
                """UPDATE outbox_events SET attempts = %s, last_error = %s,
                          status = IF(%s >= %s, 'failed', 'pending'),
                          available_at = UTC_TIMESTAMP(6) + INTERVAL %s SECOND WHERE id = %s""",
                (attempts, error or "refused by SQS", attempts, MAX_ATTEMPTS, min(2 ** attempts, 3600), row["id"]))
        uow.commit()
    if unsent:
        log.warning("outbox relay could not publish", extra={"events": [r["id"] for r in unsent]})
    return {"published": len(sent), "failed": len(unsent)}
