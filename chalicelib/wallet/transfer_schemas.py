"""The API contract of transfers between customers (W7)."""
from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from chalicelib.platform.fields import Line, Text, Timestamp, none_if_blank
from chalicelib.platform.schemas import Page

from . import transfer_errors as _errors  # noqa: F401 - registers the messages of the error types below
from .schemas import Amount, RequestQuery


class TransferIn(BaseModel):
    """Exactly one of phone, email and user_code names the recipient."""

    model_config = ConfigDict(extra="forbid")
    amount: Amount
    phone: Line | None = Field(default=None, max_length=20, description="the recipient's mobile, 05XX XXX XX XX")
    email: Line | None = Field(default=None, max_length=254, description="the recipient's e-mail address")
    user_code: Line | None = Field(default=None, max_length=20,
                                   description="the recipient's user code (GET /api/wallet/transfers/code)")
    note: Text | None = Field(default=None, max_length=255, description="shown to both sides; null or blank: none")

    _blank = field_validator("phone", "email", "user_code", "note", mode="before")(none_if_blank)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else value.strip().lower()

    @model_validator(mode="after")
    def _one_recipient(self) -> TransferIn:
        if sum(v is not None for v in (self.phone, self.email, self.user_code)) != 1:
            raise ValueError("Name the recipient by exactly one of phone, email and user_code.")
        return self


class TransferOut(BaseModel):
    id: int
    direction: Literal["sent", "received"]
    amount: Decimal
    currency: str
    note: str | None
    counterparty: str = Field(description="the other side's first name and initial")
    created_at: Timestamp


class TransferPage(Page[TransferOut]):
    next_cursor: str | None = None


class TransferQuery(RequestQuery):
    """The cursor and page size of the request lists: the same sort (newest first)."""


class UserCodeOut(BaseModel):
    user_code: str = Field(description="give it to someone who wants to send you money")

