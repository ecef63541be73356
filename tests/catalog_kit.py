"""Row builders for the public catalogue tests: categories, brands and products with what the
listing and search read (search_text folded like catalog_admin.naming, variations with options,
attributes, counters).  Straight SQL, so the tests need no admin routes."""
from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from chalicelib.catalog import service
from chalicelib.catalog.search import search_text
from chalicelib.platform.db import Database


@dataclass
class Shop:
    """A small catalogue: ids by name."""

    db: Database
    tenant_id: int
    categories: dict[str, int] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    names: dict[int, list[str]] = field(default_factory=dict)
    brands: dict[str, int] = field(default_factory=dict)
    products: dict[str, int] = field(default_factory=dict)
    clock: datetime = field(default_factory=lambda: datetime(2025, 1, 1, 12, 0, 0))

    def category(self, name: str, parent: str | None = None, *, active: bool = True) -> int:
        session = self.db.session()
        parent_id = self.categories[parent] if parent else None
        parent_path = self.paths[parent] if parent else "/"
        cid = session.insert(
            "INSERT INTO categories (tenant_id, parent_id, name, slug, path, depth, sort_order, is_active) "
            "VALUES (%s, %s, %s, %s, '', %s, %s, %s)",
            (self.tenant_id, parent_id, name, f"c-{uuid.uuid4().hex[:10]}", parent_path.count("/") - 1,
             len(self.categories), int(active)),
        )
        path = f"{parent_path}{cid}/"
        session.execute("UPDATE categories SET path = %s WHERE tenant_id = %s AND id = %s", (path, self.tenant_id, cid))
        self.categories[name], self.paths[name] = cid, path
        self.names[cid] = ([*self.names[parent_id]] if parent_id else []) + [name]
        return cid

    def brand(self, name: str, *, active: bool = True) -> int:
        bid = self.db.session().insert(
            "INSERT INTO brands (tenant_id, name, slug, sort_order, is_active) VALUES (%s, %s, %s, %s, %s)",
            (self.tenant_id, name, f"b-{uuid.uuid4().hex[:10]}", len(self.brands), int(active)),
        )
        self.brands[name] = bid
        return bid

    def product(self, name: str, category: str, brand: str | None = None, *, price: str = "1000.00",
                stock: int = 10, status: str = "active", attributes: dict[str, str] | None = None,
                options: list[dict[str, str]] | None = None, sold: int = 0, rating: str = "0",
                rating_count: int = 0, created_at: datetime | None = None) -> int:
        session = self.db.session()
        cid = self.categories[category]
        self.clock += timedelta(minutes=1)
        created = created_at or self.clock
        pid = session.insert(
            """INSERT INTO products (tenant_id, category_id, brand_id, name, slug, search_text, status, base_price,
                                     total_stock, sold_count, rating_avg, rating_count, attributes, created_at)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            (self.tenant_id, cid, self.brands[brand] if brand else None, name, f"p-{uuid.uuid4().hex[:10]}",
             search_text(name, brand, self.names[cid]), status, Decimal(price), stock, sold, Decimal(rating),
             rating_count, json.dumps(attributes, ensure_ascii=False) if attributes else None, created),
        )
        variants = options or [{}]
        for n, opts in enumerate(variants):
            session.insert(
                """INSERT INTO product_variations (tenant_id, product_id, sku, name, options, price, stock)
                   VALUES (%s, %s, %s, %s, %s, %s, %s)""",
                (self.tenant_id, pid, f"SKU-{uuid.uuid4().hex[:10]}", " / ".join(opts.values()) or "Standart",
                 json.dumps(opts, ensure_ascii=False) if opts else None, Decimal(price),
                 stock // len(variants) if n else stock - stock // len(variants) * (len(variants) - 1)),
            )
        session.insert(
            "INSERT INTO product_images (tenant_id, product_id, s3_key, alt_text, sort_order) VALUES (%s,%s,%s,%s,0)",
            (self.tenant_id, pid, f"tenants/{self.tenant_id}/products/{pid}/1.jpg", name),
        )
        self.products[name] = pid
        return pid

    def changed(self) -> None:
        """What every catalogue write does after commit."""
        service.catalog_changed(self.tenant_id)


def outdoor_shop(db: Database, tenant_id: int) -> Shop:
    """Kamp > Uyku > {Şişme Yatak, Uyku Tulumu}, Kamp > Kamp Mobilyası > Kamp Sandalyeleri,
    Av > Av Tüfekleri, Giyim > Mont; three brands; a dozen products."""
    shop = Shop(db, tenant_id)
    for name, parent in [("Kamp", None), ("Uyku", "Kamp"), ("Şişme Yatak", "Uyku"), ("Uyku Tulumu", "Uyku"),
                         ("Kamp Mobilyası", "Kamp"), ("Kamp Sandalyeleri", "Kamp Mobilyası"), ("Av", None),
                         ("Av Tüfekleri", "Av"), ("Giyim", None), ("Mont", "Giyim")]:
        shop.category(name, parent)
    for name in ("Huğlu", "Yayla Kamp", "Toros Gear"):
        shop.brand(name)
    rows: list[tuple[str, str, str | None, dict[str, Any]]] = [
        ("Toros Gear Çelik Pro Şişme Yatak", "Şişme Yatak", "Toros Gear", {"price": "1299.90", "sold": 40}),
        ("Yayla Kamp Doğan Şişme Yatak", "Şişme Yatak", "Yayla Kamp", {"price": "899.90", "stock": 0, "sold": 12}),
        ("Huğlu Yörük Uyku Tulumu", "Uyku Tulumu", "Huğlu", {"price": "2499.90", "sold": 30, "rating": "4.50",
                                                              "rating_count": 8}),
        ("Toros Gear Kutup Uyku Tulumu", "Uyku Tulumu", "Toros Gear", {"price": "4999.00", "stock": 3}),
        ("Yayla Kamp Katlanır Kamp Sandalyesi", "Kamp Sandalyeleri", "Yayla Kamp", {"price": "449.90", "sold": 90}),
        ("Huğlu Kartal Kamp Sandalyesi", "Kamp Sandalyeleri", "Huğlu", {"price": "649.90", "rating": "4.90",
                                                                          "rating_count": 3}),
        ("Huğlu Kartal Pro Yarı Otomatik Av Tüfeği", "Av Tüfekleri", "Huğlu",
         {"price": "32500.00", "stock": 2, "attributes": {"kundak": "Ceviz", "mensei": "Türkiye"}}),
        ("Huğlu Şahin Süperpoze Av Tüfeği", "Av Tüfekleri", "Huğlu",
         {"price": "45000.00", "attributes": {"kundak": "Sentetik", "mensei": "Türkiye"}}),
        ("Huğlu Avcı Mont", "Mont", "Huğlu", {"price": "3299.90", "options": [
            {"beden": "M", "renk": "Haki"}, {"beden": "L", "renk": "Haki"}, {"beden": "L", "renk": "Siyah"}]}),
        ("Toros Gear İklim Mont", "Mont", "Toros Gear", {"price": "5999.90", "options": [
            {"beden": "M", "renk": "Lacivert"}]}),
        ("Isıtmalı Mont 12V", "Mont", None, {"price": "7499.90", "stock": 0}),
        ("Arşivdeki Şişme Yatak", "Şişme Yatak", "Huğlu", {"status": "archived"}),
    ]
    for name, category, brand, extra in rows:
        shop.product(name, category, brand, **extra)
    shop.changed()
    return shop


# The listing's sorts as Python keys (key, descending) over seeded rows: brute-force references.
ORDER: dict[str, tuple[Callable[[dict[str, Any]], Any], bool]] = {
    "newest": (lambda p: (p["created_at"], p["id"]), True),
    "price_asc": (lambda p: (p["base_price"], p["id"]), False),
    "price_desc": (lambda p: (p["base_price"], p["id"]), True),
    "best_selling": (lambda p: (p["sold_count"], p["id"]), True),
    "rating": (lambda p: (p["rating_avg"], p["rating_count"], p["id"]), True),
}
