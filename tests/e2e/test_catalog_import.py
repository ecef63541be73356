"""Spreadsheet import and export over HTTP: CSV and XLSX, Turkish and English headers and
numbers, upsert by SKU, every bad row reported with nothing applied, dry runs, and round trips
(export → import) that change nothing."""
# ruff: noqa: F811 - the fixtures imported from catalog_admin_kit are parameters by design
from __future__ import annotations

import base64
import io
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.platform.db import get_db
from tests.conftest import Api, TenantInfo
from tests.e2e.catalog_admin_kit import (  # noqa: F401 - fixtures
    admin,
    assert_invalid,
    audit_rows,
    ca_client,
    ean,
    make_brand,
    make_category,
    make_product,
    rows,
    scalar,
    shopper,
    snapshot,
)
from tests.e2e.inventory_kit import returned_calls  # noqa: F401 - a fixture
from tests.e2e.test_pipeline import assert_error_shape

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_TR = "sku;barkod;urun_slug;ad;varyant;marka;kategori;fiyat;stok;durum"


def b64(data: str | bytes) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return base64.b64encode(raw).decode("ascii")


def csv_file(*lines: str, bom: bool = True) -> str:
    return b64(("\ufeff" if bom else "") + "\r\n".join(lines) + "\r\n")


def do_import(api: Api, content: str, fmt: str = "csv", dry_run: bool = False, **kw: Any) -> Any:
    return api.post("/api/admin/products/import", {"format": fmt, "content": content, "dry_run": dry_run}, **kw)


@pytest.fixture
def tree(admin: Api) -> dict[str, Any]:
    kamp = make_category(admin, "Kamp")
    uyku = make_category(admin, "Uyku", kamp["id"])
    av = make_category(admin, "Av")
    av_uyku = make_category(admin, "Uyku", av["id"])  # a second "Uyku": bare name is ambiguous
    ayakkabi = make_category(admin, "Ayakkabı", kamp["id"])
    brand = make_brand(admin, "Huğlu")
    return {"kamp": kamp, "uyku": uyku, "av": av, "av_uyku": av_uyku, "ayakkabi": ayakkabi, "brand": brand}


def test_csv_import_creates_then_upserts_by_sku(admin: Api, shopper: Api, tenant: TenantInfo, tree, returned_calls):
    first = csv_file(
        HEADER_TR,
        f"YTK-T;{ean(11)};sisme-yatak;Şişme Yatak;Tek Kişilik;Huğlu;Kamp > Uyku;1.249,90;5;aktif",
        f"YTK-C;{ean(12)};sisme-yatak;Şişme Yatak;Çift Kişilik;huğlu;kamp > uyku;1.549,90;0;Aktif",
        "TRM-1;;;Termos 1 L;;;Ayakkabı;899,00;3;taslak",
    )
    before = snapshot(tenant.id)
    dry = do_import(admin, first, dry_run=True)
    assert dry.status_code == 200, dry.body
    assert {k: dry.json[k] for k in ("dry_run", "rows", "products_created", "variations_created")} == {
        "dry_run": True, "rows": 3, "products_created": 2, "variations_created": 3}
    assert snapshot(tenant.id) == before  # a dry run changes nothing
    done = do_import(admin, first)
    assert done.status_code == 200, done.body
    assert done.json["products_created"] == 2 and done.json["dry_run"] is False
    yatak = rows("SELECT id, name, status, category_id, brand_id, base_price, total_stock, search_text FROM products "
                 "WHERE tenant_id = %s AND slug = 'sisme-yatak'", tenant.id)[0]
    assert (yatak["status"], yatak["base_price"], yatak["total_stock"]) == ("active", Decimal("1249.90"), 5)
    assert (yatak["category_id"], yatak["brand_id"]) == (tree["uyku"]["id"], tree["brand"]["id"])
    assert yatak["search_text"] == "sisme yatak huglu kamp uyku"
    termos = rows("SELECT status, category_id FROM products WHERE tenant_id = %s AND name = 'Termos 1 L'", tenant.id)
    assert termos == [{"status": "draft", "category_id": tree["ayakkabi"]["id"]}]
    assert scalar("SELECT COUNT(*) FROM stock_movements WHERE tenant_id = %s AND reason = 'import'", tenant.id) == 2
    assert scalar("SELECT COUNT(*) FROM price_history WHERE tenant_id = %s AND source = 'import'", tenant.id) == 5
    [log] = audit_rows(tenant.id, "product.import")
    assert log["after"]["products_created"] == 2 and sorted(log["after"]["new_skus"]) == ["TRM-1", "YTK-C", "YTK-T"]
    assert shopper.get(f"/api/products/{yatak['id']}").json["price"] == "1249.90"  # cached now

    second = csv_file(
        "SKU,Barcode,Slug,Name,Variant,Brand,Category,Price,Stock,Status,Not ours",
        f"YTK-T,{ean(11)},sisme-yatak,Şişme Yatak,Tek Kişilik,Huğlu,Kamp > Uyku,1199.90,4,active,x",
        "YTK-C,,,,,,,,2,,",
        "YTK-K,,sisme-yatak,,King,,,,1,,",
        "TRM-1,,,Termos 1 L,,,,899.00,3,draft,",
        bom=False)
    done = do_import(admin, second, headers={"Accept-Language": "en"})
    assert done.status_code == 200, done.body
    assert {k: v for k, v in done.json.items() if k not in ("dry_run", "rows")} == {
        "products_created": 0, "products_updated": 0, "variations_created": 1, "variations_updated": 2,
        "unchanged_rows": 1, "stock_changes": 2, "price_changes": 1, "ignored_columns": ["Not ours"]}
    variations = {r["sku"]: r for r in rows("SELECT sku, price, stock FROM product_variations WHERE tenant_id = %s",
                                              tenant.id)}
    assert (variations["YTK-T"]["price"], variations["YTK-T"]["stock"]) == (Decimal("1199.90"), 4)
    assert (variations["YTK-K"]["price"], variations["YTK-K"]["stock"]) == (Decimal("1249.90"), 1)
    assert scalar("SELECT total_stock FROM products WHERE id = %s", yatak["id"]) == 7
    ytk_c = scalar("SELECT id FROM product_variations WHERE tenant_id = %s AND sku = 'YTK-C'", tenant.id)
    assert returned_calls() == [(tenant.id, [ytk_c])]  # 0 → 2
    public = shopper.get(f"/api/products/{yatak['id']}").json
    assert [v["price"] for v in public["variations"]] == ["1199.90", "1549.90", "1249.90"]
    assert len(audit_rows(tenant.id, "product.import")) == 2


