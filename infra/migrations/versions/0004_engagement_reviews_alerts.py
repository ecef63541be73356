"""Engagement (issue 4 items 7 and 8): review sort orders and product-level stock alerts.

- reviews: the public list sorts approved reviews of a product by newest (ix_product_status,
  already there), most helpful or rating; one index each keeps those keyset pages an index
  range instead of a sort of every review of the product.
- back_in_stock_subscriptions.variation_id becomes NULL-able: NULL is a subscription to the
  product as a whole (any of its variations coming back).  ux_variation_user (tenant, variation,
  user) still makes a variation alert unique per user; a NULL never collides in a unique key,
  so the service keeps product-level alerts unique under a lock on the user's row (the way the
  addresses area keeps its limits).  A generated column folding NULL into the key would be the
  schema-level way, but MySQL 8 refuses a stored generated column over a column whose foreign
  key cascades (this one does).
- ix_status_variation / ix_status_product let `stock_returned` find the *active* alerts of
  the variations that came back without reading the already-notified ones.

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """ALTER TABLE reviews
             ADD KEY ix_product_helpful (tenant_id, product_id, status, helpful_count),
             ADD KEY ix_product_rating (tenant_id, product_id, status, rating)"""
    )
    op.execute(
        """ALTER TABLE back_in_stock_subscriptions
             MODIFY variation_id BIGINT UNSIGNED NULL
               COMMENT 'NULL - the product as a whole, any variation back in stock',
             ADD KEY ix_status_variation (tenant_id, status, variation_id),
             ADD KEY ix_status_product (tenant_id, status, product_id)"""
    )


def downgrade() -> None:
    # Product-level alerts have no place in the old shape: they go.
    op.execute("DELETE FROM back_in_stock_subscriptions WHERE variation_id IS NULL")
    op.execute(
        """ALTER TABLE back_in_stock_subscriptions
             DROP KEY ix_status_product,
             DROP KEY ix_status_variation,
             MODIFY variation_id BIGINT UNSIGNED NOT NULL"""
    )
    op.execute("ALTER TABLE reviews DROP KEY ix_product_rating, DROP KEY ix_product_helpful")
