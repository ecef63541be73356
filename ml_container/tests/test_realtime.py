"""The realtime processor on real SQS messages (moto), anomaly flagging end to end, and /ws."""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime, timedelta

import pytest
from starlette.websockets import WebSocketDisconnect

from huglu_ml import db, store
from huglu_ml.realtime import Processor
from tests.conftest import headers

NOW = datetime.now(UTC).replace(microsecond=0)

pytestmark = pytest.mark.usefixtures("clean")


def _event(event_id: str, etype: str, tenant: int = 1, at: datetime | None = None, **kw) -> dict:
    return {"id": event_id, "type": etype, "tenant_id": tenant, "at": (at or NOW).isoformat().replace("+00:00", "Z"),
            "user_id": kw.pop("user_id", None), "device_id": kw.pop("device_id", None),
            "session_id": kw.pop("session_id", None), "payload": kw}


def _send(aws: dict, events: list[dict | str]) -> None:
    for start in range(0, len(events), 10):
        entries = [{"Id": str(i), "MessageBody": e if isinstance(e, str) else json.dumps(e)}
                   for i, e in enumerate(events[start:start + 10])]
        aws["sqs"].send_message_batch(QueueUrl=aws["queue"], Entries=entries)


def _drain(aws: dict, processor: Processor, rounds: int = 200):
    totals = {"handled": 0, "duplicates": 0, "failed": 0, "flagged": []}
    for _ in range(rounds):
        result = processor.poll_once(aws["sqs"], aws["queue"], wait_s=0)
        totals["handled"] += result.handled
        totals["duplicates"] += result.duplicates
        totals["failed"] += result.failed
        totals["flagged"] += result.flagged
        if not (result.handled or result.duplicates or result.failed or result.ignored):
            break
    return totals


def _rows(sql: str, *params) -> list[dict]:
    with db.cursor() as cur:
        cur.execute(sql, params)
        return list(cur.fetchall())


def test_app_events_become_features_and_rows_once(clean):
    events = [
        _event("e1", "product_view", user_id=7, device_id="d7", session_id="s7", product_id=100),
        _event("e2", "product_view", user_id=7, device_id="d7", session_id="s7", product_id=101),
        _event("e3", "add_to_cart", user_id=7, device_id="d7", session_id="s7", product_id=100, quantity=1),
        _event("e4", "search", device_id="d7", session_id="s7", query="çadır"),
        _event("e5", "product_view", tenant=2, device_id="x", session_id="s-x", product_id=900),
        _event("e6", "some_future_type"),
    ]
    processor = Processor()
    _send(clean, events)
    totals = _drain(clean, processor)
    assert totals["handled"] == 5 and totals["failed"] == 0
    assert len(_rows("SELECT * FROM user_events WHERE tenant_id = 1")) == 4
    assert store.recent_items(1, ["user:7"]) == ["100", "101"]
    assert store.recent_items(1, ["device:x"]) == [] and store.recent_items(2, ["device:x"]) == ["900"]
    assert [e["type"] for e in store.session_events(1, "s7")] == ["product_view"] * 2 + ["add_to_cart", "search"]
    assert store.events_total(1) == 4 and store.events_total(2) == 1

    _send(clean, events[:3])  # SQS redelivers: nothing happens twice
    totals = _drain(clean, processor)
    assert totals["duplicates"] == 3 and totals["handled"] == 0
    assert len(_rows("SELECT * FROM user_events WHERE tenant_id = 1")) == 4
    assert store.events_total(1) == 4
    left = clean["sqs"].receive_message(QueueUrl=clean["queue"], WaitTimeSeconds=0)
    assert "Messages" not in left


def test_poison_messages_go_to_the_dead_letter_queue(clean):
    _send(clean, ["not json", json.dumps({"id": "x", "type": "login"})])
    processor = Processor()
    for _ in range(4):
        processor.poll_once(clean["sqs"], clean["queue"], wait_s=0)
    dead = clean["sqs"].receive_message(QueueUrl=clean["dlq"], MaxNumberOfMessages=10, WaitTimeSeconds=0)
    assert sorted(m["Body"] for m in dead.get("Messages", [])) == sorted(
        ["not json", json.dumps({"id": "x", "type": "login"})])


def _normal_payments(n: int = 160) -> list[dict]:
    rng = random.Random(3)
    start = NOW - timedelta(days=3)
    out = []
    for i in range(n):
        customer = i % 60
        out.append(_event(f"p{i}", "payment_attempt", at=start + timedelta(minutes=25 * i), user_id=customer + 1,
                          device_id=f"dev-{customer}", order_id=1000 + i,
                          outcome="declined" if rng.random() < 0.04 else "succeeded",
                          amount=str(round(rng.uniform(80, 600), 2)), card_bin=f"45{customer % 7:04d}",
                          ip=f"10.0.{customer}.1"))
    return out


