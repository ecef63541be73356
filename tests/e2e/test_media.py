"""Product images over HTTP and through the S3-event handler, against MariaDB, Redis and the
in-process moto server: presigned POSTs really go to the emulator (requests), thumbnails are
really made by Pillow from real JPEGs.

Every route: success, bad input (400 naming the fields, nothing changed), another tenant's ids
(404), a missing permission (403) and no token (401).
"""
from __future__ import annotations

import base64
import json
import time
from datetime import datetime, timezone
from typing import Any

import pytest

from chalicelib.media import handlers, layout, service, uploads
from chalicelib.platform import cache
from chalicelib.platform.db import Database
from tests.conftest import Api, TenantInfo
from tests.e2e.media_kit import (
    bucket,
    object_bytes,
    object_meta,
    post_form,
    s3,
    s3_event,
    staff_api,
)
from tests.e2e.test_pipeline import assert_error_shape
from tests.helpers import insert_product
from tests.media_images import GPS_IFD, SERIAL, exif_of, jpeg_with_gps, size_of

ALT = "Şişme yatak, yandan görünüm (ığüşöç İ)"


@pytest.fixture
def product(db: Database, tenant: TenantInfo) -> int:
    """An active product; insert_product gives it one (seeded) image at sort_order 0."""
    return insert_product(db, tenant.id, "Şişme Yatak")


def start_upload(api: Api, product_id: int, data: bytes, content_type: str = "image/jpeg", **extra: Any) -> Any:
    body = {"content_type": content_type, "size_bytes": len(data), "alt_text": ALT, **extra}
    return api.post(f"/api/admin/products/{product_id}/images/uploads", body)


def complete(api: Api, product_id: int, upload_id: int) -> Any:
    return api.post(f"/api/admin/products/{product_id}/images/uploads/{upload_id}/complete")


def upload_file(api: Api, product_id: int, data: bytes, content_type: str = "image/jpeg") -> dict[str, Any]:
    started = start_upload(api, product_id, data, content_type)
    assert started.status_code == 201, started.body
    assert post_form(started.json, data).status_code in (200, 201, 204)
    return dict(started.json)


def add_image(api: Api, product_id: int, data: bytes | None = None) -> dict[str, Any]:
    upload = upload_file(api, product_id, data or jpeg_with_gps())
    done = complete(api, product_id, upload["upload_id"])
    assert done.status_code == 201, done.body
    return dict(done.json)


def run_handler(*keys: str) -> dict[str, int]:
    return handlers.generate_thumbnails(s3_event(bucket(), *keys), None)


def detail(api: Api, product_id: int) -> str:
    """The public product detail (catalog area, cached in Redis) as text."""
    response = api.get(f"/api/products/{product_id}")
    assert response.status_code == 200, response.body
    return str(response.body.decode())


def image_rows(db: Database, tenant_id: int, product_id: int) -> list[dict[str, Any]]:
    return db.session().all("SELECT * FROM product_images WHERE tenant_id = %s AND product_id = %s "
                            "ORDER BY sort_order, id", (tenant_id, product_id))


def audit_actions(db: Database, tenant_id: int) -> list[str]:
    rows = db.session().all("SELECT action FROM admin_logs WHERE tenant_id = %s AND action LIKE 'product_image.%%' "
                            "ORDER BY id", (tenant_id,))
    return [r["action"] for r in rows]


def fields_of(response: Any) -> set[str]:
    return {f["field"] for f in json.loads(response.body)["error"]["details"]["fields"]}


