"""Catalogue admin over HTTP: who may call what, tenant isolation, the category tree, brands,
products, variations, stock and price with their history, bulk changes, and what shoppers see
right after each change (cache invalidation).  Import / export: test_catalog_import.py."""
# ruff: noqa: F811 - the fixtures imported from catalog_admin_kit are parameters by design
from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.platform.db import get_db
from chalicelib.platform.text import fold
from tests.conftest import Api, TenantInfo, make_user
from tests.e2e.catalog_admin_kit import (  # noqa: F401 - fixtures
    admin,
    assert_invalid,
    audit_rows,
    ca_client,
    ean,
    editor,
    make_brand,
    make_category,
    make_product,
    rows,
    scalar,
    shopper,
    snapshot,
    staff,
)
from tests.e2e.inventory_kit import returned_calls  # noqa: F401 - a fixture
from tests.e2e.test_pipeline import assert_error_shape

PRODUCT_BODY = {"name": "Kamp Sandalyesi", "category_id": 0, "base_price": "499.90",
                "variations": [{"sku": "NEW-SKU-1", "stock": 1}]}
ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/api/admin/categories", None),
    ("POST", "/api/admin/categories", {"name": "Yeni"}),
    ("PUT", "/api/admin/categories/{category_id}", {"name": "Yeni ad"}),
    ("DELETE", "/api/admin/categories/{category_id}", None),
    ("GET", "/api/admin/brands", None),
    ("POST", "/api/admin/brands", {"name": "Yeni"}),
    ("PUT", "/api/admin/brands/{brand_id}", {"name": "Yeni ad"}),
    ("DELETE", "/api/admin/brands/{brand_id}", None),
    ("GET", "/api/admin/products", None),
    ("GET", "/api/admin/products/export", None),
    ("POST", "/api/admin/products/bulk", {"action": "status", "product_ids": ["{product_id}"], "status": "draft"}),
    ("POST", "/api/admin/products/import", {"format": "csv", "content": "c2t1CkEtMQo="}),
    ("GET", "/api/admin/products/{product_id}", None),
    ("POST", "/api/admin/products", PRODUCT_BODY),
    ("PUT", "/api/admin/products/{product_id}", {"name": "Yeni ad"}),
    ("DELETE", "/api/admin/products/{product_id}", None),
    ("POST", "/api/admin/products/{product_id}/variations", {"sku": "NEW-SKU-2"}),
    ("PUT", "/api/admin/variations/{variation_id}", {"name": "XL"}),
    ("DELETE", "/api/admin/variations/{variation_id}", None),
    ("POST", "/api/admin/variations/{variation_id}/stock", {"delta": 1, "reason": "sayım"}),
    ("POST", "/api/admin/variations/{variation_id}/price", {"price": "10"}),
]
ROUTE_IDS = [f"{m} {p}" for m, p, _ in ROUTES]


def seed(tenant_id: int) -> dict[str, int]:
    """A category, a brand and an active product with one variation, through the services."""
    from chalicelib.catalog_admin import products, taxonomy
    from chalicelib.catalog_admin.common import Actor

    db = get_db()
    category = taxonomy.create_category(db, tenant_id, {"name": "Kamp"})
    brand = taxonomy.create_brand(db, tenant_id, {"name": "Huğlu"})
    product = products.create_product(db, tenant_id, Actor(None), {
        "name": "Şişme Yatak", "category_id": category["id"], "brand_id": brand["id"], "status": "active",
        "base_price": Decimal("1249.90"), "variations": [{"sku": f"S-{uuid.uuid4().hex[:8]}", "price": Decimal("1249.90"),
                                                          "stock": 4}]})
    return {"category_id": category["id"], "brand_id": brand["id"], "product_id": product["id"],
            "variation_id": product["variations"][0]["id"]}


def concrete(path: str, ids: dict[str, int]) -> str:
    return path.format(**ids)


def concrete_body(body: Any, ids: dict[str, int]) -> Any:
    if body is None:
        return None
    if body is PRODUCT_BODY:
        return {**body, "category_id": ids["category_id"]}
    if "product_ids" in body:
        return {**body, "product_ids": [ids["product_id"]]}
    return body


# -- who may call ------------------------------------------------------------------------------
def test_the_route_list_above_is_complete(ca_client):
    from chalicelib.platform.routing import REGISTRY

    ours = {(m, p) for (m, p), spec in REGISTRY.items() if spec.tag == "catalog_admin"}
    assert ours == {(m, p) for m, p, _ in ROUTES}
    for key in ours:
        spec = REGISTRY[key]
        assert spec.auth == "admin"
        assert spec.permission == ("products.read" if key[0] == "GET" else "products.write")


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=ROUTE_IDS)
def test_every_route_needs_a_token_and_the_products_permission(ca_client, tenant: TenantInfo, method, path, body):
    ids = seed(tenant.id)
    before = snapshot(tenant.id)
    url, payload = concrete(path, ids), concrete_body(body, ids)
    assert_error_shape(Api(ca_client, tenant.api_key).request(method, url, payload), 401, "token_missing")
    for roles in (None, ["support"], ["finance"]):  # a customer, and staff without products.*
        assert_error_shape(staff(ca_client, tenant, roles).request(method, url, payload), 403, "forbidden")
    assert snapshot(tenant.id) == before


