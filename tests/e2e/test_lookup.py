"""GET /api/products/lookup (P11): barcode (EAN-13 / UPC-A with check digit), SKU or NFC tag id
→ the active product and variation, tenant-scoped, public (API key only)."""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.catalog import lookup
from chalicelib.platform import db as dbmod
from chalicelib.platform.db import Database
from chalicelib.platform.text import ean13_check_digit
from tests.conftest import Api, TenantInfo
from tests.e2e.test_pipeline import assert_error_shape
from tests.helpers import insert_product


def ean13(first12: str) -> str:
    return first12 + str(ean13_check_digit(first12))


def variation_of(db: Database, tenant_id: int, product_id: int) -> dict[str, Any]:
    row = db.session().one("SELECT * FROM product_variations WHERE tenant_id = %s AND product_id = %s ORDER BY id LIMIT 1",
                           (tenant_id, product_id))
    assert row is not None
    return row


def set_codes(db: Database, tenant_id: int, variation_id: int, **codes: Any) -> None:
    assignments = ", ".join(f"{column} = %s" for column in codes)
    db.session().execute(f"UPDATE product_variations SET {assignments} WHERE tenant_id = %s AND id = %s",
                         (*codes.values(), tenant_id, variation_id))


@pytest.fixture
def scanned(db: Database, tenant: TenantInfo) -> dict[str, Any]:
    """A product whose variation carries a barcode, an SKU and an NFC tag."""
    product_id = insert_product(db, tenant.id, "Şişme Yatak Çift Kişilik", price="1499.90", stock=3)
    variation = variation_of(db, tenant.id, product_id)
    codes = {"barcode": ean13("869123456789"), "sku": f"SY-CIFT-{product_id}", "nfc_tag": "04A23B1C5D6E7F"}
    set_codes(db, tenant.id, variation["id"], options=json.dumps({"renk": "Haki"}), **codes)
    return {"product_id": product_id, "variation_id": variation["id"], **codes}


def get(api: Api, query: str) -> Any:
    return api.get(f"/api/products/lookup?{query}")


def test_lookup_by_barcode_returns_the_product_and_the_variation(api: Api, scanned: dict[str, Any]):
    response = get(api, f"barcode={scanned['barcode']}")
    assert response.status_code == 200, response.body
    body = response.json
    assert body["matched_by"] == "barcode"
    assert body["product"]["id"] == scanned["product_id"] and body["product"]["name"] == "Şişme Yatak Çift Kişilik"
    assert Decimal(body["product"]["price"]) == Decimal("1499.90")
    assert body["product"]["stock_status"] == "low_stock"
    assert body["product"]["image"] == f"tenants/{api_tenant(api)}/products/{scanned['product_id']}/1.jpg"
    variation = body["variation"]
    assert (variation["id"], variation["sku"], variation["barcode"]) == (
        scanned["variation_id"], scanned["sku"], scanned["barcode"])
    assert variation["options"] == {"renk": "Haki"} and variation["available"] == 3
    assert "nfc_tag" not in variation


def api_tenant(api: Api) -> int:
    from chalicelib.platform import tenancy

    return tenancy.resolve(api.api_key, "127.0.0.1").id


def test_upc_a_is_ean13_with_a_leading_zero_both_ways(api: Api, db: Database, tenant: TenantInfo,
                                                      scanned: dict[str, Any]):
    set_codes(db, tenant.id, scanned["variation_id"], barcode="0036000291452")  # stored as EAN-13
    assert get(api, "barcode=036000291452").json["variation"]["id"] == scanned["variation_id"]
    set_codes(db, tenant.id, scanned["variation_id"], barcode="036000291452")  # stored as UPC-A
    assert get(api, "barcode=0036000291452").json["variation"]["id"] == scanned["variation_id"]
    assert get(api, "barcode=%20036000291452%20").status_code == 200  # a scanner's stray spaces


