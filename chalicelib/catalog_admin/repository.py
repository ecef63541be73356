"""SQL for categories and brands (the catalogue's taxonomy).  Every query names the tenant;
column names are never taken from input (updates pick them from fixed allow-lists).

Tree: each category stores its materialised `path` of ids from the root ('/1/5/12/') and its
`depth` (0 for a root).  A subtree is `path LIKE '/1/5/%'`; paths hold only digits and '/',
so they never contain LIKE wildcards.
"""
from __future__ import annotations

from typing import Any

from chalicelib.platform.db import Session
from chalicelib.platform.sql import BY_ID, lock_row, marks

# Writes and locking reads by id name the primary key (platform/sql.py BY_ID says why).
CATEGORY_COLUMNS = ("name", "slug", "description", "image_key", "sort_order", "is_active")
BRAND_COLUMNS = ("name", "slug", "description", "logo_key", "sort_order", "is_active")


def _set_clause(fields: dict[str, Any], allowed: tuple[str, ...]) -> tuple[str, list[Any]]:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    names = sorted(fields)
    return ", ".join(f"{name} = %s" for name in names), [fields[name] for name in names]


# -- categories ----------------------------------------------------------------------------------
_CATEGORY = """SELECT c.id, c.parent_id, c.name, c.slug, c.description, c.image_key, c.path, c.depth,
                      c.sort_order, c.is_active, c.created_at, c.updated_at,
                      (SELECT COUNT(*) FROM products p WHERE p.tenant_id = c.tenant_id AND p.category_id = c.id)
                        AS product_count,
                      (SELECT COUNT(*) FROM categories k WHERE k.tenant_id = c.tenant_id AND k.parent_id = c.id)
                        AS child_count
                 FROM categories c"""


def lock_categories(session: Session, tenant_id: int) -> None:
    """Serialise every change to the tenant's tree: lock all its category rows in primary-key
    order.  A tree is small (hundreds of rows); with the lock held, a cycle check and a subtree
    rewrite cannot interleave with another move (two moves could otherwise each pass the check
    and together make a loop)."""
    session.all("SELECT id FROM categories FORCE INDEX (ux_tenant_id) WHERE tenant_id = %s ORDER BY id FOR UPDATE",
                (tenant_id,))


def list_categories(session: Session, tenant_id: int) -> list[dict[str, Any]]:
    rows = session.all(f"{_CATEGORY} WHERE c.tenant_id = %s", (tenant_id,))
    # Depth-first: siblings by sort_order then name, each followed by its subtree.
    by_parent: dict[int | None, list[dict[str, Any]]] = {}
    for row in rows:
        by_parent.setdefault(row["parent_id"], []).append(row)
    ordered: list[dict[str, Any]] = []

    def walk(parent: int | None) -> None:
        for row in sorted(by_parent.get(parent, []), key=lambda r: (r["sort_order"], r["name"], r["id"])):
            ordered.append(row)
            walk(row["id"])

    walk(None)
    return ordered


def get_category(session: Session, tenant_id: int, category_id: int) -> dict[str, Any] | None:
    return session.one(f"{_CATEGORY} WHERE c.tenant_id = %s AND c.id = %s", (tenant_id, category_id))


def category_slug_exists(session: Session, tenant_id: int, slug: str, except_id: int | None = None) -> bool:
    return session.scalar("SELECT 1 FROM categories WHERE tenant_id = %s AND slug = %s AND id <> %s",
                          (tenant_id, slug, except_id or 0)) is not None


def category_slugs_like(session: Session, tenant_id: int, base: str) -> set[str]:
    rows = session.all("SELECT slug FROM categories WHERE tenant_id = %s AND (slug = %s OR slug LIKE %s)",
                       (tenant_id, base, base + "-%"))
    return {r["slug"] for r in rows}


def insert_category(session: Session, tenant_id: int, parent: dict[str, Any] | None, fields: dict[str, Any]) -> int:
    category_id = session.insert(
        """INSERT INTO categories (tenant_id, parent_id, name, slug, description, image_key, path, depth,
                                   sort_order, is_active)
           VALUES (%s, %s, %s, %s, %s, %s, '/', %s, %s, %s)""",
        (tenant_id, parent["id"] if parent else None, fields["name"], fields["slug"], fields.get("description"),
         fields.get("image_key"), parent["depth"] + 1 if parent else 0, fields.get("sort_order", 0),
         fields.get("is_active", True)),
    )
    path = f"{parent['path'] if parent else '/'}{category_id}/"
    session.execute(f"UPDATE categories {BY_ID} SET path = %s WHERE tenant_id = %s AND id = %s",
                    (path, tenant_id, category_id))
    return category_id


def update_category(session: Session, tenant_id: int, category_id: int, fields: dict[str, Any]) -> None:
    if not fields:
        return
    clause, params = _set_clause(fields, CATEGORY_COLUMNS)
    session.execute(f"UPDATE categories {BY_ID} SET {clause} WHERE tenant_id = %s AND id = %s",
                    (*params, tenant_id, category_id))


def longest_path_in(session: Session, tenant_id: int, path: str) -> int:
    return int(session.scalar("SELECT MAX(CHAR_LENGTH(path)) FROM categories WHERE tenant_id = %s AND path LIKE %s",
                              (tenant_id, path + "%")) or 0)


