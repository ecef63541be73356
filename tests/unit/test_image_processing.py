"""Image processing with Pillow (chalicelib/media/imaging.py) and the media area's pure helpers:
key layout, format sniffing.  No database, no S3."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from chalicelib.media import imaging, layout
from chalicelib.media.formats import sniff
from tests.media_images import (
    GPS_IFD,
    MAKE,
    SERIAL,
    bomb_png,
    exif_of,
    format_of,
    jpeg_with_gps,
    png_with_alpha,
    size_of,
)


# -- imaging ----------------------------------------------------------------------------------
def test_the_source_really_carries_gps_and_a_camera_serial():
    exif = exif_of(jpeg_with_gps())
    assert exif.get_ifd(GPS_IFD)[2] == (39.0, 55.0, 12.5)
    assert exif[SERIAL] == "SN-0042-TR"


def test_exif_is_stripped_from_the_original_and_the_thumbnails():
    result = imaging.process(jpeg_with_gps(), "image/jpeg")
    for data in [result.original.data, *(r.data for r in result.thumbs.values())]:
        exif = exif_of(data)
        assert not exif.get_ifd(GPS_IFD) and MAKE not in exif and SERIAL not in exif
        assert b"Exif" not in data[:4096] and b"SN-0042-TR" not in data
    assert format_of(result.original.data) == "JPEG" and result.original.content_type == "image/jpeg"


def test_thumbnails_are_webp_bounded_by_their_size_keeping_the_aspect_ratio():
    result = imaging.process(jpeg_with_gps((1200, 900)), "image/jpeg")
    assert (result.original.width, result.original.height) == (1200, 900)
    assert sorted(result.thumbs) == [320, 800]
    assert size_of(result.thumbs[320].data) == (320, 240) == (result.thumbs[320].width, result.thumbs[320].height)
    assert size_of(result.thumbs[800].data) == (800, 600)
    assert {format_of(r.data) for r in result.thumbs.values()} == {"WEBP"}
    assert {r.content_type for r in result.thumbs.values()} == {"image/webp"}

    portrait = imaging.process(jpeg_with_gps((600, 1500)), "image/jpeg")
    assert size_of(portrait.thumbs[320].data) == (128, 320)
    assert size_of(portrait.thumbs[800].data) == (320, 800)


def test_small_images_are_never_enlarged():
    result = imaging.process(jpeg_with_gps((200, 100)), "image/jpeg")
    assert size_of(result.thumbs[320].data) == size_of(result.thumbs[800].data) == (200, 100)


def test_the_exif_orientation_is_applied_to_the_pixels_before_it_is_dropped():
    # Orientation 6: the camera was turned; viewers rotate 90° clockwise to show it upright.
    result = imaging.process(jpeg_with_gps((1200, 900), orientation=6), "image/jpeg")
    assert (result.original.width, result.original.height) == (900, 1200)
    assert size_of(result.original.data) == (900, 1200)
    assert size_of(result.thumbs[800].data) == (600, 800)
    assert 0x0112 not in exif_of(result.original.data)


def test_png_keeps_its_transparency_and_jpeg_flattens_it_onto_white():
    png = imaging.process(png_with_alpha(), "image/png")
    assert format_of(png.original.data) == "PNG"
    with Image.open(io.BytesIO(png.thumbs[320].data)) as thumb:
        assert thumb.mode == "RGBA" and thumb.getpixel((0, 0))[3] == 0
    as_jpeg = imaging.process(png_with_alpha(), "image/jpeg")  # declared JPEG, sent a PNG
    with Image.open(io.BytesIO(as_jpeg.original.data)) as flat:
        assert flat.format == "JPEG" and flat.mode == "RGB"
        assert all(v > 245 for v in flat.getpixel((0, 0)))  # transparent became white


def test_webp_in_webp_out():
    out = io.BytesIO()
    Image.new("RGB", (1000, 500), (1, 2, 3)).save(out, "WEBP")
    result = imaging.process(out.getvalue(), "image/webp")
    assert format_of(result.original.data) == "WEBP" and size_of(result.thumbs[320].data) == (320, 160)


@pytest.mark.parametrize("data, reason", [
    (b"this is not an image, just some text pretending to be a JPEG\n" * 10, "not_an_image"),
    (b"", "not_an_image"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not_an_image"),
])
def test_files_that_are_not_images_are_rejected(data, reason):
    with pytest.raises(imaging.ImageRejected) as raised:
        imaging.process(data, "image/jpeg")
    assert raised.value.reason == reason


def test_a_truncated_jpeg_is_rejected():
    data = jpeg_with_gps()
    with pytest.raises(imaging.ImageRejected) as raised:
        imaging.process(data[: len(data) // 2], "image/jpeg")
    assert raised.value.reason == "corrupt"


def test_other_formats_are_not_decoded_even_when_pillow_could():
    out = io.BytesIO()
    Image.new("RGB", (50, 50)).save(out, "GIF")
    with pytest.raises(imaging.ImageRejected):
        imaging.process(out.getvalue(), "image/jpeg")
    with pytest.raises(imaging.ImageRejected) as raised:
        imaging.process(jpeg_with_gps(), "image/gif")
    assert raised.value.reason == "unsupported_type"


def test_decompression_bombs_are_refused_before_decoding():
    bomb = bomb_png()
    assert len(bomb) < 100_000  # tiny file, 100 megapixels
    with pytest.raises(imaging.ImageRejected) as raised:
        imaging.process(bomb, "image/png")
    assert raised.value.reason == "too_many_pixels"
    assert Image.MAX_IMAGE_PIXELS == imaging.MAX_PIXELS  # Pillow's own guard is set too


def test_just_over_the_pixel_limit_is_refused(monkeypatch):
    monkeypatch.setattr(imaging, "MAX_PIXELS", 1200 * 900 - 1)
    with pytest.raises(imaging.ImageRejected) as raised:
        imaging.process(jpeg_with_gps((1200, 900)), "image/jpeg")
    assert raised.value.reason == "too_many_pixels"


# -- layout and formats -----------------------------------------------------------------------
def test_original_keys_round_trip_and_derive_every_other_key():
    original = layout.new_original(7, 42, "image/png")
    assert original.key == f"tenants/7/products/42/originals/{original.uuid}.png"
    assert layout.parse_original(original.key) == original
    assert original.thumb(320) == f"tenants/7/products/42/thumbs/{original.uuid}-320.webp"
    assert original.all_keys() == [original.key, original.thumb(320), original.thumb(800)]
    assert layout.medium_key(original.thumb(320)) == original.thumb(800)
    assert layout.keys_of(original.key, original.thumb(320)) == original.all_keys()


@pytest.mark.parametrize("key", [
    "tenants/7/products/42/thumbs/0123456789abcdef0123456789abcdef-320.webp",
    "tenants/7/products/42/originals/0123456789abcdef0123456789abcdef.gif",
    "tenants/7/products/42/originals/../../../8/products/1/originals/0123456789abcdef0123456789abcdef.jpg",
    "tenants/0/products/42/originals/0123456789abcdef0123456789abcdef.jpg",
    "tenants/7/products/42/1.jpg",
    "other/7/products/42/originals/0123456789abcdef0123456789abcdef.jpg",
])
def test_anything_but_an_original_is_not_parsed_as_one(key):
    assert layout.parse_original(key) is None


def test_seeded_keys_have_no_medium_size_and_are_deleted_as_they_are():
    assert layout.medium_key("tenants/1/products/2/thumbs/1.jpg") is None
    assert layout.medium_key(None) is None
    assert layout.keys_of("tenants/1/products/2/1.jpg", "tenants/1/products/2/thumbs/1.jpg") == [
        "tenants/1/products/2/1.jpg", "tenants/1/products/2/thumbs/1.jpg"]


def test_processed_size_needs_the_marker_and_numbers():
    assert layout.processed_size({"processed": "1", "width": "800", "height": "600"}) == (800, 600)
    assert layout.processed_size({"width": "800", "height": "600"}) is None
    assert layout.processed_size({"processed": "1", "width": "x", "height": "600"}) is None


def test_sniffing_reads_the_magic_bytes():
    assert sniff(jpeg_with_gps()[:12]) == "image/jpeg"
    assert sniff(png_with_alpha()[:12]) == "image/png"
    out = io.BytesIO()
    Image.new("RGB", (5, 5)).save(out, "WEBP")
    assert sniff(out.getvalue()[:12]) == "image/webp"
    assert sniff(b"GIF89a......") is None and sniff(b"RIFF\x00\x00\x00\x00WAVE") is None and sniff(b"") is None
