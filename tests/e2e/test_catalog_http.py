"""Catalogue reads over HTTP: tenant isolation, cache-aside detail, constant SQL per page."""
from __future__ import annotations

from decimal import Decimal

from chalicelib.catalog import service
from chalicelib.platform import db as dbmod
from tests.conftest import Api, TenantInfo
from tests.e2e.test_pipeline import assert_error_shape
from tests.helpers import insert_category, insert_product


def test_another_tenants_product_is_404(client, db, tenant: TenantInfo, other_tenant: TenantInfo):
    theirs = insert_product(db, other_tenant.id, "Şişme Yatak")
    assert Api(client, other_tenant.api_key).get(f"/api/products/{theirs}").status_code == 200
    assert_error_shape(Api(client, tenant.api_key).get(f"/api/products/{theirs}"), 404, "not_found")
    listed = Api(client, tenant.api_key).get("/api/products")
    assert theirs not in [p["id"] for p in listed.json["items"]]


def test_detail_is_cached_and_invalidated(api: Api, db, tenant: TenantInfo):
    pid = insert_product(db, tenant.id, "Termos 1 L", price="899.00", stock=3)
    first = api.get(f"/api/products/{pid}")
    assert first.status_code == 200
    assert Decimal(first.json["price"]) == Decimal("899.00")
    assert first.json["stock_status"] == "low_stock"
    db.session().execute("UPDATE products SET base_price = 799.00 WHERE id = %s", (pid,))
    assert Decimal(api.get(f"/api/products/{pid}").json["price"]) == Decimal("899.00")  # served from cache
    service.forget_product(tenant.id, pid)
    assert Decimal(api.get(f"/api/products/{pid}").json["price"]) == Decimal("799.00")


def test_listing_filters_by_category_subtree_and_paginates(api: Api, db, tenant: TenantInfo):
    root, root_path = insert_category(db, tenant.id, "Kamp")
    child, _ = insert_category(db, tenant.id, "Uyku", parent_path=root_path)
    other, _ = insert_category(db, tenant.id, "Av")
    in_child = [insert_product(db, tenant.id, f"Uyku Tulumu {i}", category_id=child) for i in range(3)]
    insert_product(db, tenant.id, "Fişeklik", category_id=other)
    page = api.get(f"/api/products?category_id={root}&limit=2")
    assert page.status_code == 200
    assert [p["id"] for p in page.json["items"]] == sorted(in_child, reverse=True)[:2]
    rest = api.get(f"/api/products?category_id={root}&limit=2&cursor={page.json['next_cursor']}")
    assert [p["id"] for p in rest.json["items"]] == [min(in_child)] and rest.json["next_cursor"] is None
    assert_error_shape(api.get("/api/products?category_id=999999999"), 404, "not_found")
    assert_error_shape(api.get("/api/products?limit=1000"), 400, "validation_failed")
    assert_error_shape(api.get("/api/products?sort=x"), 400, "validation_failed")


def test_listing_runs_a_constant_number_of_statements(api: Api, db, tenant: TenantInfo):
    for i in range(30):
        insert_product(db, tenant.id, f"Çadır {i}")
    # Answers are cached in Redis by catalogue version (catalog.caching): each limit is asked
    # once, after a warm-up that loads the tenant and the category/brand metadata.
    api.get("/api/products?limit=2")
    counts = []
    for limit in (1, 10, 30):
        before = dbmod.stats.statements
        assert api.get(f"/api/products?limit={limit}").status_code == 200
        counts.append(dbmod.stats.statements - before)
    assert counts[0] == counts[1] == counts[2] == 1
    before = dbmod.stats.statements
    assert api.get("/api/products?limit=30").status_code == 200  # the same request again: from Redis
    assert dbmod.stats.statements == before
