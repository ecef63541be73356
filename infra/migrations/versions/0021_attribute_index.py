"""Attribute filters by index (issue 16 item 3): every (key, value) of a product, kept by triggers.

`GET /api/products?attr=renk:Haki` checked each candidate product with JSON_EXTRACT on
products.attributes or an EXISTS over its active variations' options JSON: ~30 µs a candidate,
30 ms for a rare value at 10,000 products.  Now `product_attribute_values` holds, per product,
every top-level (key, value) of its `attributes` and of the `options` of each ACTIVE variation,
deduplicated, and the filter (catalog.listing_repository._attribute) is an index lookup.

- attr_key: utf8mb4_bin, compared exactly as the JSON path `$."key"` compares.  Only keys a
  filter can name are kept (ListQuery accepts [a-z0-9_]{1,40}; stored up to 64 characters): no
  '"' or backslash (the path is built as `$."key"`, as the filter builds it), no trailing space
  (utf8mb4_bin pads, so "renk " would equal "renk", which the JSON path does not).
- attr_value: JSON_UNQUOTE(JSON_EXTRACT(doc, '$."key"')) - the very expression the filter used,
  so numbers, true/false/null and nested JSON read as they did - in utf8mb4_unicode_ci (case and
  accent folding as before; HAKİ = haki, hakı <> haki).  A filter value has at most 100
  characters (catalog.schemas.MAX_ATTRIBUTE_VALUE; options hold at most 100, attributes are
  free-form up to 16 KiB), so 255 characters keep every value a filter can equal, trailing pads
  included; a longer value is stored as its first 255 characters and a match on such a row
  (CHAR_LENGTH = 255) is rechecked against the JSON by the filter.
- Primary key (tenant_id, attr_key, attr_value, product_id): a filter reads one range per value
  (or probes one entry per candidate product); ix_product serves the per-product recomputation.

Kept by triggers, in the writer's own transaction, whoever writes (admin routes, importer, feeds,
seeds, tests' raw SQL); inline SQL, not a stored procedure (a whole backup's restore recreates
triggers, not routines).  An insert only adds pairs: products AFTER INSERT its attributes',
product_variations AFTER INSERT an active variation's options (in either order, as a restore
loads them).  Anything else recomputes the product - deletes its rows, inserts them again from
its JSON: products AFTER UPDATE only when `attributes` changed (compared as text: MySQL's JSON
comparison finds 1 = 1.0, which unquote differently), AFTER DELETE just deletes (its variations
go by cascade, which fires no trigger and needs none); product_variations AFTER DELETE of an
active one with options, AFTER UPDATE only when options, is_active or product_id changed, so
the stock updates of every checkout cost one comparison.  The table's comment starts with
"Derived": a shop's export leaves it out and its restore rebuilds it through the target's
triggers (backups.repository).

Creating triggers with binary logging on needs SUPER or
log_bin_trust_function_creators = 1: on Amazon RDS set it in the DB parameter group before
deploying.  JSON_TABLE needs MySQL 8 or MariaDB 10.6+.  The table is filled after the triggers
exist, in a transaction holding every product and variation row (writers wait, a few seconds at
100,000 products), so it is exact even with writers running.

Revision ID: 0021
Revises: 0020
"""
from __future__ import annotations

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

VALUE_CHARS = 255  # == catalog.listing_repository.ATTRIBUTE_VALUE_CHARS when written

# Text of a JSON document for "did it change": MySQL compares JSON values by value (1 = 1.0),
# but the stored values are what JSON_UNQUOTE prints; MariaDB's JSON is text already.
def _text(doc: str) -> str:
    return f"CAST({doc} AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_bin"


def _values(docs: str) -> str:
    """(tenant_id, attr_key, attr_value, product_id) of every top-level key of each document of
    `docs` (a derived table with tenant_id, product_id, doc).  JSON_TABLE numbers the keys
    (JSON_KEYS has no duplicates); a key is read back by position as text of any length, so a
    long key is skipped rather than truncated with a warning (an error in strict mode).  No
    LATERAL: MariaDB has none, and JSON_TABLE may read the table before it in both."""
    key = "JSON_UNQUOTE(JSON_EXTRACT(JSON_KEYS(d.doc), CONCAT('$[', k.n - 1, ']')))"
    value = "JSON_UNQUOTE(JSON_EXTRACT(kv.doc, CONCAT('$.\"', kv.attr_key, '\"')))"
    return f"""SELECT kv.tenant_id, kv.attr_key, LEFT({value}, {VALUE_CHARS}), kv.product_id
                 FROM (SELECT d.tenant_id, d.product_id, d.doc, {key} AS attr_key
                         FROM ({docs}) d, JSON_TABLE(JSON_KEYS(d.doc), '$[*]' COLUMNS (n FOR ORDINALITY)) k) kv
                WHERE CHAR_LENGTH(kv.attr_key) BETWEEN 1 AND 64
                  AND LOCATE('"', kv.attr_key) = 0 AND LOCATE(CHAR(92 USING utf8mb4), kv.attr_key) = 0
                  AND RIGHT(kv.attr_key, 1) <> ' '"""


def _docs(products: str, variations: str, *, hints: bool = True) -> str:
    """The JSON documents of products and their active variations.  The index hints spare the
    optimizer weighing twenty indexes of products on every trigger run (a third of its cost)."""
    by_id, by_product = (" FORCE INDEX (PRIMARY)", " FORCE INDEX (ix_product)") if hints else ("", "")
    return f"""SELECT p.tenant_id, p.id AS product_id, p.attributes AS doc FROM products p{by_id}
                WHERE {products} AND p.attributes IS NOT NULL
               UNION ALL
               SELECT v.tenant_id, v.product_id, v.options FROM product_variations v{by_product}
                WHERE {variations} AND v.is_active = 1 AND v.options IS NOT NULL"""