# -- the whole flow ---------------------------------------------------------------------------
def test_upload_complete_and_thumbnails_end_to_end(admin_api: Api, api: Api, db: Database, tenant: TenantInfo,
                                                   product: int):
    data = jpeg_with_gps((1200, 900))
    started = start_upload(admin_api, product, data)
    assert started.status_code == 201, started.body
    upload = started.json
    key = upload["key"]
    assert layout.parse_original(key) == layout.Original(tenant.id, product, key[-36:-4], "jpg")
    assert isinstance(upload["upload_id"], int) and 0 < upload["upload_id"] < 2**53
    policy = json.loads(base64.b64decode(upload["fields"]["policy"]))
    assert ["content-length-range", len(data), len(data)] in policy["conditions"]
    assert {"key": key} in policy["conditions"] and {"Content-Type": "image/jpeg"} in policy["conditions"]
    expires = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert 590 <= (expires - datetime.now(timezone.utc)).total_seconds() <= 600
    assert upload["fields"]["key"] == key and upload["url"].endswith("/" + bucket())

    assert post_form(upload, data).status_code == 204
    assert key not in detail(api, product)  # detail now cached without it

    done = complete(admin_api, product, upload["upload_id"])
    assert done.status_code == 201, done.body
    image = done.json
    assert (image["key"], image["alt_text"], image["sort_order"], image["status"]) == (key, ALT, 1, "processing")
    assert image["thumb_key"] is None and image["urls"]["thumb"] is None
    assert image["urls"]["original"] == f"{layout.base_url()}/{key}"
    assert key in detail(api, product)  # the cached detail was forgotten
    assert audit_actions(db, tenant.id) == ["product_image.create"]

    assert run_handler(key) == {"processed": 1}
    ready = next(i for i in admin_api.get(f"/api/admin/products/{product}/images").json["items"] if i["key"] == key)
    original = layout.parse_original(key)
    assert original is not None
    assert (ready["status"], ready["width"], ready["height"]) == ("ready", 1200, 900)
    assert ready["thumb_key"] == original.thumb(320) and ready["urls"]["medium"].endswith(original.thumb(800))
    assert size_of(object_bytes(original.thumb(320)) or b"") == (320, 240)
    assert size_of(object_bytes(original.thumb(800)) or b"") == (800, 600)
    assert object_meta(original.thumb(320))["ContentType"] == "image/webp"
    clean = object_bytes(key) or b""
    assert not exif_of(clean).get_ifd(GPS_IFD) and SERIAL not in exif_of(clean)  # GPS gone from the original too
    assert object_meta(key)["ContentType"] == "image/jpeg"
    assert original.thumb(320) in detail(api, product)  # forgotten again by the handler

    # At-least-once delivery: the same event again, the rewrite's own event, a thumbnail's event.
    etags = {k: object_meta(k)["ETag"] for k in original.all_keys()}
    assert run_handler(key) == {"already_processed": 1}
    assert run_handler(original.thumb(320), original.thumb(800)) == {"ignored": 2}
    assert {k: object_meta(k)["ETag"] for k in original.all_keys()} == etags

    again = complete(admin_api, product, upload["upload_id"])  # a retried complete
    assert again.status_code == 200 and again.json["id"] == image["id"] and again.json["status"] == "ready"
    assert len(image_rows(db, tenant.id, product)) == 2
    assert audit_actions(db, tenant.id) == ["product_image.create"]


def test_the_s3_event_may_come_before_complete(admin_api: Api, db: Database, tenant: TenantInfo, product: int):
    upload = upload_file(admin_api, product, jpeg_with_gps((1000, 1000)))
    assert run_handler(upload["key"]) == {"processed": 1}  # no row yet: nothing to record
    done = complete(admin_api, product, upload["upload_id"])  # the original has been rewritten meanwhile
    assert done.status_code == 201, done.body
    assert (done.json["status"], done.json["width"], done.json["height"]) == ("ready", 1000, 1000)


def test_a_variation_image_is_tied_to_its_variation(admin_api: Api, db: Database, tenant: TenantInfo, product: int):
    variation = db.session().scalar("SELECT id FROM product_variations WHERE tenant_id = %s AND product_id = %s",
                                    (tenant.id, product))
    data = jpeg_with_gps((400, 400))
    started = start_upload(admin_api, product, data, variation_id=variation)
    assert started.status_code == 201, started.body
    post_form(started.json, data)
    assert complete(admin_api, product, started.json["upload_id"]).json["variation_id"] == variation


