"""Edges of the catalogue and its admin (issue 9), each found by fuzzing or by hand:

- money in JSON is the platform's `Money` ("." decimal point, at most two places, within
  DECIMAL(14,2)): "12.345" was stored as 12345.00 and "0.001" as 1.00; Turkish notation stays
  for the spreadsheet import, whose parser no longer fails with a 500 on huge values;
- a compare_at_price below the price is refused, on create and on partial update (against the
  stored value of the field not sent);
- stock sums that would leave the INT columns are a 400, not a MariaDB error;
- partial updates refuse an explicit null except on the fields each model lists as clearable;
- free-form JSON (attributes, options) has depth and size limits;
- names and descriptions are NFC-normalised, control and bidi-override characters refused;
  search text is NFC-normalised, so a decomposed "ş" finds what "ş" finds;
- the OpenAPI document declares what the routes answer (lookup 404, export 200 as CSV).

Every refusal is the one error shape naming the field, and leaves the stored rows unchanged.
"""
# ruff: noqa: F811 - the fixtures imported from catalog_admin_kit are parameters by design
from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.catalog.search import terms
from chalicelib.catalog_admin.values import MAX_STOCK, ValueProblem, parse_money, parse_stock
from chalicelib.platform.text import fold
from tests.conftest import Api, TenantInfo
from tests.e2e.catalog_admin_kit import (  # noqa: F401 - fixtures
    admin,
    assert_invalid,
    ca_client,
    ean,
    make_brand,
    make_category,
    make_product,
    scalar,
    shopper,
    snapshot,
)
from tests.e2e.test_pipeline import assert_error_shape

DECOMPOSED_SISME = "s\u0327is\u0327me"  # "şişme" typed as s + combining cedilla (macOS, some keyboards)


def field_types(response: Any) -> dict[str, str]:
    """The refused fields and why.  A U+0000 is refused by the platform before any model
    (code invalid_text, the same details.fields[] shape)."""
    assert response.status_code == 400, response.body
    code = json.loads(response.body)["error"]["code"]
    error = assert_error_shape(response, 400, code if code == "invalid_text" else "validation_failed")
    return {f["field"]: f["type"] for f in error["details"]["fields"]}


@pytest.fixture
def kamp(admin: Api) -> dict[str, Any]:
    return make_category(admin, "Kamp")


@pytest.fixture
def product(admin: Api, kamp: dict[str, Any]) -> dict[str, Any]:
    return make_product(admin, kamp["id"], name="Şişme Yatak", price="899.00", compare_at_price="999.00",
                        variations=[{"sku": "EDGE-1", "stock": 5, "barcode": ean(901)}])


# -- money in JSON -----------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["12.345", "0.001", "1e30", 1e30, "1.249,90", "1249,90", "-1", "NaN", True])
def test_a_price_that_is_not_json_money_is_refused_and_nothing_changes(admin: Api, product: dict[str, Any],
                                                                        tenant: TenantInfo, bad: Any):
    variation = product["variations"][0]["id"]
    before = snapshot(tenant.id)
    assert_invalid(admin.post(f"/api/admin/variations/{variation}/price", {"price": bad}), "price")
    assert_invalid(admin.put(f"/api/admin/variations/{variation}", {"price": bad}), "price")
    assert_invalid(admin.put(f"/api/admin/products/{product['id']}", {"base_price": bad}), "base_price")
    assert snapshot(tenant.id) == before


def test_json_money_in_either_json_form_is_stored_exactly(admin: Api, product: dict[str, Any]):
    variation = product["variations"][0]["id"]
    assert admin.post(f"/api/admin/variations/{variation}/price", {"price": "12.34"}).json["price"] == "12.34"
    assert admin.post(f"/api/admin/variations/{variation}/price", {"price": 12.3}).json["price"] == "12.30"
    assert admin.post(f"/api/admin/variations/{variation}/price", {"price": 999999999999.99}).status_code == 200
    assert scalar("SELECT price FROM product_variations WHERE id = %s", variation) == Decimal("999999999999.99")


def test_creating_with_money_out_of_range_is_a_400_naming_the_field(admin: Api, kamp: dict[str, Any],
                                                                      tenant: TenantInfo):
    product = make_product(admin, kamp["id"], name="Termos")
    before = snapshot(tenant.id)
    body = {"name": "Termos", "category_id": kamp["id"], "base_price": "10.00",
            "variations": [{"sku": "BIG-1", "price": 1.7976931348623157e308}]}
    assert_invalid(admin.post("/api/admin/products", body), "variations.0.price")
    assert_invalid(admin.post(f"/api/admin/products/{product['id']}/variations",
                              {"sku": "BIG-2", "price": 7.3e233}), "price")
    assert snapshot(tenant.id) == before