INSERT = "INSERT IGNORE INTO product_attribute_values (tenant_id, attr_key, attr_value, product_id)"


def _refresh(row: str, product: str) -> str:
    """A trigger's statements that recompute one product's rows: delete them, insert them again
    from the product's attributes and its active variations' options.  Inline rather than a
    stored procedure: a whole backup brings triggers back (backups.repository.trigger_statements)
    and a trigger calling a procedure the restore did not create would fail every write."""
    tenant, pid = f"{row}.tenant_id", f"{row}.{product}"
    docs = _docs(f"p.tenant_id = {tenant} AND p.id = {pid}", f"v.tenant_id = {tenant} AND v.product_id = {pid}")
    return (f"DELETE FROM product_attribute_values WHERE tenant_id = {tenant} AND product_id = {pid};\n"
            f"          {INSERT} {_values(docs)};")


# The whole table from the JSON: the migration's fill (and a repair, should one be needed).
REBUILD = f"{INSERT} {_values(_docs('TRUE', 'TRUE', hints=False))}"

_CONTRIBUTES = "{row}.is_active = 1 AND {row}.options IS NOT NULL"
_MOVED = "NEW.product_id <> OLD.product_id OR NEW.tenant_id <> OLD.tenant_id"

TRIGGERS = {
    # A new product adds its own pairs; variations inserted before it (a restore loads
    # product_variations first) have added theirs.
    "trg_products_attrs_insert": f"""CREATE TRIGGER trg_products_attrs_insert AFTER INSERT ON products FOR EACH ROW
        BEGIN
          IF NEW.attributes IS NOT NULL THEN
            {INSERT} {_values('SELECT NEW.tenant_id AS tenant_id, NEW.id AS product_id, NEW.attributes AS doc')};
          END IF;
        END""",
    "trg_products_attrs_update": f"""CREATE TRIGGER trg_products_attrs_update AFTER UPDATE ON products FOR EACH ROW
        BEGIN
          IF NEW.id <> OLD.id OR NEW.tenant_id <> OLD.tenant_id THEN
            DELETE FROM product_attribute_values WHERE tenant_id = OLD.tenant_id AND product_id = OLD.id;
            {_refresh('NEW', 'id')}
          ELSEIF NOT ({_text('NEW.attributes')} <=> {_text('OLD.attributes')}) THEN
            {_refresh('NEW', 'id')}
          END IF;
        END""",
    "trg_products_attrs_delete": """CREATE TRIGGER trg_products_attrs_delete AFTER DELETE ON products FOR EACH ROW
        BEGIN
          DELETE FROM product_attribute_values WHERE tenant_id = OLD.tenant_id AND product_id = OLD.id;
        END""",
    # A new variation only adds values: its own pairs, not the product's recomputation (an
    # import or a seed inserts several per product).
    "trg_variations_attrs_insert": f"""CREATE TRIGGER trg_variations_attrs_insert AFTER INSERT ON product_variations
        FOR EACH ROW
        BEGIN
          IF {_CONTRIBUTES.format(row='NEW')} THEN
            {INSERT} {_values('SELECT NEW.tenant_id AS tenant_id, NEW.product_id AS product_id, NEW.options AS doc')};
          END IF;
        END""",
    # A variation moved to another product: the old product's rows too.
    "trg_variations_attrs_update": f"""CREATE TRIGGER trg_variations_attrs_update AFTER UPDATE ON product_variations
        FOR EACH ROW
        BEGIN
          IF (({_CONTRIBUTES.format(row='OLD')}) OR ({_CONTRIBUTES.format(row='NEW')}))
             AND (NOT (NEW.is_active <=> OLD.is_active) OR {_MOVED}
                  OR NOT ({_text('NEW.options')} <=> {_text('OLD.options')})) THEN
            {_refresh('NEW', 'product_id')}
            IF {_MOVED} THEN
              {_refresh('OLD', 'product_id')}
            END IF;
          END IF;
        END""",
    "trg_variations_attrs_delete": f"""CREATE TRIGGER trg_variations_attrs_delete AFTER DELETE ON product_variations
        FOR EACH ROW
        BEGIN
          IF {_CONTRIBUTES.format(row='OLD')} THEN
            {_refresh('OLD', 'product_id')}
          END IF;
        END""",
}


def upgrade() -> None:
    op.execute(
        f"""CREATE TABLE product_attribute_values (
             tenant_id BIGINT UNSIGNED NOT NULL,
             attr_key VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
             attr_value VARCHAR({VALUE_CHARS}) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL
               COMMENT 'first {VALUE_CHARS} characters; a full-length one is rechecked against the JSON',
             product_id BIGINT UNSIGNED NOT NULL,
             PRIMARY KEY (tenant_id, attr_key, attr_value, product_id),
             KEY ix_product (tenant_id, product_id),
             CONSTRAINT fk_product_attribute_values_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
           ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
             COMMENT 'Derived - attribute and active variation option values per product, kept by triggers (0021)'"""
    )
    for ddl in TRIGGERS.values():
        op.execute(ddl)
    # Triggers first (each DDL commits), then one transaction that locks every product and
    # variation row and fills from them: a write committed before the locks is in the fill, one
    # waiting for them goes through its trigger after.
    op.execute("SELECT COUNT(*) FROM products FORCE INDEX (PRIMARY) FOR UPDATE")
    op.execute("SELECT COUNT(*) FROM product_variations FORCE INDEX (PRIMARY) FOR UPDATE")
    op.execute("DELETE FROM product_attribute_values")
    op.execute(REBUILD)


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE product_attribute_values")
