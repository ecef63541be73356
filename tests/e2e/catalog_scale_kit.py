"""Helpers for the catalogue plan tests at scale (test_catalog_plans.py): seeding big catalogues
with the demo generator, recording the SQL the real listing / facets / search / suggest code
runs, EXPLAINing it, judging a plan, and a brute-force reference over the seeded rows.

Plan rules (issue 16): no full scan (type ALL, or a whole-index scan `index`) of products,
product_variations or product_images; a filesort only over a bounded number of rows (the
estimate, or for a FULLTEXT access the real number of matches, since MariaDB estimates those as
1); the products index of the statement's main select in the expected set."""
from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bench.environment import set_sales_and_ratings
from chalicelib.platform import db as dbmod
from chalicelib.platform.db import Database
from infra.local.seed_catalog import seed_catalog
from tests.catalog_kit import ORDER

# The catalogue's big tables, and the ones derived from them (migrations 0020, 0021, 0024).
SCANNED_TABLES = {"products", "product_variations", "product_images", "product_facet_counts",
                  "product_attribute_values", "product_search_words"}
FILESORT_ROWS = 5000  # a filesort over more rows than this is a sort of (a large part of) the tenant


def seed(db: Database, tenant_id: int, products: int, seed_number: int) -> float:
    """The demo catalogue plus sales and ratings (bench/environment.py's), seconds taken."""
    started = time.perf_counter()
    seed_catalog(db.connection(), tenant_id, products=products, seed=seed_number)
    set_sales_and_ratings(db.session(), tenant_id)
    # Fresh statistics: right after a seed MariaDB read product_variations through the tenant-only
    # prefix of ux_tenant_id for load_products' per-product subquery (73 s, past the read timeout).
    db.session().execute("ANALYZE TABLE products, product_variations, product_images")
    return time.perf_counter() - started


# -- recording and explaining ----------------------------------------------------------------------------
@contextlib.contextmanager
def recorded() -> Iterator[list[tuple[str, Any]]]:
    """Every statement run through platform.db.Session while inside (bench/profile.py wraps the
    same method)."""
    statements: list[tuple[str, Any]] = []
    original = dbmod.Session._run

    def run(self: dbmod.Session, sql: str, params: Any = None) -> Any:
        statements.append((sql, params))
        return original(self, sql, params)

    dbmod.Session._run = run  # type: ignore[method-assign]
    try:
        yield statements
    finally:
        dbmod.Session._run = original  # type: ignore[method-assign]


# An alias: a letter, or a letter or two and a digit (a probe's `wp0`, `o1`).
_ALIAS = re.compile(r"\b(products|product_variations|product_images|product_facet_counts|product_attribute_values"
                    r"|product_search_words)\s+(?:AS\s+)?([a-z](?:[a-z]?[0-9])?)\b", re.IGNORECASE)


def aliases(sql: str) -> dict[str, str]:
    """{alias: table} for the catalogue tables a statement names ('products p' → p)."""
    found = {alias: table for table, alias in _ALIAS.findall(sql)}
    found.update({t: t for t in SCANNED_TABLES if re.search(rf"\b{t}\b(?!\s+[a-z](?:[a-z]?[0-9])?\b)", sql)})
    return found


@dataclass
class Verdict:
    rows: list[dict[str, Any]]
    problems: list[str] = field(default_factory=list)
    main_key: str | None = None
    main_extra: str = ""
    tables: dict[str, str] = field(default_factory=dict)  # EXPLAIN's table (alias) → table name

    def show(self) -> str:
        cols = ("id", "select_type", "table", "type", "key", "rows", "Extra")
        return "\n".join(" | ".join(str(r.get(c)) for c in cols) for r in self.rows)


def probes_by_key(rows: list[dict[str, Any]], tables: dict[str, str]) -> list[str]:
    """EXPLAIN rows (`tables`: aliases) probing product_attribute_values per candidate by
    (tenant, key) alone: every row of the attribute, each time."""
    return [f"each probe of product_attribute_values [{r['table']}] reads the attribute's every row "
            f"(key {r['key']}, ref {r['ref']})"
            for r in rows
            if tables.get(str(r["table"])) == "product_attribute_values" and "DEPENDENT" in str(r["select_type"])
            and r["type"] == "ref" and r["key"] != "ix_product" and len(str(r["ref"] or "").split(",")) < 3]


