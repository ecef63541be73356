"""The API contract of personalised offers (K3): staff issue personal codes to a segment; a
customer sees their own.  Also the audience and message parts campaign sends share."""
from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.platform.fields import Line, Timestamp

Segment = Literal["champions", "loyal", "potential_loyalists", "new", "at_risk", "cant_lose", "hibernating", "lost"]
Channel = Literal["email", "sms", "push"]
LevelCode = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")]
_LINK = re.compile(r"^(https://[^\s/?#]+\.[^\s]+|huglu://[^\s]*)$")


def _printable(value: str) -> str:
    # The notification templates take one printable line (no NBSP, no zero-width characters).
    if not value.isprintable():
        raise PydanticCustomError("text_not_printable", "Must be printable characters on one line.")
    return value


def _link(value: str) -> str:
    if not _LINK.match(value) or not value.isprintable():
        raise PydanticCustomError("deep_link_invalid", "Must be an https:// address or an app link (huglu://).")
    return value


Title = Annotated[Line, Field(min_length=1, max_length=120), AfterValidator(_printable)]
Body = Annotated[Line, Field(min_length=1, max_length=1000), AfterValidator(_printable)]
DeepLink = Annotated[str, Field(min_length=9, max_length=500), AfterValidator(_link)]


SMS_BODY_MAX = 480
BODY_MAX = 1000
CODE_SHOWN = "X" * 12  # as long as a personal code (offers_service.new_code)


def check_body_length(body: str, channels: list[str], *, field: str = "body") -> None:
    """The message as sent fits the channels: at most BODY_MAX, and SMS_BODY_MAX when SMS is one."""
    if "sms" in channels and len(body) > SMS_BODY_MAX:
        raise PydanticCustomError("sms_body_too_long", "At most {max} characters when SMS is a channel.",
                                  {"max": SMS_BODY_MAX, "field": field})
    if len(body) > BODY_MAX:
        raise PydanticCustomError("string_too_long", "At most {max} characters with the code.",
                                  {"max": BODY_MAX, "field": field})


class OfferNotifyIn(BaseModel):
    """Tell each customer who gets a new code: `{code}` in the body is replaced with their code
    (without it, the code is appended)."""

    model_config = ConfigDict(extra="forbid")
    channels: list[Channel] = Field(min_length=1, max_length=3)
    title: Title
    body: Body
    deep_link: DeepLink = "huglu://campaigns/offers"

    @model_validator(mode="after")
    def _fits(self) -> OfferNotifyIn:
        shown = self.body.replace("{code}", CODE_SHOWN) if "{code}" in self.body else f"{self.body} {CODE_SHOWN}"
        check_body_length(shown, list(self.channels))
        return self


class OffersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    segments: list[Segment] = Field(default_factory=list, max_length=8)
    levels: list[LevelCode] = Field(default_factory=list, max_length=20)
    valid_days: int = Field(ge=1, le=365, description="each code is valid from now for this many days")
    usage_limit_per_code: int = Field(default=1, ge=1, le=1000)
    notify: OfferNotifyIn | None = None

    @model_validator(mode="after")
    def _audience(self) -> OffersIn:
        if not self.segments and not self.levels:
            raise PydanticCustomError("audience_required", "Name at least one segment or level.")
        return self


class OffersIssuedOut(BaseModel):
    campaign_id: int
    audience: int = Field(description="customers in the audience now")
    issued: int = Field(description="codes issued by this request (customers who had none)")
    already_had: int = Field(description="customers of the audience who already had a code")
    notified: int = Field(description="messages queued or suppressed for the new codes' owners")


class OffersStatsOut(BaseModel):
    campaign_id: int
    issued: int
    used: int = Field(description="codes used at least once")
    uses: int = Field(description="uses of all codes")
    active: int = Field(description="codes still valid and not used up")


class MyOfferOut(BaseModel):
    code: str
    campaign_id: int
    name: str
    description: str | None
    valid_from: Timestamp | None
    valid_until: Timestamp | None
    usage_limit: int | None
    used_count: int
    used: bool = Field(description="used at least once")
    usable: bool = Field(description="uses left")


class MyOffersOut(BaseModel):
    items: list[MyOfferOut]
