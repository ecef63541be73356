"""Notification channels (issue 13 item 4): push devices, preferences, İYS consent, the delivery log.

- push_devices: a user's Expo push tokens, one row per (user, device).  A token is unique per
  tenant (ux_token): re-registering a token from another account or device moves the row, so a
  phone handed to someone else stops getting the first owner's messages.  Dead tokens
  (DeviceNotRegistered) are deleted, not flagged: nothing reads them again.
- notification_preferences: only what the user changed; a missing row is the default
  (transactional on, campaign off), so adding a category needs no backfill.
- marketing_consents: the İYS consent record, append-only (İYS wants the history: who, which
  channel type, ONAY / RET, from where, when).  The newest row per (user, channel) is the state.
  iys_status tracks the sync to İYS (pending until the adapter sends it; not_applicable for push,
  which İYS does not cover).
- notification_deliveries: the delivery log, one row per message and channel.  ux_message makes
  the consumer idempotent on (message id, channel) at the database, whatever Redis remembers.
  ix_due is global on purpose: the sweep re-queues deferred rows of every tenant.
- push_tickets: Expo's tickets of a push delivery (one per device), until their receipt is read.
  ix_pending is global on purpose: the receipts job reads every tenant's pending tickets.

Revision ID: 0015
Revises: 0014
"""
from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

OPTIONS = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"
ASCII = "CHARACTER SET ascii COLLATE ascii_bin"


