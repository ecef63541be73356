"""Helpers of the card payment tests: the local iyzico sandbox over HTTPS with the settings
pointed at it, an app with the routes these tests call, a shop whose settings choose the card
flow, orders placed through checkout, and rows read straight from the tables."""
from __future__ import annotations

import json
import ssl
import urllib.request
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.adapters.iyzico import response_signature, webhook_signature
from chalicelib.platform.config import DEV_IYZICO_SECRET_KEY
from chalicelib.platform.db import get_db
from tests.conftest import Api, TenantInfo, make_tenant, make_user
from tests.iyzico_kit import running_sandbox
from tests.orders_kit import Shopper, checkout, fill_cart, product, shopper, sign_in

PROCESS, TOPUP = "/api/payment/process", "/api/payment/topup"
SUCCESS, SUCCESS_2, FOREIGN = "5528790000000008", "5890040000000016", "5400010000000004"
MD0, MD4, INIT_FAILS, NO_REFUND = "4131111111111117", "4141111111111115", "4151111111111112", "5406670000000009"
DECLINES = {"4111111111111129": "card_insufficient_funds", "4129111111111111": "card_declined",
            "4124111111111116": "invalid_cvc", "4121111111111119": "fraud_suspected", "4130111111111118": "card_declined"}
SECRET = DEV_IYZICO_SECRET_KEY


@pytest.fixture(scope="module")
def sandbox() -> Iterator[tuple[Any, str]]:
    with running_sandbox() as running:
        yield running


@pytest.fixture
def client() -> Iterator[Any]:
    """The routes these tests use: addresses and orders (to place an order), the card payment,
    callback and review routes (functions/payments.py and payments_admin.py serve the same)."""
    from chalice.test import Client

    from chalicelib.addresses.routes import router as addresses
    from chalicelib.orders.routes import router as orders
    from chalicelib.payments.callback_routes import router as callbacks
    from chalicelib.payments.card_routes import admin_router, router
    from chalicelib.platform.app_factory import create_app

    with Client(create_app("huglu-card-payments-test", [addresses, orders, router, callbacks, admin_router])) as c:
        yield c


def control(sandbox: tuple[Any, str], path: str, body: dict[str, Any] | None = None) -> Any:
    server, host = sandbox
    request = urllib.request.Request(f"https://{host}{path}", data=None if body is None else json.dumps(body).encode(),
                                     method="GET" if body is None else "POST",
                                     headers={"Content-Type": "application/json"})
    context = ssl.create_default_context(cafile=str(server.ca_file))
    with urllib.request.urlopen(request, timeout=10, context=context) as response:
        return json.loads(response.read())


def calls(sandbox: tuple[Any, str], path: str) -> list[dict[str, Any]]:
    return [r for r in control(sandbox, "/_fake/requests")["requests"] if r["path"] == path]


def shop(*, flow: str = "direct", require_3ds: bool = False, max_installments: int = 3, **extra: Any) -> TenantInfo:
    return make_tenant(settings={"payments": {"card_flow": flow, "require_3ds": require_3ds,
                                              "max_installments": max_installments}, **extra})


def placed(client: Any, tenant: TenantInfo, *, price: str = "500.00", quantity: int = 2,
           who: Shopper | None = None) -> tuple[Shopper, dict[str, Any], int]:
    """(customer, order, variation id): an order pending payment, `quantity` of 10 units reserved."""
    who = who or shopper(client, tenant)
    db = get_db()
    p, v = product(db, tenant.id, price=price, stock=10)
    fill_cart(db, tenant.id, who.user_id, [(p, v, quantity)])
    response = checkout(who)
    assert response.status_code == 201, response.body
    return who, response.json, v


def card(number: str = SUCCESS, **over: Any) -> dict[str, Any]:
    return {"holder": "Ayşe Yılmaz", "number": number, "expire_month": "12", "expire_year": "2030", "cvc": "123",
            **over}


def pay(api: Api, order_id: Any, number: str = SUCCESS, *, key: str | None = None, **body: Any) -> Any:
    payload = {"order_id": order_id, "flow": "direct", "card": card(number), **body}
    return api.post(PROCESS, payload, headers={"Idempotency-Key": key or uuid.uuid4().hex})


