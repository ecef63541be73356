"""The ML service (issue 14): anomalies flagged for staff to review.

- ml_anomalies: one row per order, payment or login the ML service's Isolation Forest scored above
  its threshold (written by ml_container's realtime processor).  ux_event makes a redelivered
  event flag once: (tenant, kind, the triggering event's id).  Staff review happens in the API's ml
  area (status open → confirmed | dismissed, with who, when and a note).  No foreign key on user_id
  or subject: an anomaly outlives the account or order it was about (the evidence stays).

Revision ID: 0017
Revises: 0016
"""
from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

OPTIONS = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"


def upgrade() -> None:
    op.execute(
        f"""CREATE TABLE ml_anomalies (
              id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
              tenant_id BIGINT UNSIGNED NOT NULL,
              kind VARCHAR(20) NOT NULL COMMENT 'order, payment, login',
              subject_type VARCHAR(20) NOT NULL COMMENT 'order, user, device, ip',
              subject_id VARCHAR(128) NOT NULL,
              user_id BIGINT UNSIGNED NULL,
              score DECIMAL(8,5) NOT NULL COMMENT 'higher is more anomalous',
              reasons JSON NOT NULL COMMENT 'short English strings',
              event_id VARCHAR(128) NOT NULL COMMENT 'the triggering event',
              model_version VARCHAR(64) NOT NULL,
              status VARCHAR(20) NOT NULL DEFAULT 'open' COMMENT 'open, confirmed, dismissed',
              reviewed_by BIGINT UNSIGNED NULL,
              reviewed_at DATETIME(6) NULL,
              note VARCHAR(500) NULL,
              created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
              PRIMARY KEY (id),
              UNIQUE KEY ux_event (tenant_id, kind, event_id),
              KEY ix_status (tenant_id, status, created_at),
              KEY ix_subject (tenant_id, subject_type, subject_id),
              CONSTRAINT fk_ml_anomalies_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
            ) {OPTIONS}"""
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS ml_anomalies")
