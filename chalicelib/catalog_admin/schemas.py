"""The API contract of /api/admin/categories, /brands, /products and /variations.

Money fields take the platform's JSON money (`Money`: a JSON number or a decimal string with
"." and at most two places; Turkish notation belongs to the spreadsheet import only), are
`Decimal` throughout and come back as strings with two decimals ("1249.90").

Partial updates (PUT) are `Patch` bodies: a field left out keeps its value; `null` clears only
the optional columns each model lists in CLEARABLE (and says so in the field's description);
`null` anywhere else is a 400 `null_not_allowed` naming the field.

Human-entered text is `Line` (names) or `Text` (descriptions): NFC-normalised and stripped,
control and bidirectional-override characters refused.  Free-form JSON (`attributes`) has the
platform's depth and size limits; variation options are flat (text or number values).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    TypeAdapter,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from chalicelib.platform.fields import JsonObject, Line, Money, Patch, Text, Timestamp, clean_text
from chalicelib.platform.schemas import Page
from chalicelib.platform.text import is_valid_ean13

from . import values
from .values import SKU_PATTERN, SLUG_PATTERN

Status = Literal["draft", "active", "archived"]
MAX_ATTRIBUTES, MAX_OPTIONS = 50, 20


def _barcode(value: Any) -> Any:
    if value is None:
        return None
    text = str(value).strip()
    if not is_valid_ean13(text):
        raise PydanticCustomError("barcode_invalid", "Not a valid EAN-13 barcode (13 digits, correct check digit).")
    return text


Barcode = Annotated[str | None, BeforeValidator(_barcode)]
Sku = Annotated[str, Field(pattern=SKU_PATTERN, description="letters, digits and . _ - / (max 64)")]
Slug = Annotated[str, Field(pattern=SLUG_PATTERN, max_length=270, description="lower-case a-z, 0-9 and '-'")]
OptionName = Annotated[Line, Field(min_length=1, max_length=40)]
OPTION_VALUE_MAX = 100


def _option_value(value: Any) -> str | int | Decimal:
    """One option value: a single line of text (as `Line`) or a finite number, nothing else.
    One validator instead of a union, so a 101-character text is refused rather than read as
    a number, and an error names `options.<key>` alone."""
    if isinstance(value, str):
        text = clean_text(value, multiline=False)
        if not text or len(text) > OPTION_VALUE_MAX:
            raise PydanticCustomError("option_value_invalid", "Text of 1 to {max} characters, or a number.",
                                      {"max": OPTION_VALUE_MAX})
        return text
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or not Decimal(value).is_finite():
        raise PydanticCustomError("option_value_invalid", "Text of 1 to {max} characters, or a number.",
                                  {"max": OPTION_VALUE_MAX})
    return value


_LINE_SCHEMA = TypeAdapter(Line).json_schema()
OptionValue = Annotated[str | int | Decimal, PlainValidator(_option_value), WithJsonSchema(
    {"anyOf": [{**_LINE_SCHEMA, "minLength": 1, "maxLength": OPTION_VALUE_MAX}, {"type": "number"}]})]
# JsonObject's own check (depth <= 4, <= 16 KiB) after the key count: a Field(max_length) put on
# JsonObject itself would be documented as an object's "maxLength", which JSON Schema ignores.
Options = Annotated[dict[OptionName, OptionValue], Field(max_length=MAX_OPTIONS), *JsonObject.__metadata__]
Attributes = Annotated[dict[str, Any], Field(max_length=MAX_ATTRIBUTES), *JsonObject.__metadata__]
VatRate = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2, description="percent, e.g. 20.00")]
StockCount = Annotated[int, Field(ge=0, le=values.MAX_STOCK)]
Threshold = Annotated[int, Field(ge=0, le=1_000_000)]
SortOrder = Annotated[int, Field(ge=-1_000_000, le=1_000_000)]
Weight = Annotated[int, Field(ge=0, le=10_000_000, description="grams")]
NfcTag = Annotated[str, Field(pattern=r"^[A-Za-z0-9:_-]{4,64}$")]
StorageKey = Annotated[str, Field(max_length=500)]


def _compare_at_not_below_price(compare_at: Decimal | None, info: ValidationInfo) -> Decimal | None:
    price = info.data.get("base_price")
    if compare_at is not None and price is not None and compare_at < price:
        raise PydanticCustomError("compare_at_below_price",
                                  "Must not be below the price ({price}).", {"price": str(price)})
    return compare_at


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
    name: Line = Field(min_length=1, max_length=150)
    parent_id: int | None = Field(default=None, ge=1, description="omit or null for a root category")
    slug: Slug | None = Field(default=None, description="generated from the name when omitted")
    description: Text | None = Field(default=None, max_length=5000)
    image_key: StorageKey | None = None
    sort_order: SortOrder = 0
    is_active: bool = True


class CategoryUpdateIn(Patch):
    """Partial.  A new `parent_id` moves the category with its whole subtree (null: to the root).
    Renaming keeps the slug (links stay valid) unless `slug` is sent too."""

    CLEARABLE = frozenset({"parent_id", "description", "image_key"})
    name: Line | None = Field(default=None, min_length=1, max_length=150)
    parent_id: int | None = Field(default=None, ge=1, description="null moves the category to the root")
    slug: Slug | None = None
    description: Text | None = Field(default=None, max_length=5000, description="null clears it")
    image_key: StorageKey | None = Field(default=None, description="null clears it")
    sort_order: SortOrder | None = None
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
    name: Line = Field(min_length=1, max_length=150)
    slug: Slug | None = None
    description: Text | None = Field(default=None, max_length=5000)
    logo_key: StorageKey | None = None
    sort_order: SortOrder = 0
    is_active: bool = True


class BrandUpdateIn(Patch):
    """Partial.  Renaming keeps the slug unless `slug` is sent too."""

    CLEARABLE = frozenset({"description", "logo_key"})
    name: Line | None = Field(default=None, min_length=1, max_length=150)
    slug: Slug | None = None
    description: Text | None = Field(default=None, max_length=5000, description="null clears it")
    logo_key: StorageKey | None = Field(default=None, description="null clears it")
    sort_order: SortOrder | None = None
    is_active: bool | None = None


# -- variations ----------------------------------------------------------------------------------
class VariationIn(_In):
    sku: Sku
    barcode: Barcode = Field(default=None, description="EAN-13 with a valid check digit")
    name: Line | None = Field(default=None, max_length=150)
    options: Options | None = Field(default=None, description='e.g. {"beden": "L", "renk": "Haki"}')
    price: Money | None = Field(default=None, description="defaults to the product's base price")
    stock: StockCount = 0
    low_stock_threshold: Threshold = 5
    nfc_tag: NfcTag | None = None
    is_active: bool = True


class VariationUpdateIn(Patch):
    """Partial.  Stock changes only through POST .../stock (it needs a reason); a price sent here
    is recorded in the price history like POST .../price."""

    CLEARABLE = frozenset({"barcode", "name", "options", "nfc_tag"})
    sku: Sku | None = None
    barcode: Barcode = Field(default=None, description="EAN-13 with a valid check digit; null clears it")
    name: Line | None = Field(default=None, max_length=150, description="null clears it")
    options: Options | None = Field(default=None, description="replaces all options; null clears them")
    price: Money | None = None
    low_stock_threshold: Threshold | None = None
    nfc_tag: NfcTag | None = Field(default=None, description="null clears it")
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
    set_to: StockCount | None = Field(default=None, alias="set")
    reason: Line = Field(min_length=1, max_length=255, description="why, in words (kept in the stock history)")

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
    name: Line = Field(min_length=1, max_length=255)
    category_id: int = Field(ge=1)
    brand_id: int | None = Field(default=None, ge=1)
    slug: Slug | None = Field(default=None, description="SEO slug; generated from the name when omitted")
    description: Text | None = Field(default=None, max_length=20_000)
    status: Status = "draft"
    base_price: Money
    compare_at_price: Money | None = Field(default=None, description="the 'was' price; not below base_price")
    vat_rate: VatRate = Decimal("20.00")
    weight_grams: Weight | None = None
    attributes: Attributes | None = Field(default=None, description="free-form JSON object: at most "
                                          f"{MAX_ATTRIBUTES} keys, nested at most 4 levels, 16 KiB")
    variations: list[VariationIn] = Field(min_length=1, max_length=200)

    _compare_at = field_validator("compare_at_price")(_compare_at_not_below_price)


class ProductUpdateIn(Patch):
    """Partial.  Variations change through their own routes.  A compare_at_price below the
    price (the one sent, or the stored one) is a 400 naming compare_at_price."""

    CLEARABLE = frozenset({"brand_id", "description", "compare_at_price", "weight_grams", "attributes"})
    name: Line | None = Field(default=None, min_length=1, max_length=255)
    category_id: int | None = Field(default=None, ge=1)
    brand_id: int | None = Field(default=None, ge=1, description="null removes the brand")
    slug: Slug | None = None
    description: Text | None = Field(default=None, max_length=20_000, description="null clears it")
    status: Status | None = None
    base_price: Money | None = None
    compare_at_price: Money | None = Field(default=None, description="not below the price; null clears it")
    vat_rate: VatRate | None = None
    weight_grams: Weight | None = Field(default=None, description="null clears it")
    attributes: Attributes | None = Field(default=None, description="replaces all attributes; null clears them")

    _compare_at = field_validator("compare_at_price")(_compare_at_not_below_price)


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
    q: Line | None = Field(default=None, min_length=1, max_length=100,
                           description="words of the name / brand / category (Turkish-folded), or an exact SKU or barcode")
    cursor: int | None = Field(default=None, ge=1, description="next_cursor of the previous page")
    limit: int = Field(default=50, ge=1, le=200)

    _blank_q = field_validator("q", mode="before")(lambda v: None if isinstance(v, str) and not v.strip() else v)
