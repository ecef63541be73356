"""Search words by index (issue 16): every word of a product's search text, kept by triggers.

Search matched words through InnoDB's FULLTEXT index (MATCH over products.search_terms, 0005):
~8 µs per posting, whatever the page.  A shop's broad words ("av", "kamp", its brand) are each
in a quarter to a third of it, so at 100,000 products the facet cube of such a query - every
match grouped - cost 80-150 ms, and a page that needs every match (a price sort) as much.  A
range of a B-tree costs ~0.3 µs an entry, so now `product_search_words` holds, per product, each
distinct word of COALESCE(search_text, name) (search_text is folded already, catalog.search),
split on single spaces exactly as search_terms is built, with the product's facet and filter
columns beside it (as product_attribute_values carries them, 0023):

- word: utf8mb4_unicode_ci (as search_text's LIKE checks compare), first 64 characters - a
  query term has at most 40 (catalog.search.MAX_TERM_LENGTH), so a word-beginning test on the
  cut word is exact.  `word LIKE 'kamp%'` here is the same test as
  CONCAT(' ', search_text) LIKE '% kamp%' on the product (catalog.listing_repository.TEXT).
- active (status = 'active'), category_id, brand_id (0 = none), in_stock, facet_band,
  facet_bucket, base_price, product_created_at: copies of the product's, so a word's matching
  products, grouped for the facet cube, or checked against category, brand, price and stock and
  sorted by price or newest for a page, are one range of the clustered primary key (tenant_id,
  word, product_id) without reading products.  (Not sold_count or ratings: every sale would
  rewrite a product's word rows; those sorts read the matches' products.)
- ix_product (tenant_id, product_id, word): the other words of a query probed per product, and a
  product's rows found when it changes.

Kept by triggers on products, in the writer's transaction, whoever writes (inline SQL, as 0021):
AFTER INSERT adds the product's words; AFTER UPDATE replaces them when the text changed
(compared as binary text) and otherwise, when status, category, brand, price, in_stock or
created_at changed, updates the copied columns through ix_product (a few rows: one per word) - a
checkout's stock update that leaves in_stock alone, sold_count and ratings cost one comparison;
AFTER DELETE removes them.  The table's comment starts with "Derived": a shop's export leaves it out and its
restore rebuilds it through the target's triggers (backups.repository).

Creating triggers with binary logging on needs SUPER or log_bin_trust_function_creators = 1 (see
0020).  JSON_TABLE (the split) needs MySQL 8 or MariaDB 10.6+.  The fill runs after the triggers
exist, in a transaction holding every product row (writers wait), so it is exact with writers
running.

Revision ID: 0024
Revises: 0023
"""
from __future__ import annotations

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

WORD_CHARS = 64

# The copy of the product's columns, and the expression on products `p` (as 0023's COLUMNS).
COLUMNS = {
    "active": "{p}.status = 'active'",
    "category_id": "{p}.category_id",
    "brand_id": "COALESCE({p}.brand_id, 0)",
    "in_stock": "{p}.in_stock",
    "facet_band": "{p}.facet_band",
    "facet_bucket": "{p}.facet_bucket",
    "base_price": "{p}.base_price",
    "product_created_at": "{p}.created_at",
}
# A product's change its rows follow without a new split.
WATCHED = ("status", "category_id", "brand_id", "base_price", "in_stock", "created_at")
INSERT = f"INSERT IGNORE INTO product_search_words (tenant_id, word, product_id, {', '.join(COLUMNS)})"


def _text(row: str) -> str:
    return f"COALESCE({row}.search_text, {row}.name)"


