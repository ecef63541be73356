"""Predictions: purchase probability of live sessions ("likely buyers") and anomaly scores of events."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from huglu_ml import store
from huglu_ml.auth import tenant
from huglu_ml.errors import ServiceError
from huglu_ml.registry import get_registry

router = APIRouter()
MAX_LIVE_SESSIONS = 2000


class SessionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    session_id: str | None = Field(None, min_length=1, max_length=64)
    device_id: str | None = Field(None, min_length=1, max_length=128)
    features: dict[str, float | int | str | bool | None] | None = None


class PurchaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["purchase"]
    sessions: list[SessionIn] = Field(min_length=1, max_length=500)


class LikelyBuyersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["likely_buyers"]
    limit: int = Field(20, ge=1, le=200)


class AnomalyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["anomaly"]
    events: list[dict[str, Any]] = Field(min_length=1, max_length=500)


PredictIn = Annotated[PurchaseIn | LikelyBuyersIn | AnomalyIn, Field(discriminator="kind")]


def _purchase_model(tenant_id: int) -> tuple[str, Any]:
    champion = get_registry().champion(tenant_id, "purchase")
    if champion is None:
        raise ServiceError(404, "no_model", "this tenant has no purchase model yet; train one first")
    return champion


def _session_events(tenant_id: int, session_id: str) -> list[dict[str, Any]]:
    events = store.session_events(tenant_id, session_id)
    for event in events:
        try:
            event["at"] = datetime.fromisoformat(event["at"])
        except (KeyError, TypeError, ValueError):
            event["at"] = None
    return events


def _features(tenant_id: int, session: SessionIn) -> tuple[dict[str, Any], dict[str, Any]]:
    from huglu_ml.purchase import session_features

    session_id = session.session_id
    if session_id is None and session.device_id:
        session_id = store.device_session(tenant_id, session.device_id)
    ident = {"session_id": session.session_id, "device_id": session.device_id}
    if session.features is not None:
        return ident, dict(session.features)
    events = _session_events(tenant_id, session_id) if session_id else []
    return ident, session_features(events)


def purchase(tenant_id: int, body: PurchaseIn) -> dict[str, Any]:
    version, model = _purchase_model(tenant_id)
    idents, rows = zip(*(_features(tenant_id, s) for s in body.sessions), strict=True)
    try:
        probabilities = model.predict_proba(list(rows))
    except (KeyError, ValueError, TypeError) as exc:
        raise ServiceError(400, "bad_features", f"features could not be scored: {exc}") from exc
    return {"predictions": [{**ident, "probability": round(float(p), 6)} for ident, p in zip(idents, probabilities,
                                                                                            strict=True)],
            "model_version": version}


def likely_buyers(tenant_id: int, body: LikelyBuyersIn) -> dict[str, Any]:
    from huglu_ml.purchase import session_features

    version, model = _purchase_model(tenant_id)
    sessions = store.live_sessions(tenant_id, MAX_LIVE_SESSIONS)
    if not sessions:
        return {"predictions": [], "model_version": version}
    events = {sid: _session_events(tenant_id, sid) for sid in sessions}
    events = {sid: evs for sid, evs in events.items() if evs}
    probabilities = model.predict_proba([session_features(evs) for evs in events.values()]) if events else []
    ranked = sorted(zip(events, probabilities, strict=True), key=lambda t: -float(t[1]))[: body.limit]
    out = []
    for sid, p in ranked:
        last = events[sid][-1]
        out.append({"session_id": sid, "device_id": last.get("device_id"), "user_id": last.get("user_id"),
                    "probability": round(float(p), 6)})
    return {"predictions": out, "model_version": version}


def anomaly(tenant_id: int, body: AnomalyIn) -> dict[str, Any]:
    """Score events against the tenant's live window without changing it (a what-if for staff tools)."""
    from huglu_ml.anomaly import FeatureWindow

    raw = store.client().get(store.key(tenant_id, "anomaly", "window"))
    window = FeatureWindow.from_dict(json.loads(raw)) if raw else FeatureWindow()
    registry, scores, versions = get_registry(), [], {}
    for event in body.events:
        row = window.add(dict(event, tenant_id=tenant_id))
        if row is None:
            scores.append({"event_id": event.get("id"), "kind": None, "score": None, "flagged": False, "reasons": []})
            continue
        champion = registry.champion(tenant_id, f"anomaly_{row.kind}")
        if champion is None:
            scores.append({"event_id": row.event_id, "kind": row.kind, "score": None, "flagged": False,
                           "reasons": [], "model_version": None})
            continue
        version, model = champion
        versions[row.kind] = version
        score = float(model.score([row.features])[0])
        flagged = score >= float(model.threshold)
        scores.append({"event_id": row.event_id, "kind": row.kind, "score": round(score, 5), "flagged": flagged,
                       "reasons": model.explain(row.features) if flagged else [], "model_version": version})
    return {"scores": scores, "model_versions": versions}


@router.post("/api/predict")
def predict(body: PredictIn, tenant_id: int = Depends(tenant)) -> dict[str, Any]:
    if isinstance(body, PurchaseIn):
        return purchase(tenant_id, body)
    if isinstance(body, LikelyBuyersIn):
        return likely_buyers(tenant_id, body)
    return anomaly(tenant_id, body)
