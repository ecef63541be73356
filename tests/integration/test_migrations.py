"""The Alembic schema on a real MariaDB/MySQL server: shape, tenancy rules, constraints, and a
clean upgrade/downgrade through both the runner and the alembic CLI.

Each test module works in scratch databases of its own (suffixed with the xdist worker id when
run in parallel) and drops them afterwards.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pymysql
import pymysql.cursors
import pytest

from infra.migrations.runner import (
    DEFAULT_DATABASE_URL,
    alembic_config,
    connect_args,
    current_revision,
    downgrade_to_base,
    to_sqlalchemy_url,
    upgrade_to_head,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")

EXPECTED_TABLES = {
    # tenancy & platform
    "tenants", "tenant_cors_origins", "api_keys", "idempotency_keys", "outbox_events",
    "admin_logs",
    # identity & access
    "user_levels", "users", "roles", "role_permissions", "user_roles", "refresh_tokens",
    "user_tokens", "user_devices", "addresses",
    # accounts security (0002)
    "user_recovery_codes", "biometric_keys",
    # catalogue & engagement
    "categories", "brands", "products", "product_variations", "product_images",
    "stock_movements", "price_history", "reviews", "favorites", "back_in_stock_subscriptions",
    # campaigns
    "campaigns", "coupons", "flash_deals", "discount_wheel_spins",
    # cart, orders, payments, invoices, shipping
    "carts", "cart_items", "orders", "order_items", "order_status_history", "returns",
    "return_items", "payments", "payment_refunds", "invoice_sequences", "invoices",
    "shipments", "shipment_events",
    # wallet & referrals
    "wallets", "wallet_journals", "wallet_ledger_entries", "wallet_topup_requests",
    "wallet_withdrawal_requests", "wallet_transfers", "gift_cards", "referrals",
    "wallet_accounts", "wallet_holds",  # the ledger's balance rows and holds (0010)
    "wallet_bonus_grants",  # HPay bonus grants (0011)
    # the payments area (0012)
    "payment_attempts", "payment_attempt_items", "payment_cards", "payment_webhook_events", "payment_tasks",
    "feed_sources", "feed_runs", "feed_run_batches", "feed_run_errors",  # XML feed sync (0013)
    "ml_anomalies",  # the ML service's flagged cases for staff review (0017)
    "product_facet_counts",  # active products per facet cell, kept by triggers on products (0020)
    "product_attribute_values",  # attribute and option values per product, kept by triggers (0021)
    "product_attribute_facet_counts",  # active products per attribute value and facet cell (0023)
    "product_search_words",  # the words of each product's search text, kept by triggers (0024)
    # campaigns, loyalty, referrals, content (0018)
    "coupon_batches", "campaign_customer_uses", "campaign_redemptions", "cart_coupons", "wheel_prizes",
    "campaign_sends", "campaign_send_recipients", "loyalty_members", "loyalty_points", "referral_codes",
    "story_views", "popup_impressions",
    # notification channels (0015)
    "push_devices", "notification_preferences", "marketing_consents", "notification_deliveries", "push_tickets",
    "referral_earnings",
    # custom production, dealership, support, notifications
    "custom_production_requests", "custom_production_messages", "dealership_applications",
    "chat_sessions", "chat_messages", "faqs", "stores", "notifications",
    # analytics, integrations, content
    "user_events", "user_data", "user_specific_data", "integrations", "integration_sync_runs",
    "stories", "sliders", "popups",
}
NOT_TENANT_OWNED = {"tenants", "alembic_version"}

# The only indexes on tenant-owned tables that do not start with tenant_id, each commented in
# the migration.
GLOBAL_INDEXES = {
    ("tenant_cors_origins", "ix_origin"),  # CORS preflight has no API key
    ("api_keys", "ux_key_hash"),  # an API key resolves its tenant
    ("idempotency_keys", "ix_expires"),  # purge job over all tenants
    ("outbox_events", "ix_dispatch"),  # outbox relay over all tenants
    ("products", "ft_search"),  # FULLTEXT cannot lead with tenant_id
    ("products", "ft_terms"),  # FULLTEXT again: each indexed word carries its tenant instead (0005)
    ("orders", "ix_expiry"),  # reservation sweeper over all tenants (0006)
    ("wallet_holds", "ix_expiry"),  # hold sweeper over all tenants (0010)
    ("wallet_bonus_grants", "ix_expiry"),  # bonus expiry sweep over all tenants (0011)
    ("payment_attempts", "ix_sweep"),  # awaiting bank transfers swept over all tenants (0012)
    ("notification_deliveries", "ix_due"),  # deferred deliveries re-queued over all tenants (0015)
    ("push_tickets", "ix_pending"),  # push receipts read over all tenants (0015)
    ("feed_sources", "ix_due"),  # the feed dispatcher reads due sources of all tenants (0013)
}

MONEY_NAME = re.compile(
    r"(^|_)(price|amount|balance|budget|cost|subtotal|spent)(_|$)|(^|_)total$"
    r"|^discount_value$|_monthly_volume$"
)


# -- helpers ------------------------------------------------------------------------------------
def _server_url() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def _scratch_url(name: str) -> str:
    parts = urlsplit(_server_url())
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def _scratch_name(base: str) -> str:
    # The process id keeps concurrent test sessions on one server apart (a shared name made
    # their DROP DATABASEs wait on each other's metadata locks).
    return f"{base}_{os.getpid()}"


def _server_conn() -> pymysql.connections.Connection:
    args, _ = connect_args(_server_url())
    return pymysql.connect(autocommit=True, **args)


def _drop(name: str) -> None:
    conn = _server_conn()
    try:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        conn.close()


def _connect(url: str) -> pymysql.connections.Connection:
    args, name = connect_args(url)
    return pymysql.connect(database=name, cursorclass=pymysql.cursors.DictCursor, **args)


@contextmanager
def scratch_database(base: str, *, create: bool = True) -> Iterator[str]:
    name = _scratch_name(base)
    _drop(name)
    if create:
        conn = _server_conn()
        with conn.cursor() as cur:
            cur.execute(
                f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            )
        conn.close()
    try:
        yield _scratch_url(name)
    finally:
        _drop(name)


def _tables(conn: pymysql.connections.Connection) -> set[str]:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT TABLE_NAME AS t FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'"
        )
        return {row["t"] for row in cur.fetchall()}


def _rows(conn: pymysql.connections.Connection, sql: str, args: tuple = ()) -> list[dict]:
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return list(cur.fetchall())


def _default(value: str | None) -> str | None:
    """MariaDB quotes string defaults in information_schema ('active'); MySQL does not."""
    if value is None or value == "NULL":
        return None
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == "'" else value


# -- fixtures -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def db() -> Iterator[pymysql.connections.Connection]:
    """A scratch database upgraded to head through the runner."""
    with scratch_database("huglu_mig_test") as url:
        upgrade_to_head(url)
        conn = _connect(url)
        try:
            yield conn
        finally:
            conn.close()


@pytest.fixture(scope="module")
def columns(db) -> dict[tuple[str, str], dict]:
    rows = _rows(
        db,
        "SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, "
        "COLUMN_DEFAULT, NUMERIC_PRECISION, NUMERIC_SCALE, COLLATION_NAME, EXTRA "
        "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()",
    )
    return {(r["TABLE_NAME"], r["COLUMN_NAME"]): r for r in rows}


@pytest.fixture(scope="module")
def indexes(db) -> dict[tuple[str, str], dict]:
    """{(table, index): {"columns": [...], "unique": bool, "type": str}}"""
    result: dict[tuple[str, str], dict] = {}
    rows = _rows(
        db,
        "SELECT TABLE_NAME, INDEX_NAME, COLUMN_NAME, NON_UNIQUE, INDEX_TYPE "
        "FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() "
        "ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
    )
    for r in rows:
        entry = result.setdefault(
            (r["TABLE_NAME"], r["INDEX_NAME"]),
            {"columns": [], "unique": not int(r["NON_UNIQUE"]), "type": r["INDEX_TYPE"]},
        )
        entry["columns"].append(r["COLUMN_NAME"])
    return result


@pytest.fixture(scope="module")
def foreign_keys(db) -> dict[tuple[str, str], dict]:
    """{(table, constraint): {"columns": [...], "ref_table": str, "ref_columns": [...]}}"""
    result: dict[tuple[str, str], dict] = {}
    rows = _rows(
        db,
        "SELECT TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, "
        "REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE "
        "WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL "
        "ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION",
    )
    for r in rows:
        entry = result.setdefault(
            (r["TABLE_NAME"], r["CONSTRAINT_NAME"]),
            {"columns": [], "ref_table": r["REFERENCED_TABLE_NAME"], "ref_columns": []},
        )
        entry["columns"].append(r["COLUMN_NAME"])
        entry["ref_columns"].append(r["REFERENCED_COLUMN_NAME"])
    return result


# -- URL handling (no database needed) ----------------------------------------------------------
def test_to_sqlalchemy_url_uses_pymysql_and_utf8mb4() -> None:
    assert to_sqlalchemy_url("mysql://root@127.0.0.1:3306/huglu") == (
        "mysql+pymysql://root@127.0.0.1:3306/huglu?charset=utf8mb4"
    )
    assert to_sqlalchemy_url("mysql+pymysql://u:p%40ss@db:3307/x?connect_timeout=5") == (
        "mysql+pymysql://u:p%40ss@db:3307/x?connect_timeout=5&charset=utf8mb4"
    )
    assert to_sqlalchemy_url("mysql://h/x?charset=utf8mb4") == "mysql+pymysql://h/x?charset=utf8mb4"
    with pytest.raises(ValueError):
        to_sqlalchemy_url("postgresql://h/x")
    with pytest.raises(ValueError):
        to_sqlalchemy_url("mysql://h:3306/")


# -- schema shape -------------------------------------------------------------------------------
def test_database_is_at_head(db) -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1, "migrations must form one line"
    head = script.get_current_head()
    assert _rows(db, "SELECT version_num FROM alembic_version") == [{"version_num": head}]


def test_every_expected_table_exists(db) -> None:
    tables = _tables(db) - {"alembic_version"}
    assert EXPECTED_TABLES - tables == set(), "missing tables"
    assert tables - EXPECTED_TABLES == set(), "tables this test does not know about"


def test_tables_are_innodb_utf8mb4_unicode(db) -> None:
    rows = _rows(
        db,
        "SELECT TABLE_NAME, ENGINE, TABLE_COLLATION FROM information_schema.TABLES "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME <> 'alembic_version'",
    )
    wrong = [(r["TABLE_NAME"], r["ENGINE"], r["TABLE_COLLATION"]) for r in rows
             if r["ENGINE"] != "InnoDB" or r["TABLE_COLLATION"] != "utf8mb4_unicode_ci"]
    assert wrong == []


def test_tenant_owned_tables_have_a_tenant_id_with_a_foreign_key(columns, foreign_keys) -> None:
    for table in EXPECTED_TABLES - NOT_TENANT_OWNED:
        column = columns.get((table, "tenant_id"))
        assert column is not None, f"{table} has no tenant_id"
        assert column["COLUMN_TYPE"] == "bigint(20) unsigned" or column["COLUMN_TYPE"] == (
            "bigint unsigned"
        ), table
        assert column["IS_NULLABLE"] == "NO", table
        to_tenants = [fk for (t, _), fk in foreign_keys.items()
                      if t == table and fk["ref_table"] == "tenants"]
        assert to_tenants == [
            {"columns": ["tenant_id"], "ref_table": "tenants", "ref_columns": ["id"]}
        ], table


def test_every_index_on_tenant_tables_starts_with_tenant_id(indexes) -> None:
    offenders = []
    for (table, name), index in indexes.items():
        if table in NOT_TENANT_OWNED or (table, name) in GLOBAL_INDEXES:
            continue
        if name == "PRIMARY" and index["columns"] == ["id"]:
            continue  # the surrogate row id; lookups by id always add tenant_id
        if index["columns"][0] != "tenant_id":
            offenders.append((table, name, index["columns"]))
    assert offenders == []
    # The documented exceptions are real (keeps the migration's comment list honest).
    assert GLOBAL_INDEXES <= set(indexes)
    assert indexes[("products", "ft_search")]["type"] == "FULLTEXT"
    assert indexes[("api_keys", "ux_key_hash")]["unique"]


def test_foreign_keys_between_tenant_tables_are_tenant_scoped(foreign_keys) -> None:
    scoped = 0
    for (table, name), fk in foreign_keys.items():
        if fk["ref_table"] == "tenants":
            continue
        assert fk["columns"][0] == "tenant_id" and fk["ref_columns"] == ["tenant_id", "id"], (
            table, name, fk)
        scoped += 1
    assert scoped > 50


def test_money_columns_are_decimal_and_nothing_is_float(columns) -> None:
    floats = [key for key, c in columns.items() if c["DATA_TYPE"] in ("float", "double", "real")]
    assert floats == []
    money = {key: c for key, c in columns.items()
             if MONEY_NAME.search(key[1]) and key[0] != "alembic_version"}
    assert len(money) >= 49  # every money column of the schema, see MONEY_NAME
    wrong = {key: c["COLUMN_TYPE"] for key, c in money.items()
             if c["DATA_TYPE"] != "decimal" or int(c["NUMERIC_SCALE"]) != 2}
    assert wrong == {}
    for key in [("products", "base_price"), ("products", "compare_at_price"),
                ("product_variations", "price"), ("orders", "grand_total"),
                ("orders", "subtotal"), ("order_items", "unit_price"),
                ("order_items", "line_total"), ("payments", "amount"),
                ("invoices", "vat_total"), ("coupons", "discount_value")]:
        assert columns[key]["COLUMN_TYPE"] == "decimal(14,2)", key
    for key in [("wallet_ledger_entries", "amount"), ("wallet_ledger_entries", "balance_after"),
                ("wallet_accounts", "balance"), ("wallet_holds", "amount")]:
        assert columns[key]["COLUMN_TYPE"] == "decimal(18,2)", key


def test_rates_and_currencies(columns) -> None:
    rates = {key: c["COLUMN_TYPE"] for key, c in columns.items() if key[1].endswith("_rate")}
    assert rates and set(rates.values()) == {"decimal(5,2)"}
    currencies = {key: c for key, c in columns.items() if key[1] == "currency"}
    assert len(currencies) > 15
    for key, c in currencies.items():
        assert c["COLUMN_TYPE"] == "char(3)" and _default(c["COLUMN_DEFAULT"]) == "TRY", key


def test_turkish_text_is_collated_the_turkish_way(columns) -> None:
    for key in [("products", "name"), ("products", "description"), ("products", "search_text"),
                ("categories", "name"), ("categories", "description"), ("brands", "name"),
                ("users", "first_name"), ("users", "last_name"), ("order_items", "name"),
                ("reviews", "body"), ("campaigns", "name"), ("addresses", "il")]:
        assert columns[key]["COLLATION_NAME"] == "utf8mb4_turkish_ci", key
    assert columns[("users", "email")]["COLLATION_NAME"] == "utf8mb4_bin"
    used = {c["COLLATION_NAME"] for c in columns.values() if c["COLLATION_NAME"]}
    assert not any("0900" in name for name in used)
    assert used <= {"utf8mb4_unicode_ci", "utf8mb4_turkish_ci", "utf8mb4_bin", "ascii_bin"}


def test_timestamps_have_microseconds_and_defaults(columns) -> None:
    for (table, name), c in columns.items():
        if name == "created_at":
            assert c["COLUMN_TYPE"] == "datetime(6)", table
            assert "current_timestamp" in (c["COLUMN_DEFAULT"] or "").lower(), table
        if name == "updated_at":
            assert "on update current_timestamp" in c["EXTRA"].lower(), table


CORE_COLUMNS = {
    # (table, column): (column type, nullable, default)
    ("tenants", "slug"): ("varchar(64)", "NO", None),
    ("tenants", "status"): ("enum('active','suspended')", "NO", "active"),
    ("tenants", "default_language"): ("char(2)", "NO", "tr"),
    ("tenants", "settings"): (None, "YES", None),
    ("tenant_cors_origins", "origin"): ("varchar(255)", "NO", None),
    ("api_keys", "key_prefix"): ("varchar(16)", "NO", None),
    ("api_keys", "key_hash"): ("char(64)", "NO", None),
    ("api_keys", "status"): ("enum('active','revoked')", "NO", "active"),
    ("users", "email"): ("varchar(254)", "YES", None),
    ("users", "phone_hash"): ("binary(32)", "YES", None),
    ("users", "phone_enc"): ("varbinary(512)", "YES", None),
    ("users", "password_hash"): ("varchar(100)", "YES", None),
    ("users", "status"): ("enum('active','disabled','deleted')", "NO", "active"),
    ("users", "language"): ("char(2)", "NO", "tr"),
    ("users", "referral_code"): ("varchar(16)", "YES", None),
    ("roles", "name"): ("varchar(50)", "NO", None),
    ("role_permissions", "permission"): ("varchar(100)", "NO", None),
    ("refresh_tokens", "family_id"): ("char(32)", "NO", None),
    ("refresh_tokens", "token_hash"): ("char(64)", "NO", None),
    ("refresh_tokens", "expires_at"): ("datetime(6)", "NO", None),
    ("admin_logs", "action"): ("varchar(100)", "NO", None),
    ("admin_logs", "entity_id"): ("varchar(64)", "YES", None),
    ("idempotency_keys", "idem_key"): ("varchar(128)", "NO", None),
    ("idempotency_keys", "request_hash"): ("char(64)", "NO", None),
    ("idempotency_keys", "response_body"): ("mediumtext", "YES", None),
    ("categories", "path"): ("varchar(500)", "NO", None),
    ("categories", "slug"): ("varchar(180)", "NO", None),
    ("products", "slug"): ("varchar(280)", "NO", None),
    ("products", "status"): ("enum('draft','active','archived')", "NO", "draft"),
    ("products", "vat_rate"): ("decimal(5,2)", "NO", "20.00"),
    ("products", "total_stock"): ("int(11)", "NO", "0"),
    ("products", "rating_avg"): ("decimal(3,2)", "NO", "0.00"),
    ("product_variations", "sku"): ("varchar(64)", "NO", None),
    ("product_variations", "barcode"): ("varchar(14)", "YES", None),
    ("product_variations", "stock"): ("int(11)", "NO", "0"),
    ("product_variations", "reserved"): ("int(11)", "NO", "0"),
    ("product_variations", "low_stock_threshold"): ("int(11)", "NO", "5"),
    ("product_variations", "version"): ("int(11)", "NO", "0"),
    ("product_images", "s3_key"): ("varchar(500)", "NO", None),
}


def test_core_columns_match_the_contract(columns) -> None:
    for key, (column_type, nullable, default) in CORE_COLUMNS.items():
        c = columns[key]
        if column_type is not None:
            # MySQL 8 drops integer display widths: int(11) there is int.
            assert c["COLUMN_TYPE"] in (column_type, column_type.replace("(11)", "")), key
        assert c["IS_NULLABLE"] == nullable, key
        actual = _default(c["COLUMN_DEFAULT"])
        assert actual == default, (key, actual)


CORE_KEYS = {
    ("tenants", "ux_slug"): ["slug"],
    ("tenant_cors_origins", "PRIMARY"): ["tenant_id", "origin"],
    ("tenant_cors_origins", "ix_origin"): ["origin"],
    ("api_keys", "ux_key_hash"): ["key_hash"],
    ("api_keys", "ix_status"): ["tenant_id", "status"],
    ("users", "ux_email"): ["tenant_id", "email"],
    ("users", "ux_phone_hash"): ["tenant_id", "phone_hash"],
    ("users", "ux_referral_code"): ["tenant_id", "referral_code"],
    ("roles", "ux_name"): ["tenant_id", "name"],
    ("role_permissions", "PRIMARY"): ["tenant_id", "role_id", "permission"],
    ("user_roles", "PRIMARY"): ["tenant_id", "user_id", "role_id"],
    ("refresh_tokens", "ux_token_hash"): ["tenant_id", "token_hash"],
    ("refresh_tokens", "ix_family"): ["tenant_id", "family_id"],
    ("admin_logs", "ix_created"): ["tenant_id", "created_at"],
    ("idempotency_keys", "PRIMARY"): ["tenant_id", "scope", "idem_key"],
    ("idempotency_keys", "ix_expires"): ["expires_at"],
    ("categories", "ux_slug"): ["tenant_id", "slug"],
    ("categories", "ix_path"): ["tenant_id", "path"],
    ("brands", "ux_slug"): ["tenant_id", "slug"],
    ("products", "ux_slug"): ["tenant_id", "slug"],
    ("products", "ix_status_category"): ["tenant_id", "status", "category_id"],
    ("products", "ix_status_price"): ["tenant_id", "status", "base_price", "id", "category_id", "brand_id",
                                      "in_stock", "created_at"],
    ("products", "ft_search"): ["search_text"],
    ("product_variations", "ux_sku"): ["tenant_id", "sku"],
    ("product_variations", "ux_barcode"): ["tenant_id", "barcode"],
    ("product_variations", "ux_nfc_tag"): ["tenant_id", "nfc_tag"],
    ("product_attribute_values", "PRIMARY"): ["tenant_id", "attr_key", "attr_value", "product_id"],  # 0021
    ("product_attribute_values", "ix_product"): ["tenant_id", "product_id"],
    ("product_attribute_values", "ix_cells"): ["tenant_id", "attr_key", "attr_value", "value_cut", "active",  # 0023
                                               "facet_bucket", "base_price", "category_id", "brand_id", "in_stock",
                                               "facet_band"],
    ("product_attribute_values", "ix_category"): ["tenant_id", "attr_key", "attr_value", "active", "category_id",
                                                  "brand_id", "in_stock", "base_price", "facet_band"],
    ("product_attribute_facet_counts", "PRIMARY"): ["tenant_id", "attr_key", "attr_value", "category_id", "brand_id",
                                                    "in_stock", "facet_band", "facet_bucket"],
    ("product_search_words", "PRIMARY"): ["tenant_id", "word", "product_id"],  # 0024
    ("product_search_words", "ix_product"): ["tenant_id", "product_id", "word"],
    ("product_images", "ix_product"): ["tenant_id", "product_id", "sort_order"],
    ("orders", "ux_order_number"): ["tenant_id", "order_number"],
    ("reviews", "ux_product_user"): ["tenant_id", "product_id", "user_id"],
    ("wallets", "ux_user"): ["tenant_id", "user_id"],
    ("coupons", "ux_code"): ["tenant_id", "code"],
    ("invoice_sequences", "PRIMARY"): ["tenant_id", "year"],
    ("invoices", "ux_invoice_number"): ["tenant_id", "invoice_number"],
    ("user_events", "ix_user"): ["tenant_id", "user_id", "created_at"],
}


def test_core_keys_match_the_contract(indexes) -> None:
    for key, expected in CORE_KEYS.items():
        assert key in indexes, key
        assert indexes[key]["columns"] == expected, key


# -- constraints at work ------------------------------------------------------------------------
def _error_code(excinfo: pytest.ExceptionInfo) -> int:
    return excinfo.value.args[0]


CHECK_FAILED = {3819, 4025}  # MySQL ER_CHECK_CONSTRAINT_VIOLATED, MariaDB ER_CONSTRAINT_FAILED


def test_constraints_protect_the_data(db) -> None:
    db.autocommit(False)
    try:
        with db.cursor() as cur:
            cur.execute("INSERT INTO tenants (slug, name) VALUES ('a', 'A'), ('b', 'B')")
            cur.execute("SELECT id FROM tenants WHERE slug IN ('a', 'b') ORDER BY slug")
            a, b = (row["id"] for row in cur.fetchall())
            cur.execute("INSERT INTO categories (tenant_id, name, slug, path) "
                        "VALUES (%s, 'Kamp', 'kamp', '/')", (a,))
            category_a = cur.lastrowid

            # A row of tenant B can never point at a row of tenant A.
            with pytest.raises(pymysql.err.IntegrityError) as exc:
                cur.execute("INSERT INTO products (tenant_id, category_id, name, slug, base_price) "
                            "VALUES (%s, %s, 'X', 'x', 10)", (b, category_a))
            assert _error_code(exc) == 1452

            cur.execute("INSERT INTO products (tenant_id, category_id, name, slug, base_price) "
                        "VALUES (%s, %s, 'Termos', 'termos', 499.90)", (a, category_a))
            product = cur.lastrowid
            cur.execute("INSERT INTO product_variations (tenant_id, product_id, sku, price, stock) "
                        "VALUES (%s, %s, 'SKU-1', 499.90, 1)", (a, product))
            variation = cur.lastrowid

            # Stock can never go below zero, even by a blind UPDATE.
            with pytest.raises(pymysql.MySQLError) as exc:
                cur.execute("UPDATE product_variations SET stock = stock - 2 WHERE id = %s",
                            (variation,))
            assert _error_code(exc) in CHECK_FAILED

            # SKUs are unique per tenant only.
            with pytest.raises(pymysql.err.IntegrityError) as exc:
                cur.execute("INSERT INTO product_variations (tenant_id, product_id, sku, price) "
                            "VALUES (%s, %s, 'SKU-1', 1)", (a, product))
            assert _error_code(exc) == 1062
            cur.execute("INSERT INTO categories (tenant_id, name, slug, path) "
                        "VALUES (%s, 'Kamp', 'kamp', '/')", (b,))
            cur.execute("INSERT INTO products (tenant_id, category_id, name, slug, base_price) "
                        "VALUES (%s, %s, 'Termos', 'termos', 1)", (b, cur.lastrowid))
            cur.execute("INSERT INTO product_variations (tenant_id, product_id, sku, price) "
                        "VALUES (%s, %s, 'SKU-1', 1)", (b, cur.lastrowid))

            # One default address per user and type.
            cur.execute("INSERT INTO users (tenant_id, email) VALUES (%s, 'ayse@example.com')",
                        (a,))
            user = cur.lastrowid
            address = ("INSERT INTO addresses (tenant_id, user_id, address_type, first_name, "
                       "last_name, phone, il, ilce, address_line, is_default) "
                       "VALUES (%s, %s, 'delivery', 'Ayşe', 'Yılmaz', '5550000000', 'Konya', "
                       "'Hüyük', 'Huğlu Mahallesi', %s)")
            cur.execute(address, (a, user, 1))
            cur.execute(address, (a, user, 0))
            cur.execute(address, (a, user, 0))
            with pytest.raises(pymysql.err.IntegrityError):
                cur.execute(address, (a, user, 1))

            # A customer's wallet account cannot be overdrawn, holds included (0010).
            cur.execute("INSERT INTO wallets (tenant_id, user_id) VALUES (%s, %s)", (a, user))
            cur.execute("INSERT INTO wallet_accounts (tenant_id, wallet_id, code, kind, balance, "
                        "pending_debit) VALUES (%s, %s, 'cash', 'customer', 50, 20)", (a, cur.lastrowid))
            account = cur.lastrowid
            with pytest.raises(pymysql.MySQLError) as exc:
                cur.execute("UPDATE wallet_accounts SET balance = balance - 30.01 WHERE id = %s",
                            (account,))
            assert _error_code(exc) in CHECK_FAILED

            # A coupon cannot be used beyond its limit.
            cur.execute("INSERT INTO coupons (tenant_id, code, discount_type, discount_value, "
                        "usage_limit, used_count) VALUES (%s, 'KAMP10', 'percentage', 10, 1, 1)",
                        (a,))
            with pytest.raises(pymysql.MySQLError) as exc:
                cur.execute("UPDATE coupons SET used_count = used_count + 1 WHERE code = 'KAMP10'")
            assert _error_code(exc) in CHECK_FAILED

            # Money keeps its cents exactly.
            cur.execute("SELECT base_price FROM products WHERE id = %s", (product,))
            assert str(cur.fetchone()["base_price"]) == "499.90"
    finally:
        db.rollback()
        db.autocommit(True)


# -- upgrade and downgrade ----------------------------------------------------------------------
def _alembic_cli(url: str, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", "infra/alembic.ini", *args],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_cli_upgrade_creates_everything_and_downgrade_drops_everything() -> None:
    # The database does not exist yet: `upgrade head` creates it.
    with scratch_database("huglu_mig_test_cli", create=False) as url:
        _alembic_cli(url, "upgrade", "head")
        conn = _connect(url)
        try:
            assert _tables(conn) - {"alembic_version"} == EXPECTED_TABLES
            from alembic.script import ScriptDirectory

            assert current_revision(url) == ScriptDirectory.from_config(alembic_config()).get_current_head()

            _alembic_cli(url, "downgrade", "base")
            assert _tables(conn) <= {"alembic_version"}
            assert _rows(conn, "SELECT * FROM alembic_version") == []
            assert current_revision(url) is None

            # And the same through the runner, twice, to prove the cycle repeats cleanly.
            for _ in range(2):
                upgrade_to_head(url)
                assert _tables(conn) - {"alembic_version"} == EXPECTED_TABLES
                downgrade_to_base(url)
                assert _tables(conn) <= {"alembic_version"}
        finally:
            conn.close()


def test_offline_sql_generation_emits_every_table() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", "infra/alembic.ini", "upgrade", "head", "--sql"],
        cwd=REPO_ROOT, env={**os.environ, "DATABASE_URL": _scratch_url("unused")},
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    created = set(re.findall(r"CREATE TABLE (\w+) \(", result.stdout)) - {"alembic_version"}
    dropped = set(re.findall(r"DROP TABLE (\w+)", result.stdout))  # 0018: coupon_redemptions, never written
    assert created - dropped == EXPECTED_TABLES
    counts: dict[str, int] = defaultdict(int)
    for name in re.findall(r"CREATE TABLE (\w+) \(", result.stdout):
        counts[name] += 1
    assert max(counts.values()) == 1
