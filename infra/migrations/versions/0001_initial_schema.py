"""Initial schema: every table of the Huğlu Commerce back end.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Tables by area (creation order; downgrade drops them in reverse):

  Tenancy & platform   tenants, tenant_cors_origins, api_keys, idempotency_keys, outbox_events,
                       admin_logs
  Identity & access    user_levels, users, roles, role_permissions, user_roles, refresh_tokens,
                       user_tokens, user_devices, addresses
  Catalogue            categories, brands, products, product_variations, product_images,
                       stock_movements, price_history
  Engagement           reviews, favorites, back_in_stock_subscriptions
  Campaigns            campaigns, coupons, flash_deals, discount_wheel_spins (coupon_redemptions
                       comes after orders)
  Cart & orders        carts, cart_items, orders, order_items, order_status_history,
                       coupon_redemptions, returns, return_items
  Payments & invoices  payments, payment_refunds, invoice_sequences, invoices
  Shipping             shipments, shipment_events
  Wallet               wallets, wallet_journals, wallet_ledger_entries, wallet_topup_requests,
                       wallet_withdrawal_requests, wallet_transfers, gift_cards
  Referrals            referrals, referral_earnings
  Custom production    custom_production_requests, custom_production_messages
  Dealership           dealership_applications
  Support              chat_sessions, chat_messages, faqs, stores
  Notifications        notifications
  Analytics & ML       user_events, user_data, user_specific_data
  Integrations         integrations, integration_sync_runs
  Content              stories, sliders, popups

Conventions (MySQL 8 and MariaDB 10.11 both accept every statement):
- InnoDB, utf8mb4 / utf8mb4_unicode_ci; Turkish human text (names, titles, descriptions, search
  text) is utf8mb4_turkish_ci so it sorts and compares the Turkish way.
- `id BIGINT UNSIGNED AUTO_INCREMENT` primary keys.  Tenant-owned tables carry
  `tenant_id BIGINT UNSIGNED NOT NULL` (FK to tenants) and every other index starts with it.
  The only exceptions are named and commented where they are declared: tenant_cors_origins
  .ix_origin, api_keys.ux_key_hash, idempotency_keys.ix_expires, outbox_events.ix_dispatch
  (global lookups / sweeps that run before a tenant is known or across all tenants) and
  products.ft_search (a FULLTEXT index cannot have a leading tenant_id column).
- Foreign keys between tenant-owned tables are tenant-scoped: (tenant_id, x_id) references the
  parent's UNIQUE (tenant_id, id), so a row can never point at another tenant's row.  Because
  tenant_id is NOT NULL such keys cannot use ON DELETE SET NULL; optional references are either
  CASCADE (pure children) or RESTRICT (the application archives instead of deleting).
- No CHECK constraint names a column that is part of a foreign key (MySQL 8 forbids CHECKs on
  columns used by referential actions); such rules live in the services.
- Money DECIMAL(14,2), ledger amounts and wallet balances DECIMAL(18,2), currency CHAR(3) 'TRY',
  rates DECIMAL(5,2).  Workflow statuses that grow with the business are VARCHAR(32) whose
  values are listed in the column comment and kept as constants in each area's code; small
  closed sets are ENUMs.
- Statements avoid colons and percent signs: Alembic runs them through SQLAlchemy text().
"""
from __future__ import annotations

import re
from typing import NamedTuple

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

OPTIONS = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"
TR = "COLLATE utf8mb4_turkish_ci"
ID = "id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT"
TENANT = "tenant_id BIGINT UNSIGNED NOT NULL"
CREATED = "created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
UPDATED = (
    "updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)"
)
CURRENCY = "currency CHAR(3) NOT NULL DEFAULT 'TRY'"
PK = "PRIMARY KEY (id)"
# Target of the tenant-scoped foreign keys that reference this table.
TENANT_ID_KEY = "UNIQUE KEY ux_tenant_id (tenant_id, id)"


class FK(NamedTuple):
    """A tenant-scoped foreign key: (tenant_id, column) -> parent (tenant_id, id)."""

    column: str
    parent: str
    on_delete: str = "RESTRICT"
    name: str | None = None


TABLES: list[tuple[str, str]] = []


def table(name: str, *lines: str | FK, tenant_owned: bool = True) -> None:
    """Register `CREATE TABLE name (...)` with the standard options and the tenant FK."""
    body: list[str] = []
    for line in lines:
        if isinstance(line, FK):
            suffix = line.name or line.column.removesuffix("_id")
            body.append(
                f"CONSTRAINT fk_{name}_{suffix} FOREIGN KEY (tenant_id, {line.column}) "
                f"REFERENCES {line.parent} (tenant_id, id) ON DELETE {line.on_delete}"
            )
        else:
            body.append(line)
    if tenant_owned:
        body.append(f"CONSTRAINT fk_{name}_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)")
    ddl = f"CREATE TABLE {name} (\n  " + ",\n  ".join(body) + f"\n) {OPTIONS}"
    for constraint in re.findall(r"CONSTRAINT (\w+)", ddl):
        assert len(constraint) <= 64, constraint
    assert not re.search(r":\w", ddl) and "%" not in ddl, f"{name}: no colons or percent signs"
    TABLES.append((name, ddl))


# ------------------------------------------------------------------------------------------
# Tenancy & platform
# ------------------------------------------------------------------------------------------
table(
    "tenants",
    ID,
    "slug VARCHAR(64) NOT NULL",
    f"name VARCHAR(200) {TR} NOT NULL",
    "domain VARCHAR(255) NULL",
    "status ENUM('active','suspended') NOT NULL DEFAULT 'active'",
    "default_language CHAR(2) NOT NULL DEFAULT 'tr'",
    "currency CHAR(3) NOT NULL DEFAULT 'TRY'",
    "settings JSON NULL",
    CREATED,
    UPDATED,
    PK,
    "UNIQUE KEY ux_slug (slug)",
    "UNIQUE KEY ux_domain (domain)",
    tenant_owned=False,
)

table(
    "tenant_cors_origins",
    TENANT,
    "origin VARCHAR(255) NOT NULL",
    CREATED,
    "PRIMARY KEY (tenant_id, origin)",
    # Deliberately global: a CORS preflight carries no API key, so the origin alone is looked
    # up across all tenants.
    "KEY ix_origin (origin) COMMENT 'Global on purpose - CORS preflight has no API key'",
)

table(
    "user_levels",
    ID,
    TENANT,
    "code VARCHAR(32) NOT NULL",
    f"name VARCHAR(100) {TR} NOT NULL",
    f"description TEXT {TR} NULL",
    "sort_order INT NOT NULL DEFAULT 0 COMMENT 'rank, lowest level first'",
    "min_points INT NOT NULL DEFAULT 0",
    "min_total_spent DECIMAL(14,2) NOT NULL DEFAULT 0",
    "min_order_count INT NOT NULL DEFAULT 0",
    "discount_rate DECIMAL(5,2) NOT NULL DEFAULT 0",
    "bonus_rate DECIMAL(5,2) NOT NULL DEFAULT 0 COMMENT 'share of paid amount credited as bonus'",
    "benefits JSON NULL",
    "is_active TINYINT(1) NOT NULL DEFAULT 1",
    CREATED,
    UPDATED,
    PK,
    TENANT_ID_KEY,
    "UNIQUE KEY ux_code (tenant_id, code)",
    "KEY ix_sort (tenant_id, sort_order)",
    "CONSTRAINT ck_user_levels_rates CHECK (discount_rate BETWEEN 0 AND 100 "
    "AND bonus_rate BETWEEN 0 AND 100)",
)

table(
    "users",
    ID,
    TENANT,
    "email VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL COMMENT 'stored lower-cased'",
    "phone_hash BINARY(32) NULL",
    "phone_enc VARBINARY(512) NULL",
    "password_hash VARCHAR(100) NULL",
    f"first_name VARCHAR(100) {TR} NULL",
    f"last_name VARCHAR(100) {TR} NULL",
    "language CHAR(2) NOT NULL DEFAULT 'tr'",
    "status ENUM('active','disabled','deleted') NOT NULL DEFAULT 'active'",
    "is_staff TINYINT(1) NOT NULL DEFAULT 0",
    "level_id BIGINT UNSIGNED NULL",
    "referral_code VARCHAR(16) NULL",
    "referred_by BIGINT UNSIGNED NULL",
    "email_verified_at DATETIME(6) NULL",
    "phone_verified_at DATETIME(6) NULL",
    "totp_secret_enc VARBINARY(512) NULL",
    "totp_enabled_at DATETIME(6) NULL",
    "national_id_enc VARBINARY(512) NULL",
    "notification_prefs JSON NULL",
    "last_login_at DATETIME(6) NULL",
    CREATED,
    UPDATED,
    "deleted_at DATETIME(6) NULL",
    PK,
    TENANT_ID_KEY,
    "UNIQUE KEY ux_email (tenant_id, email)",
    "UNIQUE KEY ux_phone_hash (tenant_id, phone_hash)",
    "UNIQUE KEY ux_referral_code (tenant_id, referral_code)",
    "KEY ix_created (tenant_id, created_at)",
    "KEY ix_name (tenant_id, last_name, first_name)",
    "KEY ix_level (tenant_id, level_id)",
    "KEY ix_referred_by (tenant_id, referred_by)",
    FK("level_id", "user_levels"),
    FK("referred_by", "users"),
)

table(
    "api_keys",
    ID,
    TENANT,
    "name VARCHAR(100) NOT NULL",
    "key_prefix VARCHAR(16) NOT NULL",
    "key_hash CHAR(64) NOT NULL",
    "status ENUM('active','revoked') NOT NULL DEFAULT 'active'",
    "created_by BIGINT UNSIGNED NULL",
    "last_used_at DATETIME(6) NULL",
    "expires_at DATETIME(6) NULL",
    "revoked_at DATETIME(6) NULL",
    CREATED,
    PK,
    # Deliberately global: the key is what tells us the tenant.
    "UNIQUE KEY ux_key_hash (key_hash) COMMENT 'Global on purpose - a key resolves its tenant'",
    "KEY ix_status (tenant_id, status)",
    "KEY ix_created_by (tenant_id, created_by)",
    FK("created_by", "users"),
)

