"""The notification pipeline over real services: MariaDB (the unit of work), Redis (the
consumer's done-keys), and SQS / SES / SNS on the moto server.  Nothing is mocked; what was
"sent" is read back from the emulator (tests/notifications_outbox.py)."""
from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.adapters import DeliveryError
from chalicelib.adapters.mail import SesMailer
from chalicelib.adapters.sms import SnsSmsSender
from chalicelib.notifications.handlers import deliver_notifications, mask_recipient
from chalicelib.notifications.service import build_message, notify
from chalicelib.platform.aws import client
from chalicelib.platform.cache import redis_client
from chalicelib.platform.config import settings
from chalicelib.platform.db import Database
from chalicelib.platform.queue import queue_name
from infra import resources
from infra.local.worker import Consumer, poll
from tests.conftest import TenantInfo
from tests.notifications_outbox import drain_notifications, last_email, last_sms, sent_emails, sent_sms

CODE_PARAMS = {"code": "482913", "minutes": 10}


def new_email() -> str:
    return f"n-{uuid.uuid4().hex[:12]}@example.com"


def new_phone() -> str:
    return "+90532" + str(uuid.uuid4().int)[:7]


def visible_in_queue() -> int:
    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName=queue_name("notifications"))["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attrs["Attributes"]["ApproximateNumberOfMessages"])


def sqs_event(*bodies: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """An SQS event as Lambda delivers it (one record per body) and the records' messageIds."""
    ids = [str(uuid.uuid4()) for _ in bodies]
    records = [{
        "messageId": mid, "receiptHandle": f"rh-{mid}", "body": json.dumps(body, ensure_ascii=False),
        "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}, "md5OfBody": "",
        "eventSource": "aws:sqs", "awsRegion": settings().aws_region,
        "eventSourceARN": f"arn:aws:sqs:{settings().aws_region}:123456789012:{queue_name('notifications')}",
    } for mid, body in zip(ids, bodies, strict=True)]
    return {"Records": records}, ids


def queued(tenant_id: int, **kw: Any) -> dict[str, Any]:
    """A message exactly as notify() queues it, with its id."""
    return {"id": uuid.uuid4().hex, **build_message(tenant_id, **kw)}


# -- notify and the unit of work ----------------------------------------------------------------
def test_notify_in_a_rolled_back_unit_of_work_sends_nothing(db: Database, tenant: TenantInfo):
    drain_notifications()
    before, to = visible_in_queue(), new_email()
    with db.uow() as uow:
        uow.execute("UPDATE tenants SET name = name WHERE id = %s", (tenant.id,))
        notify(uow, tenant.id, channel="email", to=to, template="verification_code", lang="tr", params=CODE_PARAMS)
        # leaving without commit(): rolled back
    assert visible_in_queue() == before
    drain_notifications()
    assert sent_emails(to) == []


def test_notify_in_a_committed_unit_of_work_sends_exactly_one_message(db: Database, tenant: TenantInfo):
    drain_notifications()
    before, to = visible_in_queue(), new_email()
    with db.uow() as uow:
        notification_id = notify(uow, tenant.id, channel="email", to=to, template="verification_code",
                                 lang="tr", params=CODE_PARAMS, user_id=7)
        assert visible_in_queue() == before  # not while the transaction is open
        uow.commit()
    assert visible_in_queue() == before + 1
    assert drain_notifications().received >= 1
    [mail] = sent_emails(to)
    assert mail["from"] == settings().mail_from and mail["to"] == to and mail["recipients"] == [to]
    assert mail["subject"] == "Huğlu doğrulama kodunuz"
    assert mail["text"].startswith("Huğlu doğrulama kodunuz: 482913. 10 dakika geçerlidir.")
    assert redis_client().get(f"q:notifications:msg:{notification_id}") == b"done"


# -- the consumer over the emulator -------------------------------------------------------------
def test_the_consumer_sends_email_through_ses_and_sms_through_sns(tenant: TenantInfo):
    email, phone = new_email(), new_phone()
    notify(None, tenant.id, channel="email", to=email, template="password_reset", lang="en",
           params={"link": "https://shop.example.com/reset?token=t0k3n", "minutes": 30})
    notify(None, tenant.id, channel="sms", to=phone, template="verification_code", lang="tr",
           params={"code": "615243", "minutes": 3})
    drain_notifications()

    mail = last_email(email)
    assert mail["subject"] == "Your password reset request"
    assert "https://shop.example.com/reset?token=t0k3n" in mail["text"] and "30 minutes" in mail["text"]
    [sms] = sent_sms(phone)
    assert sms["text"] == "Huğlu doğrulama kodunuz: 615243. 3 dakika geçerlidir."  # the body, nothing else
    # Either channel, one shape: how e2e tests look for "the last thing sent to X".
    assert [m["channel"] for m in sent_emails() + sent_sms() if m["to"] in (email, phone)] == ["email", "sms"]
    assert last_sms(phone) == sms


def test_a_redelivered_message_is_not_sent_twice(tenant: TenantInfo):
    to = new_email()
    message = queued(tenant.id, channel="email", to=to, template="account_deleted", lang="tr", params={})
    # SQS delivers at least once: the same message in one batch, and again in a later one.
    event, _ = sqs_event(message, message)
    assert deliver_notifications(event, None) == {"batchItemFailures": []}
    assert deliver_notifications(sqs_event(message)[0], None) == {"batchItemFailures": []}
    assert len(sent_emails(to)) == 1


def test_a_failing_record_is_reported_while_the_others_are_delivered(tenant: TenantInfo):
    email, phone = new_email(), new_phone()
    good_mail = queued(tenant.id, channel="email", to=email, template="verification_code", lang="en",
                       params=CODE_PARAMS)
    good_sms = queued(tenant.id, channel="sms", to=phone, template="verification_code", lang="en",
                      params=CODE_PARAMS)
    refused = {**good_sms, "id": uuid.uuid4().hex, "to": "not-a-number"}  # SNS refuses it
    unknown = {**good_mail, "id": uuid.uuid4().hex, "channel": "fax"}
    future = {**good_mail, "id": uuid.uuid4().hex, "v": 2}
    event, ids = sqs_event(good_mail, refused, good_sms, unknown, future)

    result = deliver_notifications(event, None)

    assert result == {"batchItemFailures": [{"itemIdentifier": i} for i in (ids[1], ids[3], ids[4])]}
    assert len(sent_emails(email)) == 1 and len(sent_sms(phone)) == 1


def test_a_poison_message_ends_in_the_dead_letter_queue_after_max_receives(tenant: TenantInfo):
    """On a scratch queue with the real redrive policy and no visibility timeout, so each
    failed delivery is retried at once instead of after 30 s."""
    sqs = client("sqs")
    name = f"{settings().queue_prefix}-scratch-{uuid.uuid4().hex[:8]}"
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(resources.MAX_RECEIVE_COUNT)}
    url = sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": json.dumps(redrive), "VisibilityTimeout": "0"})[
        "QueueUrl"]
    poison = queued(tenant.id, channel="sms", to=new_phone(), template="verification_code", lang="tr",
                    params=CODE_PARAMS) | {"to": "not-a-number"}
    received: list[str] = []

    def handler(event: dict[str, Any], context: Any) -> Any:
        received.extend(r["messageId"] for r in event["Records"])
        return deliver_notifications(event, context)

    try:
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(poison))
        for _ in range(3 * resources.MAX_RECEIVE_COUNT):
            if not poll(Consumer(name, handler, 10), wait_seconds=0):
                break
        assert len(received) == resources.MAX_RECEIVE_COUNT and len(set(received)) == 1
        dead = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10).get("Messages", [])
        assert [json.loads(m["Body"])["id"] for m in dead] == [poison["id"]]
        assert not sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages")
    finally:
        sqs.delete_queue(QueueUrl=url)
        sqs.delete_queue(QueueUrl=dlq_url)


