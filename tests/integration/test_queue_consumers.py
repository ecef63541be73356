"""Every SQS consumer of app.py, whatever area it belongs to (new ones are picked up by
themselves): it goes through platform.queue.consume, so a redelivered message is handled once,
and a record it cannot read is reported alone as a batch item failure, never raised (which would
make Lambda retry the whole batch).

The handlers' own work is replaced by a counter (the spy below), because a generic message cannot
be valid for every area; each area's tests prove its real effect once per message."""
from __future__ import annotations

import json
import uuid
from collections import Counter
from typing import Any

import pytest

from chalicelib.platform import queue
from infra.local import worker

from ..conftest import TenantInfo


def _sqs_handlers() -> list[Any]:
    from app import app

    return [s for s in app.event_sources if type(s).__name__ == "SQSEventConfig"]


def _record(body: str) -> dict[str, Any]:
    return {"messageId": str(uuid.uuid4()), "receiptHandle": uuid.uuid4().hex, "body": body,
            "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}, "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:eu-central-1:000000000000:x", "awsRegion": "eu-central-1"}


def test_the_app_has_sqs_consumers():
    assert len(_sqs_handlers()) >= 5  # notifications, order-events, invoices, stock-events, wallet...


@pytest.mark.parametrize("source", _sqs_handlers(), ids=lambda s: s.name)
def test_a_duplicate_is_handled_once_and_only_the_garbage_record_fails(source: Any, tenant: TenantInfo,
                                                                        monkeypatch: pytest.MonkeyPatch):
    real_consume = queue.consume
    handled: Counter[str] = Counter()
    consumed_queues: list[str] = []

    def spy(queue_short: str, event: Any, handle: Any) -> dict[str, Any]:
        consumed_queues.append(queue_short)
        return real_consume(queue_short, event, lambda message: handled.update([message["id"]]))

    monkeypatch.setattr(queue, "consume", spy)
    handler = worker._handler(source.handler_string)
    body = json.dumps({"id": f"test-{uuid.uuid4().hex}", "v": 1, "tenant_id": tenant.id, "type": "Test"})
    garbage = _record("{not json")
    event = {"Records": [_record(body), _record(body), garbage]}

    result = handler(event, None)

    assert consumed_queues, f"{source.handler_string} does not go through platform.queue.consume"
    assert source.queue.endswith(consumed_queues[0]), (source.queue, consumed_queues)
    assert list(handled.values()) == [1], "a redelivered message must be handled once"
    assert result == {"batchItemFailures": [{"itemIdentifier": garbage["messageId"]}]}
    # Why it failed is kept for the staff view of dead letters.
    failure = queue.failure_of(consumed_queues[0], garbage["messageId"])
    assert failure["first_code"] == "JSONDecodeError" and failure["failures"] == "1"
