"""The public catalogue's API contract (query parameters and responses).

No `from __future__ import annotations` here: pydantic would compile every string annotation
back (~8 ms of a cold start for these models); the few forward references are quoted."""

import re
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.platform.fields import Line, clean_text
from chalicelib.platform.keyset import MAX_LENGTH, Position
from chalicelib.platform.schemas import Page
from chalicelib.platform.text import fold

from .listing_repository import SORTS

StockStatus = Literal["in_stock", "low_stock", "out_of_stock"]
SortName = Literal["newest", "price_asc", "price_desc", "best_selling", "rating", "relevance"]
_ATTRIBUTE_KEY = re.compile(r"[a-z0-9_]{1,40}")
MAX_ATTRIBUTE_VALUE = 100


class ProductListQuery(BaseModel):
    """GET /api/products.  Filters combine with AND; several brand_id (or values of one
    attribute) mean any of them."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    q: Line | None = Field(default=None, max_length=200,
                           description="search text (NFC-normalised): Turkish folding, word beginnings, typo tolerance")
    category_id: int | None = Field(default=None, ge=1, description="includes sub-categories; unknown: 404")
    brand_id: list[int] | None = Field(default=None, max_length=20, description="repeatable; unknown: 404")
    min_price: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)
    max_price: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)
    in_stock: bool = Field(default=False, description="true: only products with stock")
    attr: list[str] | None = Field(
        default=None, max_length=10,
        description="repeatable key:value over product attributes and variation options, e.g. renk:Haki "
        "(also accepted as attr.renk=Haki,Siyah); values of one key mean any of them")
    sort: SortName | None = Field(default=None, description="default: relevance with q, else newest")
    cursor: str | None = Field(default=None, max_length=MAX_LENGTH,
                               description="next_cursor of the previous page (same sort)")
    limit: int = Field(default=24, ge=1, le=100)
    facets: bool = Field(default=False, description="true: add facet counts (brands, categories, price bands, "
                                                    "in stock)")
    _cursor: Position | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _dotted_attributes(cls, data: Any) -> Any:
        """attr.renk=Haki,Siyah → attr=[renk:Haki, renk:Siyah]."""
        if not isinstance(data, dict) or not any(isinstance(k, str) and k.startswith("attr.") for k in data):
            return data
        data = dict(data)
        extra = data.get("attr") or []
        extra = list(extra) if isinstance(extra, list) else [extra]
        for name in [k for k in data if isinstance(k, str) and k.startswith("attr.")]:
            value = data.pop(name)
            for item in value if isinstance(value, list) else [value]:
                extra += [f"{name[5:]}:{v}" for v in str(item).split(",")]
        data["attr"] = extra
        return data

    @field_validator("q")
    @classmethod
    def _query_has_words(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not fold(value):
            raise PydanticCustomError("query_empty", "The search text needs at least one letter or digit.")
        return value.strip()

    @field_validator("max_price")
    @classmethod
    def _price_range(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        low = info.data.get("min_price")
        if value is not None and low is not None and value < low:
            raise PydanticCustomError("price_range_invalid", "max_price must not be below min_price.")
        return value

    @field_validator("attr")
    @classmethod
    def _attributes_well_formed(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        cleaned = []
        for item in value:
            key, sep, wanted = clean_text(item, multiline=False).partition(":")  # NFC, like stored values
            if not sep or not _ATTRIBUTE_KEY.fullmatch(key.strip().lower()) or not wanted.strip() \
                    or len(wanted) > MAX_ATTRIBUTE_VALUE:
                raise PydanticCustomError("attribute_invalid", "Use key:value, e.g. renk:Haki.")
            cleaned.append(f"{key}:{wanted}")
        return cleaned

    @field_validator("sort")
    @classmethod
    def _relevance_needs_query(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value == "relevance" and not info.data.get("q"):
            raise PydanticCustomError("sort_needs_query", "sort=relevance needs a search text (q).")
        return value

    @field_validator("cursor")
    @classmethod
    def _cursor_matches_sort(cls, value: str | None, info: ValidationInfo) -> str | None:
        SORTS[cls.effective_sort(info.data)].parse(value)
        return value

    @model_validator(mode="after")
    def _decode_cursor(self) -> "ProductListQuery":
        if self.cursor is not None:
            self._cursor = SORTS[self.effective_sort(self.__dict__)].decode(self.cursor)
        return self

    @staticmethod
    def effective_sort(data: dict[str, Any]) -> str:
        return data.get("sort") or ("relevance" if data.get("q") else "newest")

    @property
    def after(self) -> Position | None:
        return self._cursor

    def attributes(self) -> list[tuple[str, tuple[str, ...]]]:
        """(key, values) pairs, keys sorted, values in the order given, without repeats."""
        grouped: dict[str, list[str]] = {}
        for item in self.attr or []:
            key, _, wanted = item.partition(":")
            values = grouped.setdefault(key.strip().lower(), [])
            if wanted.strip() not in values:
                values.append(wanted.strip())
        return [(key, tuple(values)) for key, values in sorted(grouped.items())]


class SuggestQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    q: Line = Field(min_length=1, max_length=100, description="what has been typed so far (NFC-normalised)")

    @field_validator("q")
    @classmethod
    def _query_has_words(cls, value: str) -> str:
        if not fold(value):
            raise PydanticCustomError("query_empty", "The search text needs at least one letter or digit.")
        return value


# -- responses: schemas are built on first use, not at import (cold starts pay only for the
# routes they serve)
class _Out(BaseModel):
    model_config = ConfigDict(defer_build=True)


# -- listing --------------------------------------------------------------------------------------
class ProductSummary(_Out):
    id: int
    name: str
    slug: str
    brand: str | None
    category_id: int
    price: Decimal
    compare_at_price: Decimal | None
    currency: str
    stock_status: StockStatus
    rating_avg: Decimal
    rating_count: int
    image: str | None


class FacetValue(_Out):
    id: int
    name: str
    slug: str
    count: int


class PriceBand(_Out):
    min: Decimal
    max: Decimal | None = Field(description="null: no upper bound")
    count: int


class Facets(_Out):
    brands: list[FacetValue] = Field(description="under every filter but brand_id; selected brands always listed")
    categories: list[FacetValue] = Field(description="direct children of category_id (roots without it), "
                                                     "each counting its subtree")
    price_bands: list[PriceBand] = Field(description="fixed TRY bands, under every filter but the price range")
    in_stock: int = Field(description="products in stock under every filter but in_stock")


class ProductPage(Page[ProductSummary]):
    next_cursor: str | None = None
    did_you_mean: str | None = Field(default=None, description="the query with unknown words corrected")
    facets: Facets | None = None


class Suggestion(_Out):
    type: Literal["category", "product"]
    id: int
    name: str
    slug: str
    category_id: int | None = None


class SuggestionList(_Out):
    items: list[Suggestion]
    did_you_mean: str | None = None


# -- categories and brands ------------------------------------------------------------------------
class CategoryNode(_Out):
    id: int
    name: str
    slug: str
    image: str | None
    product_count: int = Field(description="active products in this category and below")
    children: list["CategoryNode"]


class CategoryTree(_Out):
    items: list[CategoryNode]


class BrandOut(_Out):
    id: int
    name: str
    slug: str
    logo: str | None
    product_count: int


class BrandList(_Out):
    items: list[BrandOut]


# -- detail ---------------------------------------------------------------------------------------
class VariationOut(_Out):
    id: int
    sku: str
    barcode: str | None
    name: str | None
    options: dict[str, Any] | None
    price: Decimal
    stock_status: StockStatus = Field(description="against the variation's own low-stock threshold")
    available: int
    low_stock_threshold: int | None = None


class ImageOut(_Out):
    key: str
    thumb: str | None
    alt: str | None


class RatingSummary(_Out):
    average: Decimal
    count: int
    distribution: dict[str, int] = Field(description="approved reviews per star, '5' to '1'")


class Crumb(_Out):
    id: int
    name: str
    slug: str


class ProductDetail(_Out):
    id: int
    name: str
    slug: str
    description: str | None
    brand: str | None
    brand_id: int | None = None
    category_id: int
    price: Decimal
    compare_at_price: Decimal | None
    currency: str
    vat_rate: Decimal
    stock_status: StockStatus
    rating_avg: Decimal
    rating_count: int
    rating: RatingSummary | None = None
    breadcrumbs: list[Crumb] = Field(default_factory=list, description="the category path from the root")
    attributes: dict[str, Any] | None
    variations: list[VariationOut]
    images: list[ImageOut]
