"""HPay bonus grants (issue 11 item 8): what each earned bonus still holds and when it expires.

- wallet_bonus_grants (new): one row per bonus credited to a customer's bonus account (an order
  delivered today; referral and level rewards later), named by the transfer id of the entry that
  credited it (ux_transfer: one grant per entry).  `remaining` is what is left of `amount` after
  spends took from it, soonest-expiring grant first; the hourly sweep posts an expiry entry for
  what remains past `expires_at`, a return takes back what remains of the order's grant.
  ix_expiry is global on purpose: the sweep scans every tenant's expired grants in one range read.

Revision ID: 0011
Revises: 0010
"""
from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

OPTIONS = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"


def upgrade() -> None:
    op.execute(
        f"""CREATE TABLE wallet_bonus_grants (
              id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
              tenant_id BIGINT UNSIGNED NOT NULL,
              account_id BIGINT UNSIGNED NOT NULL COMMENT 'the customer''s bonus account',
              transfer_id VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
                COMMENT 'the entry that credited it, e.g. bonus-order-812',
              order_id BIGINT UNSIGNED NULL COMMENT 'the delivered order it was earned on',
              amount DECIMAL(18,2) NOT NULL,
              remaining DECIMAL(18,2) NOT NULL,
              status VARCHAR(16) NOT NULL DEFAULT 'active' COMMENT 'active, expired, reversed',
              expires_at DATETIME(6) NOT NULL,
              note VARCHAR(255) COLLATE utf8mb4_turkish_ci NULL COMMENT 'why it ended (a reversal''s shortfall)',
              created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
              updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
              PRIMARY KEY (id),
              UNIQUE KEY ux_tenant_id (tenant_id, id),
              UNIQUE KEY ux_transfer (tenant_id, transfer_id),
              KEY ix_order (tenant_id, order_id),
              KEY ix_spend (tenant_id, account_id, status, expires_at),
              KEY ix_expiry (status, expires_at) COMMENT 'Global on purpose - the bonus sweep scans all tenants',
              CONSTRAINT fk_wallet_bonus_grants_account FOREIGN KEY (tenant_id, account_id)
                REFERENCES wallet_accounts (tenant_id, id) ON DELETE RESTRICT,
              CONSTRAINT fk_wallet_bonus_grants_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
              CONSTRAINT ck_wallet_bonus_grants_amounts CHECK (amount > 0 AND remaining BETWEEN 0 AND amount)
            ) {OPTIONS}"""
    )


def downgrade() -> None:
    op.execute("DROP TABLE wallet_bonus_grants")