@pytest.mark.parametrize("code, error_type", [
    ("4006381333932", "barcode_checksum"),  # 4006381333931 is the real one
    ("036000291453", "barcode_checksum"),  # UPC-A with a wrong check digit
    ("86912345678", "barcode_format"),
    ("86912345678901", "barcode_format"),
    ("869123456789X", "barcode_format"),
    ("８６９１２３４５６７８９０", "barcode_format"),  # full-width digits are not ASCII digits
])
def test_barcodes_are_checked(api: Api, scanned: dict[str, Any], code: str, error_type: str):
    from urllib.parse import quote

    response = api.get(f"/api/products/lookup?barcode={quote(code)}", headers={"Accept-Language": "tr"})
    error = assert_error_shape(response, 400, "invalid_barcode")
    assert "kontrol hanesi" in error["message"]
    (field,) = error["details"]["fields"]
    assert (field["field"], field["type"]) == ("barcode", error_type)
    assert field["message"] == {"barcode_checksum": "Barkodun kontrol hanesi hatalı.",
                                "barcode_format": "Barkod 12 (UPC-A) veya 13 (EAN-13) rakamdan oluşmalıdır."}[error_type]


def test_lookup_by_sku_ignores_case_and_surrounding_spaces(api: Api, scanned: dict[str, Any]):
    response = get(api, f"sku=%20{scanned['sku'].lower()}%20")
    assert response.status_code == 200, response.body
    assert response.json["matched_by"] == "sku" and response.json["variation"]["sku"] == scanned["sku"]


@pytest.mark.parametrize("tag", ["04A23B1C5D6E7F", "04a23b1c5d6e7f", "04:A2:3B:1C:5D:6E:7F", "04:a2:3b:1c:5d:6e:7f"])
def test_lookup_by_nfc_tag_in_any_case_with_or_without_colons(api: Api, scanned: dict[str, Any], tag: str):
    response = get(api, f"nfc={tag}")
    assert response.status_code == 200, response.body
    assert response.json["matched_by"] == "nfc" and response.json["variation"]["id"] == scanned["variation_id"]


def test_nfc_tags_stored_with_separators_are_found(api: Api, db: Database, tenant: TenantInfo, scanned: dict[str, Any]):
    for stored in ("04:a2:3b:1c", "04-A2-3B-1C"):
        set_codes(db, tenant.id, scanned["variation_id"], nfc_tag=stored)
        assert get(api, "nfc=04A23B1C").json["variation"]["id"] == scanned["variation_id"]


@pytest.mark.parametrize("tag", ["04A23B", "04:A2:3B", "04A23B1C5D6E7F8091A2B3", "04A23B1", "04A23BZZ",
                                 "04:A23B:1C", ":04:A2:3B:1C", "04 A2 3B 1C"])
def test_bad_nfc_tag_ids_are_refused(api: Api, scanned: dict[str, Any], tag: str):
    from urllib.parse import quote

    error = assert_error_shape(get(api, f"nfc={quote(tag)}"), 400, "validation_failed")
    assert [(f["field"], f["type"]) for f in error["details"]["fields"]] == [("nfc", "nfc_format")]


@pytest.mark.parametrize("query, fields", [
    ("", ["barcode", "nfc", "sku"]),
    ("barcode=&sku=%20", ["barcode", "nfc", "sku"]),
    ("barcode=4006381333931&sku=ABC", ["barcode", "sku"]),
    ("barcode=4006381333931&sku=ABC&nfc=04A23B1C", ["barcode", "nfc", "sku"]),
])
def test_exactly_one_of_the_three_is_required(api: Api, query: str, fields: list[str]):
    error = assert_error_shape(get(api, query), 400, "validation_failed")
    assert sorted(f["field"] for f in error["details"]["fields"]) == fields
    assert {f["type"] for f in error["details"]["fields"]} == {"lookup_one_param"}


def test_unknown_or_overlong_parameters_are_refused(api: Api):
    error = assert_error_shape(get(api, "ean=4006381333931"), 400, "validation_failed")
    assert [f["field"] for f in error["details"]["fields"]] == ["ean"]
    assert_error_shape(get(api, "sku=" + "A" * 65), 400, "validation_failed")


