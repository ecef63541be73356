"""GET /api/products (filters, sorts, keyset pages, facets), /api/categories, /api/brands and the
product detail's rating summary and breadcrumbs, over HTTP against the real MariaDB and Redis."""
from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.catalog import service
from tests.catalog_kit import Shop, outdoor_shop
from tests.conftest import Api, TenantInfo, make_tenant, make_user
from tests.e2e.test_pipeline import assert_error_shape

UNLIMITED = {"rate_limit": {"default": {"limit": 0, "window": 900}}}


@pytest.fixture
def shop(db, tenant: TenantInfo) -> Shop:
    return outdoor_shop(db, tenant.id)


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.body
    return [p["name"] for p in response.json["items"]]


def get(api: Api, **params: Any) -> Any:
    return api.get("/api/products?" + urlencode(params, doseq=True))


def test_filters_combine(api: Api, shop: Shop):
    kamp, uyku = shop.categories["Kamp"], shop.categories["Uyku"]
    assert sorted(names(get(api, category_id=uyku))) == sorted([
        "Toros Gear Çelik Pro Şişme Yatak", "Yayla Kamp Doğan Şişme Yatak", "Huğlu Yörük Uyku Tulumu",
        "Toros Gear Kutup Uyku Tulumu"])
    assert len(names(get(api, category_id=kamp))) == 6  # the subtree, archived products never
    assert sorted(names(get(api, category_id=kamp, brand_id=[shop.brands["Huğlu"], shop.brands["Yayla Kamp"]]))) == \
        sorted(["Yayla Kamp Doğan Şişme Yatak", "Huğlu Yörük Uyku Tulumu", "Yayla Kamp Katlanır Kamp Sandalyesi",
                "Huğlu Kartal Kamp Sandalyesi"])
    assert sorted(names(get(api, min_price="500", max_price="1299.90"))) == sorted([
        "Toros Gear Çelik Pro Şişme Yatak", "Yayla Kamp Doğan Şişme Yatak", "Huğlu Kartal Kamp Sandalyesi"])
    assert "Yayla Kamp Doğan Şişme Yatak" not in names(get(api, in_stock="true"))
    assert "Yayla Kamp Doğan Şişme Yatak" in names(get(api, in_stock="false"))
    # attributes: product attributes and variation options, case- and accent-insensitive
    assert names(get(api, attr="renk:Haki")) == ["Huğlu Avcı Mont"]
    assert names(get(api, **{"attr.renk": "haki"})) == ["Huğlu Avcı Mont"]
    assert sorted(names(get(api, **{"attr.renk": "Siyah,Lacivert"}))) == ["Huğlu Avcı Mont", "Toros Gear İklim Mont"]
    assert names(get(api, attr=["renk:Haki", "beden:M"])) == ["Huğlu Avcı Mont"]
    assert names(get(api, attr=["renk:Lacivert", "beden:L"])) == []
    assert names(get(api, attr="kundak:ceviz")) == ["Huğlu Kartal Pro Yarı Otomatik Av Tüfeği"]
    assert names(get(api, attr="mensei:TÜRKİYE", sort="price_desc")) == [
        "Huğlu Şahin Süperpoze Av Tüfeği", "Huğlu Kartal Pro Yarı Otomatik Av Tüfeği"]


def test_listing_items_keep_their_shape(api: Api, shop: Shop):
    item = get(api, q="kutup").json["items"][0]
    assert set(item) == {"id", "name", "slug", "brand", "category_id", "price", "compare_at_price", "currency",
                         "stock_status", "rating_avg", "rating_count", "image"}
    assert item["brand"] == "Toros Gear" and Decimal(item["price"]) == Decimal("4999.00")
    assert item["stock_status"] == "low_stock" and item["image"].endswith("/1.jpg")


SORT_KEYS = {
    "newest": lambda p: (p["created"], p["id"]),
    "price_asc": lambda p: (p["price"], p["id"]),
    "price_desc": lambda p: (p["price"], p["id"]),
    "best_selling": lambda p: (p["sold"], p["id"]),
    "rating": lambda p: (p["rating"], p["rating_count"], p["id"]),
}


