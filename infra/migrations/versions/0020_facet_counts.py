"""Facet counts kept incrementally (issue 16 item 3): active products per facet cell, kept by triggers.

The filter panel's counts (catalog.facets) were a GROUP BY over the shop's rows of ix_facets on
every uncached request: ~5 ms at 10,000 products, ~10x that at 100,000.  Now:

- `products.facet_bucket` (stored generated): a fine price bucket, 30 of them from 0 to 100,000+
  TRY (lower bounds in BUCKETS below).  Every facet band bound (catalog.facets.PRICE_BANDS) is a
  bucket bound, so a band is a run of whole buckets.  Not named price_*: it is no amount.
- `product_facet_counts` (tenant_id, category_id, brand_id (0 = none), in_stock, facet_band,
  facet_bucket) →
  how many ACTIVE products sit in that cell.  The facets of a listing without text or attribute
  filters are sums over the category subtree's cells (a few thousand rows at most, however big
  the shop); a price filter counts the buckets it covers whole from here and only the (at most
  two) buckets it cuts from products, through ix_price_bucket.  Rows whose count fell to 0 stay
  (cells come back; deleting them would need a second statement under the same lock).
- Triggers on products keep it exact in the writer's own transaction: AFTER INSERT / DELETE
  +1 / -1 the row's cell when it is active; AFTER UPDATE only when status, category, brand,
  bucket or in_stock changed, so the hot updates (sold_count, rating, stock that stays above 0)
  cost one comparison.  Every write to products is covered - the admin routes, the importer, the
  feeds, inventory's stock updates, raw SQL - which a hook in the application could not promise.
  A move between two cells touches them in primary-key order (fewer lock-order deadlocks).
  Cascading foreign-key actions do not fire triggers, but nothing deletes products by cascade.
- ix_price_bucket (tenant_id, status, facet_bucket, base_price, category_id, brand_id, in_stock):
  covering, so a cut bucket's in-range products are a range read of the index.

Creating triggers with binary logging on needs SUPER or log_bin_trust_function_creators = 1: on
Amazon RDS set log_bin_trust_function_creators = 1 in the DB parameter group before deploying.
The table is filled by one INSERT ... SELECT after the triggers exist, in a transaction holding
every product row (writers wait for it, a few seconds at 100,000 products; the ALTER that adds
the stored column copies the table anyway), so the counts are exact even with writers running.

The bucket bounds are copied here, not imported: a migration stays as it was written when the
application's constants move on.  tests/unit/test_facet_buckets.py checks they equal
catalog.facets.PRICE_BUCKETS (a change there needs a new migration).

Revision ID: 0020
Revises: 0019
"""
from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

# Lower bounds in TRY, index = facet_bucket (== catalog.facets.PRICE_BUCKETS when written).
BUCKETS: tuple[int, ...] = (
    0, 100, 200, 300, 400, 500, 600, 700, 800, 900,
    1000, 1250, 1500, 1750, 2000, 2250,
    2500, 3000, 3500, 4000, 4500,
    5000, 7500, 10000, 12500,
    15000, 25000, 40000, 60000, 100000,
)

# The primary key's order: a band is a run of buckets, so summing buckets to bands (catalog.
# listing_repository.facet_cube_counted) reads the key in order, without a temporary table.
CELL = ("tenant_id", "category_id", "brand_id", "in_stock", "facet_band", "facet_bucket")


def bucket_expression() -> str:
    """INTERVAL(x, b1, b2, ...) is the number of bounds <= x: the bucket index, one function call
    instead of a 30-branch CASE; MySQL 8 and MariaDB both have it."""
    return f"INTERVAL(base_price, {', '.join(str(b) for b in BUCKETS[1:])})"


def _cell(row: str) -> str:
    return (f"{row}.tenant_id, {row}.category_id, COALESCE({row}.brand_id, 0), {row}.in_stock, {row}.facet_band,"
            f" {row}.facet_bucket")


def _add(row: str) -> str:
    return (f"INSERT INTO product_facet_counts ({', '.join(CELL)}, products) VALUES ({_cell(row)}, 1)"
            " ON DUPLICATE KEY UPDATE products = products + 1;")


def _remove(row: str) -> str:
    return (f"UPDATE product_facet_counts SET products = products - 1 WHERE tenant_id = {row}.tenant_id"
            f" AND category_id = {row}.category_id AND brand_id = COALESCE({row}.brand_id, 0)"
            f" AND in_stock = {row}.in_stock AND facet_band = {row}.facet_band AND facet_bucket = {row}.facet_bucket;")