def test_the_lambda_entry_module_answers_a_generated_sqs_event(tenant: TenantInfo):
    from chalice.test import Client

    from functions.notifications import app as function_app

    to = new_email()
    message = queued(tenant.id, channel="email", to=to, template="email_change", lang="tr", params=CODE_PARAMS)
    with Client(function_app) as c:
        event = c.events.generate_sqs_event(message_bodies=[json.dumps(message)], queue_name="notifications")
        response = c.lambda_.invoke("deliver_notifications", event)
    assert response.payload == {"batchItemFailures": []}
    assert last_email(to)["subject"] == "E-posta adresinizi doğrulayın"


# -- adapters: provider errors become ours --------------------------------------------------------
def test_provider_refusals_become_delivery_errors():
    with pytest.raises(DeliveryError) as refused:
        SesMailer(sender="no-reply@unverified.example").send(new_email(), "Konu", "Metin")
    assert (refused.value.provider, refused.value.code) == ("ses", "MessageRejected")
    assert isinstance(refused.value.__cause__, ClientError)  # the provider's error stays the cause

    with pytest.raises(DeliveryError) as bad_address:
        SesMailer().send("not-an-address", "Konu", "Metin")
    assert bad_address.value.code == "InvalidParameterValue"

    with pytest.raises(DeliveryError) as bad_number:
        SnsSmsSender().send("not-a-number", "Metin")
    assert (bad_number.value.provider, bad_number.value.code) == ("sns", "InvalidParameter")


