"""The model registry over HTTP: list versions, train (a job), activate a version, roll back."""

from __future__ import annotations

import re
from typing import Any, Literal

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from huglu_ml import store, trainer
from huglu_ml.auth import tenant
from huglu_ml.errors import ServiceError
from huglu_ml.registry import KINDS, check_kind, get_registry

router = APIRouter(prefix="/api/models")
JOB_ID = re.compile(r"^[0-9a-f]{16}$")


class TrainIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kinds: list[Literal["recommender", "purchase", "segments", "anomaly"]] | None = Field(None, min_length=1)
    activate: Literal["auto", "always", "never"] = "auto"


class ActivateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str = Field(min_length=1, max_length=64)


def _list(tenant_id: int) -> dict[str, Any]:
    registry = get_registry()
    items = []
    for kind in KINDS:
        aliases = registry.aliases(tenant_id, kind, fresh=True)
        for meta in registry.versions(tenant_id, kind):
            alias = ("champion" if aliases.get("champion") == meta["version"]
                     else "challenger" if aliases.get("challenger") == meta["version"] else None)
            items.append({"kind": kind, "version": meta["version"], "alias": alias, "trained_at": meta["trained_at"],
                          "metrics": meta["metrics"], "rows": meta.get("rows", 0),
                          "fallback": bool(meta.get("fallback"))})
    return {"items": items}


@router.get("")
async def list_models(tenant_id: int = Depends(tenant)) -> dict[str, Any]:
    return await run_in_threadpool(_list, tenant_id)


@router.post("/train", status_code=202)
async def train(body: TrainIn, tenant_id: int = Depends(tenant)) -> JSONResponse:
    kinds = list(dict.fromkeys(body.kinds)) if body.kinds else None
    job = await run_in_threadpool(trainer.submit, tenant_id, kinds, body.activate)
    return JSONResponse({"job_id": job["job_id"], "status": job["status"]}, status_code=202)


@router.get("/jobs/{job_id}")
async def job_status(job_id: str, tenant_id: int = Depends(tenant)) -> dict[str, Any]:
    job = store.load_job(tenant_id, job_id) if JOB_ID.match(job_id) else None
    if job is None:
        raise ServiceError(404, "job_not_found", f"no training job {job_id!r}")
    return job


@router.post("/{kind}/activate")
async def activate(kind: str, body: ActivateIn, tenant_id: int = Depends(tenant)) -> dict[str, Any]:
    return await run_in_threadpool(get_registry().activate, tenant_id, check_kind(kind), body.version)


@router.post("/{kind}/rollback")
async def rollback(kind: str, tenant_id: int = Depends(tenant)) -> dict[str, Any]:
    return await run_in_threadpool(get_registry().rollback, tenant_id, check_kind(kind))