def _moved() -> str:
    same = " AND ".join(f"OLD.{c} <=> NEW.{c}" for c in ("status", "category_id", "brand_id", "facet_bucket", "in_stock"))
    return f"NOT ({same})"


def _old_cell_first() -> str:
    old = "(OLD.category_id, COALESCE(OLD.brand_id, 0), OLD.in_stock, OLD.facet_band, OLD.facet_bucket)"
    new = "(NEW.category_id, COALESCE(NEW.brand_id, 0), NEW.in_stock, NEW.facet_band, NEW.facet_bucket)"
    return f"{old} < {new}"


TRIGGERS = {
    "trg_products_facets_insert": f"""CREATE TRIGGER trg_products_facets_insert AFTER INSERT ON products FOR EACH ROW
        BEGIN
          IF NEW.status = 'active' THEN {_add('NEW')} END IF;
        END""",
    "trg_products_facets_delete": f"""CREATE TRIGGER trg_products_facets_delete AFTER DELETE ON products FOR EACH ROW
        BEGIN
          IF OLD.status = 'active' THEN {_remove('OLD')} END IF;
        END""",
    # Both cells in primary-key order (same tenant on both sides): two moves in opposite
    # directions then lock them in one order.
    "trg_products_facets_update": f"""CREATE TRIGGER trg_products_facets_update AFTER UPDATE ON products FOR EACH ROW
        BEGIN
          IF {_moved()} THEN
            IF NEW.status = 'active' AND (OLD.status <> 'active' OR NOT ({_old_cell_first()})) THEN
              {_add('NEW')}
              IF OLD.status = 'active' THEN {_remove('OLD')} END IF;
            ELSE
              IF OLD.status = 'active' THEN {_remove('OLD')} END IF;
              IF NEW.status = 'active' THEN {_add('NEW')} END IF;
            END IF;
          END IF;
        END""",
}


def upgrade() -> None:
    op.execute(
        f"""ALTER TABLE products
             ADD COLUMN facet_bucket TINYINT UNSIGNED AS ({bucket_expression()}) STORED
               COMMENT 'fine price bucket for facet counts - index into catalog.facets.PRICE_BUCKETS',
             ADD KEY ix_price_bucket (tenant_id, status, facet_bucket, base_price, category_id, brand_id, in_stock)"""
    )
    op.execute(
        """CREATE TABLE product_facet_counts (
             tenant_id BIGINT UNSIGNED NOT NULL,
             category_id BIGINT UNSIGNED NOT NULL,
             brand_id BIGINT UNSIGNED NOT NULL COMMENT '0 - no brand',
             in_stock TINYINT(1) NOT NULL,
             facet_band TINYINT UNSIGNED NOT NULL COMMENT 'products.facet_band - follows from the bucket',
             facet_bucket TINYINT UNSIGNED NOT NULL,
             products INT NOT NULL COMMENT 'active products in the cell',
             PRIMARY KEY (tenant_id, category_id, brand_id, in_stock, facet_band, facet_bucket),
             CONSTRAINT fk_product_facet_counts_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
           ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
             COMMENT 'Derived - active products per facet cell, kept by triggers on products (0020)'"""
    )
    # Triggers first (each DDL commits), then one transaction that locks every product row,
    # clears what writers' triggers counted meanwhile and fills from the locked rows: a write
    # committed before the lock is in the fill, one waiting for it goes through its trigger after.
    for ddl in TRIGGERS.values():
        op.execute(ddl)
    op.execute("SELECT COUNT(*) FROM products FORCE INDEX (PRIMARY) FOR UPDATE")
    op.execute("DELETE FROM product_facet_counts")
    op.execute(
        f"""INSERT INTO product_facet_counts ({', '.join(CELL)}, products)
            SELECT tenant_id, category_id, COALESCE(brand_id, 0), in_stock, facet_band, facet_bucket, COUNT(*)
              FROM products WHERE status = 'active'
             GROUP BY tenant_id, category_id, COALESCE(brand_id, 0), in_stock, facet_band, facet_bucket"""
    )


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE product_facet_counts")
    op.execute("ALTER TABLE products DROP KEY ix_price_bucket, DROP COLUMN facet_bucket")