def test_one_bad_row_changes_nothing(admin: Api, tenant: TenantInfo, tree):
    make_product(admin, tree["kamp"]["id"], name="Eski", variations=[{"sku": "OLD-1", "stock": 1}])
    before = snapshot(tenant.id)
    content = csv_file(
        HEADER_TR,
        "OLD-1;;;;;;;99,90;9;",
        "NEW-1;;;Yeni Ürün;;;Kamp;10;1;aktif",
        "NEW-2;;;Yeni Ürün 2;;;Kamp;-10;1;aktif",
        "NEW-3;;;Yeni Ürün 3;;;Kamp;10;1;aktif",
    )
    response = do_import(admin, content)
    error = assert_error_shape(response, 400, "import_invalid")
    assert error["details"]["rows"] == 4 and error["details"]["error_count"] == 1
    [bad] = error["details"]["errors"]
    assert (bad["row"], bad["field"], bad["column"], bad["type"], bad["value"]) == (4, "price", "fiyat", "negative",
                                                                                     "-10")
    assert bad["message"] == "Negatif olamaz."
    assert "1 hatalı satır" in error["message"]
    assert snapshot(tenant.id) == before
    assert_error_shape(do_import(admin, content, dry_run=True), 400, "import_invalid")  # dry runs report the same


