"""The ML area's API contract (pydantic): what the apps and staff send and get.

Answers of the service that staff read are passed through with their documented fields; the
service may add fields (extra="allow") without breaking the API."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.platform.fields import Line

ProductId = Annotated[int, Field(ge=1, le=2**63 - 1)]
Kind = Literal["recommender", "purchase", "anomaly", "segments"]
RecType = Literal["for_you", "similar", "bought_together"]
Source = Literal["model", "popularity"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Passed(BaseModel):
    model_config = ConfigDict(extra="allow")


# -- recommendations -------------------------------------------------------------------------------
class RecommendationsQuery(_In):
    type: RecType = "for_you"
    product_id: ProductId | None = Field(default=None, description="similar: the product; bought_together: "
                                                                    "one product of the basket")
    product_ids: list[ProductId] = Field(default_factory=list, max_length=20,
                                         description="bought_together: the basket (cart) products")
    limit: int = Field(default=10, ge=1, le=50)


class RecommendIn(_In):
    type: RecType = "for_you"
    product_id: ProductId | None = None
    product_ids: list[ProductId] = Field(default_factory=list, max_length=20)
    exclude: list[ProductId] = Field(default_factory=list, max_length=100,
                                     description="Product ids never to answer (already in the cart, ...).")
    limit: int = Field(default=10, ge=1, le=50)


class AdminRecommendationsQuery(RecommendationsQuery):
    user_id: ProductId | None = Field(default=None, description="The customer to preview; none: a guest.")


class RecommendedProduct(BaseModel):
    product_id: int
    name: str
    slug: str
    category_id: int | None
    price: Decimal
    compare_at_price: Decimal | None
    currency: str
    stock_status: str
    image: str | None = Field(description="S3 key of the first image, as the catalogue's listing gives it.")
    score: float | None = Field(description="The model's score; null for popularity answers.")


class RecommendationsOut(BaseModel):
    type: RecType
    source: Source = Field(description="model: the tenant's trained model; popularity: best sellers of the "
                                       "tenant's own catalogue (service down, circuit open, or no model yet).")
    model_version: str | None
    items: list[RecommendedProduct]


class AdminRecommendationsOut(RecommendationsOut):
    user_id: int | None
    segment: str | None
    models: list[dict[str, Any]] = Field(description="The tenant's model versions with their metrics "
                                                     "(empty when the service is unavailable).")


# -- health, stats, models, predict ------------------------------------------------------------------
class MlHealthOut(BaseModel):
    status: Literal["ok", "degraded", "unavailable"]
    breaker: Literal["closed", "open", "half_open"]
    fallback: bool = Field(description="True when recommendations are answered from popularity now.")
    service: dict[str, Any] | None = Field(description="The service's own /health answer, when it answered.")


class StatsOut(_Passed):
    tenant_id: int
    events_per_minute: list[dict[str, Any]] = []
    events_total: int = 0
    models: dict[str, Any] = {}
    anomalies_open: int = 0
    uptime_s: float | None = None


class ModelOut(_Passed):
    kind: str
    version: str
    alias: str | None = None
    trained_at: str | None = None
    metrics: dict[str, Any] = {}
    rows: int | None = None
    fallback: bool | None = None


class ModelsOut(BaseModel):
    items: list[ModelOut]


class TrainIn(_In):
    kinds: list[Kind] | None = Field(default=None, description="null: every kind.")
    activate: Literal["auto", "always", "never"] = "auto"


class TrainOut(_Passed):
    job_id: str
    status: str


class ActivateIn(_In):
    version: Annotated[str, Field(pattern=r"^[A-Za-z0-9._:-]{1,64}$")]


class KindPath(_In):
    kind: Kind


class AliasOut(_Passed):
    champion: str | None = None
    challenger: str | None = None
    history: list[Any] = []


class PredictIn(_In):
    kind: Literal["purchase", "likely_buyers", "anomaly"]
    sessions: list[dict[str, Any]] | None = Field(default=None, max_length=100)
    events: list[dict[str, Any]] | None = Field(default=None, max_length=100)
    limit: int | None = Field(default=None, ge=1, le=500)


class PredictOut(_Passed):
    model_version: str | None = None


# -- admin overview ------------------------------------------------------------------------------------
class AdminMlOut(BaseModel):
    health: MlHealthOut
    models: list[ModelOut]
    stats: StatsOut | None
    segments: int = Field(description="Named segments with customers (from MySQL).")
    anomalies_open: int


# -- segments --------------------------------------------------------------------------------------------
class SegmentOut(BaseModel):
    name: str
    size: int
    updated_at: datetime | None
    recency_days_avg: float | None = None
    frequency_avg: float | None = None
    monetary_avg: float | None = None


class SegmentsOut(BaseModel):
    segments: list[SegmentOut]
    silhouette: float | None = Field(description="From the service; null when it is unavailable.")
    model_version: str | None


class SegmentPath(_In):
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_ -]{1,50}$")]


class SegmentCustomersQuery(_In):
    after: int = Field(default=0, ge=0, description="The last user_id of the previous page.")
    limit: int = Field(default=100, ge=1, le=500)


class SegmentCustomerOut(BaseModel):
    user_id: int
    email: str | None
    first_name: str | None
    last_name: str | None
    segment_updated_at: datetime | None


class SegmentCustomersOut(BaseModel):
    segment: str
    items: list[SegmentCustomerOut]
    next_after: int | None = Field(description="Pass as `after` for the next page; null on the last.")


# -- anomalies ---------------------------------------------------------------------------------------------
class AnomaliesQuery(_In):
    status: Literal["open", "confirmed", "dismissed"] | None = None
    kind: Literal["order", "payment", "login"] | None = None
    before_id: ProductId | None = Field(default=None, description="The last id of the previous page.")
    limit: int = Field(default=50, ge=1, le=200)


class AnomalyOut(BaseModel):
    id: int
    kind: str
    subject_type: str
    subject_id: str
    user_id: int | None
    score: Decimal
    reasons: list[str]
    event_id: str
    model_version: str
    status: str
    reviewed_by: int | None
    reviewed_at: datetime | None
    note: str | None
    created_at: datetime


class AnomaliesOut(BaseModel):
    items: list[AnomalyOut]
    next_before_id: int | None


class ReviewIn(_In):
    decision: Literal["confirmed", "dismissed"]
    note: Annotated[Line, Field(max_length=500)] | None = None
