"""Cart, checkout and order lifecycle (issue 5): the columns 0001 left for this issue.

- orders.shipping_method: the code of the method the customer chose (cart.shipping); the price
  is in shipping_total.
- orders.request_hash: SHA-256 of the checkout request that created the order.  The
  Idempotency-Key finds the order (ux_idempotency); the hash tells a replay of the same request
  (same order back) from a different request reusing the key (409).
- orders.ix_email: the admin order search by customer e-mail.
- orders.ix_expiry (status, reserved_until): the reservation sweeper finds unpaid orders past
  their hold across all tenants in one range read - global on purpose, like the other sweeps.
- orders.ix_payment_method / ix_grand_total: the admin list filters by payment method and
  amount inside one tenant's date range.
- outbox_events.queue: which SQS queue the relay publishes an event to.  Events that must
  never be lost (an order placed, paid, cancelled) are written in the same transaction as the
  change (platform/outbox.py) and published after commit, or by the relay when that failed.
- returns.photo_keys: S3 keys of the customer's photos of the returned items.

Revision ID: 0006
Revises: 0005
"""
from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """ALTER TABLE orders
             ADD COLUMN shipping_method VARCHAR(32) NULL AFTER shipping_total,
             ADD COLUMN request_hash CHAR(64) NULL AFTER idempotency_key,
             ADD KEY ix_email (tenant_id, contact_email),
             ADD KEY ix_payment_method (tenant_id, payment_method, created_at),
             ADD KEY ix_grand_total (tenant_id, grand_total),
             ADD KEY ix_expiry (status, reserved_until)
               COMMENT 'Global on purpose - the reservation sweeper scans all tenants'"""
    )
    op.execute(
        """ALTER TABLE outbox_events
             ADD COLUMN queue VARCHAR(64) NOT NULL DEFAULT 'events' AFTER tenant_id"""
    )
    op.execute("ALTER TABLE returns ADD COLUMN photo_keys JSON NULL AFTER description")


def downgrade() -> None:
    op.execute("ALTER TABLE returns DROP COLUMN photo_keys")
    op.execute("ALTER TABLE outbox_events DROP COLUMN queue")
    op.execute(
        """ALTER TABLE orders DROP KEY ix_expiry, DROP KEY ix_grand_total, DROP KEY ix_payment_method, DROP KEY ix_email,
             DROP COLUMN request_hash, DROP COLUMN shipping_method"""
    )
