"""product_attribute_values (migration 0021): kept exact by triggers through every kind of write,
and the attribute filter read from it answers exactly as the JSON-reading filter it replaced.

The expected index is recomputed here from the JSON by other means (keys parsed in Python, each
value read with the filter's own JSON_UNQUOTE(JSON_EXTRACT(...))), into a temporary table with
the same key, and the two are compared under the columns' collations both ways.
"""
from __future__ import annotations

import json
import random
import uuid
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.backups.repository import DERIVED_COMMENT
from chalicelib.catalog import listing_repository as lr
from chalicelib.platform.db import Database
from chalicelib.platform.sql import marks
from tests import migration_files
from tests.catalog_kit import Shop
from tests.conftest import Api, TenantInfo, make_tenant
from tests.e2e.catalog_admin_kit import admin, ca_client, make_category, make_product  # noqa: F401 - fixtures

LONG = "Uzun " + "ç" * 295  # 300 characters: stored as its first 255
EDGE = "k" * 255  # exactly as long as the column: rechecked against the JSON, and equal
VALUES: list[Any] = ["Haki", "HAKİ", "haki", "Hakı", "HAKI", "Siyah", "siyah  ", "Çelik", "ÇELİK", "çelik",
                     "Ilık", "ılık", "İnce", "ince", "Lacivert", "M", "L", "XL", 42, 7, True, False, None,
                     ["Haki", "Siyah"], {"ic": "Haki"}, LONG, EDGE, ""]
KEYS = ["renk", "beden", "malzeme", "mensei", "Renk", "renk ", 'a"b', "x" * 70, "numara"]
FILTER_VALUES = ["Haki", "haki", "HAKİ", "hakı", "HAKI", "Siyah", "siyah", "SİYAH", "çelik", "ÇELİK", "celik",
                 "ılık", "ILIK", "ince", "İNCE", "Lacivert", "M", "L", "XL", "42", "7", "true", "false", "null",
                 LONG, LONG[:255], EDGE, EDGE + "k", '["Haki", "Siyah"]', "x"]


def migration() -> Any:
    return migration_files.load("0021_attribute_index.py")


# -- the index recomputed from the JSON --------------------------------------------------------
def _stored_keys(doc: Any) -> list[str]:
    """The keys the index keeps (migration 0021): those a filter's JSON path can name."""
    if not isinstance(doc, dict):
        return []
    return [k for k in doc if 1 <= len(k) <= 64 and '"' not in k and "\\" not in k and not k.endswith(" ")]


def _expected_rows(db: Database, tenant_id: int) -> list[tuple[int, int, str, str]]:
    s = db.session()
    docs = [(r["id"], r["attributes"]) for r in s.all(
        "SELECT id, attributes FROM products WHERE tenant_id = %s AND attributes IS NOT NULL", (tenant_id,))]
    docs += [(r["product_id"], r["options"]) for r in s.all(
        "SELECT product_id, options FROM product_variations WHERE tenant_id = %s AND is_active = 1"
        " AND options IS NOT NULL", (tenant_id,))]
    rows = []
    for product_id, text in docs:
        for key in _stored_keys(json.loads(text)):
            value = s.scalar("SELECT JSON_UNQUOTE(JSON_EXTRACT(%s, %s))", (text, f'$."{key}"'))
            rows.append((tenant_id, product_id, key, value[:255]))
    return rows


