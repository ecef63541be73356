"""SQL for the public catalogue.  Only active products of the caller's tenant are visible."""
from __future__ import annotations

from typing import Any

from chalicelib.platform.db import Session


def category_path(session: Session, tenant_id: int, category_id: int) -> str | None:
    value = session.scalar("SELECT path FROM categories WHERE tenant_id = %s AND id = %s", (tenant_id, category_id))
    return None if value is None else str(value)


def list_products(session: Session, tenant_id: int, *, category_path: str | None, brand_id: int | None,
                  before_id: int | None, limit: int) -> list[dict[str, Any]]:
    """Newest first, keyset-paginated on id, in one statement whatever the page size.

    The page's ids are chosen first in a derived table that touches only products (walking the
    (tenant_id, id) order and stopping after `limit` rows); brands and the first image are joined
    to those few rows only.  Joining before limiting made MySQL sort the whole catalogue:
    156 ms instead of ~1 ms at 10,000 products (bench: product_list).
    """
    where = ["p.tenant_id = %s", "p.status = 'active'"]
    params: list[Any] = [tenant_id]
    if category_path is not None:
        where.append("p.category_id IN (SELECT c.id FROM categories c WHERE c.tenant_id = %s AND c.path LIKE %s)")
        params += [tenant_id, category_path + "%"]
    if brand_id is not None:
        where.append("p.brand_id = %s")
        params.append(brand_id)
    if before_id is not None:
        where.append("p.id < %s")
        params.append(before_id)
    params.append(limit)
    return session.all(
        f"""SELECT p.id, p.name, p.slug, b.name AS brand, p.category_id, p.base_price, p.compare_at_price,
                   p.currency, p.total_stock, p.rating_avg, p.rating_count,
                   (SELECT i.s3_key FROM product_images i
                     WHERE i.tenant_id = p.tenant_id AND i.product_id = p.id
                     ORDER BY i.sort_order, i.id LIMIT 1) AS image
              FROM (SELECT p.id FROM products p WHERE {' AND '.join(where)}
                     ORDER BY p.id DESC LIMIT %s) page
              JOIN products p ON p.tenant_id = %s AND p.id = page.id
              LEFT JOIN brands b ON b.tenant_id = p.tenant_id AND b.id = p.brand_id
             ORDER BY p.id DESC""",
        (*params, tenant_id),
    )


def product(session: Session, tenant_id: int, product_id: int) -> dict[str, Any] | None:
    return session.one(
        """SELECT p.id, p.name, p.slug, p.description, b.name AS brand, p.category_id, p.base_price,
                  p.compare_at_price, p.currency, p.vat_rate, p.total_stock, p.rating_avg, p.rating_count,
                  p.attributes
             FROM products p LEFT JOIN brands b ON b.tenant_id = p.tenant_id AND b.id = p.brand_id
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
