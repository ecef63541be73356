"""Helpers of the payments tests: a shop with bank accounts, an order placed through checkout,
staff signed in, rows read straight from the tables."""
from __future__ import annotations

import uuid
from typing import Any

from chalicelib.platform.db import get_db
from tests.conftest import Api, TenantInfo, make_tenant, make_user
from tests.orders_kit import Shopper, checkout, fill_cart, product, shopper, sign_in

BANK = {"bank": "Ziraat Bankası", "iban": "TR330006100519786457841326", "account_holder": "Huğlu Av Tüfekleri",
        "branch": "Hüyük"}
START = "/api/payment/bank-transfer"


def bank_shop(**settings: Any) -> TenantInfo:
    return make_tenant(settings={"wallet": {"bank_accounts": [BANK]}, **settings})


def staff(client: Any, tenant: TenantInfo, roles: list[str] | None = None) -> Api:
    user_id, _, _ = make_user(tenant, roles=roles or ["finance"])
    api = Api(client, tenant.api_key)
    api.token = sign_in(tenant.id, user_id)
    return api


def placed(client: Any, tenant: TenantInfo, *, price: str = "500.00", quantity: int = 2,
           who: Shopper | None = None) -> tuple[Shopper, dict[str, Any], int]:
    """(customer, order, variation id): an order pending payment, `quantity` units reserved of 10."""
    who = who or shopper(client, tenant)
    db = get_db()
    p, v = product(db, tenant.id, price=price, stock=10)
    fill_cart(db, tenant.id, who.user_id, [(p, v, quantity)])
    response = checkout(who)
    assert response.status_code == 201, response.body
    return who, response.json, v


def start(api: Api, order_id: Any, key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key} if key else None
    return api.post(START, {"order_id": order_id}, headers=headers)


def key() -> str:
    return uuid.uuid4().hex


def rows(sql: str, *params: Any) -> list[dict[str, Any]]:
    return get_db().session().all(sql, params)


def attempts(tenant_id: int) -> list[dict[str, Any]]:
    return rows("SELECT id, order_id, status, amount, reference_code, payment_id FROM payment_attempts "
                "WHERE tenant_id = %s ORDER BY id", tenant_id)


def order_row(tenant_id: int, order_id: int) -> dict[str, Any]:
    return rows("SELECT status, payment_status, payment_method, paid_total, reserved_until FROM orders "
                "WHERE tenant_id = %s AND id = %s", tenant_id, order_id)[0]


def order_payments(tenant_id: int) -> list[dict[str, Any]]:
    return rows("SELECT order_id, provider, method, status, amount, provider_payment_id FROM payments "
                "WHERE tenant_id = %s ORDER BY id", tenant_id)


def tasks(tenant_id: int) -> list[dict[str, Any]]:
    return rows("SELECT kind, status, order_id, attempt_id, amount FROM payment_tasks WHERE tenant_id = %s", tenant_id)