@pytest.mark.parametrize(("method", "path", "body"), [r for r in ROUTES if "{" in r[1] or r[2] is not None
                                                        and "product_ids" in r[2]],
                         ids=[i for r, i in zip(ROUTES, ROUTE_IDS, strict=True) if "{" in r[1]
                              or r[2] is not None and "product_ids" in r[2]])
def test_another_tenants_ids_are_404_and_untouched(ca_client, tenant: TenantInfo, other_tenant: TenantInfo,
                                                   method, path, body):
    theirs = seed(other_tenant.id)
    seed(tenant.id)
    before = snapshot(other_tenant.id)
    api = staff(ca_client, tenant, ["super_admin"])
    assert_error_shape(api.request(method, concrete(path, theirs), concrete_body(body, theirs)), 404, "not_found")
    assert snapshot(other_tenant.id) == before


def test_the_editor_role_manages_the_catalogue(editor: Api, tenant: TenantInfo):
    category = make_category(editor, "Av")
    product = make_product(editor, category["id"])
    assert editor.get(f"/api/admin/products/{product['id']}").status_code == 200
    assert [a["user_id"] for a in audit_rows(tenant.id, "product.create")] == [product["history"][
        "recent_price_changes"][0]["actor_user_id"]]


# -- categories ----------------------------------------------------------------------------------
def test_category_slugs_are_turkish_and_unique_per_tenant(admin: Api, tenant: TenantInfo, other_tenant: TenantInfo):
    kamp = make_category(admin, "Kamp")
    first = make_category(admin, "Şişme Yatak", kamp["id"])
    assert (first["slug"], first["path"], first["depth"]) == ("sisme-yatak", f"{kamp['path']}{first['id']}/", 1)
    assert make_category(admin, "ŞİŞME YATAK")["slug"] == "sisme-yatak-2"
    assert make_category(admin, "şişme yatak")["slug"] == "sisme-yatak-3"
    before = snapshot(tenant.id)
    clash = assert_error_shape(admin.post("/api/admin/categories", {"name": "Başka", "slug": "sisme-yatak"}),
                               409, "slug_taken")
    assert clash["details"] == {"field": "slug", "value": "sisme-yatak"}
    assert_invalid(admin.post("/api/admin/categories", {"name": "X", "parent_id": 999999999}), "parent_id")
    assert_invalid(admin.post("/api/admin/categories", {"name": "", "slug": "Büyük Harf"}), "name", "slug")
    assert snapshot(tenant.id) == before
    assert seed(other_tenant.id)  # their own "kamp" slug: slugs are per tenant
    created = audit_rows(tenant.id, "category.create")
    assert len(created) == 4 and created[1]["after"]["slug"] == "sisme-yatak" and created[1]["before"] is None
    listed = admin.get("/api/admin/categories").json["items"]
    assert [c["name"] for c in listed][:2] == ["Kamp", "Şişme Yatak"]  # parents before children


def test_moving_a_category_rewrites_its_whole_subtree(admin: Api, shopper: Api, tenant: TenantInfo):
    av = make_category(admin, "Av")
    kamp = make_category(admin, "Kamp")
    uyku = make_category(admin, "Uyku", kamp["id"])
    yatak = make_category(admin, "Şişme Yatak", uyku["id"])
    product = make_product(admin, yatak["id"], name="Yatak Pro")
    moved = admin.put(f"/api/admin/categories/{uyku['id']}", {"parent_id": av["id"]})
    assert moved.status_code == 200, moved.body
    tree = {r["id"]: r for r in rows("SELECT id, path, depth FROM categories WHERE tenant_id = %s", tenant.id)}
    assert tree[uyku["id"]] == {"id": uyku["id"], "path": f"/{av['id']}/{uyku['id']}/", "depth": 1}
    assert tree[yatak["id"]] == {"id": yatak["id"], "path": f"/{av['id']}/{uyku['id']}/{yatak['id']}/", "depth": 2}
    assert scalar("SELECT search_text FROM products WHERE id = %s", product["id"]) == "yatak pro av uyku sisme yatak"
    in_av = shopper.get(f"/api/products?category_id={av['id']}").json["items"]
    assert [p["id"] for p in in_av] == [product["id"]]
    assert shopper.get(f"/api/products?category_id={kamp['id']}").json["items"] == []
    [log] = audit_rows(tenant.id, "category.update")
    assert (log["before"]["parent_id"], log["after"]["parent_id"]) == (kamp["id"], av["id"])
    to_root = admin.put(f"/api/admin/categories/{yatak['id']}", {"parent_id": None})
    assert (to_root.json["path"], to_root.json["depth"]) == (f"/{yatak['id']}/", 0)