table(
    "idempotency_keys",
    TENANT,
    "scope VARCHAR(64) NOT NULL",
    "idem_key VARCHAR(128) NOT NULL",
    "user_id BIGINT UNSIGNED NULL",
    "request_hash CHAR(64) NOT NULL",
    "status_code SMALLINT NULL",
    "response_body MEDIUMTEXT NULL",
    CREATED,
    "expires_at DATETIME(6) NOT NULL",
    "PRIMARY KEY (tenant_id, scope, idem_key)",
    # Deliberately global: the purge job deletes expired keys of every tenant in one sweep.
    "KEY ix_expires (expires_at) COMMENT 'Global on purpose - purge job sweeps all tenants'",
)

table(
    "outbox_events",
    ID,
    TENANT,
    "event_type VARCHAR(100) NOT NULL COMMENT 'ResourcePastTense, e.g. OrderCancelled'",
    "aggregate_type VARCHAR(50) NULL",
    "aggregate_id VARCHAR(64) NULL",
    "payload JSON NOT NULL",
    "status ENUM('pending','sent','failed') NOT NULL DEFAULT 'pending'",
    "attempts INT NOT NULL DEFAULT 0",
    "available_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)",
    "sent_at DATETIME(6) NULL",
    "last_error VARCHAR(1000) NULL",
    CREATED,
    PK,
    "KEY ix_created (tenant_id, created_at)",
    "KEY ix_aggregate (tenant_id, aggregate_type, aggregate_id)",
    # Deliberately global: the relay publishes pending events of every tenant.
    "KEY ix_dispatch (status, available_at) COMMENT 'Global on purpose - relay sweeps all tenants'",
)

table(
    "admin_logs",
    ID,
    TENANT,
    "user_id BIGINT UNSIGNED NULL COMMENT 'no FK - the audit trail outlives accounts'",
    "action VARCHAR(100) NOT NULL",
    "entity_type VARCHAR(50) NULL",
    "entity_id VARCHAR(64) NULL",
    "before_data JSON NULL",
    "after_data JSON NULL",
    "request_id VARCHAR(64) NULL",
    "ip VARCHAR(45) NULL",
    "user_agent VARCHAR(255) NULL",
    CREATED,
    PK,
    "KEY ix_created (tenant_id, created_at)",
    "KEY ix_entity (tenant_id, entity_type, entity_id)",
    "KEY ix_user (tenant_id, user_id, created_at)",
)

# ------------------------------------------------------------------------------------------
# Identity & access
# ------------------------------------------------------------------------------------------
table(
    "roles",
    ID,
    TENANT,
    "name VARCHAR(50) NOT NULL",
    "description VARCHAR(255) NULL",
    "is_system TINYINT(1) NOT NULL DEFAULT 0",
    CREATED,
    UPDATED,
    PK,
    TENANT_ID_KEY,
    "UNIQUE KEY ux_name (tenant_id, name)",
)

table(
    "role_permissions",
    TENANT,
    "role_id BIGINT UNSIGNED NOT NULL",
    "permission VARCHAR(100) NOT NULL",
    CREATED,
    "PRIMARY KEY (tenant_id, role_id, permission)",
    FK("role_id", "roles", "CASCADE"),
)

table(
    "user_roles",
    TENANT,
    "user_id BIGINT UNSIGNED NOT NULL",
    "role_id BIGINT UNSIGNED NOT NULL",
    CREATED,
    "PRIMARY KEY (tenant_id, user_id, role_id)",
    "KEY ix_role (tenant_id, role_id)",
    FK("user_id", "users", "CASCADE"),
    FK("role_id", "roles", "CASCADE"),
)

table(
    "refresh_tokens",
    ID,
    TENANT,
    "user_id BIGINT UNSIGNED NOT NULL",
    "family_id CHAR(32) NOT NULL",
    "token_hash CHAR(64) NOT NULL",
    "parent_id BIGINT UNSIGNED NULL COMMENT 'token this one was rotated from'",
    "device_name VARCHAR(100) NULL",
    "user_agent VARCHAR(255) NULL",
    "ip VARCHAR(45) NULL",
    "expires_at DATETIME(6) NOT NULL",
    "used_at DATETIME(6) NULL",
    "revoked_at DATETIME(6) NULL",
    CREATED,
    PK,
    "UNIQUE KEY ux_token_hash (tenant_id, token_hash)",
    "KEY ix_family (tenant_id, family_id)",
    "KEY ix_user (tenant_id, user_id)",
    "KEY ix_expires (tenant_id, expires_at)",
    FK("user_id", "users", "CASCADE"),
)

table(
    "user_tokens",
    ID,
    TENANT,
    "user_id BIGINT UNSIGNED NOT NULL",
    "purpose VARCHAR(32) NOT NULL COMMENT 'password_reset, email_verification, phone_verification'",
    "token_hash CHAR(64) NOT NULL COMMENT 'SHA-256 of the link token or one-time code'",
    "attempts INT NOT NULL DEFAULT 0",
    "expires_at DATETIME(6) NOT NULL",
    "used_at DATETIME(6) NULL",
    CREATED,
    PK,
    # Not unique: short numeric codes of different users may hash alike.
    "KEY ix_token (tenant_id, purpose, token_hash)",
    "KEY ix_user (tenant_id, user_id, purpose)",
    FK("user_id", "users", "CASCADE"),
)

table(
    "user_devices",
    ID,
    TENANT,
    "user_id BIGINT UNSIGNED NOT NULL",
    "device_id VARCHAR(128) NOT NULL",
    "platform ENUM('ios','android','web') NOT NULL",
    "device_name VARCHAR(100) NULL",
    "push_token VARCHAR(255) NULL COMMENT 'Expo push token'",
    "biometric_public_key TEXT NULL COMMENT 'device-bound key for challenge-response login'",
    "biometric_key_alg VARCHAR(20) NULL",
    "biometric_enabled_at DATETIME(6) NULL",
    "last_seen_at DATETIME(6) NULL",
    CREATED,
    UPDATED,
    PK,
    "UNIQUE KEY ux_device (tenant_id, user_id, device_id)",
    "KEY ix_push_token (tenant_id, push_token)",
    FK("user_id", "users", "CASCADE"),
)

table(
    "addresses",
    ID,
    TENANT,
    "user_id BIGINT UNSIGNED NOT NULL",
    "address_type ENUM('delivery','billing') NOT NULL",
    "entity_type ENUM('individual','corporate') NOT NULL DEFAULT 'individual'",
    f"title VARCHAR(50) {TR} NULL COMMENT 'Ev, İş, ...'",
    f"first_name VARCHAR(100) {TR} NOT NULL",
    f"last_name VARCHAR(100) {TR} NOT NULL",
    "phone VARCHAR(20) NOT NULL",
    f"company_name VARCHAR(200) {TR} NULL",
    f"tax_office VARCHAR(100) {TR} NULL",
    "tax_number_enc VARBINARY(512) NULL",
    "national_id_enc VARBINARY(512) NULL COMMENT 'TCKN for individual invoices'",
    "country_code CHAR(2) NOT NULL DEFAULT 'TR'",
    f"il VARCHAR(50) {TR} NOT NULL",
    f"ilce VARCHAR(50) {TR} NOT NULL",
    f"mahalle VARCHAR(100) {TR} NULL",
    f"address_line VARCHAR(500) {TR} NOT NULL",
    "posta_kodu VARCHAR(10) NULL",
    "lat DECIMAL(9,6) NULL",
    "lng DECIMAL(9,6) NULL",
    "place_id VARCHAR(255) NULL COMMENT 'geocoder reference'",
    "is_default TINYINT(1) NOT NULL DEFAULT 0",
    # 1 for the default address, NULL otherwise, so the unique key below allows exactly one
    # default per user and address type (NULLs never collide).
    "default_marker TINYINT GENERATED ALWAYS AS (IF(is_default = 1, 1, NULL)) VIRTUAL",
    CREATED,
    UPDATED,
    PK,
    "KEY ix_user (tenant_id, user_id, address_type)",
    "UNIQUE KEY ux_default (tenant_id, user_id, address_type, default_marker)",
    FK("user_id", "users", "CASCADE"),
    "CONSTRAINT ck_addresses_lat CHECK (lat IS NULL OR lat BETWEEN -90 AND 90)",
    "CONSTRAINT ck_addresses_lng CHECK (lng IS NULL OR lng BETWEEN -180 AND 180)",
)

# ------------------------------------------------------------------------------------------
# Catalogue
# ------------------------------------------------------------------------------------------
table(
    "categories",
    ID,
    TENANT,
    "parent_id BIGINT UNSIGNED NULL",
    f"name VARCHAR(150) {TR} NOT NULL",
    "slug VARCHAR(180) NOT NULL",
    f"description TEXT {TR} NULL",
    "image_key VARCHAR(500) NULL",
    "path VARCHAR(500) CHARACTER SET ascii COLLATE ascii_bin NOT NULL "
    "COMMENT 'ids from the root, e.g. /1/5/12/ - a subtree is path LIKE /1/5/ followed by any'",
    "depth TINYINT UNSIGNED NOT NULL DEFAULT 0 COMMENT '0 for a root category'",
    "sort_order INT NOT NULL DEFAULT 0",
    "is_active TINYINT(1) NOT NULL DEFAULT 1",
    CREATED,
    UPDATED,
    PK,
    TENANT_ID_KEY,
    "UNIQUE KEY ux_slug (tenant_id, slug)",
    "KEY ix_parent (tenant_id, parent_id, sort_order)",
    "KEY ix_path (tenant_id, path)",
    FK("parent_id", "categories"),
)

