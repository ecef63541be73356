"""The S3-event use case: a new original becomes an EXIF-free original plus thumbnails.

For each record of an ObjectCreated event on the images bucket (normally one per event):

1. Only originals (`layout.parse_original`) are processed; the thumbnails and the rewritten
   original this function writes itself come back as events too and end here: "ignored" or
   "already_processed".
2. Read the object (at most 10 MiB), decode and check it with Pillow (`imaging.process`).
3. Write the thumbnails, *then* overwrite the original with its clean version marked
   `x-amz-meta-processed: 1` plus its width and height.  Writing the marker last means a
   marked original always has its thumbnails, which is what makes a redelivered event, the
   event of the rewrite itself, and a late `complete` (service._check_object) all safe.
4. Record thumb_key, width and height on the product_images row and forget the cached product.
   The row may not exist yet (the admin has not called `complete`): `complete` then reads the
   result from the marked original.

A file Pillow refuses (not an image, corrupt, a decompression bomb) is "rejected": its objects
and any row pointing at it are deleted, the refusal is remembered for `complete`, and the rest
of the batch goes on.  Any other failure (S3, MySQL) is raised once the whole batch has been
tried, so Lambda retries the event (every step is idempotent) and then dead-letters it.
"""
from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import unquote_plus

from chalicelib.catalog.api import forget_product
from chalicelib.platform import audit
from chalicelib.platform.db import UnitOfWork, get_db
from chalicelib.platform.logging import get_logger

from . import imaging, layout, storage, uploads
from . import repository as repo
from .formats import MAX_UPLOAD_BYTES

log = get_logger("media.thumbnails")


class ThumbnailsFailed(RuntimeError):
    """Some records failed for a reason worth retrying; raised after the whole batch ran."""


def handle_event(event: dict[str, Any]) -> dict[str, int]:
    """Process every record; returns how many ended how (processed, rejected, ignored, ...)."""
    outcomes: Counter[str] = Counter()
    failed = []
    for record in event.get("Records") or []:
        key = None
        try:
            bucket = record["s3"]["bucket"]["name"]
            key = unquote_plus(record["s3"]["object"]["key"])
            outcomes[handle_object(bucket, key)] += 1
        except Exception:  # noqa: BLE001 - the other records still run; the event is retried below
            log.exception("thumbnail record failed", extra={"key": key})
            failed.append(key)
    if failed:
        raise ThumbnailsFailed(f"{len(failed)} of {sum(outcomes.values()) + len(failed)} records failed")
    return dict(outcomes)


def handle_object(bucket: str, key: str) -> str:
    original = layout.parse_original(key)
    if bucket != layout.bucket_name() or original is None:
        return "ignored"
    info = storage.head(key)  # the rewrite's own event and redeliveries stop here, unread
    if info is None:
        return "gone"  # deleted since (the image was deleted, or rejected by an earlier delivery)
    size = layout.processed_size(info.metadata)
    if size is not None:
        record_result(original, *size)
        return "already_processed"
    try:
        stored = storage.get(key, MAX_UPLOAD_BYTES)
    except storage.ObjectTooLarge:
        return reject(original, "too_large")
    if stored is None:
        return "gone"
    try:
        result = imaging.process(stored.body, original.content_type)
    except imaging.ImageRejected as exc:
        return reject(original, exc.reason)
    for thumb_size, rendition in result.thumbs.items():
        storage.put(original.thumb(thumb_size), rendition.data, rendition.content_type)
    clean = result.original
    storage.put(key, clean.data, clean.content_type, metadata={
        layout.PROCESSED: "1", layout.WIDTH: str(clean.width), layout.HEIGHT: str(clean.height)})
    record_result(original, clean.width, clean.height)
    log.info("image processed", extra={"key": key, "width": clean.width, "height": clean.height})
    return "processed"


def record_result(original: layout.Original, width: int, height: int) -> bool:
    """Put thumb_key / width / height on the image's row; False when there is no row (yet)."""
    thumb_key = original.thumb(layout.SMALL)
    tenant_id, product_id = original.tenant_id, original.product_id

    def work(uow: UnitOfWork) -> bool:
        row = repo.image_by_key(uow, tenant_id, product_id, original.key)
        if row is None:
            return False
        if (row["thumb_key"], row["width"], row["height"]) != (thumb_key, width, height):
            repo.set_processed(uow, tenant_id, row["id"], thumb_key=thumb_key, width=width, height=height)
            uow.on_commit(lambda: forget_product(tenant_id, product_id))
            uow.commit()
        return True

    return get_db().transaction(work)


def reject(original: layout.Original, reason: str) -> str:
    """Refuse the file: remember why, drop any row pointing at it, delete its objects."""
    tenant_id, product_id = original.tenant_id, original.product_id
    log.warning("image rejected", extra={"key": original.key, "reason": reason, "tenant": tenant_id})
    uploads.reject(tenant_id, original.uuid, reason)

    def work(uow: UnitOfWork) -> None:
        if not repo.lock_product(uow, tenant_id, product_id):
            return  # the product is gone, and its images with it
        row = repo.image_by_key(uow, tenant_id, product_id, original.key)
        if row is None:
            return
        repo.delete_image(uow, tenant_id, row["id"])
        audit.record(uow, tenant_id, "product_image.reject", entity_type="product_image", entity_id=row["id"],
                     before={"s3_key": original.key, "alt_text": row["alt_text"]}, after={"reason": reason})
        uow.on_commit(lambda: forget_product(tenant_id, product_id))
        uow.commit()

    get_db().transaction(work)
    storage.delete(original.all_keys())
    return "rejected"