def assert_index_exact(db: Database, *tenant_ids: int) -> int:
    """The index equals the recomputation for these tenants; returns how many rows it holds."""
    s = db.session()
    s.execute("DROP TEMPORARY TABLE IF EXISTS expected_attribute_values")
    s.execute("CREATE TEMPORARY TABLE expected_attribute_values LIKE product_attribute_values")
    try:
        for tenant_id in tenant_ids:
            rows = _expected_rows(db, tenant_id)
            if rows:
                s.executemany("INSERT IGNORE INTO expected_attribute_values (tenant_id, product_id, attr_key,"
                              " attr_value) VALUES (%s, %s, %s, %s)", rows)
        on = ("e.tenant_id = a.tenant_id AND e.product_id = a.product_id AND e.attr_key = a.attr_key"
              " AND e.attr_value = a.attr_value")
        ids = marks(tenant_ids)
        missing = s.all(f"SELECT e.* FROM expected_attribute_values e LEFT JOIN product_attribute_values a ON {on}"
                        " WHERE a.product_id IS NULL", ())
        extra = s.all(f"SELECT a.* FROM product_attribute_values a LEFT JOIN expected_attribute_values e ON {on}"
                      f" WHERE a.tenant_id IN ({ids}) AND e.product_id IS NULL", tenant_ids)
        assert (missing, extra) == ([], [])
        return int(s.scalar(f"SELECT COUNT(*) FROM product_attribute_values WHERE tenant_id IN ({ids})", tenant_ids))
    finally:
        s.execute("DROP TEMPORARY TABLE IF EXISTS expected_attribute_values")


# -- the filter as it was: the reference ---------------------------------------------------------
def old_attribute_sql(key: str, values: tuple[str, ...]) -> tuple[str, list[Any]]:
    """The JSON-reading filter of listing_repository before migration 0021, verbatim."""
    value = "JSON_UNQUOTE(JSON_EXTRACT({col}, %s)) COLLATE utf8mb4_unicode_ci IN ({marks})"
    path = f'$."{key}"'
    return (f"({value.format(col='p.attributes', marks=marks(values))} OR EXISTS (SELECT 1 FROM product_variations v"
            f" FORCE INDEX (ix_product) WHERE v.tenant_id = p.tenant_id AND v.product_id = p.id AND v.is_active = 1"
            f" AND {value.format(col='v.options', marks=marks(values))}))", [path, *values, path, *values])


def matching(db: Database, tenant_id: int, attributes: tuple[tuple[str, tuple[str, ...]], ...], *,
             old: bool) -> list[int]:
    """Active products of the tenant passing the attribute filters, read the new or the old way."""
    if old:
        parts, params = ["p.tenant_id = %s", "p.status = 'active'"], [tenant_id]
        for key, values in attributes:
            sql, more = old_attribute_sql(key, values)
            parts.append(sql)
            params += more
        where = " AND ".join(parts)
    else:
        where, params = lr.where(lr.Filters(tenant_id=tenant_id, attributes=attributes))
    return [r["id"] for r in db.session().all(f"SELECT p.id FROM products p WHERE {where} ORDER BY p.id", params)]


def assert_filters_agree(db: Database, tenant_id: int, rng: random.Random, rounds: int) -> int:
    """Random filter sets (one or two keys, one to three values each): new == old.  Returns how
    many of them matched something (the comparison must not be all empty lists)."""
    nonempty = 0
    keys = ["renk", "beden", "malzeme", "mensei", "numara", "Renk", "ic"]
    # In a fixed order: the draws below must not depend on the order rows come back in.
    # Pairs of active products only: a draft's pairs match nothing, and a shop whose random writes
    # left only drafts holding attributes would make every "matching" draw empty.
    pairs = [(r["attr_key"], r["attr_value"]) for r in db.session().all(
        """SELECT DISTINCT a.attr_key, a.attr_value FROM product_attribute_values a
             JOIN products p ON p.tenant_id = a.tenant_id AND p.id = a.product_id AND p.status = 'active'
            WHERE a.tenant_id = %s ORDER BY a.attr_key, a.attr_value""", (tenant_id,))]
    stored = sorted({value for _, value in pairs})
    variants = [*FILTER_VALUES, *stored, *(v.upper() for v in stored), *(v.lower() for v in stored)]
    for round_ in range(rounds):
        if round_ % 2 == 0 and pairs:
            # a (key, value) some product holds, as stored: these filters match something
            key, value = rng.choice(pairs)
            attributes: tuple[tuple[str, tuple[str, ...]], ...] = ((key, (value,)),)
        else:
            chosen = rng.sample(keys[:5], rng.choice((1, 1, 2)))
            attributes = tuple((key, tuple(dict.fromkeys(rng.sample(variants, rng.randint(1, 3)))))
                               for key in sorted(chosen))
        new = matching(db, tenant_id, attributes, old=False)
        assert new == matching(db, tenant_id, attributes, old=True), attributes
        nonempty += bool(new)
    return nonempty