@pytest.mark.parametrize("sort", sorted(SORT_KEYS))
def test_every_sort_pages_without_duplicates_or_gaps(client, db, sort: str):
    tenant = make_tenant(settings=UNLIMITED)
    api = Api(client, tenant.api_key)
    shop = Shop(db, tenant.id)
    shop.category("Kamp")
    shop.brand("Huğlu")
    expected = []
    for i in range(23):  # lots of ties on every key: only the id breaks them
        row = {"price": Decimal(["100.00", "250.50", "999.90"][i % 3]), "sold": i % 4, "rating": Decimal("4.50")
               if i % 2 else Decimal("3.00"), "rating_count": i % 3}
        created = shop.clock if i % 5 else None  # some share created_at
        pid = shop.product(f"Ürün {i}", "Kamp", "Huğlu", price=str(row["price"]), sold=row["sold"],
                           rating=str(row["rating"]), rating_count=row["rating_count"], created_at=created)
        created_at = db.session().scalar("SELECT created_at FROM products WHERE id = %s", (pid,))
        expected.append({**row, "id": pid, "created": created_at})
    shop.changed()
    expected.sort(key=SORT_KEYS[sort], reverse=sort != "price_asc")
    seen, cursor, pages = [], None, 0
    while True:
        params = {"sort": sort, "limit": 4, **({"cursor": cursor} if cursor else {})}
        page = get(api, **params)
        assert page.status_code == 200, page.body
        seen += [p["id"] for p in page.json["items"]]
        cursor, pages = page.json["next_cursor"], pages + 1
        if cursor is None:
            break
    assert seen == [p["id"] for p in expected] and pages == 6


def test_pages_stay_stable_while_rows_are_added(api: Api, shop: Shop):
    first = get(api, sort="price_asc", limit=3)
    shop.product("Ucuz Matara", "Kamp", price="10.00")  # sorts before the cursor: must not appear
    shop.changed()
    rest = get(api, sort="price_asc", limit=100, cursor=first.json["next_cursor"])
    shown = names(first) + names(rest)
    assert "Ucuz Matara" not in shown and len(shown) == len(set(shown)) == 11


def test_facets_count_each_facet_under_the_other_filters(api: Api, shop: Shop):
    kamp, huglu = shop.categories["Kamp"], shop.brands["Huğlu"]
    body = get(api, category_id=kamp, brand_id=huglu, facets="true").json
    facets = body["facets"]
    # brands ignore the brand filter: every brand with products under Kamp
    assert {b["name"]: b["count"] for b in facets["brands"]} == {"Toros Gear": 2, "Yayla Kamp": 2, "Huğlu": 2}
    # categories: direct children of Kamp, counting their subtree, under the brand filter
    assert {c["name"]: c["count"] for c in facets["categories"]} == {"Uyku": 1, "Kamp Mobilyası": 1}
    assert [b["count"] for b in facets["price_bands"]] == [0, 1, 1, 0, 0, 0]  # 649.90, 2499.90
    assert facets["price_bands"][5] == {"min": "15000", "max": None, "count": 0}
    assert facets["in_stock"] == 2
    # in_stock does not narrow its own count; min_price narrows the others
    filtered = get(api, category_id=kamp, in_stock="true", min_price="800", facets="true").json["facets"]
    assert {b["name"]: b["count"] for b in filtered["brands"]} == {"Toros Gear": 2, "Huğlu": 1}
    assert filtered["in_stock"] == 3  # Çelik Pro, Yörük, Kutup (Doğan is out of stock)
    assert [b["count"] for b in filtered["price_bands"]] == [1, 1, 2, 1, 0, 0]  # the price filter is ignored
    assert get(api).json["facets"] is None


