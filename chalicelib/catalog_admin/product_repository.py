"""SQL for products, variations and price history.  Every query names the tenant; column names
come from fixed allow-lists, never from input.  The stock columns (product_variations.stock /
reserved, products.total_stock / sold_count) and stock_movements are the inventory area's: this
module reads them, inventory.api writes them (rows are inserted here with their defaults, 0).

Locks, always in this order when a transaction needs several: variations (primary-key order),
then products (primary-key order).

Every write and locking read by id names the index: `FORCE INDEX (PRIMARY)` (platform/sql.py
BY_ID, which says why: ix_stock (tenant_id, stock) holds the very column being changed).  The
same holds for products (ix_facets holds in_stock, generated from total_stock).
"""
from __future__ import annotations

import json
from typing import Any

from chalicelib.platform.db import Session
from chalicelib.platform.sql import BY_ID, lock_row, lock_rows, marks

PRODUCT_COLUMNS = ("category_id", "brand_id", "name", "slug", "description", "search_text", "status", "base_price",
                   "compare_at_price", "vat_rate", "weight_grams", "attributes")
VARIATION_COLUMNS = ("sku", "barcode", "name", "options", "price", "low_stock_threshold", "nfc_tag", "is_active")
JSON_COLUMNS = {"attributes", "options"}

def _encode(name: str, value: Any) -> Any:
    if name in JSON_COLUMNS and value is not None:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return value


def _set_clause(fields: dict[str, Any], allowed: tuple[str, ...]) -> tuple[str, list[Any]]:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    names = sorted(fields)
    return ", ".join(f"{n} = %s" for n in names), [_encode(n, fields[n]) for n in names]


# -- products ------------------------------------------------------------------------------------
_PRODUCT = """SELECT p.id, p.name, p.slug, p.status, p.category_id, c.name AS category, p.brand_id, b.name AS brand,
                     p.base_price, p.compare_at_price, p.currency, p.total_stock, p.updated_at, p.created_at,
                     p.description, p.vat_rate, p.weight_grams, p.attributes, p.sold_count, p.rating_avg,
                     p.rating_count, p.search_text,
                     (SELECT COUNT(*) FROM product_variations v WHERE v.tenant_id = p.tenant_id AND v.product_id = p.id)
                       AS variation_count"""
_FROM = """ JOIN products p ON p.tenant_id = %s AND p.id = page.id
            JOIN categories c ON c.tenant_id = p.tenant_id AND c.id = p.category_id
            LEFT JOIN brands b ON b.tenant_id = p.tenant_id AND b.id = p.brand_id"""


def category_path(session: Session, tenant_id: int, category_id: int) -> str | None:
    value = session.scalar("SELECT path FROM categories WHERE tenant_id = %s AND id = %s", (tenant_id, category_id))
    return None if value is None else str(value)


def product_filter(tenant_id: int, *, status: str | None = None, category_path: str | None = None,
                   brand_id: int | None = None, words: list[str] | None = None,
                   exact: str | None = None) -> tuple[str, list[Any]]:
    """WHERE clause (over alias p) for the admin filters; shared by listing, bulk and export."""
    where: list[str] = ["p.tenant_id = %s"]
    params: list[Any] = [tenant_id]
    if status is not None:
        where.append("p.status = %s")
        params.append(status)
    if category_path is not None:
        where.append("p.category_id IN (SELECT c.id FROM categories c WHERE c.tenant_id = %s AND c.path LIKE %s)")
        params += [tenant_id, category_path + "%"]
    if brand_id is not None:
        where.append("p.brand_id = %s")
        params.append(brand_id)
    if words or exact:
        # Folded words hold only [a-z0-9], so they never carry LIKE wildcards.
        text = " AND ".join(["p.search_text LIKE %s"] * len(words or [])) or "FALSE"
        where.append(f"""(({text}) OR EXISTS (SELECT 1 FROM product_variations v
                             WHERE v.tenant_id = p.tenant_id AND v.product_id = p.id AND (v.sku = %s OR v.barcode = %s)))""")
        params += [f"%{w}%" for w in words or []] + [exact, exact]
    return " AND ".join(where), params