@pytest.mark.parametrize("cell", ["1" + "0" * 30, "9" * 60, 1e30, Decimal("1E+999999")])
def test_the_import_parser_refuses_huge_values_instead_of_failing(cell: Any):
    for parse in (parse_money, parse_stock):
        with pytest.raises(ValueProblem) as caught:
            parse(cell)
        assert caught.value.type == "too_large"
    assert parse_money("1.249,90") == Decimal("1249.90")  # Turkish notation: the import's own


def test_an_import_with_a_huge_price_is_a_row_error_not_a_500(admin: Api, tenant: TenantInfo):
    csv = "sku;ad;kategori;fiyat\nHUGE-1;Termos;Kamp;" + "9" * 40 + "\n"
    content = base64.b64encode(("\ufeff" + csv).encode()).decode()
    make_category(admin, "Kamp")
    before = snapshot(tenant.id)
    error = assert_error_shape(admin.post("/api/admin/products/import", {"format": "csv", "content": content}),
                               400, "import_invalid")
    assert [(e["column"], e["type"]) for e in error["details"]["errors"]] == [("fiyat", "too_large")]
    assert snapshot(tenant.id) == before


# -- compare_at_price --------------------------------------------------------------------------
def test_compare_at_price_below_the_price_is_refused_on_create(admin: Api, kamp: dict[str, Any],
                                                                tenant: TenantInfo):
    before = snapshot(tenant.id)
    body = {"name": "Termos", "category_id": kamp["id"], "base_price": "100.00", "compare_at_price": "99.99",
            "variations": [{"sku": "CMP-1"}]}
    assert field_types(admin.post("/api/admin/products", body)) == {"compare_at_price": "compare_at_below_price"}
    assert snapshot(tenant.id) == before
    body["compare_at_price"] = "100.00"  # equal is allowed: not below
    assert admin.post("/api/admin/products", body).status_code == 201


def test_compare_at_price_is_checked_against_the_stored_price_on_update(admin: Api, product: dict[str, Any],
                                                                         tenant: TenantInfo):
    url = f"/api/admin/products/{product['id']}"  # price 899.00, compare_at 999.00
    before = snapshot(tenant.id)
    assert field_types(admin.put(url, {"compare_at_price": "898.99"})) == {
        "compare_at_price": "compare_at_below_price"}
    assert field_types(admin.put(url, {"base_price": "999.01"})) == {"compare_at_price": "compare_at_below_price"}
    assert field_types(admin.put(url, {"base_price": "500.00", "compare_at_price": "400.00"})) == {
        "compare_at_price": "compare_at_below_price"}
    assert snapshot(tenant.id) == before
    changed = admin.put(url, {"base_price": "1100.00", "compare_at_price": "1200.00"}).json
    assert (changed["base_price"], changed["compare_at_price"]) == ("1100.00", "1200.00")
    cleared = admin.put(url, {"compare_at_price": None}).json  # clearable: the sale ends
    assert cleared["compare_at_price"] is None
    assert admin.put(url, {"base_price": "5000.00"}).status_code == 200  # nothing to compare with now


def test_a_bulk_raise_above_a_products_compare_at_price_is_refused(admin: Api, product: dict[str, Any],
                                                                    tenant: TenantInfo):
    before = snapshot(tenant.id)
    response = admin.post("/api/admin/products/bulk", {
        "action": "price", "product_ids": [product["id"]], "price": {"mode": "percent", "value": 20}})
    error = assert_error_shape(response, 400, "bulk_invalid")
    assert [p["type"] for p in error["details"]["problems"]] == ["compare_at_below_price"]
    assert snapshot(tenant.id) == before