def rows(sql: str, *params: Any) -> list[dict[str, Any]]:
    return get_db().session().all(sql, params)


def order_row(tenant_id: int, order_id: int) -> dict[str, Any]:
    return rows("SELECT status, payment_status, payment_method, paid_total, grand_total FROM orders "
                "WHERE tenant_id = %s AND id = %s", tenant_id, order_id)[0]


def stock(tenant_id: int, variation_id: int) -> tuple[int, int]:
    row = rows("SELECT stock, reserved FROM product_variations WHERE tenant_id = %s AND id = %s", tenant_id,
               variation_id)[0]
    return int(row["stock"]), int(row["reserved"])


def payments_of(tenant_id: int, order_id: int) -> list[dict[str, Any]]:
    return rows("SELECT provider, method, amount, provider_payment_id FROM payments WHERE tenant_id = %s "
                "AND order_id = %s ORDER BY id", tenant_id, order_id)


def attempts(tenant_id: int) -> list[dict[str, Any]]:
    return rows("SELECT id, order_id, flow, status, amount, wallet_amount, provider_payment_id, failure_code "
                "FROM payment_attempts WHERE tenant_id = %s ORDER BY id", tenant_id)


def items_of(tenant_id: int, attempt_id: int) -> list[dict[str, Any]]:
    return rows("SELECT item_id, price, paid_price, provider_transaction_id FROM payment_attempt_items "
                "WHERE tenant_id = %s AND attempt_id = %s ORDER BY item_id", tenant_id, attempt_id)


def tasks(tenant_id: int) -> list[dict[str, Any]]:
    return rows("SELECT id, kind, status, attempt_id FROM payment_tasks WHERE tenant_id = %s ORDER BY id", tenant_id)


def staff(client: Any, tenant: TenantInfo) -> Api:
    user_id, _, _ = make_user(tenant, roles=["finance"])
    api = Api(client, tenant.api_key)
    api.token = sign_in(tenant.id, user_id)
    return api


def credit_wallet(tenant_id: int, user_id: int, amount: str) -> None:
    from chalicelib.wallet import api as wallet

    def work(uow: Any) -> None:
        wallet.credit(uow, tenant_id, user_id, Decimal(amount), transfer_id=f"test-{uuid.uuid4().hex}",
                      purpose="gift_card")
        uow.commit()

    get_db().transaction(work)


def balance(tenant_id: int, user_id: int) -> Any:
    from chalicelib.wallet import api as wallet

    return wallet.balance(get_db().session(), tenant_id, user_id)


def reconciled(tenant_id: int) -> bool:
    from chalicelib.wallet import api as wallet

    return bool(wallet.reconcile(get_db().session(), tenant_id).ok)


def form_post(client: Any, path: str, form: dict[str, str]) -> Any:
    from urllib.parse import urlencode

    return client.http.post(path, body=urlencode(form).encode(),
                            headers={"Content-Type": "application/x-www-form-urlencoded"})


def signed_3ds_form(form: dict[str, str]) -> dict[str, str]:
    """A callback form signed with the secret (what only iyzico could make)."""
    values = [form.get(k, "") for k in ("conversationData", "conversationId", "mdStatus", "paymentId", "status")]
    return {**form, "signature": response_signature(SECRET, values)}


def webhook(client: Any, slug: str, event: dict[str, Any], *, signature: str | None = None) -> Any:
    body = json.dumps(event).encode()
    sig = signature if signature is not None else webhook_signature(SECRET, event)
    return client.http.post(f"/api/payment/webhooks/iyzico/{slug}", body=body,
                            headers={"Content-Type": "application/json", "X-IYZ-SIGNATURE-V3": sig})


def reconcile_job(client: Any) -> dict[str, int]:
    """The scheduled job's logic (reconcile.run) as the Lambda runs it, with the grace passed."""
    from chalicelib.payments import reconcile

    get_db().session().execute("UPDATE payment_attempts SET updated_at = updated_at - INTERVAL 1 HOUR "
                               "WHERE status IN ('unknown', 'initiated')")
    return reconcile.run(get_db())
