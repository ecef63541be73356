"""The HTTP contract of notification channels: devices, preferences, the staff delivery log."""
from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.adapters.push import is_expo_token
from chalicelib.platform.fields import NaiveUtc, Timestamp
from chalicelib.platform.keyset import Position

from .channels import CONSENT_SOURCES, STATUSES
from .deliveries_repository import NEWEST

Category = Literal["order", "campaign", "stock", "account"]
Channel = Literal["email", "sms", "push"]
DeliveryStatus = Literal["queued", "sending", "deferred", "sent", "delivered", "failed", "suppressed"]
assert set(DeliveryStatus.__args__) == set(STATUSES)  # type: ignore[attr-defined]

# A device id as the app makes it (ASCII: the column is ascii_bin); a path that is not one names no device.
DEVICE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class DeviceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    device_id: str = Field(min_length=1, max_length=128, pattern=DEVICE_ID.pattern,
                           description="the app installation's id (stable across launches)")
    token: str = Field(max_length=255, description="ExponentPushToken[...] from getExpoPushTokenAsync()")
    platform: Literal["ios", "android", "web"] | None = None

    @field_validator("token")
    @classmethod
    def _token(cls, value: str) -> str:
        if not is_expo_token(value):
            raise PydanticCustomError("push_token_invalid", "Not an Expo push token (ExponentPushToken[...]).")
        return value


class DeviceOut(BaseModel):
    id: int
    device_id: str
    platform: str | None
    created_at: Timestamp
    updated_at: Timestamp


class ChannelSwitches(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: bool | None = None
    sms: bool | None = None
    push: bool | None = None


class PreferencesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    preferences: dict[Category, ChannelSwitches] = Field(description="only the switches that change")
    source: Literal[tuple(CONSENT_SOURCES)] = Field(  # type: ignore[valid-type]
        default="mobile_app_settings", description="where the user changed them (kept with an İYS consent)")

    def changes(self) -> dict[str, dict[str, bool]]:
        return {category: {c: v for c, v in switches.model_dump().items() if v is not None}
                for category, switches in self.preferences.items()}


class ConsentOut(BaseModel):
    status: Literal["ONAY", "RET"]
    source: str
    consent_at: Timestamp
    iys_type: str | None
    iys_status: str


class QuietHoursOut(BaseModel):
    start: str
    end: str
    time_zone: str


class PreferencesOut(BaseModel):
    preferences: dict[str, dict[str, bool]]
    consents: dict[str, ConsentOut]
    quiet_hours: QuietHoursOut | None = Field(description="when marketing messages wait (tenant's time zone)")


class DeliveryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: list[DeliveryStatus] | None = None
    channel: list[Channel] | None = None
    category: list[Category] | None = None
    template: list[Annotated[str, Field(pattern=r"^[a-z0-9_]{1,64}$")]] | None = Field(default=None, max_length=20)
    user_id: int | None = Field(default=None, gt=0, lt=2**63)
    message_id: str | None = Field(default=None, max_length=64)
    created_from: NaiveUtc | None = Field(default=None, description="at or after (UTC)")
    created_before: NaiveUtc | None = Field(default=None, description="before (UTC)")
    cursor: str | None = Field(default=None, max_length=200, description="next_cursor of the previous page")
    limit: int = Field(default=50, ge=1, le=200)

    @field_validator("cursor")
    @classmethod
    def _cursor(cls, value: str | None) -> str | None:
        NEWEST.parse(value)
        return value

    @model_validator(mode="after")
    def _range(self) -> DeliveryQuery:
        if self.created_from and self.created_before and self.created_from >= self.created_before:
            raise PydanticCustomError("date_range", "created_from must be before created_before.")
        return self

    @property
    def position(self) -> Position | None:
        return None if self.cursor is None else NEWEST.decode(self.cursor)


class DeliveryOut(BaseModel):
    id: int
    message_id: str
    user_id: int | None
    category: str
    template: str
    channel: str
    lang: str | None
    status: str
    reason: str | None
    provider: str | None
    provider_ref: str | None
    recipient: str | None = Field(description="masked")
    attempts: int
    next_attempt_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp
    sent_at: Timestamp | None
    delivered_at: Timestamp | None


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None = None


class PushTicketOut(BaseModel):
    ticket_id: str
    status: str
    error: str | None
    created_at: Timestamp
    checked_at: Timestamp | None


class DeliveryDetail(DeliveryOut):
    push_tickets: list[PushTicketOut]