def test_a_category_cannot_move_under_itself_or_its_descendants(admin: Api, tenant: TenantInfo):
    kamp = make_category(admin, "Kamp")
    uyku = make_category(admin, "Uyku", kamp["id"])
    yatak = make_category(admin, "Şişme Yatak", uyku["id"])
    before = snapshot(tenant.id)
    for target in (yatak["id"], uyku["id"], kamp["id"]):
        fields = assert_invalid(admin.put(f"/api/admin/categories/{kamp['id']}", {"parent_id": target}), "parent_id")
        assert fields[0]["type"] == "category_cycle"
    assert_invalid(admin.put(f"/api/admin/categories/{kamp['id']}", {"parent_id": 999999999}), "parent_id")
    assert snapshot(tenant.id) == before


def test_renaming_a_category_keeps_its_slug_and_updates_search_text(admin: Api, tenant: TenantInfo):
    kamp = make_category(admin, "Kamp")
    product = make_product(admin, kamp["id"], name="Termos")
    renamed = admin.put(f"/api/admin/categories/{kamp['id']}", {"name": "Kamp Ürünleri"}).json
    assert (renamed["name"], renamed["slug"]) == ("Kamp Ürünleri", "kamp")
    assert scalar("SELECT search_text FROM products WHERE id = %s", product["id"]) == "termos kamp urunleri"
    audits = len(audit_rows(tenant.id))
    assert admin.put(f"/api/admin/categories/{kamp['id']}", {"name": "Kamp Ürünleri"}).status_code == 200
    assert len(audit_rows(tenant.id)) == audits  # nothing changed: nothing audited


def test_category_delete_needs_an_empty_leaf(admin: Api, tenant: TenantInfo):
    kamp = make_category(admin, "Kamp")
    uyku = make_category(admin, "Uyku", kamp["id"])
    product = make_product(admin, uyku["id"], status="archived")
    before = snapshot(tenant.id)
    error = assert_error_shape(admin.delete(f"/api/admin/categories/{kamp['id']}"), 409, "category_has_children")
    assert error["details"] == {"count": 1}
    error = assert_error_shape(admin.delete(f"/api/admin/categories/{uyku['id']}"), 409, "category_in_use")
    assert error["details"] == {"count": 1}  # archived products count: orders still refer to them
    assert snapshot(tenant.id) == before
    assert admin.put(f"/api/admin/products/{product['id']}", {"category_id": kamp["id"]}).status_code == 200
    assert admin.delete(f"/api/admin/categories/{uyku['id']}").status_code == 204
    assert [c["id"] for c in admin.get("/api/admin/categories").json["items"]] == [kamp["id"]]
    [log] = audit_rows(tenant.id, "category.delete")
    assert log["before"]["name"] == "Uyku" and log["after"] is None
    assert_error_shape(admin.delete(f"/api/admin/categories/{uyku['id']}"), 404, "not_found")


# -- brands --------------------------------------------------------------------------------------
def test_brands_crud_reaches_products_and_the_shop(admin: Api, shopper: Api, tenant: TenantInfo):
    kamp = make_category(admin, "Kamp")
    brand = make_brand(admin, "Huğlu Av")
    assert brand["slug"] == "huglu-av" and make_brand(admin, "HUĞLU AV")["slug"] == "huglu-av-2"
    before = snapshot(tenant.id)
    assert_error_shape(admin.post("/api/admin/brands", {"name": "X", "slug": "huglu-av"}), 409, "slug_taken")
    assert_invalid(admin.post("/api/admin/brands", {"name": "X", "website": "y"}), "website")
    assert_invalid(admin.put(f"/api/admin/brands/{brand['id']}", {"name": ""}), "name")
    assert_invalid(admin.put(f"/api/admin/brands/{brand['id']}", {"slug": "Kötü Slug"}), "slug")
    assert_error_shape(admin.put(f"/api/admin/brands/{brand['id']}", {"slug": "huglu-av-2"}), 409, "slug_taken")
    assert snapshot(tenant.id) == before
    product = make_product(admin, kamp["id"], name="Çadır", brand_id=brand["id"])
    assert shopper.get(f"/api/products/{product['id']}").json["brand"] == "Huğlu Av"  # now cached
    assert admin.put(f"/api/admin/brands/{brand['id']}", {"name": "Huğlu Outdoor"}).status_code == 200
    assert shopper.get(f"/api/products/{product['id']}").json["brand"] == "Huğlu Outdoor"
    assert scalar("SELECT search_text FROM products WHERE id = %s", product["id"]) == "cadir huglu outdoor kamp"
    [log] = audit_rows(tenant.id, "brand.update")
    assert (log["before"]["name"], log["after"]["name"]) == ("Huğlu Av", "Huğlu Outdoor")
    before = snapshot(tenant.id)
    error = assert_error_shape(admin.delete(f"/api/admin/brands/{brand['id']}"), 409, "brand_in_use")
    assert error["details"]["count"] == 1 and snapshot(tenant.id) == before
    assert admin.put(f"/api/admin/products/{product['id']}", {"brand_id": None}).json["brand"] is None
    assert admin.delete(f"/api/admin/brands/{brand['id']}").status_code == 204
    assert [b["slug"] for b in admin.get("/api/admin/brands").json["items"]] == ["huglu-av-2"]