def list_products(session: Session, tenant_id: int, where: str, params: list[Any], *, before_id: int | None,
                  limit: int) -> list[dict[str, Any]]:
    """Newest first, keyset on id; one statement whatever the page size (ids first, then joins)."""
    if before_id is not None:
        where += " AND p.id < %s"
        params = [*params, before_id]
    return session.all(
        f"""{_PRODUCT} FROM (SELECT p.id FROM products p WHERE {where} ORDER BY p.id DESC LIMIT %s) page {_FROM}
             ORDER BY p.id DESC""",
        (*params, limit, tenant_id),
    )


def product_ids_where(session: Session, where: str, params: list[Any], limit: int) -> list[int]:
    rows = session.all(f"SELECT p.id FROM products p WHERE {where} ORDER BY p.id LIMIT %s", (*params, limit))
    return [int(r["id"]) for r in rows]


def get_product(session: Session, tenant_id: int, product_id: int) -> dict[str, Any] | None:
    return session.one(f"{_PRODUCT} FROM (SELECT %s AS id) page {_FROM}", (product_id, tenant_id))


def lock_products(session: Session, tenant_id: int, product_ids: list[int], *, lock: bool = True
                  ) -> list[dict[str, Any]]:
    """Lock products in primary-key order; returns the rows found (id, status, base_price, ...)."""
    return lock_rows(session, "products", tenant_id, product_ids, lock=lock, columns=(
        "id, name, slug, status, category_id, brand_id, base_price, compare_at_price, currency, total_stock, vat_rate"))


def product_ids_of_brand(session: Session, tenant_id: int, brand_id: int) -> list[int]:
    rows = session.all("SELECT id FROM products WHERE tenant_id = %s AND brand_id = %s", (tenant_id, brand_id))
    return [int(r["id"]) for r in rows]


def product_slug_exists(session: Session, tenant_id: int, slug: str, except_id: int | None = None) -> bool:
    return session.scalar("SELECT 1 FROM products WHERE tenant_id = %s AND slug = %s AND id <> %s",
                          (tenant_id, slug, except_id or 0)) is not None


def product_slugs_like(session: Session, tenant_id: int, base: str) -> set[str]:
    rows = session.all("SELECT slug FROM products WHERE tenant_id = %s AND (slug = %s OR slug LIKE %s)",
                       (tenant_id, base, base + "-%"))
    return {r["slug"] for r in rows}


def products_by_slug(session: Session, tenant_id: int, slugs: list[str]) -> dict[str, dict[str, Any]]:
    if not slugs:
        return {}
    rows = session.all(
        f"""SELECT id, name, slug, status, category_id, brand_id, base_price, currency, total_stock
              FROM products WHERE tenant_id = %s AND slug IN ({marks(slugs)})""", (tenant_id, *slugs))
    return {r["slug"]: r for r in rows}


