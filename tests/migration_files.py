"""A migration module loaded from its file, for tests that check its constants or run its SQL
(a trigger list, a REBUILD fill, frozen bounds): migrations are not a package to import.  And a
scratch database at an older revision, for a migration's fill and downgrade."""
from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pymysql

VERSIONS = Path(__file__).resolve().parents[1] / "infra/migrations/versions"


def load(filename: str) -> ModuleType:
    """e.g. load("0024_search_words.py")."""
    spec = importlib.util.spec_from_file_location(f"migration_{filename.split('_', 1)[0]}", VERSIONS / filename)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def scratch_shop(name: str, revision: str) -> Iterator[tuple[str, Any, int, int, int]]:
    """A database of its own (`name`, unique per test process) migrated up to `revision`, with a
    tenant, a category and a brand in it, for a migration's fill and downgrade to be tested on
    rows written before it: yields (its URL, an autocommit cursor on it, tenant id, category id,
    brand id), and drops it after."""
    from alembic import command

    from infra.migrations.runner import alembic_config, connect_args
    from tests.conftest import MYSQL_URL

    scratch = f"{MYSQL_URL}/{name}"
    args, _ = connect_args(scratch)
    server = pymysql.connect(autocommit=True, **args)
    try:
        with server.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            command.upgrade(alembic_config(scratch), revision)
            cur.execute(f"USE `{name}`")
            cur.execute("INSERT INTO tenants (slug, name) VALUES ('m', 'M')")
            tenant = cur.lastrowid
            cur.execute("INSERT INTO categories (tenant_id, name, slug, path) VALUES (%s, 'K', 'k', '/')", (tenant,))
            category = cur.lastrowid
            cur.execute("INSERT INTO brands (tenant_id, name, slug) VALUES (%s, 'B', 'b')", (tenant,))
            yield scratch, cur, tenant, category, cur.lastrowid
    finally:
        with server.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        server.close()