# -- products ------------------------------------------------------------------------------------
def test_create_a_product_with_its_variations(admin: Api, shopper: Api, tenant: TenantInfo):
    kamp = make_category(admin, "Kamp")
    uyku = make_category(admin, "Uyku", kamp["id"])
    brand = make_brand(admin, "Huğlu")
    body = {"name": "Şişme Yatak Çift Kişilik", "category_id": uyku["id"], "brand_id": brand["id"],
            "base_price": "1249.90", "status": "active", "description": "Hafif ve dayanıklı.",
            "attributes": {"malzeme": "PVC"},
            "variations": [{"sku": "HY-1", "barcode": ean(1), "options": {"renk": "Haki"}, "stock": 3},
                           {"sku": "HY-2", "barcode": ean(2), "price": 1349.9, "stock": 2},
                           {"sku": "HY-3", "stock": 7, "is_active": False}]}
    response = admin.post("/api/admin/products", body)
    assert response.status_code == 201, response.body
    product = response.json
    assert (product["slug"], product["base_price"], product["total_stock"]) == ("sisme-yatak-cift-kisilik",
                                                                                 "1249.90", 5)
    assert [v["price"] for v in product["variations"]] == ["1249.90", "1349.90", "1249.90"]
    assert scalar("SELECT search_text FROM products WHERE id = %s", product["id"]) == fold(
        "Şişme Yatak Çift Kişilik Huğlu Kamp Uyku")
    assert product["history"]["stock_movement_count"] == 3 and product["history"]["price_change_count"] == 4
    movement = rows("SELECT reason, delta, actor_user_id FROM stock_movements WHERE product_id = %s ORDER BY id",
                    product["id"])[0]
    assert movement["reason"] == "initial" and movement["actor_user_id"] is not None
    [log] = audit_rows(tenant.id, "product.create")
    assert log["after"]["name"] == body["name"] and len(log["after"]["variations"]) == 3
    public = shopper.get(f"/api/products/{product['id']}").json
    assert [v["sku"] for v in public["variations"]] == ["HY-1", "HY-2"]
    second = make_product(admin, uyku["id"], name="Şişme Yatak Çift Kişilik", status="draft")
    assert second["slug"] == "sisme-yatak-cift-kisilik-2"
    assert_error_shape(shopper.get(f"/api/products/{second['id']}"), 404, "not_found")  # a draft is not public


BAD_PRODUCTS = [
    ("unknown category", {"category_id": 999999999}, 400, "category_id", None),
    ("unknown brand", {"brand_id": 999999999}, 400, "brand_id", None),
    ("negative price", {"base_price": "-1"}, 400, "base_price", None),
    ("three decimals", {"base_price": 12.345}, 400, "base_price", None),
    ("negative variation price", {"variations": [{"sku": "N-1", "price": -5}]}, 400, "variations.0.price", None),
    ("negative stock", {"variations": [{"sku": "N-1", "stock": -1}]}, 400, "variations.0.stock", None),
    ("bad EAN-13 checksum", {"variations": [{"sku": "N-1", "barcode": "8690000000010"}]}, 400,
     "variations.0.barcode", None),
    ("no variations", {"variations": []}, 400, "variations", None),
    ("bad status", {"status": "yayında"}, 400, "status", None),
    ("SKU twice", {"variations": [{"sku": "N-1"}, {"sku": "N-1"}]}, 409, "variations.1.sku", "sku_taken"),
    ("SKU in use", {"variations": [{"sku": "TAKEN-1"}]}, 409, "variations.0.sku", "sku_taken"),
    ("barcode in use", {"variations": [{"sku": "N-1", "barcode": ean(1)}]}, 409, "variations.0.barcode",
     "barcode_taken"),
    ("barcode twice", {"variations": [{"sku": "N-1", "barcode": ean(7)}, {"sku": "N-2", "barcode": ean(7)}]}, 409,
     "variations.1.barcode", "barcode_taken"),
    ("slug in use", {"slug": "var-olan"}, 409, "slug", "slug_taken"),
]


@pytest.mark.parametrize(("change", "status", "field", "code"), [b[1:] for b in BAD_PRODUCTS],
                         ids=[b[0] for b in BAD_PRODUCTS])
def test_bad_products_are_refused_and_change_nothing(admin: Api, tenant: TenantInfo, change, status, field, code):
    kamp = make_category(admin, "Kamp")
    make_product(admin, kamp["id"], name="Var Olan", slug="var-olan",
                 variations=[{"sku": "TAKEN-1", "barcode": ean(1)}])
    before = snapshot(tenant.id)
    body = {"name": "Yeni Ürün", "category_id": kamp["id"], "base_price": "100", **change}
    body.setdefault("variations", [{"sku": "N-1"}])
    response = admin.post("/api/admin/products", body)
    if status == 400:
        assert_invalid(response, field)
    else:
        error = assert_error_shape(response, 409, code)
        assert error["details"]["field"] == field
    assert snapshot(tenant.id) == before


