"""Pillow: verify an uploaded image, refuse decompression bombs, drop its metadata, make thumbnails.

Pure (bytes in, bytes out) and imported only by the thumbnails function: the API functions
never load Pillow.

- Only JPEG, PNG and WebP are decoded (`formats=`): no other Pillow plugin ever sees the bytes.
- Bombs: the pixel count is read from the header and checked before anything is decoded;
  Pillow's own guard (MAX_IMAGE_PIXELS, warnings turned into errors) backs it up.
- Privacy: the EXIF orientation is applied to the pixels, then EXIF (GPS, camera serials),
  XMP, comments and text chunks are dropped; only the ICC colour profile is kept.
- Output: the original re-encoded in its declared type (so its key's extension and
  Content-Type tell the truth), and WebP thumbnails bounded by each size (never enlarged).
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from .layout import THUMB_CONTENT_TYPE, THUMB_SIZES

MAX_PIXELS = 40_000_000  # 40 MP: beyond any product photo, ~160 MB decoded as RGBA
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
PIL_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
ORIGINAL_QUALITY, THUMB_QUALITY = 90, 82
# Modes whose ICC profile does not describe the RGB result of converting them.
_NON_RGB_SOURCES = {"CMYK", "YCbCr", "LAB", "HSV", "I", "I;16", "F"}


class ImageRejected(ValueError):
    """Not an image we accept; `reason` is a short code for logs and the admin."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Rendition:
    data: bytes
    content_type: str
    width: int
    height: int


@dataclass(frozen=True)
class Processed:
    original: Rendition
    thumbs: dict[int, Rendition]


def process(data: bytes, content_type: str, sizes: tuple[int, ...] = THUMB_SIZES) -> Processed:
    """The metadata-free original and its thumbnails; `ImageRejected` for anything else."""
    if content_type not in PIL_FORMATS:
        raise ImageRejected("unsupported_type")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = _decode(data)
        except ImageRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageRejected("too_many_pixels") from exc
        except UnidentifiedImageError as exc:
            raise ImageRejected("not_an_image") from exc
        except (OSError, SyntaxError, ValueError, EOFError, IndexError) as exc:  # truncated / corrupt
            raise ImageRejected("corrupt") from exc
    clean = _clean(image)
    return Processed(
        original=_encode(clean, content_type),
        thumbs={size: _thumbnail(clean, size) for size in sizes},
    )


def _decode(data: bytes) -> Image.Image:
    formats = list(PIL_FORMATS.values())
    with Image.open(io.BytesIO(data), formats=formats) as probe:  # reads the header only
        width, height = probe.size
        if width * height > MAX_PIXELS:
            raise ImageRejected("too_many_pixels")
        found = probe.format
        probe.verify()  # structure and checksums, without decoding the pixels
    image = Image.open(io.BytesIO(data), formats=[found] if found else formats)
    image.load()  # decodes; a truncated file fails here
    return image


def _clean(image: Image.Image) -> Image.Image:
    """Orientation applied, a mode every encoder takes, and no metadata but the ICC profile."""
    source_mode = image.mode
    icc = image.info.get("icc_profile")
    clean = ImageOps.exif_transpose(image)  # a new image; EXIF still rides along in .info
    if clean.mode not in ("RGB", "RGBA", "L"):
        alpha = clean.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in clean.info
        clean = clean.convert("RGBA" if alpha else "RGB")
    clean.info = {"icc_profile": icc} if icc and source_mode not in _NON_RGB_SOURCES else {}
    return clean


def _save(image: Image.Image, pil_format: str, **options: object) -> bytes:
    out = io.BytesIO()
    icc = image.info.get("icc_profile")
    if icc:
        options["icc_profile"] = icc
    image.save(out, format=pil_format, **options)  # no exif / xmp / comment: none is passed
    return out.getvalue()


def _encode(image: Image.Image, content_type: str) -> Rendition:
    pil_format = PIL_FORMATS[content_type]
    if pil_format == "JPEG":
        if image.mode == "RGBA":  # JPEG has no alpha: flatten onto white
            flat = Image.new("RGB", image.size, (255, 255, 255))
            flat.paste(image, mask=image.getchannel("A"))
            flat.info = image.info
            image = flat
        data = _save(image, "JPEG", quality=ORIGINAL_QUALITY, optimize=True, progressive=True)
    elif pil_format == "PNG":
        data = _save(image, "PNG", compress_level=6)
    else:
        data = _save(image, "WEBP", quality=ORIGINAL_QUALITY, method=4)
    return Rendition(data, content_type, image.width, image.height)


def _thumbnail(image: Image.Image, size: int) -> Rendition:
    thumb = image.copy()
    thumb.thumbnail((size, size), Image.Resampling.LANCZOS)  # keeps the aspect ratio, never enlarges
    thumb.info = dict(image.info)
    data = _save(thumb, "WEBP", quality=THUMB_QUALITY, method=4)
    return Rendition(data, THUMB_CONTENT_TYPE, thumb.width, thumb.height)