def test_every_bad_row_is_reported(admin: Api, tenant: TenantInfo, tree):
    existing = make_product(admin, tree["kamp"]["id"], name="Var",
                            variations=[{"sku": "HAS-1", "barcode": ean(21), "stock": 5}])
    get_db().session().execute("UPDATE product_variations SET reserved = 2 WHERE id = %s",
                               (existing["variations"][0]["id"],))
    before = snapshot(tenant.id)
    content = csv_file(
        HEADER_TR,
        "B-1;8690000000010;;A;;;Kamp;10;1;aktif",        # 2 bad EAN-13 checksum
        "B-2;;;A;;;Kamp;abc;1;aktif",                    # 3 price not a number
        "B-3;;;A;;;Kamp;10;2,5;aktif",                   # 4 stock not whole
        "B-4;;;A;;Yok Marka;Kamp;10;1;aktif",            # 5 unknown brand
        "B-5;;;A;;;Kamp > Yok;10;1;aktif",               # 6 unknown category
        "B-6;;;A;;;Uyku;10;1;aktif",                     # 7 ambiguous category
        "B-7;;;A;;;Kamp;10;1;satılık",                   # 8 unknown status
        "B-1;;;A;;;Kamp;10;1;aktif",                     # 9 SKU twice in the file
        f"B-8;{ean(22)};;A;;;Kamp;10;1;aktif",           # 10
        f"B-9;{ean(22)};;A;;;Kamp;10;1;aktif",           # 11 barcode twice in the file
        f"B-10;{ean(21)};;A;;;Kamp;10;1;aktif",          # 12 barcode of another variation
        "B-11;;;;;;Kamp;10;1;aktif",                     # 13 new product without a name
        "B-12;;;A;;;Kamp;;1;aktif",                      # 14 new variation without a price
        "HAS-1;;;;;;;;1;",                               # 15 stock below reserved (2)
        "C-1;;grup;Bir Ad;;;Kamp;10;1;aktif",            # 16
        "C-2;;grup;Başka Ad;;;Kamp;10;1;aktif",          # 17 same product, other name
        ";;;A;;;Kamp;10;1;aktif",                        # 18 no SKU
        "B 13;;;A;;;Kamp;10;1;aktif",                    # 19 bad SKU
    )
    error = assert_error_shape(do_import(admin, content, headers={"Accept-Language": "en"}), 400, "import_invalid")
    found = {(e["row"], e["field"], e["type"]) for e in error["details"]["errors"]}
    assert found == {
        (2, "barcode", "barcode_invalid"), (3, "price", "number_invalid"), (4, "stock", "integer_invalid"),
        (5, "brand", "brand_unknown"), (6, "category", "category_unknown"), (7, "category", "category_ambiguous"),
        (8, "status", "status_unknown"), (9, "sku", "duplicate_in_file"), (11, "barcode", "duplicate_in_file"),
        (12, "barcode", "barcode_taken"), (13, "name", "required"), (14, "price", "required"),
        (15, "stock", "stock_below_reserved"), (17, "name", "conflicting_values"), (18, "sku", "required"),
        (19, "sku", "sku_invalid"),
    }
    assert all(e["message"] and e["column"] for e in error["details"]["errors"])
    assert error["message"] == "The file has 16 invalid rows; nothing was applied."
    assert snapshot(tenant.id) == before


def test_file_level_problems(admin: Api, tenant: TenantInfo, tree, monkeypatch):
    before = snapshot(tenant.id)
    missing = assert_error_shape(do_import(admin, csv_file("ad;fiyat", "A;10")), 400, "import_invalid")
    assert [(e["row"], e["field"], e["type"]) for e in missing["details"]["errors"]] == [(1, "sku", "column_missing")]
    twice = assert_error_shape(do_import(admin, csv_file("sku;fiyat;Fiyat", "A;1;2")), 400, "import_invalid")
    assert twice["details"]["errors"][0]["type"] == "column_duplicate"
    empty = assert_error_shape(do_import(admin, csv_file(HEADER_TR)), 400, "import_invalid")
    assert empty["details"]["errors"][0]["type"] == "empty_file"
    assert_invalid(do_import(admin, "not base64!"), "content")
    assert_error_shape(do_import(admin, b64(b"PK\x03\x04 not really a zip"), fmt="xlsx"), 400, "import_unreadable")
    assert_invalid(do_import(admin, csv_file(HEADER_TR), fmt="ods"), "format")
    from chalicelib.catalog_admin import importer

    monkeypatch.setattr(importer, "MAX_IMPORT_BYTES", 10)
    assert_error_shape(do_import(admin, csv_file(HEADER_TR, "A;;;A;;;Kamp;1;1;aktif")), 413, "import_too_large")
    monkeypatch.setattr(importer, "MAX_IMPORT_BYTES", 10_000_000)
    monkeypatch.setattr(importer, "MAX_ROWS", 1)
    lines = [f"R-{i};;;A {i};;;Kamp;1;1;aktif" for i in range(3)]
    assert_error_shape(do_import(admin, csv_file(HEADER_TR, *lines)), 413, "import_too_large")
    assert snapshot(tenant.id) == before


