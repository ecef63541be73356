"""SQS: sending after commit, and consuming batches idempotently with partial failures.

Producers call `send(queue, message, uow=uow)`: the message leaves only after the transaction
commits (ARCHITECTURE rule 6).  Every message gets an `id`; consumers built with `consume`
skip ids they already handled (SQS delivers at least once), report only the failed records
back to Lambda (`batchItemFailures`, so the rest are not retried), and let SQS move a message
that keeps failing to the queue's dead-letter queue after maxReceiveCount deliveries.
"""
from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from . import cache
from .config import settings
from .db import UnitOfWork
from .logging import get_logger

log = get_logger("queue")
_urls: dict[str, str] = {}
DONE_TTL_SECONDS = 2 * 24 * 3600
CLAIM_SECONDS = 5 * 60  # longer than any consumer's timeout
FAILURE_TTL_SECONDS = 14 * 24 * 3600  # as long as a DLQ keeps a message (infra/resources.DLQ_RETENTION_S)


def queue_name(short: str) -> str:
    return f"{settings().queue_prefix}-{short}"


def queue_url(short: str) -> str:
    if short not in _urls:
        from .aws import client

        _urls[short] = client("sqs").get_queue_url(QueueName=queue_name(short))["QueueUrl"]
    return _urls[short]


def send(queue: str, message: dict[str, Any], *, uow: UnitOfWork | None = None, delay_seconds: int = 0) -> str:
    """Queue a JSON message; with `uow`, only once the transaction has committed."""
    body = {"id": message.get("id") or uuid.uuid4().hex, **message}

    def _send() -> None:
        from .aws import client

        client("sqs").send_message(QueueUrl=queue_url(queue), MessageBody=cache.dumps(body), DelaySeconds=delay_seconds)

    if uow is not None:
        uow.on_commit(_send)
    else:
        _send()
    return str(body["id"])


def send_batch(queue: str, messages: list[dict[str, Any]]) -> list[str]:
    """Queue many JSON messages now (no transaction: the caller sends after its commit), ten per
    SendMessageBatch call; raises when SQS refuses any of them."""
    bodies = [{"id": m.get("id") or uuid.uuid4().hex, **m} for m in messages]
    if not bodies:
        return []
    from .aws import client

    sqs, url = client("sqs"), queue_url(queue)
    for start in range(0, len(bodies), 10):
        chunk = bodies[start:start + 10]
        answer = sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": cache.dumps(body)} for i, body in enumerate(chunk)])
        if answer.get("Failed"):
            raise RuntimeError(f"SQS refused {len(answer['Failed'])} of {len(chunk)} messages")
    return [str(b["id"]) for b in bodies]


def consume(queue: str, event: Any, handle: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Run `handle(message)` for each record of an SQS event; returns Lambda's partial-batch answer."""
    records = event.to_dict()["Records"] if hasattr(event, "to_dict") else event["Records"]
    failures = []
    redis = cache.redis_client()
    for record in records:
        claim = None
        try:
            message = json.loads(record["body"])
            claim = f"q:{queue}:msg:{message.get('id') or record['messageId']}"
            # Claim before handling, so two consumers given the same redelivery can't both act.
            if not redis.set(claim, b"processing", nx=True, ex=CLAIM_SECONDS):
                if redis.get(claim) == b"done":
                    claim = None
                    continue  # a redelivery of something already handled
                claim = None  # someone else is on it right now: let SQS hand it back later
                raise RuntimeError("message is being handled by another consumer")
            handle(message)
            redis.set(claim, b"done", ex=DONE_TTL_SECONDS)
        except Exception as exc:  # noqa: BLE001 - reported per record; SQS retries, then dead-letters
            if claim is not None:
                redis.delete(claim)  # free the claim so the retry can run
            code = error_code(exc)
            log.exception("message failed", extra={"queue": queue, "message_id": record.get("messageId"),
                                                   "error_code": code})
            record_failure(queue, str(record.get("messageId")), code, exc)
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def error_code(exc: BaseException) -> str:
    """An ApiError's code ("not_found"), else the exception's class name ("KeyError")."""
    return str(getattr(exc, "code", None) or type(exc).__name__)


def failure_key(queue: str, message_id: str) -> str:
    return f"q:{queue}:fail:{message_id}"


def record_failure(queue: str, message_id: str, code: str, exc: BaseException) -> None:
    """Keep why a message failed, for the staff view of dead letters: SQS moves a message to the
    DLQ with the same MessageId but no reason.  The first failure is kept (later ones often only
    repeat it, or fail differently because the first left something half done); the last code and
    the count ride along.  Kept as long as a DLQ keeps messages.  Never raises: a Redis hiccup must
    not turn one failed record into a failed batch."""
    try:
        key = failure_key(queue, message_id)
        reason = f"{code}: {exc}"[:300]
        now = str(int(time.time()))
        pipe = cache.redis_client().pipeline()
        pipe.hsetnx(key, "first_code", code)
        pipe.hsetnx(key, "first_reason", reason)
        pipe.hsetnx(key, "first_at", now)
        pipe.hset(key, mapping={"last_code": code, "last_at": now})
        pipe.hincrby(key, "failures", 1)
        pipe.expire(key, FAILURE_TTL_SECONDS)
        pipe.execute()
    except Exception:  # noqa: BLE001 - best effort, see above
        log.warning("could not record the failure reason", extra={"queue": queue, "message_id": message_id})


def failure_of(queue: str, message_id: str) -> dict[str, str]:
    """What record_failure kept for a message ({} when nothing, or Redis is out of reach: the
    redrive command may run where only SQS is)."""
    try:
        raw = cache.redis_client().hgetall(failure_key(queue, message_id))
    except Exception:  # noqa: BLE001 - the reason is a help, not a requirement
        log.warning("could not read the failure reason", extra={"queue": queue, "message_id": message_id})
        return {}
    return {k.decode() if isinstance(k, bytes) else str(k): v.decode() if isinstance(v, bytes) else str(v)
            for k, v in raw.items()}


def reset_urls() -> None:
    _urls.clear()