table(
    "brands",
    ID,
    TENANT,
    f"name VARCHAR(150) {TR} NOT NULL",
    "slug VARCHAR(180) NOT NULL",
    f"description TEXT {TR} NULL",
    "logo_key VARCHAR(500) NULL",
    "sort_order INT NOT NULL DEFAULT 0",
    "is_active TINYINT(1) NOT NULL DEFAULT 1",
    CREATED,
    UPDATED,
    PK,
    TENANT_ID_KEY,
    "UNIQUE KEY ux_slug (tenant_id, slug)",
)

table(
    "products",
    ID,
    TENANT,
    "category_id BIGINT UNSIGNED NOT NULL",
    "brand_id BIGINT UNSIGNED NULL",
    f"name VARCHAR(255) {TR} NOT NULL",
    "slug VARCHAR(280) NOT NULL",
    f"description TEXT {TR} NULL",
    f"search_text TEXT {TR} NULL COMMENT 'Turkish-folded name, brand and category path'",
    "status ENUM('draft','active','archived') NOT NULL DEFAULT 'draft'",
    "base_price DECIMAL(14,2) NOT NULL",
    "compare_at_price DECIMAL(14,2) NULL",
    CURRENCY,
    "vat_rate DECIMAL(5,2) NOT NULL DEFAULT 20.00",
    "total_stock INT NOT NULL DEFAULT 0 COMMENT 'sum of variation stock, kept in step'",
    "sold_count INT NOT NULL DEFAULT 0",
    "rating_avg DECIMAL(3,2) NOT NULL DEFAULT 0",
    "rating_count INT NOT NULL DEFAULT 0",
    "weight_grams INT UNSIGNED NULL",
    "attributes JSON NULL",
    CREATED,
    UPDATED,
    PK,
    TENANT_ID_KEY,
    "UNIQUE KEY ux_slug (tenant_id, slug)",
    "KEY ix_status_category (tenant_id, status, category_id)",
    "KEY ix_category (tenant_id, category_id)",
    "KEY ix_brand (tenant_id, brand_id)",
    "KEY ix_status_price (tenant_id, status, base_price)",
    "KEY ix_status_created (tenant_id, status, created_at)",
    "KEY ix_status_sold (tenant_id, status, sold_count)",
    # The accepted exception: a FULLTEXT index cannot start with tenant_id, so searches always
    # add `tenant_id = ...` next to MATCH (...) AGAINST (...).
    "FULLTEXT KEY ft_search (search_text) COMMENT 'FULLTEXT cannot lead with tenant_id'",
    FK("category_id", "categories"),
    FK("brand_id", "brands"),
    "CONSTRAINT ck_products_prices CHECK (base_price >= 0 "
    "AND (compare_at_price IS NULL OR compare_at_price >= 0))",
    "CONSTRAINT ck_products_vat CHECK (vat_rate BETWEEN 0 AND 100)",
    "CONSTRAINT ck_products_counters CHECK (total_stock >= 0 AND sold_count >= 0 "
    "AND rating_count >= 0 AND rating_avg BETWEEN 0 AND 5)",
)

table(
    "product_variations",
    ID,
    TENANT,
    "product_id BIGINT UNSIGNED NOT NULL",
    "sku VARCHAR(64) NOT NULL",
    "barcode VARCHAR(14) NULL COMMENT 'EAN-13 or GTIN-14'",
    f"name VARCHAR(150) {TR} NULL",
    "options JSON NULL COMMENT 'e.g. beden L, renk Haki'",
    "price DECIMAL(14,2) NOT NULL",
    "stock INT NOT NULL DEFAULT 0",
    "reserved INT NOT NULL DEFAULT 0",
    "low_stock_threshold INT NOT NULL DEFAULT 5",
    "nfc_tag VARCHAR(64) NULL",
    "is_active TINYINT(1) NOT NULL DEFAULT 1",
    "version INT NOT NULL DEFAULT 0",
    CREATED,
    UPDATED,
    PK,
    TENANT_ID_KEY,
    "UNIQUE KEY ux_sku (tenant_id, sku)",
    "UNIQUE KEY ux_barcode (tenant_id, barcode)",
    "UNIQUE KEY ux_nfc_tag (tenant_id, nfc_tag)",
    "KEY ix_product (tenant_id, product_id)",
    "KEY ix_stock (tenant_id, stock)",
    FK("product_id", "products", "CASCADE"),
    "CONSTRAINT ck_product_variations_stock CHECK (stock >= 0)",
    "CONSTRAINT ck_product_variations_reserved CHECK (reserved >= 0)",
    "CONSTRAINT ck_product_variations_price CHECK (price >= 0)",
)

table(
    "product_images",
    ID,
    TENANT,
    "product_id BIGINT UNSIGNED NOT NULL",
    "variation_id BIGINT UNSIGNED NULL",
    "s3_key VARCHAR(500) NOT NULL",
    "thumb_key VARCHAR(500) NULL",
    f"alt_text VARCHAR(255) {TR} NULL",
    "sort_order INT NOT NULL DEFAULT 0",
    "width INT NULL",
    "height INT NULL",
    CREATED,
    UPDATED,
    PK,
    "KEY ix_product (tenant_id, product_id, sort_order)",
    "KEY ix_variation (tenant_id, variation_id)",
    FK("product_id", "products", "CASCADE"),
    FK("variation_id", "product_variations", "CASCADE"),
)

table(
    "stock_movements",
    ID,
    TENANT,
    "product_id BIGINT UNSIGNED NOT NULL",
    "variation_id BIGINT UNSIGNED NOT NULL",
    "delta INT NOT NULL COMMENT 'change of on-hand stock'",
    "reserved_delta INT NOT NULL DEFAULT 0",
    "stock_after INT NULL",
    "reason VARCHAR(32) NOT NULL "
    "COMMENT 'initial, order, order_cancel, return, adjustment, import, feed_sync, marketplace'",
    "reference_type VARCHAR(32) NULL",
    "reference_id VARCHAR(64) NULL",
    "actor_user_id BIGINT UNSIGNED NULL",
    "note VARCHAR(255) NULL",
    CREATED,
    PK,
    "KEY ix_variation (tenant_id, variation_id, created_at)",
    "KEY ix_product (tenant_id, product_id, created_at)",
    "KEY ix_created (tenant_id, created_at)",
    "KEY ix_reference (tenant_id, reference_type, reference_id)",
    FK("product_id", "products", "CASCADE"),
    FK("variation_id", "product_variations", "CASCADE"),
)

table(
    "price_history",
    ID,
    TENANT,
    "product_id BIGINT UNSIGNED NOT NULL",
    "variation_id BIGINT UNSIGNED NULL COMMENT 'NULL for the product base price'",
    "old_price DECIMAL(14,2) NULL",
    "new_price DECIMAL(14,2) NOT NULL",
    CURRENCY,
    "source VARCHAR(32) NOT NULL DEFAULT 'admin' COMMENT 'admin, import, feed_sync, marketplace'",
    "actor_user_id BIGINT UNSIGNED NULL",
    CREATED,
    PK,
    "KEY ix_product (tenant_id, product_id, created_at)",
    "KEY ix_variation (tenant_id, variation_id, created_at)",
    FK("product_id", "products", "CASCADE"),
    FK("variation_id", "product_variations", "CASCADE"),
)

# ------------------------------------------------------------------------------------------
# Engagement
# ------------------------------------------------------------------------------------------
table(
    "reviews",
    ID,
    TENANT,
    "product_id BIGINT UNSIGNED NOT NULL",
    "user_id BIGINT UNSIGNED NOT NULL",
    "order_id BIGINT UNSIGNED NULL",
    "rating TINYINT UNSIGNED NOT NULL",
    f"title VARCHAR(150) {TR} NULL",
    f"body TEXT {TR} NULL",
    "status ENUM('pending','approved','rejected') NOT NULL DEFAULT 'pending'",
    "is_verified_purchase TINYINT(1) NOT NULL DEFAULT 0",
    "helpful_count INT NOT NULL DEFAULT 0",
    "moderated_by BIGINT UNSIGNED NULL",
    "moderated_at DATETIME(6) NULL",
    "reject_reason VARCHAR(255) NULL",
    CREATED,
    UPDATED,
    PK,
    # One review per user per product.
    "UNIQUE KEY ux_product_user (tenant_id, product_id, user_id)",
    "KEY ix_product_status (tenant_id, product_id, status, created_at)",
    "KEY ix_status (tenant_id, status, created_at)",
    "KEY ix_user (tenant_id, user_id)",
    FK("product_id", "products", "CASCADE"),
    FK("user_id", "users", "CASCADE"),
    "CONSTRAINT ck_reviews_rating CHECK (rating BETWEEN 1 AND 5)",
)

table(
    "favorites",
    TENANT,
    "user_id BIGINT UNSIGNED NOT NULL",
    "product_id BIGINT UNSIGNED NOT NULL",
    CREATED,
    "PRIMARY KEY (tenant_id, user_id, product_id)",
    "KEY ix_product (tenant_id, product_id, created_at)",
    "KEY ix_user_created (tenant_id, user_id, created_at)",
    FK("user_id", "users", "CASCADE"),
    FK("product_id", "products", "CASCADE"),
)

table(
    "back_in_stock_subscriptions",
    ID,
    TENANT,
    "user_id BIGINT UNSIGNED NOT NULL",
    "product_id BIGINT UNSIGNED NOT NULL",
    "variation_id BIGINT UNSIGNED NOT NULL",
    "channel ENUM('push','email','sms') NOT NULL DEFAULT 'push'",
    "status ENUM('active','notified','cancelled') NOT NULL DEFAULT 'active'",
    "notified_at DATETIME(6) NULL",
    CREATED,
    UPDATED,
    PK,
    "UNIQUE KEY ux_variation_user (tenant_id, variation_id, user_id)",
    "KEY ix_user (tenant_id, user_id, created_at)",
    "KEY ix_product (tenant_id, product_id)",
    FK("user_id", "users", "CASCADE"),
    FK("product_id", "products", "CASCADE"),
    FK("variation_id", "product_variations", "CASCADE"),
)

