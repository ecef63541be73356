"""The live-users API contract (pydantic): what the app sends, what staff read."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from chalicelib.platform.fields import Line, Timestamp

# The same characters the X-Device-Id header allows (platform/middleware.py): an id the app makes
# once per installation; guests are known by it alone.
DeviceId = Annotated[str, Field(pattern=r"^[A-Za-z0-9._:-]{8,64}$", examples=["8f14e45f-ceea-467f-a0e6"])]
ScreenName = Annotated[Line, Field(min_length=1, max_length=100, examples=["ProductDetail"])]
Platform = Literal["ios", "android", "web"]
MAX_EVENTS = 50  # per /api/user-data/log call: the app batches, the server stays bounded


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterIn(_In):
    device_id: DeviceId
    platform: Platform
    app_version: str = Field(pattern=r"^[0-9A-Za-z.+-]{1,32}$", examples=["2.4.1"])
    screen: ScreenName | None = None


class HeartbeatIn(_In):
    device_id: DeviceId
    screen: ScreenName | None = Field(default=None, description="The screen now shown; null or left out: unchanged.")


class UnregisterIn(_In):
    device_id: DeviceId


class ActivityEventIn(_In):
    type: Literal["screen", "action"]
    at: AwareDatetime = Field(description="When it happened on the device (RFC 3339 with offset).")
    screen: ScreenName | None = None
    name: Annotated[Line, Field(min_length=1, max_length=64)] | None = Field(
        default=None, description="What was done, for type=action (add_to_cart, search, ...).  product_view "
                                  "and add_to_cart with product_id, search with query also reach the ML "
                                  "service (recommendations, purchase prediction).")
    product_id: Annotated[int, Field(ge=1, le=2**63 - 1)] | None = Field(
        default=None, description="The product viewed or added (product_view, add_to_cart).")
    query: Annotated[Line, Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="What was searched for (search).")

    @model_validator(mode="after")
    def _needs(self) -> ActivityEventIn:
        if self.type == "screen" and self.screen is None:
            raise ValueError("a screen event names its screen")
        if self.type == "action" and self.name is None:
            raise ValueError("an action event names its action")
        return self


class ActivityLogIn(_In):
    device_id: DeviceId
    events: list[ActivityEventIn] = Field(min_length=1, max_length=MAX_EVENTS)


class PresenceOut(BaseModel):
    online: bool
    expires_in: int = Field(description="Seconds the presence lives without another heartbeat.")
    heartbeat_seconds: int = Field(description="How often the app should beat.")


class ActivityLogOut(BaseModel):
    accepted: int
    dropped: int = Field(description="Events older than the accepted window, ignored.")


class LiveUserOut(BaseModel):
    device_id: str
    kind: Literal["user", "guest"]
    user_id: int | None
    platform: str
    app_version: str
    screen: str | None
    since: Timestamp
    last_seen: Timestamp


class MinuteCount(BaseModel):
    minute: Timestamp
    count: int


class LiveUsersOut(BaseModel):
    online: int = Field(description="Presences alive now (all of them, even past `limit`).")
    signed_in: int = Field(description="Of the listed users.")
    guests: int = Field(description="Of the listed users.")
    users: list[LiveUserOut]
    truncated: bool
    per_minute: list[MinuteCount] = Field(description="Devices seen per minute (HyperLogLog estimate), oldest first.")


class LiveUsersQuery(_In):
    hours: int = Field(default=3, ge=1, le=24)
    limit: int = Field(default=200, ge=1, le=1000)


class ActivityQuery(_In):
    device_id: DeviceId
    limit: int = Field(default=100, ge=1, le=500)


class ActivityOut(BaseModel):
    type: str
    at: datetime
    screen: str | None
    name: str | None
    user_id: int | None


class ActivityListOut(BaseModel):
    items: list[ActivityOut]
