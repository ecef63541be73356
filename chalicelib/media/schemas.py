"""The media API contract (pydantic v2)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.platform.fields import Line, Patch, Timestamp

from .formats import MAX_UPLOAD_BYTES

ContentType = Literal["image/jpeg", "image/png", "image/webp"]
# Alternative text is `Line`: NFC-normalised, stripped, no control or bidi-override characters
# (U+202E could make an admin list show another file name than the one stored).
ALT_TEXT_MAX = 255  # product_images.alt_text VARCHAR(255)
Id = Annotated[int, Field(ge=1)]


class UploadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    content_type: ContentType
    size_bytes: int = Field(ge=1, le=MAX_UPLOAD_BYTES, description="exact size of the file, at most 10 MiB")
    alt_text: Line = Field(min_length=1, max_length=ALT_TEXT_MAX,
                           description="alternative text (Turkish), at most 255 characters")
    variation_id: Id | None = Field(default=None, description="the variation the image shows, if one")


class UploadOut(BaseModel):
    upload_id: int = Field(description="for POST .../uploads/{upload_id}/complete")
    key: str
    url: str = Field(description="POST the form here: every `fields` entry, then the file as `file`")
    fields: dict[str, str]
    expires_at: Timestamp = Field(description="the form is refused after this (10 minutes)")
    complete_by: Timestamp = Field(description="call complete before this (1 hour)")


class ImageUrls(BaseModel):
    original: str = Field(description="full size, EXIF-free once processed")
    thumb: str | None = Field(description="320 px on the long side (WebP); null while processing")
    medium: str | None = Field(description="800 px on the long side (WebP); null while processing")


class ImageOut(BaseModel):
    id: int
    product_id: int
    variation_id: int | None
    alt_text: str | None
    sort_order: int
    key: str = Field(description="product_images.s3_key")
    thumb_key: str | None
    width: int | None
    height: int | None
    status: Literal["processing", "ready"] = Field(description="ready once the thumbnails exist")
    urls: ImageUrls


class ImageList(BaseModel):
    items: list[ImageOut]


class ImageOrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    image_ids: list[Id] = Field(min_length=1, max_length=100,
                                description="every image of the product, once each, in the new order")


class ImagePatch(Patch):
    """The image's one editable field.  Every image keeps an alternative text (accessibility):
    `alt_text` is required and null is a 400 (nothing is clearable)."""

    alt_text: Line = Field(min_length=1, max_length=ALT_TEXT_MAX,
                           description="alternative text (Turkish), at most 255 characters; never null")
