"""Products created in bulk (migration 0025, catalog.derived_rows): inside `created_in_bulk` the
derived-row triggers of products and product_variations skip, and the block's end writes the new
products' rows set-wise.  The four derived tables must end exactly as the triggers would have left
them - checked by the same recomputations that hold the triggers exact (test_search_words,
test_attribute_index, test_attribute_facets, test_facet_counts) - and the switch must not outlive
the block, on success or on error."""
from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.catalog import api as catalogue
from chalicelib.catalog import derived_rows
from chalicelib.catalog_admin import api as catalogue_admin
from chalicelib.platform.db import Database, get_db
from chalicelib.platform.sql import marks
from tests import migration_files
from tests.catalog_kit import Shop
from tests.conftest import make_tenant
from tests.e2e import test_attribute_facets as attribute_facets
from tests.e2e import test_attribute_index as attribute_kit
from tests.e2e import test_facet_counts as facet_kit
from tests.e2e import test_search_words as words_kit


def _flag(db: Database) -> Any:
    return db.session().scalar(f"SELECT {derived_rows.FLAG}")


def _ids(db: Database, tenant_id: int) -> set[int]:
    return {r["id"] for r in db.session().all("SELECT id FROM products WHERE tenant_id = %s", (tenant_id,))}


def assert_all_exact(db: Database, *tenant_ids: int) -> None:
    assert words_kit.assert_words_exact(db, *tenant_ids) > 0
    attribute_kit.assert_index_exact(db, *tenant_ids)
    assert attribute_facets.assert_kept_exact(*tenant_ids) > 0
    facet_kit.assert_exact(*tenant_ids)


def test_bulk_blocks_between_raw_writes_leave_every_derived_table_exact(db):
    rng = random.Random(16_0025)
    tenants = [make_tenant().id, make_tenant().id]
    writers = {t: (words_kit.Writer(db, t, rng), attribute_kit.Writer(db, t, rng)) for t in tenants}
    s = db.session()
    for _round in range(5):
        for tenant_id in tenants:
            words, attrs = writers[tenant_id]
            before = _ids(db, tenant_id)
            with catalogue.created_in_bulk(s, tenant_id) as created:
                assert _flag(db) == 1
                for _ in range(rng.randint(1, 6)):
                    words.add()  # text with odd spacing, emoji, long words, NULL search_text
                for _ in range(rng.randint(1, 6)):
                    attrs.add_product()  # attributes, 0-3 variations with options, some inactive
                new = sorted(_ids(db, tenant_id) - before)
                # what a feed does after the insert: opening stock (in_stock turns on), and more
                for pid in new:
                    s.execute("UPDATE products SET total_stock = %s, status = %s WHERE tenant_id = %s AND id = %s",
                              (rng.choice((0, 4)), rng.choice(("active", "active", "draft")), tenant_id, pid))
                s.execute(f"UPDATE product_variations SET stock = stock + 1 WHERE tenant_id = %s"
                          f" AND product_id IN ({marks(new)})", (tenant_id, *new))
                created.extend(new)
            assert _flag(db) is None
        # the triggers work again: writes of every kind on old and new products, both tenants
        for _ in range(30):
            tenant_id = rng.choice(tenants)
            words, attrs = writers[tenant_id]
            (words.step if rng.random() < 0.5 else attrs.step)()
        assert_all_exact(db, *tenants)


def test_a_block_that_fails_resets_the_switch_and_writes_nothing(db):
    tenant_id = make_tenant().id
    shop = Shop(db, tenant_id)
    category = shop.category("Kamp")
    uow = db.uow()
    with uow:
        with pytest.raises(RuntimeError), catalogue.created_in_bulk(uow, tenant_id) as created:
            pid = uow.insert("INSERT INTO products (tenant_id, category_id, name, slug, status, base_price)"
                             " VALUES (%s, %s, 'Çadır', 'cadir-x', 'active', 100)", (tenant_id, category))
            created.append(pid)
            raise RuntimeError("the caller's error")
        assert uow.scalar(f"SELECT {derived_rows.FLAG}") is None
        assert uow.scalar("SELECT COUNT(*) FROM product_search_words WHERE tenant_id = %s", (tenant_id,)) == 0
    # (left without commit: rolled back)
    assert _flag(db) is None


def test_a_feed_batch_of_new_products_gets_its_rows_set_wise(db):
    """The feed path (catalog_admin.api.upsert_rows → feed_create): new active-less drafts with
    stock, a brand, Turkish names; then the same SKUs again (updates through the triggers)."""
    tenant_id = make_tenant().id
    shop = Shop(db, tenant_id)
    category, brand = shop.category("Kamp Çadırları"), shop.brand("Huğlu")
    shop.product("Önceki ürün", "Kamp Çadırları", "Huğlu", attributes={"renk": "Haki"})  # an old one beside
    rows = [{"sku": f"FEED-{i}", "name": f"İnce  Uyku Tulumu {i} 😀", "price": str(Decimal(100 + i * 37) / 10),
             "stock": i % 3, "category_id": category, "brand_id": brand if i % 2 else None, "line": i + 1}
            for i in range(40)]

    def apply(uow: Any) -> dict[str, Any]:
        result = catalogue_admin.upsert_rows(uow, tenant_id, rows, actor_id=None, dry_run=False)
        uow.commit()
        return result

    assert get_db().transaction(apply)["created"] == 40
    assert _flag(db) is None
    assert_all_exact(db, tenant_id)
    for row in rows:
        row["price"] = str(Decimal(row["price"]) + 1)
        row["stock"] = 5
    assert get_db().transaction(apply)["updated"] == 40
    assert_all_exact(db, tenant_id)


def test_the_migration_wraps_every_guarded_trigger_and_its_downgrade_unwraps_them():
    module = migration_files.load("0025_bulk_created_products.py")
    with migration_files.scratch_shop(f"t0025_{random.randrange(10**9)}", "0025") as (url, cur, *_):
        from alembic import command

        from infra.migrations.runner import alembic_config

        def bodies() -> dict[str, str]:
            cur.execute("SELECT trigger_name, action_statement FROM information_schema.triggers"
                        " WHERE trigger_schema = DATABASE()")
            return {str(n): str(b) for n, b in cur.fetchall()}

        guarded = {name for _, name in module.GUARDED}
        wrapped = bodies()
        assert {n for n, b in wrapped.items() if derived_rows.FLAG in b} == guarded
        cur.execute("SELECT event_object_table, event_manipulation, trigger_name FROM information_schema.triggers"
                    " WHERE trigger_schema = DATABASE() AND action_timing = 'AFTER'"
                    " ORDER BY event_object_table, event_manipulation, action_order")
        order = [n for t, e, n in cur.fetchall() if t == "products" and e in ("INSERT", "UPDATE")]
        assert order == [name for _, name in module.GUARDED[:8]]  # firing order kept
        command.downgrade(alembic_config(url), "0024")
        assert not any(derived_rows.FLAG in b for b in bodies().values())
        assert set(bodies()) == set(wrapped)
