"""Edges of reviews and product images (issue 9): text is NFC-normalised and control or
bidirectional-override characters are refused with a 400 naming the field (U+202E in an alt
text or a review title reads backwards in an admin list); explicit null follows each body's
declared policy; a refusal leaves the rows as they were."""
from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.platform.db import Database
from tests import engagement_fixtures
from tests.conftest import Api, TenantInfo
from tests.e2e.test_pipeline import assert_error_shape
from tests.engagement_fixtures import Person, rows, sign_in

engagement_app, engagement_client = engagement_fixtures.engagement_app, engagement_fixtures.engagement_client
product, buyer = engagement_fixtures.product, engagement_fixtures.buyer

DECOMPOSED = "Harika s\u0327is\u0327me yatak"  # "ş" typed as s + combining cedilla
BAD_LINES = ["Harika\u202eyatak", "Harika\u2066yatak", "Harika\x07", "Harika\x00"]


def field_types(response: Any) -> dict[str, str]:
    """Refused fields and why (U+0000 is refused by the platform before any model: invalid_text)."""
    assert response.status_code == 400, response.body
    code = json.loads(response.body)["error"]["code"]
    error = assert_error_shape(response, 400, code if code == "invalid_text" else "validation_failed")
    return {f["field"]: f["type"] for f in error["details"]["fields"]}






def reviews_of(tenant_id: int) -> list[dict[str, Any]]:
    return rows("SELECT id, rating, title, body, status, reject_reason FROM reviews WHERE tenant_id = %s ORDER BY id",
                (tenant_id,))


# -- reviews -----------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", BAD_LINES)
def test_a_review_title_with_control_or_bidi_characters_is_refused(buyer: Person, product: int,
                                                                   tenant: TenantInfo, bad: str):
    url = f"/api/products/{product}/reviews"
    assert field_types(buyer.api.post(url, {"rating": 5, "title": bad})) == {"title": "text_forbidden_character"}
    assert reviews_of(tenant.id) == []
    review = buyer.api.post(url, {"rating": 5, "title": "İyi"}).json
    before = reviews_of(tenant.id)
    assert field_types(buyer.api.put(f"/api/reviews/{review['id']}", {"rating": 4, "title": bad})) == {
        "title": "text_forbidden_character"}
    assert reviews_of(tenant.id) == before


def test_a_review_body_keeps_line_breaks_but_refuses_bidi_overrides(buyer: Person, product: int, tenant: TenantInfo):
    url = f"/api/products/{product}/reviews"
    assert field_types(buyer.api.post(url, {"rating": 5, "body": "Güzel\u202e"})) == {
        "body": "text_forbidden_character"}
    assert reviews_of(tenant.id) == []
    created = buyer.api.post(url, {"rating": 5, "title": DECOMPOSED, "body": f"{DECOMPOSED}\nİki gece."})
    assert created.status_code == 201, created.body
    assert (created.json["title"], created.json["body"]) == ("Harika şişme yatak", "Harika şişme yatak\nİki gece.")
    assert reviews_of(tenant.id)[0]["title"] == "Harika şişme yatak"  # stored NFC


def test_a_review_put_replaces_the_whole_review_so_null_means_none(buyer: Person, product: int, tenant: TenantInfo):
    review = buyer.api.post(f"/api/products/{product}/reviews", {"rating": 5, "title": "İyi", "body": "Sağlam"}).json
    replaced = buyer.api.put(f"/api/reviews/{review['id']}", {"rating": 4, "title": None})
    assert replaced.status_code == 200 and (replaced.json["title"], replaced.json["body"]) == (None, None)
    before = reviews_of(tenant.id)
    assert field_types(buyer.api.put(f"/api/reviews/{review['id']}", {"rating": None})) == {"rating": "int_type"}
    assert reviews_of(tenant.id) == before


@pytest.mark.parametrize("bad", BAD_LINES)
def test_a_reject_reason_with_control_or_bidi_characters_is_refused(engagement_client: Any, buyer: Person,
                                                                    product: int, tenant: TenantInfo, bad: str):
    review = buyer.api.post(f"/api/products/{product}/reviews", {"rating": 1, "title": "Kötü"}).json
    moderator = sign_in(engagement_client, tenant, ["editor"])
    before = reviews_of(tenant.id)
    assert field_types(moderator.api.post(f"/api/admin/reviews/{review['id']}/reject", {"reason": bad})) == {
        "reason": "text_forbidden_character"}
    assert reviews_of(tenant.id) == before
    done = moderator.api.post(f"/api/admin/reviews/{review['id']}/reject", {"reason": "Ürünle ilgisiz"})
    assert done.status_code == 200 and done.json["reject_reason"] == "Ürünle ilgisiz"


# -- images ------------------------------------------------------------------------------------
def image_of(db: Database, tenant_id: int, product_id: int) -> dict[str, Any]:
    return dict(db.session().one("SELECT id, alt_text FROM product_images WHERE tenant_id = %s AND product_id = %s "
                                 "ORDER BY sort_order, id LIMIT 1", (tenant_id, product_id)))


@pytest.mark.parametrize("bad", [*BAD_LINES, "gpj\u202e.exe"])
def test_alt_text_with_control_or_bidi_characters_is_refused(admin_api: Api, db: Database, tenant: TenantInfo,
                                                             product: int, bad: str):
    image = image_of(db, tenant.id, product)
    assert field_types(admin_api.put(f"/api/admin/images/{image['id']}", {"alt_text": bad})) == {
        "alt_text": "text_forbidden_character"}
    upload = {"content_type": "image/jpeg", "size_bytes": 1000, "alt_text": bad}
    assert field_types(admin_api.post(f"/api/admin/products/{product}/images/uploads", upload)) == {
        "alt_text": "text_forbidden_character"}
    assert image_of(db, tenant.id, product) == image


def test_alt_text_is_stored_nfc_and_never_null(admin_api: Api, db: Database, tenant: TenantInfo, product: int):
    image = image_of(db, tenant.id, product)
    assert field_types(admin_api.put(f"/api/admin/images/{image['id']}", {"alt_text": None})) == {
        "alt_text": "null_not_allowed"}
    assert image_of(db, tenant.id, product) == image
    changed = admin_api.put(f"/api/admin/images/{image['id']}", {"alt_text": f" {DECOMPOSED} "})
    assert changed.status_code == 200 and changed.json["alt_text"] == "Harika şişme yatak"
    assert image_of(db, tenant.id, product)["alt_text"] == "Harika şişme yatak"


def test_the_document_shows_no_null_branch_for_alt_text():
    from app import app  # noqa: F401 - registers every route
    from chalicelib.platform.openapi import build_document

    schemas = build_document()["components"]["schemas"]
    patch = schemas["ImagePatch"]
    assert patch["required"] == ["alt_text"] and "anyOf" not in patch["properties"]["alt_text"]
