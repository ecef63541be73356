"""The FastAPI application: ``uvicorn huglu_ml.main:app``.

On startup it starts the events consumer (when ML_EVENTS_QUEUE_URL is set); /ws streams live insights.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, WebSocket

from huglu_ml import __version__, errors, insights
from huglu_ml.auth import token_ok
from huglu_ml.config import get_settings
from huglu_ml.realtime import Consumer
from huglu_ml.registry import get_registry
from huglu_ml.routes import health, models, predict, recommend, segments

log = logging.getLogger("huglu_ml")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    queue_url = get_settings().events_queue_url
    consumer = Consumer(queue_url) if queue_url else None
    if consumer:
        consumer.start()
        log.info("consuming events from %s", queue_url)
    app.state.consumer = consumer
    # the recommenders of the busiest tenants into memory before traffic asks for them
    threading.Thread(target=_warm, name="warm-models", daemon=True).start()
    try:
        yield
    finally:
        if consumer:
            consumer.stop()
        insights.hub.stop()


def _warm() -> None:
    try:
        log.info("warmed %d recommenders", get_registry().warm("recommender"))
    except Exception:  # noqa: BLE001 - S3 unreachable at start-up: models load on first use instead
        log.exception("could not warm the recommenders")


def create_app() -> FastAPI:
    app = FastAPI(title="Huğlu ML service", version=__version__, lifespan=lifespan)
    errors.install(app)
    for module in (health, models, recommend, predict, segments):
        app.include_router(module.router)

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        token = websocket.query_params.get("token")
        raw_tenant = websocket.query_params.get("tenant_id") or ""
        if not token_ok(token) or not raw_tenant.isdigit() or int(raw_tenant) <= 0:
            await websocket.close(code=1008)  # policy violation: no token or no tenant
            return
        await websocket.accept()
        await insights.stream(websocket, insights.hub, int(raw_tenant))

    return app


app = create_app()