def test_admin_listing_filters_and_pages(admin: Api, tenant: TenantInfo):
    kamp = make_category(admin, "Kamp")
    uyku = make_category(admin, "Uyku", kamp["id"])
    av = make_category(admin, "Av")
    brand = make_brand(admin, "Huğlu")
    yatak = make_product(admin, uyku["id"], name="Şişme Yatak", brand_id=brand["id"], status="draft",
                         variations=[{"sku": "YTK-1", "barcode": ean(3)}])
    tufek = make_product(admin, av["id"], name="Av Tüfeği", brand_id=brand["id"], status="archived")
    cadir = make_product(admin, kamp["id"], name="Çadır")

    def ids(query: str) -> list[int]:
        response = admin.get(f"/api/admin/products{query}")
        assert response.status_code == 200, response.body
        return [p["id"] for p in response.json["items"]]

    assert ids("") == [cadir["id"], tufek["id"], yatak["id"]]  # every status, newest first
    assert ids("?status=draft") == [yatak["id"]]
    assert ids(f"?category_id={kamp['id']}") == [cadir["id"], yatak["id"]]  # with sub-categories
    assert ids(f"?brand_id={brand['id']}") == [tufek["id"], yatak["id"]]
    for q in ("sisme", "%C5%9E%C4%B0%C5%9EME", "yatak%20kamp", "YTK-1", ean(3)):
        assert ids(f"?q={q}") == [yatak["id"]], q
    page = admin.get("/api/admin/products?limit=2").json
    assert [p["id"] for p in page["items"]] == [cadir["id"], tufek["id"]] and page["next_cursor"] == tufek["id"]
    assert ids(f"?limit=2&cursor={page['next_cursor']}") == [yatak["id"]]
    assert_invalid(admin.get("/api/admin/products?category_id=999999999"), "category_id")
    assert_invalid(admin.get("/api/admin/products?status=gone"), "status")


def test_product_detail_has_variations_images_and_history(admin: Api, tenant: TenantInfo):
    kamp = make_category(admin, "Kamp")
    product = make_product(admin, kamp["id"], status="draft", variations=[{"sku": "D-1", "stock": 2}])
    get_db().session().insert(
        "INSERT INTO product_images (tenant_id, product_id, s3_key, alt_text, sort_order) VALUES (%s, %s, %s, %s, 0)",
        (tenant.id, product["id"], "tenants/x/1.jpg", "Ön"))
    variation = product["variations"][0]["id"]
    admin.post(f"/api/admin/variations/{variation}/stock", {"delta": 3, "reason": "Depo sayımı"})
    detail = admin.get(f"/api/admin/products/{product['id']}").json
    assert detail["status"] == "draft" and detail["images"][0]["alt_text"] == "Ön"
    assert detail["variations"][0]["stock"] == 5 and detail["variations"][0]["available"] == 5
    history = detail["history"]
    assert (history["stock_movement_count"], history["price_change_count"]) == (2, 2)
    assert history["recent_stock_movements"][0]["note"] == "Depo sayımı"
    assert_error_shape(admin.get("/api/admin/products/999999999"), 404, "not_found")
    assert_error_shape(admin.get("/api/admin/products/abc"), 404, "not_found")


def test_partial_update_of_a_product(admin: Api, shopper: Api, tenant: TenantInfo):
    kamp = make_category(admin, "Kamp")
    av = make_category(admin, "Av")
    product = make_product(admin, kamp["id"], name="Termos", price="899.00", compare_at_price="999.00")
    url = f"/api/admin/products/{product['id']}"
    assert shopper.get(f"/api/products/{product['id']}").json["price"] == "899.00"  # cached now
    changed = admin.put(url, {"name": "Çelik Termos", "base_price": "799.00", "compare_at_price": None,
                              "category_id": av["id"]}).json
    assert (changed["name"], changed["base_price"], changed["compare_at_price"]) == ("Çelik Termos", "799.00", None)
    assert changed["slug"] == "termos"  # a rename keeps the published link
    assert scalar("SELECT search_text FROM products WHERE id = %s", product["id"]) == "celik termos av"
    assert shopper.get(f"/api/products/{product['id']}").json["price"] == "799.00"
    assert [p["price"] for p in shopper.get("/api/products").json["items"]] == ["799.00"]
    [log] = audit_rows(tenant.id, "product.update")
    assert log["before"]["base_price"] == "899.00" and log["after"]["base_price"] == "799.00"
    assert rows("SELECT old_price, new_price FROM price_history WHERE product_id = %s AND variation_id IS NULL "
                "ORDER BY id", product["id"])[-1] == {"old_price": Decimal("899.00"), "new_price": Decimal("799.00")}
    before = snapshot(tenant.id)
    assert_invalid(admin.put(url, {"category_id": 999999999}), "category_id")
    assert_invalid(admin.put(url, {"brand_id": 999999999}), "brand_id")
    assert_invalid(admin.put(url, {"base_price": "-3"}), "base_price")
    assert_invalid(admin.put(url, {"sku": "x"}), "sku")
    other = make_product(admin, kamp["id"], name="Başka", slug="baska")
    before = snapshot(tenant.id)
    assert_error_shape(admin.put(url, {"slug": "baska"}), 409, "slug_taken")
    assert admin.put(url, {"name": "Çelik Termos"}).status_code == 200  # no change: no audit
    assert snapshot(tenant.id) == before and other
    assert admin.put(url, {"status": "draft"}).json["status"] == "draft"
    assert_error_shape(shopper.get(f"/api/products/{product['id']}"), 404, "not_found")


