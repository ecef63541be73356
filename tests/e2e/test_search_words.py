"""product_search_words (migration 0024): kept exact by the triggers on products through every kind
of write, in two tenants; the migration's fill lands on the same rows; a shop's export leaves the
table out.  The search pages and facet cubes read from it are compared with brute force and with
the FULLTEXT definition in test_search_walk.py.

The expected rows are recomputed here in Python - COALESCE(search_text, name) split on single
spaces, empty words dropped, each cut to 64 characters, with the product's columns - into a
temporary table with the same key (so words equal under its collation collapse there as in the
table), and the two are compared both ways, every column.
"""
from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from chalicelib.backups.repository import DERIVED_COMMENT
from chalicelib.platform.db import Database
from chalicelib.platform.sql import marks
from tests import migration_files
from tests.catalog_kit import Shop
from tests.conftest import make_tenant

COLUMNS = ("tenant_id", "word", "product_id", "active", "category_id", "brand_id", "in_stock", "facet_band",
           "facet_bucket", "base_price", "product_created_at")
WORDS = ["kamp", "KAMP", "Kamp", "çadır", "cadir", "ŞİŞME", "sisme", "yatak", "uyku", "tulumu", "av", "tüfeği",
         "x" * 70, "ğ" * 65, "a\tb", "İnce", "ince", "ılık", "2", "😀", "o'reilly", '"tırnak"', "back\\slash"]


def migration() -> Any:
    return migration_files.load("0024_search_words.py")


def _expected_rows(db: Database, tenant_id: int) -> list[tuple[Any, ...]]:
    rows = []
    for p in db.session().all(
            """SELECT id, tenant_id, COALESCE(search_text, name) AS text, status = 'active' AS active, category_id,
                      COALESCE(brand_id, 0) AS brand_id, in_stock, facet_band, facet_bucket, base_price, created_at
                 FROM products WHERE tenant_id = %s ORDER BY id""", (tenant_id,)):
        for word in p["text"].split(" "):
            if word:
                rows.append((tenant_id, word[:64], p["id"], p["active"], p["category_id"], p["brand_id"],
                             p["in_stock"], p["facet_band"], p["facet_bucket"], p["base_price"], p["created_at"]))
    return rows


def assert_words_exact(db: Database, *tenant_ids: int) -> int:
    """The table equals the recomputation for these tenants; returns how many rows it holds."""
    s = db.session()
    s.execute("DROP TEMPORARY TABLE IF EXISTS expected_search_words")
    s.execute("CREATE TEMPORARY TABLE expected_search_words LIKE product_search_words")
    try:
        for tenant_id in tenant_ids:
            rows = _expected_rows(db, tenant_id)
            if rows:
                s.executemany(f"INSERT IGNORE INTO expected_search_words ({', '.join(COLUMNS)})"
                              f" VALUES ({marks(COLUMNS)})", rows)
        on = " AND ".join(f"e.{c} = w.{c}" for c in COLUMNS)  # the word under the table's collation
        ids = marks(tenant_ids)
        missing = s.all(f"SELECT e.* FROM expected_search_words e LEFT JOIN product_search_words w ON {on}"
                        " WHERE w.product_id IS NULL", ())
        extra = s.all(f"SELECT w.* FROM product_search_words w LEFT JOIN expected_search_words e ON {on}"
                      f" WHERE w.tenant_id IN ({ids}) AND e.product_id IS NULL", tenant_ids)
        assert (missing, extra) == ([], [])
        return int(s.scalar(f"SELECT COUNT(*) FROM product_search_words WHERE tenant_id IN ({ids})", tenant_ids))
    finally:
        s.execute("DROP TEMPORARY TABLE IF EXISTS expected_search_words")


