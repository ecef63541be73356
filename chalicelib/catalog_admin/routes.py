"""HTTP routes of the catalogue admin: /api/admin/categories, /brands, /products, /variations.

Every route is ADMIN with products.read or products.write; every write is audited (before /
after) in its own transaction and followed, after the commit, by cache invalidation
(catalog/effects.py).  Other tenants' ids answer 404, like ids that do not exist.

Cold start: this Lambda imports the platform, this area and inventory.api (standard library
only); the inventory's stock code, the catalogue service (cache invalidation) and openpyxl
(XLSX) are imported on first use.
"""
from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.platform import permissions as perm
from chalicelib.platform.db import get_db
from chalicelib.platform.errors import ApiError
from chalicelib.platform.routing import ADMIN, Call, Router

from . import bulk, exporter, importer, products, taxonomy, variations
from .bulk_schemas import BulkIn, BulkOut, ExportFile, ExportQuery, ImportIn, ImportOut
from .common import Actor
from .schemas import (
    BrandCreateIn,
    BrandList,
    BrandOut,
    BrandUpdateIn,
    CategoryCreateIn,
    CategoryList,
    CategoryOut,
    CategoryUpdateIn,
    PriceIn,
    PriceOut,
    ProductCreateIn,
    ProductListQuery,
    ProductOut,
    ProductPage,
    ProductUpdateIn,
    StockIn,
    StockOut,
    VariationIn,
    VariationOut,
    VariationUpdateIn,
)
from .spreadsheet import XLSX_MEDIA_TYPE

READ, WRITE = perm.PRODUCTS_READ, perm.PRODUCTS_WRITE


class _Router(Router):
    """A Router whose blueprint also declares XLSX a binary media type on the app it joins, so
    Chalice base64-encodes the export (isBase64Encoded) and API Gateway sends the client bytes."""

    def blueprint(self, import_name: str | None = None) -> Blueprint:
        bp = super().blueprint(import_name)
        register = bp.register

        def register_with_binary_type(app: Any, options: dict[str, Any]) -> None:
            register(app, options)
            if XLSX_MEDIA_TYPE not in app.api.binary_types:
                app.api.binary_types.append(XLSX_MEDIA_TYPE)

        bp.register = register_with_binary_type  # type: ignore[method-assign]
        return bp


router: Router = _Router(tag="catalog_admin")


def _actor(call: Call) -> Actor:
    return Actor(user_id=call.principal.user_id)


def _changes(call: Call) -> dict[str, Any]:
    return dict(call.body.model_dump(exclude_unset=True))


# -- categories ----------------------------------------------------------------------------------
@router.get("/api/admin/categories", auth=ADMIN, permission=READ, response=CategoryList)
def list_categories(call: Call) -> CategoryList:
    """The whole category tree, depth-first, with product and sub-category counts."""
    return CategoryList.model_validate({"items": taxonomy.list_categories(get_db(), call.tenant.id)})


@router.post("/api/admin/categories", auth=ADMIN, permission=WRITE, body=CategoryCreateIn, response=CategoryOut,
             status=201, errors=(409,))
def create_category(call: Call) -> CategoryOut:
    """Create a category (root, or under `parent_id`); the slug comes from the Turkish name."""
    return CategoryOut.model_validate(taxonomy.create_category(get_db(), call.tenant.id, call.body.model_dump()))


@router.put("/api/admin/categories/{category_id}", auth=ADMIN, permission=WRITE, body=CategoryUpdateIn,
            response=CategoryOut, errors=(404, 409))
def update_category(call: Call) -> CategoryOut:
    """Change a category; a new parent_id moves it with its subtree (400 for a loop)."""
    return CategoryOut.model_validate(
        taxonomy.update_category(get_db(), call.tenant.id, call.path["category_id"], _changes(call)))


@router.delete("/api/admin/categories/{category_id}", auth=ADMIN, permission=WRITE, status=204, errors=(404, 409))
def delete_category(call: Call) -> None:
    """Delete a category without sub-categories or products (409 otherwise)."""
    taxonomy.delete_category(get_db(), call.tenant.id, call.path["category_id"])