@pytest.fixture
def unreachable_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """boto3 clients pointed at a closed port, then everything put back."""
    from chalicelib.platform.aws import reset_clients
    from chalicelib.platform.config import reset_settings

    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # discard port: nothing listens
    reset_settings()
    reset_clients()
    yield
    monkeypatch.undo()
    reset_settings()
    reset_clients()


def test_an_unreachable_provider_is_a_delivery_error_too(unreachable_aws: None):
    with pytest.raises(DeliveryError) as failed:
        SnsSmsSender().send("+905321234567", "Metin")
    assert failed.value.code == "EndpointConnectionError"


# -- logs -------------------------------------------------------------------------------------
@pytest.fixture
def info_logs() -> Iterator[None]:
    """The suite logs at WARNING; the delivery lines are INFO, and this test must see them."""
    logger = logging.getLogger("huglu")
    level = logger.level
    logger.setLevel(logging.INFO)
    yield
    logger.setLevel(level)


def test_logs_name_template_channel_and_masked_recipient_but_never_the_code_or_link(
        tenant: TenantInfo, info_logs: None, capsys: pytest.CaptureFixture[str]):
    email, phone = new_email(), new_phone()
    link = "https://shop.example.com/reset?token=SECRET-RESET-TOKEN"
    notify(None, tenant.id, channel="email", to=email, template="verification_code", lang="tr", params=CODE_PARAMS)
    notify(None, tenant.id, channel="sms", to=phone, template="verification_code", lang="tr", params=CODE_PARAMS)
    notify(None, tenant.id, channel="email", to=email, template="password_reset", lang="tr",
           params={"link": link, "minutes": 30})
    drain_notifications()
    failing = queued(tenant.id, channel="sms", to=phone, template="verification_code", lang="tr",
                     params=CODE_PARAMS) | {"to": "+90-not-a-number"}
    assert deliver_notifications(sqs_event(failing)[0], None)["batchItemFailures"]

    out = capsys.readouterr().out
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    delivered = [x for x in lines if x["message"] == "notification delivered" and x["tenant_id"] == tenant.id]
    assert {(x["template"], x["channel"], x["to"]) for x in delivered} == {
        ("verification_code", "email", mask_recipient(email)),
        ("verification_code", "sms", mask_recipient(phone)),
        ("password_reset", "email", mask_recipient(email)),
    }
    assert any(x["message"] == "notification not delivered" and x["error"] == "InvalidParameter" for x in lines)
    for secret in ("482913", "SECRET-RESET-TOKEN", link, email, phone, "not-a-number"):
        assert secret not in out, f"{secret!r} reached the logs"
