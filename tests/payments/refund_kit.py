"""Helpers of the card refund and reconciliation tests: the local iyzico sandbox over HTTPS with
the settings pointed at it, and a card-paid order made the way the card flows' settle leaves
one - paid at the sandbox through the real adapter (basket = the order's lines + shipping,
adding up to the amount due), then the attempt + its basket items (refund_repository) and the
orders' payment (orders.api.record_payment + mark_paid) in one transaction."""
from __future__ import annotations

import json
import ssl
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.adapters.iyzico import (
    Address,
    BasketItem,
    Buyer,
    Card,
    IyzicoClient,
    PaymentRequest,
    PaymentResult,
)
from chalicelib.orders import api as orders
from chalicelib.payments import refund_repository
from chalicelib.platform import outbox
from chalicelib.platform.db import get_db
from tests.conftest import TenantInfo
from tests.iyzico_kit import running_sandbox
from tests.orders_kit import Shopper, checkout, fill_cart, product, shopper

SUCCESS, NO_REFUND = "5528790000000008", "5406670000000009"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[tuple[Any, str]]:
    with running_sandbox() as running:
        yield running


@pytest.fixture
def client() -> Iterator[Any]:
    """The routes these tests call: addresses and orders (to place and cancel an order), the
    payments admin routes (tasks) and the refund routes - as functions/payments_admin.py serves them."""
    from chalice.test import Client

    from chalicelib.addresses.routes import router as addresses
    from chalicelib.orders.routes import router as order_routes
    from chalicelib.payments.admin_routes import router as admin
    from chalicelib.payments.refund_routes import router as refund_routes
    from chalicelib.platform.app_factory import create_app

    with Client(create_app("huglu-refunds-test", [addresses, order_routes, admin, refund_routes])) as c:
        yield c


def control(sandbox: tuple[Any, str], path: str, body: dict[str, Any] | None = None) -> Any:
    server, host = sandbox
    request = urllib.request.Request(f"https://{host}{path}", data=None if body is None else json.dumps(body).encode(),
                                     method="GET" if body is None else "POST",
                                     headers={"Content-Type": "application/json"})
    context = ssl.create_default_context(cafile=str(server.ca_file))
    with urllib.request.urlopen(request, timeout=10, context=context) as response:
        return json.loads(response.read())


def calls(sandbox: tuple[Any, str], path: str, conversation_prefix: str = "") -> list[dict[str, Any]]:
    """The protocol calls the sandbox received on `path` (with a conversationId starting so)."""
    return [r for r in control(sandbox, "/_fake/requests")["requests"]
            if r["path"] == path and str(r.get("conversationId") or "").startswith(conversation_prefix)]


def reporting(sandbox: tuple[Any, str], payment_id: str) -> dict[str, Any]:
    """The payment as the sandbox has it (its reporting view, through the adapter)."""
    from chalicelib.adapters.iyzico import gateway

    details = gateway().payment_details(payment_id=payment_id)  # type: ignore[attr-defined]
    assert details is not None
    return dict(details["payments"][0])


@dataclass
class CardOrder:
    who: Shopper
    order: dict[str, Any]
    attempt_id: int
    payment_id: int  # the orders' payments row
    provider_payment_id: str
    lines: list[dict[str, Any]]  # amount_due's lines: order_item_id, line_total, ...
    paid: Decimal
    result: PaymentResult


def _request(order_id: int, due: dict[str, Any], card: str) -> PaymentRequest:
    address = Address(contact_name="Ayşe Yılmaz", city="İstanbul", country="Turkey", address="Moda Cad. No 5")
    items = [BasketItem(id=str(line["order_item_id"]), name=line["name"][:100] or "Ürün", category="Outdoor",
                        price=line["line_total"]) for line in due["lines"]]
    if due["shipping_total"] > 0:
        items.append(BasketItem(id="shipping", name="Kargo", category="Kargo", price=due["shipping_total"],
                                item_type="VIRTUAL"))
    assert sum((i.price for i in items), Decimal("0")) == due["amount_due"], "basket must add up to the amount due"
    return PaymentRequest(
        conversation_id=uuid.uuid4().hex, basket_id=str(order_id), price=due["amount_due"],
        paid_price=due["amount_due"], currency=due["currency"], installment=1,
        buyer=Buyer(id="u1", name="Ayşe", surname="Yılmaz", email="ayse@example.com", identity_number="74300864791",
                    registration_address="Moda Cad. No 5", city="İstanbul", country="Turkey", ip="85.34.78.112"),
        shipping_address=address, billing_address=address, items=items,
        card=Card(holder="Ayşe Yılmaz", number=card, expire_month="12", expire_year="2030", cvc="123"))