def _words(row: str) -> str:
    """SELECT of the rows of the products `row` (an alias of products or NEW): the text quoted as
    one JSON string, each space turned into '","' (a space is never part of an escape), read back
    by JSON_TABLE as an array of words; empty ones (double spaces) left out."""
    values = ", ".join(e.format(p=row) for e in COLUMNS.values())
    return (f"SELECT {row}.tenant_id, LEFT(w.word, {WORD_CHARS}), {row}.id, {values}"
            f" FROM JSON_TABLE(CONCAT('[', REPLACE(JSON_QUOTE({_text(row)}), ' ', '\",\"'), ']'),"
            f" '$[*]' COLUMNS (word TEXT PATH '$')) w WHERE w.word <> ''")


def _set(row: str) -> str:
    return ", ".join(f"{c} = {e.format(p=row)}" for c, e in COLUMNS.items())


def _same_text() -> str:
    return (f"CAST({_text('NEW')} AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_bin"
            f" <=> CAST({_text('OLD')} AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_bin")


# The whole table from products: the migration's fill (and a repair, should one be needed).
REBUILD = f"{INSERT} {_words('p').replace(' FROM JSON_TABLE', ' FROM products p, JSON_TABLE', 1)}"

TRIGGERS = {
    "trg_products_words_insert": f"""CREATE TRIGGER trg_products_words_insert AFTER INSERT ON products FOR EACH ROW
        BEGIN
          {INSERT} {_words('NEW')};
        END""",
    "trg_products_words_update": f"""CREATE TRIGGER trg_products_words_update AFTER UPDATE ON products FOR EACH ROW
        BEGIN
          IF NEW.id <> OLD.id OR NEW.tenant_id <> OLD.tenant_id OR NOT ({_same_text()}) THEN
            DELETE FROM product_search_words WHERE tenant_id = OLD.tenant_id AND product_id = OLD.id;
            {INSERT} {_words('NEW')};
          ELSEIF NOT ({' AND '.join(f'OLD.{c} <=> NEW.{c}' for c in WATCHED)}) THEN
            UPDATE product_search_words FORCE INDEX (ix_product) SET {_set('NEW')}
             WHERE tenant_id = NEW.tenant_id AND product_id = NEW.id;
          END IF;
        END""",
    "trg_products_words_delete": """CREATE TRIGGER trg_products_words_delete AFTER DELETE ON products FOR EACH ROW
        BEGIN
          DELETE FROM product_search_words WHERE tenant_id = OLD.tenant_id AND product_id = OLD.id;
        END""",
}


def upgrade() -> None:
    op.execute(
        f"""CREATE TABLE product_search_words (
             tenant_id BIGINT UNSIGNED NOT NULL,
             word VARCHAR({WORD_CHARS}) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL
               COMMENT 'a word of COALESCE(search_text, name), first {WORD_CHARS} characters',
             product_id BIGINT UNSIGNED NOT NULL,
             active TINYINT(1) NOT NULL COMMENT 'the product is active (products.status)',
             category_id BIGINT UNSIGNED NOT NULL,
             brand_id BIGINT UNSIGNED NOT NULL COMMENT '0 - no brand',
             in_stock TINYINT(1) NOT NULL,
             facet_band TINYINT UNSIGNED NOT NULL,
             facet_bucket TINYINT UNSIGNED NOT NULL,
             base_price DECIMAL(14,2) NOT NULL,
             product_created_at DATETIME(6) NOT NULL COMMENT 'the product''s created_at (newest order)',
             PRIMARY KEY (tenant_id, word, product_id),
             KEY ix_product (tenant_id, product_id, word),
             CONSTRAINT fk_product_search_words_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
           ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
             COMMENT 'Derived - the words of each product''s search text with its facet columns, kept by triggers (0024)'"""
    )
    for ddl in TRIGGERS.values():
        op.execute(ddl)
    # Triggers first (each DDL commits), then one transaction holding every product row: a write
    # committed before is in the fill, one waiting goes through the triggers after.
    op.execute("SELECT COUNT(*) FROM products FORCE INDEX (PRIMARY) FOR UPDATE")
    op.execute("DELETE FROM product_search_words")
    op.execute(REBUILD)


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE product_search_words")
