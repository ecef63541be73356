"""HTTP routes of the media area (P7 / AP images): a product's images in the admin panel.

    GET    /api/admin/products/{product_id}/images                               products.read
    POST   /api/admin/products/{product_id}/images/uploads                       products.write
    POST   /api/admin/products/{product_id}/images/uploads/{upload_id}/complete  products.write
    PUT    /api/admin/products/{product_id}/images/order                         products.write
    PUT    /api/admin/images/{image_id}                                          products.write
    DELETE /api/admin/images/{image_id}                                          products.write

Another tenant's product, upload or image answers 404 like a missing one.  The file itself
never passes through the API: the client POSTs it straight to S3 with the presigned form.
"""
from __future__ import annotations

from chalice import Response

from chalicelib.platform.db import get_db
from chalicelib.platform.http import json_response
from chalicelib.platform.permissions import PRODUCTS_READ, PRODUCTS_WRITE
from chalicelib.platform.routing import ADMIN, Call, Router

from . import service
from .errors import as_http
from .schemas import ImageList, ImageOrderIn, ImageOut, ImagePatch, UploadIn, UploadOut

router = Router(tag="media")

UPLOADS_LIMIT = (120, 900)  # presigned forms per admin per 15 minutes


@router.get("/api/admin/products/{product_id}/images", auth=ADMIN, permission=PRODUCTS_READ, response=ImageList)
def list_images(call: Call) -> ImageList:
    """The product's images in display order, with their processing status and URLs."""
    items = service.list_images(get_db(), call.tenant.id, call.path["product_id"])
    return ImageList.model_validate({"items": items})


@router.post("/api/admin/products/{product_id}/images/uploads", auth=ADMIN, permission=PRODUCTS_WRITE,
             body=UploadIn, response=UploadOut, status=201, errors=(409,), rate_limit=UPLOADS_LIMIT)
def create_upload(call: Call) -> UploadOut:
    """A presigned S3 POST (10 minutes) for one JPEG, PNG or WebP image of at most 10 MiB.

    POST the returned `fields` and then the file (form field `file`) to `url`, then call
    complete with the `upload_id`."""
    body = call.body
    with as_http(call.ctx.lang):
        result = service.create_upload(get_db(), call.tenant.id, call.principal.user_id, call.path["product_id"],
                                       content_type=body.content_type, size_bytes=body.size_bytes,
                                       alt_text=body.alt_text, variation_id=body.variation_id)
    return UploadOut.model_validate(result)


@router.post("/api/admin/products/{product_id}/images/uploads/{upload_id}/complete", auth=ADMIN,
             permission=PRODUCTS_WRITE, response=ImageOut, status=201, also_statuses=(200,), errors=(409,))
def complete_upload(call: Call) -> Response:
    """Add the uploaded file as the product's last image (201; 200 when already completed).

    400 when the file is missing, differs from what was declared, or is not an image of its
    type.  Thumbnails follow within seconds (`status` turns from processing to ready)."""
    with as_http(call.ctx.lang):
        image, created = service.complete_upload(get_db(), call.tenant.id, call.path["product_id"],
                                                 call.path["upload_id"])
    return json_response(ImageOut.model_validate(image), 201 if created else 200)


@router.put("/api/admin/products/{product_id}/images/order", auth=ADMIN, permission=PRODUCTS_WRITE,
            body=ImageOrderIn, response=ImageList)
def reorder_images(call: Call) -> ImageList:
    """Set the display order: `image_ids` must name every image of the product exactly once."""
    with as_http(call.ctx.lang):
        items = service.reorder_images(get_db(), call.tenant.id, call.path["product_id"], call.body.image_ids)
    return ImageList.model_validate({"items": items})


@router.put("/api/admin/images/{image_id}", auth=ADMIN, permission=PRODUCTS_WRITE, body=ImagePatch,
            response=ImageOut)
def update_image(call: Call) -> ImageOut:
    """Change an image's alternative text."""
    return ImageOut.model_validate(
        service.update_alt_text(get_db(), call.tenant.id, call.path["image_id"], call.body.alt_text))


@router.delete("/api/admin/images/{image_id}", auth=ADMIN, permission=PRODUCTS_WRITE)
def delete_image(call: Call) -> None:
    """Delete an image: the row at once, the original and its thumbnails after commit."""
    service.delete_image(get_db(), call.tenant.id, call.path["image_id"])