# -- brands --------------------------------------------------------------------------------------
@router.get("/api/admin/brands", auth=ADMIN, permission=READ, response=BrandList)
def list_brands(call: Call) -> BrandList:
    """Every brand with its product count."""
    return BrandList.model_validate({"items": taxonomy.list_brands(get_db(), call.tenant.id)})


@router.post("/api/admin/brands", auth=ADMIN, permission=WRITE, body=BrandCreateIn, response=BrandOut, status=201,
             errors=(409,))
def create_brand(call: Call) -> BrandOut:
    """Create a brand; the slug comes from the name unless given."""
    return BrandOut.model_validate(taxonomy.create_brand(get_db(), call.tenant.id, call.body.model_dump()))


@router.put("/api/admin/brands/{brand_id}", auth=ADMIN, permission=WRITE, body=BrandUpdateIn, response=BrandOut,
            errors=(404, 409))
def update_brand(call: Call) -> BrandOut:
    """Change a brand; a new name reaches its products' search text and cached details."""
    return BrandOut.model_validate(
        taxonomy.update_brand(get_db(), call.tenant.id, call.path["brand_id"], _changes(call)))


@router.delete("/api/admin/brands/{brand_id}", auth=ADMIN, permission=WRITE, status=204, errors=(404, 409))
def delete_brand(call: Call) -> None:
    """Delete a brand no product uses (409 otherwise)."""
    taxonomy.delete_brand(get_db(), call.tenant.id, call.path["brand_id"])


# -- products ------------------------------------------------------------------------------------
@router.get("/api/admin/products", auth=ADMIN, permission=READ, query=ProductListQuery, response=ProductPage)
def list_products(call: Call) -> ProductPage:
    """Products of every status, newest first (keyset on id); filter by status, category
    (with sub-categories), brand and q (name / brand / category words, or an exact SKU / barcode)."""
    return ProductPage.model_validate(products.list_products(get_db(), call.tenant.id, call.query))


@router.get("/api/admin/products/export", auth=ADMIN, permission=READ, query=ExportQuery, response=ExportFile,
            content_type="text/csv", also_content_types=(XLSX_MEDIA_TYPE,), errors=(406, 413))
def export_products(call: Call) -> Response:
    """The catalogue as CSV (UTF-8 with BOM) or XLSX, one row per variation, in the import's
    columns.  XLSX comes base64-encoded through API Gateway: send Accept: */* or the XLSX type."""
    query: ExportQuery = call.query
    if query.format == "xlsx":
        accept = (call.header("accept") or "").lower()
        if "*/*" not in accept and XLSX_MEDIA_TYPE not in accept:
            raise ApiError("export_not_acceptable", status=406, params={"media_type": XLSX_MEDIA_TYPE})
    file = exporter.export_products(get_db(), call.tenant.id, query.format,
                                    query.model_dump(exclude={"format"}), call.ctx.lang)
    return Response(body=file.body, status_code=200, headers={
        "Content-Type": file.media_type, "Content-Disposition": f'attachment; filename="{file.filename}"'})


@router.post("/api/admin/products/bulk", auth=ADMIN, permission=WRITE, body=BulkIn, response=BulkOut,
             errors=(404, 409))
def bulk_change(call: Call) -> BulkOut:
    """Change price, stock or status of many products / variations at once: all or nothing."""
    return BulkOut.model_validate(bulk.bulk_change(get_db(), call.tenant.id, _actor(call), call.body))


@router.post("/api/admin/products/import", auth=ADMIN, permission=WRITE, body=ImportIn, response=ImportOut,
             errors=(409, 413))
def import_products(call: Call) -> ImportOut:
    """Upsert products and variations by SKU from a CSV or XLSX file (base64 in JSON, at most
    ~4.4 MB).  Any bad row: 400 listing every bad row, nothing applied.  dry_run: validate only."""
    body: ImportIn = call.body
    return ImportOut.model_validate(importer.import_products(
        get_db(), call.tenant.id, _actor(call), fmt=body.format, content=body.content, dry_run=body.dry_run,
        currency=call.tenant.currency))


