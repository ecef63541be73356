"""SQL for the public catalogue: product detail, the category/brand metadata and the search
vocabulary's source text.  Listing, facet and suggestion queries live in listing_repository.
Only active products of the caller's tenant are visible; every statement names the tenant."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.platform.db import Session


# -- product detail -------------------------------------------------------------------------------
def product(session: Session, tenant_id: int, product_id: int) -> dict[str, Any] | None:
    """The product with its brand and its approved reviews per star as "n1,n2,n3,n4,n5" (the
    engagement area writes and moderates reviews; one range of ix_product_rating counts them)."""
    return session.one(
        """SELECT p.id, p.name, p.slug, p.description, b.name AS brand, p.brand_id, p.category_id,
                  p.base_price, p.compare_at_price, p.currency, p.vat_rate, p.total_stock, p.rating_avg,
                  p.rating_count, p.attributes,
                  (SELECT CONCAT_WS(',', SUM(r.rating = 1), SUM(r.rating = 2), SUM(r.rating = 3),
                                    SUM(r.rating = 4), SUM(r.rating = 5))
                     FROM reviews r
                    WHERE r.tenant_id = p.tenant_id AND r.product_id = p.id AND r.status = 'approved') AS stars
             FROM products p
             LEFT JOIN brands b ON b.tenant_id = p.tenant_id AND b.id = p.brand_id
            WHERE p.tenant_id = %s AND p.id = %s AND p.status = 'active'""",
        (tenant_id, product_id),
    )


def variations(session: Session, tenant_id: int, product_id: int) -> list[dict[str, Any]]:
    return session.all(
        """SELECT id, sku, barcode, name, options, price, stock, reserved, low_stock_threshold
             FROM product_variations
            WHERE tenant_id = %s AND product_id = %s AND is_active = 1 ORDER BY id""",
        (tenant_id, product_id),
    )


def images(session: Session, tenant_id: int, product_id: int) -> list[dict[str, Any]]:
    return session.all(
        """SELECT s3_key, thumb_key, alt_text FROM product_images
            WHERE tenant_id = %s AND product_id = %s ORDER BY sort_order, id""",
        (tenant_id, product_id),
    )


def cards(session: Session, tenant_id: int, product_ids: list[int]) -> list[dict[str, Any]]:
    """The listing card of each given product that is active in this tenant (others are left out:
    a deleted, draft or another tenant's id finds no row), with its first image."""
    if not product_ids:
        return []
    marks = ", ".join(["%s"] * len(product_ids))
    return session.all(
        f"""SELECT p.id, p.name, p.slug, p.category_id, p.base_price, p.compare_at_price, p.currency,
                   p.total_stock,
                   (SELECT i.s3_key FROM product_images i
                     WHERE i.tenant_id = p.tenant_id AND i.product_id = p.id
                     ORDER BY i.sort_order, i.id LIMIT 1) AS image
              FROM products p FORCE INDEX (PRIMARY)
             WHERE p.tenant_id = %s AND p.id IN ({marks}) AND p.status = 'active'""",
        (tenant_id, *product_ids),
    )


# -- categories, brands and their counts ----------------------------------------------------------
def categories(session: Session, tenant_id: int) -> list[dict[str, Any]]:
    return session.all(
        """SELECT id, parent_id, name, slug, path, depth, sort_order, image_key, is_active
             FROM categories WHERE tenant_id = %s""",
        (tenant_id,),
    )


def brands(session: Session, tenant_id: int) -> list[dict[str, Any]]:
    return session.all(
        "SELECT id, name, slug, logo_key, sort_order, is_active FROM brands WHERE tenant_id = %s",
        (tenant_id,),
    )


def active_counts(session: Session, tenant_id: int) -> list[dict[str, Any]]:
    """Active products per (category, brand, price band, in stock), with the cell's lowest and
    highest price: read off the covering index ix_facets.  The counts the tree and brand list
    show, and the histogram the listing planner (catalog.listing_plan) estimates filters with."""
    return session.all(
        """SELECT category_id, brand_id, facet_band, in_stock, COUNT(*) AS n, MIN(base_price) AS lo,
                  MAX(base_price) AS hi
             FROM products
            WHERE tenant_id = %s AND status = 'active' GROUP BY category_id, brand_id, facet_band, in_stock""",
        (tenant_id,),
    )


# -- search vocabulary ----------------------------------------------------------------------------
def search_texts(session: Session, tenant_id: int, *, changed_since: datetime | None = None
                 ) -> list[dict[str, Any]]:
    """The indexed text of active products (all, or those updated since a moment: ix_updated)."""
    sql = """SELECT id, COALESCE(search_text, name) AS text, updated_at FROM products
              WHERE tenant_id = %s AND status = 'active'"""
    params: list[Any] = [tenant_id]
    if changed_since is not None:
        sql += " AND updated_at >= %s"
        params.append(changed_since)
    return session.all(sql, params)