def _card_testing(prefix: str = "b") -> list[dict]:
    return [_event(f"{prefix}{i}", "payment_attempt", at=NOW + timedelta(seconds=15 * i), user_id=999,
                   device_id="bad-device", order_id=None, outcome="declined", amount="1.00",
                   card_bin=f"5{i:05d}", ip="6.6.6.6") for i in range(12)]


def _train(client, kinds: list[str], tenant: int = 1) -> dict:
    response = client.post("/api/models/train", json={"kinds": kinds}, headers=headers(tenant))
    assert response.status_code == 202
    job_id = response.json()["job_id"]
    for _ in range(600):
        job = client.get(f"/api/models/jobs/{job_id}", headers=headers(tenant)).json()
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError("training did not finish")


def test_card_testing_burst_is_flagged_once_and_streamed(client, clean):
    pytest.importorskip("huglu_ml.anomaly")
    processor = Processor()
    _send(clean, _normal_payments())
    assert _drain(clean, processor)["handled"] == 160

    job = _train(client, ["anomaly"])
    assert job["status"] == "succeeded", job
    assert "anomaly_payment" in job["versions"]
    assert job["results"]["anomaly"]["status"] == "succeeded"

    with client.websocket_connect("/ws?token=test-token&tenant_id=1") as ws:
        first = ws.receive_json()
        assert first["type"] == "events_per_minute" and first["tenant_id"] == 1
        _send(clean, _card_testing())
        totals = _drain(clean, processor)
        assert totals["handled"] == 12 and totals["flagged"], totals
        for _ in range(100):
            message = ws.receive_json()
            if message["type"] == "anomaly":
                break
        assert message["type"] == "anomaly" and message["kind"] == "payment"
        assert message["subject_type"] == "device" and message["subject_id"] == "bad-device"
        assert message["reasons"] and message["tenant_id"] == 1

    flagged = _rows("SELECT * FROM ml_anomalies WHERE tenant_id = 1")
    assert flagged and all(r["kind"] == "payment" and r["model_version"] == job["versions"]["anomaly_payment"]
                           for r in flagged)
    # a redelivery after the seen-marks expired still flags once (UNIQUE (tenant, kind, event_id))
    for key in store.client().scan_iter("ml:1:seen:*"):
        store.client().delete(key)
    _send(clean, _card_testing())
    _drain(clean, Processor())
    assert len(_rows("SELECT * FROM ml_anomalies WHERE tenant_id = 1")) == len(flagged)

    listed = client.get("/api/anomalies?status=open&kind=payment", headers=headers(1)).json()["items"]
    assert len(listed) == len(flagged) and listed[0]["reasons"]
    assert client.get("/api/anomalies", headers=headers(2)).json()["items"] == []
    assert client.get("/api/stats", headers=headers(1)).json()["anomalies_open"] == len(flagged)

    scored = client.post("/api/predict", json={"kind": "anomaly", "events": _card_testing("w")},
                         headers=headers(1)).json()
    assert any(s["flagged"] for s in scored["scores"])


def test_ws_needs_the_token_and_stays_in_its_tenant(client, clean):
    with pytest.raises(WebSocketDisconnect):
        with client.websocket_connect("/ws?token=wrong&tenant_id=1") as ws:
            ws.receive_json()
    with pytest.raises(WebSocketDisconnect):
        with client.websocket_connect("/ws?token=test-token") as ws:
            ws.receive_json()
    store.publish(1, {"type": "anomaly", "tenant_id": 1})
    with client.websocket_connect("/ws?token=test-token&tenant_id=2") as ws:
        store.publish(1, {"type": "anomaly", "tenant_id": 1})
        messages = [ws.receive_json() for _ in range(3)]
    assert all(m["type"] == "events_per_minute" and m["tenant_id"] == 2 for m in messages)


def test_an_event_relayed_by_the_api_outbox_is_read_as_its_payload():
    """Orders, payments and sign-ins reach the queue through the API's outbox relay: the ML event is
    the outbox message's payload, and the outbox id is the one its redeliveries share."""
    import json

    from huglu_ml.realtime import parse

    inner = {"id": "abc", "type": "order_placed", "tenant_id": 3, "at": "2026-12-06T10:00:00Z", "user_id": 9,
             "device_id": None, "session_id": None, "payload": {"order_id": 5, "items": []}}
    event = parse(json.dumps({"id": "outbox-3-77", "type": "order_placed", "tenant_id": 3, "aggregate_type": None,
                              "aggregate_id": None, "payload": inner}))
    assert event["id"] == "outbox-3-77" and event["type"] == "order_placed" and event["user_id"] == 9
    assert event["payload"] == {"order_id": 5, "items": []} and event["_at"].year == 2026