def insert_product(session: Session, tenant_id: int, fields: dict[str, Any]) -> int:
    """A new product with total_stock 0: its variations' opening stock goes through inventory.api."""
    return session.insert(
        """INSERT INTO products (tenant_id, category_id, brand_id, name, slug, description, search_text, status,
                                 base_price, compare_at_price, currency, vat_rate, weight_grams, attributes)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (tenant_id, fields["category_id"], fields.get("brand_id"), fields["name"], fields["slug"],
         fields.get("description"), fields["search_text"], fields["status"], fields["base_price"],
         fields.get("compare_at_price"), fields.get("currency", "TRY"), fields.get("vat_rate", 20),
         fields.get("weight_grams"), _encode("attributes", fields.get("attributes"))),
    )


def insert_products(session: Session, rows: list[tuple[Any, ...]]) -> None:
    """Many new products in one multi-row INSERT (total_stock 0, as insert_product): rows are
    (tenant_id, category_id, brand_id, name, slug, search_text, status, base_price, currency, vat_rate)."""
    if rows:
        session.executemany(
            """INSERT INTO products (tenant_id, category_id, brand_id, name, slug, search_text, status, base_price,
                                     currency, vat_rate) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""", rows)


def update_product(session: Session, tenant_id: int, product_id: int, fields: dict[str, Any]) -> None:
    if fields:
        clause, params = _set_clause(fields, PRODUCT_COLUMNS)
        session.execute(f"UPDATE products {BY_ID} SET {clause} WHERE tenant_id = %s AND id = %s",
                        (*params, tenant_id, product_id))


def set_status(session: Session, tenant_id: int, product_ids: list[int], status: str) -> None:
    if product_ids:
        session.execute(f"UPDATE products {BY_ID} SET status = %s WHERE tenant_id = %s AND id IN ({marks(product_ids)})",
                        (status, tenant_id, *product_ids))


# -- variations ----------------------------------------------------------------------------------
_VARIATION_COLUMNS = """v.id, v.product_id, v.sku, v.barcode, v.name, v.options, v.price, v.stock, v.reserved,
                         v.low_stock_threshold, v.nfc_tag, v.is_active, v.version, v.created_at, v.updated_at"""
_VARIATION = f"SELECT {_VARIATION_COLUMNS} FROM product_variations v"


def variations_of(session: Session, tenant_id: int, product_ids: list[int]) -> list[dict[str, Any]]:
    if not product_ids:
        return []
    return session.all(f"{_VARIATION} WHERE v.tenant_id = %s AND v.product_id IN ({marks(product_ids)}) ORDER BY v.id",
                       (tenant_id, *product_ids))


def get_variation(session: Session, tenant_id: int, variation_id: int, *, for_update: bool = False
                  ) -> dict[str, Any] | None:
    return lock_row(session, "product_variations", tenant_id, variation_id, alias="v", columns=_VARIATION_COLUMNS,
                    lock=for_update)


def lock_variations(session: Session, tenant_id: int, variation_ids: list[int]) -> list[dict[str, Any]]:
    return lock_rows(session, "product_variations", tenant_id, variation_ids, alias="v", columns=_VARIATION_COLUMNS)


def lock_variations_by_sku(session: Session, tenant_id: int, skus: list[str], *, lock: bool
                           ) -> list[dict[str, Any]]:
    if not skus:
        return []
    suffix = " FOR UPDATE" if lock else ""
    # ux_sku, not ix_stock: a locking read through an index on stock can skip changed rows too.
    return session.all(f"{_VARIATION} FORCE INDEX (ux_sku) WHERE v.tenant_id = %s AND v.sku IN ({marks(skus)}) "
                       f"ORDER BY v.id{suffix}",
                       (tenant_id, *skus))


def taken_values(session: Session, tenant_id: int, column: str, values: list[str], except_ids: list[int] | None = None
                 ) -> dict[str, int]:
    """value → variation id, for the given sku / barcode / nfc_tag values already in use."""
    if column not in ("sku", "barcode", "nfc_tag"):
        raise ValueError(column)
    if not values:
        return {}
    rows = session.all(f"SELECT id, {column} AS value FROM product_variations "
                       f"WHERE tenant_id = %s AND {column} IN ({marks(values)})", (tenant_id, *values))
    skip = set(except_ids or [])
    return {r["value"]: int(r["id"]) for r in rows if int(r["id"]) not in skip}


def insert_variation(session: Session, tenant_id: int, product_id: int, v: dict[str, Any]) -> int:
    """A new variation with stock 0: its opening stock goes through inventory.api."""
    return session.insert(
        """INSERT INTO product_variations (tenant_id, product_id, sku, barcode, name, options, price,
                                           low_stock_threshold, nfc_tag, is_active)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (tenant_id, product_id, v["sku"], v.get("barcode"), v.get("name"), _encode("options", v.get("options")),
         v["price"], v.get("low_stock_threshold", 5), v.get("nfc_tag"), v.get("is_active", True)),
    )