def test_delete_archives_and_is_idempotent(admin: Api, shopper: Api, tenant: TenantInfo):
    kamp = make_category(admin, "Kamp")
    product = make_product(admin, kamp["id"])
    assert shopper.get(f"/api/products/{product['id']}").status_code == 200
    assert admin.delete(f"/api/admin/products/{product['id']}").status_code == 204
    assert admin.get(f"/api/admin/products/{product['id']}").json["status"] == "archived"
    assert_error_shape(shopper.get(f"/api/products/{product['id']}"), 404, "not_found")
    assert admin.delete(f"/api/admin/products/{product['id']}").status_code == 204
    [log] = audit_rows(tenant.id, "product.archive")
    assert (log["before"], log["after"]) == ({"status": "active"}, {"status": "archived"})


# -- variations ----------------------------------------------------------------------------------
def test_add_change_and_deactivate_variations(admin: Api, shopper: Api, tenant: TenantInfo):
    kamp = make_category(admin, "Kamp")
    product = make_product(admin, kamp["id"], variations=[{"sku": "V-1", "stock": 4}])
    added = admin.post(f"/api/admin/products/{product['id']}/variations",
                       {"sku": "V-2", "barcode": ean(9), "name": "XL", "options": {"beden": "XL"}, "stock": 6})
    assert added.status_code == 201, added.body
    v2 = added.json
    assert v2["price"] == "1249.90" and scalar("SELECT total_stock FROM products WHERE id = %s", product["id"]) == 10
    before = snapshot(tenant.id)
    assert_error_shape(admin.post(f"/api/admin/products/{product['id']}/variations", {"sku": "V-1"}), 409,
                       "sku_taken")
    assert_invalid(admin.post(f"/api/admin/products/{product['id']}/variations", {"sku": "V 3"}), "sku")
    assert_error_shape(admin.put(f"/api/admin/variations/{v2['id']}", {"sku": "V-1"}), 409, "sku_taken")
    assert_invalid(admin.put(f"/api/admin/variations/{v2['id']}", {"barcode": "123"}), "barcode")
    assert_invalid(admin.put(f"/api/admin/variations/{v2['id']}", {"stock": 3}), "stock")  # only via .../stock
    assert snapshot(tenant.id) == before
    changed = admin.put(f"/api/admin/variations/{v2['id']}", {"name": "XXL", "price": "1299.90", "barcode": None})
    assert (changed.json["name"], changed.json["price"], changed.json["barcode"]) == ("XXL", "1299.90", None)
    assert [v["price"] for v in shopper.get(f"/api/products/{product['id']}").json["variations"]] == [
        "1249.90", "1299.90"]
    [log] = audit_rows(tenant.id, "variation.update")
    assert (log["before"]["name"], log["after"]["name"]) == ("XL", "XXL")
    assert admin.delete(f"/api/admin/variations/{v2['id']}").status_code == 204
    assert scalar("SELECT total_stock FROM products WHERE id = %s", product["id"]) == 4
    assert [v["sku"] for v in shopper.get(f"/api/products/{product['id']}").json["variations"]] == ["V-1"]
    assert admin.delete(f"/api/admin/variations/{v2['id']}").status_code == 204  # idempotent
    assert len(audit_rows(tenant.id, "variation.deactivate")) == 1
    assert admin.put(f"/api/admin/variations/{v2['id']}", {"is_active": True}).json["is_active"] is True
    assert scalar("SELECT total_stock FROM products WHERE id = %s", product["id"]) == 10


# -- stock ---------------------------------------------------------------------------------------
def test_stock_delta_and_set_write_movements_and_keep_total_in_step(admin: Api, tenant: TenantInfo,
                                                                   returned_calls):
    kamp = make_category(admin, "Kamp")
    product = make_product(admin, kamp["id"], variations=[{"sku": "S-1", "stock": 0}, {"sku": "S-2", "stock": 5}])
    v1, v2 = (v["id"] for v in product["variations"])
    first = admin.post(f"/api/admin/variations/{v1}/stock", {"delta": 3, "reason": "Tedarikçi teslimatı"})
    assert first.status_code == 200, first.body
    assert {k: first.json[k] for k in ("delta", "stock", "available", "total_stock")} == {
        "delta": 3, "stock": 3, "available": 3, "total_stock": 8}
    assert returned_calls() == [(tenant.id, [v1])]  # 0 → 3: back-in-stock subscribers hear of it
    assert admin.post(f"/api/admin/variations/{v1}/stock", {"delta": 2, "reason": "x"}).json["stock"] == 5
    assert admin.post(f"/api/admin/variations/{v2}/stock", {"set": 1, "reason": "Sayım"}).json["total_stock"] == 6
    assert admin.post(f"/api/admin/variations/{v2}/stock", {"set": 1, "reason": "Sayım"}).json["movement_id"] is None
    assert returned_calls() == [(tenant.id, [v1])]
    moves = rows("SELECT variation_id, delta, stock_after, reason, note, actor_user_id FROM stock_movements "
                 "WHERE product_id = %s AND reason = 'adjustment' ORDER BY id", product["id"])
    assert [(m["variation_id"], m["delta"], m["stock_after"], m["note"]) for m in moves] == [
        (v1, 3, 3, "Tedarikçi teslimatı"), (v1, 2, 5, "x"), (v2, -4, 1, "Sayım")]
    assert all(m["actor_user_id"] for m in moves)
    total = scalar("SELECT SUM(stock) FROM product_variations WHERE product_id = %s AND is_active = 1", product["id"])
    assert scalar("SELECT total_stock FROM products WHERE id = %s", product["id"]) == total == 6
    logs = audit_rows(tenant.id, "variation.stock")
    assert len(logs) == 3 and logs[2]["before"]["stock"] == 5 and logs[2]["after"]["stock"] == 1


