"""Test helpers for the cart / orders / shipping / invoices / returns suites: a signed-in
shopper with an address, products with stock, a filled cart, checkout, payment."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tests.conftest import Api, TenantInfo, make_user
from tests.helpers import insert_product

ADDRESS = {
    "type": "delivery", "title": "Ev", "first_name": "Ayşe", "last_name": "Yılmaz", "phone": "0532 123 45 67",
    "il": "istanbul", "ilce": "Kadıköy", "mahalle": "Caferağa", "address_line": "Moda Cad. No 5 D 3",
    "posta_kodu": "34710",
}


@dataclass
class Shopper:
    api: Api
    user_id: int
    email: str
    address_id: int


def sign_in(tenant_id: int, user_id: int) -> str:
    """An access token for a user, started the way a password login does after the check
    (accounts.service.complete_login), without the login route's per-IP limit: the
    concurrency tests sign in a hundred customers from one test-client address."""
    from chalicelib.accounts.repository import user_by_id
    from chalicelib.accounts.service import Client, complete_login
    from chalicelib.platform.db import get_db

    db = get_db()
    user = user_by_id(db.session(), tenant_id, user_id)
    return str(complete_login(db, tenant_id, user, Client(device_name="tests"), amr=("pwd",))["access_token"])


def shopper(client: Any, tenant: TenantInfo) -> Shopper:
    user_id, email, _ = make_user(tenant)
    api = Api(client, tenant.api_key)
    api.token = sign_in(tenant.id, user_id)
    response = api.post("/api/addresses", ADDRESS)
    assert response.status_code == 201, response.body
    return Shopper(api, user_id, email, response.json["id"])


def product(db: Any, tenant_id: int, *, price: str = "1249.90", stock: int = 10, name: str = "Şişme Yatak",
            vat_rate: str | None = None) -> tuple[int, int]:
    """(product_id, variation_id) of an active product with one variation."""
    product_id = insert_product(db, tenant_id, name, price=price, stock=stock)
    if vat_rate is not None:
        db.session().execute("UPDATE products SET vat_rate = %s WHERE tenant_id = %s AND id = %s",
                             (Decimal(vat_rate), tenant_id, product_id))
    variation_id = db.session().scalar("SELECT id FROM product_variations WHERE tenant_id = %s AND product_id = %s",
                                       (tenant_id, product_id))
    return product_id, variation_id


def fill_cart(db: Any, tenant_id: int, user_id: int, lines: list[tuple[int, int, int]]) -> int:
    """Put (product_id, variation_id, quantity) lines in the user's cart straight in the tables."""
    session = db.session()
    session.execute("INSERT IGNORE INTO carts (tenant_id, user_id) VALUES (%s, %s)", (tenant_id, user_id))
    cart_id = session.scalar("SELECT id FROM carts WHERE tenant_id = %s AND user_id = %s", (tenant_id, user_id))
    for product_id, variation_id, quantity in lines:
        session.execute("""INSERT INTO cart_items (tenant_id, cart_id, product_id, variation_id, quantity)
                           VALUES (%s, %s, %s, %s, %s) ON DUPLICATE KEY UPDATE quantity = VALUES(quantity)""",
                        (tenant_id, cart_id, product_id, variation_id, quantity))
    return int(cart_id)


def checkout(who: Shopper, key: str | None = None, **body: Any) -> Any:
    return who.api.post("/api/orders", {"shipping_address_id": who.address_id, **body},
                        headers={"Idempotency-Key": key or uuid.uuid4().hex})


def pay(db: Any, tenant_id: int, order_id: int, method: str = "eft") -> dict[str, Any]:
    """Mark an order paid the way staff confirms a bank transfer (a manual payment row)."""
    from chalicelib.orders import payments
    from chalicelib.orders.states import SYSTEM

    def work(uow: Any) -> dict[str, Any]:
        order = payments.record_manual_payment(uow, tenant_id, order_id, method=method, reference="test", actor=SYSTEM)
        uow.commit()
        return order

    return db.transaction(work)


def variation_stock(db: Any, tenant_id: int, variation_id: int) -> tuple[int, int]:
    row = db.session().one("SELECT stock, reserved FROM product_variations WHERE tenant_id = %s AND id = %s",
                           (tenant_id, variation_id))
    return int(row["stock"]), int(row["reserved"])


def drain(queue_short: str, handler: Any, *, max_batches: int = 50) -> int:
    """Run a queue's real consumer over everything on it (like tests/notifications_outbox.py)."""
    from chalicelib.platform.queue import queue_name
    from infra.local.worker import Consumer, poll

    consumer = Consumer(queue_name(queue_short), handler, batch_size=10)
    received = 0
    for _ in range(max_batches):
        got = poll(consumer, wait_seconds=0)
        if not got:
            return received
        received += got
    raise AssertionError(f"{queue_short} still not empty after {max_batches} batches")
