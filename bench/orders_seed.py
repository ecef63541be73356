"""Background volume for the shop tenant: orders, customers and carts that are not the bench's.

Without them the order tables hold only what a run itself made (a few thousand rows, deleted at
its end), and MariaDB plans statements on near-empty tables differently than on a shop's: with
a handful of rows it happily walks the primary key or the first index whose prefix matches the
tenant.  These rows make the optimiser see a shop with a history:

    2,000 customers (no password: they never sign in)
    20,000 orders over the last year (delivered, shipped, paid, cancelled; none holds stock),
    1-3 lines each, their timeline, a payment for each paid one, a shipment for each shipped one
    1,000 customer carts and 1,000 guest carts of 1-3 lines

Written straight into the tables in one transaction (multi-row INSERTs), once per bench
database; a marker row in _bench_meta says it is there (a rebuilt database loses both).
Deterministic (random.Random(11)) apart from timestamps relative to now.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import time
from decimal import Decimal
from typing import Any

from .environment import META_TABLE, _raw_connection, log

CUSTOMERS = 2_000
ORDERS = 20_000
CUSTOMER_CARTS = 1_000
GUEST_CARTS = 1_000
CUSTOMER_EMAIL = "bench.customer.{n}@example.com"
MARKER = "shop_background"
VERSION = f"v1 {CUSTOMERS} customers {ORDERS} orders {CUSTOMER_CARTS}+{GUEST_CARTS} carts"
CHUNK = 1_000
CENT = Decimal("0.01")
# status → (payment_status, share): the mix of a shop's order book (none pending: no reservations).
STATUSES = [("delivered", "paid", 60), ("shipped", "paid", 8), ("preparing", "paid", 4), ("paid", "paid", 8),
            ("cancelled", "unpaid", 12), ("refunded", "refunded", 3), ("returned", "paid", 5)]
PATHS = {
    "paid": ["pending_payment", "paid"],
    "preparing": ["pending_payment", "paid", "preparing"],
    "shipped": ["pending_payment", "paid", "preparing", "shipped"],
    "delivered": ["pending_payment", "paid", "preparing", "shipped", "delivered"],
    "cancelled": ["pending_payment", "cancelled"],
    "returned": ["pending_payment", "paid", "preparing", "shipped", "delivered", "return_requested", "returned"],
    "refunded": ["pending_payment", "paid", "preparing", "shipped", "delivered", "return_requested", "returned",
                 "refunded"],
}
ADDRESS = {"type": "delivery", "billing_kind": "individual", "title": "Ev", "first_name": "Mehmet",
           "last_name": "Demir", "il": "Ankara", "ilce": "Çankaya", "mahalle": "Kızılay",
           "address_line": "Atatürk Bulvarı No 12 D 4", "posta_kodu": "06420", "country_code": "TR",
           "phone_masked": "+90 5** *** ** 67", "tax_number_masked": None, "national_id_masked": None}


def seeded(tenant_id: int) -> bool:
    conn = _raw_connection(_url())
    try:
        with conn.cursor() as cur:
            cur.execute(f"SELECT v FROM {META_TABLE} WHERE k = %s", (f"{MARKER}:{tenant_id}",))
            row = cur.fetchone()
        return bool(row and row[0] == VERSION)
    finally:
        conn.close()


def ensure_background(tenant_id: int) -> dict[str, Any]:
    """Seed the background once; returns what it did."""
    if seeded(tenant_id):
        return {"background_seeded": False, "background": VERSION}
    log(f"seeding the shop's background orders ({VERSION}) ...")
    started = time.perf_counter()
    conn = _raw_connection(_url())
    try:
        with conn.cursor() as cur:
            _remove(cur, tenant_id)  # a half-made background from an interrupted run
            _seed(cur, tenant_id, random.Random(11))
            cur.execute(f"REPLACE INTO {META_TABLE} (k, v) VALUES (%s, %s)", (f"{MARKER}:{tenant_id}", VERSION))
        conn.commit()
    finally:
        conn.close()
    seconds = round(time.perf_counter() - started, 1)
    log(f"background seeded in {seconds} s")
    return {"background_seeded": True, "background": VERSION, "background_seed_seconds": seconds}


def _url() -> str:
    import os

    return os.environ["DATABASE_URL"]


def _remove(cur: Any, tenant_id: int) -> None:
    customers = "SELECT id FROM users WHERE tenant_id = %s AND email LIKE 'bench.customer.%%'"
    for table in ("payments", "shipments"):
        cur.execute(f"DELETE FROM {table} WHERE tenant_id = %s AND order_id IN "
                    f"(SELECT id FROM orders WHERE tenant_id = %s AND user_id IN ({customers}))",
                    (tenant_id, tenant_id, tenant_id))
    cur.execute(f"DELETE FROM orders WHERE tenant_id = %s AND user_id IN ({customers})", (tenant_id, tenant_id))
    cur.execute("DELETE FROM carts WHERE tenant_id = %s AND user_id IS NULL AND device_id LIKE 'bench-guest-%%'",
                (tenant_id,))
    cur.execute(f"DELETE FROM carts WHERE tenant_id = %s AND user_id IN ({customers})", (tenant_id, tenant_id))
    cur.execute("DELETE FROM users WHERE tenant_id = %s AND email LIKE 'bench.customer.%%'", (tenant_id,))


def _insert(cur: Any, sql: str, rows: list[tuple[Any, ...]]) -> None:
    for start in range(0, len(rows), CHUNK):
        cur.executemany(sql, rows[start:start + CHUNK])


def _seed(cur: Any, tenant_id: int, rng: random.Random) -> None:
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    _insert(cur, "INSERT INTO users (tenant_id, email, first_name, last_name, language, created_at) "
                 "VALUES (%s, %s, %s, %s, 'tr', %s)",
            [(tenant_id, CUSTOMER_EMAIL.format(n=n), "Müşteri", f"Arka Plan {n}",
              now - dt.timedelta(days=rng.randint(30, 900))) for n in range(CUSTOMERS)])
    cur.execute("SELECT id FROM users WHERE tenant_id = %s AND email LIKE 'bench.customer.%%' ORDER BY id",
                (tenant_id,))
    customers = [int(r[0]) for r in cur.fetchall()]
    cur.execute("""SELECT v.id, v.product_id, v.price, v.sku, v.barcode, v.name, p.name, p.vat_rate
                     FROM product_variations v JOIN products p ON p.tenant_id = v.tenant_id AND p.id = v.product_id
                    WHERE v.tenant_id = %s ORDER BY v.id""", (tenant_id,))
    variations = list(cur.fetchall())

    weights = [w for _, _, w in STATUSES]
    orders: list[tuple[Any, ...]] = []
    plans: list[tuple[Any, ...]] = []
    for n in range(ORDERS):
        user_id = rng.choice(customers)
        status, payment_status, _ = rng.choices(STATUSES, weights)[0]
        placed = now - dt.timedelta(seconds=rng.randint(3_600, 365 * 86_400))
        lines = [(rng.choice(variations), rng.choice((1, 1, 1, 2, 3))) for _ in range(rng.choice((1, 1, 2, 2, 3)))]
        subtotal = sum((Decimal(v[2]) * q for v, q in lines), Decimal(0))
        shipping = Decimal("0.00") if subtotal >= 750 else Decimal("49.90")
        vat = sum((Decimal(v[2]) * q * Decimal(v[7]) / (100 + Decimal(v[7])) for v, q in lines),
                  Decimal(0)).quantize(CENT)
        grand = subtotal + shipping
        path = PATHS[status]
        times = [placed + dt.timedelta(hours=6 * i + rng.randint(0, 5)) for i in range(len(path))]
        stamp = dict(zip(path, times, strict=True))
        paid = payment_status != "unpaid"
        address = json.dumps(ADDRESS, ensure_ascii=False)
        orders.append((
            tenant_id, f"B{n:09d}", user_id, status, payment_status, rng.choice(("card", "card", "card", "eft")),
            subtotal, shipping, "standard", vat, grand, grand if paid else Decimal(0),
            grand if status == "refunded" else Decimal(0), address, address, CUSTOMER_EMAIL.format(n=user_id),
            rng.choice(("web", "mobile")),
            placed, stamp.get("paid"), stamp.get("shipped"), stamp.get("delivered"), stamp.get("cancelled"),
            "payment_timeout" if status == "cancelled" else None, len(path) - 1, placed, times[-1]))
        plans.append((lines, path, times, paid, grand, status))
    _insert(cur, """INSERT INTO orders (tenant_id, order_number, user_id, status, payment_status, payment_method,
                        subtotal, shipping_total, shipping_method, vat_total, grand_total, paid_total, refunded_total,
                        shipping_address, billing_address, contact_email, source,
                        placed_at, paid_at, shipped_at, delivered_at, cancelled_at, cancel_reason, version,
                        created_at, updated_at)
                    VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
                            %s, %s, %s, %s)""", orders)
    cur.execute("SELECT order_number, id FROM orders WHERE tenant_id = %s AND order_number LIKE 'B%%'", (tenant_id,))
    ids = dict(cur.fetchall())

    items: list[tuple[Any, ...]] = []
    history: list[tuple[Any, ...]] = []
    payments: list[tuple[Any, ...]] = []
    shipments: list[tuple[Any, ...]] = []
    for n, (lines, path, times, paid, grand, status) in enumerate(plans):
        order_id = ids[f"B{n:09d}"]
        for v, q in lines:
            price, rate = Decimal(v[2]), Decimal(v[7])
            total = price * q
            items.append((tenant_id, order_id, v[1], v[0], v[6], v[5], v[3], v[4], price, rate, q,
                          (total * rate / (100 + rate)).quantize(CENT), total,
                          q if status in ("returned", "refunded") else 0, times[0]))
        previous: str | None = None
        for to_status, at in zip(path, times, strict=True):
            history.append((tenant_id, order_id, previous, to_status, "system" if previous else "customer", at))
            previous = to_status
        if paid:
            payments.append((tenant_id, order_id, "iyzico", "card", "succeeded", grand,
                             grand if status == "refunded" else Decimal(0), "4242", "VISA", times[1], times[1]))
        if "shipped" in path:
            shipments.append((tenant_id, order_id, "yurtici", f"YK{order_id:010d}", "delivered"
                              if "delivered" in path else "in_transit", times[path.index("shipped")]))
    _insert(cur, """INSERT INTO order_items (tenant_id, order_id, product_id, variation_id, name, variation_name, sku,
                        barcode, unit_price, vat_rate, quantity, vat_amount, line_total, returned_quantity, created_at)
                    VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""", items)
    _insert(cur, """INSERT INTO order_status_history (tenant_id, order_id, from_status, to_status, actor_type, created_at)
                    VALUES (%s, %s, %s, %s, %s, %s)""", history)
    _insert(cur, """INSERT INTO payments (tenant_id, order_id, provider, method, status, amount, refunded_amount,
                        card_last4, card_brand, paid_at, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            payments)
    _insert(cur, """INSERT INTO shipments (tenant_id, order_id, carrier, tracking_number, status, shipped_at)
                    VALUES (%s, %s, %s, %s, %s, %s)""", shipments)

    carts: list[tuple[Any, ...]] = [(tenant_id, user_id, None, None) for user_id in rng.sample(customers, CUSTOMER_CARTS)]
    carts += [(tenant_id, None, f"bench-guest-{n:06d}", now + dt.timedelta(days=rng.randint(1, 29)))
              for n in range(GUEST_CARTS)]
    _insert(cur, "INSERT INTO carts (tenant_id, user_id, device_id, expires_at) VALUES (%s, %s, %s, %s)", carts)
    cur.execute("""SELECT id FROM carts WHERE tenant_id = %s AND (device_id LIKE 'bench-guest-%%' OR user_id IN
                   (SELECT id FROM users WHERE tenant_id = %s AND email LIKE 'bench.customer.%%'))""",
                (tenant_id, tenant_id))
    cart_lines = []
    for (cart_id,) in cur.fetchall():
        for v in rng.sample(variations, rng.choice((1, 2, 3))):
            cart_lines.append((tenant_id, cart_id, v[1], v[0], rng.choice((1, 1, 2)), v[2]))
    _insert(cur, "INSERT INTO cart_items (tenant_id, cart_id, product_id, variation_id, quantity, unit_price) "
                 "VALUES (%s, %s, %s, %s, %s, %s)", cart_lines)
    cur.execute("ANALYZE TABLE users, orders, order_items, order_status_history, payments, shipments, carts, cart_items")
    cur.fetchall()
