"""Run the Alembic migrations from code: tests, `make` targets and the migration Lambda.

    from infra.migrations.runner import upgrade_to_head
    upgrade_to_head("mysql://root@127.0.0.1:3306/huglu")

The URL is the application's own form (`mysql://user:pass@host:port/db`, as in DATABASE_URL);
it is turned into SQLAlchemy's `mysql+pymysql://...?charset=utf8mb4` here, and env.py uses the
same helpers when run through the alembic CLI.  A database that does not exist yet is created
(utf8mb4, utf8mb4_unicode_ci); an existing one is never touched beyond the migrations.

This module imports alembic and SQLAlchemy lazily: the application never imports it at run
time, and `to_sqlalchemy_url` / `ensure_database` stay cheap to call.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

if TYPE_CHECKING:
    from alembic.config import Config

DEFAULT_DATABASE_URL = "mysql://root@127.0.0.1:3306/huglu"
MIGRATIONS_DIR = Path(__file__).resolve().parent

_MYSQL_SCHEMES = {"mysql", "mysql+pymysql", "mariadb", "mariadb+pymysql"}
_UNKNOWN_DATABASE = 1049


def database_url_from_env() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def to_sqlalchemy_url(url: str) -> str:
    """`mysql://u:p@h:3306/db` → `mysql+pymysql://u:p@h:3306/db?charset=utf8mb4`.

    Other query parameters are kept; an explicit charset is respected.
    """
    parts = urlsplit(url)
    if parts.scheme not in _MYSQL_SCHEMES:
        raise ValueError(f"unsupported database URL scheme {parts.scheme!r}; expected mysql://")
    if not parts.path.strip("/"):
        raise ValueError("database URL must name a database, e.g. mysql://root@127.0.0.1/huglu")
    query = parse_qsl(parts.query, keep_blank_values=True)
    if not any(key == "charset" for key, _ in query):
        query.append(("charset", "utf8mb4"))
    return urlunsplit(("mysql+pymysql", parts.netloc, parts.path, urlencode(query), ""))


def connect_args(url: str) -> tuple[dict[str, Any], str]:
    """pymysql.connect keyword arguments (without the database) and the database name."""
    parts = urlsplit(url)
    args: dict[str, Any] = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 3306,
        "user": unquote(parts.username or "root"),
        "password": unquote(parts.password or ""),
        "charset": "utf8mb4",
    }
    return args, unquote(parts.path.strip("/"))


def ensure_database(url: str) -> bool:
    """Create the URL's database if it does not exist yet.  Returns True when it was created.

    Only an "unknown database" error triggers CREATE DATABASE, so a migration user without
    CREATE privilege on an existing production database is never asked for it.
    """
    import pymysql

    args, name = connect_args(url)
    try:
        pymysql.connect(database=name, **args).close()
        return False
    except pymysql.err.OperationalError as exc:
        if exc.args[0] != _UNKNOWN_DATABASE:
            raise
    quoted = "`" + name.replace("`", "``") + "`"
    conn = pymysql.connect(**args)
    try:
        with conn.cursor() as cur:
            cur.execute(
                f"CREATE DATABASE IF NOT EXISTS {quoted} "
                "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            )
    finally:
        conn.close()
    return True


def alembic_config(database_url: str | None = None) -> Config:
    """An Alembic Config that needs no ini file: script_location is this package's directory."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Passed through attributes rather than the ini options: ConfigParser would treat any '%'
    # in a URL-encoded password as interpolation syntax.
    config.attributes["database_url"] = database_url or database_url_from_env()
    # Leave the caller's logging alone (env.py only applies the ini's logging for the CLI).
    config.attributes["configure_logger"] = False
    return config


def upgrade_to_head(database_url: str | None = None) -> None:
    """Bring the database (DATABASE_URL when not given) up to the newest revision."""
    from alembic import command

    command.upgrade(alembic_config(database_url), "head")


def downgrade_to_base(database_url: str | None = None) -> None:
    """Undo every migration: drops every table the migrations created."""
    from alembic import command

    command.downgrade(alembic_config(database_url), "base")


def current_revision(database_url: str | None = None) -> str | None:
    """The revision the database is at (None for an empty database)."""
    import pymysql

    args, name = connect_args(database_url or database_url_from_env())
    conn = pymysql.connect(database=name, **args)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT COUNT(*) FROM information_schema.TABLES "
                "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'alembic_version'"
            )
            if cur.fetchone()[0] == 0:
                return None
            cur.execute("SELECT version_num FROM alembic_version")
            row = cur.fetchone()
            return row[0] if row else None
    finally:
        conn.close()


if __name__ == "__main__":  # python -m infra.migrations.runner [downgrade]
    import sys

    if sys.argv[1:2] == ["downgrade"]:
        downgrade_to_base()
    else:
        upgrade_to_head()
    print(current_revision())
