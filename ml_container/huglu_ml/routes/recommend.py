"""Recommendations: user → items, item → similar items, cart → complements, popular.

The fast path: the tenant's champion recommender is loaded once per process (registry LRU) and answers
from its precomputed structures; live context (items the user / device just viewed) comes from Redis;
identical questions within a couple of seconds are answered from a small in-process cache. Without a
champion (a new tenant, a failed load) the tenant's own best sellers answer, marked ``popularity``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from typing import Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, model_validator

from huglu_ml import db, store
from huglu_ml.auth import tenant
from huglu_ml.config import get_settings
from huglu_ml.registry import get_registry

router = APIRouter()
log = logging.getLogger("huglu_ml.recommend")
CACHE_MAX = 20_000


class RecommendIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    mode: Literal["user", "similar", "complements", "popular"] = "user"
    user_id: int | None = Field(None, ge=1, lt=2**63)
    product_id: int | None = Field(None, ge=1, lt=2**63)
    product_ids: list[int] | None = Field(None, max_length=100)
    device_id: str | None = Field(None, min_length=1, max_length=128)
    k: int = Field(10, ge=1, le=50)
    exclude: list[int] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _needs(self) -> RecommendIn:
        if self.mode == "similar" and self.product_id is None:
            raise ValueError("mode 'similar' needs product_id")
        if self.mode == "complements" and not (self.product_ids or self.product_id):
            raise ValueError("mode 'complements' needs product_ids")
        return self


class _AnswerCache:
    def __init__(self) -> None:
        self._data: OrderedDict[tuple, tuple[float, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> dict[str, Any] | None:
        with self._lock:
            hit = self._data.get(key)
            if hit and time.monotonic() - hit[0] < get_settings().answer_cache_s:
                return hit[1]
        return None

    def put(self, key: tuple, answer: dict[str, Any]) -> None:
        with self._lock:
            self._data[key] = (time.monotonic(), answer)
            while len(self._data) > CACHE_MAX:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


answers = _AnswerCache()


def _ints(pairs: list[tuple[str, float]], exclude: set[int], k: int) -> list[dict[str, Any]]:
    out = []
    for item, score in pairs:
        if str(item).isdigit() and int(item) not in exclude:
            out.append({"product_id": int(item), "score": round(float(score), 6)})
        if len(out) == k:
            break
    return out


def _from_model(model: Any, body: RecommendIn, tenant_id: int) -> list[dict[str, Any]]:
    exclude = set(body.exclude)
    want = body.k + len(exclude)
    excl = [str(x) for x in exclude]
    if body.mode == "user":
        subjects = ([f"user:{body.user_id}"] if body.user_id else []) + (
            [f"device:{body.device_id}"] if body.device_id else [])
        try:
            recent = store.recent_items(tenant_id, subjects) if subjects else []
        except Exception:  # noqa: BLE001 - without live context the model still answers
            recent = []
        user = str(body.user_id) if body.user_id else None
        return _ints(model.recommend(user, want, recent=recent, exclude=excl), exclude, body.k)
    if body.mode == "similar":
        if not model.knows(str(body.product_id)):
            return []  # an item the model never saw: the caller answers popularity, marked as such
        exclude.add(int(body.product_id or 0))
        return _ints(model.similar(str(body.product_id), want + 1), exclude, body.k)
    if body.mode == "complements":
        cart = [int(x) for x in (body.product_ids or [body.product_id])]
        if not any(model.knows(str(x)) for x in cart):
            return []
        exclude.update(cart)
        return _ints(model.complements([str(x) for x in cart], want + len(cart)), exclude, body.k)
    return _ints(model.popular(want), exclude, body.k)


def answer(tenant_id: int, body: RecommendIn) -> dict[str, Any]:
    registry = get_registry()
    try:
        champion = registry.champion_soon(tenant_id, "recommender", get_settings().load_wait_s)
    except Exception:  # noqa: BLE001 - S3 or a corrupt version must not cost the shop its shelf
        log.exception("recommender champion unavailable for tenant %s", tenant_id)
        champion = None
    key = (tenant_id, champion[0] if champion else None, body.mode, body.user_id, body.device_id, body.product_id,
           tuple(body.product_ids or ()), body.k, tuple(sorted(body.exclude)))
    cached = answers.get(key)
    if cached is not None:
        return cached
    items: list[dict[str, Any]] = []
    source, version = "popularity", None
    if champion is not None:
        version, model = champion
        try:
            items = _from_model(model, body, tenant_id)
        except (KeyError, ValueError, IndexError):  # an unknown item for this model: popular answers
            items = []
        if items and body.mode != "popular" and not getattr(model, "fallback", False):
            source = "model"
        elif not items:
            items = _ints(model.popular(body.k + len(body.exclude) + 1), set(body.exclude) | _context(body), body.k)
    if not items:  # no model, or a model without a single usable item: the tenant's own best sellers
        version = None
        items = [{"product_id": pid, "score": score}
                 for pid, score in db.popular_products(tenant_id, body.k, sorted(set(body.exclude) | _context(body)))]
    result = {"items": items, "source": source, "model_version": version}
    answers.put(key, result)
    return result


def _context(body: RecommendIn) -> set[int]:
    ids = set(body.product_ids or ())
    if body.product_id:
        ids.add(body.product_id)
    return ids if body.mode in ("similar", "complements") else set()


@router.post("/api/recommend")
def recommend(body: RecommendIn, tenant_id: int = Depends(tenant)) -> dict[str, Any]:
    return answer(tenant_id, body)
