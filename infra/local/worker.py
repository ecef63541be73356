"""Local stand-in for Lambda's event sources (Chalice local mode runs neither).

Polls every SQS queue an app handler subscribes to and fires every schedule, calling the very
handler objects Lambda would run, with events shaped like AWS's.  SQS handlers may return
`{"batchItemFailures": [...]}`: only the successful messages are deleted, the failed ones come
back after the visibility timeout and, past the queue's maxReceiveCount, move to its DLQ.

    python -m infra.local.worker            # run until interrupted
    python -m infra.local.worker --once     # one poll of each queue + each schedule fired once
"""
from __future__ import annotations

import argparse
import importlib
import re
import signal
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from chalicelib.platform.aws import client
from chalicelib.platform.config import settings
from chalicelib.platform.logging import get_logger

log = get_logger("local.worker")
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def _handler(handler_string: str) -> Any:
    module, _, attr = handler_string.rpartition(".")
    return getattr(importlib.import_module(module), attr)


def interval_seconds(expression: str) -> int | None:
    match = _RATE.match(expression)
    if not match:
        return None  # cron(...) schedules are fired only with --once locally
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


def scheduled_event(name: str) -> dict[str, Any]:
    return {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "000000000000", "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": settings().aws_region, "resources": [f"arn:aws:events:local:000000000000:rule/{name}"],
        "detail": {},
    }


def queue_name(short: str) -> str:
    return f"{settings().queue_prefix}-{short}"


@dataclass
class Schedule:
    name: str
    handler: Any
    every: int | None
    next_at: float = 0.0


@dataclass
class Consumer:
    queue: str
    handler: Any
    batch_size: int


def discover(app: Any) -> tuple[list[Schedule], list[Consumer]]:
    schedules, consumers = [], []
    for source in app.event_sources:
        kind = type(source).__name__
        if kind == "ScheduledEventConfig":
            schedules.append(Schedule(source.name, _handler(source.handler_string),
                                      interval_seconds(source.schedule_expression)))
        elif kind == "SQSEventConfig":
            # Handlers name queues by their short name ("notifications"); the stage prefix is config.
            name = source.queue if source.queue.startswith(settings().queue_prefix) else queue_name(source.queue)
            consumers.append(Consumer(name, _handler(source.handler_string), source.batch_size or 10))
    return schedules, consumers


def poll(consumer: Consumer, wait_seconds: int = 1) -> int:
    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName=consumer.queue)["QueueUrl"]
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=min(consumer.batch_size, 10),
                              WaitTimeSeconds=wait_seconds, AttributeNames=["All"], MessageAttributeNames=["All"])
    messages = got.get("Messages", [])
    if not messages:
        return 0
    event = {"Records": [{
        "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
        "attributes": m.get("Attributes", {}), "messageAttributes": m.get("MessageAttributes", {}),
        "md5OfBody": m.get("MD5OfBody"), "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{settings().aws_region}:000000000000:{consumer.queue}",
        "awsRegion": settings().aws_region,
    } for m in messages]}
    try:
        result = consumer.handler(event, None) or {}
        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
    except Exception:  # noqa: BLE001 - like Lambda: the whole batch is retried
        log.exception("queue handler failed", extra={"queue": consumer.queue})
        failed = {m["MessageId"] for m in messages}
    done = [m for m in messages if m["MessageId"] not in failed]
    if done:
        sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)])
    return len(messages)


def fire(schedule: Schedule) -> Any:
    log.info("firing schedule", extra={"schedule": schedule.name})
    return schedule.handler(scheduled_event(schedule.name), None)


def run(app: Any, *, once: bool = False) -> None:
    schedules, consumers = discover(app)
    log.info("worker started", extra={"schedules": [s.name for s in schedules], "queues": [c.queue for c in consumers]})
    if once:
        for consumer in consumers:
            poll(consumer, wait_seconds=0)
        for schedule in schedules:
            fire(schedule)
        return
    stopping = False

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    now = time.monotonic()
    for schedule in schedules:
        schedule.next_at = now + (schedule.every or 0)
    while not stopping:
        busy = 0
        for consumer in consumers:
            try:
                busy += poll(consumer, wait_seconds=0)
            except Exception:  # noqa: BLE001 - keep the local worker alive, log the cause
                log.exception("poll failed", extra={"queue": consumer.queue})
        now = time.monotonic()
        for schedule in schedules:
            if schedule.every and now >= schedule.next_at:
                schedule.next_at = now + schedule.every
                try:
                    fire(schedule)
                except Exception:  # noqa: BLE001
                    log.exception("schedule failed", extra={"schedule": schedule.name})
        if not busy:
            time.sleep(1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--once", action="store_true")
    args = parser.parse_args()
    from app import app

    run(app, once=args.once)


if __name__ == "__main__":
    main()
