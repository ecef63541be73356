"""The API contract of campaign sends (K5 / AM): e-mail, SMS and push messages to an audience."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.platform.fields import Line, NaiveUtc, Timestamp
from chalicelib.platform.keyset import Position

from .offers_schemas import Body as BodyText
from .offers_schemas import Channel, DeepLink, LevelCode, Segment, Title, check_body_length
from .sends_repository import NEWEST

SendStatus = Literal["draft", "scheduled", "sending", "sent", "cancelled"]
MAX_AHEAD = dt.timedelta(days=366)
PAST_GRACE = dt.timedelta(minutes=5)  # a client clock a little behind is "now"


class AudienceIn(BaseModel):
    """Who gets it: every active customer (`all_customers`), or customers in any of `segments`
    and at any of `levels` (both lists: both must hold)."""

    model_config = ConfigDict(extra="forbid")
    segments: list[Segment] = Field(default_factory=list, max_length=8)
    levels: list[LevelCode] = Field(default_factory=list, max_length=20)
    all_customers: bool = False

    @model_validator(mode="after")
    def _someone(self) -> AudienceIn:
        if not (self.all_customers or self.segments or self.levels):
            raise PydanticCustomError("audience_required", "Name at least one segment or level, or all_customers.")
        if self.all_customers and (self.segments or self.levels):
            raise PydanticCustomError("audience_required", "all_customers takes no segments or levels.")
        return self


class SendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Line = Field(min_length=1, max_length=200)
    campaign_id: int | None = Field(default=None, gt=0, lt=2**63, description="the campaign it promotes")
    channels: list[Channel] = Field(min_length=1, max_length=3)
    audience: AudienceIn
    title: Title
    body: BodyText = Field(description="at most 1000 characters; 480 when SMS is a channel")
    deep_link: DeepLink

    @field_validator("channels")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _fits(self) -> SendIn:
        check_body_length(self.body, list(self.channels))
        return self


class ScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scheduled_at: NaiveUtc | None = Field(default=None, description="when to send; now when left out")

    @field_validator("scheduled_at")
    @classmethod
    def _window(cls, value: dt.datetime | None) -> dt.datetime | None:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        if value is not None and value < now - PAST_GRACE:
            raise PydanticCustomError("scheduled_at_past", "Must not be in the past.")
        if value is not None and value > now + MAX_AHEAD:
            raise PydanticCustomError("scheduled_at_too_late", "At most a year ahead.")
        return value


class AudienceOut(BaseModel):
    segments: list[str]
    levels: list[str]
    all_customers: bool


class SendOut(BaseModel):
    id: int
    name: str
    campaign_id: int | None
    channels: list[str]
    audience: AudienceOut
    title: str
    body: str
    deep_link: str | None
    status: SendStatus
    scheduled_at: Timestamp | None
    audience_count: int
    queued_count: int
    skipped_count: int
    created_by: int | None
    started_at: Timestamp | None
    finished_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp


class SendsPage(BaseModel):
    items: list[SendOut]
    next_cursor: str | None = None


class SendsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: SendStatus | None = None
    cursor: str | None = Field(default=None, max_length=512, description="next_cursor of the previous page")
    limit: int = Field(default=20, ge=1, le=100)

    @field_validator("cursor")
    @classmethod
    def _cursor(cls, value: str | None) -> str | None:
        NEWEST.parse(value)
        return value

    @property
    def position(self) -> Position | None:
        return None if self.cursor is None else NEWEST.decode(self.cursor)


class ConversionsOut(BaseModel):
    window_days: int
    orders: int = Field(description="paid orders of recipients within the window after they were sent to")
    customers: int
    revenue: Decimal


class CampaignUseOut(BaseModel):
    campaign_id: int
    orders: int = Field(description="recipients' orders in the window that used the campaign's promotion")
    discount: Decimal


class SendStatsOut(BaseModel):
    id: int
    status: SendStatus
    audience: int
    queued: int
    skipped: int
    skipped_by_reason: dict[str, int]
    channels: dict[str, dict[str, int]] = Field(description="per channel: deliveries by status (notifications)")
    conversions: ConversionsOut
    campaign: CampaignUseOut | None
