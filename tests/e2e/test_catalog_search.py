"""Turkish search and suggestions over HTTP: folding, word beginnings, two-letter words and
stopwords, typo tolerance, relevance, paging a search, and tenant isolation."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.catalog import search
from tests.catalog_kit import Shop, outdoor_shop
from tests.conftest import Api, TenantInfo
from tests.e2e.test_pipeline import assert_error_shape

SISME = {"Toros Gear Çelik Pro Şişme Yatak", "Yayla Kamp Doğan Şişme Yatak"}


@pytest.fixture
def shop(db, tenant: TenantInfo) -> Shop:
    shop = outdoor_shop(db, tenant.id)
    shop.product("Katlanır Kamp Dolabı", "Kamp Mobilyası", "Yayla Kamp")
    shop.product("De Luxe Çelik Termos 1 L", "Kamp", "Toros Gear")
    shop.changed()
    return shop


def found(api: Api, q: str, **params: Any) -> list[str]:
    response = api.get("/api/products?" + urlencode({"q": q, **params}, doseq=True))
    assert response.status_code == 200, response.body
    return [p["name"] for p in response.json["items"]]


@pytest.mark.parametrize("q", ["sisme yatak", "Şişme Yatak", "ŞİŞME", "şişme yat", "SISME YATAK", "sişme"])
def test_turkish_folding_and_word_beginnings_find_sisme_yatak(api: Api, shop: Shop, q: str):
    assert set(found(api, q)) == SISME


def test_a_typo_is_corrected_and_reported(api: Api, shop: Shop):
    response = api.get("/api/products?q=sisne+yatak")
    assert {p["name"] for p in response.json["items"]} == SISME
    assert response.json["did_you_mean"] == "sisme yatak"
    assert set(found(api, "şişme yatka")) == SISME  # a transposition
    assert set(found(api, "sisme yatk")) == SISME  # still typing, one letter off
    assert api.get("/api/products?q=sisme+yatak").json["did_you_mean"] is None
    assert found(api, "qwxz") == []


def test_two_letter_words_stopwords_and_numbers(api: Api, shop: Shop):
    # "av" is below InnoDB's minimum token size, "de" is a stopword: both are found
    assert set(found(api, "av")) == {"Huğlu Kartal Pro Yarı Otomatik Av Tüfeği", "Huğlu Şahin Süperpoze Av Tüfeği",
                                     "Huğlu Avcı Mont"}
    assert found(api, "de luxe") == ["De Luxe Çelik Termos 1 L"]
    assert found(api, "termos 1 l") == ["De Luxe Çelik Termos 1 L"]
    assert found(api, "12") == ["Isıtmalı Mont 12V"]


def test_softened_stems_find_suffixed_words(api: Api, shop: Shop):
    assert found(api, "dolap") == ["Katlanır Kamp Dolabı"]  # dolap → dolabı
    assert "Huğlu Kartal Pro Yarı Otomatik Av Tüfeği" in found(api, "otomatik tüfek")


def test_relevance_boosts_names_starting_with_the_query(api: Api, shop: Shop):
    results = found(api, "huglu kartal")
    assert set(results) == {"Huğlu Kartal Kamp Sandalyesi", "Huğlu Kartal Pro Yarı Otomatik Av Tüfeği"}
    # "kartal" alone: names starting with it (none) would come first; here both merely contain it
    shop.product("Kartal Huğlu Matara", "Kamp")
    shop.changed()
    assert found(api, "kartal huglu")[0] == "Kartal Huğlu Matara"
    assert found(api, "kamp sandalyesi")[0] in {"Yayla Kamp Katlanır Kamp Sandalyesi", "Huğlu Kartal Kamp Sandalyesi"}


def test_search_combines_with_filters_sorts_and_pages(api: Api, shop: Shop):
    everything = found(api, "kamp", limit=100)
    assert len(everything) == 8  # the Kamp subtree (dolap and termos included)
    pages, cursor = [], None
    while True:
        params = {"q": "kamp", "limit": 2, **({"cursor": cursor} if cursor else {})}
        body = api.get("/api/products?" + urlencode(params)).json
        pages.append([p["name"] for p in body["items"]])
        cursor = body["next_cursor"]
        if not cursor:
            break
    flat = [n for page in pages for n in page]
    assert flat == everything and len(set(flat)) == 8
    by_price = found(api, "kamp", sort="price_asc", brand_id=shop.brands["Yayla Kamp"], max_price="1000")
    assert by_price == ["Yayla Kamp Katlanır Kamp Sandalyesi", "Yayla Kamp Doğan Şişme Yatak",
                        "Katlanır Kamp Dolabı"]
    facets = api.get("/api/products?q=yatak&facets=true").json["facets"]
    assert {c["name"]: c["count"] for c in facets["categories"]} == {"Kamp": 2}
    assert facets["in_stock"] == 1


def test_broad_words_give_the_same_answer_whatever_the_plan(api: Api, shop: Shop, monkeypatch):
    """The planner may skip MATCH for broad words (walking the sort index with LIKE): same rows."""
    queries = [("kamp", "newest"), ("huglu mont", "price_asc"), ("av tufek", "best_selling"), ("yat", "rating")]
    via_fulltext = {q: found(api, q, sort=s) for q, s in queries}
    monkeypatch.setattr(search, "WALK_FACTOR", 0)  # every non-relevance search walks
    monkeypatch.setattr("chalicelib.catalog.caching.responses_enabled", False)
    assert {q: found(api, q, sort=s) for q, s in queries} == via_fulltext


def test_suggestions(api: Api, shop: Shop):
    items = api.get("/api/products/suggest?q=sisme+yat").json["items"]
    assert items[0] == {"type": "category", "id": shop.categories["Şişme Yatak"], "name": "Şişme Yatak",
                        "slug": items[0]["slug"], "category_id": None}
    assert {i["name"] for i in items if i["type"] == "product"} == SISME
    kamp = api.get("/api/products/suggest?q=KAMP").json["items"]
    assert len(kamp) == 8 and [i["type"] for i in kamp[:3]] == ["category"] * 3
    assert kamp[0]["name"] == "Kamp"
    typo = api.get("/api/products/suggest?q=sisne").json
    assert typo["did_you_mean"] == "sisme" and {i["name"] for i in typo["items"]} >= SISME
    assert api.get("/api/products/suggest?q=zzzz").json == {"items": [], "did_you_mean": None}
    assert_error_shape(api.get("/api/products/suggest"), 400, "validation_failed")
    assert_error_shape(api.get("/api/products/suggest?q=%20-%20"), 400, "validation_failed")


def test_another_tenants_products_never_show(client, db, api: Api, shop: Shop, other_tenant: TenantInfo):
    theirs = Shop(db, other_tenant.id)
    theirs.category("Şişme Yatak")
    theirs.category("Termos")
    theirs.brand("Huğlu")
    theirs.product("Gizli Şişme Yatak Zirve", "Şişme Yatak", "Huğlu")
    theirs.product("Zirvezirve Termos", "Termos", "Huğlu")
    theirs.changed()
    assert set(found(api, "sisme yatak")) == SISME
    assert found(api, "zirve") == [] and found(api, "zirvezirve") == []
    assert api.get("/api/products?q=zirvezirv").json["did_you_mean"] is None  # their words never correct ours
    suggested = api.get("/api/products/suggest?q=zirve").json["items"]
    assert suggested == []
    facets = api.get("/api/products?q=sisme&facets=true").json["facets"]
    assert sum(b["count"] for b in facets["brands"]) == 2
    theirs_api = Api(client, other_tenant.api_key)
    assert found(theirs_api, "sisme yatak") == ["Gizli Şişme Yatak Zirve"]
    assert [c["name"] for c in theirs_api.get("/api/categories").json["items"]] == ["Şişme Yatak", "Termos"]
    assert [b["product_count"] for b in theirs_api.get("/api/brands").json["items"]] == [2]