# -- random writes ----------------------------------------------------------------------------
def random_doc(rng: random.Random) -> dict[str, Any] | None:
    if rng.random() < 0.15:
        return None
    return {key: rng.choice(VALUES) for key in rng.sample(KEYS, rng.randint(1, 4))}


class Writer:
    """Raw-SQL writes of every kind on one tenant's catalogue."""

    def __init__(self, db: Database, tenant_id: int, rng: random.Random) -> None:
        self.s, self.tenant_id, self.rng = db.session(), tenant_id, rng
        self.shop = Shop(db, tenant_id)
        self.shop.category("Kamp")

    def _json(self, doc: Any) -> str | None:
        return None if doc is None else json.dumps(doc, ensure_ascii=False)

    # ORDER BY id: the draws must not follow whichever index MariaDB reads the ids from.
    def products(self) -> list[int]:
        return [r["id"] for r in self.s.all("SELECT id FROM products WHERE tenant_id = %s ORDER BY id",
                                            (self.tenant_id,))]

    def variations(self) -> list[int]:
        return [r["id"] for r in self.s.all("SELECT id FROM product_variations WHERE tenant_id = %s ORDER BY id",
                                            (self.tenant_id,))]

    def add_product(self, *, active_with_attributes: bool = False) -> None:
        rng, t = self.rng, self.tenant_id
        doc = random_doc(rng)
        if active_with_attributes:
            status, doc = "active", doc or {"renk": "Haki"}
        else:
            status = rng.choice(("active", "active", "draft"))
        pid = self.s.insert(
            "INSERT INTO products (tenant_id, category_id, name, slug, status, base_price, attributes)"
            " VALUES (%s, %s, %s, %s, %s, 100, %s)",
            (t, self.shop.categories["Kamp"], f"Ürün {uuid.uuid4().hex[:8]}", f"p-{uuid.uuid4().hex[:10]}",
             status, self._json(doc)))
        for _ in range(rng.randint(0, 3)):
            self.add_variation(pid)

    def add_variation(self, pid: int) -> None:
        self.s.execute("INSERT INTO product_variations (tenant_id, product_id, sku, options, price, stock, is_active)"
                       " VALUES (%s, %s, %s, %s, 100, 1, %s)",
                       (self.tenant_id, pid, f"S-{uuid.uuid4().hex[:10]}", self._json(random_doc(self.rng)),
                        self.rng.choice((0, 1, 1))))

    def step(self) -> None:
        rng, t = self.rng, self.tenant_id
        products, variations = self.products(), self.variations()
        if len(products) < 4:
            return self.add_product()
        pid, vid = rng.choice(products), rng.choice(variations) if variations else None
        kind = rng.randrange(10)
        if kind == 0:
            self.add_product()
        elif kind == 1:
            self.s.execute("UPDATE products SET attributes = %s WHERE tenant_id = %s AND id = %s",
                           (self._json(random_doc(rng)), t, pid))
        elif kind == 2:
            self.s.execute("UPDATE products SET attributes = NULL WHERE tenant_id = %s AND id = %s", (t, pid))
        elif kind == 3:
            self.add_variation(pid)
        elif kind == 4 and vid:
            self.s.execute("UPDATE product_variations SET options = %s WHERE tenant_id = %s AND id = %s",
                           (self._json(random_doc(rng)), t, vid))
        elif kind == 5 and vid:
            self.s.execute("UPDATE product_variations SET is_active = 1 - is_active WHERE tenant_id = %s AND id = %s",
                           (t, vid))
        elif kind == 6 and vid:
            self.s.execute("DELETE FROM product_variations WHERE tenant_id = %s AND id = %s", (t, vid))
        elif kind == 7 and vid:  # a variation moved to another product
            self.s.execute("UPDATE product_variations SET product_id = %s WHERE tenant_id = %s AND id = %s",
                           (pid, t, vid))
        elif kind == 8:
            self.s.execute("DELETE FROM products WHERE tenant_id = %s AND id = %s", (t, pid))
        elif kind == 9:  # what checkout and inventory write: no attribute changes
            self.s.execute("UPDATE product_variations SET reserved = reserved + 1, stock = stock + 1"
                           " WHERE tenant_id = %s AND product_id = %s", (t, pid))
            self.s.execute("UPDATE products SET total_stock = total_stock + 1, sold_count = sold_count + 1"
                           " WHERE tenant_id = %s AND id = %s", (t, pid))
        return None


