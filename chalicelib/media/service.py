"""Product image use cases of the admin API: upload, complete, list, reorder, alt text, delete.

Service functions take the database and plain values (tenant first) and return plain dicts
shaped like `schemas.ImageOut`.  Every change to a product's images takes the product's row
lock first (`repository.lock_product`), writes an audit row in the same transaction, and
forgets the cached product detail after commit; S3 objects are deleted only after commit.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any

from chalicelib.catalog.api import forget_product
from chalicelib.platform import audit
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.errors import NotFound
from chalicelib.platform.logging import get_logger

from . import layout, storage, uploads
from . import repository as repo
from .errors import ImageInvalid, ImageLimitReached, InvalidInput, Problem, UploadMissing
from .formats import SNIFF_BYTES, sniff

UPLOAD_FORM_SECONDS = 600  # the presigned POST
MAX_IMAGES_PER_PRODUCT = 30

log = get_logger("media")


def view(row: dict[str, Any]) -> dict[str, Any]:
    thumb = row["thumb_key"]
    return {
        "id": row["id"], "product_id": row["product_id"], "variation_id": row["variation_id"],
        "alt_text": row["alt_text"], "sort_order": row["sort_order"], "key": row["s3_key"], "thumb_key": thumb,
        "width": row["width"], "height": row["height"], "status": "ready" if thumb else "processing",
        "urls": {"original": layout.public_url(row["s3_key"]), "thumb": layout.public_url(thumb),
                 "medium": layout.public_url(layout.medium_key(thumb))},
    }


def _audited(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("id", "product_id", "variation_id", "s3_key", "alt_text", "sort_order")}


def _variation_problem() -> InvalidInput:
    return InvalidInput("validation_failed", [
        Problem("variation_id", "variation_not_of_product", "The variation does not belong to this product.")])


# -- reads ------------------------------------------------------------------------------------
# On the writer: the admin panel shows the image it has just added.
def list_images(db: Database, tenant_id: int, product_id: int) -> list[dict[str, Any]]:
    session = db.session()
    if not repo.product_exists(session, tenant_id, product_id):
        raise NotFound()
    return [view(row) for row in repo.list_images(session, tenant_id, product_id)]


# -- uploads ----------------------------------------------------------------------------------
def create_upload(db: Database, tenant_id: int, user_id: int, product_id: int, *, content_type: str,
                  size_bytes: int, alt_text: str, variation_id: int | None) -> dict[str, Any]:
    """A presigned POST for one image of the product.  Nothing is written to MySQL yet."""
    session = db.session()
    if not repo.product_exists(session, tenant_id, product_id):
        raise NotFound()
    if variation_id is not None and not repo.variation_of_product(session, tenant_id, product_id, variation_id):
        raise _variation_problem()
    if repo.count_images(session, tenant_id, product_id) >= MAX_IMAGES_PER_PRODUCT:
        raise ImageLimitReached(MAX_IMAGES_PER_PRODUCT)
    original = layout.new_original(tenant_id, product_id, content_type)
    form = storage.presigned_post(original.key, content_type, size_bytes, UPLOAD_FORM_SECONDS)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    upload_id = uploads.create(tenant_id, {
        "product_id": product_id, "variation_id": variation_id, "key": original.key, "content_type": content_type,
        "size_bytes": size_bytes, "alt_text": alt_text, "user_id": user_id, "created_at": now,
    })
    return {"upload_id": upload_id, "key": original.key, "url": form["url"], "fields": form["fields"],
            "expires_at": now + timedelta(seconds=UPLOAD_FORM_SECONDS),
            "complete_by": now + timedelta(seconds=uploads.UPLOAD_TTL_SECONDS)}


def complete_upload(db: Database, tenant_id: int, product_id: int, upload_id: int) -> tuple[dict[str, Any], bool]:
    """Check the uploaded object and add the image (last in order).  Returns (image, created):
    a retried call answers the image the first one made."""
    record = uploads.get(tenant_id, upload_id)
    original = layout.parse_original(record["key"]) if record else None
    if record is None or original is None or record["product_id"] != product_id:
        raise NotFound()
    if record.get("image_id"):
        row = repo.get_image(db.session(), tenant_id, int(record["image_id"]))
        if row is not None:
            return view(row), False
    size = layout.processed_size(_check_object(tenant_id, original, record).metadata)

    def work(uow: UnitOfWork) -> tuple[dict[str, Any], bool]:
        if not repo.lock_product(uow, tenant_id, product_id):
            raise NotFound()
        existing = repo.image_by_key(uow, tenant_id, product_id, original.key)
        if existing is not None:
            return existing, False
        variation_id = record["variation_id"]
        if variation_id is not None and not repo.variation_of_product(uow, tenant_id, product_id, variation_id):
            raise _variation_problem()  # deleted since the upload began
        if repo.count_images(uow, tenant_id, product_id) >= MAX_IMAGES_PER_PRODUCT:
            raise ImageLimitReached(MAX_IMAGES_PER_PRODUCT)
        image_id = repo.insert_image(
            uow, tenant_id, product_id, variation_id=variation_id, s3_key=original.key, alt_text=record["alt_text"],
            thumb_key=original.thumb(layout.SMALL) if size else None,
            width=size[0] if size else None, height=size[1] if size else None)
        row = repo.get_image(uow, tenant_id, image_id)
        assert row is not None
        audit.record(uow, tenant_id, "product_image.create", entity_type="product_image", entity_id=image_id,
                     after=_audited(row))
        uow.on_commit(lambda: forget_product(tenant_id, product_id))
        uow.commit()
        return row, True

    row, created = db.transaction(work)
    uploads.mark_completed(tenant_id, upload_id, record, int(row["id"]))
    if created and size is None:
        row = _adopt_processed(db, tenant_id, original, row)
    return view(row), created


def _check_object(tenant_id: int, original: layout.Original, record: dict[str, Any]) -> storage.ObjectInfo:
    """The uploaded object exists, is what was declared and starts like an image of its type."""
    reason = uploads.rejection(tenant_id, original.uuid)
    if reason is not None:  # the thumbnails function saw it first and refused it
        raise ImageInvalid(details={"reason": reason})
    info = storage.head(original.key)
    if info is None:
        raise UploadMissing()
    processed = layout.processed_size(info.metadata) is not None
    stored_type = info.content_type.split(";")[0].strip().lower()
    problems = []
    if stored_type != record["content_type"]:
        problems.append(Problem("content_type", "content_type_mismatch", "The file's type differs from the declared one.",
                                {"declared": record["content_type"], "stored": stored_type}))
    if not processed and info.size != record["size_bytes"]:  # a rewritten original has a new size
        problems.append(Problem("size_bytes", "size_mismatch", "The file's size differs from the declared one.",
                                {"declared": record["size_bytes"], "stored": info.size}))
    if problems:
        raise InvalidInput("upload_mismatch", problems)
    if not processed:
        head = storage.read_prefix(original.key, SNIFF_BYTES)
        if head is None:
            raise UploadMissing()
        if sniff(head) != record["content_type"]:
            raise ImageInvalid(details={"reason": "not_" + record["content_type"].replace("/", "_")})
    return info


def _adopt_processed(db: Database, tenant_id: int, original: layout.Original, row: dict[str, Any]) -> dict[str, Any]:
    """After commit: if the thumbnails function finished while the row was being inserted (its
    own update then found no row), record its result now.  It writes the thumbnails before it
    marks the original, so a marked original means the thumbnails exist."""
    try:
        info = storage.head(original.key)
    except storage.StorageUnavailable:
        log.warning("could not re-check the original", extra={"key": original.key})
        return row
    size = layout.processed_size(info.metadata) if info else None
    if size is None:
        return row  # still processing: the thumbnails function records it when it is done
    thumb_key = original.thumb(layout.SMALL)

    def work(uow: UnitOfWork) -> None:
        repo.set_processed(uow, tenant_id, row["id"], thumb_key=thumb_key, width=size[0], height=size[1])
        uow.on_commit(lambda: forget_product(tenant_id, row["product_id"]))
        uow.commit()

    db.transaction(work)
    return {**row, "thumb_key": thumb_key, "width": size[0], "height": size[1]}


# -- order, alt text, deletion ----------------------------------------------------------------
def _order_problems(current: list[int], wanted: list[int]) -> list[Problem]:
    counts = Counter(wanted)
    unknown = sorted(set(wanted) - set(current))
    missing = sorted(set(current) - set(wanted))
    duplicates = sorted(i for i, n in counts.items() if n > 1)
    if not (unknown or missing or duplicates):
        return []
    return [Problem("image_ids", "image_ids_mismatch", "The list must name every image of the product exactly once.",
                    {"unknown": unknown, "missing": missing, "duplicates": duplicates})]


def reorder_images(db: Database, tenant_id: int, product_id: int, image_ids: list[int]) -> list[dict[str, Any]]:
    """`image_ids`: every image of the product, once each, first to last."""

    def work(uow: UnitOfWork) -> list[dict[str, Any]]:
        if not repo.lock_product(uow, tenant_id, product_id):
            raise NotFound()
        current = [int(r["id"]) for r in repo.list_images(uow, tenant_id, product_id)]
        problems = _order_problems(current, image_ids)
        if problems:
            raise InvalidInput("validation_failed", problems)
        if current != image_ids:
            repo.set_order(uow, tenant_id, product_id, image_ids)
            audit.record(uow, tenant_id, "product_image.reorder", entity_type="product", entity_id=product_id,
                         before={"image_ids": current}, after={"image_ids": image_ids})
            uow.on_commit(lambda: forget_product(tenant_id, product_id))
        rows = repo.list_images(uow, tenant_id, product_id)
        uow.commit()
        return [view(row) for row in rows]

    return db.transaction(work)


def update_alt_text(db: Database, tenant_id: int, image_id: int, alt_text: str) -> dict[str, Any]:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        row = repo.get_image(uow, tenant_id, image_id)
        if row is None:
            raise NotFound()
        if row["alt_text"] != alt_text:
            repo.set_alt_text(uow, tenant_id, image_id, alt_text)
            audit.record(uow, tenant_id, "product_image.update", entity_type="product_image", entity_id=image_id,
                         before={"alt_text": row["alt_text"]}, after={"alt_text": alt_text})
            uow.on_commit(lambda: forget_product(tenant_id, row["product_id"]))
            uow.commit()
        return view({**row, "alt_text": alt_text})

    return db.transaction(work)


def delete_image(db: Database, tenant_id: int, image_id: int) -> None:
    """Delete the row now and its objects (original, thumbnails) after commit."""

    def work(uow: UnitOfWork) -> None:
        found = repo.get_image(uow, tenant_id, image_id)
        if found is None or not repo.lock_product(uow, tenant_id, found["product_id"]):
            raise NotFound()
        row = repo.get_image(uow, tenant_id, image_id)  # re-read under the lock
        if row is None:
            raise NotFound()
        repo.delete_image(uow, tenant_id, image_id)
        audit.record(uow, tenant_id, "product_image.delete", entity_type="product_image", entity_id=image_id,
                     before=_audited(row))
        # Only this tenant's objects, whatever a row might say.
        keys = [k for k in layout.keys_of(row["s3_key"], row["thumb_key"]) if k.startswith(layout.tenant_prefix(tenant_id))]
        uow.on_commit(lambda: forget_product(tenant_id, row["product_id"]))
        uow.on_commit(lambda: delete_objects(keys))
        uow.commit()

    db.transaction(work)


def delete_objects(keys: list[str]) -> None:
    """After commit: a failure leaves unreachable objects behind (logged), never a failed request."""
    try:
        storage.delete(keys)
    except storage.StorageUnavailable:
        log.error("image objects left behind", extra={"keys": keys})