# -- stock within its columns ------------------------------------------------------------------
def test_stock_that_would_leave_the_int_columns_is_a_400(admin: Api, kamp: dict[str, Any], tenant: TenantInfo):
    before = snapshot(tenant.id)
    body = {"name": "Çadır", "category_id": kamp["id"], "base_price": "10.00",
            "variations": [{"sku": "INT-1", "stock": MAX_STOCK}, {"sku": "INT-2", "stock": MAX_STOCK}]}
    assert field_types(admin.post("/api/admin/products", body)) == {"variations": "too_large"}
    assert snapshot(tenant.id) == before

    product = make_product(admin, kamp["id"], name="Çadır", variations=[{"sku": "INT-3", "stock": MAX_STOCK}])
    second = make_product(admin, kamp["id"], name="Çadır 2", variations=[{"sku": "INT-5"}, {"sku": "INT-6"}])
    variation = product["variations"][0]["id"]
    stock = f"/api/admin/variations/{variation}/stock"
    before = snapshot(tenant.id)
    assert field_types(admin.post(stock, {"delta": MAX_STOCK, "reason": "sayım"})) == {"delta": "too_large"}
    assert field_types(admin.post(stock, {"delta": 1, "reason": "sayım"})) == {"delta": "too_large"}
    assert field_types(admin.post(f"/api/admin/products/{product['id']}/variations",
                                  {"sku": "INT-4", "stock": MAX_STOCK})) == {"stock": "too_large"}
    assert field_types(admin.post("/api/admin/products/bulk", {
        "action": "stock", "product_ids": [second["id"]],
        "stock": {"mode": "set", "value": MAX_STOCK, "reason": "sayım"}})) == {"stock.value": "too_large"}
    assert snapshot(tenant.id) == before
    assert scalar("SELECT total_stock FROM products WHERE id = %s", product["id"]) == MAX_STOCK
    assert admin.post(stock, {"delta": -5, "reason": "sayım"}).json["stock"] == MAX_STOCK - 5


# -- explicit nulls ----------------------------------------------------------------------------
@pytest.mark.parametrize("field", ["name", "category_id", "slug", "status", "base_price", "vat_rate"])
def test_null_on_a_required_product_field_is_a_400_and_changes_nothing(admin: Api, product: dict[str, Any],
                                                                         tenant: TenantInfo, field: str):
    before = snapshot(tenant.id)
    assert field_types(admin.put(f"/api/admin/products/{product['id']}", {field: None})) == {
        field: "null_not_allowed"}
    assert snapshot(tenant.id) == before


def test_null_clears_only_the_clearable_product_fields(admin: Api, kamp: dict[str, Any]):
    brand = make_brand(admin, "Huğlu")
    product = make_product(admin, kamp["id"], brand_id=brand["id"], description="Hafif.", weight_grams=800,
                           attributes={"malzeme": "PVC"}, compare_at_price="1300.00")
    changed = admin.put(f"/api/admin/products/{product['id']}", {
        "brand_id": None, "description": None, "weight_grams": None, "attributes": None,
        "compare_at_price": None}).json
    assert [changed[k] for k in ("brand_id", "description", "weight_grams", "attributes", "compare_at_price")] == [
        None] * 5
    assert changed["name"] == product["name"] and changed["base_price"] == product["base_price"]


def test_null_policy_of_categories_brands_and_variations(admin: Api, kamp: dict[str, Any],
                                                         product: dict[str, Any], tenant: TenantInfo):
    child = make_category(admin, "Uyku", kamp["id"], description="Uyku tulumları")
    brand = make_brand(admin, "Huğlu", description="Bursa", logo_key="logos/huglu.png")
    variation = product["variations"][0]["id"]
    before = snapshot(tenant.id)
    for url, field in ((f"/api/admin/categories/{child['id']}", "name"),
                       (f"/api/admin/categories/{child['id']}", "slug"),
                       (f"/api/admin/categories/{child['id']}", "sort_order"),
                       (f"/api/admin/categories/{child['id']}", "is_active"),
                       (f"/api/admin/brands/{brand['id']}", "name"),
                       (f"/api/admin/brands/{brand['id']}", "is_active"),
                       (f"/api/admin/variations/{variation}", "sku"),
                       (f"/api/admin/variations/{variation}", "price"),
                       (f"/api/admin/variations/{variation}", "low_stock_threshold"),
                       (f"/api/admin/variations/{variation}", "is_active")):
        assert field_types(admin.put(url, {field: None})) == {field: "null_not_allowed"}, (url, field)
    assert snapshot(tenant.id) == before
    moved = admin.put(f"/api/admin/categories/{child['id']}", {"parent_id": None, "description": None}).json
    assert (moved["parent_id"], moved["depth"], moved["description"]) == (None, 0, None)
    cleared = admin.put(f"/api/admin/brands/{brand['id']}", {"description": None, "logo_key": None}).json
    assert (cleared["description"], cleared["logo_key"], cleared["name"]) == (None, None, "Huğlu")
    changed = admin.put(f"/api/admin/variations/{variation}", {"barcode": None, "name": None, "options": None}).json
    assert (changed["barcode"], changed["name"], changed["options"], changed["sku"]) == (None, None, None, "EDGE-1")