# -- refusing files ---------------------------------------------------------------------------
def test_a_fake_image_is_refused_and_does_not_stop_the_batch(admin_api: Api, db: Database, tenant: TenantInfo,
                                                            product: int):
    fake = b"Merhaba! I am text, not a JPEG.\n" * 20
    fake_upload = upload_file(admin_api, product, fake)
    refused = complete(admin_api, product, fake_upload["upload_id"])
    assert_error_shape(refused, 400, "image_invalid")
    real = add_image(admin_api, product, jpeg_with_gps((640, 480)))
    rows_before = image_rows(db, tenant.id, product)

    # One event carrying both (S3 sends one record per event; the handler does not rely on it).
    assert run_handler(fake_upload["key"], real["key"]) == {"rejected": 1, "processed": 1}
    assert object_bytes(fake_upload["key"]) is None  # the refused file is deleted
    assert [r["id"] for r in image_rows(db, tenant.id, product)] == [r["id"] for r in rows_before]
    assert image_rows(db, tenant.id, product)[-1]["thumb_key"] is not None
    error = assert_error_shape(complete(admin_api, product, fake_upload["upload_id"]), 400, "image_invalid")
    assert error["details"] == {"reason": "not_an_image"}


def test_a_broken_image_that_passed_complete_is_removed_by_the_handler(admin_api: Api, api: Api, db: Database,
                                                                       tenant: TenantInfo, product: int):
    data = jpeg_with_gps()
    truncated = data[: len(data) // 2]  # starts like a JPEG, so `complete` accepts it
    image = add_image(admin_api, product, truncated)
    assert image["key"] in detail(api, product)
    assert run_handler(image["key"]) == {"rejected": 1}
    assert image["id"] not in [r["id"] for r in image_rows(db, tenant.id, product)]
    assert all(object_bytes(k) is None for k in layout.keys_of(image["key"], None))
    assert audit_actions(db, tenant.id) == ["product_image.create", "product_image.reject"]
    assert image["key"] not in detail(api, product)


def test_an_original_over_the_size_limit_is_refused_unread(monkeypatch, admin_api: Api, db: Database,
                                                           tenant: TenantInfo, product: int):
    from chalicelib.media import thumbnails

    image = add_image(admin_api, product, jpeg_with_gps((300, 300)))
    monkeypatch.setattr(thumbnails, "MAX_UPLOAD_BYTES", 100)  # S3 enforces 10 MiB at upload; this is the backstop
    assert run_handler(image["key"]) == {"rejected": 1}
    assert image["id"] not in [r["id"] for r in image_rows(db, tenant.id, product)]


def test_the_handler_skips_what_is_not_an_original_and_fails_loudly_on_storage_errors(monkeypatch, tenant: TenantInfo):
    assert run_handler("tenants/1/products/1/thumbs/x-320.webp", "unrelated/key.jpg") == {"ignored": 2}
    gone = f"tenants/{tenant.id}/products/1/originals/{'0' * 32}.jpg"
    assert run_handler(gone) == {"gone": 1}
    other_bucket = s3_event("someone-elses-bucket", gone)
    assert handlers.generate_thumbnails(other_bucket, None) == {"ignored": 1}

    from chalicelib.media import storage, thumbnails

    def broken(*_: Any, **__: Any) -> Any:
        raise storage.StorageUnavailable()

    monkeypatch.setattr(storage, "head", broken)
    with pytest.raises(thumbnails.ThumbnailsFailed):  # Lambda retries the event, then dead-letters it
        run_handler(gone, "tenants/1/products/1/thumbs/x-320.webp")


# -- completing: what is checked --------------------------------------------------------------
def test_complete_checks_the_uploaded_object(admin_api: Api, db: Database, tenant: TenantInfo, product: int):
    data = jpeg_with_gps()
    before = image_rows(db, tenant.id, product)

    never_sent = start_upload(admin_api, product, data).json
    assert_error_shape(complete(admin_api, product, never_sent["upload_id"]), 400, "upload_missing")

    # moto does not enforce the form's policy, so complete() must catch these; S3 (and LocalStack,
    # under `make test-localstack`) refuse them outright, and then nothing was stored at all.
    other_size = start_upload(admin_api, product, data).json
    if post_form(other_size, data + b"\0" * 10).ok:
        error = assert_error_shape(complete(admin_api, product, other_size["upload_id"]), 400, "upload_mismatch")
        assert error["details"]["fields"][0] | {"message": ""} == {
            "field": "size_bytes", "type": "size_mismatch", "declared": len(data), "stored": len(data) + 10,
            "message": ""}
    else:
        assert_error_shape(complete(admin_api, product, other_size["upload_id"]), 400, "upload_missing")

    other_type = start_upload(admin_api, product, data).json
    if post_form({**other_type, "fields": {**other_type["fields"], "Content-Type": "image/png"}}, data).ok:
        response = admin_api.post(f"/api/admin/products/{product}/images/uploads/{other_type['upload_id']}/complete",
                                  headers={"Accept-Language": "tr"})
        error = assert_error_shape(response, 400, "upload_mismatch")
        assert error["details"]["fields"][0]["field"] == "content_type"
        assert error["details"]["fields"][0]["message"] == "Dosyanın türü bildirilen türden farklı."
    else:
        assert_error_shape(complete(admin_api, product, other_type["upload_id"]), 400, "upload_missing")

    png_as_jpeg = start_upload(admin_api, product, (png := _png())).json
    post_form(png_as_jpeg, png)
    assert_error_shape(complete(admin_api, product, png_as_jpeg["upload_id"]), 400, "image_invalid")

    assert image_rows(db, tenant.id, product) == before
    assert audit_actions(db, tenant.id) == []
    assert_error_shape(complete(admin_api, product, 987654321), 404, "not_found")


def _png() -> bytes:
    from tests.media_images import png_with_alpha

    return png_with_alpha((32, 32))


# -- creating uploads: input ------------------------------------------------------------------
def _pending_uploads(tenant_id: int) -> set[bytes]:
    return set(cache.redis_client().scan_iter(match=cache.tenant_key(tenant_id, "media", "upload", "*")))


@pytest.mark.parametrize("body, field", [
    ({"content_type": "image/gif"}, "content_type"),
    ({"content_type": "image/svg+xml"}, "content_type"),
    ({"size_bytes": 0}, "size_bytes"),
    ({"size_bytes": 10 * 1024 * 1024 + 1}, "size_bytes"),
    ({"size_bytes": "12kb"}, "size_bytes"),
    ({"alt_text": "   "}, "alt_text"),
    ({"alt_text": "ş" * 256}, "alt_text"),
    ({"alt_text": "satır\nsonu"}, "alt_text"),
    ({"alt_text": 42}, "alt_text"),
    ({"variation_id": 0}, "variation_id"),
    ({"colour": "haki"}, "colour"),
])
def test_create_upload_refuses_bad_input(admin_api: Api, tenant: TenantInfo, product: int, body: dict[str, Any],
                                         field: str):
    sent = {"content_type": "image/jpeg", "size_bytes": 1000, "alt_text": ALT, **body}
    pending = _pending_uploads(tenant.id)
    response = admin_api.post(f"/api/admin/products/{product}/images/uploads", sent)
    assert_error_shape(response, 400, "validation_failed")
    assert field in fields_of(response)
    assert _pending_uploads(tenant.id) == pending


def test_create_upload_accepts_the_limits(admin_api: Api, product: int):
    for size, ctype in ((1, "image/png"), (10 * 1024 * 1024, "image/webp")):
        response = admin_api.post(f"/api/admin/products/{product}/images/uploads",
                                  {"content_type": ctype, "size_bytes": size, "alt_text": "ş" * 255})
        assert response.status_code == 201, response.body
        assert response.json["key"].endswith("." + {"image/png": "png", "image/webp": "webp"}[ctype])


def test_a_variation_of_another_product_is_refused(admin_api: Api, db: Database, tenant: TenantInfo, product: int):
    other = insert_product(db, tenant.id, "Kamp Sandalyesi")
    pending = _pending_uploads(tenant.id)
    theirs = db.session().scalar("SELECT id FROM product_variations WHERE tenant_id = %s AND product_id = %s",
                                 (tenant.id, other))
    response = admin_api.post(f"/api/admin/products/{product}/images/uploads",
                              {"content_type": "image/jpeg", "size_bytes": 10, "alt_text": ALT, "variation_id": theirs},
                              headers={"Accept-Language": "tr"})
    error = assert_error_shape(response, 400, "validation_failed")
    assert error["details"]["fields"] == [{"field": "variation_id", "type": "variation_not_of_product",
                                           "message": "Varyasyon bu ürüne ait değil."}]
    assert _pending_uploads(tenant.id) == pending


def test_a_product_has_a_limited_number_of_images(monkeypatch, admin_api: Api, product: int):
    monkeypatch.setattr(service, "MAX_IMAGES_PER_PRODUCT", 1)  # the seeded image fills it
    error = assert_error_shape(start_upload(admin_api, product, b"x" * 10), 409, "image_limit_reached")
    assert error["details"] == {"limit": 1}


def test_uploads_expire_from_redis(admin_api: Api, tenant: TenantInfo, product: int):
    upload = start_upload(admin_api, product, b"x" * 10).json
    ttl = cache.redis_client().ttl(cache.tenant_key(tenant.id, "media", "upload", upload["upload_id"]))
    assert uploads.UPLOAD_TTL_SECONDS - 5 <= ttl <= uploads.UPLOAD_TTL_SECONDS
    assert upload["complete_by"] > upload["expires_at"]


# -- order ------------------------------------------------------------------------------------
def _seed_images(db: Database, tenant_id: int, product_id: int, count: int) -> list[int]:
    session = db.session()
    for n in range(count):
        session.insert("INSERT INTO product_images (tenant_id, product_id, s3_key, alt_text, sort_order) "
                       "VALUES (%s, %s, %s, %s, %s)",
                       (tenant_id, product_id, f"tenants/{tenant_id}/products/{product_id}/x{n}.jpg", f"Görsel {n}", n + 1))
    return [r["id"] for r in image_rows(db, tenant_id, product_id)]


def test_reorder_images(admin_api: Api, api: Api, db: Database, tenant: TenantInfo, product: int):
    ids = _seed_images(db, tenant.id, product, 2)
    assert len(ids) == 3
    api.get(f"/api/products/{product}")  # cached
    wanted = [ids[2], ids[0], ids[1]]
    response = admin_api.put(f"/api/admin/products/{product}/images/order", {"image_ids": wanted})
    assert response.status_code == 200, response.body
    assert [i["id"] for i in response.json["items"]] == wanted
    assert [i["sort_order"] for i in response.json["items"]] == [0, 1, 2]
    assert [r["id"] for r in image_rows(db, tenant.id, product)] == wanted
    shown = detail(api, product)
    assert shown.index("x1.jpg") < shown.index("/1.jpg") < shown.index("x0.jpg")  # not served stale
    assert audit_actions(db, tenant.id) == ["product_image.reorder"]
    again = admin_api.put(f"/api/admin/products/{product}/images/order", {"image_ids": wanted})
    assert again.status_code == 200 and audit_actions(db, tenant.id) == ["product_image.reorder"]  # no-op


def test_reorder_refuses_anything_but_the_products_images_once_each(admin_api: Api, client: Any, db: Database,
                                                                    tenant: TenantInfo, other_tenant: TenantInfo,
                                                                    product: int):
    ids = _seed_images(db, tenant.id, product, 2)
    theirs = insert_product(db, other_tenant.id, "Yabancı")
    their_image = image_rows(db, other_tenant.id, theirs)[0]["id"]
    mine_elsewhere = image_rows(db, tenant.id, insert_product(db, tenant.id, "Başka"))[0]["id"]
    for wanted, problem in [
        (ids[:2], {"missing": [ids[2]]}),
        ([*ids, their_image], {"unknown": [their_image]}),
        ([ids[0], ids[1], mine_elsewhere], {"unknown": [mine_elsewhere], "missing": [ids[2]]}),
        ([*ids, ids[0]], {"duplicates": [ids[0]]}),
    ]:
        response = admin_api.put(f"/api/admin/products/{product}/images/order", {"image_ids": wanted})
        error = assert_error_shape(response, 400, "validation_failed")
        (field,) = error["details"]["fields"]
        assert field["field"] == "image_ids" and field["type"] == "image_ids_mismatch"
        assert {k: v for k, v in field.items() if k in problem} == problem
    for body in ({"image_ids": []}, {"image_ids": ["a"]}, {"image_ids": [0]}, {}, {"image_ids": ids, "x": 1}):
        response = admin_api.put(f"/api/admin/products/{product}/images/order", body)
        assert_error_shape(response, 400, "validation_failed")
    assert [r["id"] for r in image_rows(db, tenant.id, product)] == ids
    assert audit_actions(db, tenant.id) == []


# -- alt text ---------------------------------------------------------------------------------
def test_update_alt_text(admin_api: Api, api: Api, db: Database, tenant: TenantInfo, product: int):
    image_id = image_rows(db, tenant.id, product)[0]["id"]
    api.get(f"/api/products/{product}")
    response = admin_api.put(f"/api/admin/images/{image_id}", {"alt_text": "  Yeni açıklama: ÇADIR  "})
    assert response.status_code == 200, response.body
    assert response.json["alt_text"] == "Yeni açıklama: ÇADIR"
    assert image_rows(db, tenant.id, product)[0]["alt_text"] == "Yeni açıklama: ÇADIR"
    assert "Yeni açıklama: ÇADIR" in detail(api, product)
    assert audit_actions(db, tenant.id) == ["product_image.update"]
    for body, field in [({"alt_text": ""}, "alt_text"), ({"alt_text": "a" * 256}, "alt_text"),
                        ({"alt_text": None}, "alt_text"), ({}, "alt_text"), ({"alt_text": "x", "sort_order": 3}, "sort_order")]:
        bad = admin_api.put(f"/api/admin/images/{image_id}", body)
        assert_error_shape(bad, 400, "validation_failed")
        assert field in fields_of(bad)
    assert image_rows(db, tenant.id, product)[0]["alt_text"] == "Yeni açıklama: ÇADIR"
    assert_error_shape(admin_api.put(f"/api/admin/images/{image_id}", raw="{nope"), 400, "invalid_json")


# -- deletion ---------------------------------------------------------------------------------
def test_delete_removes_the_row_and_every_object(admin_api: Api, api: Api, db: Database, tenant: TenantInfo,
                                                 product: int):
    image = add_image(admin_api, product)
    run_handler(image["key"])
    original = layout.parse_original(image["key"])
    assert original is not None and all(object_bytes(k) for k in original.all_keys())
    assert image["key"] in detail(api, product)
    response = admin_api.delete(f"/api/admin/images/{image['id']}")
    assert response.status_code == 204, response.body
    assert image["id"] not in [r["id"] for r in image_rows(db, tenant.id, product)]
    assert all(object_bytes(k) is None for k in original.all_keys())
    assert image["key"] not in detail(api, product)
    assert audit_actions(db, tenant.id) == ["product_image.create", "product_image.delete"]
    assert_error_shape(admin_api.delete(f"/api/admin/images/{image['id']}"), 404, "not_found")


def test_delete_never_touches_objects_outside_the_tenant(admin_api: Api, db: Database, tenant: TenantInfo,
                                                         other_tenant: TenantInfo, product: int):
    foreign_key = f"tenants/{other_tenant.id}/products/1/originals/{'a' * 32}.jpg"
    s3().put_object(Bucket=bucket(), Key=foreign_key, Body=b"theirs")
    image_id = db.session().insert(
        "INSERT INTO product_images (tenant_id, product_id, s3_key, sort_order) VALUES (%s, %s, %s, 9)",
        (tenant.id, product, foreign_key))  # a row that should never exist, pointing at another tenant
    assert admin_api.delete(f"/api/admin/images/{image_id}").status_code == 204
    assert object_bytes(foreign_key) == b"theirs"


# -- tenancy and permissions ------------------------------------------------------------------
def _routes(product_id: int, image_id: int, upload_id: int) -> list[tuple[str, str, Any]]:
    return [
        ("GET", f"/api/admin/products/{product_id}/images", None),
        ("POST", f"/api/admin/products/{product_id}/images/uploads",
         {"content_type": "image/jpeg", "size_bytes": 10, "alt_text": ALT}),
        ("POST", f"/api/admin/products/{product_id}/images/uploads/{upload_id}/complete", None),
        ("PUT", f"/api/admin/products/{product_id}/images/order", {"image_ids": [image_id]}),
        ("PUT", f"/api/admin/images/{image_id}", {"alt_text": ALT}),
        ("DELETE", f"/api/admin/images/{image_id}", None),
    ]


def test_another_tenants_products_uploads_and_images_are_404(admin_api: Api, client: Any, db: Database,
                                                             tenant: TenantInfo, other_tenant: TenantInfo):
    theirs = insert_product(db, other_tenant.id, "Onların Ürünü")
    their_admin = staff_api(client, other_tenant, "super_admin")
    their_upload = start_upload(their_admin, theirs, b"x" * 10).json["upload_id"]
    their_image = image_rows(db, other_tenant.id, theirs)[0]
    for method, path, body in _routes(theirs, their_image["id"], their_upload):
        assert_error_shape(admin_api.request(method, path, body), 404, "not_found")
    mine = insert_product(db, tenant.id, "Benim Ürünüm")
    assert_error_shape(complete(admin_api, mine, their_upload), 404, "not_found")  # their upload, my product
    my_upload = start_upload(admin_api, mine, b"x" * 10).json["upload_id"]
    other_mine = insert_product(db, tenant.id, "Öteki Ürünüm")
    assert_error_shape(complete(admin_api, other_mine, my_upload), 404, "not_found")  # wrong product
    assert image_rows(db, other_tenant.id, theirs) == [their_image]
    assert_error_shape(admin_api.get("/api/admin/products/abc/images"), 404, "not_found")
    assert_error_shape(admin_api.delete("/api/admin/images/0"), 404, "not_found")


def test_routes_need_a_staff_token_with_the_products_permission(client: Any, db: Database, tenant: TenantInfo,
                                                                product: int, customer_api: Api):
    image_id = image_rows(db, tenant.id, product)[0]["id"]
    support = staff_api(client, tenant, "support")  # staff, but no products.* permission
    anonymous = Api(client, tenant.api_key)
    for method, path, body in _routes(product, image_id, 12345):
        assert_error_shape(anonymous.request(method, path, body), 401, "token_missing")
        assert_error_shape(support.request(method, path, body), 403, "forbidden")
        assert_error_shape(customer_api.request(method, path, body), 403, "forbidden")
    editor = staff_api(client, tenant, "editor")
    assert editor.get(f"/api/admin/products/{product}/images").status_code == 200
    assert image_rows(db, tenant.id, product)[0]["id"] == image_id


# -- the local stand-in for S3 events ---------------------------------------------------------
def test_the_local_worker_delivers_bucket_notifications_to_the_handler(admin_api: Api, db: Database,
                                                                      tenant: TenantInfo, product: int):
    """make dev: the emulator notifies a local queue of every upload, the worker hands the S3
    event to the same handler Lambda runs.  (The filter is narrowed to this test's tenant so
    parallel tests' uploads stay theirs.)"""
    import dataclasses

    from chalicelib.platform.app_factory import create_app
    from infra.local import worker

    _, consumers = worker.discover(create_app("worker-test", [handlers.bp]))
    (consumer,) = [c for c in consumers if c.bucket_events]
    assert consumer.bucket_events is not None
    assert consumer.bucket_events.bucket == bucket() and consumer.bucket_events.prefix == "tenants/"
    consumer.bucket_events = dataclasses.replace(consumer.bucket_events, prefix=f"tenants/{tenant.id}/")
    try:
        assert worker.wire_bucket_notifications([consumer]) == [bucket()]
        image = add_image(admin_api, product, jpeg_with_gps((900, 600)))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not image_rows(db, tenant.id, product)[-1]["thumb_key"]:
            worker.poll(consumer, wait_seconds=1)
        row = image_rows(db, tenant.id, product)[-1]
        assert (row["s3_key"], row["width"], row["height"]) == (image["key"], 900, 600)
        assert size_of(object_bytes(row["thumb_key"]) or b"") == (320, 213)
    finally:
        s3().put_bucket_notification_configuration(Bucket=bucket(), NotificationConfiguration={})
