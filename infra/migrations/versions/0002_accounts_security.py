"""Accounts security (issue 3): how a session was authenticated, TOTP recovery codes,
one-time token payloads (e-mail / phone change targets) and biometric device keys.

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OPTIONS = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"


def upgrade() -> None:
    # RFC 8176 methods of the login that started the family ("pwd", "pwd,otp", "hwk"), so a
    # refreshed access token keeps saying how its session was authenticated.
    op.execute("ALTER TABLE refresh_tokens ADD COLUMN amr VARCHAR(32) NOT NULL DEFAULT 'pwd' AFTER family_id")
    # What a one-time token is for beyond its purpose, e.g. the new e-mail of an e-mail change
    # (sealed with crypto.seal when it is personal data).
    op.execute("ALTER TABLE user_tokens ADD COLUMN payload VARBINARY(600) NULL AFTER token_hash")
    op.execute(
        f"""CREATE TABLE user_recovery_codes (
              id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
              tenant_id BIGINT UNSIGNED NOT NULL,
              user_id BIGINT UNSIGNED NOT NULL,
              code_hash CHAR(64) NOT NULL COMMENT 'HMAC-SHA256 of the normalised code',
              used_at DATETIME(6) NULL,
              created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
              PRIMARY KEY (id),
              UNIQUE KEY ux_code (tenant_id, user_id, code_hash),
              CONSTRAINT fk_user_recovery_codes_user FOREIGN KEY (tenant_id, user_id)
                REFERENCES users (tenant_id, id) ON DELETE CASCADE,
              CONSTRAINT fk_user_recovery_codes_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
            ) {OPTIONS}"""
    )
    # A device may hold one biometric key; keys are listed and revoked per device.
    op.execute(
        f"""CREATE TABLE biometric_keys (
              id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
              tenant_id BIGINT UNSIGNED NOT NULL,
              user_id BIGINT UNSIGNED NOT NULL,
              device_id VARCHAR(128) NOT NULL,
              device_name VARCHAR(100) NULL,
              public_key_pem TEXT NOT NULL COMMENT 'ECDSA P-256 SubjectPublicKeyInfo',
              key_fingerprint CHAR(64) NOT NULL COMMENT 'SHA-256 of the DER public key',
              last_used_at DATETIME(6) NULL,
              revoked_at DATETIME(6) NULL,
              created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
              PRIMARY KEY (id),
              UNIQUE KEY ux_tenant_id (tenant_id, id),
              KEY ix_user (tenant_id, user_id, revoked_at),
              UNIQUE KEY ux_fingerprint (tenant_id, key_fingerprint),
              CONSTRAINT fk_biometric_keys_user FOREIGN KEY (tenant_id, user_id)
                REFERENCES users (tenant_id, id) ON DELETE CASCADE,
              CONSTRAINT fk_biometric_keys_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
            ) {OPTIONS}"""
    )


def downgrade() -> None:
    op.execute("DROP TABLE biometric_keys")
    op.execute("DROP TABLE user_recovery_codes")
    op.execute("ALTER TABLE user_tokens DROP COLUMN payload")
    op.execute("ALTER TABLE refresh_tokens DROP COLUMN amr")
