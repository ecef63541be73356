"""What the AWS emulator "delivered", for tests: the e-mails SES accepted and the SMS SNS accepted,
and `drain_notifications()` to run the real `notifications` consumer over the queue.

An end-to-end test of a flow that sends a code:

    from tests.notifications_outbox import drain_notifications, last_email, last_sms

    api.post("/api/users", {"email": email, ...})     # the service calls notify(uow, ...)
    drain_notifications()                             # queue → consumer → SES / SNS on moto
    mail = last_email(to=email)                       # AssertionError if nothing reached `email`
    code = re.search(r"\\b(\\d{6})\\b", mail["text"]).group(1)
    sms = last_sms(to="+905321234567")                # sms["text"] is exactly the rendered body

Both kinds are plain dicts with the same core keys, so a test can look in either channel:
    [m for m in sent_emails() + sent_sms() if m["to"] == target][-1]["text"]
    e-mail: {"channel": "email", "message_id", "from", "to", "recipients", "subject", "text"}
    SMS:    {"channel": "sms", "message_id", "to", "text"}

How it reads the emulator: tests/conftest.py runs moto in-process (ThreadedMotoServer), so the
SES and SNS backends the server writes to are the module-level `moto.ses.models.ses_backends` /
`moto.sns.models.sns_backends` of this very process.  The account and region are found, not
assumed: the account whose in-process SQS backend holds this session's notifications queue, in
settings().aws_region.  When AWS_ENDPOINT_URL points at an emulator in another process
(LocalStack, `make test-localstack`), they read LocalStack's retrospection endpoints instead
(/_aws/ses, /_aws/sns/sms-messages).

Isolation: the emulator lives for the whole test session, so the outbox holds every test's
messages.  Filter by recipient (`to=`), and give each test its own addresses (make_user()
does): then no cleanup is needed, and nothing here deletes emulator state other tests read.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

from chalicelib.platform.config import settings
from chalicelib.platform.queue import queue_name

QUEUE = "notifications"


SentEmail = TypedDict("SentEmail", {
    "channel": Literal["email"],
    "message_id": str,
    "from": str,
    "to": str,  # the first To address: notify() sends each e-mail to exactly one
    "recipients": list[str],  # every To / Cc / Bcc address
    "subject": str,
    # What SES stored as the body: the text part, or the HTML part when one was sent (moto keeps
    # only one of them).  Our templates send text only.
    "text": str,
})


class SentSms(TypedDict):
    channel: Literal["sms"]
    message_id: str
    to: str  # E.164
    text: str  # exactly what was published: the rendered body


@dataclass
class Drained:
    """What one `drain_notifications()` did: messages handed to the consumer, and the ones it
    reported failed (left on the queue for SQS to retry, then dead-letter)."""

    received: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)  # {"message_id", "template", "channel"}


# -- reading the emulator ---------------------------------------------------------------------
def _account_and_region() -> tuple[str, str]:
    from moto.sqs.models import sqs_backends

    region, name = settings().aws_region, queue_name(QUEUE)
    for account_id, per_region in list(sqs_backends.items()):
        # keys(), not `in`: moto's `in` answers for any valid region and [] would create it.
        if region in list(per_region.keys()) and name in per_region[region].queues:
            return account_id, region
    raise RuntimeError(
        f"the in-process moto holds no queue {name!r} in {region}: AWS_ENDPOINT_URL "
        f"({settings().aws_endpoint_url}) is an emulator in another process (LocalStack?), whose "
        "outbox these helpers cannot read. Run the tests with the in-process moto (unset AWS_ENDPOINT_URL)."
    )


def _recipients(destinations: Any) -> list[str]:
    if isinstance(destinations, dict):  # {"ToAddresses": [...], "CcAddresses": [...], ...}
        return [a for key in ("ToAddresses", "CcAddresses", "BccAddresses") for a in destinations.get(key, [])]
    return list(destinations or ())


def _localstack() -> str | None:
    """The endpoint when the emulator is LocalStack (`make test-localstack`), which keeps what SES
    and SNS accepted behind its own retrospection endpoints (/_aws/ses, /_aws/sns/sms-messages)."""
    endpoint = settings().aws_endpoint_url
    return endpoint if endpoint and _is_localstack(endpoint) else None


@functools.lru_cache(maxsize=4)
def _is_localstack(endpoint: str) -> bool:
    try:
        _get_json(f"{endpoint}/_localstack/health")
    except (OSError, ValueError):
        return False  # the moto server answers 404 there
    return True


def _get_json(url: str) -> Any:
    import json
    import urllib.request

    with urllib.request.urlopen(url, timeout=5) as answer:
        return json.load(answer)


def _localstack_emails(endpoint: str) -> list[SentEmail]:
    emails: list[SentEmail] = []
    for m in _get_json(f"{endpoint}/_aws/ses")["messages"]:
        if m.get("Region") not in (None, settings().aws_region) or not m.get("Subject"):
            continue
        recipients = _recipients(m.get("Destination"))
        body = m.get("Body") or {}
        emails.append({"channel": "email", "message_id": m["Id"], "from": m["Source"],
                       "to": recipients[0] if recipients else "", "recipients": recipients,
                       "subject": m["Subject"], "text": body.get("text_part") or body.get("html_part") or ""})
    return emails


def sent_emails(to: str | None = None) -> list[SentEmail]:
    """E-mails SES accepted this session, oldest first; only those to `to` when given
    (compared case-insensitively)."""
    endpoint = _localstack()
    if endpoint is not None:
        emails = _localstack_emails(endpoint)
        return emails if to is None else [e for e in emails if to.lower() in (a.lower() for a in e["recipients"])]
    from moto.ses.models import ses_backends

    account_id, region = _account_and_region()
    messages = list(ses_backends[account_id][region].sent_messages)  # copy: the server thread appends
    emails = []
    for m in messages:
        if not (hasattr(m, "subject") and hasattr(m, "body")):
            continue  # templated / raw sends: not something notify() does
        recipients = _recipients(m.destinations)
        emails.append({"channel": "email", "message_id": m.id, "from": m.source, "to": recipients[0] if recipients else "",
                       "recipients": recipients, "subject": m.subject, "text": m.body})
    if to is None:
        return emails
    return [e for e in emails if to.lower() in (a.lower() for a in e["recipients"])]


def sent_sms(to: str | None = None) -> list[SentSms]:
    """SMS SNS accepted this session (direct publish to a number), oldest first; only those to
    the E.164 number `to` when given."""
    endpoint = _localstack()
    if endpoint is not None:
        answer = _get_json(f"{endpoint}/_aws/sns/sms-messages?accountId=000000000000&region={settings().aws_region}")
        return [{"channel": "sms", "message_id": m["MessageId"], "to": phone, "text": m["Message"]}
                for phone, messages in answer["sms_messages"].items() for m in messages if to is None or phone == to]
    from moto.sns.models import sns_backends

    account_id, region = _account_and_region()
    messages = list(sns_backends[account_id][region].sms_messages.items())
    return [{"channel": "sms", "message_id": mid, "to": phone, "text": text}
            for mid, (phone, text) in messages if to is None or phone == to]


def last_email(to: str) -> SentEmail:
    """The newest e-mail to `to`; AssertionError (with what was sent instead) when none."""
    emails = sent_emails(to)
    if not emails:
        seen = sorted({a for e in sent_emails() for a in e["recipients"]})[-10:]
        raise AssertionError(f"no e-mail to {to!r} (did you drain_notifications()?); recipients seen: {seen}")
    return emails[-1]


def last_sms(to: str) -> SentSms:
    """The newest SMS to `to`; AssertionError when none."""
    messages = sent_sms(to)
    if not messages:
        seen = sorted({m["to"] for m in sent_sms()})[-10:]
        raise AssertionError(f"no SMS to {to!r} (did you drain_notifications()?); numbers seen: {seen}")
    return messages[-1]


# -- running the consumer ---------------------------------------------------------------------
def drain_notifications(*, check: bool = True, max_batches: int = 100) -> Drained:
    """Receive from the notifications queue and run the real consumer (the handler Lambda runs,
    through infra.local.worker.poll: the same event shape, and the same delete-only-the-
    successes) until a receive comes back empty.

    With `check` (the default) a message the consumer reported failed raises AssertionError,
    naming its template and channel: an e2e test should not pass over a delivery that broke.
    A failed message stays invisible for the queue's visibility timeout, so draining again
    does not retry it at once.  Messages sent with a delay are not visible until it passes.
    """
    from chalicelib.notifications.handlers import deliver_notifications
    from infra.local.worker import Consumer, poll

    drained = Drained()

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        result: dict[str, Any] = deliver_notifications(event, context)
        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        for record in event["Records"]:
            if record["messageId"] in failed:
                drained.failed.append(_describe(record))
        return result

    consumer = Consumer(queue_name(QUEUE), handler, batch_size=10)
    for _ in range(max_batches):
        got = poll(consumer, wait_seconds=0)
        if not got:
            break
        drained.received += got
    else:
        raise AssertionError(f"the notifications queue was still not empty after {max_batches} batches")
    if check and drained.failed:
        raise AssertionError(f"notifications the consumer could not deliver: {drained.failed}")
    return drained


def _describe(record: dict[str, Any]) -> dict[str, Any]:
    """A failed record, by template and channel only (its text holds the code or link)."""
    import json

    try:
        body = json.loads(record["body"])
    except ValueError:
        body = {}
    return {"message_id": record["messageId"], "template": body.get("template"), "channel": body.get("channel")}