def test_the_document_shows_null_only_where_it_clears():
    from app import app  # noqa: F401 - registers every route
    from chalicelib.platform.openapi import build_document

    schemas = build_document()["components"]["schemas"]
    expected = {"ProductUpdateIn": {"brand_id", "description", "compare_at_price", "weight_grams", "attributes"},
                "VariationUpdateIn": {"barcode", "name", "options", "nfc_tag"},
                "CategoryUpdateIn": {"parent_id", "description", "image_key"},
                "BrandUpdateIn": {"description", "logo_key"}}
    for name, clearable in expected.items():
        properties = schemas[name]["properties"]
        nullable = {k for k, p in properties.items() if {"type": "null"} in p.get("anyOf", [])}
        assert nullable == clearable, name


# -- free-form JSON ----------------------------------------------------------------------------
def nested(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {"son": "x"}
    for _ in range(levels - 1):
        value = {"k": value}
    return value


def test_ninety_levels_never_reach_the_database(admin: Api, product: dict[str, Any], tenant: TenantInfo):
    before = snapshot(tenant.id)
    response = admin.put(f"/api/admin/products/{product['id']}", {"attributes": nested(90)})
    assert_error_shape(response, 400, "json_too_deep")  # the platform's limit on any body
    assert snapshot(tenant.id) == before


@pytest.mark.parametrize(("value", "problem"), [
    (nested(5), "json_too_deep"), (nested(20), "json_too_deep"),
    ({"aciklama": "x" * 20_000}, "json_too_large"), ({f"k{i}": i for i in range(51)}, "too_long"),
])
def test_attributes_have_depth_and_size_limits(admin: Api, product: dict[str, Any], kamp: dict[str, Any],
                                               tenant: TenantInfo, value: dict[str, Any], problem: str):
    before = snapshot(tenant.id)
    assert field_types(admin.put(f"/api/admin/products/{product['id']}", {"attributes": value})) == {
        "attributes": problem}
    body = {"name": "Termos", "category_id": kamp["id"], "base_price": "10.00", "attributes": value,
            "variations": [{"sku": "JSON-1"}]}
    assert field_types(admin.post("/api/admin/products", body)) == {"attributes": problem}
    assert snapshot(tenant.id) == before
    ok = admin.put(f"/api/admin/products/{product['id']}", {"attributes": nested(4)})
    assert ok.status_code == 200 and ok.json["attributes"] == nested(4)


def test_variation_options_are_flat_and_bounded(admin: Api, product: dict[str, Any], tenant: TenantInfo):
    url = f"/api/admin/variations/{product['variations'][0]['id']}"
    before = snapshot(tenant.id)
    for options in ({"renk": {"ic": "x"}}, {"renk": "x" * 101}, {"": "x"}, {"re\u202enk": "x"},
                    {"renk": "Haki\x00"}, {f"k{i}": "x" for i in range(21)}):
        assert "options" in {f.split(".")[0] for f in field_types(admin.put(url, {"options": options}))}, options
    assert snapshot(tenant.id) == before
    changed = admin.put(url, {"options": {"renk": "Hak\u0131", "beden": 42}}).json
    assert changed["options"] == {"renk": "Hakı", "beden": 42}


# -- text hygiene ------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["Termos\x00", "Ter\u202emos", "Termos\nikinci satır", "\u2066Termos"])
def test_names_with_control_or_bidi_characters_are_refused(admin: Api, kamp: dict[str, Any],
                                                           product: dict[str, Any], tenant: TenantInfo, bad: str):
    before = snapshot(tenant.id)
    assert field_types(admin.put(f"/api/admin/products/{product['id']}", {"name": bad})) == {
        "name": "text_forbidden_character"}
    assert field_types(admin.post("/api/admin/categories", {"name": bad})) == {"name": "text_forbidden_character"}
    assert field_types(admin.post("/api/admin/brands", {"name": bad})) == {"name": "text_forbidden_character"}
    assert field_types(admin.put(f"/api/admin/variations/{product['variations'][0]['id']}", {"name": bad})) == {
        "name": "text_forbidden_character"}
    assert field_types(admin.post(f"/api/admin/variations/{product['variations'][0]['id']}/stock",
                                  {"delta": 1, "reason": bad})) == {"reason": "text_forbidden_character"}
    assert snapshot(tenant.id) == before


def test_descriptions_keep_line_breaks_but_refuse_bidi_overrides(admin: Api, product: dict[str, Any],
                                                                tenant: TenantInfo):
    url = f"/api/admin/products/{product['id']}"
    before = snapshot(tenant.id)
    assert field_types(admin.put(url, {"description": "Hafif\u202e"})) == {"description": "text_forbidden_character"}
    assert snapshot(tenant.id) == before
    assert admin.put(url, {"description": "Hafif.\n\tDayanıklı."}).json["description"] == "Hafif.\n\tDayanıklı."


def test_names_are_stored_nfc_normalised_and_stripped(admin: Api, kamp: dict[str, Any]):
    product = make_product(admin, kamp["id"], name=f"  {DECOMPOSED_SISME} Yatak ")
    assert product["name"] == "şişme Yatak"
    assert scalar("SELECT name FROM products WHERE id = %s", product["id"]) == "şişme Yatak"
    category = make_category(admin, f"{DECOMPOSED_SISME}ler")
    assert category["name"] == "şişmeler" and category["slug"] == "sismeler"


def test_a_decomposed_s_finds_what_the_composed_one_finds(admin: Api, shopper: Api, product: dict[str, Any]):
    assert terms(DECOMPOSED_SISME) == terms("şişme") == ["sisme"]
    assert fold("S\u0327I\u0307S\u0327ME") == fold("ŞİŞME") == "sisme"
    composed = shopper.get("/api/products?q=%C5%9Fi%C5%9Fme")
    decomposed = shopper.get("/api/products?q=s%CC%A7is%CC%A7me")
    assert composed.status_code == decomposed.status_code == 200
    assert [p["id"] for p in decomposed.json["items"]] == [p["id"] for p in composed.json["items"]] == [product["id"]]
    suggested = shopper.get("/api/products/suggest?q=s%CC%A7is%CC%A7")
    assert [s["id"] for s in suggested.json["items"] if s["type"] == "product"] == [product["id"]]
    listed = admin.get("/api/admin/products?q=s%CC%A7is%CC%A7me").json["items"]
    assert [p["id"] for p in listed] == [product["id"]]


@pytest.mark.parametrize("path", ["/api/products?q=yatak%00", "/api/products/suggest?q=yatak%00",
                                  "/api/admin/products?q=yatak%00", "/api/products?q=%E2%80%AEyatak"])
def test_search_text_refuses_nul_and_bidi_overrides(admin: Api, path: str):
    assert field_types(admin.get(path)) == {"q": "text_forbidden_character"}


def test_attribute_filters_are_nfc_normalised(admin: Api, shopper: Api, kamp: dict[str, Any]):
    product = make_product(admin, kamp["id"], attributes={"malzeme": "Kumaş"})
    assert [p["id"] for p in shopper.get("/api/products?attr=malzeme:Kuma%C5%9F").json["items"]] == [product["id"]]
    assert [p["id"] for p in shopper.get("/api/products?attr=malzeme:Kumas%CC%A7").json["items"]] == [product["id"]]
    assert field_types(shopper.get("/api/products?attr=malzeme:Kuma%00")) == {"attr": "text_forbidden_character"}


def test_an_import_row_with_a_bidi_override_is_refused(admin: Api, tenant: TenantInfo):
    make_category(admin, "Kamp")
    csv = "sku;ad;kategori;fiyat\nBIDI-1;Ter\u202emos;Kamp;10,00\n"
    content = base64.b64encode(csv.encode()).decode()
    before = snapshot(tenant.id)
    error = assert_error_shape(admin.post("/api/admin/products/import", {"format": "csv", "content": content}),
                               400, "import_invalid")
    assert [(e["column"], e["type"]) for e in error["details"]["errors"]] == [("ad", "text_forbidden_character")]
    assert snapshot(tenant.id) == before


# -- the document tells the truth --------------------------------------------------------------
def test_lookup_declares_its_404_and_export_its_csv(admin: Api, shopper: Api, product: dict[str, Any]):
    from app import app  # noqa: F401 - registers every route
    from chalicelib.platform.openapi import build_document

    paths = build_document()["paths"]
    assert "404" in paths["/api/products/lookup"]["get"]["responses"]
    assert_error_shape(shopper.get("/api/products/lookup?sku=NOPE-404"), 404, "not_found")
    export = paths["/api/admin/products/export"]["get"]["responses"]
    assert "204" not in export and "text/csv" in export["200"]["content"]
    response = admin.get("/api/admin/products/export")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    assert json.dumps(export["200"]["content"]["text/csv"]["schema"])  # a schema a client generator can read
