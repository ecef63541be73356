"""Helpers of the ML area's tests: the fake ML service on a free port, products, the events queue."""
from __future__ import annotations

import json
import os
import socket
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from chalicelib.platform.config import reset_settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def ml_service_at(url: str) -> Iterator[str]:
    """Point the API's settings at `url` for the block (and reset the breaker there)."""
    before = os.environ.get("ML_SERVICE_URL")
    os.environ["ML_SERVICE_URL"] = url
    reset_settings()
    from chalicelib.ml.client import breaker

    breaker().reset()
    try:
        yield url
    finally:
        breaker().reset()
        if before is None:
            os.environ.pop("ML_SERVICE_URL", None)
        else:
            os.environ["ML_SERVICE_URL"] = before
        reset_settings()


def control(base_url: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base_url + path, data=data, method="POST" if data is not None else "GET",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - the local fake
        return json.loads(response.read())


def drain_events() -> list[dict[str, Any]]:
    """Every message on the "events" queue (received and deleted)."""
    from chalicelib.platform.aws import client
    from chalicelib.platform.queue import queue_url

    sqs, url = client("sqs"), queue_url("events")
    out: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not got:
            return out
        for m in got:
            out.append(json.loads(m["Body"]))
        sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                        for i, m in enumerate(got)])


def events_of(tenant_id: int, kind: str | None = None) -> list[dict[str, Any]]:
    """The tenant's ML events on the queue: those sent at once and, after running the outbox relay
    now, those deferred to it (unwrapped as the service's consumer does)."""
    from chalicelib.platform.db import get_db
    from chalicelib.platform.outbox import relay

    while relay(get_db(), grace_seconds=0)["published"]:  # 100 rows a round; the suite leaves many
        pass
    events = [{**e["payload"], "id": e["id"]} if "aggregate_type" in e else e for e in drain_events()]
    return [e for e in events if e["tenant_id"] == tenant_id and (kind is None or e["type"] == kind)]


def sell(db: Any, tenant_id: int, product_id: int, units: int) -> None:
    """A paid order line of `units` of the product (best sellers count it)."""
    import uuid

    session = db.session()
    user_id = session.scalar("SELECT id FROM users WHERE tenant_id = %s LIMIT 1", (tenant_id,))
    order_id = session.insert(
        """INSERT INTO orders (tenant_id, order_number, user_id, status, subtotal, grand_total, shipping_address,
                               billing_address)
           VALUES (%s, %s, %s, 'paid', 10, 10, '{}', '{}')""",
        (tenant_id, uuid.uuid4().hex[:12], user_id))
    session.insert(
        """INSERT INTO order_items (tenant_id, order_id, product_id, name, sku, unit_price, vat_rate, quantity, line_total)
           VALUES (%s, %s, %s, 'x', 'x', 10, 20, %s, 10)""",
        (tenant_id, order_id, product_id, units))
