"""Transactional outbox: events that must not be lost are written with the change they report.

`add(uow, ...)` records an event in the caller's transaction: its outbox_events row is written,
with the transaction's other events in one INSERT, just before that transaction commits, so the
event exists exactly when the change does (an order placed, paid, cancelled).  After the commit the
events are published to their SQS queue at once, and that is noted in Redis (a "sent mark", not a
row update); `relay()` (a scheduled function, every minute) takes the rows still pending after a
grace period, settles the marked ones as sent in one UPDATE a batch, and publishes the rest (the
process died, SQS failed, the mark was lost, or the event was deferred).  The SQS message id is
"outbox-<tenant>-<row id>", and `queue.consume` skips ids it has handled, so a row published
twice (commit callback and relay racing, a lost mark) is acted on once.

Why a mark and not `UPDATE ... status = 'sent'` after the publish (issue 16 item 4): that UPDATE
was its own autocommit transaction, a redo-log flush on every request that publishes - 0.58 ms of
MariaDB's 4.2 ms per checkout, its costliest statement but one.  The relay does the same work for
hundreds of rows in one statement.  A mark names the row's id and its created_at (microseconds,
written by `_write`), so a mark left from a rebuilt or restored database, whose ids start again,
never settles a different row.

`queue.send(..., uow=)` stays the tool for messages whose loss is harmless (a verification
code the user can request again); this is for the ones an order's customer or the ledger
depends on.
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Sequence
from typing import Any

from . import cache
from .db import Database, Session, UnitOfWork
from .logging import get_logger
from .sql import marks

log = get_logger("outbox")
RELAY_GRACE_SECONDS = 60  # the commit callback normally publishes within milliseconds
RELAY_BATCH = 500  # rows a round: every published row now waits for the relay to settle it
RELAY_BUDGET_SECONDS = 40.0  # rounds a run may start within (the schedule is a minute)
SENT_MARK_SECONDS = 2 * 24 * 3600  # a mark the relay never settled expires (the consumers' memory of handled ids)
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


_INSERT = ("INSERT INTO outbox_events (tenant_id, queue, event_type, aggregate_type, aggregate_id, payload, created_at) "
           "VALUES ")
_ROW = "(%s, %s, %s, %s, %s, %s, %s)"


def _write(uow: UnitOfWork, events: list[dict[str, Any]]) -> None:
    """The transaction's events as rows (before its commit); the ones not deferred are published
    after it.  One INSERT where the server numbers a multi-row INSERT's rows consecutively
    (Session.consecutive_ids: the SQS message ids are the row ids), else one INSERT a row."""
    if not events:
        return
    created = _utcnow()  # the sent mark names it (module docstring)
    rows = [(e["tenant_id"], e["queue"], e["event_type"], e["aggregate_type"],
             None if e["aggregate_id"] is None else str(e["aggregate_id"]), e["text"], created) for e in events]
    step = uow.consecutive_ids() if len(rows) > 1 else 1
    if step is None:
        ids = [uow.insert(_INSERT + _ROW, row) for row in rows]
    else:
        first = uow.insert(_INSERT + ", ".join([_ROW] * len(rows)), [v for row in rows for v in row])
        ids = [first + i * step for i in range(len(rows))]
    pending = [{**e, "id": event_id, "created_at": created} for e, event_id in zip(events, ids, strict=True)
               if not e["deferred"]]
    if pending:
        uow.on_commit(lambda: _publish_after_commit(pending))


def message(event: dict[str, Any]) -> dict[str, Any]:
    """The SQS body of an outbox event (what consumers receive); `_body` writes the same text."""
    # The tenant in the id too: ids restart when a database is rebuilt (tests, a restore) while
    # Redis may still remember handled ids for two days.
    return {"id": f"outbox-{event['tenant_id']}-{event['id']}", "type": event["event_type"], "tenant_id": event["tenant_id"],
            "aggregate_type": event["aggregate_type"], "aggregate_id": event["aggregate_id"],
            "payload": event["payload"]}


def _publish_after_commit(events: list[dict[str, Any]]) -> None:
    try:
        sent = set(_publish(events))
    except Exception:  # noqa: BLE001 - the change is committed; the relay publishes later
        log.exception("outbox publish failed; the relay will retry", extra={"events": [e["id"] for e in events]})
        return
    _mark(e for e in events if e["id"] in sent)


def _mark_key(event_id: int) -> str:
    return f"outbox:sent:{event_id}"


def _mark(events: Iterable[dict[str, Any]]) -> None:
    """Note in Redis that these rows were published: "<created_at> <sent_at>" under their id.
    Best effort: without a mark the relay publishes the row again, which consumers skip."""
    sent_at = _utcnow().isoformat()
    marks_ = [(_mark_key(e["id"]), f"{e['created_at'].isoformat()} {sent_at}") for e in events]
    if not marks_:
        return
    try:
        client = cache.redis_client()
        if len(marks_) == 1:
            client.set(marks_[0][0], marks_[0][1], ex=SENT_MARK_SECONDS)
        else:
            pipe = client.pipeline(transaction=False)
            for key, value in marks_:
                pipe.set(key, value, ex=SENT_MARK_SECONDS)
            pipe.execute()
    except cache.redis_errors():
        log.warning("outbox sent marks not written; the relay will publish again", extra={"marks": [k for k, _ in marks_]})


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


def _marked(rows: list[dict[str, Any]]) -> dict[int, str]:
    """{row id: sent_at} of the rows whose commit callback published them (their sent mark names
    their created_at); {} when Redis cannot say (the relay then publishes them again)."""
    try:
        values = cache.redis_client().mget([_mark_key(row["id"]) for row in rows])
    except cache.redis_errors():
        log.warning("outbox sent marks unreadable; publishing the batch again")
        return {}
    found: dict[int, str] = {}
    for row, value in zip(rows, values, strict=True):
        if value is None:
            continue
        created, _, sent_at = value.decode().partition(" ")
        if created == row["created_at"].isoformat():
            found[row["id"]] = sent_at
    return found


def _set_sent(session: Session, sent_at: dict[int, str | None]) -> None:
    """Rows published: by this relay (sent_at None: now) or by a commit callback (its mark's time)."""
    if not sent_at:
        return
    ids = list(sent_at)
    cases = " ".join(["WHEN %s THEN %s"] * len(ids))
    session.execute(f"UPDATE outbox_events SET status = 'sent', attempts = attempts + 1, "
                    f"sent_at = COALESCE(CASE id {cases} END, UTC_TIMESTAMP(6)) WHERE id IN ({marks(ids)})",
                    [v for i in ids for v in (i, sent_at[i])] + ids)


def relay(db: Database, *, grace_seconds: int = RELAY_GRACE_SECONDS, limit: int = RELAY_BATCH,
          budget_seconds: float = RELAY_BUDGET_SECONDS) -> dict[str, int]:
    """Settle or publish the events still pending after the grace period (all tenants, oldest
    first), a batch a round until a round comes back short or the time budget is spent.

    published: sent to SQS by this run; settled: already published by their commit callback (the
    sent mark), now marked sent; failed: SQS refused or failed, retried with backoff."""
    cutoff = _utcnow() - dt.timedelta(seconds=grace_seconds)
    started = time.monotonic()
    result = {"published": 0, "settled": 0, "failed": 0}
    while True:
        failed = result["failed"]
        rows = _relay_round(db, cutoff, limit, result)
        if rows < limit or result["failed"] > failed or time.monotonic() - started > budget_seconds:
            return result  # the last round came back short, SQS is refusing, or the minute is nearly up


def _relay_round(db: Database, cutoff: dt.datetime, limit: int, result: dict[str, int]) -> int:
    """One batch; rows are claimed with FOR UPDATE SKIP LOCKED so two relays never take the same one."""
    with db.uow() as uow:
        rows = uow.all(
            """SELECT id, tenant_id, queue, event_type, aggregate_type, aggregate_id, payload, attempts, created_at
                 FROM outbox_events WHERE status = 'pending' AND available_at <= %s
                ORDER BY available_at, id LIMIT %s FOR UPDATE SKIP LOCKED""", (cutoff, limit))
        if not rows:
            uow.commit()
            return 0
        settled = _marked(rows)
        events = [{**row, "payload": cache.loads(row["payload"])} for row in rows if row["id"] not in settled]
        try:
            sent = _publish(events) if events else []
            error = None
        except Exception as exc:  # noqa: BLE001 - counted and retried with backoff
            sent, error = [], str(exc)[:1000]
        done: dict[int, str | None] = {**settled, **dict.fromkeys(sent)}
        _set_sent(uow, done)
        unsent = [row for row in rows if row["id"] not in done]
        for row in unsent:
            attempts = row["attempts"] + 1
            uow.execute(
                """UPDATE outbox_events SET attempts = %s, last_error = %s,
                          status = IF(%s >= %s, 'failed', 'pending'),
                          available_at = UTC_TIMESTAMP(6) + INTERVAL %s SECOND WHERE id = %s""",
                (attempts, error or "refused by SQS", attempts, MAX_ATTEMPTS, min(2 ** attempts, 3600), row["id"]))
        uow.commit()
    if settled:  # settled for good: the marks are no longer needed
        try:
            cache.redis_client().delete(*[_mark_key(i) for i in settled])
        except cache.redis_errors():
            pass  # they expire (SENT_MARK_SECONDS); a settled row is never pending again
    if unsent:
        log.warning("outbox relay could not publish", extra={"events": [r["id"] for r in unsent]})
    result["published"] += len(sent)
    result["settled"] += len(settled)
    result["failed"] += len(unsent)
    return len(rows)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
