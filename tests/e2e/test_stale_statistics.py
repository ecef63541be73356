"""Attribute probes keep their plan when the server's statistics of the table are stale.

MariaDB keeps a table's index statistics (rows per key prefix) with the table while it stays
open.  A table opened while empty and then filled - a fresh install's first catalogue, a bulk
seed, a migration's backfill - keeps "one row per prefix" until it is reopened or analysed: the
bench saw it for ten minutes after a seed.  With those figures MariaDB probed
product_attribute_values per candidate by (tenant, attribute key) alone - every row of the
attribute, each time: two colours under a root by price took 9-13 s at 100,000 products instead
of 11 ms.  The probes name ix_product (listing_repository._attribute), so the plan does not hang
on the statistics.

Here a scratch database holds copies of the catalogue tables, opened empty and then filled, which
gives exactly that state (the control statement, without the hint, shows it), and every probe
form of the listing and the facet cube is explained there.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pymysql
import pytest

from chalicelib.catalog import listing_repository as sql
from chalicelib.platform.db import get_db
from infra.migrations.runner import connect_args
from tests.conftest import make_tenant
from tests.e2e import catalog_scale_kit as kit

TABLES = ("products", "product_variations", "product_attribute_values")


@pytest.fixture(scope="module")
def stale(database: str) -> Iterator[dict[str, Any]]:
    db = get_db()
    tenant = make_tenant()
    kit.seed(db, tenant.id, 400, 23)
    args, source = connect_args(database)
    scratch = f"huglu_stale_{uuid.uuid4().hex[:10]}"
    conn = pymysql.connect(autocommit=True, cursorclass=pymysql.cursors.DictCursor, **args)
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{scratch}`")
            cur.execute(f"USE `{scratch}`")
            for table in TABLES:
                cur.execute(f"CREATE TABLE {table} LIKE `{source}`.{table}")  # no triggers, no foreign keys
                cur.execute(f"SELECT COUNT(*) FROM {table}")  # opened empty: its statistics say so
            for table in TABLES:
                cur.execute("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s"
                            " AND TABLE_NAME = %s AND GENERATION_EXPRESSION IS NULL ORDER BY ORDINAL_POSITION",
                            (source, table))
                columns = ", ".join(f"`{r['COLUMN_NAME']}`" for r in cur.fetchall())
                cur.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM `{source}`.{table}"
                            f" WHERE tenant_id = %s", (tenant.id,))
            cur.execute("SELECT attr_key, attr_value, COUNT(*) AS n FROM product_attribute_values"
                        " WHERE tenant_id = %s GROUP BY attr_key, attr_value ORDER BY n DESC, attr_key, attr_value",
                        (tenant.id,))
            held = [(r["attr_key"], r["attr_value"]) for r in cur.fetchall()]
        first_key = next(k for k, _v in held if sum(1 for other, _ in held if other == k) >= 2)
        two_values = tuple(v for k, v in held if k == first_key)[:2]
        other = next((k, v) for k, v in held if k != first_key)
        yield {"conn": conn, "tenant_id": tenant.id, "two": (first_key, two_values), "other": (other[0], (other[1],))}
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{scratch}`")
        conn.close()


def _problems(stale: dict[str, Any], statement: str, params: list[Any]) -> list[str]:
    with stale["conn"].cursor() as cur:
        cur.execute("EXPLAIN " + statement, params)
        rows = cur.fetchall()
    return kit.probes_by_key(list(rows), kit.aliases(statement))  # explain's rule, on this database


def _merged_part(stale: dict[str, Any]) -> tuple[str, list[Any]]:
    key, values = stale["two"]
    f = sql.Filters(stale["tenant_id"], attributes=((key, values),))
    where_sql, params = sql.where(f, probes=True)  # as each part of a merged page, and the text walk
    return f"SELECT p.id FROM products p WHERE {where_sql} ORDER BY p.base_price DESC, p.id DESC LIMIT 25", params


def test_the_scratch_tables_have_stale_statistics(stale: dict[str, Any]):
    statement, params = _merged_part(stale)
    unhinted = statement.replace(" FORCE INDEX (ix_product)", "")
    assert unhinted != statement
    assert _problems(stale, unhinted, params), "the control probe kept its plan: the stale state was not built"


def test_a_merged_parts_probe_names_the_product(stale: dict[str, Any]):
    statement, params = _merged_part(stale)
    assert not _problems(stale, statement, params)


def test_the_facet_cubes_probes_name_the_product(stale: dict[str, Any]):
    """The cube's statement as it runs (recorded against the test database, explained in the
    scratch one): inside its derived table the other filters' checks stay per-row subqueries."""
    f = sql.Filters(stale["tenant_id"], attributes=(stale["other"], stale["two"]))
    for driver in (0, 1):
        with kit.recorded() as statements:
            sql.facet_cube_attributes(get_db().session(), f, driver)
        assert len(statements) == 1
        assert not _problems(stale, *statements[0]), driver
