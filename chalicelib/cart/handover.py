"""The cart handed over to an order: what the checkout (chalicelib.orders.checkout) takes from the
cart, inside its transaction, and the emptying that follows.

The cart area owns carts and cart_items; the checkout reads a user's cart lines through here and
removes exactly those lines in its own transaction, so two checkouts of one cart - a double tap
with two keys - run one after the other and the second finds the cart empty.  Each line carries the live
product data the order snapshots: price, VAT rate, names, SKU, barcode, and the image the cart
shows (the variation's own first, else the product's first).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from chalicelib.platform.db import UnitOfWork
from chalicelib.platform.sql import BY_ID, marks

from .api import CartChanged


@dataclass
class CheckoutLine:
    variation_id: int
    product_id: int
    quantity: int
    unit_price: Decimal  # live price, VAT included
    vat_rate: Decimal
    name: str
    variation_name: str | None
    sku: str
    barcode: str | None
    options: Any
    image_key: str | None
    sellable: bool  # product active and variation active
    category_id: int | None = None  # what promotions match on
    brand_id: int | None = None


def read_user_cart(uow: UnitOfWork, tenant_id: int, user_id: int) -> list[CheckoutLine]:
    """The user's cart lines in variation-id order, with the live product data; [] when the cart is
    empty or there is none.  A plain read: `take_lines` then removes exactly these lines.

    One JSON column a line (Session.all_json): pymysql parses each result column's description in
    Python, and this read is on every checkout.  The image: the variation's own first, else the
    product's first - one walk of the product's images (ix_product) sorted with the variation's
    own in front; a product has a handful, and this measured 50 µs of server time less per
    two-line checkout than two LIMIT 1 walks (the variation's, then the product's).
    BY_ID on the joined rows: the tenant is a constant, so without it the optimizer estimates
    a range in each of products' 18 tenant-led indexes (and product_variations' 6) before it
    picks the primary key anyway - 0.3 ms of a 1 ms statement, on every checkout."""
    rows = uow.all_json(
        f"""SELECT JSON_OBJECT('variation_id', ci.variation_id, 'product_id', ci.product_id,
                  'quantity', ci.quantity, 'price', v.price, 'sku', v.sku, 'barcode', v.barcode,
                  'variation_name', v.name, 'options', v.options, 'is_active', v.is_active, 'name', p.name,
                  'status', p.status, 'vat_rate', p.vat_rate, 'category_id', p.category_id, 'brand_id', p.brand_id,
                  'image_key', (SELECT COALESCE(i.thumb_key, i.s3_key) FROM product_images i
                                 WHERE i.tenant_id = ci.tenant_id AND i.product_id = ci.product_id
                                 ORDER BY i.variation_id <=> ci.variation_id DESC, i.sort_order, i.id LIMIT 1))
             FROM cart_items ci
             JOIN product_variations v {BY_ID} ON v.tenant_id = ci.tenant_id AND v.id = ci.variation_id
             JOIN products p {BY_ID} ON p.tenant_id = ci.tenant_id AND p.id = ci.product_id
            WHERE ci.tenant_id = %s AND ci.cart_id = (SELECT c.id FROM carts c WHERE c.tenant_id = %s AND c.user_id = %s)
            ORDER BY ci.variation_id""", (tenant_id, tenant_id, user_id))
    return [
        CheckoutLine(
            variation_id=r["variation_id"], product_id=r["product_id"], quantity=r["quantity"],
            unit_price=r["price"], vat_rate=r["vat_rate"], name=r["name"], variation_name=r["variation_name"],
            sku=r["sku"], barcode=r["barcode"],
            options=json.loads(r["options"]) if isinstance(r["options"], (str, bytes)) else r["options"],
            image_key=r["image_key"], sellable=r["status"] == "active" and bool(r["is_active"]),
            category_id=r["category_id"], brand_id=r["brand_id"])
        for r in rows]


def take_lines(uow: UnitOfWork, tenant_id: int, user_id: int, lines: list[CheckoutLine]) -> None:
    """Remove exactly the lines read (each with the quantity read) from the user's cart, in the
    caller's transaction (its rollback puts them back); CartChanged when the cart no longer holds
    them all.

    This DELETE is the checkout's serialisation point (issue 16 item 4: it replaces a locked read
    of the cart row, one statement fewer).  It locks the lines it removes, and the carts row its
    subquery reads - InnoDB takes a shared lock on rows an UPDATE's or DELETE's subquery reads,
    under READ COMMITTED too, on MariaDB and MySQL 8 alike - so:
      - a second checkout of the same cart (a double tap with two keys) waits here for the first,
        then removes nothing and runs again to find the cart empty;
      - a cart change (cart.service: every change starts by locking that carts row) waits for the
        checkout to commit and then sees the cart without these lines, as it did when the
        checkout locked the row itself; a change that committed after the read and before this
        DELETE altered a line (quantity, removal), so fewer rows match and the checkout runs again.
    tests/e2e/test_checkout.py holds both orders of the race.  Portable SQL (MySQL 8 has no
    DELETE ... RETURNING)."""
    quantities = " ".join(["WHEN %s THEN %s"] * len(lines))
    removed = uow.execute(
        f"""DELETE FROM cart_items
             WHERE tenant_id = %s AND cart_id = (SELECT c.id FROM carts c WHERE c.tenant_id = %s AND c.user_id = %s)
               AND variation_id IN ({marks(lines)}) AND quantity = CASE variation_id {quantities} END""",
        (tenant_id, tenant_id, user_id, *[line.variation_id for line in lines],
         *[v for line in lines for v in (line.variation_id, line.quantity)]))
    if removed != len(lines):
        raise CartChanged()