def test_the_index_follows_every_raw_write_across_two_tenants(db):
    rng = random.Random(16_0021)
    first, second = make_tenant(), make_tenant()
    writers = [Writer(db, first.id, rng), Writer(db, second.id, rng)]
    for _round in range(8):
        for _ in range(40):
            rng.choice(writers).step()
        assert assert_index_exact(db, first.id, second.id) > 0
    # a shop's rows never leak into the other's filters; each shop is topped up with active,
    # attributed products so the "a pair some product holds" draws cannot all come up empty
    for writer in writers:
        for _ in range(3):
            writer.add_product(active_with_attributes=True)
    assert_index_exact(db, first.id, second.id)
    for writer in writers:
        assert assert_filters_agree(db, writer.tenant_id, rng, 60) > 5
    # the migration's fill lands where the triggers did (the other shop's rows are kept by IGNORE)
    db.session().execute("DELETE FROM product_attribute_values WHERE tenant_id = %s", (first.id,))
    db.session().execute(migration().REBUILD)
    assert_index_exact(db, first.id, second.id)
    # a deleted product takes its rows along (its variations go by cascade, without triggers)
    for pid in writers[0].products():
        db.session().execute("DELETE FROM products WHERE tenant_id = %s AND id = %s", (first.id, pid))
    assert db.session().scalar("SELECT COUNT(*) FROM product_attribute_values WHERE tenant_id = %s", (first.id,)) == 0
    assert assert_index_exact(db, second.id) > 0


def test_long_values_and_keys_the_json_path_cannot_name(db):
    tenant = make_tenant()
    shop = Shop(db, tenant.id)
    shop.category("Kamp")
    pid = shop.product("Uzun Değerli", "Kamp", attributes={"aciklama": LONG, "kenar": EDGE, "renk ": "Haki",
                                                           'a"b': "x", "y" * 65: "z", "Renk": "Haki"})
    stored = db.session().all("SELECT attr_key, CHAR_LENGTH(attr_value) AS n FROM product_attribute_values"
                              " WHERE tenant_id = %s AND product_id = %s ORDER BY attr_key", (tenant.id, pid))
    assert [(r["attr_key"], r["n"]) for r in stored] == [("Renk", 4), ("aciklama", 255), ("kenar", 255)]
    for key, value, found in [("aciklama", LONG, [pid]), ("aciklama", LONG[:255], []), ("kenar", EDGE, [pid]),
                              ("kenar", EDGE + "   ", [pid]), ("renk", "Haki", []), ("Renk", "haki", [pid])]:
        attributes = ((key, (value,)),)
        assert matching(db, tenant.id, attributes, old=False) == found, (key, value[:20])
        assert matching(db, tenant.id, attributes, old=True) == found, (key, value[:20])


