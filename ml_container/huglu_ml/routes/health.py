"""Health (no token: load balancers and Docker's HEALTHCHECK call it) and per-tenant stats."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool

from huglu_ml import __version__, db, store
from huglu_ml.auth import tenant
from huglu_ml.registry import KINDS, RegistryError, get_registry

router = APIRouter()
STARTED = time.monotonic()


@router.get("/health")
async def health() -> dict[str, Any]:
    checks = {
        "redis": await run_in_threadpool(store.ping),
        "mysql": await run_in_threadpool(db.ping),
        "s3": await run_in_threadpool(get_registry().ping),
    }
    return {"status": "ok" if all(checks.values()) else "degraded", "checks": checks, "version": __version__}


def _stats(tenant_id: int) -> dict[str, Any]:
    registry = get_registry()
    models: dict[str, Any] = {}
    for kind in KINDS:
        version = registry.aliases(tenant_id, kind).get("champion")
        try:
            meta = registry.metadata(tenant_id, kind, version) if version else None
        except RegistryError:
            meta = None
        models[kind] = (
            {"version": meta["version"], "trained_at": meta["trained_at"], "metrics": meta["metrics"]} if meta else None
        )
    series = store.events_per_minute(tenant_id, 15)
    return {
        "tenant_id": tenant_id,
        "events_per_minute": [
            {"minute": datetime.fromtimestamp(m * 60, UTC).isoformat(), "count": c} for m, c in series
        ],
        "events_total": store.events_total(tenant_id),
        "models": models,
        "anomalies_open": db.open_anomaly_count(tenant_id),
        "uptime_s": round(time.monotonic() - STARTED, 1),
    }


@router.get("/api/stats")
async def stats(tenant_id: int = Depends(tenant)) -> dict[str, Any]:
    return await run_in_threadpool(_stats, tenant_id)
