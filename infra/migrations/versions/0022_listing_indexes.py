"""Covering sort indexes for the public listing at 100,000 products (issue 16).

A listing page without a category picks its ids by walking the sort's index
(ix_status_created / _price / _sold / _rating) until `limit` rows pass the filters.  Those
indexes held only (tenant_id, status, sort key), so every candidate cost a row read to check
its category, brand, price and stock: ~2-3 µs each, and a page over a filter that keeps 1 % of
the shop walks ~100 candidates per row shown.  Now each carries the filter columns after the
sort key, so the filters are checked on the index entry itself (~0.2 µs) and the row is read
only for the ids on the page.  ix_status_price also carries created_at, so a narrow price range
sorted by newest is answered from the index alone (the planner in catalog.listing_plan picks
that range when the estimated match count says it is smaller than the walk).

sold_count and the ratings are left out of the price index on purpose: they change with every
paid order and review, and each extra index holding them is one more index write per change.

ix_status_brand (tenant_id, status, brand_id, base_price, id, category_id, in_stock, created_at)
is the way in when a brand is the narrow filter (a brand with little or nothing in a big
category, or a brand's page by price): one brand's range is in price order, and is checked on
the index.

The category indexes of migration 0005 get the same `id` after their sort key: one category's
page is then read in order and stops at LIMIT instead of sorting the whole category.

Revision ID: 0022
Revises: 0021
"""
from __future__ import annotations

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # `id` right after the sort key: pages are ordered by (key, id), and an index reads in that
    # order only if id comes next (InnoDB appends the primary key last otherwise, after the filter
    # columns, and MariaDB would sort instead of walk).
    op.execute(
        """ALTER TABLE products
             DROP KEY ix_status_created,
             ADD KEY ix_status_created (tenant_id, status, created_at, id, category_id, brand_id, base_price, in_stock),
             DROP KEY ix_status_price,
             ADD KEY ix_status_price (tenant_id, status, base_price, id, category_id, brand_id, in_stock, created_at),
             DROP KEY ix_status_sold,
             ADD KEY ix_status_sold (tenant_id, status, sold_count, id, category_id, brand_id, base_price, in_stock),
             DROP KEY ix_status_rating,
             ADD KEY ix_status_rating (tenant_id, status, rating_avg, rating_count, id, category_id, brand_id,
                                       base_price, in_stock),
             DROP KEY ix_category_created,
             ADD KEY ix_category_created (tenant_id, status, category_id, created_at, id, brand_id, base_price, in_stock),
             DROP KEY ix_category_price,
             ADD KEY ix_category_price (tenant_id, status, category_id, base_price, id, brand_id, in_stock),
             DROP KEY ix_category_sold,
             ADD KEY ix_category_sold (tenant_id, status, category_id, sold_count, id, brand_id, base_price, in_stock),
             DROP KEY ix_category_rating,
             ADD KEY ix_category_rating (tenant_id, status, category_id, rating_avg, rating_count, id, brand_id,
                                         base_price, in_stock),
             ADD KEY ix_status_brand (tenant_id, status, brand_id, base_price, id, category_id, in_stock, created_at)"""
    )


def downgrade() -> None:
    op.execute(
        """ALTER TABLE products
             DROP KEY ix_status_brand,
             DROP KEY ix_status_created, ADD KEY ix_status_created (tenant_id, status, created_at),
             DROP KEY ix_status_price, ADD KEY ix_status_price (tenant_id, status, base_price),
             DROP KEY ix_status_sold, ADD KEY ix_status_sold (tenant_id, status, sold_count),
             DROP KEY ix_status_rating, ADD KEY ix_status_rating (tenant_id, status, rating_avg, rating_count),
             DROP KEY ix_category_created,
             ADD KEY ix_category_created (tenant_id, status, category_id, created_at, brand_id, base_price, in_stock),
             DROP KEY ix_category_price,
             ADD KEY ix_category_price (tenant_id, status, category_id, base_price, brand_id, in_stock),
             DROP KEY ix_category_sold,
             ADD KEY ix_category_sold (tenant_id, status, category_id, sold_count, brand_id, base_price, in_stock),
             DROP KEY ix_category_rating,
             ADD KEY ix_category_rating (tenant_id, status, category_id, rating_avg, rating_count, brand_id,
                                         base_price, in_stock)"""
    )