def test_unknown_inactive_and_other_tenants_codes_are_404(client: Any, api: Api, db: Database, tenant: TenantInfo,
                                                          other_tenant: TenantInfo, scanned: dict[str, Any]):
    assert_error_shape(get(api, f"barcode={ean13('400638133393')}"), 404, "not_found")
    assert_error_shape(get(api, "sku=NOPE-1"), 404, "not_found")
    assert_error_shape(get(api, "nfc=DEADBEEF"), 404, "not_found")

    theirs = insert_product(db, other_tenant.id, "Onların Çadırı")
    their_variation = variation_of(db, other_tenant.id, theirs)
    their_barcode = ean13("869000000001")
    set_codes(db, other_tenant.id, their_variation["id"], barcode=their_barcode, nfc_tag="0102030405")
    assert Api(client, other_tenant.api_key).get(f"/api/products/lookup?barcode={their_barcode}").status_code == 200
    assert_error_shape(get(api, f"barcode={their_barcode}"), 404, "not_found")
    assert_error_shape(get(api, f"sku={their_variation['sku']}"), 404, "not_found")
    assert_error_shape(get(api, "nfc=0102030405"), 404, "not_found")

    set_codes(db, tenant.id, scanned["variation_id"], is_active=0)
    assert_error_shape(get(api, f"barcode={scanned['barcode']}"), 404, "not_found")
    set_codes(db, tenant.id, scanned["variation_id"], is_active=1)
    for status in ("draft", "archived"):
        db.session().execute("UPDATE products SET status = %s WHERE tenant_id = %s AND id = %s",
                             (status, tenant.id, scanned["product_id"]))
        assert_error_shape(get(api, f"sku={scanned['sku']}"), 404, "not_found")


def test_the_lookup_path_is_not_taken_for_a_product_id(api: Api, scanned: dict[str, Any]):
    assert get(api, f"sku={scanned['sku']}").json["product"]["id"] == scanned["product_id"]
    assert_error_shape(api.get("/api/products/lookup"), 400, "validation_failed")  # not the detail's 404
    assert api.get(f"/api/products/{scanned['product_id']}").status_code == 200
    assert_error_shape(api.get("/api/products/lookups"), 404, "not_found")  # a non-numeric product id


def test_public_but_needs_the_api_key(client: Any, scanned: dict[str, Any]):
    assert_error_shape(Api(client, None).get(f"/api/products/lookup?sku={scanned['sku']}"), 401, "api_key_missing")


def test_a_variations_own_image_comes_first(api: Api, db: Database, tenant: TenantInfo, scanned: dict[str, Any]):
    own = f"tenants/{tenant.id}/products/{scanned['product_id']}/renk-haki.jpg"
    db.session().insert("INSERT INTO product_images (tenant_id, product_id, variation_id, s3_key, sort_order) "
                        "VALUES (%s, %s, %s, %s, 5)", (tenant.id, scanned["product_id"], scanned["variation_id"], own))
    assert get(api, f"sku={scanned['sku']}").json["product"]["image"] == own


def test_one_statement_per_lookup(api: Api, scanned: dict[str, Any]):
    get(api, f"sku={scanned['sku']}")  # tenant cached
    before = dbmod.stats.statements
    assert get(api, f"barcode={scanned['barcode']}").status_code == 200
    assert dbmod.stats.statements - before == 1


# -- normalisation, without HTTP --------------------------------------------------------------
def test_normalisers():
    assert lookup.normalise_barcode("036000291452") == "0036000291452"
    assert lookup.normalise_barcode(" 4006381333931 ") == "4006381333931"
    for bad in ("4006381333932", "40063813339", "abc"):
        with pytest.raises(ValueError):
            lookup.normalise_barcode(bad)
    assert lookup.normalise_nfc("04:a2:3b:1c") == "04A23B1C"
    with pytest.raises(ValueError):
        lookup.normalise_nfc("04a2")