# ------------------------------------------------------------------------------------------
# Campaigns
# ------------------------------------------------------------------------------------------
table(
    "campaigns",
    ID,
    TENANT,
    f"name VARCHAR(200) {TR} NOT NULL",
    f"description TEXT {TR} NULL",
    "type VARCHAR(32) NOT NULL "
    "COMMENT 'percentage, fixed_amount, free_shipping, buy_x_get_y, flash, wheel, personalized'",
    "rules JSON NULL COMMENT 'conditions and effect, read by the campaign engine'",
    "priority INT NOT NULL DEFAULT 0",
    "is_stackable TINYINT(1) NOT NULL DEFAULT 0",
    "status VARCHAR(32) NOT NULL DEFAULT 'draft' COMMENT 'draft, active, paused, ended'",
    "starts_at DATETIME(6) NULL",
    "ends_at DATETIME(6) NULL",
    "budget DECIMAL(14,2) NULL",
    "spent_amount DECIMAL(14,2) NOT NULL DEFAULT 0",
    "created_by BIGINT UNSIGNED NULL",
    CREATED,
    UPDATED,
    PK,
    TENANT_ID_KEY,
    "KEY ix_status_window (tenant_id, status, starts_at, ends_at)",
    "KEY ix_type (tenant_id, type)",
    "CONSTRAINT ck_campaigns_window CHECK (ends_at IS NULL OR starts_at IS NULL "
    "OR ends_at > starts_at)",
)

table(
    "coupons",
    ID,
    TENANT,
    "campaign_id BIGINT UNSIGNED NULL",
    "code VARCHAR(64) NOT NULL COMMENT 'stored upper-cased'",
    f"description VARCHAR(255) {TR} NULL",
    "discount_type ENUM('percentage','fixed_amount','free_shipping') NOT NULL",
    "discount_value DECIMAL(14,2) NOT NULL DEFAULT 0",
    "max_discount_amount DECIMAL(14,2) NULL",
    "min_order_amount DECIMAL(14,2) NULL",
    "usage_limit INT NULL",
    "usage_limit_per_user INT NULL",
    "used_count INT NOT NULL DEFAULT 0",
    "user_id BIGINT UNSIGNED NULL COMMENT 'personal coupon when set'",
    "starts_at DATETIME(6) NULL",
    "ends_at DATETIME(6) NULL",
    "is_active TINYINT(1) NOT NULL DEFAULT 1",
    "created_by BIGINT UNSIGNED NULL",
    CREATED,
    UPDATED,
    PK,
    TENANT_ID_KEY,
    "UNIQUE KEY ux_code (tenant_id, code)",
    "KEY ix_campaign (tenant_id, campaign_id)",
    "KEY ix_user (tenant_id, user_id)",
    FK("campaign_id", "campaigns"),
    FK("user_id", "users"),
    # An atomic `UPDATE ... SET used_count = used_count + 1` fails once the limit is reached.
    "CONSTRAINT ck_coupons_usage CHECK (used_count >= 0 "
    "AND (usage_limit IS NULL OR used_count <= usage_limit))",
    "CONSTRAINT ck_coupons_value CHECK (discount_value >= 0 "
    "AND (discount_type <> 'percentage' OR discount_value <= 100))",
)

table(
    "flash_deals",
    ID,
    TENANT,
    "campaign_id BIGINT UNSIGNED NULL",
    "product_id BIGINT UNSIGNED NOT NULL",
    "variation_id BIGINT UNSIGNED NULL COMMENT 'NULL for every variation of the product'",
    f"title VARCHAR(200) {TR} NULL",
    "deal_price DECIMAL(14,2) NOT NULL",
    "stock_limit INT NULL",
    "sold_count INT NOT NULL DEFAULT 0",
    "per_user_limit INT NULL",
    "starts_at DATETIME(6) NOT NULL",
    "ends_at DATETIME(6) NOT NULL",
    "is_active TINYINT(1) NOT NULL DEFAULT 1",
    CREATED,
    UPDATED,
    PK,
    "KEY ix_active_ends (tenant_id, is_active, ends_at)",
    "KEY ix_product (tenant_id, product_id)",
    "KEY ix_variation (tenant_id, variation_id)",
    "KEY ix_campaign (tenant_id, campaign_id)",
    FK("campaign_id", "campaigns"),
    FK("product_id", "products", "CASCADE"),
    FK("variation_id", "product_variations", "CASCADE"),
    "CONSTRAINT ck_flash_deals_price CHECK (deal_price >= 0)",
    "CONSTRAINT ck_flash_deals_window CHECK (ends_at > starts_at)",
    "CONSTRAINT ck_flash_deals_sold CHECK (sold_count >= 0 "
    "AND (stock_limit IS NULL OR sold_count <= stock_limit))",
)

table(
    "discount_wheel_spins",
    ID,
    TENANT,
    "campaign_id BIGINT UNSIGNED NOT NULL",
    "user_id BIGINT UNSIGNED NOT NULL",
    "spin_date DATE NOT NULL",
    "prize JSON NOT NULL",
    "coupon_id BIGINT UNSIGNED NULL COMMENT 'coupon issued for the prize'",
    CREATED,
    PK,
    # One spin per user, campaign and day.
    "UNIQUE KEY ux_daily (tenant_id, campaign_id, user_id, spin_date)",
    "KEY ix_user (tenant_id, user_id, created_at)",
    FK("campaign_id", "campaigns", "CASCADE"),
    FK("user_id", "users", "CASCADE"),
)

# ------------------------------------------------------------------------------------------
# Cart & orders
# ------------------------------------------------------------------------------------------
table(
    "carts",
    ID,
    TENANT,
    "user_id BIGINT UNSIGNED NULL COMMENT 'set for a signed-in user'",
    "device_id VARCHAR(128) NULL COMMENT 'set for a guest cart'",
    CURRENCY,
    "coupon_code VARCHAR(64) NULL",
    "expires_at DATETIME(6) NULL",
    CREATED,
    UPDATED,
    PK,
    TENANT_ID_KEY,
    "UNIQUE KEY ux_user (tenant_id, user_id)",
    "UNIQUE KEY ux_device (tenant_id, device_id)",
    "KEY ix_updated (tenant_id, updated_at)",
    FK("user_id", "users", "CASCADE"),
)

table(
    "cart_items",
    ID,
    TENANT,
    "cart_id BIGINT UNSIGNED NOT NULL",
    "product_id BIGINT UNSIGNED NOT NULL",
    "variation_id BIGINT UNSIGNED NOT NULL",
    "quantity INT NOT NULL",
    "unit_price DECIMAL(14,2) NULL COMMENT 'price when added, to flag price changes'",
    CREATED,
    UPDATED,
    PK,
    "UNIQUE KEY ux_cart_variation (tenant_id, cart_id, variation_id)",
    "KEY ix_product (tenant_id, product_id)",
    "KEY ix_variation (tenant_id, variation_id)",
    FK("cart_id", "carts", "CASCADE"),
    FK("product_id", "products", "CASCADE"),
    FK("variation_id", "product_variations", "CASCADE"),
    "CONSTRAINT ck_cart_items_quantity CHECK (quantity > 0)",
)

table(
    "orders",
    ID,
    TENANT,
    "order_number VARCHAR(32) NOT NULL",
    "user_id BIGINT UNSIGNED NULL",
    "status VARCHAR(32) NOT NULL DEFAULT 'pending_payment' COMMENT 'pending_payment, paid, "
    "processing, shipped, delivered, cancelled, payment_failed, refunded, partially_refunded'",
    "payment_status VARCHAR(32) NOT NULL DEFAULT 'unpaid' "
    "COMMENT 'unpaid, awaiting_transfer, paid, failed, refunded, partially_refunded'",
    "payment_method VARCHAR(20) NULL COMMENT 'card, eft, wallet'",
    CURRENCY,
    "subtotal DECIMAL(14,2) NOT NULL",
    "discount_total DECIMAL(14,2) NOT NULL DEFAULT 0",
    "shipping_total DECIMAL(14,2) NOT NULL DEFAULT 0",
    "vat_total DECIMAL(14,2) NOT NULL DEFAULT 0",
    "grand_total DECIMAL(14,2) NOT NULL",
    "paid_total DECIMAL(14,2) NOT NULL DEFAULT 0",
    "refunded_total DECIMAL(14,2) NOT NULL DEFAULT 0",
    "coupon_id BIGINT UNSIGNED NULL",
    "coupon_code VARCHAR(64) NULL",
    "discounts JSON NULL COMMENT 'applied campaigns and coupons with amounts'",
    "shipping_address_id BIGINT UNSIGNED NULL COMMENT 'source address, may be gone later'",
    "billing_address_id BIGINT UNSIGNED NULL",
    "shipping_address JSON NULL COMMENT 'snapshot at order time'",
    "billing_address JSON NULL COMMENT 'snapshot at order time'",
    "contact_email VARCHAR(254) NULL",
    "contact_phone VARCHAR(20) NULL",
    f"customer_note VARCHAR(1000) {TR} NULL",
    f"admin_note TEXT {TR} NULL",
    "idempotency_key VARCHAR(128) NULL",
    "reserved_until DATETIME(6) NULL COMMENT 'stock is held for an unpaid order until then'",
    "source VARCHAR(20) NOT NULL DEFAULT 'web' "
    "COMMENT 'mobile, web, admin, trendyol, hepsiburada'",
    "external_order_id VARCHAR(64) NULL COMMENT 'marketplace order number'",
    "placed_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)",
    "paid_at DATETIME(6) NULL",
    "shipped_at DATETIME(6) NULL",
    "delivered_at DATETIME(6) NULL",
    "cancelled_at DATETIME(6) NULL",
    "cancel_reason VARCHAR(255) NULL",
    "ip VARCHAR(45) NULL",
    "user_agent VARCHAR(255) NULL",
    "version INT NOT NULL DEFAULT 0",
    CREATED,
    UPDATED,
    PK,
    TENANT_ID_KEY,
    "UNIQUE KEY ux_order_number (tenant_id, order_number)",
    "UNIQUE KEY ux_idempotency (tenant_id, idempotency_key)",
    "UNIQUE KEY ux_external (tenant_id, source, external_order_id)",
    "KEY ix_user (tenant_id, user_id, created_at)",
    "KEY ix_status_created (tenant_id, status, created_at)",
    "KEY ix_status_reserved (tenant_id, status, reserved_until)",
    "KEY ix_created (tenant_id, created_at)",
    FK("user_id", "users"),
    "CONSTRAINT ck_orders_totals CHECK (subtotal >= 0 AND discount_total >= 0 "
    "AND shipping_total >= 0 AND vat_total >= 0 AND grand_total >= 0 "
    "AND paid_total >= 0 AND refunded_total >= 0)",
    # Discounts never turn into credit.
    "CONSTRAINT ck_orders_discount CHECK (discount_total <= subtotal + shipping_total)",
)

