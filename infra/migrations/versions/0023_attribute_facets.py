"""Attribute filters at 100,000 products (issue 16): the facet and filter columns on
product_attribute_values, and attribute facet counts kept by triggers.

An attribute filter (`attr=renk:Haki`) was one primary-key probe of product_attribute_values per
candidate product: fine for a walk that finds its page soon, but a broad value in the wrong
category (kalibre:12 under Giyim) walked the whole category probing each, and the facet cube
grouped every matching product (300-600 ms for mensei:Türkiye, which every product has).  Now:

- product_attribute_values carries the product's facet and filter columns: `active` (status =
  'active'), category_id, brand_id (0 = none), in_stock, facet_band, facet_bucket, base_price,
  and `value_cut` (stored generated: the value is a cut 255-character one, rechecked against the
  JSON).  ix_cells (tenant_id, attr_key, attr_value, value_cut, active, facet_bucket, base_price,
  category_id, brand_id, in_stock, facet_band; + product_id) covers every filter and facet read:
  a value's matching products in a price range are a range of it, category, brand and stock
  checked on the index, without reading products; ix_category (tenant_id, attr_key, attr_value,
  active, category_id, brand_id, in_stock, base_price, facet_band) the same in a category.
- product_attribute_facet_counts (tenant_id, attr_key, attr_value, category_id, brand_id,
  in_stock, facet_band, facet_bucket) -> active products holding that value in that cell, like
  product_facet_counts (0020) per value: one value's facet cube is a sum of its cells (a price
  filter's cut buckets counted off ix_cells), and the listing's planner counts exactly how many
  products a value keeps under the other filters (catalog.listing_plan).

Kept by triggers, in the writer's transaction:
- product_attribute_values BEFORE INSERT copies the columns from the product (one primary-key
  read; a variation loaded before its product - a restore - gets active = 0 until the product
  comes); AFTER INSERT / DELETE +1 / -1 the value's cell when active; AFTER UPDATE moves it when
  active or the cell changed.
- products AFTER INSERT sets the columns on rows already there (variations loaded first);
  AFTER UPDATE only when status, category, brand, base_price or in_stock changed: stock counts
  that stay above 0, sold_count and ratings cost one comparison.  A stock change that flips
  in_stock costs one UPDATE of the product's rows through ix_product (a few: one per value) and
  for each, its cell -1 and +1.
Recomputations of 0021 (attributes or options changed) delete and insert rows: through the
triggers above.  The tables' comments start with "Derived": exports skip them, a restore
rebuilds them through the target's triggers.

Creating triggers with binary logging on needs SUPER or log_bin_trust_function_creators = 1 (see
0020).  The triggers' statements name their index (FORCE INDEX): on a fresh table, before InnoDB has
statistics, the optimizer would otherwise read the tenant's whole range per row (a bulk import
then costs O(n^2)).  The backfill locks every product and variation row, fills the columns (before the count
triggers exist), then locks product_attribute_values and fills the counts from it.

Revision ID: 0023
Revises: 0022
"""
from __future__ import annotations

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

VALUE_CHARS = 255  # == 0021's VALUE_CHARS

# product_attribute_values' copy of the product's columns, and the expression on products `p`.
COLUMNS = {
    "active": "{p}.status = 'active'",
    "category_id": "{p}.category_id",
    "brand_id": "COALESCE({p}.brand_id, 0)",
    "in_stock": "{p}.in_stock",
    "facet_band": "{p}.facet_band",
    "facet_bucket": "{p}.facet_bucket",
    "base_price": "{p}.base_price",
}
# What the facet counts group by (the primary key's order after the value).
CELL = ("category_id", "brand_id", "in_stock", "facet_band", "facet_bucket")
# A product's change that its attribute rows follow.
WATCHED = ("status", "category_id", "brand_id", "base_price", "in_stock")


def _set(row: str) -> str:
    return ", ".join(f"{c} = {e.format(p=row)}" for c, e in COLUMNS.items())


def _add(row: str) -> str:
    cols = ", ".join(("tenant_id", "attr_key", "attr_value", *CELL))
    vals = ", ".join(f"{row}.{c}" for c in ("tenant_id", "attr_key", "attr_value", *CELL))
    return (f"INSERT INTO product_attribute_facet_counts ({cols}, products) VALUES ({vals}, 1)"
            " ON DUPLICATE KEY UPDATE products = products + 1;")