class Writer:
    """Raw-SQL writes of every kind on one tenant's products."""

    def __init__(self, db: Database, tenant_id: int, rng: random.Random) -> None:
        self.s, self.tenant_id, self.rng = db.session(), tenant_id, rng
        self.shop = Shop(db, tenant_id)
        self.categories = [self.shop.category(name) for name in ("Kamp", "Av", "Giyim")]
        self.brands = [self.shop.brand(name) for name in ("Huğlu", "Yunus")]

    def text(self) -> str:
        words = self.rng.sample(WORDS, self.rng.randint(1, 5))
        return self.rng.choice(("", " ", "  ")).join(words) if self.rng.random() < 0.2 else " ".join(words)

    def products(self) -> list[int]:
        return [r["id"] for r in self.s.all("SELECT id FROM products WHERE tenant_id = %s ORDER BY id",
                                            (self.tenant_id,))]

    def add(self) -> None:
        rng = self.rng
        self.s.execute(
            "INSERT INTO products (tenant_id, category_id, brand_id, name, slug, status, base_price, total_stock,"
            " search_text) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (self.tenant_id, rng.choice(self.categories), rng.choice([None, *self.brands]), self.text(),
             f"p-{uuid.uuid4().hex[:10]}", rng.choice(("active", "active", "draft")),
             Decimal(rng.randrange(100, 2_000_000)) / 100, rng.choice((0, 3)),
             None if rng.random() < 0.3 else self.text()))

    def step(self) -> None:
        rng, t = self.rng, self.tenant_id
        products = self.products()
        if len(products) < 4:
            return self.add()
        pid = rng.choice(products)
        kind = rng.randrange(11)
        updates = {
            1: ("search_text = %s", self.text()),
            2: ("search_text = %s", None),  # the name takes over
            3: ("name = %s", self.text()),  # seen only when search_text is NULL
            4: ("status = %s", rng.choice(("active", "draft", "archived"))),
            5: ("category_id = %s", rng.choice(self.categories)),
            6: ("brand_id = %s", rng.choice([None, *self.brands])),
            7: ("base_price = %s", Decimal(rng.randrange(100, 2_000_000)) / 100),
            8: ("total_stock = %s", rng.choice((0, 0, 5))),  # in_stock flips, or stays
            9: ("created_at = %s", datetime(2026, 1, 1) + timedelta(seconds=rng.randrange(10**7))),
        }
        if kind == 0:
            self.add()
        elif kind in updates:
            assignment, value = updates[kind]
            self.s.execute(f"UPDATE products SET {assignment} WHERE tenant_id = %s AND id = %s", (value, t, pid))
        else:
            self.s.execute("DELETE FROM products WHERE tenant_id = %s AND id = %s", (t, pid))
        # what checkout and ratings write: none of the watched columns
        self.s.execute("UPDATE products SET sold_count = sold_count + 1, rating_count = rating_count + 1"
                       " WHERE tenant_id = %s AND id = %s", (t, pid))
        return None


def test_the_words_follow_every_raw_write_across_two_tenants(db):
    rng = random.Random(16_0024)
    first, second = make_tenant(), make_tenant()
    writers = [Writer(db, first.id, rng), Writer(db, second.id, rng)]
    for _round in range(8):
        for _ in range(40):
            rng.choice(writers).step()
        assert assert_words_exact(db, first.id, second.id) > 0
    # the words equal under the collation are one row per product: "kamp" and "KAMP" alike
    for writer in writers:
        writer.s.execute("UPDATE products SET search_text = 'kamp KAMP Kamp  çadır' WHERE tenant_id = %s AND id = %s",
                         (writer.tenant_id, writer.products()[0]))
    assert assert_words_exact(db, first.id, second.id) > 0
    # the migration's fill lands where the triggers did (the other shop's rows are kept by IGNORE)
    db.session().execute("DELETE FROM product_search_words WHERE tenant_id = %s", (first.id,))
    db.session().execute(migration().REBUILD)
    assert_words_exact(db, first.id, second.id)
    # a deleted product takes its rows along
    for pid in writers[0].products():
        db.session().execute("DELETE FROM products WHERE tenant_id = %s AND id = %s", (first.id, pid))
    assert db.session().scalar("SELECT COUNT(*) FROM product_search_words WHERE tenant_id = %s", (first.id,)) == 0
    assert assert_words_exact(db, second.id) > 0


def test_a_long_word_is_cut_and_still_found_by_its_beginning(db):
    tenant = make_tenant()
    writer = Writer(db, tenant.id, random.Random(1))
    long_word = "uzun" + "ç" * 80
    writer.s.execute("INSERT INTO products (tenant_id, category_id, name, slug, status, base_price, search_text)"
                     " VALUES (%s, %s, 'Uzun', %s, 'active', 100, %s)",
                     (tenant.id, writer.categories[0], f"p-{uuid.uuid4().hex[:8]}", f"kamp {long_word}"))
    stored = db.session().all("SELECT word FROM product_search_words WHERE tenant_id = %s ORDER BY word", (tenant.id,))
    assert [r["word"] for r in stored] == ["kamp", long_word[:64]]
    # a query term has at most 40 characters (catalog.search.MAX_TERM_LENGTH): a beginning of the cut word
    assert db.session().scalar("SELECT COUNT(*) FROM product_search_words WHERE tenant_id = %s AND word LIKE %s",
                               (tenant.id, long_word[:40] + "%")) == 1


def test_backups_see_the_table_as_derived(db):
    comment = db.session().scalar("SELECT table_comment FROM information_schema.tables WHERE table_schema = DATABASE()"
                                  " AND table_name = 'product_search_words'")
    assert comment.startswith(DERIVED_COMMENT)
