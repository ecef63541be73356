"""Where product images live in the images bucket, and the URLs clients load them from.

    tenants/{tenant_id}/products/{product_id}/originals/{uuid}.{jpg|png|webp}
        product_images.s3_key: the uploaded image, rewritten once by the thumbnails function
        without EXIF (GPS) and with its orientation applied; the full-size image
    tenants/{tenant_id}/products/{product_id}/thumbs/{uuid}-320.webp
        product_images.thumb_key: the small thumbnail (listings, grids); NULL until processed
    tenants/{tenant_id}/products/{product_id}/thumbs/{uuid}-800.webp
        the medium size (product page): derived from thumb_key by `medium_key`, not a column

Every key of an image is a function of its original's key, so deleting an image needs no
listing.  Keys are never reused (a new uuid per upload), so objects can be cached forever.

Public URLs are `<base>/<key>`.  The base is IMAGES_BASE_URL (a CDN in front of the private
bucket, e.g. CloudFront with origin access control) when config provides it; without it,
the emulator's or S3's own address of the object (what `make dev` and the tests use).
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from chalicelib.platform.config import settings

from .formats import CONTENT_TYPES, EXTENSIONS

BUCKET = "images"  # the short name, as in infra/resources.py BUCKETS
THUMB_SIZES = (320, 800)
SMALL, MEDIUM = THUMB_SIZES
THUMB_EXTENSION, THUMB_CONTENT_TYPE = "webp", "image/webp"
# S3 user metadata (x-amz-meta-*) on an original the thumbnails function has rewritten: the
# marker, and the image's size after orientation (what `complete` records when it comes late).
PROCESSED, WIDTH, HEIGHT = "processed", "width", "height"

_ID = r"[1-9][0-9]{0,18}"
_ORIGINAL = re.compile(
    rf"^tenants/(?P<tenant>{_ID})/products/(?P<product>{_ID})/originals/(?P<uuid>[0-9a-f]{{32}})"
    rf"\.(?P<ext>{'|'.join(CONTENT_TYPES)})$"
)


@dataclass(frozen=True)
class Original:
    """An uploaded original, and from it the keys of everything derived from it."""

    tenant_id: int
    product_id: int
    uuid: str
    ext: str

    @property
    def folder(self) -> str:
        return f"tenants/{self.tenant_id}/products/{self.product_id}"

    @property
    def key(self) -> str:
        return f"{self.folder}/originals/{self.uuid}.{self.ext}"

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.ext]

    def thumb(self, size: int) -> str:
        return f"{self.folder}/thumbs/{self.uuid}-{size}.{THUMB_EXTENSION}"

    def all_keys(self) -> list[str]:
        return [self.key, *(self.thumb(size) for size in THUMB_SIZES)]


def new_original(tenant_id: int, product_id: int, content_type: str) -> Original:
    return Original(tenant_id, product_id, uuid.uuid4().hex, EXTENSIONS[content_type])


def parse_original(key: str) -> Original | None:
    """The original `key` names, or None for anything else (thumbnails, foreign keys)."""
    match = _ORIGINAL.match(key)
    if match is None:
        return None
    return Original(int(match["tenant"]), int(match["product"]), match["uuid"], match["ext"])


def tenant_prefix(tenant_id: int) -> str:
    return f"tenants/{tenant_id}/"


def medium_key(thumb_key: str | None) -> str | None:
    """The 800 px thumbnail beside a 320 px `thumb_key` of ours; None for other keys (seed data)."""
    suffix = f"-{SMALL}.{THUMB_EXTENSION}"
    if not thumb_key or not thumb_key.endswith(suffix):
        return None
    return thumb_key[: -len(suffix)] + f"-{MEDIUM}.{THUMB_EXTENSION}"


def keys_of(s3_key: str, thumb_key: str | None) -> list[str]:
    """Every object an image row stands for (original, thumbnails), for deletion."""
    original = parse_original(s3_key)
    keys = original.all_keys() if original else [s3_key]
    for key in (thumb_key, medium_key(thumb_key)):
        if key and key not in keys:
            keys.append(key)
    return keys


def processed_size(metadata: dict[str, str]) -> tuple[int, int] | None:
    """(width, height) from an original's metadata when the thumbnails function has rewritten it."""
    width, height = metadata.get(WIDTH, ""), metadata.get(HEIGHT, "")
    if metadata.get(PROCESSED) != "1" or not (width.isdigit() and height.isdigit()):
        return None
    return int(width), int(height)


def bucket_name() -> str:
    """Physical name of the images bucket: BUCKET_PREFIX + '-images' (infra/template.py)."""
    return f"{settings().bucket_prefix}-{BUCKET}"


def base_url() -> str:
    cfg = settings()
    # IMAGES_BASE_URL is proposed for platform/config.py (the CDN in front of the bucket); read
    # defensively until that shared file has it.
    configured = getattr(cfg, "images_base_url", None)
    if configured:
        return str(configured).rstrip("/")
    if cfg.aws_endpoint_url:
        return f"{cfg.aws_endpoint_url.rstrip('/')}/{bucket_name()}"
    return f"https://{bucket_name()}.s3.{cfg.aws_region}.amazonaws.com"


def public_url(key: str | None) -> str | None:
    return None if key is None else f"{base_url()}/{key}"
