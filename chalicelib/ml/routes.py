"""HTTP routes of the ML area (issue 14 item 8; the seed's route map).

Apps:  GET /api/recommendations (for_you | similar | bought_together) and POST /api/ml/recommend,
       public with the tenant's API key: a signed-in user gets personal answers, a guest is known
       by X-Device-Id.  Every answer says whether it came from the model or from popularity.
Staff: /api/ml/stats, /api/ml/models (+ train, activate, rollback), /api/ml/predict, /api/admin/ml,
       /api/admin/recommendations, /api/admin/segments, /api/admin/ml/anomalies (+ review).
The service's outages answer 503 ml_unavailable on staff routes that need it; segments and
anomalies are read from MySQL and keep working.
"""
from __future__ import annotations

from typing import Any

from chalicelib.platform import permissions
from chalicelib.platform.routing import ADMIN, PUBLIC, Call, Router

from . import service
from .errors import DeviceRequired
from .schemas import (
    ActivateIn,
    AdminMlOut,
    AdminRecommendationsOut,
    AdminRecommendationsQuery,
    AliasOut,
    AnomaliesOut,
    AnomaliesQuery,
    AnomalyOut,
    KindPath,
    MlHealthOut,
    ModelsOut,
    PredictIn,
    PredictOut,
    RecommendationsOut,
    RecommendationsQuery,
    RecommendIn,
    ReviewIn,
    SegmentCustomersOut,
    SegmentCustomersQuery,
    SegmentPath,
    SegmentsOut,
    StatsOut,
    TrainIn,
    TrainOut,
)

router = Router(tag="ml")
WINDOW = 900
READ, WRITE = permissions.ML_READ, permissions.ML_WRITE
STAFF_ERRORS = (400, 401, 403, 503)


def _out(rec: service.Recommendation) -> dict[str, Any]:
    return {"type": rec.type, "source": rec.source, "model_version": rec.model_version, "items": rec.items}


def _ask(call: Call, type_: str, product_id: int | None, product_ids: list[int], limit: int,
         exclude: list[int] | None = None) -> service.Ask:
    principal = call.ctx.principal
    user_id = principal.user_id if principal else None
    if user_id is None and call.ctx.device_id is None and type_ == "for_you":
        raise DeviceRequired()
    return service.Ask(type=type_, user_id=user_id, device_id=call.ctx.device_id, product_id=product_id,
                       product_ids=tuple(product_ids), limit=limit, exclude=frozenset(exclude or ()))


@router.get("/api/recommendations", auth=PUBLIC, query=RecommendationsQuery, response=RecommendationsOut,
            rate_limit=(300, WINDOW), errors=(400, 401, 429))
def recommendations(call: Call) -> RecommendationsOut:
    """Recommendations for the apps: for_you (a signed-in user: personal; a guest: by X-Device-Id's
    recent views), similar (product_id), bought_together (product_id and/or product_ids: the cart).
    Always answers: when the ML service is down the items are the tenant's best sellers, marked
    `source: "popularity"`.  Only this shop's active, in-stock products appear."""
    q: RecommendationsQuery = call.query
    ask = _ask(call, q.type, q.product_id, q.product_ids, q.limit)
    return RecommendationsOut.model_validate(_out(service.recommend(call.tenant.id, ask)))


@router.post("/api/ml/recommend", auth=PUBLIC, body=RecommendIn, response=RecommendationsOut,
             rate_limit=(300, WINDOW), errors=(400, 401, 429))
def recommend(call: Call) -> RecommendationsOut:
    """The same as GET /api/recommendations with an `exclude` list (products already in the cart,
    already shown).  A guest sends X-Device-Id; a signed-in customer its token."""
    b: RecommendIn = call.body
    ask = _ask(call, b.type, b.product_id, b.product_ids, b.limit, b.exclude)
    return RecommendationsOut.model_validate(_out(service.recommend(call.tenant.id, ask)))


@router.get("/api/ml/health", auth=PUBLIC, response=MlHealthOut, errors=(401,))
def health(call: Call) -> MlHealthOut:
    """Whether the ML service answers and the circuit breaker's state; `fallback` true means the
    apps' recommendations come from popularity now.  Answers 200 whatever the service's state."""
    return MlHealthOut.model_validate(service.health())


@router.get("/api/ml/stats", auth=ADMIN, permission=READ, response=StatsOut, errors=STAFF_ERRORS)
def stats(call: Call) -> StatsOut:
    """The service's live numbers for this shop: events per minute, models, open anomalies."""
    return StatsOut.model_validate(service.stats(call.tenant.id))


@router.get("/api/ml/models", auth=ADMIN, permission=READ, response=ModelsOut, errors=STAFF_ERRORS)
def models(call: Call) -> ModelsOut:
    """The shop's model versions (all kinds) with their metrics and champion / challenger alias."""
    return ModelsOut.model_validate({"items": service.models(call.tenant.id)})


@router.post("/api/ml/models", auth=ADMIN, permission=WRITE, body=TrainIn, response=TrainOut, status=202,
             rate_limit=(10, WINDOW), errors=(*STAFF_ERRORS, 429))
def train(call: Call) -> TrainOut:
    """Queue training of the shop's models (the service answers with a job id at once)."""
    b: TrainIn = call.body
    return TrainOut.model_validate(service.train(call.tenant.id, b.kinds, b.activate))


