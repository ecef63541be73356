"""Local stand-in for Lambda's event sources (Chalice local mode runs neither).

Polls every SQS queue an app handler subscribes to and fires every schedule, calling the very
handler objects Lambda would run, with events shaped like AWS's.  SQS handlers may return
`{"batchItemFailures": [...]}`: only the successful messages are deleted, the failed ones come
back after the visibility timeout and, past the queue's maxReceiveCount, move to its DLQ.

S3 event handlers (`@on_s3_event`): in AWS the bucket invokes the function itself; locally
nothing would.  So the worker gives each handler a local queue ("<prefix>-s3-<handler>", with a
DLQ), points the bucket's notifications at it (the emulator, moto or LocalStack, then delivers
the real S3 event notification - same JSON, same key encoding - for every matching upload,
presigned POSTs included) and hands each message's event to the handler, as S3 would.  The
API never learns it runs locally.

    python -m infra.local.worker            # run until interrupted
    python -m infra.local.worker --once     # one poll of each queue + each schedule fired once
"""
from __future__ import annotations

import argparse
import importlib
import json
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


def _expression(expression: Any) -> str:
    """A schedule as written: "rate(5 minutes)", or chalice's Rate / Cron object spelled out."""
    return expression if isinstance(expression, str) else str(expression.to_string())


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


def bucket_name(short: str) -> str:
    return short if short.startswith(settings().bucket_prefix) else f"{settings().bucket_prefix}-{short}"


@dataclass(frozen=True)
class BucketEvents:
    """An S3 notification a consumer's queue receives (what the template declares in AWS)."""

    name: str
    bucket: str
    events: tuple[str, ...]
    prefix: str | None
    suffix: str | None


@dataclass
class Consumer:
    queue: str
    handler: Any
    batch_size: int
    bucket_events: BucketEvents | None = None


def discover(app: Any) -> tuple[list[Schedule], list[Consumer]]:
    schedules, consumers = [], []
    for source in app.event_sources:
        kind = type(source).__name__
        if kind == "ScheduledEventConfig":
            schedules.append(Schedule(source.name, _handler(source.handler_string),
                                      interval_seconds(_expression(source.schedule_expression))))
        elif kind == "SQSEventConfig":
            # Handlers name queues by their short name ("notifications"); the stage prefix is config.
            name = source.queue if source.queue.startswith(settings().queue_prefix) else queue_name(source.queue)
            consumers.append(Consumer(name, _handler(source.handler_string), source.batch_size or 10))
        elif kind == "S3EventConfig":
            consumers.append(s3_consumer(source))
    return schedules, consumers


def s3_consumer(source: Any) -> Consumer:
    events = BucketEvents(source.name, bucket_name(source.bucket), tuple(source.events or ("s3:ObjectCreated:*",)),
                          source.prefix, source.suffix)
    return Consumer(queue_name("s3-" + source.name.replace("_", "-")), s3_relay(_handler(source.handler_string)),
                    10, events)


def s3_relay(handler: Any) -> Any:
    """An SQS consumer whose messages are S3 event notifications: each one goes to `handler`
    exactly as S3 would invoke it.  A handler that raises gets its message back later."""

    def relay(event: dict[str, Any], context: Any) -> dict[str, Any]:
        failures = []
        for record in event["Records"]:
            try:
                notification = json.loads(record["body"])
                if notification.get("Records"):  # not the s3:TestEvent sent on configuration
                    handler(notification, context)
            except Exception:  # noqa: BLE001 - like a failed async invocation: retried, then DLQ
                log.exception("S3 event handler failed", extra={"message_id": record["messageId"]})
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    return relay


def wire_bucket_notifications(consumers: list[Consumer]) -> list[str]:
    """Create the S3 consumers' queues (with DLQs) and point each bucket's notifications at
    them.  Replaces the bucket's notification configuration: locally, the worker owns it."""
    sqs, s3 = client("sqs"), client("s3")
    by_bucket: dict[str, list[dict[str, Any]]] = {}
    for consumer in consumers:
        source = consumer.bucket_events
        if source is None:
            continue
        dlq_url = sqs.create_queue(QueueName=consumer.queue + "-dlq")["QueueUrl"]
        redrive = json.dumps({"deadLetterTargetArn": _queue_arn(dlq_url), "maxReceiveCount": "5"})
        url = sqs.create_queue(QueueName=consumer.queue, Attributes={"RedrivePolicy": redrive})["QueueUrl"]
        config: dict[str, Any] = {"Id": f"local-{source.name}", "QueueArn": _queue_arn(url), "Events": list(source.events)}
        rules = [{"Name": n, "Value": v} for n, v in (("prefix", source.prefix), ("suffix", source.suffix)) if v]
        if rules:
            config["Filter"] = {"Key": {"FilterRules": rules}}
        by_bucket.setdefault(source.bucket, []).append(config)
    for bucket, configs in by_bucket.items():
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"QueueConfigurations": configs})
    return sorted(by_bucket)


def _queue_arn(url: str) -> str:
    attributes = client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return str(attributes["QueueArn"])


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
    try:
        wire_bucket_notifications(consumers)
    except Exception:  # noqa: BLE001 - queues and schedules still work without it
        log.exception("could not wire S3 notifications to local queues")
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
