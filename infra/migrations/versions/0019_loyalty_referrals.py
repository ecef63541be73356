"""Referral earnings per side (issue 15, R2): one row for the referrer and one for the referee.

referral_earnings came with UNIQUE (tenant_id, referral_id, order_id), but both sides of a
referral are rewarded for the same order, so the second row collided.  The key becomes
(tenant_id, referral_id, role) - one earning per side, whatever the order - and the row keeps
what a reversal took back (reversed_amount; a shortfall is amount - reversed_amount when the bonus
was spent or expired before the return) and when (reversed_at).

loyalty_members: its level's foreign key becomes tenant-scoped ((tenant_id, level_id) →
user_levels (tenant_id, id), as every other; the plain one made an index without tenant_id), and it
gains ix_retained (tenant_id, retained_until): the daily level job walks, tenant by
tenant, the members whose retained level ran out.  referrals gains ix_status (tenant_id, status,
created_at) for staff's list filtered by status.

Revision ID: 0019
Revises: 0018
"""
from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """ALTER TABLE referral_earnings
             ADD COLUMN role VARCHAR(16) NOT NULL DEFAULT 'referrer' COMMENT 'referrer, referee' AFTER user_id,
             ADD COLUMN reversed_amount DECIMAL(14,2) NOT NULL DEFAULT 0 AFTER journal_id,
             ADD COLUMN reversed_at DATETIME(6) NULL AFTER credited_at,
             ADD UNIQUE KEY ux_referral_role (tenant_id, referral_id, role),
             DROP KEY ux_referral_order,
             ADD CONSTRAINT ck_referral_earnings_reversed CHECK (reversed_amount >= 0 AND reversed_amount <= amount)"""
    )
    op.execute("ALTER TABLE loyalty_members DROP FOREIGN KEY fk_loyalty_members_level")
    op.execute("""ALTER TABLE loyalty_members DROP KEY fk_loyalty_members_level,
                    ADD CONSTRAINT fk_loyalty_members_level FOREIGN KEY (tenant_id, level_id)
                      REFERENCES user_levels (tenant_id, id),
                    ADD KEY ix_retained (tenant_id, retained_until)""")
    op.execute("ALTER TABLE referrals ADD KEY ix_status (tenant_id, status, created_at)")


def downgrade() -> None:
    op.execute("ALTER TABLE referrals DROP KEY ix_status")
    op.execute("ALTER TABLE loyalty_members DROP FOREIGN KEY fk_loyalty_members_level")
    op.execute("""ALTER TABLE loyalty_members DROP KEY ix_retained,
                    ADD CONSTRAINT fk_loyalty_members_level FOREIGN KEY (level_id) REFERENCES user_levels (id)""")
    op.execute(
        """ALTER TABLE referral_earnings
             DROP CONSTRAINT ck_referral_earnings_reversed,
             ADD UNIQUE KEY ux_referral_order (tenant_id, referral_id, order_id),
             DROP KEY ux_referral_role,
             DROP COLUMN reversed_at, DROP COLUMN reversed_amount, DROP COLUMN role"""
    )
