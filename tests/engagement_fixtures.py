"""Fixtures and row builders shared by the engagement tests (test_reviews.py,
test_favorites_alerts.py).

app.py does not register the engagement router yet, so `engagement_client` builds one app from
the engagement router, the accounts router (sign-in) and the catalogue router (product detail,
to see the rating summary), all in this ONE fixture.  Importing the router puts its routes into
the process-wide route registry, which the middleware reads and which the OpenAPI test compares
with the committed document built from app.py, so the fixture takes them out again when the
test module ends (and puts them back for the next module).  At integration (router in app.py)
this fixture becomes `from app import app` and the registry juggling goes away: it already does
nothing once app.py has registered the routes.

Orders do not exist yet as an area, so `insert_order` writes a delivered order and its items
with plain SQL, in the columns of migration 0001 (orders / order_items).
"""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.platform.db import get_db
from tests.conftest import Api, TenantInfo, login, make_user
from tests.helpers import insert_product


@pytest.fixture(scope="module")
def engagement_app() -> Iterator[Any]:
    from app import app

    yield app


@pytest.fixture
def engagement_client(client: Any) -> Iterator[Any]:
    """conftest's client of app.py (one Client per test, not a second one)."""
    yield client


@dataclass
class Person:
    """A signed-in user of one tenant: its Api, id and e-mail."""

    api: Api
    user_id: int
    email: str


def sign_in(client: Any, tenant: TenantInfo, roles: list[str] | None = None, *, language: str | None = None) -> Person:
    user_id, email, password = make_user(tenant, roles=roles)
    if language is not None:
        get_db().session().execute("UPDATE users SET language = %s WHERE tenant_id = %s AND id = %s",
                                   (language, tenant.id, user_id))
    api = Api(client, tenant.api_key)
    api.token = login(api, email, password)["access_token"]
    return Person(api, user_id, email)


# -- rows ------------------------------------------------------------------------------------------
def insert_order(tenant_id: int, user_id: int, product_ids: list[int], *, status: str = "delivered") -> int:
    """An order of `user_id` in `status` with one line per product (quantity 1, 100.00 TRY)."""
    session = get_db().session()
    total = Decimal("100.00") * len(product_ids)
    order_id = session.insert(
        """INSERT INTO orders (tenant_id, order_number, user_id, status, payment_status, payment_method, subtotal,
                               vat_total, grand_total, paid_total, paid_at, shipped_at, delivered_at)
           VALUES (%s, %s, %s, %s, 'paid', 'card', %s, %s, %s, %s, CURRENT_TIMESTAMP(6), CURRENT_TIMESTAMP(6),
                   IF(%s = 'delivered', CURRENT_TIMESTAMP(6), NULL))""",
        (tenant_id, f"HG-{uuid.uuid4().hex[:12].upper()}", user_id, status, total, total / 6, total, total, status),
    )
    for product_id in product_ids:
        variation = session.one(
            "SELECT id, sku, name FROM product_variations WHERE tenant_id = %s AND product_id = %s ORDER BY id LIMIT 1",
            (tenant_id, product_id),
        )
        assert variation is not None
        session.insert(
            """INSERT INTO order_items (tenant_id, order_id, product_id, variation_id, name, sku, unit_price, vat_rate,
                                        quantity, vat_amount, line_total)
               VALUES (%s, %s, %s, %s, %s, %s, 100.00, 20.00, 1, 16.67, 100.00)""",
            (tenant_id, order_id, product_id, variation["id"], variation["name"] or "Ürün", variation["sku"]),
        )
    return order_id


def variation_ids(tenant_id: int, product_id: int) -> list[int]:
    rows = get_db().session().all(
        "SELECT id FROM product_variations WHERE tenant_id = %s AND product_id = %s ORDER BY id", (tenant_id, product_id))
    return [int(r["id"]) for r in rows]


def add_variation(tenant_id: int, product_id: int, *, stock: int = 0, name: str = "XL") -> int:
    return get_db().session().insert(
        """INSERT INTO product_variations (tenant_id, product_id, sku, name, price, stock, is_active)
           VALUES (%s, %s, %s, %s, 1249.90, %s, 1)""",
        (tenant_id, product_id, f"SKU-{uuid.uuid4().hex[:10]}", name, stock),
    )


def set_stock(tenant_id: int, variation_id: int, stock: int, reserved: int = 0) -> None:
    get_db().session().execute(
        "UPDATE product_variations SET stock = %s, reserved = %s WHERE tenant_id = %s AND id = %s",
        (stock, reserved, tenant_id, variation_id))


def set_product_status(tenant_id: int, product_id: int, status: str) -> None:
    get_db().session().execute("UPDATE products SET status = %s WHERE tenant_id = %s AND id = %s",
                               (status, tenant_id, product_id))


def rows(sql: str, params: Any = ()) -> list[dict[str, Any]]:
    return get_db().session().all(sql, params)


@pytest.fixture
def product(tenant: TenantInfo) -> int:
    return insert_product(get_db(), tenant.id, "Şişme Yatak")


@pytest.fixture
def buyer(engagement_client: Any, tenant: TenantInfo, product: int) -> Person:
    """A customer with a delivered order containing `product`."""
    person = sign_in(engagement_client, tenant)
    insert_order(tenant.id, person.user_id, [product])
    return person
