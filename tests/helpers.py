"""Small row builders for tests (straight SQL, so tests do not depend on admin routes)."""
from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from chalicelib.platform.db import Database


def insert_category(db: Database, tenant_id: int, name: str = "Kamp", parent_path: str = "/") -> tuple[int, str]:
    session = db.session()
    cat_id = session.insert(
        "INSERT INTO categories (tenant_id, name, slug, path, depth, sort_order, is_active) VALUES (%s,%s,%s,'',0,0,1)",
        (tenant_id, name, f"{name.lower()}-{uuid.uuid4().hex[:6]}"),
    )
    path = f"{parent_path}{cat_id}/"
    session.execute("UPDATE categories SET path = %s, depth = %s WHERE tenant_id = %s AND id = %s",
                    (path, path.count("/") - 2, tenant_id, cat_id))
    return cat_id, path


def insert_product(db: Database, tenant_id: int, name: str, *, price: str = "1249.90", stock: int = 10,
                   category_id: int | None = None) -> int:
    session = db.session()
    if category_id is None:
        category_id, _ = insert_category(db, tenant_id)
    product_id = session.insert(
        """INSERT INTO products (tenant_id, category_id, name, slug, description, status, base_price, total_stock)
           VALUES (%s, %s, %s, %s, %s, 'active', %s, %s)""",
        (tenant_id, category_id, name, f"p-{uuid.uuid4().hex[:10]}", f"{name} açıklaması", Decimal(price), stock),
    )
    session.insert(
        """INSERT INTO product_variations (tenant_id, product_id, sku, name, price, stock, is_active)
           VALUES (%s, %s, %s, %s, %s, %s, 1)""",
        (tenant_id, product_id, f"SKU-{uuid.uuid4().hex[:10]}", name, Decimal(price), stock),
    )
    session.insert(
        "INSERT INTO product_images (tenant_id, product_id, s3_key, alt_text, sort_order) VALUES (%s,%s,%s,%s,0)",
        (tenant_id, product_id, f"tenants/{tenant_id}/products/{product_id}/1.jpg", name),
    )
    return product_id


def simultaneously(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls on threads released together by a barrier; their results in call order.
    Used by the concurrency tests (defaults, ratings, alerts) over real connections."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        finally:
            # Each thread opened its own MySQL connection (one per thread, platform/db.py); close
            # it now rather than whenever the garbage collector gets to it, so tests that start
            # a hundred threads never crowd the server's max_connections for the next test.
            from chalicelib.platform.db import get_db

            get_db().close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results