@router.get("/api/admin/products/{product_id}", auth=ADMIN, permission=READ, response=ProductOut, errors=(404,))
def get_product(call: Call) -> ProductOut:
    """One product of any status with all its variations, images and a history summary."""
    return ProductOut.model_validate(products.product_detail(get_db(), call.tenant.id, call.path["product_id"]))


@router.post("/api/admin/products", auth=ADMIN, permission=WRITE, body=ProductCreateIn, response=ProductOut,
             status=201, errors=(409,))
def create_product(call: Call) -> ProductOut:
    """Create a product with its variations (status draft unless given)."""
    return ProductOut.model_validate(products.create_product(
        get_db(), call.tenant.id, _actor(call), call.body.model_dump(), call.tenant.currency))


@router.put("/api/admin/products/{product_id}", auth=ADMIN, permission=WRITE, body=ProductUpdateIn,
            response=ProductOut, errors=(404, 409))
def update_product(call: Call) -> ProductOut:
    """Change a product (partial); a new base price is recorded in the price history."""
    return ProductOut.model_validate(products.update_product(
        get_db(), call.tenant.id, _actor(call), call.path["product_id"], _changes(call)))


@router.delete("/api/admin/products/{product_id}", auth=ADMIN, permission=WRITE, status=204, errors=(404,))
def archive_product(call: Call) -> None:
    """Archive a product (never a hard delete: orders refer to products).  Idempotent."""
    products.archive_product(get_db(), call.tenant.id, call.path["product_id"])


# -- variations ----------------------------------------------------------------------------------
@router.post("/api/admin/products/{product_id}/variations", auth=ADMIN, permission=WRITE, body=VariationIn,
             response=VariationOut, status=201, errors=(404, 409))
def create_variation(call: Call) -> VariationOut:
    """Add a variation (SKU, barcode, options, price, opening stock) to a product."""
    return VariationOut.model_validate(variations.create_variation(
        get_db(), call.tenant.id, _actor(call), call.path["product_id"], call.body.model_dump()))


@router.put("/api/admin/variations/{variation_id}", auth=ADMIN, permission=WRITE, body=VariationUpdateIn,
            response=VariationOut, errors=(404, 409))
def update_variation(call: Call) -> VariationOut:
    """Change a variation (partial).  Stock changes go through .../stock."""
    return VariationOut.model_validate(variations.update_variation(
        get_db(), call.tenant.id, _actor(call), call.path["variation_id"], _changes(call)))


@router.delete("/api/admin/variations/{variation_id}", auth=ADMIN, permission=WRITE, status=204, errors=(404,))
def deactivate_variation(call: Call) -> None:
    """Deactivate a variation (order items refer to it, so it is never deleted).  Idempotent."""
    variations.deactivate_variation(get_db(), call.tenant.id, call.path["variation_id"])


@router.post("/api/admin/variations/{variation_id}/stock", auth=ADMIN, permission=WRITE, body=StockIn,
             response=StockOut, errors=(404, 409))
def adjust_stock(call: Call) -> StockOut:
    """Adjust on-hand stock by `delta` or to `set`, with a reason; never below the reserved
    quantity (409).  Concurrent adjustments all apply."""
    body: StockIn = call.body
    return StockOut.model_validate(variations.adjust_stock(
        get_db(), call.tenant.id, _actor(call), call.path["variation_id"], delta=body.delta, set_to=body.set_to,
        reason=body.reason))


@router.post("/api/admin/variations/{variation_id}/price", auth=ADMIN, permission=WRITE, body=PriceIn,
             response=PriceOut, errors=(404,))
def change_price(call: Call) -> PriceOut:
    """Set a variation's price; the change is kept in the price history."""
    return PriceOut.model_validate(variations.change_price(
        get_db(), call.tenant.id, _actor(call), call.path["variation_id"], call.body.price))