def test_selected_brand_is_listed_even_without_products(api: Api, shop: Shop):
    empty = shop.brand("Pusula Outdoor")
    shop.changed()
    facets = get(api, brand_id=empty, facets="true").json["facets"]
    assert {"id": empty, "name": "Pusula Outdoor", "slug": facets["brands"][-1]["slug"], "count": 0} in facets["brands"]


def test_unknown_category_or_brand_is_404_naming_the_parameter(api: Api, shop: Shop, db, other_tenant: TenantInfo):
    theirs = Shop(db, other_tenant.id)
    their_category, their_brand = theirs.category("Kamp"), theirs.brand("Huğlu")
    for params, field in [({"category_id": 999999999}, "category_id"), ({"category_id": their_category}, "category_id"),
                          ({"brand_id": [shop.brands["Huğlu"], their_brand]}, "brand_id")]:
        error = assert_error_shape(get(api, **params), 404, "not_found")
        assert error["details"]["field"] == field
    hidden = shop.category("Gizli", "Kamp", active=False)
    shop.changed()
    assert_error_shape(get(api, category_id=hidden), 404, "not_found")


@pytest.mark.parametrize(("params", "field", "error_type"), [
    ({"min_price": "-1"}, "min_price", "greater_than_equal"),
    ({"min_price": "abc"}, "min_price", "decimal_parsing"),
    ({"min_price": "500", "max_price": "100"}, "max_price", "price_range_invalid"),
    ({"sort": "cheapest"}, "sort", "literal_error"),
    ({"sort": "relevance"}, "sort", "sort_needs_query"),
    ({"cursor": "not-a-cursor"}, "cursor", "cursor_invalid"),
    ({"limit": "101"}, "limit", "less_than_equal"),
    ({"limit": "0"}, "limit", "greater_than_equal"),
    ({"attr": "renk"}, "attr", "attribute_invalid"),
    ({"attr.Renk!": "x"}, "attr", "attribute_invalid"),
    ({"q": "!!!"}, "q", "query_empty"),
    ({"colour": "red"}, "colour", "extra_forbidden"),
])
def test_bad_input_is_400_naming_the_field(api: Api, shop: Shop, params, field, error_type):
    error = assert_error_shape(get(api, **params), 400, "validation_failed")
    assert [(f["field"], f["type"]) for f in error["details"]["fields"]] == [(field, error_type)]


def test_a_cursor_of_another_sort_is_refused(api: Api, shop: Shop):
    cursor = get(api, sort="price_asc", limit=2).json["next_cursor"]
    assert get(api, sort="price_asc", cursor=cursor).status_code == 200
    error = assert_error_shape(get(api, sort="newest", cursor=cursor), 400, "validation_failed")
    assert error["details"]["fields"][0]["field"] == "cursor"
    turkish = api.get("/api/products?cursor=x", headers={"Accept-Language": "tr"})
    assert "imleci" in turkish.json["error"]["details"]["fields"][0]["message"]


def test_category_tree_and_brands_with_counts(api: Api, shop: Shop):
    tree = api.get("/api/categories").json["items"]
    assert [(c["name"], c["product_count"]) for c in tree] == [("Kamp", 6), ("Av", 2), ("Giyim", 3)]
    uyku = tree[0]["children"][0]
    assert (uyku["name"], uyku["product_count"]) == ("Uyku", 4)
    assert [(c["name"], c["product_count"]) for c in uyku["children"]] == [("Şişme Yatak", 2), ("Uyku Tulumu", 2)]
    brands = api.get("/api/brands").json["items"]
    assert [(b["name"], b["product_count"]) for b in brands] == [("Huğlu", 5), ("Yayla Kamp", 2), ("Toros Gear", 3)]
    # cached by catalogue version: a write is seen once it bumps the version
    shop.product("Yeni Tulum", "Uyku Tulumu", "Huğlu")
    shop.category("Gizli", "Kamp", active=False)
    assert api.get("/api/categories").json["items"][0]["product_count"] == 6
    shop.changed()
    tree = api.get("/api/categories").json["items"]
    assert tree[0]["product_count"] == 7 and "Gizli" not in [c["name"] for c in tree[0]["children"]]
    assert api.get("/api/brands").json["items"][0]["product_count"] == 6


