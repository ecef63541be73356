"""Segments (RFM + K-Means) and the flagged anomalies, both per tenant."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool

from huglu_ml import db
from huglu_ml.auth import tenant
from huglu_ml.errors import ServiceError
from huglu_ml.registry import get_registry

router = APIRouter()


def _segments(tenant_id: int) -> dict[str, Any]:
    registry = get_registry()
    version = registry.aliases(tenant_id, "segments").get("champion")
    if not version:
        return {"segments": [], "silhouette": None, "model_version": None, "as_of": None}
    meta = registry.metadata(tenant_id, "segments", version)
    return {
        "segments": meta.get("extra", {}).get("segments", []),
        "silhouette": meta.get("metrics", {}).get("silhouette"),
        "model_version": version,
        "as_of": meta.get("extra", {}).get("as_of"),
    }


@router.get("/api/segments")
async def segments(tenant_id: int = Depends(tenant)) -> dict[str, Any]:
    return await run_in_threadpool(_segments, tenant_id)


@router.get("/api/segments/{name}/customers")
async def segment_customers(
    name: str,
    limit: int = Query(100, ge=1, le=1000),
    cursor: str | None = Query(None, max_length=20),
    tenant_id: int = Depends(tenant),
) -> dict[str, Any]:
    if len(name) > 50:
        raise ServiceError(400, "validation_failed", "segment name is at most 50 characters")
    if cursor is not None and not cursor.isdigit():
        raise ServiceError(400, "validation_failed", "cursor is invalid")
    after = int(cursor) if cursor else 0
    users = await run_in_threadpool(db.segment_customers, tenant_id, name, limit, after)
    return {"segment": name, "items": users, "next_cursor": str(users[-1]) if len(users) == limit else None}


@router.get("/api/anomalies")
async def anomalies(
    status: Literal["open", "confirmed", "dismissed"] | None = None,
    kind: Literal["order", "payment", "login"] | None = None,
    limit: int = Query(50, ge=1, le=200),
    tenant_id: int = Depends(tenant),
) -> dict[str, Any]:
    return {"items": await run_in_threadpool(db.anomalies, tenant_id, status, kind, limit)}
