-- The columns the ML service reads and writes, with the API's types and keys (infra/migrations/versions
-- 0001_initial_schema.py and 0017_ml.py); foreign keys to tables the service never touches are left out.
CREATE TABLE products (
  id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, tenant_id BIGINT UNSIGNED NOT NULL,
  name VARCHAR(255) NOT NULL DEFAULT '', status ENUM('draft','active','archived') NOT NULL DEFAULT 'draft',
  base_price DECIMAL(14,2) NOT NULL DEFAULT 0, sold_count INT NOT NULL DEFAULT 0,
  KEY ix_status_sold (tenant_id, status, sold_count)
);
CREATE TABLE orders (
  id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, tenant_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NULL, status VARCHAR(32) NOT NULL DEFAULT 'pending_payment',
  grand_total DECIMAL(14,2) NOT NULL, refunded_total DECIMAL(14,2) NOT NULL DEFAULT 0,
  placed_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), KEY ix_tenant (tenant_id)
);
CREATE TABLE order_items (
  id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, tenant_id BIGINT UNSIGNED NOT NULL,
  order_id BIGINT UNSIGNED NOT NULL, product_id BIGINT UNSIGNED NOT NULL,
  unit_price DECIMAL(14,2) NOT NULL, quantity INT NOT NULL, returned_quantity INT NOT NULL DEFAULT 0,
  KEY ix_order (tenant_id, order_id)
);
CREATE TABLE user_events (
  id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, tenant_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NULL, session_id VARCHAR(64) NULL, device_id VARCHAR(128) NULL,
  event_type VARCHAR(50) NOT NULL, product_id BIGINT UNSIGNED NULL, category_id BIGINT UNSIGNED NULL,
  screen VARCHAR(100) NULL, source VARCHAR(100) NULL, payload JSON NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY ix_created (tenant_id, created_at), KEY ix_type (tenant_id, event_type, created_at)
);
CREATE TABLE user_data (
  id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, tenant_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NOT NULL, segment VARCHAR(50) NULL, segment_updated_at DATETIME(6) NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  UNIQUE KEY ux_user (tenant_id, user_id), KEY ix_segment (tenant_id, segment)
);
CREATE TABLE ml_anomalies (
  id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, tenant_id BIGINT UNSIGNED NOT NULL,
  kind VARCHAR(20) NOT NULL, subject_type VARCHAR(20) NOT NULL, subject_id VARCHAR(128) NOT NULL,
  user_id BIGINT UNSIGNED NULL, score DECIMAL(8,5) NOT NULL, reasons JSON NOT NULL,
  event_id VARCHAR(128) NOT NULL, model_version VARCHAR(64) NOT NULL,
  status VARCHAR(20) NOT NULL DEFAULT 'open', reviewed_by BIGINT UNSIGNED NULL, reviewed_at DATETIME(6) NULL,
  note VARCHAR(500) NULL, created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY ux_event (tenant_id, kind, event_id), KEY ix_status (tenant_id, status, created_at),
  KEY ix_subject (tenant_id, subject_type, subject_id)
);
