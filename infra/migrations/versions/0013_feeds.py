"""XML product-feed sync (issue 13 item 1): staff register feed sources; runs fetch, parse and
validate them and hand valid rows, in batches, to the catalogue.

- feed_sources: one feed per row.  kind http (url) or s3 (bucket / object_key); format
  google_merchant_rss, atom or plain_xml; field_mapping overrides the format's element names;
  category_mapping / brand_mapping turn the feed's words into our ids.  A schedule is "every N
  minutes" (interval_minutes); next_run_at is when the dispatcher starts it next.  etag /
  last_modified are the origin's validators of the last fetched copy (conditional GET: a 304 ends
  the run as not_modified).  ix_due is global on purpose: the dispatcher reads the due sources of
  every tenant in one query.
- feed_runs: one run per fetch.  status: queued, running, not_modified, succeeded, failed.
  Counts: seen (items parsed), valid / invalid (after our checks and the catalogue's), created /
  updated / unchanged (the catalogue's answer).  batches_sent is set when parsing ends;
  batches_done counts the consumer's batches, so the run ends when both meet.  report_key is the
  CSV error report in the feeds bucket.  source_id has no foreign key on purpose: a deleted
  source's runs and reports stay, for the record.
- feed_run_batches: which batches of a run were applied (PK run_id, batch_no): the queue delivers
  at least once, and a batch applied twice would count twice; written in the batch's transaction.
- feed_run_errors: each bad row with its line and reason (the report is written from these).

Revision ID: 0013
Revises: 0012
"""
from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

OPTIONS = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"
ASCII = "CHARACTER SET ascii COLLATE ascii_bin"


def upgrade() -> None:
    op.execute(
        f"""CREATE TABLE feed_sources (
              id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
              tenant_id BIGINT UNSIGNED NOT NULL,
              name VARCHAR(150) COLLATE utf8mb4_turkish_ci NOT NULL,
              kind ENUM('http','s3') NOT NULL,
              url VARCHAR(2000) NULL COMMENT 'kind http',
              bucket VARCHAR(63) {ASCII} NULL COMMENT 'kind s3',
              object_key VARCHAR(1024) NULL COMMENT 'kind s3',
              format ENUM('google_merchant_rss','atom','plain_xml') NOT NULL,
              field_mapping JSON NULL COMMENT 'our field -> the feed''s element name',
              category_mapping JSON NULL COMMENT 'the feed''s category text -> category id',
              brand_mapping JSON NULL COMMENT 'the feed''s brand text -> brand id',
              interval_minutes INT UNSIGNED NULL COMMENT 'NULL: on demand only',
              enabled TINYINT(1) NOT NULL DEFAULT 1,
              report_email VARCHAR(254) NULL COMMENT 'who receives each run''s error report',
              etag VARCHAR(255) NULL,
              last_modified VARCHAR(64) NULL,
              next_run_at DATETIME(6) NULL,
              last_run_id BIGINT UNSIGNED NULL,
              created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
              updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
              PRIMARY KEY (id),
              UNIQUE KEY ux_tenant_id (tenant_id, id),
              UNIQUE KEY ux_name (tenant_id, name),
              KEY ix_due (enabled, next_run_at) COMMENT 'Global on purpose - the dispatcher scans all tenants',
              CONSTRAINT fk_feed_sources_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
            ) {OPTIONS}"""
    )
    op.execute(
        f"""CREATE TABLE feed_runs (
              id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
              tenant_id BIGINT UNSIGNED NOT NULL,
              source_id BIGINT UNSIGNED NOT NULL,
              status VARCHAR(16) NOT NULL DEFAULT 'queued'
                COMMENT 'queued, running, not_modified, succeeded, failed',
              dry_run TINYINT(1) NOT NULL DEFAULT 0,
              triggered_by VARCHAR(16) NOT NULL DEFAULT 'schedule' COMMENT 'schedule, staff',
              actor_id BIGINT UNSIGNED NULL,
              seen_count INT UNSIGNED NOT NULL DEFAULT 0,
              valid_count INT UNSIGNED NOT NULL DEFAULT 0,
              invalid_count INT UNSIGNED NOT NULL DEFAULT 0,
              created_count INT UNSIGNED NOT NULL DEFAULT 0,
              updated_count INT UNSIGNED NOT NULL DEFAULT 0,
              unchanged_count INT UNSIGNED NOT NULL DEFAULT 0,
              batches_sent INT UNSIGNED NULL COMMENT 'set when parsing ends',
              batches_done INT UNSIGNED NOT NULL DEFAULT 0,
              failure VARCHAR(500) NULL COMMENT 'why a run failed as a whole (unsafe XML, fetch error)',
              report_key VARCHAR(300) NULL COMMENT 'the CSV error report in the feeds bucket',
              started_at DATETIME(6) NULL,
              finished_at DATETIME(6) NULL,
              created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
              PRIMARY KEY (id),
              UNIQUE KEY ux_tenant_id (tenant_id, id),
              KEY ix_source (tenant_id, source_id, id),
              CONSTRAINT fk_feed_runs_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
            ) {OPTIONS}"""
    )
    op.execute(
        f"""CREATE TABLE feed_run_batches (
              tenant_id BIGINT UNSIGNED NOT NULL,
              run_id BIGINT UNSIGNED NOT NULL,
              batch_no INT UNSIGNED NOT NULL,
              rows_count INT UNSIGNED NOT NULL,
              applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
              PRIMARY KEY (tenant_id, run_id, batch_no),
              CONSTRAINT fk_feed_run_batches_run FOREIGN KEY (tenant_id, run_id) REFERENCES feed_runs (tenant_id, id),
              CONSTRAINT fk_feed_run_batches_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
            ) {OPTIONS}"""
    )
    op.execute(
        f"""CREATE TABLE feed_run_errors (
              id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
              tenant_id BIGINT UNSIGNED NOT NULL,
              run_id BIGINT UNSIGNED NOT NULL,
              line INT UNSIGNED NOT NULL COMMENT 'where the item starts in the feed',
              sku VARCHAR(64) NULL,
              field VARCHAR(32) NULL,
              reason VARCHAR(500) COLLATE utf8mb4_turkish_ci NOT NULL,
              PRIMARY KEY (id),
              UNIQUE KEY ux_tenant_id (tenant_id, id),
              KEY ix_run (tenant_id, run_id, line),
              CONSTRAINT fk_feed_run_errors_run FOREIGN KEY (tenant_id, run_id) REFERENCES feed_runs (tenant_id, id),
              CONSTRAINT fk_feed_run_errors_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
            ) {OPTIONS}"""
    )


def downgrade() -> None:
    for table in ("feed_run_errors", "feed_run_batches", "feed_runs", "feed_sources"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
