"""Shared API models: keyset pages, and the query of a list paged by one keyset."""
from __future__ import annotations

from typing import ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .keyset import Keyset, Position

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | int | None = None


class KeysetQuery(BaseModel):
    """`cursor` and `limit` of a list paged by one keyset (KEYSET, set by each subclass): a cursor
    of another sort, or no cursor at all, is a 400 on `cursor`; `position` is where to go on."""

    KEYSET: ClassVar[Keyset]
    model_config = ConfigDict(extra="forbid")
    cursor: str | None = Field(default=None, max_length=512, description="next_cursor of the previous page")
    limit: int = Field(default=25, ge=1, le=100)

    @field_validator("cursor")
    @classmethod
    def _cursor(cls, value: str | None) -> str | None:
        cls.KEYSET.parse(value)
        return value

    @property
    def position(self) -> Position | None:
        return None if self.cursor is None else self.KEYSET.decode(self.cursor)
