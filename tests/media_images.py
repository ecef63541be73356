"""Real images for the media tests, made with Pillow: JPEGs with EXIF (GPS, orientation), PNGs
with transparency, decompression bombs."""
from __future__ import annotations

import io

from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE, SERIAL = 0x010F, 0xA431  # camera maker, body serial number: also personal data


def jpeg_with_gps(size: tuple[int, int] = (1200, 900), orientation: int | None = None,
                  colour: tuple[int, int, int] = (200, 120, 40)) -> bytes:
    """A JPEG whose EXIF says where it was taken (Ankara, Kızılay) and with which camera."""
    image = Image.new("RGB", size, colour)
    image.paste((20, 60, 160), (0, 0, size[0] // 2, size[1] // 3))  # something to orient by
    exif = Image.Exif()
    exif[MAKE] = "HuğluCam"
    exif[SERIAL] = "SN-0042-TR"
    if orientation is not None:
        exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (39.0, 55.0, 12.5), 3: "E", 4: (32.0, 51.0, 30.2)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


def png_with_alpha(size: tuple[int, int] = (640, 480)) -> bytes:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    image.paste((30, 140, 60, 255), (size[0] // 4, size[1] // 4, size[0] * 3 // 4, size[1] * 3 // 4))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def bomb_png(side: int = 10_000) -> bytes:
    """100 megapixels of nothing: a few KiB on disk, hundreds of MB once decoded."""
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG", optimize=True)
    return out.getvalue()


def exif_of(data: bytes) -> Image.Exif:
    with Image.open(io.BytesIO(data)) as image:
        return image.getexif()


def size_of(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def format_of(data: bytes) -> str | None:
    with Image.open(io.BytesIO(data)) as image:
        return image.format