def move_subtree(session: Session, tenant_id: int, category_id: int, new_parent: dict[str, Any] | None,
                 old_path: str, new_path: str, depth_shift: int) -> int:
    """Re-parent one category and rewrite `path`/`depth` of it and every descendant in one
    statement each; returns the number of tree rows rewritten."""
    session.execute(f"UPDATE categories {BY_ID} SET parent_id = %s WHERE tenant_id = %s AND id = %s",
                    (new_parent["id"] if new_parent else None, tenant_id, category_id))
    return session.execute(
        """UPDATE categories SET path = CONCAT(%s, SUBSTRING(path, %s)), depth = depth + %s
            WHERE tenant_id = %s AND path LIKE %s""",
        (new_path, len(old_path) + 1, depth_shift, tenant_id, old_path + "%"),
    )


def delete_category(session: Session, tenant_id: int, category_id: int) -> None:
    session.execute("DELETE FROM categories WHERE tenant_id = %s AND id = %s", (tenant_id, category_id))


def category_names(session: Session, tenant_id: int) -> dict[int, tuple[str, str]]:
    """id → (name, path) of every category of the tenant (a tree is small)."""
    rows = session.all("SELECT id, name, path FROM categories WHERE tenant_id = %s", (tenant_id,))
    return {int(r["id"]): (r["name"], r["path"]) for r in rows}


# -- brands --------------------------------------------------------------------------------------
_BRAND = """SELECT b.id, b.name, b.slug, b.description, b.logo_key, b.sort_order, b.is_active,
                   b.created_at, b.updated_at,
                   (SELECT COUNT(*) FROM products p WHERE p.tenant_id = b.tenant_id AND p.brand_id = b.id)
                     AS product_count
              FROM brands b"""


def list_brands(session: Session, tenant_id: int) -> list[dict[str, Any]]:
    return session.all(f"{_BRAND} WHERE b.tenant_id = %s ORDER BY b.sort_order, b.name, b.id", (tenant_id,))


def get_brand(session: Session, tenant_id: int, brand_id: int, *, for_update: bool = False) -> dict[str, Any] | None:
    if for_update:
        lock_row(session, "brands", tenant_id, brand_id, columns="id")
    return session.one(f"{_BRAND} WHERE b.tenant_id = %s AND b.id = %s", (tenant_id, brand_id))


def brand_slug_exists(session: Session, tenant_id: int, slug: str, except_id: int | None = None) -> bool:
    return session.scalar("SELECT 1 FROM brands WHERE tenant_id = %s AND slug = %s AND id <> %s",
                          (tenant_id, slug, except_id or 0)) is not None


def brand_slugs_like(session: Session, tenant_id: int, base: str) -> set[str]:
    rows = session.all("SELECT slug FROM brands WHERE tenant_id = %s AND (slug = %s OR slug LIKE %s)",
                       (tenant_id, base, base + "-%"))
    return {r["slug"] for r in rows}


def insert_brand(session: Session, tenant_id: int, fields: dict[str, Any]) -> int:
    return session.insert(
        """INSERT INTO brands (tenant_id, name, slug, description, logo_key, sort_order, is_active)
           VALUES (%s, %s, %s, %s, %s, %s, %s)""",
        (tenant_id, fields["name"], fields["slug"], fields.get("description"), fields.get("logo_key"),
         fields.get("sort_order", 0), fields.get("is_active", True)),
    )


def update_brand(session: Session, tenant_id: int, brand_id: int, fields: dict[str, Any]) -> None:
    if not fields:
        return
    clause, params = _set_clause(fields, BRAND_COLUMNS)
    session.execute(f"UPDATE brands {BY_ID} SET {clause} WHERE tenant_id = %s AND id = %s",
                    (*params, tenant_id, brand_id))


def delete_brand(session: Session, tenant_id: int, brand_id: int) -> None:
    session.execute("DELETE FROM brands WHERE tenant_id = %s AND id = %s", (tenant_id, brand_id))


def all_brands(session: Session, tenant_id: int) -> list[dict[str, Any]]:
    return session.all("SELECT id, name, slug FROM brands WHERE tenant_id = %s", (tenant_id,))


def all_categories(session: Session, tenant_id: int) -> list[dict[str, Any]]:
    return session.all("SELECT id, name, slug, path FROM categories WHERE tenant_id = %s", (tenant_id,))


# -- search text ---------------------------------------------------------------------------------
def products_for_search_text(session: Session, tenant_id: int, *, brand_id: int | None = None,
                             category_path: str | None = None,
                             product_ids: list[int] | None = None) -> list[dict[str, Any]]:
    where: list[str] = ["p.tenant_id = %s"]
    params: list[Any] = [tenant_id]
    if brand_id is not None:
        where.append("p.brand_id = %s")
        params.append(brand_id)
    if category_path is not None:
        where.append("p.category_id IN (SELECT c.id FROM categories c WHERE c.tenant_id = %s AND c.path LIKE %s)")
        params += [tenant_id, category_path + "%"]
    if product_ids is not None:
        if not product_ids:
            return []
        where.append(f"p.id IN ({marks(product_ids)})")
        params += product_ids
    return session.all(
        f"""SELECT p.id, p.name, p.category_id, p.search_text, b.name AS brand
              FROM products p LEFT JOIN brands b ON b.tenant_id = p.tenant_id AND b.id = p.brand_id
             WHERE {' AND '.join(where)} ORDER BY p.id""",
        params,
    )


def set_search_texts(session: Session, tenant_id: int, rows: list[tuple[str, int]]) -> None:
    """rows: (search_text, product_id)."""
    if rows:
        session.executemany(f"UPDATE products {BY_ID} SET search_text = %s WHERE tenant_id = %s AND id = %s",
                            [(text, tenant_id, pid) for text, pid in rows])