def insert_variations(session: Session, rows: list[tuple[Any, ...]]) -> None:
    """Many new variations in one multi-row INSERT, with stock 0 (their opening stock goes through
    inventory.api): rows are (tenant_id, product_id, sku, barcode, name, price)."""
    if rows:
        session.executemany(
            """INSERT INTO product_variations (tenant_id, product_id, sku, barcode, name, price)
               VALUES (%s, %s, %s, %s, %s, %s)""", rows)


def update_variation(session: Session, tenant_id: int, variation_id: int, fields: dict[str, Any]) -> None:
    if fields:
        clause, params = _set_clause(fields, VARIATION_COLUMNS)
        session.execute(f"UPDATE product_variations {BY_ID} SET {clause}, version = version + 1 "
                        "WHERE tenant_id = %s AND id = %s", (*params, tenant_id, variation_id))


def insert_price_history(session: Session, rows: list[tuple[Any, ...]]) -> None:
    """rows: (tenant_id, product_id, variation_id, old_price, new_price, currency, source, actor)."""
    if rows:
        session.executemany(
            """INSERT INTO price_history (tenant_id, product_id, variation_id, old_price, new_price, currency,
                                          source, actor_user_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)""", rows)


def set_prices(session: Session, tenant_id: int, table: str, prices: list[tuple[Any, int]]) -> None:
    """prices: (new price, id) for product_variations.price or products.base_price."""
    if table == "product_variations":
        sql = f"UPDATE product_variations {BY_ID} SET price = %s, version = version + 1 WHERE tenant_id = %s AND id = %s"
    elif table == "products":
        sql = f"UPDATE products {BY_ID} SET base_price = %s WHERE tenant_id = %s AND id = %s"
    else:
        raise ValueError(table)
    if prices:
        session.executemany(sql, [(price, tenant_id, row_id) for price, row_id in prices])


# -- images and history --------------------------------------------------------------------------
def images_of(session: Session, tenant_id: int, product_id: int) -> list[dict[str, Any]]:
    return session.all("""SELECT id, variation_id, s3_key, thumb_key, alt_text, sort_order FROM product_images
                           WHERE tenant_id = %s AND product_id = %s ORDER BY sort_order, id""", (tenant_id, product_id))


def price_history(session: Session, tenant_id: int, product_id: int, limit: int) -> dict[str, Any]:
    """The product's price changes (its stock movements are inventory.api.history)."""
    count = session.scalar("SELECT COUNT(*) FROM price_history WHERE tenant_id = %s AND product_id = %s",
                           (tenant_id, product_id))
    prices = session.all(
        """SELECT id, variation_id, old_price, new_price, source, actor_user_id, created_at
             FROM price_history WHERE tenant_id = %s AND product_id = %s ORDER BY id DESC LIMIT %s""",
        (tenant_id, product_id, limit))
    return {"price_change_count": int(count or 0), "recent_price_changes": prices}


# -- export --------------------------------------------------------------------------------------
def export_rows(session: Session, tenant_id: int, where: str, params: list[Any], limit: int) -> list[dict[str, Any]]:
    """One row per variation of the selected products, product by product."""
    return session.all(
        f"""SELECT v.id AS variation_id, v.sku, v.barcode, v.name AS variant, v.price, v.stock,
                   p.id AS product_id, p.slug, p.name, p.status, p.category_id, b.name AS brand
              FROM products p
              JOIN product_variations v ON v.tenant_id = p.tenant_id AND v.product_id = p.id
              LEFT JOIN brands b ON b.tenant_id = p.tenant_id AND b.id = p.brand_id
             WHERE {where} ORDER BY p.id, v.id LIMIT %s""",
        (*params, limit))
