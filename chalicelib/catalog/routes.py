"""HTTP routes of the catalogue area: GET /api/products, GET /api/products/{product_id}."""
from __future__ import annotations

from chalicelib.platform.db import get_db
from chalicelib.platform.routing import PUBLIC, Call, Router

from . import service
from .schemas import ProductDetail, ProductListQuery, ProductPage

router = Router(tag="catalog")


@router.get("/api/products", auth=PUBLIC, query=ProductListQuery, response=ProductPage)
def list_products(call: Call) -> ProductPage:
    """Active products, newest first, filtered by category (with sub-categories) and brand."""
    return ProductPage.model_validate(service.list_products(get_db(), call.tenant.id, call.query))


@router.get("/api/products/{product_id}", auth=PUBLIC, response=ProductDetail)
def product_detail(call: Call) -> ProductDetail:
    """One product with variations, images and stock status (served from cache)."""
    return ProductDetail.model_validate(service.product_detail(get_db(), call.tenant.id, call.path["product_id"]))
