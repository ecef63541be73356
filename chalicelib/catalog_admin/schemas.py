"""The API contract of /api/admin/categories, /brands, /products and /variations.

Money fields accept JSON numbers and text in either notation ("1.249,90" or "1249.90"), are
`Decimal` throughout and come back as strings with two decimals ("1249.90").  Partial updates
(PUT) change only the fields sent; sending `null` clears an optional field.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.platform.fields import Timestamp
from chalicelib.platform.schemas import Page
from chalicelib.platform.text import is_valid_ean13

from . import values
from .values import SKU_PATTERN, SLUG_PATTERN

Status = Literal["draft", "active", "archived"]


def _money(value: Any) -> Decimal:
    try:
        return values.parse_money(value)
    except values.ValueProblem as exc:
        raise PydanticCustomError(exc.type, exc.message) from None


def _barcode(value: Any) -> Any:
    if value is None:
        return None
    text = str(value).strip()
    if not is_valid_ean13(text):
        raise PydanticCustomError("barcode_invalid", "Not a valid EAN-13 barcode (13 digits, correct check digit).")
    return text


Money = Annotated[Decimal, BeforeValidator(_money)]
Barcode = Annotated[str | None, BeforeValidator(_barcode)]
Sku = Annotated[str, Field(pattern=SKU_PATTERN, description="letters, digits and . _ - / (max 64)")]
Slug = Annotated[str, Field(pattern=SLUG_PATTERN, max_length=270, description="lower-case a-z, 0-9 and '-'")]
Options = Annotated[dict[str, str | int | Decimal], Field(max_length=20)]


class _Out(BaseModel):
    # Built on first use, not at import: a cold start pays only for the models its route needs
    # (~50 ms for all of this module's models on this machine).
    model_config = ConfigDict(defer_build=True)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


# -- categories ----------------------------------------------------------------------------------
class CategoryOut(_Out):
    id: int
    parent_id: int | None
    name: str
    slug: str
    description: str | None
    image_key: str | None
    path: str = Field(description="ids from the root, e.g. /1/5/12/")
    depth: int
    sort_order: int
    is_active: bool
    product_count: int = Field(description="products directly in this category, any status")
    child_count: int
    created_at: Timestamp
    updated_at: Timestamp


class CategoryList(_Out):
    items: list[CategoryOut] = Field(description="the whole tree, depth-first (parents before children)")


class CategoryCreateIn(_In):
    name: str = Field(min_length=1, max_length=150)
    parent_id: int | None = Field(default=None, ge=1, description="omit or null for a root category")
    slug: Slug | None = Field(default=None, description="generated from the name when omitted")
    description: str | None = Field(default=None, max_length=5000)
    image_key: str | None = Field(default=None, max_length=500)
    sort_order: int = Field(default=0, ge=-1_000_000, le=1_000_000)
    is_active: bool = True

    _strip = field_validator("name")(lambda v: v.strip())


class CategoryUpdateIn(_In):
    """Partial.  A new `parent_id` moves the category with its whole subtree (null: to the root).
    Renaming keeps the slug (links stay valid) unless `slug` is sent too."""

    name: str | None = Field(default=None, min_length=1, max_length=150)
    parent_id: int | None = Field(default=None, ge=1)
    slug: Slug | None = None
    description: str | None = Field(default=None, max_length=5000)
    image_key: str | None = Field(default=None, max_length=500)
    sort_order: int | None = Field(default=None, ge=-1_000_000, le=1_000_000)
    is_active: bool | None = None


# -- brands --------------------------------------------------------------------------------------
class BrandOut(_Out):
    id: int
    name: str
    slug: str
    description: str | None
    logo_key: str | None
    sort_order: int
    is_active: bool
    product_count: int
    created_at: Timestamp
    updated_at: Timestamp


class BrandList(_Out):
    items: list[BrandOut]


class BrandCreateIn(_In):
    name: str = Field(min_length=1, max_length=150)
    slug: Slug | None = None
    description: str | None = Field(default=None, max_length=5000)
    logo_key: str | None = Field(default=None, max_length=500)
    sort_order: int = Field(default=0, ge=-1_000_000, le=1_000_000)
    is_active: bool = True


class BrandUpdateIn(_In):
    name: str | None = Field(default=None, min_length=1, max_length=150)
    slug: Slug | None = None
    description: str | None = Field(default=None, max_length=5000)
    logo_key: str | None = Field(default=None, max_length=500)
    sort_order: int | None = Field(default=None, ge=-1_000_000, le=1_000_000)
    is_active: bool | None = None


# -- variations ----------------------------------------------------------------------------------
class VariationIn(_In):
    sku: Sku
    barcode: Barcode = Field(default=None, description="EAN-13 with a valid check digit")
    name: str | None = Field(default=None, max_length=150)
    options: Options | None = Field(default=None, description='e.g. {"beden": "L", "renk": "Haki"}')
    price: Money | None = Field(default=None, description="defaults to the product's base price")
    stock: int = Field(default=0, ge=0, le=values.MAX_STOCK)
    low_stock_threshold: int = Field(default=5, ge=0, le=1_000_000)
    nfc_tag: str | None = Field(default=None, pattern=r"^[A-Za-z0-9:_-]{4,64}$")
    is_active: bool = True


class VariationUpdateIn(_In):
    """Partial.  Stock changes only through POST .../stock (it needs a reason); a price sent here
    is recorded in the price history like POST .../price."""

    sku: Sku | None = None
    barcode: Barcode = None
    name: str | None = Field(default=None, max_length=150)
    options: Options | None = None
    price: Money | None = None
    low_stock_threshold: int | None = Field(default=None, ge=0, le=1_000_000)
    nfc_tag: str | None = Field(default=None, pattern=r"^[A-Za-z0-9:_-]{4,64}$")
    is_active: bool | None = None


class VariationOut(_Out):
    id: int
    product_id: int
    sku: str
    barcode: str | None
    name: str | None
    options: dict[str, Any] | None
    price: Decimal
    stock: int = Field(description="on hand")
    reserved: int = Field(description="held by open orders")
    available: int = Field(description="stock - reserved, never below 0")
    low_stock_threshold: int
    nfc_tag: str | None
    is_active: bool
    version: int
    created_at: Timestamp
    updated_at: Timestamp


class StockIn(_In):
    """Exactly one of `delta` (relative) or `set` (absolute)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)
    delta: int | None = Field(default=None, ge=-values.MAX_STOCK, le=values.MAX_STOCK)
    set_to: int | None = Field(default=None, alias="set", ge=0, le=values.MAX_STOCK)
    reason: str = Field(min_length=1, max_length=255, description="why, in words (kept in the stock history)")

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        if not value.strip():
            raise PydanticCustomError("required", "A reason is required.")
        return value.strip()

    @model_validator(mode="after")
    def _one_of(self) -> StockIn:
        if (self.delta is None) == (self.set_to is None):
            raise PydanticCustomError("delta_or_set", "Send exactly one of delta or set.")
        return self


