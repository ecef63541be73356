"""The ML area's rules: recommendations with their fallback, the staff views, anomaly review.

Recommendations ask the service first (client.py: short timeout, breaker).  Whatever it answers
is filtered to this tenant's active, in-stock products through the catalogue's cards (a deleted
product, or an id that is another tenant's, finds no card and is dropped) and marked with the
service's source.  When the service is unavailable, or nothing it named survives the filter, the
answer comes from fallback.py, marked "popularity".  Staff views pass the service's answers
through; segments and anomalies are read from MySQL, so they work while the service is down.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from chalicelib.catalog import api as catalog
from chalicelib.platform import audit
from chalicelib.platform.db import UnitOfWork, get_db
from chalicelib.platform.logging import get_logger

from . import breaker as circuit
from . import client, fallback
from . import repository as repo
from .errors import AnomalyNotFound, MlRefused, MlUnavailable, ProductRequired

log = get_logger("ml.service")
MODES = {"for_you": "user", "similar": "similar", "bought_together": "complements"}
REVIEWED = ("confirmed", "dismissed")


class _Item(BaseModel):
    product_id: int = Field(ge=1)
    score: float


class _Answer(BaseModel):
    items: list[_Item]
    source: str = "model"
    model_version: str | None = None


@dataclass(frozen=True)
class Ask:
    """What a caller asks for: the type, who (user / device) and about what (products)."""

    type: str
    user_id: int | None
    device_id: str | None
    product_id: int | None
    product_ids: tuple[int, ...]
    limit: int
    exclude: frozenset[int] = frozenset()

    @property
    def basket(self) -> list[int]:
        return list(dict.fromkeys([*([self.product_id] if self.product_id else []), *self.product_ids]))


@dataclass(frozen=True)
class Recommendation:
    type: str
    source: str
    model_version: str | None
    items: list[dict[str, Any]]


def recommend(tenant_id: int, ask: Ask) -> Recommendation:
    if ask.type in ("similar", "bought_together") and not ask.basket:
        raise ProductRequired()
    ranked = _from_model(tenant_id, ask)
    if ranked is not None:
        answer, scored = ranked
        items = _hydrate(tenant_id, scored, ask)
        if items:
            source = "model" if answer.source == "model" else "popularity"
            return Recommendation(ask.type, source, answer.model_version, items)
    candidates = _fallback(tenant_id, ask)
    return Recommendation(ask.type, "popularity", None, _hydrate(tenant_id, [(p, None) for p in candidates], ask))


def _from_model(tenant_id: int, ask: Ask) -> tuple[_Answer, list[tuple[int, float | None]]] | None:
    basket = ask.basket
    body = {"mode": MODES[ask.type], "user_id": ask.user_id, "device_id": ask.device_id,
            "product_id": basket[0] if ask.type == "similar" else None,
            "product_ids": basket if ask.type == "bought_together" else None,
            # ask for more than shown: some ids may be dropped by the tenant / stock filter
            "k": min(50, ask.limit * 2 + len(ask.exclude)), "exclude": sorted(ask.exclude)}
    try:
        answer = _Answer.model_validate(client.call(tenant_id, "POST", "/api/recommend", body))
    except (MlUnavailable, MlRefused) as exc:
        log.info("recommendations from popularity", extra={"reason": exc.code})
        return None
    except ValidationError:
        log.warning("the ML service answered recommendations in an unknown shape")
        return None
    return answer, [(i.product_id, i.score) for i in answer.items]


def _fallback(tenant_id: int, ask: Ask) -> list[int]:
    if ask.type == "similar":
        return fallback.similar(tenant_id, ask.basket[0])
    if ask.type == "bought_together":
        return fallback.bought_together(tenant_id, ask.basket)
    return fallback.for_you(tenant_id, ask.device_id)


def _hydrate(tenant_id: int, ranked: list[tuple[int, float | None]], ask: Ask) -> list[dict[str, Any]]:
    """Cards of the ranked ids in their order: this tenant's active, in-stock products only, none
    the caller excludes (nor the products asked about), at most `limit`."""
    skip = set(ask.exclude) | set(ask.basket)
    wanted = [(p, s) for p, s in dict(ranked).items() if p not in skip][: ask.limit * 3]
    cards = catalog.product_cards(tenant_id, [p for p, _ in wanted]) if wanted else {}
    items = []
    for product_id, score in wanted:
        card = cards.get(product_id)
        if card is None or card["stock_status"] == "out_of_stock":
            continue
        items.append({**card, "product_id": product_id, "score": score})
        if len(items) == ask.limit:
            break
    return items


# -- health, stats, models, predict -------------------------------------------------------------------
def health() -> dict[str, Any]:
    breaker = client.breaker()
    try:
        answer = client.call(None, "GET", "/health")
    except (MlUnavailable, MlRefused):
        answer = None
    state = breaker.state()
    if answer is None:
        status = "unavailable"
    else:
        status = "ok" if answer.get("status") == "ok" and state == circuit.CLOSED else "degraded"
    return {"status": status, "breaker": state, "fallback": answer is None or state != circuit.CLOSED,
            "service": answer}


def stats(tenant_id: int) -> dict[str, Any]:
    return client.call(tenant_id, "GET", "/api/stats")


def models(tenant_id: int) -> list[dict[str, Any]]:
    items = client.call(tenant_id, "GET", "/api/models").get("items")
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def models_or_empty(tenant_id: int) -> list[dict[str, Any]]:
    try:
        return models(tenant_id)
    except (MlUnavailable, MlRefused):
        return []


def train(tenant_id: int, kinds: Sequence[str] | None, activate: str) -> dict[str, Any]:
    # Training is queued by the service (202): the short timeout still applies to the answer.
    return client.call(tenant_id, "POST", "/api/models/train", {"kinds": None if kinds is None else list(kinds), "activate": activate})


def activate(tenant_id: int, kind: str, version: str) -> dict[str, Any]:
    return client.call(tenant_id, "POST", f"/api/models/{kind}/activate", {"version": version})


def rollback(tenant_id: int, kind: str) -> dict[str, Any]:
    return client.call(tenant_id, "POST", f"/api/models/{kind}/rollback", {})


def predict(tenant_id: int, body: dict[str, Any]) -> dict[str, Any]:
    return client.call(tenant_id, "POST", "/api/predict", body)


def overview(tenant_id: int) -> dict[str, Any]:
    try:
        current = stats(tenant_id)
    except (MlUnavailable, MlRefused):
        current = None
    session = get_db().reader()
    return {"health": health(), "models": models_or_empty(tenant_id), "stats": current,
            "segments": len(repo.segment_sizes(session, tenant_id)),
            "anomalies_open": repo.open_anomalies(session, tenant_id)}


def user_segment(tenant_id: int, user_id: int) -> str | None:
    return repo.user_segment(get_db().reader(), tenant_id, user_id)


# -- segments -------------------------------------------------------------------------------------------
def segments(tenant_id: int) -> dict[str, Any]:
    """Sizes from MySQL (user_data.segment); the service's averages and silhouette when it answers."""
    rows = repo.segment_sizes(get_db().reader(), tenant_id)
    try:
        described = client.call(tenant_id, "GET", "/api/segments")
    except (MlUnavailable, MlRefused):
        described = {}
    by_name = {s.get("name"): s for s in described.get("segments") or [] if isinstance(s, dict)}
    out = []
    for row in rows:
        extra = by_name.get(row["name"], {})
        out.append({**row, **{k: extra.get(k) for k in ("recency_days_avg", "frequency_avg", "monetary_avg")}})
    return {"segments": out, "silhouette": described.get("silhouette"), "model_version": described.get("model_version")}


