from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.platform.schemas import Page

StockStatus = Literal["in_stock", "low_stock", "out_of_stock"]


class ProductListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category_id: int | None = Field(default=None, ge=1, description="includes sub-categories")
    brand_id: int | None = Field(default=None, ge=1)
    cursor: int | None = Field(default=None, ge=1, description="next_cursor of the previous page")
    limit: int = Field(default=24, ge=1, le=100)


class ProductSummary(BaseModel):
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


class ProductPage(Page[ProductSummary]):
    pass


class VariationOut(BaseModel):
    id: int
    sku: str
    barcode: str | None
    name: str | None
    options: dict[str, Any] | None
    price: Decimal
    stock_status: StockStatus
    available: int


class ImageOut(BaseModel):
    key: str
    thumb: str | None
    alt: str | None


class ProductDetail(BaseModel):
    id: int
    name: str
    slug: str
    description: str | None
    brand: str | None
    category_id: int
    price: Decimal
    compare_at_price: Decimal | None
    currency: str
    vat_rate: Decimal
    stock_status: StockStatus
    rating_avg: Decimal
    rating_count: int
    attributes: dict[str, Any] | None
    variations: list[VariationOut]
    images: list[ImageOut]
