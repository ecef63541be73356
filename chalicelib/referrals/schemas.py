"""The referrals area's API contract: the share code, the claim, the history and staff's list."""
from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chalicelib.platform.fields import Timestamp
from chalicelib.platform.keyset import Position

from .repository import NEWEST

Status = Literal["registered", "rewarded", "rejected", "reversed"]
Cursor = Annotated[str | None, Field(default=None, max_length=512, description="next_cursor of the previous page")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Page(_In):
    cursor: Cursor = None
    limit: int = Field(default=20, ge=1, le=100)

    @field_validator("cursor")
    @classmethod
    def _cursor(cls, value: str | None) -> str | None:
        NEWEST.parse(value)
        return value

    @property
    def position(self) -> Position | None:
        return NEWEST.parse(self.cursor)


class CodeOut(BaseModel):
    code: str = Field(description="8 characters without look-alikes")
    share_url: str = Field(description="https://<the shop>/r/<code>")


class ClaimIn(_In):
    code: str = Field(min_length=4, max_length=16, pattern=r"^\s*[A-Za-z0-9]{4,16}\s*$",
                      description="A referral code (case does not matter)")


class ClaimOut(BaseModel):
    id: int
    status: Status
    created_at: Timestamp


class HistoryQuery(_Page):
    pass


class RefereeOut(BaseModel):
    id: int
    name: str = Field(description="The referee's name, masked (\"Ay*** Y***\")")
    status: Status
    created_at: Timestamp
    qualified_at: Timestamp | None
    rewarded_at: Timestamp | None
    reversed_at: Timestamp | None


class EarningsOut(BaseModel):
    credited: Decimal = Field(description="Referral bonus credited and kept")
    pending: Decimal = Field(description="What referees still waiting for their first delivery would bring")
    reversed: Decimal = Field(description="Taken back after returns")
    currency: str


class HistoryOut(BaseModel):
    code: str | None
    earnings: EarningsOut
    items: list[RefereeOut]
    next_cursor: str | None


class AdminQuery(_Page):
    status: Status | None = None


class EarningOut(BaseModel):
    id: int
    user_id: int
    role: Literal["referrer", "referee"]
    amount: Decimal
    currency: str
    status: str = Field(description="credited, reversed")
    journal_id: int | None
    reversed_amount: Decimal
    credited_at: Timestamp | None
    reversed_at: Timestamp | None


class AdminReferralOut(BaseModel):
    id: int
    referrer_user_id: int
    referred_user_id: int
    referral_code: str
    status: Status
    order_id: int | None
    fraud_flags: list[str] | None = Field(description="same_device, same_phone, same_address, same_card")
    qualified_at: Timestamp | None
    rewarded_at: Timestamp | None
    reversed_at: Timestamp | None
    created_at: Timestamp
    earnings: list[EarningOut] = Field(default_factory=list)


class AdminReferralsOut(BaseModel):
    items: list[AdminReferralOut]
    next_cursor: str | None