def test_stock_never_goes_below_the_reserved_quantity(admin: Api, tenant: TenantInfo, returned_calls):
    kamp = make_category(admin, "Kamp")
    product = make_product(admin, kamp["id"], variations=[{"sku": "R-1", "stock": 5}])
    variation = product["variations"][0]["id"]
    get_db().session().execute("UPDATE product_variations SET reserved = 3 WHERE id = %s", (variation,))
    url = f"/api/admin/variations/{variation}/stock"
    before = snapshot(tenant.id)
    error = assert_error_shape(admin.post(url, {"delta": -3, "reason": "fire"}), 409, "stock_below_reserved")
    assert error["details"] == {"variation_id": variation, "stock": 5, "reserved": 3, "requested": 2}
    assert_error_shape(admin.post(url, {"set": 2, "reason": "sayım"}), 409, "stock_below_reserved")
    assert_invalid(admin.post(url, {"set": -1, "reason": "sayım"}), "set")
    assert_invalid(admin.post(url, {"delta": 1, "set": 2, "reason": "x"}))
    assert_invalid(admin.post(url, {"reason": "x"}))
    assert_invalid(admin.post(url, {"delta": 1}), "reason")
    assert_invalid(admin.post(url, {"delta": 1, "reason": "   "}), "reason")
    assert snapshot(tenant.id) == before and returned_calls() == []
    assert admin.post(url, {"delta": -2, "reason": "fire"}).json["available"] == 0


# -- price ---------------------------------------------------------------------------------------
def test_a_price_change_is_visible_to_shoppers_at_once(admin: Api, shopper: Api, tenant: TenantInfo):
    kamp = make_category(admin, "Kamp")
    product = make_product(admin, kamp["id"], price="1249.90", variations=[{"sku": "P-1", "stock": 2}])
    variation = product["variations"][0]["id"]
    assert shopper.get(f"/api/products/{product['id']}").json["variations"][0]["price"] == "1249.90"  # cached
    assert shopper.get("/api/products").json["items"][0]["price"] == "1249.90"
    response = admin.post(f"/api/admin/variations/{variation}/price", {"price": "1099.90"})
    assert response.json == {"variation_id": variation, "product_id": product["id"], "old_price": "1249.90",
                             "price": "1099.90", "changed": True}
    assert shopper.get(f"/api/products/{product['id']}").json["variations"][0]["price"] == "1099.90"
    assert admin.put(f"/api/admin/products/{product['id']}", {"base_price": "1099.90"}).status_code == 200
    assert shopper.get("/api/products").json["items"][0]["price"] == "1099.90"
    assert shopper.get(f"/api/products/{product['id']}").json["price"] == "1099.90"
    history = rows("SELECT old_price, new_price, source, actor_user_id FROM price_history WHERE variation_id = %s "
                   "ORDER BY id", variation)
    assert [(h["old_price"], h["new_price"]) for h in history] == [(None, Decimal("1249.90")),
                                                                   (Decimal("1249.90"), Decimal("1099.90"))]
    assert history[1]["source"] == "admin" and history[1]["actor_user_id"]
    before = snapshot(tenant.id)
    for bad in ("-1", "abc", "1,2,3", "1.2.3", 10.999, "10,999", None):
        assert_invalid(admin.post(f"/api/admin/variations/{variation}/price", {"price": bad}), "price")
    assert admin.post(f"/api/admin/variations/{variation}/price", {"price": 1099.90}).json["changed"] is False
    assert snapshot(tenant.id) == before


# -- bulk ----------------------------------------------------------------------------------------
def _two_products(admin: Api) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    kamp = make_category(admin, "Kamp")
    a = make_product(admin, kamp["id"], name="A", price="100.00",
                     variations=[{"sku": "A-1", "stock": 2}, {"sku": "A-2", "price": "149.99", "stock": 0}])
    b = make_product(admin, kamp["id"], name="B", price="1249.90", variations=[{"sku": "B-1", "stock": 4}])
    return kamp, a, b