def _remove(row: str) -> str:
    cond = " AND ".join(f"{c} = {row}.{c}" for c in ("tenant_id", "attr_key", "attr_value", *CELL))
    return f"UPDATE product_attribute_facet_counts FORCE INDEX (PRIMARY) SET products = products - 1 WHERE {cond};"


def _moved() -> str:
    same = " AND ".join(f"OLD.{c} <=> NEW.{c}" for c in ("tenant_id", "attr_key", "active", *CELL))
    # attr_value compared as written (a case change moves nothing: same cell under the collation)
    return f"NOT ({same} AND OLD.attr_value = NEW.attr_value)"


TRIGGERS = {
    "trg_attr_values_fill": """CREATE TRIGGER trg_attr_values_fill BEFORE INSERT ON product_attribute_values
        FOR EACH ROW
        BEGIN
          DECLARE v_active, v_stock TINYINT DEFAULT 0;
          DECLARE v_category, v_brand BIGINT UNSIGNED DEFAULT 0;
          DECLARE v_band, v_bucket TINYINT UNSIGNED DEFAULT 0;
          DECLARE v_price DECIMAL(14,2) DEFAULT 0;
          SELECT COALESCE(MAX(p.status = 'active'), 0), COALESCE(MAX(p.category_id), 0),
                 COALESCE(MAX(COALESCE(p.brand_id, 0)), 0), COALESCE(MAX(p.in_stock), 0),
                 COALESCE(MAX(p.facet_band), 0), COALESCE(MAX(p.facet_bucket), 0), COALESCE(MAX(p.base_price), 0)
            INTO v_active, v_category, v_brand, v_stock, v_band, v_bucket, v_price
            FROM products p FORCE INDEX (PRIMARY) WHERE p.id = NEW.product_id AND p.tenant_id = NEW.tenant_id;
          SET NEW.active = v_active, NEW.category_id = v_category, NEW.brand_id = v_brand, NEW.in_stock = v_stock,
              NEW.facet_band = v_band, NEW.facet_bucket = v_bucket, NEW.base_price = v_price;
        END""",
    "trg_products_attr_cells_insert": f"""CREATE TRIGGER trg_products_attr_cells_insert AFTER INSERT ON products
        FOR EACH ROW
        BEGIN
          UPDATE product_attribute_values FORCE INDEX (ix_product) SET {_set('NEW')}
           WHERE tenant_id = NEW.tenant_id AND product_id = NEW.id;
        END""",
    "trg_products_attr_cells_update": f"""CREATE TRIGGER trg_products_attr_cells_update AFTER UPDATE ON products
        FOR EACH ROW
        BEGIN
          IF NOT ({' AND '.join(f'OLD.{c} <=> NEW.{c}' for c in WATCHED)}) AND NEW.id = OLD.id
             AND NEW.tenant_id = OLD.tenant_id THEN
            UPDATE product_attribute_values FORCE INDEX (ix_product) SET {_set('NEW')}
             WHERE tenant_id = NEW.tenant_id AND product_id = NEW.id;
          END IF;
        END""",
}
# Created after the columns are filled (the fill would otherwise count row by row).
COUNT_TRIGGERS = {
    "trg_attr_values_count_insert": f"""CREATE TRIGGER trg_attr_values_count_insert AFTER INSERT
        ON product_attribute_values FOR EACH ROW
        BEGIN
          IF NEW.active = 1 THEN {_add('NEW')} END IF;
        END""",
    "trg_attr_values_count_delete": f"""CREATE TRIGGER trg_attr_values_count_delete AFTER DELETE
        ON product_attribute_values FOR EACH ROW
        BEGIN
          IF OLD.active = 1 THEN {_remove('OLD')} END IF;
        END""",
    "trg_attr_values_count_update": f"""CREATE TRIGGER trg_attr_values_count_update AFTER UPDATE
        ON product_attribute_values FOR EACH ROW
        BEGIN
          IF {_moved()} THEN
            IF OLD.active = 1 THEN {_remove('OLD')} END IF;
            IF NEW.active = 1 THEN {_add('NEW')} END IF;
          END IF;
        END""",
}