table(
    "order_items",
    ID,
    TENANT,
    "order_id BIGINT UNSIGNED NOT NULL",
    "product_id BIGINT UNSIGNED NOT NULL",
    "variation_id BIGINT UNSIGNED NULL",
    f"name VARCHAR(255) {TR} NOT NULL COMMENT 'product name at order time'",
    f"variation_name VARCHAR(150) {TR} NULL",
    "sku VARCHAR(64) NOT NULL",
    "barcode VARCHAR(14) NULL",
    "options JSON NULL",
    "image_key VARCHAR(500) NULL",
    "unit_price DECIMAL(14,2) NOT NULL COMMENT 'VAT included'",
    "vat_rate DECIMAL(5,2) NOT NULL",
    "quantity INT NOT NULL",
    "discount_amount DECIMAL(14,2) NOT NULL DEFAULT 0",
    "vat_amount DECIMAL(14,2) NOT NULL DEFAULT 0",
    "line_total DECIMAL(14,2) NOT NULL",
    "returned_quantity INT NOT NULL DEFAULT 0",
    CREATED,
    PK,
    TENANT_ID_KEY,
    "KEY ix_order (tenant_id, order_id)",
    "KEY ix_product (tenant_id, product_id, created_at)",
    "KEY ix_variation (tenant_id, variation_id)",
    FK("order_id", "orders", "CASCADE"),
    FK("product_id", "products"),
    FK("variation_id", "product_variations"),
    "CONSTRAINT ck_order_items_quantity CHECK (quantity > 0 "
    "AND returned_quantity BETWEEN 0 AND quantity)",
    "CONSTRAINT ck_order_items_amounts CHECK (unit_price >= 0 AND discount_amount >= 0 "
    "AND vat_amount >= 0 AND line_total >= 0)",
)

table(
    "order_status_history",
    ID,
    TENANT,
    "order_id BIGINT UNSIGNED NOT NULL",
    "from_status VARCHAR(32) NULL",
    "to_status VARCHAR(32) NOT NULL",
    "actor_user_id BIGINT UNSIGNED NULL",
    "actor_type ENUM('customer','admin','system') NOT NULL DEFAULT 'system'",
    f"note VARCHAR(1000) {TR} NULL",
    CREATED,
    PK,
    "KEY ix_order (tenant_id, order_id, created_at)",
    "KEY ix_to_status (tenant_id, to_status, created_at)",
    FK("order_id", "orders", "CASCADE"),
)

table(
    "coupon_redemptions",
    ID,
    TENANT,
    "coupon_id BIGINT UNSIGNED NOT NULL",
    "user_id BIGINT UNSIGNED NULL",
    "order_id BIGINT UNSIGNED NULL",
    "discount_amount DECIMAL(14,2) NOT NULL",
    "status ENUM('applied','reverted') NOT NULL DEFAULT 'applied'",
    CREATED,
    "reverted_at DATETIME(6) NULL",
    PK,
    "UNIQUE KEY ux_coupon_order (tenant_id, coupon_id, order_id)",
    "KEY ix_coupon_user (tenant_id, coupon_id, user_id)",
    "KEY ix_user (tenant_id, user_id)",
    "KEY ix_order (tenant_id, order_id)",
    FK("coupon_id", "coupons"),
    FK("order_id", "orders"),
    "CONSTRAINT ck_coupon_redemptions_amount CHECK (discount_amount >= 0)",
)

table(
    "returns",
    ID,
    TENANT,
    "return_number VARCHAR(32) NOT NULL",
    "order_id BIGINT UNSIGNED NOT NULL",
    "user_id BIGINT UNSIGNED NULL",
    "status VARCHAR(32) NOT NULL DEFAULT 'requested' "
    "COMMENT 'requested, approved, rejected, received, refunded, cancelled'",
    "reason VARCHAR(50) NOT NULL COMMENT 'damaged, wrong_item, not_as_described, changed_mind'",
    f"description TEXT {TR} NULL",
    "refund_method ENUM('original','wallet') NOT NULL DEFAULT 'original'",
    "refund_amount DECIMAL(14,2) NULL",
    "return_shipping_code VARCHAR(64) NULL",
    f"admin_note VARCHAR(1000) {TR} NULL",
    "resolved_by BIGINT UNSIGNED NULL",
    "resolved_at DATETIME(6) NULL",
    CREATED,
    UPDATED,
    PK,
    TENANT_ID_KEY,
    "UNIQUE KEY ux_return_number (tenant_id, return_number)",
    "KEY ix_order (tenant_id, order_id)",
    "KEY ix_user (tenant_id, user_id, created_at)",
    "KEY ix_status (tenant_id, status, created_at)",
    FK("order_id", "orders"),
    "CONSTRAINT ck_returns_amount CHECK (refund_amount IS NULL OR refund_amount >= 0)",
)

table(
    "return_items",
    ID,
    TENANT,
    "return_id BIGINT UNSIGNED NOT NULL",
    "order_item_id BIGINT UNSIGNED NOT NULL",
    "quantity INT NOT NULL",
    "reason VARCHAR(50) NULL",
    "item_condition VARCHAR(32) NULL COMMENT 'unopened, opened, damaged'",
    CREATED,
    PK,
    "UNIQUE KEY ux_return_item (tenant_id, return_id, order_item_id)",
    "KEY ix_order_item (tenant_id, order_item_id)",
    FK("return_id", "returns", "CASCADE"),
    FK("order_item_id", "order_items"),
    "CONSTRAINT ck_return_items_quantity CHECK (quantity > 0)",
)

# ------------------------------------------------------------------------------------------
# Payments & invoices
# ------------------------------------------------------------------------------------------
table(
    "payments",
    ID,
    TENANT,
    "order_id BIGINT UNSIGNED NULL COMMENT 'NULL for a wallet top-up by card'",
    "user_id BIGINT UNSIGNED NULL",
    "purpose ENUM('order','wallet_topup') NOT NULL DEFAULT 'order'",
    "provider VARCHAR(32) NOT NULL COMMENT 'iyzico, bank_transfer, wallet, gift_card'",
    "method VARCHAR(16) NOT NULL COMMENT 'card, eft, wallet, gift_card'",
    "status VARCHAR(32) NOT NULL DEFAULT 'initiated' COMMENT 'initiated, pending_3ds, "
    "awaiting_transfer, succeeded, failed, cancelled, refunded, partially_refunded'",
    "amount DECIMAL(14,2) NOT NULL",
    "refunded_amount DECIMAL(14,2) NOT NULL DEFAULT 0",
    CURRENCY,
    "installment TINYINT UNSIGNED NOT NULL DEFAULT 1",
    "provider_payment_id VARCHAR(128) NULL",
    "provider_conversation_id VARCHAR(128) NULL",
    "provider_token VARCHAR(255) NULL COMMENT '3-D Secure or checkout-form token'",
    "card_last4 CHAR(4) NULL COMMENT 'card numbers are never stored'",
    "card_brand VARCHAR(32) NULL",
    "failure_code VARCHAR(64) NULL",
    "failure_message VARCHAR(500) NULL",
    "raw_response JSON NULL COMMENT 'provider response without card data'",
    "idempotency_key VARCHAR(128) NULL",
    "paid_at DATETIME(6) NULL",
    CREATED,
    UPDATED,
    PK,
    TENANT_ID_KEY,
    "UNIQUE KEY ux_provider_payment (tenant_id, provider, provider_payment_id)",
    "UNIQUE KEY ux_conversation (tenant_id, provider_conversation_id)",
    "UNIQUE KEY ux_idempotency (tenant_id, idempotency_key)",
    "KEY ix_token (tenant_id, provider_token)",
    "KEY ix_order (tenant_id, order_id)",
    "KEY ix_user (tenant_id, user_id, created_at)",
    "KEY ix_status (tenant_id, status, created_at)",
    FK("order_id", "orders"),
    "CONSTRAINT ck_payments_amount CHECK (amount > 0 "
    "AND refunded_amount BETWEEN 0 AND amount)",
)

table(
    "payment_refunds",
    ID,
    TENANT,
    "payment_id BIGINT UNSIGNED NOT NULL",
    "return_id BIGINT UNSIGNED NULL",
    "amount DECIMAL(14,2) NOT NULL",
    CURRENCY,
    "status VARCHAR(32) NOT NULL DEFAULT 'requested' "
    "COMMENT 'requested, succeeded, failed'",
    "reason VARCHAR(255) NULL",
    "provider_refund_id VARCHAR(128) NULL",
    "raw_response JSON NULL",
    "requested_by BIGINT UNSIGNED NULL",
    "idempotency_key VARCHAR(128) NULL",
    CREATED,
    UPDATED,
    PK,
    "UNIQUE KEY ux_idempotency (tenant_id, idempotency_key)",
    "KEY ix_payment (tenant_id, payment_id)",
    "KEY ix_return (tenant_id, return_id)",
    "KEY ix_status (tenant_id, status, created_at)",
    FK("payment_id", "payments"),
    FK("return_id", "returns"),
    "CONSTRAINT ck_payment_refunds_amount CHECK (amount > 0)",
)

table(
    "invoice_sequences",
    TENANT,
    "`year` SMALLINT UNSIGNED NOT NULL",
    "last_number INT UNSIGNED NOT NULL DEFAULT 0",
    UPDATED,
    # Gap-free numbering: SELECT ... FOR UPDATE this row, increment, insert the invoice, commit.
    "PRIMARY KEY (tenant_id, `year`)",
)

