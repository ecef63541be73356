"""HTTP routes of the public catalogue: products (listing, search, suggestions, detail),
categories and brands.  Every route is PUBLIC (API key only) and answers for the key's tenant."""
from __future__ import annotations

from chalicelib.platform.db import get_db
from chalicelib.platform.routing import PUBLIC, Call, Router

from . import errors as _errors  # noqa: F401 - registers the area's messages
from . import service
from .schemas import (
    BrandList,
    CategoryTree,
    ProductDetail,
    ProductListQuery,
    ProductPage,
    SuggestionList,
    SuggestQuery,
)

router = Router(tag="catalog")


@router.get("/api/products", auth=PUBLIC, query=ProductListQuery, response=ProductPage, errors=(404,))
def list_products(call: Call) -> ProductPage:
    """Active products: filters, search, sorting, keyset pages and optional facet counts.

    Filters: category_id (with its sub-categories), brand_id (repeatable), min_price/max_price,
    in_stock=true, attr=key:value (repeatable; product attributes or variation options), q (search).
    sort: newest (default), price_asc, price_desc, best_selling, rating, relevance (default with q).
    Pages: pass next_cursor back as cursor with the same sort and filters; a bad cursor is a 400.
    An unknown category_id or brand_id is a 404 whose details name the parameter.
    """
    return ProductPage.model_validate(service.list_products(get_db(), call.tenant.id, call.query))


@router.get("/api/products/suggest", auth=PUBLIC, query=SuggestQuery, response=SuggestionList)
def suggest_products(call: Call) -> SuggestionList:
    """Autocomplete: up to 8 categories and products for what has been typed so far."""
    return SuggestionList.model_validate(service.suggest(get_db(), call.tenant.id, call.query.q))


@router.get("/api/products/{product_id}", auth=PUBLIC, response=ProductDetail)
def product_detail(call: Call) -> ProductDetail:
    """One product with variations (stock status each), images, rating summary and breadcrumbs
    (served from cache)."""
    return ProductDetail.model_validate(service.product_detail(get_db(), call.tenant.id, call.path["product_id"]))


@router.get("/api/categories", auth=PUBLIC, response=CategoryTree)
def category_tree(call: Call) -> CategoryTree:
    """The category tree, each node with its active-product count (sub-categories included)."""
    return CategoryTree.model_validate(service.category_tree(get_db(), call.tenant.id))


@router.get("/api/brands", auth=PUBLIC, response=BrandList)
def brand_list(call: Call) -> BrandList:
    """Active brands in shop order, each with its active-product count."""
    return BrandList.model_validate(service.brand_list(get_db(), call.tenant.id))
