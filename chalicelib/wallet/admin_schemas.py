"""The admin finance contract (AF): the wallet list and one wallet, manual adjustments, the
ledger export."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel, field_validator, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.platform.fields import Money, SignedMoney, Text, Timestamp
from chalicelib.platform.keyset import Position
from chalicelib.platform.schemas import Page

from .admin_repository import WALLETS
from .schemas import AccountCode, AccountOut

WalletStatus = Literal["active", "frozen", "closed"]
MAX_EXPORT_DAYS = 366
MAX_NAME_WORDS = 3


class WalletListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: list[WalletStatus] | None = None
    min_balance: Money | None = Field(default=None, description="cash and bonus together at least this")
    user_id: int | None = Field(default=None, gt=0, lt=2**63)
    q: str | None = Field(default=None, max_length=100,
                          description="the owner: an e-mail's start (with '@') or the starts of their names")
    cursor: str | None = Field(default=None, max_length=200, description="next_cursor of the previous page")
    limit: int = Field(default=20, ge=1, le=100)

    @field_validator("q")
    @classmethod
    def _search(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = " ".join(value.split())
        if len(value) < 2:
            raise PydanticCustomError("query_too_short", "The search text needs at least 2 characters.")
        return value

    @field_validator("cursor")
    @classmethod
    def _cursor(cls, value: str | None) -> str | None:
        WALLETS.parse(value)
        return value

    @property
    def position(self) -> Position | None:
        return None if self.cursor is None else WALLETS.decode(self.cursor)


class AdminWalletOut(BaseModel):
    id: int
    user_id: int
    email: str | None
    first_name: str | None
    last_name: str | None
    currency: str
    status: WalletStatus
    cash: AccountOut
    bonus: AccountOut = Field(description="HPay bonus")
    balance: Decimal = Field(description="cash and bonus together")
    available: Decimal = Field(description="cash and bonus available together")
    created_at: Timestamp


class AdminWalletPage(Page[AdminWalletOut]):
    next_cursor: str | None = None


def _not_zero(value: Decimal) -> Decimal:
    if value == 0:
        raise PydanticCustomError("not_zero", "Must not be 0.")
    return value


class AdjustmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Annotated[SignedMoney, AfterValidator(_not_zero)] = Field(
        description="signed: + credits the account, - debits it (never below what is available: 409)")
    account: AccountCode = Field(description="cash or HPay bonus")
    reason: Text = Field(min_length=3, max_length=255, description="why; kept on the entry and in the audit log")


class AdjustmentOut(BaseModel):
    entry_id: int = Field(description="the journal entry the adjustment made")
    amount: Decimal
    account: AccountCode
    reason: str
    wallet: AdminWalletOut


class LedgerExportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["csv", "xlsx"] = "csv"
    date_from: date = Field(description="entries on or after this day (UTC)")
    date_to: date = Field(description=f"entries on or before this day (UTC); at most {MAX_EXPORT_DAYS} days in all")

    @model_validator(mode="after")
    def _range(self) -> LedgerExportQuery:
        if self.date_from > self.date_to:
            raise PydanticCustomError("date_range", "date_from must not be after date_to.")
        if self.date_to - self.date_from >= timedelta(days=MAX_EXPORT_DAYS):
            raise PydanticCustomError("date_range_too_long", "At most {days} days at once.",
                                      {"days": MAX_EXPORT_DAYS})
        return self


class LedgerExportFile(RootModel[str]):
    """The export file itself (not JSON): CSV text, UTF-8 with a BOM, or with format=xlsx the
    XLSX workbook's bytes; one row per ledger line."""

    model_config = ConfigDict(defer_build=True, json_schema_extra={"format": "binary"})
