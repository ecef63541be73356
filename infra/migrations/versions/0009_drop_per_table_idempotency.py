"""Per-table idempotency columns go (issue 10 item 4): one mechanism, platform/idempotency.py.

Checkout and shipment booking now keep an Idempotency-Key, the request's fingerprint and the
answer in idempotency_keys (scope: tenant, actor, operation).  The columns each table had for
its own copy of that are written by nothing:
- orders.idempotency_key (+ ux_idempotency) and orders.request_hash (0006);
- shipments.request_hash (0007).  shipments.reference stays: it is our booking reference at
  the carrier (derived from the key), which the carrier de-duplicates on.
payments.idempotency_key and payment_refunds.idempotency_key stay for the payments issue to
decide (iyzico attempts are recorded before the call; see the roadmap).

Revision ID: 0009
Revises: 0008
"""
from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE orders DROP KEY ux_idempotency, DROP COLUMN request_hash, DROP COLUMN idempotency_key")
    op.execute("ALTER TABLE shipments DROP COLUMN request_hash")


def downgrade() -> None:
    op.execute("ALTER TABLE shipments ADD COLUMN request_hash CHAR(64) NULL AFTER reference")
    op.execute(
        """ALTER TABLE orders
             ADD COLUMN idempotency_key VARCHAR(128) NULL AFTER admin_note,
             ADD COLUMN request_hash CHAR(64) NULL AFTER idempotency_key,
             ADD UNIQUE KEY ux_idempotency (tenant_id, idempotency_key)"""
    )
