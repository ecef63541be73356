"""SQL of the backups: the schema read from information_schema, rows streamed in primary-key order,
rows inserted in batches into a restore target.

Unlike every other area this one reads and writes every table, by names it learns from the server
(tables.WHOLE_DATABASE declares it), and it does so over connections of its own rather than the
app's cached one: a backup needs one REPEATABLE READ snapshot and an unbuffered cursor, a restore a
session with foreign-key checks off, and neither may leak into the request connection.
Identifiers are checked against IDENT before they are quoted, because a manifest read back from S3
names them.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pymysql
import pymysql.cursors

from chalicelib.platform.config import DbTarget, settings

IDENT = re.compile(r"^[A-Za-z0-9_]{1,64}$")
INSERT_BATCH = 500


def quote(name: str) -> str:
    if not IDENT.match(name):
        raise ValueError(f"not a plain identifier: {name!r}")
    return f"`{name}`"


@dataclass(frozen=True)
class TableShape:
    name: str
    columns: tuple[str, ...]  # stored columns only: generated ones are recomputed by the server
    primary_key: tuple[str, ...]


def live_target() -> DbTarget:
    return DbTarget.parse(settings().database_url)


def connect(target: DbTarget, database: str | None = None, *, timeout: int = 600) -> pymysql.connections.Connection:
    """A connection of the backups' own, rows as tuples, UTC for TIMESTAMP columns."""
    return pymysql.connect(
        host=target.host, port=target.port, user=target.user, password=target.password,
        database=database if database is not None else (target.database or None), charset="utf8mb4",
        collation="utf8mb4_unicode_ci", cursorclass=pymysql.cursors.Cursor, autocommit=True,
        connect_timeout=10, read_timeout=timeout, write_timeout=timeout,
        init_command="SET time_zone = '+00:00'",
    )