def _catalogue(admin: Api, tree: dict[str, Any]) -> None:
    """A varied catalogue: Turkish names, several variations, an inactive one, every status."""
    make_product(admin, tree["uyku"]["id"], name="Şişme Yatak Çift Kişilik", brand_id=tree["brand"]["id"],
                 price="1249.90", variations=[
                     {"sku": "RT-1", "barcode": ean(31), "name": "Haki / L", "stock": 4},
                     {"sku": "RT-2", "barcode": ean(32), "name": "Kırmızı", "price": "1349.90", "stock": 0},
                     {"sku": "RT-3", "price": "99.99", "stock": 2, "is_active": False}])
    make_product(admin, tree["av_uyku"]["id"], name="Yarı Otomatik Av Tüfeği", price="89999.00", status="draft",
                 variations=[{"sku": "RT-4", "barcode": ean(33), "stock": 1}])
    make_product(admin, tree["kamp"]["id"], name="İğne & Çuvaldız", price="0.90", status="archived",
                 variations=[{"sku": "RT-5", "stock": 1234567}])


def test_xlsx_round_trip_is_a_no_op(admin: Api, tenant: TenantInfo, tree):
    _catalogue(admin, tree)
    assert_error_shape(admin.get("/api/admin/products/export?format=xlsx", headers={"Accept": "application/json"}),
                       406, "export_not_acceptable")
    exported = admin.get("/api/admin/products/export?format=xlsx", headers={"Accept": XLSX})
    assert exported.status_code == 200, exported.body
    assert exported.headers["Content-Type"] == XLSX
    assert exported.headers["Content-Disposition"].startswith('attachment; filename="urunler-')
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(exported.body), read_only=True).worksheets[0]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == ["sku", "barkod", "urun_slug", "ad", "varyant", "marka", "kategori", "fiyat", "stok", "durum"]
    assert values[1] == ["RT-1", ean(31), "sisme-yatak-cift-kisilik", "Şişme Yatak Çift Kişilik", "Haki / L", "Huğlu",
                         "Kamp > Uyku", 1249.9, 4, "aktif"]
    assert [r[6] for r in values[1:]] == ["Kamp > Uyku"] * 3 + ["Av > Uyku", "Kamp"]
    before = snapshot(tenant.id)
    again = do_import(admin, b64(exported.body), fmt="xlsx")
    assert again.status_code == 200, again.body
    assert again.json == {"dry_run": False, "rows": 5, "products_created": 0, "products_updated": 0,
                          "variations_created": 0, "variations_updated": 0, "unchanged_rows": 5, "stock_changes": 0,
                          "price_changes": 0, "ignored_columns": []}
    assert snapshot(tenant.id) == before  # not a row, not a timestamp, not an audit entry


def test_csv_export_is_excel_friendly_and_round_trips(admin: Api, tenant: TenantInfo, tree):
    _catalogue(admin, tree)
    tr = admin.get("/api/admin/products/export?format=csv")
    assert tr.status_code == 200 and tr.headers["Content-Type"] == "text/csv; charset=utf-8"
    text = tr.body.decode("utf-8")
    assert text.startswith("\ufeff" + HEADER_TR + "\r\n")
    assert "RT-1;" + ean(31) + ";sisme-yatak-cift-kisilik;Şişme Yatak Çift Kişilik;Haki / L;Huğlu;Kamp > Uyku;" \
           "1249,90;4;aktif" in text
    assert "RT-4;" in text and ";89999,00;1;taslak" in text and ";İğne & Çuvaldız;" in text and ";arşiv" in text
    en = admin.get("/api/admin/products/export?format=csv&status=active", headers={"Accept-Language": "en"})
    lines = en.body.decode("utf-8").lstrip("\ufeff").splitlines()
    assert lines[0] == "sku,barcode,slug,name,variant,brand,category,price,stock,status"
    assert [line.split(",")[0] for line in lines[1:]] == ["RT-1", "RT-2", "RT-3"]
    assert lines[2].endswith(",1349.90,0,active")
    before = snapshot(tenant.id)
    for body in (tr.body, en.body):
        again = do_import(admin, b64(body))
        assert again.status_code == 200, again.body
        assert again.json["unchanged_rows"] == again.json["rows"] and again.json["variations_updated"] == 0
    assert snapshot(tenant.id) == before
    assert_invalid(admin.get("/api/admin/products/export?format=pdf"), "format")
    assert_invalid(admin.get("/api/admin/products/export?category_id=999999999"), "category_id")


