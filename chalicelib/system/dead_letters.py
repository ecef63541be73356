"""What is dead-lettered and why, and putting it back: the staff view and `make redrive` share this.

Every queue <q> of infra/resources.py has <q>-dlq; SQS moves a message there after
MAX_RECEIVE_COUNT failed receives, keeping its MessageId, so the reason platform.queue.consume
recorded for that id (a Redis hash) can be shown beside it.

Peeking never consumes: messages are received with a visibility timeout and handed straight back
(ChangeMessageVisibility 0).  Each receive still counts towards the message's receive count on
the DLQ; a DLQ has no redrive policy of its own, so that only changes the number shown.

Tenancy: queues are shared by every tenant, and a tenant's super_admin holds '*', so the HTTP view
filters by the `tenant_id` every message body carries (outbox events and notifications do): a
tenant sees and redrives only its own messages; a message without a tenant_id is the operator's,
handled with `make redrive` (AWS credentials) only.  The counts are queue-wide numbers, no content.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from chalicelib.platform import queue as q
from chalicelib.platform.aws import client

PEEK_VISIBILITY_S = 5  # how long a peeked message is out of sight at most (it is handed back at once)


def known_queues() -> list[str]:
    """Short names of the queues with DLQs: DEAD_LETTER_QUEUES in AWS (the template sets it), else
    infra/resources.py (locally and in tests, where the repository is there)."""
    listed = os.environ.get("DEAD_LETTER_QUEUES", "").strip()
    if listed:
        return [name for name in listed.split(",") if name]
    from infra import resources

    return list(resources.QUEUES)


def dlq_of(queue: str) -> str:
    return f"{queue}-dlq"


def _url(short: str) -> str:
    return str(client("sqs").get_queue_url(QueueName=q.queue_name(short))["QueueUrl"])


def counts(queue: str) -> dict[str, Any]:
    sqs = client("sqs")
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    main = sqs.get_queue_attributes(QueueUrl=_url(queue), AttributeNames=names)["Attributes"]
    dead = sqs.get_queue_attributes(QueueUrl=_url(dlq_of(queue)), AttributeNames=names)["Attributes"]
    return {
        "name": queue,
        "visible": int(main.get("ApproximateNumberOfMessages", 0)),
        "in_flight": int(main.get("ApproximateNumberOfMessagesNotVisible", 0)),
        "dead_lettered": int(dead.get("ApproximateNumberOfMessages", 0)) + int(
            dead.get("ApproximateNumberOfMessagesNotVisible", 0)),
    }


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    event_type: str | None
    tenant_id: int | None
    receive_count: int
    sent_at: str | None
    failure: dict[str, str]
    body: dict[str, Any] | None
    receipt: str = ""

    def public(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "event_type": self.event_type, "tenant_id": self.tenant_id,
                "receive_count": self.receive_count, "sent_at": self.sent_at,
                "first_failure": self.failure.get("first_reason"), "first_failed_at": _iso(self.failure.get("first_at")),
                "last_error_code": self.failure.get("last_code"),
                "failures": int(self.failure.get("failures", 0) or 0)}


def _iso(epoch: str | int | None) -> str | None:
    if not epoch:
        return None
    seconds = int(epoch) / (1000 if int(epoch) > 10**11 else 1)  # SQS SentTimestamp is in ms
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat().replace("+00:00", "Z")


def _parse(queue: str, message: dict[str, Any]) -> DeadLetter:
    try:
        body = json.loads(message["Body"])
        body = body if isinstance(body, dict) else None
    except ValueError:
        body = None
    tenant = (body or {}).get("tenant_id")
    kind = next((str(body[k]) for k in ("type", "event_type", "action", "template") if body and body.get(k)), None)
    attributes = message.get("Attributes", {})
    return DeadLetter(
        message_id=message["MessageId"], event_type=kind,
        tenant_id=tenant if isinstance(tenant, int) and not isinstance(tenant, bool) else None,
        receive_count=int(attributes.get("ApproximateReceiveCount", 0)),
        sent_at=_iso(attributes.get("SentTimestamp")), failure=q.failure_of(queue, message["MessageId"]),
        body=body, receipt=message["ReceiptHandle"],
    )


def _receive_all(url: str, limit: int, visibility: int) -> list[dict[str, Any]]:
    """Up to `limit` distinct messages, each received once and left invisible for `visibility` s
    (so that further receives in this sweep return other messages)."""
    sqs, seen, out = client("sqs"), set[str](), list[dict[str, Any]]()
    empty_rounds = 0
    while len(out) < limit and empty_rounds < 2:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=min(10, limit - len(out)), WaitTimeSeconds=0,
                                  VisibilityTimeout=visibility, AttributeNames=["All"])
        fresh = [m for m in got.get("Messages", []) if m["MessageId"] not in seen]
        if not fresh:
            empty_rounds += 1
            continue
        for m in fresh:
            seen.add(m["MessageId"])
            out.append(m)
    return out


def _hand_back(url: str, messages: list[dict[str, Any]]) -> None:
    for start in range(0, len(messages), 10):
        chunk = messages[start:start + 10]
        client("sqs").change_message_visibility_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0} for i, m in enumerate(chunk)])


def peek(queue: str, *, limit: int = 50, tenant_id: int | None = None) -> list[DeadLetter]:
    """The DLQ's messages (all, or only `tenant_id`'s), left where they are."""
    url = _url(dlq_of(queue))
    messages = _receive_all(url, limit if tenant_id is None else 10 * limit, PEEK_VISIBILITY_S)
    try:
        letters = [_parse(queue, m) for m in messages]
    finally:
        _hand_back(url, messages)
    if tenant_id is not None:
        letters = [letter for letter in letters if letter.tenant_id == tenant_id]
    return letters[:limit]


def redrive(queue: str, *, limit: int | None = None, tenant_id: int | None = None, dry_run: bool = False,
            on_message: Callable[[DeadLetter], None] | None = None) -> list[DeadLetter]:
    """Move dead letters back to `queue` (body and attributes as they were; a new MessageId, so
    the consumer's de-duplication by the body's `id` still holds).  Each is sent first and deleted
    from the DLQ after: a crash between the two leaves a duplicate, which consume() skips, never a
    loss.  With `tenant_id`, only that tenant's; `dry_run` lists what would move and moves nothing."""
    sqs = client("sqs")
    dlq_url, target = _url(dlq_of(queue)), _url(queue)
    messages = _receive_all(dlq_url, limit or 10_000, 30)
    moved: list[DeadLetter] = []
    left: list[dict[str, Any]] = []
    for message in messages:
        letter = _parse(queue, message)
        if dry_run or (tenant_id is not None and letter.tenant_id != tenant_id):
            left.append(message)
            if dry_run and (tenant_id is None or letter.tenant_id == tenant_id):
                moved.append(letter)
            continue
        sqs.send_message(QueueUrl=target, MessageBody=message["Body"])
        sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
        moved.append(letter)
        if on_message is not None:
            on_message(letter)
    _hand_back(dlq_url, left)
    return moved