class StockOut(_Out):
    variation_id: int
    product_id: int
    delta: int
    stock: int
    reserved: int
    available: int
    total_stock: int = Field(description="the product's total after the change")
    movement_id: int | None = Field(description="null when nothing changed")


class PriceIn(_In):
    price: Money


class PriceOut(_Out):
    variation_id: int
    product_id: int
    old_price: Decimal
    price: Decimal
    changed: bool


# -- products ------------------------------------------------------------------------------------
class ProductCreateIn(_In):
    name: str = Field(min_length=1, max_length=255)
    category_id: int = Field(ge=1)
    brand_id: int | None = Field(default=None, ge=1)
    slug: Slug | None = Field(default=None, description="SEO slug; generated from the name when omitted")
    description: str | None = Field(default=None, max_length=20_000)
    status: Status = "draft"
    base_price: Money
    compare_at_price: Money | None = None
    vat_rate: Decimal = Field(default=Decimal("20.00"), ge=0, le=100, decimal_places=2)
    weight_grams: int | None = Field(default=None, ge=0, le=10_000_000)
    attributes: dict[str, Any] | None = Field(default=None, max_length=50)
    variations: list[VariationIn] = Field(min_length=1, max_length=200)

    _strip = field_validator("name")(lambda v: v.strip())


class ProductUpdateIn(_In):
    """Partial.  Variations change through their own routes."""

    name: str | None = Field(default=None, min_length=1, max_length=255)
    category_id: int | None = Field(default=None, ge=1)
    brand_id: int | None = Field(default=None, ge=1, description="null removes the brand")
    slug: Slug | None = None
    description: str | None = Field(default=None, max_length=20_000)
    status: Status | None = None
    base_price: Money | None = None
    compare_at_price: Money | None = None
    vat_rate: Decimal | None = Field(default=None, ge=0, le=100, decimal_places=2)
    weight_grams: int | None = Field(default=None, ge=0, le=10_000_000)
    attributes: dict[str, Any] | None = Field(default=None, max_length=50)


class ImageOut(_Out):
    id: int
    variation_id: int | None
    s3_key: str
    thumb_key: str | None
    alt_text: str | None
    sort_order: int


class StockMovementOut(_Out):
    id: int
    variation_id: int
    delta: int
    stock_after: int | None
    reason: str
    note: str | None
    reference_type: str | None
    actor_user_id: int | None
    created_at: Timestamp


class PriceChangeOut(_Out):
    id: int
    variation_id: int | None = Field(description="null: the product's base price")
    old_price: Decimal | None
    new_price: Decimal
    source: str
    actor_user_id: int | None
    created_at: Timestamp


class HistoryOut(_Out):
    stock_movement_count: int
    price_change_count: int
    recent_stock_movements: list[StockMovementOut] = Field(description="newest first, at most 20")
    recent_price_changes: list[PriceChangeOut] = Field(description="newest first, at most 20")


class ProductSummaryOut(_Out):
    id: int
    name: str
    slug: str
    status: Status
    category_id: int
    category: str
    brand_id: int | None
    brand: str | None
    base_price: Decimal
    compare_at_price: Decimal | None
    currency: str
    total_stock: int
    variation_count: int
    updated_at: Timestamp


class ProductOut(ProductSummaryOut):
    description: str | None
    vat_rate: Decimal
    weight_grams: int | None
    attributes: dict[str, Any] | None
    sold_count: int
    rating_avg: Decimal
    rating_count: int
    created_at: Timestamp
    variations: list[VariationOut]
    images: list[ImageOut]
    history: HistoryOut


class ProductPage(Page[ProductSummaryOut]):
    model_config = ConfigDict(defer_build=True)


class ProductListQuery(_In):
    status: Status | None = None
    category_id: int | None = Field(default=None, ge=1, description="includes sub-categories")
    brand_id: int | None = Field(default=None, ge=1)
    q: str | None = Field(default=None, min_length=1, max_length=100,
                          description="words of the name / brand / category (Turkish-folded), or an exact SKU or barcode")
    cursor: int | None = Field(default=None, ge=1, description="next_cursor of the previous page")
    limit: int = Field(default=50, ge=1, le=200)