def test_xlsx_import_reads_numbers_as_excel_stores_them(admin: Api, tenant: TenantInfo, tree):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Stok Kodu", "Barkod", "Ürün Adı", "Marka", "Kategori", "Fiyat (TL)", "Stok Adedi", "Durum"])
    sheet.append(["X-1", int(ean(41)), "Kamp Ocağı", "HUĞLU", "Kamp", 449.9, 12.0, "Aktif"])
    sheet.append(["X-2", float(ean(42)), "Çaydanlık", None, "kamp > ayakkabı", "1.249,90", 3, None])
    sheet.append([None] * 8)  # empty rows are skipped, row numbers are kept
    out = io.BytesIO()
    workbook.save(out)
    done = do_import(admin, b64(out.getvalue()), fmt="xlsx")
    assert done.status_code == 200, done.body
    assert done.json["products_created"] == 2
    found = {r["sku"]: r for r in rows("SELECT v.sku, v.barcode, v.price, v.stock, p.status FROM product_variations v "
                                       "JOIN products p ON p.id = v.product_id WHERE v.tenant_id = %s", tenant.id)}
    assert found["X-1"] == {"sku": "X-1", "barcode": ean(41), "price": Decimal("449.90"), "stock": 12,
                            "status": "active"}
    assert found["X-2"] == {"sku": "X-2", "barcode": ean(42), "price": Decimal("1249.90"), "stock": 3,
                            "status": "draft"}


def test_an_import_never_touches_another_tenants_rows(admin: Api, tenant: TenantInfo, other_tenant: TenantInfo,
                                                      tree):
    from chalicelib.catalog_admin import products, taxonomy
    from chalicelib.catalog_admin.common import Actor

    db = get_db()
    theirs = taxonomy.create_category(db, other_tenant.id, {"name": "Kamp"})
    products.create_product(db, other_tenant.id, Actor(None), {
        "name": "Onların", "category_id": theirs["id"], "status": "active", "base_price": Decimal("10.00"),
        "slug": "ortak", "variations": [{"sku": "SHARED-1", "price": Decimal("10.00"), "stock": 1}]})
    before = snapshot(other_tenant.id)
    done = do_import(admin, csv_file(HEADER_TR, "SHARED-1;;ortak;Bizim;;;Kamp;20,00;5;aktif"))
    assert done.status_code == 200, done.body
    assert done.json["products_created"] == 1  # SKUs and slugs are per tenant: a new product of ours
    assert rows("SELECT slug, base_price FROM products WHERE tenant_id = %s", tenant.id) == [
        {"slug": "ortak", "base_price": Decimal("20.00")}]
    assert snapshot(other_tenant.id) == before


def test_import_changes_product_fields_of_existing_skus(admin: Api, shopper: Api, tenant: TenantInfo, tree):
    product = make_product(admin, tree["uyku"]["id"], name="Uyku Tulumu", price="999.00",
                           variations=[{"sku": "UT-1", "stock": 2}, {"sku": "UT-2", "stock": 1}])
    make_product(admin, tree["kamp"]["id"], name="Başka", slug="baska")
    assert shopper.get(f"/api/products/{product['id']}").json["name"] == "Uyku Tulumu"  # cached
    before = snapshot(tenant.id)
    taken = assert_error_shape(do_import(admin, csv_file(HEADER_TR, "UT-1;;baska;;;;;;;")), 400, "import_invalid")
    assert [(e["row"], e["type"]) for e in taken["details"]["errors"]] == [(2, "slug_taken")]
    assert snapshot(tenant.id) == before
    done = do_import(admin, csv_file(HEADER_TR, "UT-1;;kis-tulumu;Kış Uyku Tulumu;;Huğlu;Av > Uyku;;;taslak",
                                     "UT-2;;;;;;;;;"))
    assert done.status_code == 200, done.body
    assert (done.json["products_updated"], done.json["unchanged_rows"]) == (1, 0)
    row = rows("SELECT slug, name, status, category_id, brand_id, search_text FROM products WHERE id = %s",
               product["id"])[0]
    assert row == {"slug": "kis-tulumu", "name": "Kış Uyku Tulumu", "status": "draft",
                   "category_id": tree["av_uyku"]["id"], "brand_id": tree["brand"]["id"],
                   "search_text": "kis uyku tulumu huglu av uyku"}
    assert_error_shape(shopper.get(f"/api/products/{product['id']}"), 404, "not_found")  # draft now
    [log] = audit_rows(tenant.id, "product.import")
    assert log["before"]["products"][str(product["id"])]["status"] == "active"
    assert log["after"]["products"][str(product["id"])]["status"] == "draft"
