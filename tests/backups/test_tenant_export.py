"""One tenant's export (KVKK data portability) restores alone into an empty database: exactly that
tenant's rows of every tenant table plus its tenants row, ids kept, nothing of any other tenant."""
from __future__ import annotations

import pytest

from chalicelib.backups import repository, restore, service


def _rows(db_name: str | None, table: dict, tenant_id: int) -> list[tuple]:
    conn = repository.connect(repository.live_target(), db_name)
    try:
        shape = repository.TableShape(table["name"], tuple(table["columns"]), tuple(table["primary_key"]))
        return list(repository.stream_rows(conn, shape, ("id" if table["name"] == "tenants" else "tenant_id", tenant_id)))
    finally:
        conn.close()


def test_tenant_export_restores_alone_into_an_empty_database(shops, scratch_db):
    status = service.run(service.TENANT, tenant_id=shops.a.id)
    assert status["status"] == "succeeded" and status["tenant_slug"] == shops.a.slug
    manifest = service.manifest_of(status["id"], shops.a.id)
    assert manifest["tenant"] == {"id": shops.a.id, "slug": shops.a.slug}
    conn = repository.connect(repository.live_target())
    try:
        tenant_tables = set(repository.tenant_tables(conn))
    finally:
        conn.close()
    assert {t["name"] for t in manifest["tables"]} == tenant_tables | {"tenants"}

    outcome = restore.restore_tenant(manifest, scratch_db)
    assert outcome.rows == status["rows"] > 5
    nonempty = 0
    for table in manifest["tables"]:
        mine = _rows(None, table, shops.a.id)
        assert _rows(scratch_db, table, shops.a.id) == mine, table["name"]
        nonempty += bool(mine)
    assert nonempty >= 6  # tenants, api_keys, users, roles, products, variations, ... really compared
    conn = repository.connect(repository.live_target(), scratch_db)
    try:
        for table in manifest["tables"]:  # nothing of B, nor of any other tenant of the test database
            key = "id" if table["name"] == "tenants" else "tenant_id"
            with conn.cursor() as cur:
                cur.execute(f"SELECT COUNT(*) FROM `{table['name']}` WHERE `{key}` <> %s", (shops.a.id,))
                assert cur.fetchone()[0] == 0, table["name"]
        check = restore.Outcome()
        restore.compare(conn, manifest, check)
        assert check.ok, check.mismatches
    finally:
        conn.close()

    with pytest.raises(restore.RestoreError, match="already"):  # twice: the tenant is there
        restore.restore_tenant(manifest, scratch_db)
    # B's export goes into the same database beside A (a database without that tenant)
    other = service.run(service.TENANT, tenant_id=shops.b.id)
    restore.restore_tenant(service.manifest_of(other["id"], shops.b.id), scratch_db)
    users = next(t for t in manifest["tables"] if t["name"] == "users")
    assert _rows(scratch_db, users, shops.b.id) == _rows(None, users, shops.b.id)
    assert _rows(scratch_db, users, shops.a.id) == _rows(None, users, shops.a.id)


def test_a_clash_rolls_the_whole_tenant_restore_back(shops, scratch_db):
    status = service.run(service.TENANT, tenant_id=shops.a.id)
    manifest = service.manifest_of(status["id"], shops.a.id)
    restore.restore_tenant(manifest, scratch_db)
    conn = repository.connect(repository.live_target(), scratch_db)
    try:
        with conn.cursor() as cur:  # the tenants row goes, its users stay: their ids now clash
            cur.execute("SET SESSION foreign_key_checks = 0")
            cur.execute("DELETE FROM tenants WHERE id = %s", (shops.a.id,))
            cur.execute("DELETE FROM products WHERE tenant_id = %s", (shops.a.id,))
        with pytest.raises(restore.RestoreError):
            restore.restore_tenant(manifest, scratch_db)
        with conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM tenants WHERE id = %s", (shops.a.id,))
            assert cur.fetchone()[0] == 0  # nothing of the failed attempt stayed
            cur.execute("SELECT COUNT(*) FROM products WHERE tenant_id = %s", (shops.a.id,))
            assert cur.fetchone()[0] == 0
    finally:
        conn.close()