table(
    "invoices",
    ID,
    TENANT,
    "order_id BIGINT UNSIGNED NOT NULL",
    "invoice_number VARCHAR(32) NOT NULL COMMENT 'prefix, year and sequence'",
    "invoice_year SMALLINT UNSIGNED NOT NULL",
    "sequence_number INT UNSIGNED NOT NULL",
    "invoice_type ENUM('sale','return') NOT NULL DEFAULT 'sale'",
    "status ENUM('issued','cancelled') NOT NULL DEFAULT 'issued'",
    "buyer JSON NULL COMMENT 'billing snapshot, tax numbers masked'",
    CURRENCY,
    "subtotal DECIMAL(14,2) NOT NULL",
    "discount_total DECIMAL(14,2) NOT NULL DEFAULT 0",
    "shipping_total DECIMAL(14,2) NOT NULL DEFAULT 0",
    "vat_total DECIMAL(14,2) NOT NULL",
    "grand_total DECIMAL(14,2) NOT NULL",
    "vat_breakdown JSON NULL COMMENT 'base and VAT per rate'",
    "s3_key VARCHAR(500) NULL COMMENT 'rendered PDF'",
    "issued_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)",
    "emailed_at DATETIME(6) NULL",
    CREATED,
    UPDATED,
    PK,
    "UNIQUE KEY ux_invoice_number (tenant_id, invoice_number)",
    "UNIQUE KEY ux_sequence (tenant_id, invoice_year, sequence_number)",
    "KEY ix_order (tenant_id, order_id)",
    "KEY ix_issued (tenant_id, issued_at)",
    FK("order_id", "orders"),
)

# ------------------------------------------------------------------------------------------
# Shipping
# ------------------------------------------------------------------------------------------
table(
    "shipments",
    ID,
    TENANT,
    "order_id BIGINT UNSIGNED NOT NULL",
    "carrier VARCHAR(50) NOT NULL COMMENT 'yurtici, aras, mng, ptt, surat, ...'",
    "tracking_number VARCHAR(64) NULL",
    "tracking_url VARCHAR(500) NULL",
    "status VARCHAR(32) NOT NULL DEFAULT 'pending' COMMENT 'pending, label_created, "
    "in_transit, out_for_delivery, delivered, failed_delivery, returned'",
    "items JSON NULL COMMENT 'order item ids and quantities for a partial shipment'",
    "label_key VARCHAR(500) NULL",
    "shipping_cost DECIMAL(14,2) NULL",
    "estimated_delivery_at DATETIME(6) NULL",
    "shipped_at DATETIME(6) NULL",
    "delivered_at DATETIME(6) NULL",
    "last_event_at DATETIME(6) NULL",
    CREATED,
    UPDATED,
    PK,
    TENANT_ID_KEY,
    "UNIQUE KEY ux_tracking (tenant_id, carrier, tracking_number)",
    "KEY ix_order (tenant_id, order_id)",
    "KEY ix_status (tenant_id, status, updated_at)",
    FK("order_id", "orders"),
)

table(
    "shipment_events",
    ID,
    TENANT,
    "shipment_id BIGINT UNSIGNED NOT NULL",
    "status VARCHAR(32) NOT NULL",
    f"description VARCHAR(500) {TR} NULL",
    f"location VARCHAR(150) {TR} NULL",
    "occurred_at DATETIME(6) NOT NULL",
    "raw JSON NULL",
    CREATED,
    PK,
    # Carrier webhooks are delivered at least once: the same event is stored once.
    "UNIQUE KEY ux_event (tenant_id, shipment_id, occurred_at, status)",
    FK("shipment_id", "shipments", "CASCADE"),
)

# ------------------------------------------------------------------------------------------
# Wallet (double-entry ledger)
# ------------------------------------------------------------------------------------------
table(
    "wallets",
    ID,
    TENANT,
    "user_id BIGINT UNSIGNED NOT NULL",
    CURRENCY,
    "balance DECIMAL(18,2) NOT NULL DEFAULT 0",
    "bonus_balance DECIMAL(18,2) NOT NULL DEFAULT 0 COMMENT 'HPay bonus'",
    "held_balance DECIMAL(18,2) NOT NULL DEFAULT 0 COMMENT 'reserved by pending withdrawals'",
    "status ENUM('active','frozen','closed') NOT NULL DEFAULT 'active'",
    "version INT NOT NULL DEFAULT 0",
    CREATED,
    UPDATED,
    PK,
    TENANT_ID_KEY,
    "UNIQUE KEY ux_user (tenant_id, user_id)",
    FK("user_id", "users"),
    # A conditional UPDATE that would overdraw fails here even if a service forgot to check.
    "CONSTRAINT ck_wallets_balances CHECK (balance >= 0 AND bonus_balance >= 0 "
    "AND held_balance >= 0)",
)

table(
    "wallet_journals",
    ID,
    TENANT,
    "journal_type VARCHAR(32) NOT NULL COMMENT 'topup, withdrawal, order_payment, refund, "
    "transfer, bonus, gift_card, referral_reward, adjustment'",
    "dedupe_key VARCHAR(128) NULL COMMENT 'e.g. topup-request-17, posts each event once'",
    "reference_type VARCHAR(32) NULL",
    "reference_id VARCHAR(64) NULL",
    f"description VARCHAR(255) {TR} NULL",
    "created_by BIGINT UNSIGNED NULL",
    CREATED,
    PK,
    TENANT_ID_KEY,
    "UNIQUE KEY ux_dedupe (tenant_id, dedupe_key)",
    "KEY ix_reference (tenant_id, reference_type, reference_id)",
    "KEY ix_created (tenant_id, created_at)",
)

table(
    "wallet_ledger_entries",
    ID,
    TENANT,
    "journal_id BIGINT UNSIGNED NOT NULL",
    "wallet_id BIGINT UNSIGNED NULL COMMENT 'NULL for platform accounts'",
    "account VARCHAR(64) NOT NULL COMMENT 'wallet_cash, wallet_bonus, wallet_hold, "
    "platform_clearing, platform_revenue, ...'",
    "direction ENUM('debit','credit') NOT NULL",
    "amount DECIMAL(18,2) NOT NULL",
    CURRENCY,
    "balance_after DECIMAL(18,2) NULL COMMENT 'wallet account balance after this entry'",
    "reference_type VARCHAR(32) NULL",
    "reference_id VARCHAR(64) NULL",
    CREATED,
    PK,
    "KEY ix_journal (tenant_id, journal_id)",
    "KEY ix_wallet (tenant_id, wallet_id, id)",
    "KEY ix_account (tenant_id, account, id)",
    "KEY ix_reference (tenant_id, reference_type, reference_id)",
    FK("journal_id", "wallet_journals"),
    FK("wallet_id", "wallets"),
    "CONSTRAINT ck_wallet_ledger_entries_amount CHECK (amount > 0)",
)

table(
    "wallet_topup_requests",
    ID,
    TENANT,
    "wallet_id BIGINT UNSIGNED NOT NULL",
    "user_id BIGINT UNSIGNED NOT NULL",
    "amount DECIMAL(18,2) NOT NULL",
    CURRENCY,
    "method ENUM('eft','card') NOT NULL DEFAULT 'eft'",
    "status VARCHAR(32) NOT NULL DEFAULT 'pending' "
    "COMMENT 'pending, approved, rejected, cancelled'",
    "payment_id BIGINT UNSIGNED NULL COMMENT 'card top-ups'",
    f"sender_name VARCHAR(150) {TR} NULL",
    "bank_reference VARCHAR(100) NULL",
    "receipt_key VARCHAR(500) NULL",
    f"user_note VARCHAR(500) {TR} NULL",
    f"admin_note VARCHAR(500) {TR} NULL",
    "reviewed_by BIGINT UNSIGNED NULL",
    "reviewed_at DATETIME(6) NULL",
    "journal_id BIGINT UNSIGNED NULL",
    "idempotency_key VARCHAR(128) NULL",
    CREATED,
    UPDATED,
    PK,
    "UNIQUE KEY ux_idempotency (tenant_id, idempotency_key)",
    "KEY ix_status (tenant_id, status, created_at)",
    "KEY ix_user (tenant_id, user_id, created_at)",
    "KEY ix_wallet (tenant_id, wallet_id)",
    FK("wallet_id", "wallets"),
    "CONSTRAINT ck_wallet_topup_requests_amount CHECK (amount > 0)",
)

table(
    "wallet_withdrawal_requests",
    ID,
    TENANT,
    "wallet_id BIGINT UNSIGNED NOT NULL",
    "user_id BIGINT UNSIGNED NOT NULL",
    "amount DECIMAL(18,2) NOT NULL",
    CURRENCY,
    "iban_enc VARBINARY(512) NOT NULL",
    "iban_last4 CHAR(4) NULL",
    f"account_holder VARCHAR(150) {TR} NOT NULL",
    "status VARCHAR(32) NOT NULL DEFAULT 'pending' "
    "COMMENT 'pending, approved, paid, rejected, cancelled'",
    f"user_note VARCHAR(500) {TR} NULL",
    f"admin_note VARCHAR(500) {TR} NULL",
    "reviewed_by BIGINT UNSIGNED NULL",
    "reviewed_at DATETIME(6) NULL",
    "paid_at DATETIME(6) NULL",
    "journal_id BIGINT UNSIGNED NULL",
    "idempotency_key VARCHAR(128) NULL",
    CREATED,
    UPDATED,
    PK,
    "UNIQUE KEY ux_idempotency (tenant_id, idempotency_key)",
    "KEY ix_status (tenant_id, status, created_at)",
    "KEY ix_user (tenant_id, user_id, created_at)",
    "KEY ix_wallet (tenant_id, wallet_id)",
    FK("wallet_id", "wallets"),
    "CONSTRAINT ck_wallet_withdrawal_requests_amount CHECK (amount > 0)",
)

