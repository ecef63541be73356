"""Alembic environment: explicit DDL migrations, no model metadata, no autogenerate.

The database URL comes, in order, from: the caller (runner.upgrade_to_head passes it in
`config.attributes["database_url"]`), `-x database_url=...` on the command line, the
DATABASE_URL environment variable, and finally mysql://root@127.0.0.1:3306/huglu.
"""
from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool

try:
    from infra.migrations.runner import database_url_from_env, ensure_database, to_sqlalchemy_url
except ImportError:  # run with an unusual sys.path: load the helper module beside this file
    import importlib.util
    from pathlib import Path

    _spec = importlib.util.spec_from_file_location(
        "huglu_migrations_runner", Path(__file__).with_name("runner.py")
    )
    assert _spec is not None and _spec.loader is not None
    _runner = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_runner)
    database_url_from_env = _runner.database_url_from_env
    ensure_database = _runner.ensure_database
    to_sqlalchemy_url = _runner.to_sqlalchemy_url

config = context.config

if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _database_url() -> str:
    return (
        config.attributes.get("database_url")
        or context.get_x_argument(as_dictionary=True).get("database_url")
        or database_url_from_env()
    )


def run_migrations_offline() -> None:
    """`alembic upgrade head --sql`: print the DDL instead of running it."""
    context.configure(
        url=to_sqlalchemy_url(_database_url()),
        target_metadata=None,
        literal_binds=True,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = _database_url()
    ensure_database(url)
    engine = create_engine(to_sqlalchemy_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            # MySQL commits DDL implicitly; one transaction per revision keeps the version
            # row in step with the revision that just ran.
            context.configure(
                connection=connection, target_metadata=None, transaction_per_migration=True
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