def test_listing_is_cached_until_the_catalogue_changes(api: Api, shop: Shop, db):
    assert names(get(api, category_id=shop.categories["Mont"], sort="price_asc"))[0] == "Huğlu Avcı Mont"
    db.session().execute("UPDATE products SET base_price = 99 WHERE id = %s", (shop.products["Isıtmalı Mont 12V"],))
    assert names(get(api, category_id=shop.categories["Mont"], sort="price_asc"))[0] == "Huğlu Avcı Mont"
    shop.changed()
    assert names(get(api, category_id=shop.categories["Mont"], sort="price_asc"))[0] == "Isıtmalı Mont 12V"


def test_detail_has_rating_summary_breadcrumbs_and_variation_stock(api: Api, shop: Shop, db, tenant: TenantInfo):
    pid = shop.products["Huğlu Avcı Mont"]
    session = db.session()
    session.execute("UPDATE product_variations SET stock = 2, low_stock_threshold = 1 WHERE product_id = %s "
                    "AND JSON_VALUE(options, '$.beden') = 'M'", (pid,))
    session.execute("UPDATE product_variations SET stock = 4 WHERE product_id = %s AND JSON_VALUE(options, "
                    "'$.beden') = 'L' AND JSON_VALUE(options, '$.renk') = 'Haki'", (pid,))
    session.execute("UPDATE product_variations SET stock = 0 WHERE product_id = %s AND JSON_VALUE(options, "
                    "'$.renk') = 'Siyah'", (pid,))
    for rating, status in [(5, "approved"), (5, "approved"), (4, "approved"), (1, "rejected"), (2, "pending")]:
        user_id, _, _ = make_user(tenant)
        session.insert("INSERT INTO reviews (tenant_id, product_id, user_id, rating, status) VALUES (%s,%s,%s,%s,%s)",
                       (tenant.id, pid, user_id, rating, status))
    service.forget_product(tenant.id, pid)
    detail = api.get(f"/api/products/{pid}").json
    assert detail["rating"] == {"average": "4.67", "count": 3,
                                "distribution": {"5": 2, "4": 1, "3": 0, "2": 0, "1": 0}}
    assert [c["name"] for c in detail["breadcrumbs"]] == ["Giyim", "Mont"]
    assert detail["breadcrumbs"][1]["id"] == shop.categories["Mont"]
    by_name = {v["name"]: v["stock_status"] for v in detail["variations"]}
    # each against its own threshold: 2 left of M with threshold 1 is plenty, 4 of L with 5 is low
    assert by_name == {"M / Haki": "in_stock", "L / Haki": "low_stock", "L / Siyah": "out_of_stock"}
    assert detail["brand_id"] == shop.brands["Huğlu"]
    unrated = api.get(f"/api/products/{shop.products['Huğlu Yörük Uyku Tulumu']}").json["rating"]
    assert unrated == {"average": "4.50", "count": 8, "distribution": {"5": 0, "4": 0, "3": 0, "2": 0, "1": 0}}


def test_listing_and_search_work_with_redis_down(api: Api, shop: Shop, monkeypatch):
    """Redis is an accelerator: without it every answer comes from MySQL (logged), never an error."""
    from chalicelib.platform import cache
    from chalicelib.platform.config import reset_settings

    assert api.get("/api/categories").status_code == 200  # the tenant is resolved and held in memory
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    reset_settings()
    cache.reset_client()
    try:
        assert set(names(get(api, q="sisme yatak", facets="true"))) == {
            "Toros Gear Çelik Pro Şişme Yatak", "Yayla Kamp Doğan Şişme Yatak"}
        assert api.get("/api/products/suggest?q=sisne").json["did_you_mean"] == "sisme"
        assert [c["name"] for c in api.get("/api/categories").json["items"]] == ["Kamp", "Av", "Giyim"]
    finally:
        monkeypatch.undo()
        reset_settings()
        cache.reset_client()