def card_order(client: Any, tenant: TenantInfo, *, prices: tuple[str, ...] = ("500.00",), card: str = SUCCESS,
               who: Shopper | None = None) -> CardOrder:
    """An order of one unit of a product per price, placed through checkout and paid by card at
    the sandbox; its attempt, items and payment written as settle writes them."""
    who = who or shopper(client, tenant)
    db = get_db()
    lines = []
    for n, price in enumerate(prices):
        p, v = product(db, tenant.id, price=price, stock=10, name=f"Kamp Sandalyesi {n} {uuid.uuid4().hex[:6]}")
        lines.append((p, v, 1))
    fill_cart(db, tenant.id, who.user_id, lines)
    placed = checkout(who)
    assert placed.status_code == 201, placed.body
    order_id = int(placed.json["id"])
    due = orders.amount_due(db.session(), tenant.id, order_id)
    request = _request(order_id, due, card)
    result = IyzicoClient().pay(request)
    assert result.ok and result.payment_id, result
    transactions = {t.item_id: t.payment_transaction_id for t in result.items}
    by_item = {str(line["order_item_id"]): line for line in due["lines"]}

    def work(uow: Any) -> tuple[int, int]:
        order = orders.lock_order(uow, tenant.id, order_id)
        payment_id = orders.record_payment(uow, tenant.id, order_id, provider="iyzico", method="card",
                                           amount=due["amount_due"], provider_payment_id=result.payment_id,
                                           details={"conversation_id": request.conversation_id}, locked=order)
        attempt_id = refund_repository.insert_settled_attempt(
            uow, tenant.id, order_id=order_id, user_id=who.user_id, flow="card", amount=due["amount_due"],
            currency=due["currency"], conversation_id=request.conversation_id,
            provider_payment_id=str(result.payment_id), payment_id=payment_id,
            items=[{"item_id": i.id, "order_item_id": by_item[i.id]["order_item_id"] if i.id in by_item else None,
                    "price": i.price, "paid_price": i.price, "provider_transaction_id": transactions[i.id]}
                   for i in request.items])
        orders.mark_paid(uow, tenant.id, order_id, amount=due["amount_due"], method="card", locked=order)
        uow.commit()
        return attempt_id, payment_id

    attempt_id, payment_id = db.transaction(work)
    return CardOrder(who, placed.json, attempt_id, payment_id, str(result.payment_id), due["lines"],
                     due["amount_due"], result)


def rows(sql: str, *params: Any) -> list[dict[str, Any]]:
    return get_db().session().all(sql, params)


def refund_events(tenant_id: int, order_id: int | None = None) -> list[dict[str, Any]]:
    """The PaymentRefundRequested messages the orders' outbox holds (as the consumer gets them)."""
    found = rows("SELECT id, tenant_id, queue, event_type, aggregate_type, aggregate_id, payload FROM outbox_events "
                 "WHERE tenant_id = %s AND event_type = 'PaymentRefundRequested' ORDER BY id", tenant_id)
    messages = [outbox.message({**e, "payload": json.loads(e["payload"])}) for e in found]
    return [m for m in messages if order_id is None or m["payload"]["order_id"] == order_id]


def refunds_of(tenant_id: int, payment_id: int) -> list[dict[str, Any]]:
    return rows("SELECT id, status, amount, provider_refund_id, return_id FROM payment_refunds "
                "WHERE tenant_id = %s AND payment_id = %s ORDER BY id", tenant_id, payment_id)


def items_of(tenant_id: int, attempt_id: int) -> dict[str, Decimal]:
    return {r["item_id"]: r["refunded_amount"] for r in rows(
        "SELECT item_id, refunded_amount FROM payment_attempt_items WHERE tenant_id = %s AND attempt_id = %s",
        tenant_id, attempt_id)}


def order_row(tenant_id: int, order_id: int) -> dict[str, Any]:
    return rows("SELECT status, payment_status, paid_total, refunded_total FROM orders WHERE tenant_id = %s AND id = %s",
                tenant_id, order_id)[0]


def card_tasks(tenant_id: int) -> list[dict[str, Any]]:
    return rows("SELECT id, kind, status, order_id, refund_id, amount FROM payment_tasks "
                "WHERE tenant_id = %s AND kind = 'card_refund_failed' ORDER BY id", tenant_id)


def a_return(tenant_id: int, order_id: int, user_id: int, order_item_ids: list[int]) -> int:
    """A return of these lines (the returns area's rows, straight in the tables: its own flow
    is tested elsewhere; here it only names the lines a refund is for)."""
    session = get_db().session()
    return_id = session.insert("""INSERT INTO returns (tenant_id, return_number, order_id, user_id, status, reason)
                                  VALUES (%s, %s, %s, %s, 'received', 'changed_mind')""",
                               (tenant_id, f"R-{uuid.uuid4().hex[:10]}", order_id, user_id))
    for line in order_item_ids:
        session.execute("""INSERT INTO return_items (tenant_id, return_id, order_item_id, quantity)
                           VALUES (%s, %s, %s, 1)""", (tenant_id, return_id, line))
    return int(return_id)


def request_refund(tenant_id: int, order_id: int, amount: Decimal, *, return_id: int | None = None,
                   reason: str = "return_refund") -> list[int]:
    """What the returns / orders areas do when money must go back: request_refund on the locked order."""
    def work(uow: Any) -> list[int]:
        order = orders.lock_order(uow, tenant_id, order_id)
        ids = orders.request_refund(uow, order, amount, reason=reason, return_id=return_id)
        uow.commit()
        return ids

    return get_db().transaction(work)