def turkish_shop(db: Database, tenant: TenantInfo) -> Shop:
    shop = Shop(db, tenant.id)
    shop.category("Giyim")
    shop.product("Haki Mont", "Giyim", options=[{"renk": "HAKİ", "beden": "M"}, {"renk": "Siyah", "beden": "L"}])
    shop.product("Hakı Yelek", "Giyim", attributes={"renk": "Hakı"})
    shop.product("Ilık Çorap", "Giyim", attributes={"his": "ılık", "malzeme": "Yün"})
    shop.product("İnce Eldiven", "Giyim", attributes={"kalinlik": "İnce"}, options=[{"renk": "ÇELİK"}])
    shop.changed()
    return shop


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.body
    return sorted(p["name"] for p in response.json["items"])


def test_turkish_letters_case_and_accents_over_http(client, db):
    tenant = make_tenant()
    turkish_shop(db, tenant)
    api = Api(client, tenant.api_key)

    def get(*attr: str) -> list[str]:
        return names(api.get("/api/products?" + urlencode({"attr": list(attr)}, doseq=True)))

    # unicode_ci, as before: İ is I with a dot (folds to i), ı is a letter of its own
    assert get("renk:haki") == get("renk:HAKİ") == get("renk:Haki") == get("renk:HAKI") == ["Haki Mont"]
    assert get("renk:hakı") == ["Hakı Yelek"]
    assert get("renk:haki", "renk:hakı") == ["Haki Mont", "Hakı Yelek"]
    # unicode_ci, not turkish_ci (as before 0021): I folds to i, so ILIK is not ılık
    assert get("his:ılık") == ["Ilık Çorap"] and get("his:ILIK") == get("his:ilik") == []
    assert get("kalinlik:ince") == get("kalinlik:İNCE") == ["İnce Eldiven"]
    assert get("renk:celik") == get("renk:çelik") == ["İnce Eldiven"]  # accents fold: ç = c
    assert get("renk:siyah", "beden:l") == ["Haki Mont"]  # both from variations, any variation each
    assert get("renk:haki", "beden:XL") == []
    assert get("malzeme:yün", "his:ılık") == ["Ilık Çorap"]


def test_admin_route_writes_keep_the_index(admin: Api, db, tenant: TenantInfo):  # noqa: F811 - fixture
    kamp = make_category(admin, "Kamp")
    product = make_product(admin, kamp["id"], attributes={"malzeme": "PVC"},
                           variations=[{"sku": "AV-1", "options": {"renk": "Haki"}, "stock": 3},
                                       {"sku": "AV-2", "options": {"renk": "Siyah"}, "stock": 1, "is_active": False}])
    pid = product["id"]
    v1, v2 = (v["id"] for v in product["variations"])

    def found(key: str, value: str) -> bool:
        return pid in matching(db, tenant.id, ((key, (value,)),), old=False)

    assert found("malzeme", "pvc") and found("renk", "haki") and not found("renk", "siyah")
    assert admin.put(f"/api/admin/variations/{v2}", {"is_active": True}).status_code == 200
    assert found("renk", "siyah")
    assert admin.put(f"/api/admin/variations/{v1}", {"options": {"renk": "Lacivert", "beden": "XL"}}).status_code == 200
    assert not found("renk", "haki") and found("renk", "lacivert") and found("beden", "xl")
    assert admin.put(f"/api/admin/products/{pid}",
                     {"attributes": {"malzeme": "Naylon", "mensei": "Türkiye"}}).status_code == 200
    assert not found("malzeme", "pvc") and found("mensei", "TÜRKİYE")
    added = admin.post(f"/api/admin/products/{pid}/variations", {"sku": "AV-3", "options": {"numara": 42}})
    assert added.status_code == 201, added.body
    assert found("numara", "42")
    assert admin.put(f"/api/admin/products/{pid}", {"attributes": None}).status_code == 200
    assert not found("mensei", "türkiye")
    assert admin.put(f"/api/admin/variations/{v2}", {"is_active": False}).status_code == 200
    assert not found("renk", "siyah")
    assert assert_index_exact(db, tenant.id) > 0