def _all(conn: pymysql.connections.Connection, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return list(cur.fetchall())


def _run(conn: pymysql.connections.Connection, sql: str, params: Any = None) -> None:
    with conn.cursor() as cur:
        cur.execute(sql, params)


def current_database(conn: pymysql.connections.Connection) -> str:
    return str(_all(conn, "SELECT DATABASE()")[0][0])


def begin_snapshot(conn: pymysql.connections.Connection) -> None:
    """One consistent view of every InnoDB table for the rest of this transaction."""
    _run(conn, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    _run(conn, "START TRANSACTION WITH CONSISTENT SNAPSHOT")


def base_tables(conn: pymysql.connections.Connection) -> list[str]:
    rows = _all(conn, "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() "
                      "AND table_type = 'BASE TABLE' ORDER BY table_name")
    return [str(r[0]) for r in rows]


def table_shape(conn: pymysql.connections.Connection, table: str) -> TableShape:
    columns = _all(conn, "SELECT column_name FROM information_schema.columns WHERE table_schema = DATABASE() "
                         "AND table_name = %s AND extra NOT LIKE %s AND extra NOT LIKE %s ORDER BY ordinal_position",
                   (table, "%GENERATED%", "%PERSISTENT%"))
    key = _all(conn, "SELECT column_name FROM information_schema.statistics WHERE table_schema = DATABASE() "
                     "AND table_name = %s AND index_name = 'PRIMARY' ORDER BY seq_in_index", (table,))
    names = tuple(str(c[0]) for c in columns)
    return TableShape(table, names, tuple(str(k[0]) for k in key) or names)


def create_statement(conn: pymysql.connections.Connection, table: str) -> str:
    return str(_all(conn, f"SHOW CREATE TABLE {quote(table)}")[0][1])


# A table whose comment starts so is derived from others by triggers (product_facet_counts,
# migration 0020): not the shop's data, and a restore into a migrated database rebuilds it as the
# rows it derives from go in - loading it as well would count them twice.
DERIVED_COMMENT = "Derived"


def tenant_tables(conn: pymysql.connections.Connection) -> list[str]:
    """Every table with a tenant_id column but the derived ones: what one tenant's export holds
    (besides its tenants row)."""
    rows = _all(conn, "SELECT table_name FROM information_schema.columns c WHERE table_schema = DATABASE() "
                      "AND column_name = 'tenant_id' AND EXISTS (SELECT 1 FROM information_schema.tables t "
                      "WHERE t.table_schema = c.table_schema AND t.table_name = c.table_name "
                      "AND t.table_type = 'BASE TABLE' AND t.table_comment NOT LIKE %s) ORDER BY table_name",
                (DERIVED_COMMENT + "%",))
    return [str(r[0]) for r in rows]


def trigger_statements(conn: pymysql.connections.Connection) -> list[str]:
    """CREATE TRIGGER of every trigger of the database, without its DEFINER (the restoring user
    becomes it: the account that made the backup need not exist where it is restored)."""
    names = _all(conn, "SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = DATABASE() "
                       "ORDER BY event_object_table, action_timing, event_manipulation, action_order")
    statements = []
    for (name,) in names:
        statement = str(_all(conn, f"SHOW CREATE TRIGGER {quote(str(name))}")[0][2])
        statements.append(re.sub(r"^CREATE\s+DEFINER\s*=\s*\S+\s+", "CREATE ", statement))
    return statements


def alembic_revision(conn: pymysql.connections.Connection) -> str | None:
    if "alembic_version" not in base_tables(conn):
        return None
    rows = _all(conn, "SELECT version_num FROM alembic_version")
    return str(rows[0][0]) if rows else None


def tenant_row(conn: pymysql.connections.Connection, ref: str) -> tuple[int, str] | None:
    """(id, slug) of a tenant named by id or slug."""
    rows = _all(conn, "SELECT id, slug FROM tenants WHERE slug = %s OR id = %s",
                (ref, int(ref) if ref.isdigit() else -1))
    return (int(rows[0][0]), str(rows[0][1])) if rows else None


def stream_rows(conn: pymysql.connections.Connection, shape: TableShape, where: tuple[str, Any] | None = None,
                ) -> Iterator[tuple[Any, ...]]:
    """The table's rows in primary-key order through an unbuffered cursor: the server sends them as
    they are read, so memory holds one row at a time, not the table.  `where` is ("col", value)."""
    columns = ", ".join(quote(c) for c in shape.columns)
    order = ", ".join(quote(c) for c in shape.primary_key)
    sql = f"SELECT {columns} FROM {quote(shape.name)}"
    params: tuple[Any, ...] = ()
    if where is not None:
        sql += f" WHERE {quote(where[0])} = %s"
        params = (where[1],)
    with conn.cursor(pymysql.cursors.SSCursor) as cur:
        cur.execute(f"{sql} ORDER BY {order}", params)
        yield from cur.fetchall_unbuffered()


def count_rows(conn: pymysql.connections.Connection, table: str) -> int:
    return int(_all(conn, f"SELECT COUNT(*) FROM {quote(table)}")[0][0])


# -- restore targets -------------------------------------------------------------------------------
def database_exists(conn: pymysql.connections.Connection, name: str) -> bool:
    return bool(_all(conn, "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", (name,)))


def create_database(conn: pymysql.connections.Connection, name: str) -> None:
    _run(conn, f"CREATE DATABASE {quote(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")


def drop_database(conn: pymysql.connections.Connection, name: str) -> None:
    _run(conn, f"DROP DATABASE IF EXISTS {quote(name)}")


def prepare_restore_session(conn: pymysql.connections.Connection) -> None:
    """Rows go in table by table, so references are checked by no one until all are in; ids
    (zero included) are kept as dumped."""
    _run(conn, "SET SESSION foreign_key_checks = 0")
    _run(conn, "SET SESSION unique_checks = 0")
    _run(conn, "SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_AUTO_VALUE_ON_ZERO')")


def run_ddl(conn: pymysql.connections.Connection, statement: str) -> None:
    _run(conn, statement)


def insert_rows(conn: pymysql.connections.Connection, table: str, columns: Sequence[str],
                rows: Iterable[Sequence[Any]]) -> int:
    """Batched multi-row INSERTs (pymysql folds executemany into INSERT ... VALUES (...), (...))."""
    names = ", ".join(quote(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})"
    done, batch = 0, []
    with conn.cursor() as cur:
        for row in rows:
            batch.append(tuple(row))
            if len(batch) >= INSERT_BATCH:
                cur.executemany(sql, batch)
                done, batch = done + len(batch), []
        if batch:
            cur.executemany(sql, batch)
            done += len(batch)
    return done


def tenant_present(conn: pymysql.connections.Connection, tenant_id: int) -> bool:
    return bool(_all(conn, "SELECT 1 FROM tenants WHERE id = %s", (tenant_id,)))
