"""Invoices (issue 5 item 7): what 0001's invoices table needs for issuing them.

- invoices.seller: the issuer's details (legal name, tax office, VKN, address) as printed, taken
  from the tenant's settings at issue time.  An issued invoice must not change: re-rendering
  its PDF later (a failed upload, a lost object) has to print what was issued, not the
  tenant's address of the day.  The buyer is already a snapshot (invoices.buyer).
- invoices.ux_sale_order: at most one sale invoice per order.  The service issues under the
  order's row lock, so this never fires in normal operation; it is the last line of defence
  (like addresses.ux_default) against a second sale invoice, and so a second number, should
  anything ever issue outside that lock.  Return invoices (several per order) are not
  constrained: sale_order_id is NULL for them, and a UNIQUE key allows many NULLs.

Revision ID: 0008
Revises: 0007
"""
from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """ALTER TABLE invoices
             ADD COLUMN seller JSON NULL COMMENT 'issuer snapshot at issue time' AFTER status,
             ADD COLUMN sale_order_id BIGINT UNSIGNED
                 GENERATED ALWAYS AS (IF(invoice_type = 'sale', order_id, NULL)) VIRTUAL,
             ADD UNIQUE KEY ux_sale_order (tenant_id, sale_order_id)"""
    )


def downgrade() -> None:
    op.execute("ALTER TABLE invoices DROP KEY ux_sale_order, DROP COLUMN sale_order_id, DROP COLUMN seller")