@router.post("/api/ml/models/{kind}/activate", auth=ADMIN, permission=WRITE, body=ActivateIn, response=AliasOut,
             errors=STAFF_ERRORS)
def activate(call: Call) -> AliasOut:
    """Make a version the champion of its kind (recommender, purchase, anomaly, segments)."""
    kind = KindPath.model_validate({"kind": call.path["kind"]}).kind
    return AliasOut.model_validate(service.activate(call.tenant.id, kind, call.body.version))


@router.post("/api/ml/models/{kind}/rollback", auth=ADMIN, permission=WRITE, response=AliasOut,
             errors=STAFF_ERRORS)
def rollback(call: Call) -> AliasOut:
    """The previous champion of the kind becomes the champion again."""
    kind = KindPath.model_validate({"kind": call.path["kind"]}).kind
    return AliasOut.model_validate(service.rollback(call.tenant.id, kind))


@router.post("/api/ml/predict", auth=ADMIN, permission=READ, body=PredictIn, response=PredictOut,
             errors=STAFF_ERRORS)
def predict(call: Call) -> PredictOut:
    """Purchase probabilities of sessions, the likely buyers now, or anomaly scores of events."""
    body = call.body.model_dump(exclude_none=True)
    return PredictOut.model_validate(service.predict(call.tenant.id, body))


@router.get("/api/admin/ml", auth=ADMIN, permission=READ, response=AdminMlOut, errors=(401, 403))
def admin_overview(call: Call) -> AdminMlOut:
    """Staff overview: the service's health, models, live stats, segment count and open anomalies
    (the last two from MySQL, shown while the service is down)."""
    return AdminMlOut.model_validate(service.overview(call.tenant.id))


@router.post("/api/admin/ml", auth=ADMIN, permission=WRITE, body=TrainIn, response=TrainOut, status=202,
             rate_limit=(10, WINDOW), errors=(*STAFF_ERRORS, 429))
def admin_train(call: Call) -> TrainOut:
    """Train the shop's models from the admin panel (as POST /api/ml/models)."""
    b: TrainIn = call.body
    return TrainOut.model_validate(service.train(call.tenant.id, b.kinds, b.activate))


@router.get("/api/admin/recommendations", auth=ADMIN, permission=READ, query=AdminRecommendationsQuery,
            response=AdminRecommendationsOut, errors=(400, 401, 403))
def admin_recommendations(call: Call) -> AdminRecommendationsOut:
    """What a given customer (or a guest, without user_id) would get, with the customer's segment
    and the recommender's versions and metrics."""
    q: AdminRecommendationsQuery = call.query
    ask = service.Ask(type=q.type, user_id=q.user_id, device_id=None, product_id=q.product_id,
                      product_ids=tuple(q.product_ids), limit=q.limit)
    rec = service.recommend(call.tenant.id, ask)
    tenant_id = call.tenant.id
    return AdminRecommendationsOut.model_validate({
        **_out(rec), "user_id": q.user_id,
        "segment": service.user_segment(tenant_id, q.user_id) if q.user_id else None,
        "models": [m for m in service.models_or_empty(tenant_id) if m.get("kind") == "recommender"]})


@router.get("/api/admin/segments", auth=ADMIN, permission=READ, response=SegmentsOut, errors=(401, 403))
def segments(call: Call) -> SegmentsOut:
    """Customer segments (champions, loyal, at risk, ...) with their sizes, from the segment the ML
    service wrote on each customer; averages and silhouette when the service answers."""
    return SegmentsOut.model_validate(service.segments(call.tenant.id))


@router.get("/api/admin/segments/{name}/customers", auth=ADMIN, permission=READ, query=SegmentCustomersQuery,
            response=SegmentCustomersOut, errors=(400, 401, 403))
def segment_customers(call: Call) -> SegmentCustomersOut:
    """The customers of a segment, by user id (page with `after`)."""
    name = SegmentPath.model_validate({"name": call.path["name"]}).name
    q: SegmentCustomersQuery = call.query
    return SegmentCustomersOut.model_validate(service.segment_customers(call.tenant.id, name, q.after, q.limit))


@router.get("/api/admin/ml/anomalies", auth=ADMIN, permission=READ, query=AnomaliesQuery, response=AnomaliesOut,
            errors=(400, 401, 403))
def anomalies(call: Call) -> AnomaliesOut:
    """Orders, payments and logins the anomaly model flagged, newest first (page with before_id)."""
    q: AnomaliesQuery = call.query
    return AnomaliesOut.model_validate(service.anomalies(call.tenant.id, q.status, q.kind, q.before_id, q.limit))


@router.post("/api/admin/ml/anomalies/{anomaly_id}/review", auth=ADMIN, permission=WRITE, body=ReviewIn,
             response=AnomalyOut, errors=(400, 401, 403, 404))
def review(call: Call) -> AnomalyOut:
    """Confirm or dismiss a flagged case with a note.  The same decision again changes nothing."""
    b: ReviewIn = call.body
    row = service.review_anomaly(call.tenant.id, call.path["anomaly_id"], b.decision, b.note, call.principal.user_id)
    return AnomalyOut.model_validate(row)
