"""Tables kept by triggers (product_facet_counts, migration 0020) across backups: a whole backup comes
back with its triggers, so the restored database keeps counting; a shop's export leaves the derived
table out, and its restore into a migrated database rebuilds it through that database's triggers
(loading it as well would count every product twice)."""
from __future__ import annotations

from typing import Any

from chalicelib.backups import repository, restore, service
from infra.migrations.runner import upgrade_to_head
from tests.conftest import MYSQL_URL

COUNTS = ("SELECT category_id, brand_id, facet_bucket, in_stock, products FROM product_facet_counts "
          "WHERE tenant_id = %s AND products <> 0 ORDER BY 1, 2, 3, 4")
GROUPED = ("SELECT category_id, COALESCE(brand_id, 0), facet_bucket, in_stock, COUNT(*) FROM products "
           "WHERE tenant_id = %s AND status = 'active' GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4")


def _all(db_name: str | None, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = repository.connect(repository.live_target(), db_name)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return list(cur.fetchall())
    finally:
        conn.close()


def test_a_whole_restore_brings_the_triggers_back(shops, scratch_db):
    status = service.run(service.MANUAL, with_media=False)
    manifest = service.manifest_of(status["id"])
    assert len(manifest["triggers"]) >= 3 and not any("DEFINER" in t for t in manifest["triggers"])
    restore.restore_database(manifest, scratch_db)
    live = _all(None, COUNTS, shops.a.id)
    assert live and _all(scratch_db, COUNTS, shops.a.id) == live == _all(None, GROUPED, shops.a.id)
    # The restored database keeps counting: a product archived there leaves its cell.
    conn = repository.connect(repository.live_target(), scratch_db)
    try:
        with conn.cursor() as cur:
            cur.execute("UPDATE products SET status = 'archived' WHERE tenant_id = %s ORDER BY id LIMIT 1",
                        (shops.a.id,))
        conn.commit()
    finally:
        conn.close()
    assert _all(scratch_db, COUNTS, shops.a.id) == _all(scratch_db, GROUPED, shops.a.id) != live


def test_a_shops_export_leaves_the_counts_out_and_its_restore_rebuilds_them(shops, scratch_db):
    status = service.run(service.TENANT, tenant_id=shops.a.id)
    manifest = service.manifest_of(status["id"], shops.a.id)
    assert "product_facet_counts" not in {t["name"] for t in manifest["tables"]} and manifest["triggers"] == []
    upgrade_to_head(f"{MYSQL_URL}/{scratch_db}")  # a migrated database: its triggers fire on the restored rows
    restore.restore_tenant(manifest, scratch_db)
    live = _all(None, COUNTS, shops.a.id)
    assert live and _all(scratch_db, COUNTS, shops.a.id) == live
