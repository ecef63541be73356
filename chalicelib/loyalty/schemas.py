"""The loyalty area's API contract: tiers (staff CRUD, the public list) and a customer's level."""
from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from chalicelib.platform.fields import Line, Text, Timestamp

PERCENT_PATTERN = r"^(100(\.0{1,2})?|[0-9]{1,2}(\.[0-9]{1,2})?)$"
Code = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$", description="lower-case, e.g. \"gold\"")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Benefits(_In):
    free_shipping: StrictBool = Field(default=False, description="Shipping is free for the level's members.")
    extra_bonus_percent: str = Field(default="0", pattern=PERCENT_PATTERN,
                                     description="HPay bonus on top of the shop's own, in percent of what a "
                                                 "delivered order paid: a decimal string \"0\"..\"100\".")
    early_access_minutes: StrictInt = Field(default=0, ge=0, le=1440,
                                            description="Minutes before a flash deal opens that members see it.")


class LevelIn(_In):
    code: Code
    name: Line = Field(min_length=1, max_length=100)
    description: Text | None = Field(default=None, max_length=2000)
    sort_order: StrictInt = Field(default=0, ge=0, le=10000)
    min_points: StrictInt = Field(ge=0, le=1_000_000_000, description="Points of the last 365 days needed.")
    benefits: Benefits = Field(default_factory=Benefits)


class PublicLevel(BaseModel):
    id: int
    code: str
    name: str
    description: str | None
    min_points: int
    benefits: Benefits


class LevelOut(PublicLevel):
    sort_order: int
    created_at: Timestamp
    updated_at: Timestamp


class LevelsOut(BaseModel):
    items: list[LevelOut]


class PublicLevelsOut(BaseModel):
    items: list[PublicLevel]


class PointsRow(BaseModel):
    id: int
    order_id: int | None
    kind: str = Field(description="earn (a delivered order) or reverse (its goods came back)")
    points: int
    earned_at: Timestamp


class MyLevelOut(BaseModel):
    levels_configured: bool = Field(description="false: the shop has no levels (everything else is empty)")
    level: PublicLevel | None
    points_12m: int = Field(description="Points earned in the last 365 days.")
    next_level: PublicLevel | None
    points_to_next: int | None
    progress_percent: int = Field(ge=0, le=100)
    retained_until: Timestamp | None = Field(description="The level is kept at least until then.")
    benefits: Benefits
    history: list[PointsRow] = Field(description="The newest points rows (20 at most).")