def explain(session: dbmod.Session, sql: str, params: Any, *, fulltext_matches: int | None = None,
            page: bool = False) -> Verdict:
    """EXPLAIN the statement and judge it.  `fulltext_matches`: how many rows the MATCH returns
    (counted by the caller), what a filesort after a FULLTEXT access really sorts.  `page`: a
    page's read, whose merged parts (a UNION, one a category) must not materialise an attribute
    filter's rows (an EXISTS turned into a semi-join reads every row of the values in each part,
    which stops after a page of its category; listing_repository._attribute's `probe`).  Every
    statement: a probe of product_attribute_values per candidate must name the product (ix_product,
    or the whole primary key of one value), never read by (tenant, key) alone."""
    rows = session.all("EXPLAIN " + sql, params)
    tables = aliases(sql)
    verdict = Verdict(rows)
    for r in rows:
        table = tables.get(str(r["table"]))
        extra = str(r.get("Extra") or "")
        if table in SCANNED_TABLES and r["type"] in ("ALL", "index"):
            verdict.problems.append(f"full scan ({r['type']}) of {table} [{r['table']}], rows {r['rows']}")
        if (page and "UNION ALL" in sql and r["select_type"] == "MATERIALIZED" and table == "product_attribute_values"
                and int(r["rows"] or 0) > FILESORT_ROWS):
            verdict.problems.append(f"a page materialises {r['rows']} rows of {table} [{r['table']}]")
        verdict.problems += probes_by_key([r], tables)
        if "filesort" in extra and table == "products":
            sorted_rows = int(r["rows"] or 0)
            if r["type"] == "fulltext" and fulltext_matches is not None:
                sorted_rows = max(sorted_rows, fulltext_matches)
            if sorted_rows > FILESORT_ROWS:
                verdict.problems.append(f"filesort over {sorted_rows} rows of products [{r['table']}] "
                                        f"(key {r['key']}, {extra})")
    # The table the products are picked from: the first catalogue table of the first derived
    # select reading one (a page's ids, the facet cube; nested derived tables and the parts of a
    # UNION come after their container), else of the statement (suggestions).  Named by its
    # index; another table's index as "table.index" (e.g. product_attribute_values.PRIMARY).
    # A read by the whole primary or a unique key (eq_ref) fetches rows picked elsewhere (a budgeted
    # walk's candidates, catalog.text_walk): not where the products are picked from.
    scanned = [r for r in rows if tables.get(str(r["table"])) in SCANNED_TABLES]
    ours = [r for r in scanned if r["select_type"] == "DERIVED" and r["type"] != "eq_ref"] or scanned
    main = ours[0] if ours else None
    if main is not None:
        table = tables.get(str(main["table"]))
        verdict.main_key = main["key"] if table == "products" else f"{table or main['table']}.{main['key']}"
        verdict.main_extra = str(main.get("Extra") or "")
        verdict.tables = {str(r["table"]): tables.get(str(r["table"]), "") for r in rows}
    return verdict


# -- brute force ---------------------------------------------------------------------------------------------
def load_products(session: dbmod.Session, tenant_id: int) -> list[dict[str, Any]]:
    """Every active product with what the filters and sorts look at (options of active variations)."""
    rows = session.all(
        """SELECT p.id, p.category_id, COALESCE(p.brand_id, 0) AS brand_id, p.base_price, p.total_stock,
                  COALESCE(p.search_text, p.name) AS search_text, p.created_at, p.sold_count, p.rating_avg,
                  p.rating_count, p.attributes, c.path,
                  (SELECT JSON_ARRAYAGG(v.options) FROM product_variations v
                    WHERE v.tenant_id = p.tenant_id AND v.product_id = p.id AND v.is_active = 1) AS options
             FROM products p JOIN categories c ON c.tenant_id = p.tenant_id AND c.id = p.category_id
            WHERE p.tenant_id = %s AND p.status = 'active' ORDER BY p.id""", (tenant_id,))
    for p in rows:
        values: dict[str, set[str]] = {}
        for key, value in (json.loads(p["attributes"]) if p["attributes"] else {}).items():
            values.setdefault(key, set()).add(str(value).lower())
        for options in json.loads(p["options"] or "[]"):
            options = json.loads(options) if isinstance(options, str) else options
            for key, value in (options or {}).items():
                values.setdefault(key, set()).add(str(value).lower())
        p["values"] = values
        p["words"] = p["search_text"].split()
    return rows




def brute_force(products: list[dict[str, Any]], *, path: str | None = None, brand_ids: tuple[int, ...] = (),
                min_price: Decimal | None = None, max_price: Decimal | None = None, in_stock: bool = False,
                attr: tuple[str, str] | None = None, words: list[tuple[str, ...]] | None = None,
                sort: str = "newest") -> list[int]:
    """Ids of the active products matching the filters, in the sort's order."""
    found = []
    for p in products:
        if path and not p["path"].startswith(path):
            continue
        if brand_ids and p["brand_id"] not in brand_ids:
            continue
        if (min_price is not None and p["base_price"] < min_price) or (max_price is not None
                                                                      and p["base_price"] > max_price):
            continue
        if in_stock and p["total_stock"] <= 0:
            continue
        if attr and attr[1].lower() not in p["values"].get(attr[0], set()):
            continue
        if words and not all(any(w.startswith(alt) for w in p["words"] for alt in group) for group in words):
            continue
        found.append(p)
    key, descending = ORDER[sort]
    return [p["id"] for p in sorted(found, key=key, reverse=descending)]
