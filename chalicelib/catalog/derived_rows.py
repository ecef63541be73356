"""The derived rows of products created in bulk, written set-wise (migration 0025).

Four tables follow products by triggers, row by row: product_facet_counts (0020),
product_attribute_values (0021, with 0023's copied columns and product_attribute_facet_counts
kept by its own triggers) and product_search_words (0024).  For a feed batch of 500 new products
that was ~200 µs a product (the words split, the attribute rows, the facet cell, and all of it
again when the opening stock turned in_stock on).  Inside `created_in_bulk` the insert and update
triggers of products and product_variations skip (@huglu_catalog_bulk is set on the connection);
on the way out the variable is reset and the new products' rows are written here in three
statements, in the same transaction, from the products as they are then.

The contract: inside the block, write only products (and their variations) that did not exist
before it, and list their ids.  Anything else written there would miss its derived rows.  An
exception inside resets the variable and writes nothing: the caller's transaction rolls back.

The SQL is the triggers' own (0020's cell, 0021's JSON split of attributes and active variation
options, 0024's word split), over a list of products instead of NEW; tests/e2e/
test_bulk_created_products.py holds the result equal to the triggers' on random products.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from chalicelib.platform.db import Session
from chalicelib.platform.sql import marks

FLAG = "@huglu_catalog_bulk"  # == migration 0025's FLAG
CHUNK = 1000  # ids per statement
VALUE_CHARS = 255  # == migration 0021's VALUE_CHARS
WORD_CHARS = 64  # == migration 0024's WORD_CHARS

# 0020: an active product's facet cell, +1 per product.
_FACET_CELLS = """
INSERT INTO product_facet_counts (tenant_id, category_id, brand_id, in_stock, facet_band, facet_bucket, products)
SELECT tenant_id, category_id, COALESCE(brand_id, 0), in_stock, facet_band, facet_bucket, COUNT(*)
  FROM products FORCE INDEX (PRIMARY)
 WHERE tenant_id = %s AND id IN ({ids}) AND status = 'active'
 GROUP BY tenant_id, category_id, COALESCE(brand_id, 0), in_stock, facet_band, facet_bucket
 ORDER BY tenant_id, category_id, COALESCE(brand_id, 0), in_stock, facet_band, facet_bucket
ON DUPLICATE KEY UPDATE products = products + VALUES(products)"""

# 0021: every top-level key of the product's attributes and its active variations' options; the
# BEFORE INSERT trigger of 0023 copies the product's columns, its AFTER INSERT counts the value.
_ATTRIBUTE_VALUES = f"""
INSERT IGNORE INTO product_attribute_values (tenant_id, attr_key, attr_value, product_id)
SELECT kv.tenant_id, kv.attr_key,
       LEFT(JSON_UNQUOTE(JSON_EXTRACT(kv.doc, CONCAT('$."', kv.attr_key, '"'))), {VALUE_CHARS}), kv.product_id
  FROM (SELECT d.tenant_id, d.product_id, d.doc,
               JSON_UNQUOTE(JSON_EXTRACT(JSON_KEYS(d.doc), CONCAT('$[', k.n - 1, ']'))) AS attr_key
          FROM (SELECT p.tenant_id, p.id AS product_id, p.attributes AS doc FROM products p FORCE INDEX (PRIMARY)
                 WHERE p.tenant_id = %s AND p.id IN ({{ids}}) AND p.attributes IS NOT NULL
                UNION ALL
                SELECT v.tenant_id, v.product_id, v.options FROM product_variations v FORCE INDEX (ix_product)
                 WHERE v.tenant_id = %s AND v.product_id IN ({{ids}}) AND v.is_active = 1
                   AND v.options IS NOT NULL) d,
               JSON_TABLE(JSON_KEYS(d.doc), '$[*]' COLUMNS (n FOR ORDINALITY)) k) kv
 WHERE CHAR_LENGTH(kv.attr_key) BETWEEN 1 AND 64
   AND LOCATE('"', kv.attr_key) = 0 AND LOCATE(CHAR(92 USING utf8mb4), kv.attr_key) = 0
   AND RIGHT(kv.attr_key, 1) <> ' '"""

# 0024: each distinct word of COALESCE(search_text, name), split on single spaces, with the
# product's facet and filter columns.
_SEARCH_WORDS = f"""
INSERT IGNORE INTO product_search_words (tenant_id, word, product_id, active, category_id, brand_id, in_stock,
                                         facet_band, facet_bucket, base_price, product_created_at)
SELECT p.tenant_id, LEFT(w.word, {WORD_CHARS}), p.id, p.status = 'active', p.category_id, COALESCE(p.brand_id, 0),
       p.in_stock, p.facet_band, p.facet_bucket, p.base_price, p.created_at
  FROM products p FORCE INDEX (PRIMARY),
       JSON_TABLE(CONCAT('[', REPLACE(JSON_QUOTE(COALESCE(p.search_text, p.name)), ' ', '","'), ']'),
                  '$[*]' COLUMNS (word TEXT PATH '$')) w
 WHERE p.tenant_id = %s AND p.id IN ({{ids}}) AND w.word <> ''"""


@contextmanager
def created_in_bulk(session: Session, tenant_id: int) -> Iterator[list[int]]:
    """`with created_in_bulk(uow, tenant_id) as created:` insert new products, append their ids
    to `created`; their derived rows are written when the block ends (see the module docstring)."""
    created: list[int] = []
    session.execute(f"SET {FLAG} = 1")
    try:
        yield created
    finally:
        session.execute(f"SET {FLAG} = NULL")
    write_rows(session, tenant_id, created)


def write_rows(session: Session, tenant_id: int, product_ids: list[int]) -> None:
    """The derived rows of products that have none yet."""
    ids = sorted(set(product_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        held = marks(chunk)
        session.execute(_SEARCH_WORDS.format(ids=held), (tenant_id, *chunk))
        session.execute(_ATTRIBUTE_VALUES.format(ids=held), (tenant_id, *chunk, tenant_id, *chunk))
        session.execute(_FACET_CELLS.format(ids=held), (tenant_id, *chunk))
