"""The consumer under at-least-once delivery: the same message twice sends once, one bad record
of a batch is re-delivered alone, and the per-channel rate limit defers instead of flooding."""
from __future__ import annotations

import json
import uuid

from chalicelib.notifications import api as notifications
from chalicelib.notifications.handlers import deliver_notifications
from chalicelib.platform import outbox
from chalicelib.platform.db import get_db
from tests.notifications.channels_kit import customer, delivery
from tests.notifications_outbox import drain_notifications


def _outbox_message(tenant_id: int, delivery_id: int) -> dict:
    """The SQS body the outbox published for a delivery (what the consumer receives)."""
    row = get_db().session().one(
        """SELECT id, tenant_id, queue, event_type, aggregate_type, aggregate_id, payload FROM outbox_events
            WHERE tenant_id = %s AND aggregate_type = 'notification_delivery' AND aggregate_id = %s""",
        (tenant_id, str(delivery_id)))
    assert row is not None
    return outbox.message({**row, "payload": json.loads(row["payload"])})


def _event(*bodies: dict | str) -> dict:
    return {"Records": [{"messageId": f"m-{i}-{uuid.uuid4().hex[:6]}", "receiptHandle": "r",
                         "body": body if isinstance(body, str) else json.dumps(body),
                         "attributes": {}, "messageAttributes": {}, "eventSource": "aws:sqs"}
                        for i, body in enumerate(bodies)]}


def _queued(tenant, user_id: int) -> int:
    result = notifications.send(get_db(), tenant.id, user_id, "account", "account_exists", {}, channels=["sms"])
    drain_notifications()  # whatever the commit published: this test hands the consumer its own copies
    return result.deliveries["sms"][0]


def test_the_same_outbox_message_delivered_twice_sends_once(tenant, client, netgsm):
    user_id, _, number, _ = customer(tenant, client)
    with get_db().uow() as uow:  # a send whose outbox event was not yet published (the relay's case)
        result = notifications.send(uow, tenant.id, user_id, "account", "account_exists", {}, channels=["sms"])
        uow.state.pop("outbox", None)
        uow.commit()
    delivery_id = result.deliveries["sms"][0]
    message = _outbox_message(tenant.id, delivery_id)
    assert deliver_notifications(_event(message), None) == {"batchItemFailures": []}
    assert deliver_notifications(_event(message), None) == {"batchItemFailures": []}
    # Even without the consumer's Redis memory, the row's claim keeps it to one send.
    from chalicelib.notifications import delivery as delivery_module

    delivery_module.deliver(get_db(), message)
    assert delivery(tenant.id, delivery_id)["status"] == "sent"
    assert len([m for m in netgsm.messages if m["no"] == number[3:]]) == 1


def test_one_bad_record_in_a_batch_is_re_delivered_alone(tenant, client, netgsm):
    user_id, _, number, _ = customer(tenant, client)
    with get_db().uow() as uow:
        first = notifications.send(uow, tenant.id, user_id, "account", "account_exists", {}, channels=["sms"])
        second = notifications.send(uow, tenant.id, user_id, "account", "account_exists", {}, channels=["sms"])
        uow.state.pop("outbox", None)
        uow.commit()
    good_a = _outbox_message(tenant.id, first.deliveries["sms"][0])
    good_b = _outbox_message(tenant.id, second.deliveries["sms"][0])
    bad = {"id": f"bad-{uuid.uuid4().hex}", "type": "NotificationRequested", "tenant_id": tenant.id, "payload": {}}
    event = _event(good_a, bad, good_b)
    answer = deliver_notifications(event, None)
    assert answer == {"batchItemFailures": [{"itemIdentifier": event["Records"][1]["messageId"]}]}
    assert len([m for m in netgsm.messages if m["no"] == number[3:]]) == 2
    # SQS hands back only the failed record, which fails again on its own; the good ones, should
    # they come again, send nothing.
    again = _event(bad)
    assert deliver_notifications(again, None) == {"batchItemFailures": [{"itemIdentifier": again["Records"][0]["messageId"]}]}
    assert deliver_notifications(_event(good_a, good_b), None) == {"batchItemFailures": []}
    assert len([m for m in netgsm.messages if m["no"] == number[3:]]) == 2


def test_a_failure_releases_the_claim_so_the_retry_sends(tenant, client, netgsm, monkeypatch):
    from chalicelib.notifications import delivery as delivery_module

    user_id, _, number, _ = customer(tenant, client)
    with get_db().uow() as uow:
        result = notifications.send(uow, tenant.id, user_id, "account", "account_exists", {}, channels=["sms"])
        uow.state.pop("outbox", None)
        uow.commit()
    delivery_id = result.deliveries["sms"][0]
    message = _outbox_message(tenant.id, delivery_id)

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away mid-delivery")

    monkeypatch.setattr(delivery_module, "_send_to_address", broken)
    event = _event(message)
    assert deliver_notifications(event, None)["batchItemFailures"] == [{"itemIdentifier": event["Records"][0]["messageId"]}]
    assert delivery(tenant.id, delivery_id)["status"] == "queued"
    monkeypatch.undo()
    assert deliver_notifications(_event(message), None) == {"batchItemFailures": []}
    assert delivery(tenant.id, delivery_id)["status"] == "sent"
    assert len([m for m in netgsm.messages if m["no"] == number[3:]]) == 1


def test_the_channel_rate_limit_defers_instead_of_sending(tenant, client, rate_limits, netgsm):
    rate_limits("sms=2/60")
    user_id, _, number, _ = customer(tenant, client)
    results = [notifications.send(get_db(), tenant.id, user_id, "account", "account_exists", {}, channels=["sms"])
               for _ in range(3)]
    drain_notifications()
    rows = [delivery(tenant.id, r.deliveries["sms"][0]) for r in results]
    assert sorted(r["status"] for r in rows) == ["queued", "sent", "sent"]
    held = next(r for r in rows if r["status"] == "queued")
    assert held["reason"] == "rate_limited" and held["attempts"] == 0 and held["next_attempt_at"] is not None
    assert len([m for m in netgsm.messages if m["no"] == number[3:]]) == 2
    # Another tenant has its own bucket.
    from tests.conftest import make_tenant

    other = make_tenant()
    other_user, _, other_number, _ = customer(other, client)
    done = notifications.send(get_db(), other.id, other_user, "account", "account_exists", {}, channels=["sms"])
    drain_notifications()
    assert delivery(other.id, done.deliveries["sms"][0])["status"] == "sent"
