"""SQL for product images.  Every statement names the tenant; repositories never commit."""
from __future__ import annotations

from typing import Any

from chalicelib.platform.db import Session

_COLUMNS = "id, product_id, variation_id, s3_key, thumb_key, alt_text, sort_order, width, height"


def product_exists(session: Session, tenant_id: int, product_id: int) -> bool:
    return session.scalar("SELECT 1 FROM products WHERE tenant_id = %s AND id = %s",
                          (tenant_id, product_id)) is not None


def lock_product(session: Session, tenant_id: int, product_id: int) -> bool:
    """Lock the product row: every change to a product's image set (add, reorder, delete) takes
    it first, so concurrent changes to one product are serialised.  False when it is gone."""
    return session.scalar("SELECT id FROM products WHERE tenant_id = %s AND id = %s FOR UPDATE",
                          (tenant_id, product_id)) is not None


def variation_of_product(session: Session, tenant_id: int, product_id: int, variation_id: int) -> bool:
    return session.scalar(
        "SELECT 1 FROM product_variations WHERE tenant_id = %s AND product_id = %s AND id = %s",
        (tenant_id, product_id, variation_id),
    ) is not None


def count_images(session: Session, tenant_id: int, product_id: int) -> int:
    return int(session.scalar("SELECT COUNT(*) FROM product_images WHERE tenant_id = %s AND product_id = %s",
                              (tenant_id, product_id)))


def list_images(session: Session, tenant_id: int, product_id: int) -> list[dict[str, Any]]:
    return session.all(
        f"SELECT {_COLUMNS} FROM product_images WHERE tenant_id = %s AND product_id = %s ORDER BY sort_order, id",
        (tenant_id, product_id),
    )


def get_image(session: Session, tenant_id: int, image_id: int) -> dict[str, Any] | None:
    return session.one(f"SELECT {_COLUMNS} FROM product_images WHERE tenant_id = %s AND id = %s",
                       (tenant_id, image_id))


def image_by_key(session: Session, tenant_id: int, product_id: int, s3_key: str) -> dict[str, Any] | None:
    """Through ix_product (tenant_id, product_id, ...): only that product's few rows are read."""
    return session.one(
        f"""SELECT {_COLUMNS} FROM product_images
             WHERE tenant_id = %s AND product_id = %s AND s3_key = %s ORDER BY id LIMIT 1""",
        (tenant_id, product_id, s3_key),
    )


def insert_image(session: Session, tenant_id: int, product_id: int, *, variation_id: int | None, s3_key: str,
                 alt_text: str, thumb_key: str | None, width: int | None, height: int | None) -> int:
    """Appended last.  Callers hold the product lock, so MAX(sort_order) cannot race."""
    next_order = session.scalar(
        "SELECT COALESCE(MAX(sort_order) + 1, 0) FROM product_images WHERE tenant_id = %s AND product_id = %s",
        (tenant_id, product_id),
    )
    return session.insert(
        """INSERT INTO product_images
             (tenant_id, product_id, variation_id, s3_key, thumb_key, alt_text, sort_order, width, height)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (tenant_id, product_id, variation_id, s3_key, thumb_key, alt_text, int(next_order), width, height),
    )


def set_alt_text(session: Session, tenant_id: int, image_id: int, alt_text: str) -> None:
    session.execute("UPDATE product_images SET alt_text = %s WHERE tenant_id = %s AND id = %s",
                    (alt_text, tenant_id, image_id))


def set_order(session: Session, tenant_id: int, product_id: int, image_ids: list[int]) -> None:
    session.executemany(
        "UPDATE product_images SET sort_order = %s WHERE tenant_id = %s AND product_id = %s AND id = %s",
        [(position, tenant_id, product_id, image_id) for position, image_id in enumerate(image_ids)],
    )


def set_processed(session: Session, tenant_id: int, image_id: int, *, thumb_key: str, width: int,
                  height: int) -> None:
    session.execute(
        "UPDATE product_images SET thumb_key = %s, width = %s, height = %s WHERE tenant_id = %s AND id = %s",
        (thumb_key, width, height, tenant_id, image_id),
    )


def delete_image(session: Session, tenant_id: int, image_id: int) -> None:
    session.execute("DELETE FROM product_images WHERE tenant_id = %s AND id = %s", (tenant_id, image_id))