def upgrade() -> None:
    op.execute(
        f"""CREATE TABLE push_devices (
              id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
              tenant_id BIGINT UNSIGNED NOT NULL,
              user_id BIGINT UNSIGNED NOT NULL,
              device_id VARCHAR(128) {ASCII} NOT NULL COMMENT 'the app''s installation id',
              token VARCHAR(255) {ASCII} NOT NULL COMMENT 'ExponentPushToken[...]',
              platform ENUM('ios','android','web') NULL,
              created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
              updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
              PRIMARY KEY (id),
              UNIQUE KEY ux_tenant_id (tenant_id, id),
              UNIQUE KEY ux_token (tenant_id, token),
              UNIQUE KEY ux_device (tenant_id, user_id, device_id),
              CONSTRAINT fk_push_devices_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
              CONSTRAINT fk_push_devices_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
                ON DELETE CASCADE
            ) {OPTIONS}"""
    )
    op.execute(
        f"""CREATE TABLE notification_preferences (
              tenant_id BIGINT UNSIGNED NOT NULL,
              user_id BIGINT UNSIGNED NOT NULL,
              category VARCHAR(16) {ASCII} NOT NULL COMMENT 'order, campaign, stock, account',
              channel VARCHAR(8) {ASCII} NOT NULL COMMENT 'email, sms, push',
              enabled TINYINT(1) NOT NULL,
              updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
              PRIMARY KEY (tenant_id, user_id, category, channel),
              CONSTRAINT fk_notification_preferences_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
              CONSTRAINT fk_notification_preferences_user FOREIGN KEY (tenant_id, user_id)
                REFERENCES users (tenant_id, id) ON DELETE CASCADE
            ) {OPTIONS}"""
    )
    op.execute(
        f"""CREATE TABLE marketing_consents (
              id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
              tenant_id BIGINT UNSIGNED NOT NULL,
              user_id BIGINT UNSIGNED NOT NULL,
              channel VARCHAR(8) {ASCII} NOT NULL COMMENT 'email, sms, push (ours)',
              iys_type VARCHAR(8) {ASCII} NULL COMMENT 'İYS: EPOSTA, MESAJ (ARAMA unused); NULL for push',
              recipient VARCHAR(254) NULL COMMENT 'the address or E.164 number consented, as İYS records it',
              status ENUM('ONAY','RET') NOT NULL,
              source VARCHAR(40) {ASCII} NOT NULL COMMENT 'ours, e.g. mobile_app_settings',
              iys_source VARCHAR(24) {ASCII} NULL COMMENT 'İYS: HS_MOBIL, HS_WEB, ...',
              consent_at DATETIME(6) NOT NULL,
              iys_status ENUM('pending','synced','failed','not_applicable') NOT NULL DEFAULT 'pending',
              iys_synced_at DATETIME(6) NULL,
              PRIMARY KEY (id),
              KEY ix_user (tenant_id, user_id, channel, id),
              KEY ix_iys (tenant_id, iys_status, id),
              CONSTRAINT fk_marketing_consents_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
            ) {OPTIONS} COMMENT 'kept after the account is deleted: proof of consent outlives it'"""
    )
    op.execute(
        f"""CREATE TABLE notification_deliveries (
              id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
              tenant_id BIGINT UNSIGNED NOT NULL,
              message_id VARCHAR(64) {ASCII} NOT NULL COMMENT 'one send() call: shared by its channels',
              user_id BIGINT UNSIGNED NULL,
              category VARCHAR(16) {ASCII} NOT NULL,
              template VARCHAR(64) {ASCII} NOT NULL,
              channel VARCHAR(8) {ASCII} NOT NULL,
              lang CHAR(2) NULL COMMENT 'NULL: the user''s language at delivery',
              params JSON NOT NULL COMMENT 'the template parameters; rendered at delivery',
              status VARCHAR(12) NOT NULL
                COMMENT 'queued, sending, deferred, sent, delivered, failed, suppressed',
              reason VARCHAR(64) NULL COMMENT 'why failed / suppressed / deferred: no_consent, quiet_hours, ...',
              provider VARCHAR(16) NULL COMMENT 'ses, sns, netgsm, expo',
              provider_ref VARCHAR(128) NULL COMMENT 'the provider''s message / job id',
              recipient VARCHAR(64) NULL COMMENT 'masked: a***@example.com, +90********67, 2 devices',
              attempts SMALLINT UNSIGNED NOT NULL DEFAULT 0,
              next_attempt_at DATETIME(6) NULL COMMENT 'deferred: when to try again',
              lease_until DATETIME(6) NULL COMMENT 'sending: another consumer may take it after this',
              created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
              updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
              sent_at DATETIME(6) NULL,
              delivered_at DATETIME(6) NULL,
              PRIMARY KEY (id),
              UNIQUE KEY ux_tenant_id (tenant_id, id),
              UNIQUE KEY ux_message (tenant_id, message_id, channel),
              KEY ix_status (tenant_id, status, id),
              KEY ix_user (tenant_id, user_id, id),
              KEY ix_due (status, next_attempt_at) COMMENT 'Global on purpose - the sweep re-queues every tenant''s',
              CONSTRAINT fk_notification_deliveries_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
            ) {OPTIONS}"""
    )
    op.execute(
        f"""CREATE TABLE push_tickets (
              ticket_id VARCHAR(64) {ASCII} NOT NULL COMMENT 'Expo''s ticket id = its receipt id',
              tenant_id BIGINT UNSIGNED NOT NULL,
              delivery_id BIGINT UNSIGNED NOT NULL,
              token VARCHAR(255) {ASCII} NOT NULL,
              status ENUM('pending','ok','error') NOT NULL DEFAULT 'pending',
              error VARCHAR(64) NULL,
              created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
              checked_at DATETIME(6) NULL,
              PRIMARY KEY (tenant_id, ticket_id),
              KEY ix_delivery (tenant_id, delivery_id),
              KEY ix_pending (status, created_at) COMMENT 'Global on purpose - the receipts job reads all tenants',
              CONSTRAINT fk_push_tickets_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
              CONSTRAINT fk_push_tickets_delivery FOREIGN KEY (tenant_id, delivery_id)
                REFERENCES notification_deliveries (tenant_id, id) ON DELETE CASCADE
            ) {OPTIONS}"""
    )


def downgrade() -> None:
    for table in ("push_tickets", "notification_deliveries", "marketing_consents", "notification_preferences",
                  "push_devices"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
