"""The engagement API contract: reviews, moderation, favourites, back-in-stock alerts.

Review text is `Line` / `Text` (NFC, no control or bidi-override characters: a 400), then
cleaned to plain text while it is validated (plaintext.plain_text), so the service only ever
sees, and the database only ever stores, text without markup.  Lengths are checked on what the
customer sent.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from chalicelib.platform.fields import Line, Text, Timestamp
from chalicelib.platform.keyset import Keyset, Position
from chalicelib.platform.schemas import Page

from . import errors as _errors  # noqa: F401 - registers the messages of the error types below
from .alerts_repository import ACTIVE, FAVORITES, NOTIFIED
from .plaintext import plain_text
from .repository import MODERATION, ORDERS

ReviewStatus = Literal["pending", "approved", "rejected"]
ReviewOrder = Literal["newest", "helpful", "rating_high", "rating_low"]
StockStatus = Literal["in_stock", "low_stock", "out_of_stock"]
AlertStatus = Literal["active", "notified"]
assert set(ORDERS) == set(ReviewOrder.__args__)  # type: ignore[attr-defined]
assert set(AlertStatus.__args__) == {ACTIVE, NOTIFIED}  # type: ignore[attr-defined]

TITLE_MAX, BODY_MAX, REASON_MAX = 150, 2000, 255


def _one_line(value: str | None) -> str | None:
    cleaned = plain_text(value, multiline=False) if value is not None else ""
    return cleaned or None


def _paragraphs(value: str | None) -> str | None:
    cleaned = plain_text(value) if value is not None else ""
    return cleaned or None


def _reason(value: str) -> str:
    cleaned = _one_line(value)
    if not cleaned:
        raise PydanticCustomError("string_too_short", "Give a reason.")
    return cleaned


Rating = Annotated[int, Field(strict=True, ge=1, le=5, description="1 to 5 stars")]


def _check_cursor(value: str | None, keyset: Keyset) -> str | None:
    keyset.parse(value)
    return value


def _position(value: str | None, keyset: Keyset) -> Position | None:
    return None if value is None else keyset.decode(value)  # checked by _check_cursor


# -- reviews -----------------------------------------------------------------------------------
class ReviewIn(BaseModel):
    """A review (new, or replacing the customer's own).  Plain text only: markup is removed.

    Not a partial update: PUT replaces the whole review, so a title or body left out or null
    means "none" on PUT exactly as on POST.  Text is NFC-normalised; control characters and
    bidirectional overrides are refused (400)."""

    model_config = ConfigDict(extra="forbid")
    rating: Rating
    title: Line | None = Field(default=None, max_length=TITLE_MAX,
                               description=f"at most {TITLE_MAX} characters; one line; null or left out: none")
    body: Text | None = Field(default=None, max_length=BODY_MAX,
                              description=f"at most {BODY_MAX} characters; line breaks are kept; null or left out: none")

    _title = field_validator("title")(_one_line)
    _body = field_validator("body")(_paragraphs)


class ReviewListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sort: ReviewOrder = Field(default="newest", description="newest, helpful (most helpful first), rating_high, "
                                                              "rating_low")
    rating: int | None = Field(default=None, ge=1, le=5, description="only reviews with this many stars")
    cursor: str | None = Field(default=None, description="next_cursor of the previous page (same sort)")
    limit: int = Field(default=10, ge=1, le=50)

    @field_validator("cursor")
    @classmethod
    def _cursor(cls, value: str | None, info: ValidationInfo) -> str | None:
        order = info.data.get("sort", "newest")
        return _check_cursor(value, ORDERS[order]) if order in ORDERS else value

    @property
    def position(self) -> Position | None:
        return _position(self.cursor, ORDERS[self.sort])


class RatingSummary(BaseModel):
    average: Decimal = Field(description="approved reviews only, 2 decimals; 0 when there are none")
    count: int
    distribution: dict[str, int] = Field(description='approved reviews per star, "1" to "5"')


class ReviewOut(BaseModel):
    """A published review as shoppers see it."""

    id: int
    rating: int
    title: str | None
    body: str | None
    author: str | None = Field(description="first name and last initial, e.g. Ayşe Y.")
    verified_purchase: bool
    helpful_count: int
    created_at: Timestamp
    updated_at: Timestamp


class ReviewPage(Page[ReviewOut]):
    summary: RatingSummary


class MyReviewOut(ReviewOut):
    """The author's own review, with where it stands in moderation."""

    product_id: int
    status: ReviewStatus
    reject_reason: str | None


class ModerationQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: ReviewStatus = "pending"
    product_id: int | None = Field(default=None, ge=1)
    cursor: str | None = Field(default=None, description="next_cursor of the previous page")
    limit: int = Field(default=25, ge=1, le=100)

    @field_validator("cursor")
    @classmethod
    def _cursor(cls, value: str | None) -> str | None:
        return _check_cursor(value, MODERATION)

    @property
    def position(self) -> Position | None:
        return _position(self.cursor, MODERATION)


class AdminReviewOut(MyReviewOut):
    user_id: int
    product_name: str
    order_id: int | None
    moderated_by: int | None
    moderated_at: Timestamp | None


class AdminReviewPage(Page[AdminReviewOut]):
    pass


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Line = Field(min_length=1, max_length=REASON_MAX,
                         description="why, in words the customer may read (they see it)")

    _reason = field_validator("reason")(_reason)


# -- favourites --------------------------------------------------------------------------------
class FavoriteListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cursor: str | None = Field(default=None, description="next_cursor of the previous page")
    limit: int = Field(default=24, ge=1, le=100)

    @field_validator("cursor")
    @classmethod
    def _cursor(cls, value: str | None) -> str | None:
        return _check_cursor(value, FAVORITES)

    @property
    def position(self) -> Position | None:
        return _position(self.cursor, FAVORITES)


class FavoriteOut(BaseModel):
    product_id: int
    name: str
    slug: str
    price: Decimal
    compare_at_price: Decimal | None
    currency: str
    image: str | None
    stock_status: StockStatus
    rating_avg: Decimal
    rating_count: int
    added_at: Timestamp


class FavoritePage(Page[FavoriteOut]):
    pass


# -- back-in-stock alerts ----------------------------------------------------------------------
class AlertIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    variation_id: int | None = Field(default=None, ge=1, description="omit to be told when any variation is back")


class AlertListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cursor: int | None = Field(default=None, ge=1, description="next_cursor of the previous page")
    limit: int = Field(default=50, ge=1, le=100)


class AlertOut(BaseModel):
    id: int
    product_id: int
    product_name: str
    product_slug: str
    variation_id: int | None
    variation_name: str | None
    status: AlertStatus = Field(description="active (waiting), notified (the e-mail went out)")
    created_at: Timestamp
    notified_at: Timestamp | None


class AlertPage(Page[AlertOut]):
    pass
