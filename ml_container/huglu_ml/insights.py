"""The /ws hub: live insights per tenant (events per minute every few seconds, anomalies as flagged).

Insights are published to Redis (``ml:{tenant}:insights``) by whichever process flagged them, so every
service process (several uvicorn workers, the consumer, a trainer) reaches every subscriber. One
listener thread per process pattern-subscribes and hands each message to the local subscribers of
that tenant only, on their own event loops.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from datetime import UTC, datetime
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from huglu_ml import store
from huglu_ml.config import get_settings

log = logging.getLogger("huglu_ml.insights")
QUEUE_MAX = 100  # a slow subscriber drops insights instead of growing memory


class Hub:
    def __init__(self) -> None:
        self._subscribers: dict[int, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue]]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def subscribe(self, tenant_id: int) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(maxsize=QUEUE_MAX)
        with self._lock:
            self._subscribers.setdefault(tenant_id, set()).add((asyncio.get_running_loop(), queue))
            self._ensure_listener()
        return queue

    def unsubscribe(self, tenant_id: int, queue: asyncio.Queue) -> None:
        with self._lock:
            subs = self._subscribers.get(tenant_id, set())
            for entry in [e for e in subs if e[1] is queue]:
                subs.discard(entry)

    def dispatch(self, tenant_id: int, message: dict[str, Any]) -> None:
        """Thread-safe: deliver to this process's subscribers of ``tenant_id``."""
        with self._lock:
            targets = list(self._subscribers.get(tenant_id, ()))
        for loop, queue in targets:
            try:
                loop.call_soon_threadsafe(_offer, queue, message)
            except RuntimeError:  # the subscriber's loop has closed
                self.unsubscribe(tenant_id, queue)

    def _ensure_listener(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        pubsub = store.client().pubsub(ignore_subscribe_messages=True)
        pubsub.psubscribe("ml:*:insights")  # subscribed before the first client can miss anything
        self._stop.clear()
        self._thread = threading.Thread(target=self._listen, args=(pubsub,), name="ml-insights", daemon=True)
        self._thread.start()

    def _listen(self, pubsub: Any) -> None:
        while not self._stop.is_set():
            try:
                message = pubsub.get_message(timeout=1.0)
            except Exception:  # noqa: BLE001 - Redis blip: retry after a pause
                log.exception("insights listener failed")
                self._stop.wait(2)
                continue
            if not message or message.get("type") != "pmessage":
                continue
            try:
                tenant_id = int(str(message["channel"]).split(":")[1])
                self.dispatch(tenant_id, json.loads(message["data"]))
            except (ValueError, IndexError):
                continue
        pubsub.close()

    def stop(self) -> None:
        self._stop.set()


def _offer(queue: asyncio.Queue, message: dict[str, Any]) -> None:
    if not queue.full():
        queue.put_nowait(message)


def events_per_minute_message(tenant_id: int, minutes: int = 15) -> dict[str, Any]:
    series = store.events_per_minute(tenant_id, minutes)
    return {
        "type": "events_per_minute",
        "tenant_id": tenant_id,
        "at": datetime.now(UTC).isoformat(),
        "current": series[-1][1] if series else 0,
        "series": [{"minute": datetime.fromtimestamp(m * 60, UTC).isoformat(), "count": c} for m, c in series],
    }


async def stream(websocket: WebSocket, hub: Hub, tenant_id: int) -> None:
    """Serve one accepted connection until the client leaves."""
    interval = get_settings().ws_interval_s
    queue = hub.subscribe(tenant_id)
    try:
        await websocket.send_json(await asyncio.to_thread(events_per_minute_message, tenant_id))
        while True:
            try:
                message = await asyncio.wait_for(queue.get(), timeout=interval)
            except TimeoutError:
                message = await asyncio.to_thread(events_per_minute_message, tenant_id)
            await websocket.send_json(message)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        hub.unsubscribe(tenant_id, queue)


hub = Hub()