def upgrade() -> None:
    op.execute(
        f"""ALTER TABLE product_attribute_values
             ADD COLUMN active TINYINT(1) NOT NULL DEFAULT 0 COMMENT 'the product is active (products.status)',
             ADD COLUMN category_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
             ADD COLUMN brand_id BIGINT UNSIGNED NOT NULL DEFAULT 0 COMMENT '0 - no brand',
             ADD COLUMN in_stock TINYINT(1) NOT NULL DEFAULT 0,
             ADD COLUMN facet_band TINYINT UNSIGNED NOT NULL DEFAULT 0,
             ADD COLUMN facet_bucket TINYINT UNSIGNED NOT NULL DEFAULT 0,
             ADD COLUMN base_price DECIMAL(14,2) NOT NULL DEFAULT 0,
             ADD COLUMN value_cut TINYINT(1) AS (CHAR_LENGTH(attr_value) >= {VALUE_CHARS}) STORED
               COMMENT 'a cut value: rechecked against the JSON',
             ADD KEY ix_cells (tenant_id, attr_key, attr_value, value_cut, active, facet_bucket, base_price,
                               category_id, brand_id, in_stock, facet_band),
             ADD KEY ix_category (tenant_id, attr_key, attr_value, active, category_id, brand_id, in_stock, base_price,
                                  facet_band)"""
    )
    op.execute(
        f"""CREATE TABLE product_attribute_facet_counts (
             tenant_id BIGINT UNSIGNED NOT NULL,
             attr_key VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
             attr_value VARCHAR({VALUE_CHARS}) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL,
             category_id BIGINT UNSIGNED NOT NULL,
             brand_id BIGINT UNSIGNED NOT NULL COMMENT '0 - no brand',
             in_stock TINYINT(1) NOT NULL,
             facet_band TINYINT UNSIGNED NOT NULL,
             facet_bucket TINYINT UNSIGNED NOT NULL,
             products INT NOT NULL COMMENT 'active products holding the value in the cell',
             PRIMARY KEY (tenant_id, attr_key, attr_value, category_id, brand_id, in_stock, facet_band, facet_bucket),
             CONSTRAINT fk_product_attribute_facet_counts_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
           ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
             COMMENT 'Derived - active products per attribute value and facet cell, kept by triggers (0023)'"""
    )
    for ddl in TRIGGERS.values():
        op.execute(ddl)
    # The columns of rows already there, with every product and variation row locked (a write
    # committed before is filled here, one waiting goes through the triggers above after).
    op.execute("SELECT COUNT(*) FROM products FORCE INDEX (PRIMARY) FOR UPDATE")
    op.execute("SELECT COUNT(*) FROM product_variations FORCE INDEX (PRIMARY) FOR UPDATE")
    op.execute(f"""UPDATE product_attribute_values a JOIN products p ON p.tenant_id = a.tenant_id AND p.id = a.product_id
                    SET {', '.join(f'a.{c} = {e.format(p="p")}' for c, e in COLUMNS.items())}""")
    # (the next DDL commits)
    for ddl in COUNT_TRIGGERS.values():
        op.execute(ddl)
    op.execute("SELECT COUNT(*) FROM product_attribute_values FORCE INDEX (PRIMARY) FOR UPDATE")
    op.execute("DELETE FROM product_attribute_facet_counts")
    cols = ", ".join(("tenant_id", "attr_key", "attr_value", *CELL))
    op.execute(f"""INSERT INTO product_attribute_facet_counts ({cols}, products)
                   SELECT {cols}, COUNT(*) FROM product_attribute_values WHERE active = 1 GROUP BY {cols}""")


def downgrade() -> None:
    for name in (*COUNT_TRIGGERS, *TRIGGERS):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE product_attribute_facet_counts")
    op.execute(
        """ALTER TABLE product_attribute_values DROP KEY ix_cells, DROP KEY ix_category, DROP COLUMN value_cut, DROP COLUMN active,
             DROP COLUMN category_id, DROP COLUMN brand_id, DROP COLUMN in_stock, DROP COLUMN facet_band,
             DROP COLUMN facet_bucket, DROP COLUMN base_price"""
    )
