"""Products created in bulk skip the per-row derived-row triggers (issue 16 item 5: feed sync).

Migrations 0020, 0021, 0023 and 0024 keep four derived tables from products and their variations
by triggers, row by row.  A feed batch creates 500 products in a handful of multi-row statements
(catalog_admin.feed_create), and those triggers then ran per product: the words split, the
attribute rows, the facet cell, and again when the opening stock turned in_stock on - about
200 µs a product, which took the 100k feed sync from 2,492 to 1,338 products/s.

Now the insert and update triggers of products and product_variations that keep derived rows do
nothing while the connection's user variable @huglu_catalog_bulk is set.  The one writer that
sets it is catalog.derived_rows.created_in_bulk: it sets the variable, lets the caller insert
products (and their variations, and set their opening stock) that did not exist before, resets
it, and then writes those products' derived rows set-wise in three statements (words, attribute
values, facet cells) in the same transaction.  A variable is the connection's own: no other
writer sees it; it is reset in a `finally`, and a connection that dies takes it with it.
Delete triggers and the product_attribute_values triggers are not guarded (the rebuild inserts
attribute values through them).

The trigger bodies are the earlier migrations' own, loaded from their files (frozen, as every
migration) and wrapped in the guard; every trigger of the same event is dropped and created
again in its original order (MariaDB fires them in creation order).  Downgrade creates them
unwrapped.  Both hold products and product_variations locked while the triggers are swapped.

Revision ID: 0025
Revises: 0024
"""
from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

FLAG = "@huglu_catalog_bulk"  # == catalog.derived_rows.FLAG

# (migration file, trigger) in each event's firing order.
GUARDED = (
    # products AFTER INSERT
    ("0020_facet_counts.py", "trg_products_facets_insert"),
    ("0021_attribute_index.py", "trg_products_attrs_insert"),
    ("0023_attribute_facets.py", "trg_products_attr_cells_insert"),
    ("0024_search_words.py", "trg_products_words_insert"),
    # products AFTER UPDATE
    ("0020_facet_counts.py", "trg_products_facets_update"),
    ("0021_attribute_index.py", "trg_products_attrs_update"),
    ("0023_attribute_facets.py", "trg_products_attr_cells_update"),
    ("0024_search_words.py", "trg_products_words_update"),
    # product_variations AFTER INSERT / AFTER UPDATE (one each)
    ("0021_attribute_index.py", "trg_variations_attrs_insert"),
    ("0021_attribute_index.py", "trg_variations_attrs_update"),
)


def _earlier(filename: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_huglu_migration_{filename[:4]}", Path(__file__).with_name(filename))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def original(filename: str, name: str) -> str:
    return str(_earlier(filename).TRIGGERS[name])


def guarded(ddl: str) -> str:
    """`CREATE TRIGGER ... BEGIN <body> END` -> `... BEGIN IF <flag> IS NULL THEN BEGIN <body> END; END IF; END`."""
    head, body = ddl.split("BEGIN", 1)
    return f"{head}BEGIN\n          IF {FLAG} IS NULL THEN BEGIN{body.rstrip()};\n          END IF;\n        END"


def _recreate(wrap: bool) -> None:
    # Writers wait while the triggers are swapped (none writes between a DROP and its CREATE
    # without them); each trigger DDL commits, the table locks stay until UNLOCK.
    op.execute("LOCK TABLES products WRITE, product_variations WRITE")
    for _, name in GUARDED:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for filename, name in GUARDED:
        ddl = original(filename, name)
        op.execute(guarded(ddl) if wrap else ddl)
    op.execute("UNLOCK TABLES")


def upgrade() -> None:
    _recreate(wrap=True)


def downgrade() -> None:
    _recreate(wrap=False)