table(
    "wallet_transfers",
    ID,
    TENANT,
    "from_wallet_id BIGINT UNSIGNED NOT NULL",
    "to_wallet_id BIGINT UNSIGNED NOT NULL",
    "amount DECIMAL(18,2) NOT NULL",
    CURRENCY,
    f"note VARCHAR(255) {TR} NULL",
    "journal_id BIGINT UNSIGNED NULL",
    "idempotency_key VARCHAR(128) NULL",
    "created_by BIGINT UNSIGNED NULL",
    CREATED,
    PK,
    "UNIQUE KEY ux_idempotency (tenant_id, idempotency_key)",
    "KEY ix_from (tenant_id, from_wallet_id, created_at)",
    "KEY ix_to (tenant_id, to_wallet_id, created_at)",
    FK("from_wallet_id", "wallets"),
    FK("to_wallet_id", "wallets"),
    "CONSTRAINT ck_wallet_transfers_amount CHECK (amount > 0)",
)

table(
    "gift_cards",
    ID,
    TENANT,
    "code_hash CHAR(64) NOT NULL COMMENT 'SHA-256 of the code, never the code itself'",
    "code_last4 CHAR(4) NULL",
    "initial_amount DECIMAL(14,2) NOT NULL",
    "remaining_amount DECIMAL(14,2) NOT NULL",
    CURRENCY,
    "status ENUM('active','redeemed','expired','disabled') NOT NULL DEFAULT 'active'",
    "expires_at DATETIME(6) NULL",
    "purchased_by_user_id BIGINT UNSIGNED NULL",
    "redeemed_by_user_id BIGINT UNSIGNED NULL",
    "redeemed_at DATETIME(6) NULL",
    "created_by BIGINT UNSIGNED NULL",
    CREATED,
    UPDATED,
    PK,
    "UNIQUE KEY ux_code_hash (tenant_id, code_hash)",
    "KEY ix_status_expires (tenant_id, status, expires_at)",
    "KEY ix_redeemed_by (tenant_id, redeemed_by_user_id)",
    "CONSTRAINT ck_gift_cards_amounts CHECK (initial_amount > 0 "
    "AND remaining_amount BETWEEN 0 AND initial_amount)",
)

# ------------------------------------------------------------------------------------------
# Referrals
# ------------------------------------------------------------------------------------------
table(
    "referrals",
    ID,
    TENANT,
    "referrer_user_id BIGINT UNSIGNED NOT NULL",
    "referred_user_id BIGINT UNSIGNED NOT NULL",
    "referral_code VARCHAR(16) NOT NULL",
    "status VARCHAR(32) NOT NULL DEFAULT 'registered' "
    "COMMENT 'registered, qualified, rewarded, cancelled'",
    "qualified_at DATETIME(6) NULL COMMENT 'first completed order of the referred user'",
    "rewarded_at DATETIME(6) NULL",
    CREATED,
    UPDATED,
    PK,
    TENANT_ID_KEY,
    # A user is referred at most once.
    "UNIQUE KEY ux_referred (tenant_id, referred_user_id)",
    "KEY ix_referrer (tenant_id, referrer_user_id, created_at)",
    FK("referrer_user_id", "users", name="referrer"),
    FK("referred_user_id", "users", name="referred"),
)

table(
    "referral_earnings",
    ID,
    TENANT,
    "referral_id BIGINT UNSIGNED NOT NULL",
    "user_id BIGINT UNSIGNED NOT NULL COMMENT 'who earns'",
    "order_id BIGINT UNSIGNED NULL",
    "amount DECIMAL(14,2) NOT NULL",
    CURRENCY,
    "status VARCHAR(32) NOT NULL DEFAULT 'pending' COMMENT 'pending, credited, cancelled'",
    "journal_id BIGINT UNSIGNED NULL",
    "credited_at DATETIME(6) NULL",
    CREATED,
    UPDATED,
    PK,
    "UNIQUE KEY ux_referral_order (tenant_id, referral_id, order_id)",
    "KEY ix_user (tenant_id, user_id, created_at)",
    "KEY ix_status (tenant_id, status, created_at)",
    FK("referral_id", "referrals"),
    FK("user_id", "users"),
    "CONSTRAINT ck_referral_earnings_amount CHECK (amount >= 0)",
)

# ------------------------------------------------------------------------------------------
# Custom production & dealership
# ------------------------------------------------------------------------------------------
table(
    "custom_production_requests",
    ID,
    TENANT,
    "request_number VARCHAR(32) NOT NULL",
    "user_id BIGINT UNSIGNED NOT NULL",
    "product_id BIGINT UNSIGNED NULL COMMENT 'catalogue product it starts from, if any'",
    f"title VARCHAR(200) {TR} NOT NULL",
    f"description TEXT {TR} NOT NULL",
    "quantity INT NOT NULL DEFAULT 1",
    "specs JSON NULL COMMENT 'e.g. engraving, stock wood, barrel length'",
    "attachments JSON NULL COMMENT 'S3 keys'",
    "budget DECIMAL(14,2) NULL",
    "quoted_price DECIMAL(14,2) NULL",
    CURRENCY,
    "status VARCHAR(32) NOT NULL DEFAULT 'submitted' COMMENT 'submitted, reviewing, quoted, "
    "accepted, in_production, completed, shipped, rejected, cancelled'",
    "estimated_completion_date DATE NULL",
    "assigned_to BIGINT UNSIGNED NULL",
    "order_id BIGINT UNSIGNED NULL",
    CREATED,
    UPDATED,
    PK,
    TENANT_ID_KEY,
    "UNIQUE KEY ux_request_number (tenant_id, request_number)",
    "KEY ix_user (tenant_id, user_id, created_at)",
    "KEY ix_status (tenant_id, status, created_at)",
    FK("user_id", "users"),
    "CONSTRAINT ck_custom_production_requests_quantity CHECK (quantity > 0)",
    "CONSTRAINT ck_custom_production_requests_money CHECK ((budget IS NULL OR budget >= 0) "
    "AND (quoted_price IS NULL OR quoted_price >= 0))",
)

table(
    "custom_production_messages",
    ID,
    TENANT,
    "request_id BIGINT UNSIGNED NOT NULL",
    "sender_type ENUM('customer','staff','system') NOT NULL",
    "sender_user_id BIGINT UNSIGNED NULL",
    f"body TEXT {TR} NOT NULL",
    "attachments JSON NULL",
    "read_at DATETIME(6) NULL",
    CREATED,
    PK,
    "KEY ix_request (tenant_id, request_id, id)",
    FK("request_id", "custom_production_requests", "CASCADE", name="request"),
)

table(
    "dealership_applications",
    ID,
    TENANT,
    "application_number VARCHAR(32) NOT NULL",
    "user_id BIGINT UNSIGNED NULL",
    f"company_name VARCHAR(200) {TR} NOT NULL",
    f"contact_name VARCHAR(150) {TR} NOT NULL",
    "email VARCHAR(254) NOT NULL",
    "phone VARCHAR(20) NOT NULL",
    f"tax_office VARCHAR(100) {TR} NULL",
    "tax_number_enc VARBINARY(512) NULL",
    f"il VARCHAR(50) {TR} NOT NULL",
    f"ilce VARCHAR(50) {TR} NULL",
    f"address_line VARCHAR(500) {TR} NULL",
    "business_type VARCHAR(50) NULL COMMENT 'av bayisi, outdoor magaza, online, ...'",
    "years_in_business INT NULL",
    "expected_monthly_volume DECIMAL(14,2) NULL",
    f"message TEXT {TR} NULL",
    "documents JSON NULL COMMENT 'S3 keys of tax plate, signature circular, ...'",
    "status VARCHAR(32) NOT NULL DEFAULT 'submitted' "
    "COMMENT 'submitted, reviewing, approved, rejected, withdrawn'",
    f"reviewer_note VARCHAR(1000) {TR} NULL",
    "reviewed_by BIGINT UNSIGNED NULL",
    "reviewed_at DATETIME(6) NULL",
    CREATED,
    UPDATED,
    PK,
    "UNIQUE KEY ux_application_number (tenant_id, application_number)",
    "KEY ix_status (tenant_id, status, created_at)",
    "KEY ix_user (tenant_id, user_id)",
    FK("user_id", "users"),
)

# ------------------------------------------------------------------------------------------
# Support
# ------------------------------------------------------------------------------------------
table(
    "chat_sessions",
    ID,
    TENANT,
    "user_id BIGINT UNSIGNED NULL",
    "device_id VARCHAR(128) NULL",
    "kind ENUM('chatbot','live','ticket','contact') NOT NULL DEFAULT 'chatbot' "
    "COMMENT 'ticket and contact-form threads share this table with chats'",
    f"subject VARCHAR(200) {TR} NULL",
    "status VARCHAR(32) NOT NULL DEFAULT 'open' COMMENT 'open, waiting, closed'",
    "priority ENUM('low','normal','high') NOT NULL DEFAULT 'normal'",
    "assigned_to BIGINT UNSIGNED NULL",
    "order_id BIGINT UNSIGNED NULL",
    f"contact_name VARCHAR(150) {TR} NULL",
    "contact_email VARCHAR(254) NULL",
    "last_message_at DATETIME(6) NULL",
    "closed_at DATETIME(6) NULL",
    "rating TINYINT UNSIGNED NULL",
    CREATED,
    UPDATED,
    PK,
    TENANT_ID_KEY,
    "KEY ix_user (tenant_id, user_id, last_message_at)",
    "KEY ix_queue (tenant_id, kind, status, last_message_at)",
    "KEY ix_assigned (tenant_id, assigned_to, status)",
    FK("user_id", "users"),
    "CONSTRAINT ck_chat_sessions_rating CHECK (rating IS NULL OR rating BETWEEN 1 AND 5)",
)

