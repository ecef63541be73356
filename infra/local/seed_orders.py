"""Demo orders for `make dev`: the demo customer's history in every state an admin panel shows.

Made through the real code paths (cart tables → orders.checkout → payment hook → shipping
service → lifecycle → cancel), so the stock, timeline, outbox events, shipments and invoices
they leave behind are exactly what production would.  Runs once: nothing happens when the
customer already has orders.  Shipments use a typed-in tracking number (no carrier call).
"""
from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

from chalicelib.accounts import repository as accounts_repo
from chalicelib.orders import checkout, payments, service, states
from chalicelib.orders.schemas import CheckoutIn
from chalicelib.platform.db import Database, UnitOfWork

ADDRESS = {"type": "delivery", "title": "Ev", "first_name": "Ayşe", "last_name": "Yıldız", "phone": "0532 123 45 67",
           "il": "Konya", "ilce": "Beyşehir", "mahalle": "Huğlu", "address_line": "Atatürk Cad. No 12",
           "posta_kodu": "42700", "lat": "37.8870", "lng": "31.6170"}
# (lines to buy, where the order ends up)
SCENARIOS: list[tuple[int, str]] = [(1, "pending_payment"), (2, "paid"), (1, "preparing"), (3, "shipped"),
                                    (2, "delivered"), (1, "cancelled"), (2, "delivered")]


def seed_orders(db: Database, tenant_id: int, customer_email: str, admin_email: str) -> dict[str, Any]:
    session = db.session()
    customer = accounts_repo.user_by_email(session, tenant_id, customer_email)
    admin = accounts_repo.user_by_email(session, tenant_id, admin_email)
    if customer is None or admin is None:
        return {"orders": 0}
    if session.scalar("SELECT COUNT(*) FROM orders WHERE tenant_id = %s AND user_id = %s", (tenant_id, customer["id"])):
        return {"orders": "kept"}
    address_id = _address(db, tenant_id, customer["id"])
    variations = session.all(
        """SELECT v.id, v.product_id FROM product_variations v JOIN products p
                  ON p.tenant_id = v.tenant_id AND p.id = v.product_id
            WHERE v.tenant_id = %s AND p.status = 'active' AND v.is_active = 1 AND v.stock - v.reserved >= 10
            ORDER BY v.id LIMIT 20""", (tenant_id,))
    tenant = SimpleNamespace(id=tenant_id, settings=session.scalar("SELECT settings FROM tenants WHERE id = %s",
                                                                    (tenant_id,)) or {})
    if isinstance(tenant.settings, (str, bytes)):
        import json

        tenant.settings = json.loads(tenant.settings)
    made: dict[str, int] = {}
    picked = iter(variations * 3)
    for lines, target in SCENARIOS:
        cart = [next(picked) for _ in range(lines)]
        _fill_cart(db, tenant_id, customer["id"], cart)
        body = CheckoutIn(shipping_address_id=address_id, payment_method="eft", source="mobile")
        order_id = checkout.place_order(db, tenant, customer["id"], body, uuid.uuid4().hex).order_id
        _advance(db, tenant_id, order_id, target, admin["id"])
        made[target] = made.get(target, 0) + 1
    return {"orders": made}


def _address(db: Database, tenant_id: int, user_id: int) -> int:
    from chalicelib.addresses.schemas import AddressIn
    from chalicelib.addresses.service import create_address

    body = AddressIn.model_validate(ADDRESS)
    return int(create_address(db, tenant_id, user_id, body.model_dump(), set(body.model_fields_set))["id"])


def _fill_cart(db: Database, tenant_id: int, user_id: int, variations: list[dict[str, Any]]) -> None:
    session = db.session()
    session.execute("INSERT IGNORE INTO carts (tenant_id, user_id) VALUES (%s, %s)", (tenant_id, user_id))
    cart_id = session.scalar("SELECT id FROM carts WHERE tenant_id = %s AND user_id = %s", (tenant_id, user_id))
    for quantity, v in enumerate(variations, start=1):
        session.execute("""INSERT INTO cart_items (tenant_id, cart_id, product_id, variation_id, quantity)
                           VALUES (%s, %s, %s, %s, %s) ON DUPLICATE KEY UPDATE quantity = VALUES(quantity)""",
                        (tenant_id, cart_id, v["product_id"], v["id"], min(quantity, 2)))


def _advance(db: Database, tenant_id: int, order_id: int, target: str, admin_id: int) -> None:
    actor = states.Actor.admin(admin_id)
    if target == "pending_payment":
        return
    if target == "cancelled":
        service.cancel(db, tenant_id, order_id, actor, reason="Müşteri vazgeçti")
        return

    def paid(uow: UnitOfWork) -> None:
        payments.record_manual_payment(uow, tenant_id, order_id, method="eft", reference="DEMO-EFT", actor=actor)
        uow.commit()

    db.transaction(paid)
    if target == "paid":
        return
    if target == "preparing":
        _move(db, tenant_id, order_id, states.PREPARING, actor)
        return
    from chalicelib.shipping.service import create_shipment, update_shipment

    shipment = create_shipment(db, tenant_id, order_id, {"carrier": "yurtici", "tracking_number":
                                                         f"YK{uuid.uuid4().int % 10**10:010d}"},
                               admin_user_id=admin_id).shipment
    if target == "delivered":
        update_shipment(db, tenant_id, shipment["id"], {"status": "delivered"}, admin_user_id=admin_id)


def _move(db: Database, tenant_id: int, order_id: int, status: str, actor: states.Actor) -> None:
    def work(uow: UnitOfWork) -> None:
        states.transition(uow, states.lock_order(uow, tenant_id, order_id), status, actor)
        uow.commit()

    db.transaction(work)