def test_bulk_price_by_product_with_ninety_endings(admin: Api, shopper: Api, tenant: TenantInfo):
    _, a, b = _two_products(admin)
    assert shopper.get(f"/api/products/{b['id']}").json["price"] == "1249.90"  # cached
    response = admin.post("/api/admin/products/bulk", {"action": "price", "product_ids": [a["id"], b["id"]],
                                                       "price": {"mode": "percent", "value": 10, "rounding": "0.90"}})
    assert response.json == {"action": "price", "matched_products": 2, "matched_variations": 3, "changed": 5}
    prices = {r["sku"]: r["price"] for r in rows("SELECT sku, price FROM product_variations WHERE tenant_id = %s",
                                                   tenant.id)}
    assert prices == {"A-1": Decimal("109.90"), "A-2": Decimal("164.90"), "B-1": Decimal("1374.90")}
    assert shopper.get(f"/api/products/{b['id']}").json["price"] == "1374.90"
    [log] = audit_rows(tenant.id, "product.bulk")
    assert log["before"]["selection"] == {"product_ids": [a["id"], b["id"]]}
    assert log["after"]["parameters"] == {"price": {"mode": "percent", "value": "10", "rounding": "0.90"}}
    assert len(log["after"]["rows"]) == 5 and log["after"]["changed"] == 5
    assert scalar("SELECT COUNT(*) FROM price_history WHERE tenant_id = %s AND source = 'admin' "
                  "AND old_price IS NOT NULL", tenant.id) == 5


def test_bulk_stock_and_status(admin: Api, shopper: Api, tenant: TenantInfo, returned_calls):
    kamp, a, b = _two_products(admin)
    a1, a2 = (v["id"] for v in a["variations"])
    done = admin.post("/api/admin/products/bulk", {"action": "stock", "variation_ids": [a1, a2],
                                                   "stock": {"mode": "delta", "value": 3, "reason": "Teslimat"}})
    assert done.json["changed"] == 2
    assert scalar("SELECT total_stock FROM products WHERE id = %s", a["id"]) == 8
    assert returned_calls() == [(tenant.id, [a2])]
    assert scalar("SELECT COUNT(*) FROM stock_movements WHERE reference_type = 'bulk' AND product_id = %s",
                  a["id"]) == 2
    by_filter = admin.post("/api/admin/products/bulk", {"action": "status", "filter": {"category_id": kamp["id"]},
                                                        "status": "draft"})
    assert by_filter.json == {"action": "status", "matched_products": 2, "matched_variations": 0, "changed": 2}
    assert shopper.get("/api/products").json["items"] == []
    assert admin.post("/api/admin/products/bulk", {"action": "stock", "product_ids": [b["id"]],
                                                   "stock": {"mode": "set", "value": 4, "reason": "x"}}
                      ).json["changed"] == 0
    assert len(audit_rows(tenant.id, "product.bulk")) == 2  # the no-op wrote nothing


def test_bulk_is_all_or_nothing(admin: Api, tenant: TenantInfo, returned_calls):
    _, a, b = _two_products(admin)
    get_db().session().execute("UPDATE product_variations SET reserved = 4 WHERE sku = 'B-1' AND tenant_id = %s",
                               (tenant.id,))
    before = snapshot(tenant.id)
    error = assert_error_shape(admin.post("/api/admin/products/bulk", {
        "action": "stock", "product_ids": [a["id"], b["id"]], "stock": {"mode": "delta", "value": -1, "reason": "x"}}),
        400, "bulk_invalid")
    assert {p["variation_id"] for p in error["details"]["problems"]} == {b["variations"][0]["id"],
                                                                         a["variations"][1]["id"]}
    error = assert_error_shape(admin.post("/api/admin/products/bulk", {
        "action": "price", "product_ids": [a["id"], b["id"]], "price": {"mode": "amount", "value": "-120"}}),
        400, "bulk_invalid")
    assert {p.get("variation_id") or p.get("product_id") for p in error["details"]["problems"]} == {
        a["id"], a["variations"][0]["id"]}
    assert_invalid(admin.post("/api/admin/products/bulk", {"action": "price", "product_ids": [a["id"]],
                                                           "variation_ids": [1], "price": {"mode": "set",
                                                                                           "value": 1}}),
                   "product_ids")
    assert_invalid(admin.post("/api/admin/products/bulk", {"action": "price", "product_ids": [a["id"]]}), "price")
    assert_invalid(admin.post("/api/admin/products/bulk", {"action": "status", "variation_ids": [1],
                                                           "status": "draft"}), "variation_ids")
    assert_invalid(admin.post("/api/admin/products/bulk", {"action": "price", "product_ids": [a["id"]],
                                                           "price": {"mode": "percent", "value": -100}}),
                   "price.value")
    missing = assert_error_shape(admin.post("/api/admin/products/bulk", {
        "action": "status", "product_ids": [a["id"], 999999999], "status": "draft"}), 404, "not_found")
    assert missing["details"] == {"field": "product_ids", "missing": [999999999]}
    assert snapshot(tenant.id) == before and returned_calls() == []


def test_staff_of_one_tenant_cannot_use_another_tenants_token(ca_client, tenant: TenantInfo,
                                                              other_tenant: TenantInfo):
    _, email, password = make_user(other_tenant, roles=["super_admin"])
    theirs = Api(ca_client, other_tenant.api_key)
    token = theirs.post("/api/users/login", {"email": email, "password": password}).json["access_token"]
    assert_error_shape(Api(ca_client, tenant.api_key).get("/api/admin/products", token=token), 401,
                       "tenant_mismatch")
