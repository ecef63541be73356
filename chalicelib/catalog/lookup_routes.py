"""GET /api/products/lookup?barcode= | ?sku= | ?nfc= (P11): public, tenant-scoped.

`/api/products/lookup` and `/api/products/{product_id}` coexist: API Gateway matches literal
path segments before variables, and Chalice's local matcher (chalice local, the test client)
tries routes in sorted order, where 'lookup' sorts before '{product_id}'.  Were this router
missing from an app, the path would fall to product_detail, whose numeric `product_id`
answers 404 (routing._path_values), never a wrong product.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.platform.db import get_db
from chalicelib.platform.routing import PUBLIC, Call, Router

from . import lookup
from .schemas import ProductSummary, StockStatus

router = Router(tag="catalog")

class LookupQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    barcode: str | None = Field(default=None, max_length=32, description="EAN-13, or UPC-A (12 digits)")
    sku: str | None = Field(default=None, max_length=64)
    nfc: str | None = Field(default=None, max_length=64, description="NFC tag UID: 4-10 bytes of hex, ':' allowed")


class LookupVariation(BaseModel):
    id: int
    sku: str
    barcode: str | None
    name: str | None
    options: dict[str, Any] | None
    price: Decimal
    stock_status: StockStatus
    available: int


class LookupResult(BaseModel):
    matched_by: Literal["barcode", "sku", "nfc"]
    product: ProductSummary
    variation: LookupVariation


@router.get("/api/products/lookup", auth=PUBLIC, query=LookupQuery, response=LookupResult, errors=(404,))
def lookup_product(call: Call) -> LookupResult:
    """The active product and variation a scanned barcode, SKU or NFC tag names (exactly one).

    400 `invalid_barcode` for a barcode of the wrong length or check digit; 404 when no active
    variation of an active product has the code."""
    found = lookup.criterion(call.query.model_dump(), call.ctx.lang)
    return LookupResult.model_validate(lookup.lookup(get_db(), call.tenant.id, found))
