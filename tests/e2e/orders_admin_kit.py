"""Helpers for the admin order panel tests: staff users of a role, and a bulk seeder that writes
thousands of plausible orders straight into the tables (customers, items, statuses, payment
methods, amounts, sources, a year of dates) for the query-plan and brute-force checks.

The seeder is not a checkout: it bypasses stock and the lifecycle on purpose, to reach the
~10k orders per tenant the index choices are judged at in seconds.  Behaviour tests use real
orders (tests/orders_kit.py)."""
from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from decimal import Decimal
from typing import Any

from tests.conftest import Api, TenantInfo, login, make_user
from tests.helpers import insert_product

FIRST_NAMES = ["Ayşe", "Mehmet", "Zeynep", "Ali", "Elif", "Mustafa", "Fatma", "Emre", "Şule", "İbrahim", "Özge",
               "Çağrı", "Ümit", "Deniz", "Kübra"]
LAST_NAMES = ["Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Öztürk", "Aydın", "Arslan", "Doğan",
              "Kılıç", "Aslan", "Çetin", "Kara", "Koç"]
STATUSES = [("pending_payment", 8), ("paid", 10), ("preparing", 8), ("shipped", 10), ("delivered", 50),
            ("cancelled", 9), ("return_requested", 2), ("returned", 1), ("refunded", 2)]
METHODS = ["card", "card", "card", "eft", "wallet", "cash"]
SOURCES = ["web", "mobile", "mobile", "trendyol"]
START = dt.datetime(2024, 1, 1)


def staff(client: Any, tenant: TenantInfo, role: str) -> tuple[Api, int]:
    user_id, email, password = make_user(tenant, roles=[role])
    api = Api(client, tenant.api_key)
    api.token = login(api, email, password)["access_token"]
    return api, user_id


def _payment_status(rng: random.Random, status: str) -> str:
    if status == "pending_payment":
        return rng.choice(["unpaid", "unpaid", "failed"])
    if status == "cancelled":
        return rng.choice(["unpaid", "refund_pending", "refunded"])
    if status in ("returned", "refunded"):
        return rng.choice(["refund_pending", "refunded", "partially_refunded"])
    return "paid"


def seed_orders(db: Any, tenant_id: int, count: int, *, seed: int = 5, customers: int = 400) -> list[dict[str, Any]]:
    """`count` orders of `customers` customers in one tenant; returns what the filters look at."""
    rng = random.Random(seed)
    session = db.session()
    product_id = insert_product(db, tenant_id, "Tohum Ürün", stock=10**6)
    variation_id = session.scalar("SELECT id FROM product_variations WHERE tenant_id = %s AND product_id = %s",
                                  (tenant_id, product_id))
    tag = uuid.uuid4().hex[:6]
    people = [(f"c{i}-{tag}@example.com", rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)) for i in range(customers)]
    session.executemany("INSERT INTO users (tenant_id, email, first_name, last_name) VALUES (%s, %s, %s, %s)",
                        [(tenant_id, *p) for p in people])
    users = session.all("SELECT id, email, first_name, last_name FROM users WHERE tenant_id = %s AND email LIKE %s",
                        (tenant_id, f"%-{tag}@example.com"))
    statuses, weights = zip(*STATUSES, strict=True)
    orders, items = [], []
    for n in range(count):
        user = rng.choice(users)
        status = rng.choices(statuses, weights)[0]
        quantity = rng.randint(1, 4)
        total = Decimal(rng.randint(5000, 900000)) / 100
        created = START + dt.timedelta(seconds=rng.randint(0, 365 * 86400), microseconds=rng.randint(0, 999999))
        billing = {"first_name": user["first_name"], "last_name": user["last_name"], "il": "İstanbul"}
        orders.append({
            "order_number": f"S{created:%y%m%d}-{n:06d}", "user_id": user["id"], "status": status,
            "payment_status": _payment_status(rng, status), "payment_method": rng.choice(METHODS),
            "grand_total": total, "subtotal": total, "contact_email": user["email"],
            "billing_address": json.dumps(billing, ensure_ascii=False), "source": rng.choice(SOURCES),
            "created_at": created, "placed_at": created, "quantity": quantity,
            "reserved_until": created + dt.timedelta(minutes=30) if status == "pending_payment" else None,
        })
    columns = ["order_number", "user_id", "status", "payment_status", "payment_method", "grand_total", "subtotal",
               "contact_email", "billing_address", "source", "created_at", "placed_at", "reserved_until"]
    for start in range(0, count, 1000):
        chunk = orders[start:start + 1000]
        session.executemany(
            f"INSERT INTO orders (tenant_id, {', '.join(columns)}) VALUES (%s, {', '.join(['%s'] * len(columns))})",
            [(tenant_id, *[o[c] for c in columns]) for o in chunk])
    ids = {r["order_number"]: r["id"] for r in session.all(
        "SELECT id, order_number FROM orders WHERE tenant_id = %s", (tenant_id,))}
    for order in orders:
        order["id"] = ids[order["order_number"]]
        items.append((tenant_id, order["id"], product_id, variation_id, "Tohum Ürün", "SKU-SEED", order["grand_total"],
                      Decimal("20.00"), order["quantity"], order["grand_total"]))
    for start in range(0, len(items), 2000):
        session.executemany(
            """INSERT INTO order_items (tenant_id, order_id, product_id, variation_id, name, sku, unit_price, vat_rate,
                                        quantity, line_total) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            items[start:start + 2000])
    by_id = {u["id"]: u for u in users}
    for order in orders:
        user = by_id[order["user_id"]]
        order["first_name"], order["last_name"] = user["first_name"], user["last_name"]
    session.execute("ANALYZE TABLE orders, order_items, users")
    return orders
