"""infra/local/seed_catalog.py against a real database upgraded to head.

Three tenants share one scratch database: two seeded with the same seed (determinism, and the
proof that SKUs, barcodes and slugs are unique per tenant rather than globally) and one with
another seed.
"""
from __future__ import annotations

import json
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

import pymysql
import pymysql.cursors
import pytest

from chalicelib.platform.text import fold, is_valid_ean13, slugify
from infra.local.seed_catalog import CatalogueExists, seed_catalog
from infra.migrations.runner import DEFAULT_DATABASE_URL, connect_args, upgrade_to_head

_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
DB_NAME = f"huglu_seed_test_{os.getpid()}"  # apart from concurrent sessions and xdist workers
TURKISH_LETTERS = re.compile("[şğıİçöüŞĞÇÖÜ]")


def _url(name: str) -> str:
    parts = urlsplit(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def _drop_database() -> None:
    args, _ = connect_args(_url(DB_NAME))
    conn = pymysql.connect(autocommit=True, **args)
    try:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{DB_NAME}`")
    finally:
        conn.close()


class Seeded:
    def __init__(self, conn, tenants: dict[str, int], counts: dict[str, dict]) -> None:
        self.conn = conn
        self.tenants = tenants
        self.counts = counts
        self.a = tenants["a"]

    def rows(self, sql: str, *args) -> list[dict]:
        with self.conn.cursor() as cur:
            cur.execute(sql, args)
            return list(cur.fetchall())

    def scalar(self, sql: str, *args):
        row = self.rows(sql, *args)[0]
        return next(iter(row.values()))


@pytest.fixture(scope="module")
def seeded() -> Iterator[Seeded]:
    _drop_database()
    url = _url(DB_NAME)
    upgrade_to_head(url)  # creates the database
    args, name = connect_args(url)
    # A DictCursor connection on purpose: the seeder must not depend on the cursor class.
    conn = pymysql.connect(database=name, autocommit=False,
                           cursorclass=pymysql.cursors.DictCursor, **args)
    try:
        tenants = {}
        with conn.cursor() as cur:
            for key in ("a", "b", "c"):
                cur.execute("INSERT INTO tenants (slug, name) VALUES (%s, %s)",
                            (f"seed-{key}", f"Huğlu Test {key.upper()}"))
                tenants[key] = cur.lastrowid
        conn.commit()
        counts = {
            "a": seed_catalog(conn, tenants["a"]),
            "b": seed_catalog(conn, tenants["b"], products=240, seed=7),
            "c": seed_catalog(conn, tenants["c"], products=60, seed=8),
        }
        yield Seeded(conn, tenants, counts)
    finally:
        conn.close()
        _drop_database()


# -- volume and counts --------------------------------------------------------------------------
def test_counts_returned_match_the_rows(seeded: Seeded) -> None:
    counts = seeded.counts["a"]
    tables = {"categories": "categories", "brands": "brands", "products": "products",
              "variations": "product_variations", "images": "product_images",
              "stock_movements": "stock_movements"}
    for key, table in tables.items():
        actual = seeded.scalar(f"SELECT COUNT(*) AS n FROM {table} WHERE tenant_id = %s", seeded.a)
        assert actual == counts[key], key
    assert counts["products"] == 240
    assert counts["brands"] >= 10
    assert seeded.counts["c"]["products"] == 60


def test_at_least_200_active_products(seeded: Seeded) -> None:
    statuses = {r["status"]: r["n"] for r in seeded.rows(
        "SELECT status, COUNT(*) AS n FROM products WHERE tenant_id = %s GROUP BY status",
        seeded.a)}
    assert statuses["active"] >= 200
    assert statuses["active"] == seeded.counts["a"]["active_products"]
    assert statuses.get("draft", 0) > 0 and statuses.get("archived", 0) > 0


# -- identifiers --------------------------------------------------------------------------------
def test_every_barcode_is_a_valid_unique_ean13(seeded: Seeded) -> None:
    barcodes = [r["barcode"] for r in seeded.rows(
        "SELECT barcode FROM product_variations WHERE tenant_id = %s", seeded.a)]
    assert barcodes and all(is_valid_ean13(b) for b in barcodes)
    assert len(set(barcodes)) == len(barcodes)
    assert all(b.startswith("869") for b in barcodes)


def test_skus_and_nfc_tags_are_unique(seeded: Seeded) -> None:
    rows = seeded.rows("SELECT sku, nfc_tag FROM product_variations WHERE tenant_id = %s",
                       seeded.a)
    skus = [r["sku"] for r in rows]
    tags = [r["nfc_tag"] for r in rows if r["nfc_tag"]]
    assert len(set(skus)) == len(skus) and all(len(s) <= 64 for s in skus)
    assert tags and len(set(tags)) == len(tags)


@pytest.mark.parametrize("table", ["products", "categories", "brands"])
def test_slugs_are_unique_ascii_seo_slugs(seeded: Seeded, table: str) -> None:
    slugs = [r["slug"] for r in seeded.rows(f"SELECT slug FROM {table} WHERE tenant_id = %s",
                                            seeded.a)]
    assert len(set(slugs)) == len(slugs)
    for slug in slugs:
        assert slug.isascii() and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug), slug
        assert slugify(slug) == slug


def test_product_slugs_are_folded_names(seeded: Seeded) -> None:
    for row in seeded.rows("SELECT name, slug FROM products WHERE tenant_id = %s", seeded.a):
        assert row["slug"] == slugify(row["name"]) or row["slug"].startswith(
            slugify(row["name"]) + "-")


# -- categories ---------------------------------------------------------------------------------
def test_categories_nest_at_least_three_deep_with_consistent_paths(seeded: Seeded) -> None:
    rows = seeded.rows("SELECT id, parent_id, name, path, depth FROM categories "
                       "WHERE tenant_id = %s", seeded.a)
    by_id = {r["id"]: r for r in rows}
    for r in rows:
        parent = by_id.get(r["parent_id"])
        expected = (parent["path"] if parent else "/") + f"{r['id']}/"
        assert r["path"] == expected, r
        assert r["depth"] == r["path"].count("/") - 2
    assert max(r["depth"] for r in rows) >= 2  # root depth is 0: three levels
    names = {tuple(by_id[int(i)]["name"] for i in r["path"].strip("/").split("/"))
             for r in rows}
    assert ("Av", "Av Tüfekleri", "Yarı Otomatik") in names
    assert ("Kamp", "Uyku", "Şişme Yatak") in names
    assert ("Giyim", "Mont") in names
    assert ("Aksesuar", "Fişeklik") in names


def test_products_sit_on_leaf_categories_and_subtrees_are_a_like_away(seeded: Seeded) -> None:
    on_inner = seeded.scalar(
        "SELECT COUNT(*) AS n FROM products p WHERE p.tenant_id = %s AND EXISTS ("
        "SELECT 1 FROM categories c WHERE c.tenant_id = p.tenant_id AND c.parent_id = "
        "p.category_id)", seeded.a)
    assert on_inner == 0
    av = seeded.rows("SELECT path FROM categories WHERE tenant_id = %s AND slug = 'av'",
                     seeded.a)[0]
    under_av = seeded.scalar(
        "SELECT COUNT(*) AS n FROM products p JOIN categories c ON c.tenant_id = p.tenant_id "
        "AND c.id = p.category_id WHERE p.tenant_id = %s AND c.path LIKE %s",
        seeded.a, av["path"] + "%")
    assert 0 < under_av < seeded.counts["a"]["products"]


# -- Turkish content ----------------------------------------------------------------------------
def test_names_and_descriptions_are_turkish(seeded: Seeded) -> None:
    products = seeded.rows("SELECT name, description, search_text FROM products "
                           "WHERE tenant_id = %s", seeded.a)
    with_letters = [p for p in products if TURKISH_LETTERS.search(p["name"])]
    assert len(with_letters) > len(products) / 2
    assert all(TURKISH_LETTERS.search(p["description"]) for p in products)
    names = " | ".join(p["name"] for p in products)
    for expected in ("Şişme Yatak", "Kamp Sandalyesi", "Termos", "Av Tüfeği"):
        assert expected in names, expected
    for p in products:
        assert p["search_text"] == fold(p["search_text"])  # already folded ASCII
        assert fold(p["name"]) in p["search_text"]


def test_brand_and_category_names_use_turkish_collation(seeded: Seeded) -> None:
    # Under utf8mb4_turkish_ci, I pairs with ı and İ with i.
    assert seeded.scalar("SELECT COUNT(*) AS n FROM brands WHERE tenant_id = %s "
                         "AND name = 'ılgaz giyim'", seeded.a) == 1
    assert seeded.scalar("SELECT COUNT(*) AS n FROM brands WHERE tenant_id = %s "
                         "AND name = 'HUĞLU'", seeded.a) == 1
    assert "Huğlu" in {r["name"] for r in seeded.rows(
        "SELECT name FROM brands WHERE tenant_id = %s", seeded.a)}


def test_fulltext_search_finds_folded_turkish_words(seeded: Seeded) -> None:
    rows = seeded.rows(
        "SELECT name FROM products WHERE tenant_id = %s AND status = 'active' "
        "AND MATCH (search_text) AGAINST (%s IN BOOLEAN MODE)",
        seeded.a, "+" + fold("ŞİŞME") + " +" + fold("yatak"))
    assert rows and all("Şişme Yatak" in r["name"] for r in rows)


# -- prices, VAT, variations, stock -------------------------------------------------------------
def _products_with_roots(seeded: Seeded) -> list[dict]:
    return seeded.rows(
        "SELECT p.id, p.name, p.base_price, p.compare_at_price, p.vat_rate, p.total_stock, "
        "p.attributes, c.path, root.name AS root, mid.name AS mid "
        "FROM products p JOIN categories c ON c.tenant_id = p.tenant_id AND c.id = p.category_id "
        "JOIN categories root ON root.tenant_id = c.tenant_id "
        "AND root.id = CAST(SUBSTRING_INDEX(SUBSTRING(c.path, 2), '/', 1) AS UNSIGNED) "
        "LEFT JOIN categories mid ON mid.tenant_id = c.tenant_id AND mid.depth = 1 "
        "AND c.path LIKE CONCAT(mid.path, '%%') "
        "WHERE p.tenant_id = %s", seeded.a)


def test_prices_are_decimal_try_in_realistic_ranges(seeded: Seeded) -> None:
    variations = defaultdict(list)
    for r in seeded.rows("SELECT product_id, price FROM product_variations WHERE tenant_id = %s",
                         seeded.a):
        variations[r["product_id"]].append(r["price"])
    guns = 0
    for p in _products_with_roots(seeded):
        assert isinstance(p["base_price"], Decimal) and p["base_price"].as_tuple().exponent == -2
        prices = [p["base_price"], *variations[p["id"]]]
        if p["mid"] == "Av Tüfekleri":
            guns += 1
            assert all(Decimal(15000) <= x <= Decimal(90000) for x in prices), p["name"]
        else:
            assert all(Decimal(150) <= x <= Decimal(8000) for x in prices), p["name"]
        if p["compare_at_price"] is not None:
            assert p["compare_at_price"] > p["base_price"]
        expected_vat = Decimal("10.00") if p["root"] in ("Giyim", "Ayakkabı") else Decimal("20.00")
        assert p["vat_rate"] == expected_vat, p["name"]
    assert guns >= 10
    currencies = {r["currency"] for r in seeded.rows(
        "SELECT DISTINCT currency FROM products WHERE tenant_id = %s", seeded.a)}
    assert currencies == {"TRY"}


def test_variations_match_the_kind_of_product(seeded: Seeded) -> None:
    by_product = defaultdict(list)
    for r in seeded.rows("SELECT product_id, name, options FROM product_variations "
                         "WHERE tenant_id = %s", seeded.a):
        by_product[r["product_id"]].append(
            (r["name"], json.loads(r["options"]) if r["options"] else None))
    for p in _products_with_roots(seeded):
        variations = by_product[p["id"]]
        assert variations, p["name"]
        if any(options is None for _, options in variations):
            assert variations == [("Standart", None)], p["name"]
        if p["root"] == "Giyim" and "Şapka" not in p["name"] and "Bere" not in p["name"]:
            assert all({"beden", "renk"} <= set(o) for _, o in variations), p["name"]
        if p["root"] == "Ayakkabı":
            assert all({"numara", "renk"} <= set(o) for _, o in variations), p["name"]
            assert len(variations) >= 5
        if p["mid"] == "Av Tüfekleri":
            assert all({"kalibre", "namlu"} <= set(o) for _, o in variations), p["name"]
    assert sum(1 for v in by_product.values() if v == [("Standart", None)]) >= 20


def test_stock_levels_include_zero_and_low_and_add_up(seeded: Seeded) -> None:
    rows = seeded.rows("SELECT product_id, stock, reserved, low_stock_threshold "
                       "FROM product_variations WHERE tenant_id = %s", seeded.a)
    assert any(r["stock"] == 0 for r in rows)
    assert any(0 < r["stock"] < r["low_stock_threshold"] for r in rows)
    assert all(r["stock"] >= 0 and r["reserved"] == 0 for r in rows)
    sums = Counter()
    for r in rows:
        sums[r["product_id"]] += r["stock"]
    products = {p["id"]: p["total_stock"] for p in _products_with_roots(seeded)}
    assert products == dict(sums) | {pid: 0 for pid in products if pid not in sums}
    assert any(total == 0 for total in products.values())
    # Every stocked variation has its initial movement and the history adds up.
    mismatched = seeded.scalar(
        "SELECT COUNT(*) AS n FROM product_variations v LEFT JOIN (SELECT variation_id, "
        "SUM(delta) AS total FROM stock_movements WHERE tenant_id = %s GROUP BY variation_id) m "
        "ON m.variation_id = v.id WHERE v.tenant_id = %s AND COALESCE(m.total, 0) <> v.stock",
        seeded.a, seeded.a)
    assert mismatched == 0


def test_images_are_one_to_four_per_product_with_s3_keys(seeded: Seeded) -> None:
    rows = seeded.rows(
        "SELECT i.product_id, i.s3_key, i.thumb_key, i.alt_text, i.sort_order, p.name "
        "FROM product_images i JOIN products p ON p.tenant_id = i.tenant_id "
        "AND p.id = i.product_id WHERE i.tenant_id = %s ORDER BY i.product_id, i.sort_order",
        seeded.a)
    by_product = defaultdict(list)
    for r in rows:
        by_product[r["product_id"]].append(r)
    assert len(by_product) == seeded.counts["a"]["products"]
    assert {len(v) for v in by_product.values()} == {1, 2, 3, 4}
    for product_id, images in by_product.items():
        assert [i["sort_order"] for i in images] == list(range(len(images)))
        for n, image in enumerate(images, start=1):
            assert image["s3_key"] == f"tenants/{seeded.a}/products/{product_id}/{n}.jpg"
            assert image["thumb_key"].startswith(f"tenants/{seeded.a}/products/{product_id}/")
            assert image["alt_text"].startswith(image["name"])
            assert TURKISH_LETTERS.search(image["alt_text"])


# -- determinism and safety ---------------------------------------------------------------------
def _fingerprint(seeded: Seeded, tenant_id: int) -> list[tuple]:
    products = seeded.rows(
        "SELECT p.slug, p.name, p.description, p.status, p.base_price, p.compare_at_price, "
        "p.total_stock, p.attributes, c.slug AS category, b.slug AS brand "
        "FROM products p JOIN categories c ON c.tenant_id = p.tenant_id AND c.id = p.category_id "
        "JOIN brands b ON b.tenant_id = p.tenant_id AND b.id = p.brand_id "
        "WHERE p.tenant_id = %s ORDER BY p.slug", tenant_id)
    variations = seeded.rows(
        "SELECT sku, barcode, name, options, price, stock, nfc_tag FROM product_variations "
        "WHERE tenant_id = %s ORDER BY sku", tenant_id)
    return [tuple(r.values()) for r in products + variations]


def test_same_seed_same_catalogue_other_seed_other_catalogue(seeded: Seeded) -> None:
    a = _fingerprint(seeded, seeded.tenants["a"])
    b = _fingerprint(seeded, seeded.tenants["b"])
    c = _fingerprint(seeded, seeded.tenants["c"])
    assert a == b
    assert c != a[:len(c)]
    assert seeded.counts["a"] == seeded.counts["b"]


def test_seeding_a_tenant_twice_is_refused_and_changes_nothing(seeded: Seeded) -> None:
    with pytest.raises(CatalogueExists):
        seed_catalog(seeded.conn, seeded.a, products=5)
    assert seeded.scalar("SELECT COUNT(*) AS n FROM products WHERE tenant_id = %s",
                         seeded.a) == 240


def test_unknown_tenant_is_refused(seeded: Seeded) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        seed_catalog(seeded.conn, 987654321, products=5)