table(
    "chat_messages",
    ID,
    TENANT,
    "session_id BIGINT UNSIGNED NOT NULL",
    "sender_type ENUM('user','agent','bot','system') NOT NULL",
    "sender_user_id BIGINT UNSIGNED NULL",
    f"body TEXT {TR} NOT NULL",
    "payload JSON NULL COMMENT 'product cards, order status, suggested actions'",
    "read_at DATETIME(6) NULL",
    CREATED,
    PK,
    "KEY ix_session (tenant_id, session_id, id)",
    FK("session_id", "chat_sessions", "CASCADE", name="session"),
)

table(
    "faqs",
    ID,
    TENANT,
    f"category VARCHAR(100) {TR} NULL",
    f"question VARCHAR(500) {TR} NOT NULL",
    f"answer TEXT {TR} NOT NULL",
    "language CHAR(2) NOT NULL DEFAULT 'tr'",
    "sort_order INT NOT NULL DEFAULT 0",
    "is_active TINYINT(1) NOT NULL DEFAULT 1",
    CREATED,
    UPDATED,
    PK,
    "KEY ix_list (tenant_id, language, is_active, sort_order)",
)

table(
    "stores",
    ID,
    TENANT,
    f"name VARCHAR(200) {TR} NOT NULL",
    "store_type ENUM('store','dealer','service') NOT NULL DEFAULT 'store'",
    f"il VARCHAR(50) {TR} NOT NULL",
    f"ilce VARCHAR(50) {TR} NULL",
    f"address_line VARCHAR(500) {TR} NOT NULL",
    "phone VARCHAR(20) NULL",
    "email VARCHAR(254) NULL",
    "lat DECIMAL(9,6) NULL",
    "lng DECIMAL(9,6) NULL",
    "opening_hours JSON NULL",
    "is_active TINYINT(1) NOT NULL DEFAULT 1",
    CREATED,
    UPDATED,
    PK,
    "KEY ix_location (tenant_id, il, ilce)",
    "KEY ix_active (tenant_id, is_active, store_type)",
)

# ------------------------------------------------------------------------------------------
# Notifications
# ------------------------------------------------------------------------------------------
table(
    "notifications",
    ID,
    TENANT,
    "user_id BIGINT UNSIGNED NOT NULL",
    "channel ENUM('push','email','sms','in_app') NOT NULL",
    "category VARCHAR(32) NOT NULL COMMENT 'order, campaign, stock, wallet, system'",
    f"title VARCHAR(200) {TR} NOT NULL",
    f"body TEXT {TR} NULL",
    "data JSON NULL COMMENT 'deep link and ids for the app'",
    "status VARCHAR(32) NOT NULL DEFAULT 'queued' COMMENT 'queued, sent, failed'",
    "error VARCHAR(500) NULL",
    "sent_at DATETIME(6) NULL",
    "read_at DATETIME(6) NULL",
    CREATED,
    PK,
    "KEY ix_user (tenant_id, user_id, created_at)",
    "KEY ix_status (tenant_id, status, created_at)",
    FK("user_id", "users", "CASCADE"),
)

# ------------------------------------------------------------------------------------------
# Analytics & ML
# ------------------------------------------------------------------------------------------
table(
    "user_events",
    ID,
    TENANT,
    # No foreign keys on user or product: events arrive in bulk from a queue and outlive both.
    "user_id BIGINT UNSIGNED NULL",
    "session_id VARCHAR(64) NULL",
    "device_id VARCHAR(128) NULL",
    "event_type VARCHAR(50) NOT NULL COMMENT 'product_view, add_to_cart, search, purchase, ...'",
    "product_id BIGINT UNSIGNED NULL",
    "category_id BIGINT UNSIGNED NULL",
    "screen VARCHAR(100) NULL",
    "source VARCHAR(100) NULL COMMENT 'traffic source or campaign'",
    "payload JSON NULL",
    CREATED,
    PK,
    "KEY ix_created (tenant_id, created_at)",
    "KEY ix_user (tenant_id, user_id, created_at)",
    "KEY ix_type (tenant_id, event_type, created_at)",
    "KEY ix_product (tenant_id, product_id, created_at)",
)

table(
    "user_data",
    ID,
    TENANT,
    "user_id BIGINT UNSIGNED NOT NULL",
    "segment VARCHAR(50) NULL COMMENT 'written back by the ML service'",
    "segment_updated_at DATETIME(6) NULL",
    "preferences JSON NULL",
    "stats JSON NULL COMMENT 'order count, total spent, last purchase, level progress'",
    "last_seen_at DATETIME(6) NULL",
    CREATED,
    UPDATED,
    PK,
    TENANT_ID_KEY,
    "UNIQUE KEY ux_user (tenant_id, user_id)",
    "KEY ix_segment (tenant_id, segment)",
    FK("user_id", "users", "CASCADE"),
)

table(
    "user_specific_data",
    ID,
    TENANT,
    "user_data_id BIGINT UNSIGNED NOT NULL",
    "data_key VARCHAR(100) NOT NULL",
    "data_value JSON NULL",
    CREATED,
    UPDATED,
    PK,
    "UNIQUE KEY ux_key (tenant_id, user_data_id, data_key)",
    FK("user_data_id", "user_data", "CASCADE"),
)

# ------------------------------------------------------------------------------------------
# Integrations
# ------------------------------------------------------------------------------------------
table(
    "integrations",
    ID,
    TENANT,
    "type VARCHAR(32) NOT NULL COMMENT 'trendyol, hepsiburada, xml_feed, iyzico, sms, ...'",
    "name VARCHAR(100) NOT NULL",
    "config JSON NULL COMMENT 'non-secret settings'",
    "credentials_enc BLOB NULL COMMENT 'AES-256 encrypted JSON of secrets'",
    "status ENUM('active','disabled','error') NOT NULL DEFAULT 'disabled'",
    "schedule VARCHAR(64) NULL COMMENT 'rate or cron expression for sync jobs'",
    "last_sync_at DATETIME(6) NULL",
    "last_sync_status VARCHAR(32) NULL",
    "last_error VARCHAR(1000) NULL",
    CREATED,
    UPDATED,
    PK,
    TENANT_ID_KEY,
    "UNIQUE KEY ux_name (tenant_id, type, name)",
)

table(
    "integration_sync_runs",
    ID,
    TENANT,
    "integration_id BIGINT UNSIGNED NOT NULL",
    "trigger_type ENUM('schedule','manual','webhook') NOT NULL DEFAULT 'schedule'",
    "status VARCHAR(32) NOT NULL DEFAULT 'running' "
    "COMMENT 'running, succeeded, partial, failed'",
    "item_count INT NOT NULL DEFAULT 0",
    "updated_count INT NOT NULL DEFAULT 0",
    "failed_count INT NOT NULL DEFAULT 0",
    "errors JSON NULL COMMENT 'first errors, the full report is at report_key'",
    "report_key VARCHAR(500) NULL",
    "started_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)",
    "finished_at DATETIME(6) NULL",
    CREATED,
    PK,
    "KEY ix_integration (tenant_id, integration_id, started_at)",
    FK("integration_id", "integrations", "CASCADE"),
)

# ------------------------------------------------------------------------------------------
# Content shown by the apps
# ------------------------------------------------------------------------------------------
table(
    "stories",
    ID,
    TENANT,
    f"title VARCHAR(150) {TR} NOT NULL",
    "media_key VARCHAR(500) NOT NULL",
    "media_type ENUM('image','video') NOT NULL DEFAULT 'image'",
    "thumbnail_key VARCHAR(500) NULL",
    "link_type VARCHAR(20) NULL COMMENT 'product, category, campaign, url'",
    "link_target VARCHAR(500) NULL",
    "duration_seconds SMALLINT UNSIGNED NOT NULL DEFAULT 5",
    "sort_order INT NOT NULL DEFAULT 0",
    "starts_at DATETIME(6) NULL",
    "ends_at DATETIME(6) NULL",
    "is_active TINYINT(1) NOT NULL DEFAULT 1",
    "view_count INT NOT NULL DEFAULT 0",
    CREATED,
    UPDATED,
    PK,
    "KEY ix_active (tenant_id, is_active, sort_order)",
)

table(
    "sliders",
    ID,
    TENANT,
    f"title VARCHAR(150) {TR} NOT NULL",
    f"subtitle VARCHAR(255) {TR} NULL",
    "image_key VARCHAR(500) NOT NULL",
    "mobile_image_key VARCHAR(500) NULL",
    "placement VARCHAR(32) NOT NULL DEFAULT 'home'",
    "link_type VARCHAR(20) NULL COMMENT 'product, category, campaign, url'",
    "link_target VARCHAR(500) NULL",
    "sort_order INT NOT NULL DEFAULT 0",
    "starts_at DATETIME(6) NULL",
    "ends_at DATETIME(6) NULL",
    "is_active TINYINT(1) NOT NULL DEFAULT 1",
    "click_count INT NOT NULL DEFAULT 0",
    CREATED,
    UPDATED,
    PK,
    "KEY ix_placement (tenant_id, placement, is_active, sort_order)",
)

table(
    "popups",
    ID,
    TENANT,
    f"title VARCHAR(150) {TR} NOT NULL",
    f"body TEXT {TR} NULL",
    "image_key VARCHAR(500) NULL",
    f"cta_text VARCHAR(100) {TR} NULL",
    "cta_link VARCHAR(500) NULL",
    "trigger_type VARCHAR(20) NOT NULL DEFAULT 'app_open' "
    "COMMENT 'app_open, delay, exit_intent, page_view'",
    "audience JSON NULL COMMENT 'segments, levels, new users'",
    "frequency ENUM('once','daily','every_visit') NOT NULL DEFAULT 'once'",
    "priority INT NOT NULL DEFAULT 0",
    "starts_at DATETIME(6) NULL",
    "ends_at DATETIME(6) NULL",
    "is_active TINYINT(1) NOT NULL DEFAULT 1",
    CREATED,
    UPDATED,
    PK,
    "KEY ix_active (tenant_id, is_active, priority)",
)


def upgrade() -> None:
    for _name, ddl in TABLES:
        op.execute(ddl)


def downgrade() -> None:
    for name, _ddl in reversed(TABLES):
        op.execute(f"DROP TABLE {name}")