def segment_customers(tenant_id: int, name: str, after: int, limit: int) -> dict[str, Any]:
    rows = repo.segment_customers(get_db().reader(), tenant_id, name, after, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"segment": name, "items": rows, "next_after": rows[-1]["user_id"] if more else None}


# -- anomalies ------------------------------------------------------------------------------------------
def _anomaly(row: dict[str, Any]) -> dict[str, Any]:
    reasons = row["reasons"]
    if isinstance(reasons, (str, bytes)):
        reasons = json.loads(reasons)
    return {**row, "reasons": [str(r) for r in reasons or []]}


def anomalies(tenant_id: int, status: str | None, kind: str | None, before_id: int | None,
              limit: int) -> dict[str, Any]:
    rows = repo.anomalies(get_db().reader(), tenant_id, status=status, kind=kind, before_id=before_id,
                          limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [_anomaly(r) for r in rows], "next_before_id": rows[-1]["id"] if more else None}


def review_anomaly(tenant_id: int, anomaly_id: int, decision: str, note: str | None, reviewer: int) -> dict[str, Any]:
    """Confirm or dismiss; the same decision again changes nothing (idempotent), a different one
    re-decides.  Audit row in the same transaction."""
    assert decision in REVIEWED

    def work(uow: UnitOfWork) -> dict[str, Any]:
        row = repo.anomaly_for_update(uow, tenant_id, anomaly_id)
        if row is None:
            raise AnomalyNotFound()
        if row["status"] == decision and (note is None or note == row["note"]):
            return _anomaly(row)
        repo.set_review(uow, tenant_id, anomaly_id, decision, reviewer, note if note is not None else row["note"])
        audit.record(uow, tenant_id, "ml.anomaly_reviewed", entity_type="ml_anomaly", entity_id=anomaly_id,
                     before={"status": row["status"], "note": row["note"]},
                     after={"status": decision, "note": note if note is not None else row["note"]})
        updated = repo.anomaly_for_update(uow, tenant_id, anomaly_id)
        uow.commit()
        assert updated is not None
        return _anomaly(updated)

    return get_db().transaction(work)