@pytest.mark.parametrize("sort", ["newest", "price_asc", "best_selling"])
def test_listing_pages_agree_with_the_json_filter(client, db, sort: str):
    """Whole listings through HTTP (every page, with a category and a price) against the
    reference filter over the same rows."""
    tenant = make_tenant(settings={"rate_limit": {"default": {"limit": 0, "window": 900}}})
    rng = random.Random(sort)
    writer = Writer(db, tenant.id, rng)
    for _ in range(30):
        writer.add_product()
    db.session().execute("UPDATE products SET status = 'active', base_price = 100 + id MOD 7 WHERE tenant_id = %s",
                         (tenant.id,))
    writer.shop.changed()
    api = Api(client, tenant.api_key)
    for attr in (["renk:haki"], ["renk:HAKİ", "renk:siyah"], ["beden:M", "renk:Haki"], ["numara:42"],
                 ["malzeme:çelik", "malzeme:ince"]):
        shown, cursor = [], None
        while True:
            params: dict[str, Any] = {"attr": attr, "sort": sort, "limit": 5, "max_price": "104",
                                      "category_id": writer.shop.categories["Kamp"]}
            if cursor:
                params["cursor"] = cursor
            body = api.get("/api/products?" + urlencode(params, doseq=True)).json
            shown += [item["id"] for item in body["items"]]
            cursor = body.get("next_cursor")
            if not cursor:
                break
        grouped: dict[str, list[str]] = {}
        for item in attr:
            key, _, value = item.partition(":")
            grouped.setdefault(key, []).append(value)
        expected = set(matching(db, tenant.id, tuple((k, tuple(v)) for k, v in sorted(grouped.items())), old=True))
        priced = {r["id"] for r in db.session().all(
            "SELECT id FROM products WHERE tenant_id = %s AND base_price <= %s", (tenant.id, Decimal("104")))}
        assert sorted(shown) == sorted(expected & priced), attr


def test_backups_see_the_table_as_derived(db):
    """A shop's export leaves it out (backups.repository.DERIVED_COMMENT); its restore rebuilds it
    through the target's triggers."""
    comment = db.session().scalar("SELECT table_comment FROM information_schema.tables WHERE table_schema = DATABASE()"
                                  " AND table_name = 'product_attribute_values'")
    assert comment.startswith(DERIVED_COMMENT)


def test_variations_loaded_before_their_product_as_a_restore_does(db):
    """A shop's restore loads product_variations before products (foreign-key checks off): each
    insert adds its own pairs, so the order does not matter."""
    tenant = make_tenant()
    shop = Shop(db, tenant.id)
    shop.category("Kamp")
    s = db.session()
    pid = 1 + int(s.scalar("SELECT COALESCE(MAX(id), 0) FROM products"))
    s.execute("SET SESSION foreign_key_checks = 0")
    try:
        s.execute("INSERT INTO product_variations (tenant_id, product_id, sku, options, price) VALUES"
                  " (%s, %s, %s, %s, 100)", (tenant.id, pid, f"R-{uuid.uuid4().hex[:8]}", '{"renk": "Haki"}'))
        s.execute("INSERT INTO products (id, tenant_id, category_id, name, slug, status, base_price, attributes)"
                  " VALUES (%s, %s, %s, 'Geri Yüklenen', %s, 'active', 100, %s)",
                  (pid, tenant.id, shop.categories["Kamp"], f"p-{uuid.uuid4().hex[:8]}", '{"renk": "Siyah"}'))
    finally:
        s.execute("SET SESSION foreign_key_checks = 1")
    assert assert_index_exact(db, tenant.id) == 2
    assert matching(db, tenant.id, (("renk", ("haki", "siyah")),), old=False) == [pid]
