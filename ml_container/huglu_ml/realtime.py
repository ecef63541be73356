"""The real-time processor: a long-poll consumer of the API's ``events`` queue.

For each message (JSON: id, type, tenant_id, at, user_id, device_id, session_id, payload) it
1. skips it when already handled (``ml:{t}:seen:{id}``; SQS delivers at least once);
2. updates the tenant's live features in Redis (events-per-minute counters, recent items per user and
   device for live recommendations, session event lists for purchase prediction);
3. for order / payment / login events, computes features in the tenant's rolling window and scores
   them with the tenant's anomaly champion; a score at or above the model's threshold becomes an
   ``ml_anomalies`` row (unique per (tenant, kind, event_id), so a redelivery flags once) and a live
   insight on /ws;
4. stores the event in ``user_events`` (the training history), marks it seen, and only then deletes it.
A message that cannot be parsed or handled is left in the queue: after the queue's maxReceiveCount
SQS moves it to the dead-letter queue.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3

from huglu_ml import db, store
from huglu_ml.config import get_settings
from huglu_ml.registry import get_registry

log = logging.getLogger("huglu_ml.realtime")

APP_EVENTS = {"product_view", "search", "add_to_cart", "screen"}
SERVER_EVENTS = {"order_placed", "order_status_changed", "payment_attempt", "login", "refund_requested"}
ITEM_EVENTS = {"product_view", "add_to_cart"}
MAX_WINDOWS = 200  # tenants whose anomaly window stays in memory between batches (the rest reload from Redis)


class PoisonMessage(ValueError):
    """A message that will never succeed: left for the dead-letter queue."""


@dataclass
class BatchResult:
    handled: int = 0
    duplicates: int = 0
    ignored: int = 0
    failed: int = 0
    flagged: list[dict[str, Any]] = field(default_factory=list)


def parse(body: str) -> dict[str, Any]:
    try:
        event = json.loads(body)
    except (TypeError, ValueError) as exc:
        raise PoisonMessage("body is not JSON") from exc
    if not isinstance(event, dict):
        raise PoisonMessage("body is not an object")
    if isinstance(event.get("payload"), dict) and "aggregate_type" in event and "at" in event["payload"]:
        # relayed by the API's outbox (orders, payments, sign-ins): the event is the payload, the
        # outbox's id ("outbox-<tenant>-<row>") the one redeliveries share
        event = {**event["payload"], "id": event["id"], "tenant_id": event.get("tenant_id")}
    tenant = event.get("tenant_id")
    if not isinstance(tenant, int) or isinstance(tenant, bool) or tenant <= 0:
        raise PoisonMessage("tenant_id missing")
    if not isinstance(event.get("id"), str) or not event["id"] or len(event["id"]) > 128:
        raise PoisonMessage("id missing")
    if not isinstance(event.get("type"), str):
        raise PoisonMessage("type missing")
    try:
        at = datetime.fromisoformat(str(event.get("at")).replace("Z", "+00:00"))
    except ValueError as exc:
        raise PoisonMessage("at is not ISO-8601") from exc
    event["_at"] = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)
    if not isinstance(event.get("payload"), dict):
        event["payload"] = {}
    user_id = event.get("user_id")
    event["user_id"] = user_id if isinstance(user_id, int) and not isinstance(user_id, bool) else None
    return event


class Processor:
    """Holds the per-tenant anomaly feature windows between batches (persisted to Redis after each)."""

    def __init__(self) -> None:
        self._windows: dict[int, Any] = {}
        self._lock = threading.Lock()

    # --------------------------------------------------------------------------------- windows
    def _window(self, tenant_id: int) -> Any:
        from huglu_ml.anomaly import FeatureWindow

        window = self._windows.get(tenant_id)
        if window is None:
            raw = store.client().get(store.key(tenant_id, "anomaly", "window"))
            window = FeatureWindow.from_dict(json.loads(raw)) if raw else FeatureWindow()
            if len(self._windows) >= MAX_WINDOWS:  # saved after every batch, so dropping one loses nothing
                self._windows.pop(next(iter(self._windows)))
            self._windows[tenant_id] = window
        return window

    def _save_windows(self, tenants: set[int]) -> None:
        for tenant_id in tenants:
            window = self._windows.get(tenant_id)
            if window is not None:
                store.client().set(store.key(tenant_id, "anomaly", "window"), json.dumps(window.to_dict()),
                                   ex=30 * 24 * 3600)

    # ---------------------------------------------------------------------------------- events
    def handle(self, event: dict[str, Any]) -> dict[str, Any] | None:
        """Handle one parsed event; returns the flagged anomaly (if a new one was flagged)."""
        tenant, at = int(event["tenant_id"]), event["_at"]
        etype, payload = event["type"], event["payload"]
        epoch = at.timestamp()
        store.count_event(tenant, epoch)
        product_id = payload.get("product_id")
        if etype in ITEM_EVENTS and isinstance(product_id, int) and not isinstance(product_id, bool):
            for subject in self._subjects(event):
                store.push_recent_item(tenant, subject, product_id)
        if etype in APP_EVENTS and event.get("session_id"):
            store.push_session_event(
                tenant, str(event["session_id"])[:64],
                {"type": etype, "at": at.isoformat(), "screen": payload.get("screen"), "product_id": product_id,
                 "device_id": event.get("device_id"), "user_id": event.get("user_id")},
                epoch,
            )
        flagged = self._score(tenant, event) if etype in SERVER_EVENTS else None
        if etype in APP_EVENTS or etype in SERVER_EVENTS:
            db.insert_user_event(tenant, event, at.replace(tzinfo=None))
        return flagged

    @staticmethod
    def _subjects(event: dict[str, Any]) -> list[str]:
        out = []
        if event.get("user_id") is not None:
            out.append(f"user:{int(event['user_id'])}")
        if event.get("device_id"):
            out.append(f"device:{str(event['device_id'])[:128]}")
        return out

    def _score(self, tenant: int, event: dict[str, Any]) -> dict[str, Any] | None:
        message = {k: v for k, v in event.items() if k != "_at"} | {"at": event["_at"].isoformat()}
        row = self._window(tenant).add(message)
        if row is None:
            return None
        champion = get_registry().champion(tenant, f"anomaly_{row.kind}")
        if champion is None:
            return None
        version, model = champion
        score = float(model.score([row.features])[0])
        if score < float(model.threshold):
            return None
        flagged = {
            "kind": row.kind, "subject_type": row.subject_type, "subject_id": row.subject_id,
            "user_id": row.user_id, "score": score, "reasons": list(model.explain(row.features))[:10],
            "event_id": event["id"], "model_version": version,
        }
        if not db.insert_anomaly(tenant, flagged):
            return None
        message = {"type": "anomaly", "tenant_id": tenant, "at": event["_at"].isoformat(), **flagged}
        store.publish(tenant, message)
        return message

    # ----------------------------------------------------------------------------------- batch
    def process_messages(self, sqs: Any, queue_url: str, messages: list[dict[str, Any]]) -> BatchResult:
        """Handle one received batch; delete each message only after it was handled (or was a duplicate)."""
        result, touched = BatchResult(), set()
        with self._lock:
            for message in messages:
                try:
                    event = parse(message.get("Body", ""))
                    tenant = int(event["tenant_id"])
                    if store.seen(tenant, event["id"]):
                        result.duplicates += 1
                    elif event["type"] not in APP_EVENTS | SERVER_EVENTS:
                        result.ignored += 1  # a newer API's event type: nothing to do here
                        store.mark_seen(tenant, event["id"])
                    else:
                        touched.add(tenant)
                        flagged = self.handle(event)
                        if flagged:
                            result.flagged.append(flagged)
                        store.mark_seen(tenant, event["id"])
                        result.handled += 1
                except PoisonMessage as exc:
                    result.failed += 1
                    log.warning("poison message %s left for the DLQ: %s", message.get("MessageId"), exc)
                    continue
                except Exception:  # noqa: BLE001 - one bad message must not stop the batch
                    result.failed += 1
                    log.exception("event %s failed; it will be retried", message.get("MessageId"))
                    continue
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            self._save_windows(touched)
        return result

    def poll_once(self, sqs: Any, queue_url: str, wait_s: int = 10) -> BatchResult:
        response = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_s)
        return self.process_messages(sqs, queue_url, response.get("Messages", []))


def sqs_client() -> Any:
    s = get_settings()
    return boto3.client("sqs", endpoint_url=s.aws_endpoint_url, region_name=s.aws_region)


class Consumer:
    """The background thread started with the app when ML_EVENTS_QUEUE_URL is set."""

    def __init__(self, queue_url: str, processor: Processor | None = None) -> None:
        self.queue_url = queue_url
        self.processor = processor or Processor()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ml-events-consumer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        sqs = sqs_client()
        while not self._stop.is_set():
            try:
                self.processor.poll_once(sqs, self.queue_url)
            except Exception:  # noqa: BLE001 - keep consuming through transient outages
                log.exception("events poll failed")
                self._stop.wait(5)
