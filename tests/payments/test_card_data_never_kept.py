"""Card numbers and CVCs are never stored, logged, queued or cached (issue 12 item 8).

A customer pays by card with a distinctive sandbox number (and a declined card, a 3-D Secure
start and a 400 with the card in the body), then every place data can rest is scanned: every
text / JSON / blob column of every table of the test database (information_schema), every Redis
key and value, the messages waiting on every SQS queue of the AWS emulator (received with no
visibility timeout, so they stay), the captured logs (caplog and stdout/stderr) and the
idempotency keys' rows.  Neither the number (whole, grouped, or a run of its digits that no
last-four or BIN could explain) nor the CVC next to a "cvc" key appears anywhere."""
# ruff: noqa: F811 - pytest fixtures imported from card_kit are parameters here
from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from chalicelib.platform import aws
from chalicelib.platform.cache import redis_client
from chalicelib.platform.db import get_db
from tests.payments.card_kit import PROCESS, TOPUP, card, client, placed, sandbox, shop  # noqa: F401 - fixtures

NUMBER = "5378291465037198"  # Luhn-valid; the sandbox lets it succeed
DECLINED = "4111111111111129"
CVC = "917"
# Besides the whole number: its first twelve and its last ten digits, which no BIN (at most 8 digits)
# or last four could explain.  Ten-digit and longer needles only: a six-digit one (the middle digits
# alone) turns up by chance in the hex of session ids and random numbers once the database is large.
NEEDLES = [NUMBER, "5378 2914 6503 7198", "5378-2914-6503-7198", NUMBER[:12], NUMBER[6:], DECLINED[6:]]
CVC_NEAR_KEY = re.compile(r"cvc\W{0,6}" + CVC, re.IGNORECASE)


def leaks(text: str) -> list[str]:
    found = [n for n in NEEDLES if n in text]
    if CVC_NEAR_KEY.search(text):
        found.append("cvc")
    return found


def _pay_every_way(client: Any) -> Any:
    tenant = shop(require_3ds=False)
    who, order, _ = placed(client, tenant)
    declined = who.api.post(PROCESS, {"order_id": order["id"], "flow": "direct",
                                      "card": card(DECLINED, cvc=CVC)}, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert declined.status_code == 402
    bad = who.api.post(PROCESS, {"order_id": order["id"], "flow": "direct", "card": card(NUMBER, cvc=CVC,
                                                                                        expire_month="13")},
                       headers={"Idempotency-Key": uuid.uuid4().hex})
    assert bad.status_code == 400 and NUMBER not in str(bad.body)
    three_ds = who.api.post(PROCESS, {"order_id": order["id"], "flow": "3ds", "card": card(NUMBER, cvc=CVC)},
                            headers={"Idempotency-Key": uuid.uuid4().hex})
    assert three_ds.status_code == 201 and three_ds.json["status"] == "pending_3ds"
    grouped = card("5378 2914 6503 7198", cvc=CVC, save=True)
    paid = who.api.post(PROCESS, {"order_id": order["id"], "flow": "direct", "card": grouped},
                        headers={"Idempotency-Key": uuid.uuid4().hex})
    # the 3-D Secure attempt is still pending: a direct payment may go ahead (its success is one charge)
    assert paid.status_code == 201 and paid.json["status"] == "succeeded", paid.body
    assert paid.json["card_last4"] == "7198"
    topup = who.api.post(TOPUP, {"amount": "10.00", "flow": "direct", "card": card(NUMBER, cvc=CVC)},
                         headers={"Idempotency-Key": uuid.uuid4().hex})
    assert topup.status_code == 201
    for response in (declined, bad, three_ds, paid, topup):
        assert not leaks(str(response.body)), response.body
    return tenant


def test_card_number_and_cvc_are_nowhere(sandbox: Any, client: Any, caplog: pytest.LogCaptureFixture,
                                        capfd: pytest.CaptureFixture[str]) -> None:
    caplog.set_level("DEBUG")
    _pay_every_way(client)
    problems: list[str] = []

    # every text, JSON and blob column of every table
    session = get_db().session()
    columns = session.all("""SELECT table_name AS t, column_name AS c FROM information_schema.columns
                              WHERE table_schema = DATABASE() AND data_type IN ('char', 'varchar', 'text', 'tinytext',
                                    'mediumtext', 'longtext', 'json', 'blob', 'tinyblob', 'mediumblob', 'longblob',
                                    'binary', 'varbinary', 'enum', 'set')""")
    assert len(columns) > 100
    tables_seen = set()
    for col in columns:
        tables_seen.add(col["t"])
        for needle in NEEDLES:
            hit = session.scalar(f"SELECT COUNT(*) FROM `{col['t']}` WHERE CAST(`{col['c']}` AS CHAR) LIKE %s",
                                 (f"%{needle}%",))
            if hit:
                problems.append(f"table {col['t']}.{col['c']} holds {needle}")
        hit = session.scalar(f"SELECT COUNT(*) FROM `{col['t']}` WHERE CAST(`{col['c']}` AS CHAR) REGEXP %s",
                             (r"cvc[^0-9a-z]{0,6}" + CVC,))
        if hit:
            problems.append(f"table {col['t']}.{col['c']} holds the CVC")
    assert {"payment_attempts", "payment_attempt_items", "idempotency_keys", "outbox_events", "payments"} <= tables_seen
    for row in session.all("SELECT scope, request_hash, response_body FROM idempotency_keys WHERE scope LIKE 'card%%'"):
        assert not leaks(str(row)), row

    # every Redis key and value
    redis = redis_client()
    for key in redis.scan_iter(count=1000):
        kind = redis.type(key)
        kind = kind.decode() if isinstance(kind, bytes) else kind
        if kind == "string":
            value: Any = redis.get(key)
        elif kind == "hash":
            value = redis.hgetall(key)
        elif kind == "list":
            value = redis.lrange(key, 0, -1)
        elif kind == "set":
            value = redis.smembers(key)
        elif kind == "zset":
            value = redis.zrange(key, 0, -1)
        else:
            value = ""
        if leaks(f"{key!r} {value!r}"):
            problems.append(f"redis {key!r}")

    # every queue's waiting messages (received with no visibility timeout: they stay)
    sqs = aws.client("sqs")
    for url in sqs.list_queues().get("QueueUrls", []):
        for _ in range(5):
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0,
                                      MessageAttributeNames=["All"])
            for message in got.get("Messages", []):
                if leaks(str(message)):
                    problems.append(f"queue {url}")

    # the logs: records (with their extras) and what went to stdout / stderr
    for record in caplog.records:
        if leaks(f"{record.getMessage()} {record.__dict__!r}"):
            problems.append(f"log record {record.name}: {record.getMessage()}")
    out, err = capfd.readouterr()
    if leaks(out) or leaks(err):
        problems.append("stdout/stderr")
    assert problems == []


def test_the_card_never_reaches_a_repr_or_an_exception() -> None:
    from chalicelib.adapters.iyzico import Card
    from chalicelib.payments.card_schemas import PaymentCardIn

    typed = PaymentCardIn(holder="Ayşe Yılmaz", number=NUMBER, expire_month="12", expire_year="2030", cvc=CVC)
    assert not leaks(repr(typed)) and not leaks(str(typed))
    assert not leaks(repr(Card(holder="A B", number=NUMBER, expire_month="12", expire_year="2030", cvc=CVC)))
    with pytest.raises(Exception) as raised:
        PaymentCardIn(holder="Ayşe", number=NUMBER, expire_month="13", expire_year="2030", cvc=CVC)
    assert not leaks(str(raised.value)) and not leaks(repr(raised.value))
