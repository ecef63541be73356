"""Orders after checkout: history, detail, tracking, cancel, payment hooks, expiry, events."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from chalicelib.orders import payments, service, states
from chalicelib.orders.events import order_events
from chalicelib.platform.db import get_db
from chalicelib.platform.errors import Conflict
from tests.conftest import make_tenant
from tests.e2e.test_pipeline import assert_error_shape
from tests.helpers import simultaneously
from tests.notifications_outbox import drain_notifications, sent_emails
from tests.orders_kit import checkout, drain, fill_cart, pay, product, shopper, variation_stock


@pytest.fixture
def db():
    return get_db()


def placed(client, tenant, db, *, stock=10, quantity=2, price="500.00"):
    who = shopper(client, tenant)
    p, v = product(db, tenant.id, stock=stock, price=price)
    fill_cart(db, tenant.id, who.user_id, [(p, v, quantity)])
    response = checkout(who)
    assert response.status_code == 201, response.body
    return who, response.json, p, v


def move(db, tenant_id, order_id, *statuses):
    for status in statuses:
        def work(uow, status=status):
            order = states.lock_order(uow, tenant_id, order_id)
            states.transition(uow, order, status, states.SYSTEM)
            uow.commit()
        db.transaction(work)


def test_history_lists_only_my_orders_newest_first_in_pages(client, tenant, db):
    who = shopper(client, tenant)
    p, v = product(db, tenant.id, stock=50)
    ids = []
    for _ in range(3):
        fill_cart(db, tenant.id, who.user_id, [(p, v, 1)])
        ids.append(checkout(who).json["id"])
    placed(client, tenant, db)  # someone else's
    first = who.api.get("/api/orders?limit=2").json
    assert [o["id"] for o in first["items"]] == ids[::-1][:2] and first["next_cursor"]
    second = who.api.get(f"/api/orders?limit=2&cursor={first['next_cursor']}").json
    assert [o["id"] for o in second["items"]] == [ids[0]] and second["next_cursor"] is None
    assert first["items"][0]["item_count"] == 1 and first["items"][0]["status"] == "pending_payment"
    assert who.api.get("/api/orders?status=paid").json["items"] == []
    assert_error_shape(who.api.get("/api/orders?status=lost"), 400, "validation_failed")
    assert_error_shape(who.api.get("/api/orders?limit=0"), 400, "validation_failed")


def test_another_users_or_tenants_order_is_404_everywhere(client, tenant, db):
    owner, order, _, v = placed(client, tenant, db)
    stranger = shopper(client, tenant)
    for path in (f"/api/orders/{order['id']}", f"/api/orders/{order['id']}/tracking"):
        assert_error_shape(stranger.api.get(path), 404, "order_not_found")
    assert_error_shape(stranger.api.post(f"/api/orders/{order['id']}/cancel", {}), 404, "order_not_found")
    foreign = shopper(client, make_tenant())
    assert foreign.api.get(f"/api/orders/{order['id']}").status_code == 404
    assert owner.api.get(f"/api/orders/{order['id']}").json["status"] == "pending_payment"
    assert variation_stock(db, tenant.id, v) == (10, 2)
    assert owner.api.get("/api/orders/0").status_code == 404
    assert owner.api.get("/api/orders/abc").status_code == 404


def test_paying_turns_the_hold_into_a_sale_and_queues_the_invoice(client, tenant, db):
    who, order, p, v = placed(client, tenant, db, stock=10, quantity=2)
    pay(db, tenant.id, order["id"])
    assert variation_stock(db, tenant.id, v) == (8, 0)
    shown = who.api.get(f"/api/orders/{order['id']}").json
    assert shown["status"] == "paid" and shown["payment_status"] == "paid" and shown["paid_at"]
    assert Decimal(shown["paid_total"]) == Decimal(order["grand_total"]) and shown["reserved_until"] is None
    assert [t["to_status"] for t in shown["timeline"]] == ["pending_payment", "paid"]
    assert shown["payments"][0]["provider"] == "manual" and shown["payments"][0]["status"] == "succeeded"
    events = db.session().all("SELECT queue, event_type FROM outbox_events WHERE tenant_id = %s ORDER BY id", (tenant.id,))
    assert {"queue": "invoices", "event_type": "OrderPaid"} in events
    # a provider calling back twice changes nothing
    def again(uow):
        payments.mark_paid(uow, tenant.id, order["id"], amount=Decimal(order["grand_total"]), method="card")
        uow.commit()
    db.transaction(again)
    assert variation_stock(db, tenant.id, v) == (8, 0)


def test_a_payment_for_the_wrong_amount_is_refused(client, tenant, db):
    _, order, _, v = placed(client, tenant, db)
    def work(uow):
        payments.mark_paid(uow, tenant.id, order["id"], amount=Decimal("1.00"), method="card")
    with pytest.raises(Conflict) as caught:
        db.transaction(work)
    assert caught.value.code == "amount_mismatch"
    assert variation_stock(db, tenant.id, v) == (10, 2)


def test_customer_cancels_an_unpaid_order_and_the_hold_goes_back(client, tenant, db):
    who, order, _, v = placed(client, tenant, db)
    response = who.api.post(f"/api/orders/{order['id']}/cancel", {"reason": "vazgeçtim"})
    assert response.status_code == 200 and response.json["status"] == "cancelled"
    assert response.json["cancel_reason"] == "vazgeçtim" and response.json["can_cancel"] is False
    assert variation_stock(db, tenant.id, v) == (10, 0)
    again = who.api.post(f"/api/orders/{order['id']}/cancel", {})
    assert again.status_code == 200 and variation_stock(db, tenant.id, v) == (10, 0)  # retried: no double release
    history = [t["to_status"] for t in again.json["timeline"]]
    assert history == ["pending_payment", "cancelled"]


def test_cancelling_a_paid_order_restocks_and_requests_the_refund(client, tenant, db):
    who, order, p, v = placed(client, tenant, db, quantity=3)
    pay(db, tenant.id, order["id"])
    assert variation_stock(db, tenant.id, v) == (7, 0)
    response = who.api.post(f"/api/orders/{order['id']}/cancel", {})
    assert response.json["status"] == "cancelled" and response.json["payment_status"] == "refund_pending"
    assert variation_stock(db, tenant.id, v) == (10, 0)
    refund = db.session().one("SELECT amount, status FROM payment_refunds WHERE tenant_id = %s", (tenant.id,))
    assert refund == {"amount": Decimal(order["grand_total"]), "status": "requested"}
    assert db.session().scalar("SELECT sold_count FROM products WHERE tenant_id = %s AND id = %s", (tenant.id, p)) == 0
    refund_id = db.session().scalar("SELECT id FROM payment_refunds WHERE tenant_id = %s", (tenant.id,))
    def done(uow):
        payments.refund_succeeded(uow, tenant.id, refund_id, provider_refund_id="r-1")
        uow.commit()
    db.transaction(done)
    shown = who.api.get(f"/api/orders/{order['id']}").json
    assert shown["payment_status"] == "refunded" and Decimal(shown["refunded_total"]) == Decimal(order["grand_total"])


def test_a_shipped_order_cannot_be_cancelled_by_the_customer(client, tenant, db):
    who, order, _, v = placed(client, tenant, db)
    pay(db, tenant.id, order["id"])
    move(db, tenant.id, order["id"], "preparing", "shipped")
    response = who.api.post(f"/api/orders/{order['id']}/cancel", {})
    assert_error_shape(response, 409, "illegal_transition")
    assert response.json["error"]["details"]["from"] == "shipped"
    assert variation_stock(db, tenant.id, v) == (8, 0)
    tracking = who.api.get(f"/api/orders/{order['id']}/tracking").json
    assert [s["done"] for s in tracking["steps"]] == [True, True, True, True, False]


def test_cancel_body_is_validated(client, tenant, db):
    who, order, _, v = placed(client, tenant, db)
    assert_error_shape(who.api.post(f"/api/orders/{order['id']}/cancel", {"reason": "x" * 256}), 400, "validation_failed")
    assert_error_shape(who.api.post(f"/api/orders/{order['id']}/cancel", {"why": 1}), 400, "validation_failed")
    assert variation_stock(db, tenant.id, v) == (10, 2)


def test_expired_reservations_come_back_to_stock_once(client, tenant, db):
    who, order, _, v = placed(client, tenant, db, stock=3, quantity=3)
    _, fresh, _, fresh_v = placed(client, tenant, db)
    db.session().execute("UPDATE orders SET reserved_until = %s WHERE tenant_id = %s AND id = %s",
                         (dt.datetime(2020, 1, 1), tenant.id, order["id"]))
    assert service.expire_reservations(db) >= 1
    assert variation_stock(db, tenant.id, v) == (3, 0)
    shown = who.api.get(f"/api/orders/{order['id']}").json
    assert shown["status"] == "cancelled" and shown["cancel_reason"] == "payment_timeout"
    assert shown["timeline"][-1]["actor_type"] == "system"
    service.expire_reservations(db)
    assert variation_stock(db, tenant.id, v) == (3, 0)
    assert variation_stock(db, tenant.id, fresh_v) == (10, 2)  # not expired: untouched
    with pytest.raises(Conflict):  # a late payment finds the order cancelled: the payment side refunds it
        pay(db, tenant.id, order["id"])


def test_payment_and_expiry_racing_never_both_win(client, tenant, db):
    _, order, _, v = placed(client, tenant, db, stock=2, quantity=2)
    db.session().execute("UPDATE orders SET reserved_until = %s WHERE tenant_id = %s AND id = %s",
                         (dt.datetime(2020, 1, 1), tenant.id, order["id"]))

    def paying():
        try:
            pay(db, tenant.id, order["id"])
            return "paid"
        except Conflict:
            return "refused"

    results = simultaneously(paying, lambda: service.expire_reservations(db))
    status = db.session().scalar("SELECT status FROM orders WHERE tenant_id = %s AND id = %s", (tenant.id, order["id"]))
    assert (results[0], status) in (("paid", "paid"), ("refused", "cancelled"))
    assert variation_stock(db, tenant.id, v) == ((0, 0) if status == "paid" else (2, 0))


def test_order_events_become_customer_emails(client, tenant, db):
    who, order, _, _ = placed(client, tenant, db)
    pay(db, tenant.id, order["id"])
    drain("order-events", order_events)
    drain_notifications()
    subjects = [m["subject"] for m in sent_emails() if m["to"] == who.email]
    assert any(order["order_number"] in s and "alındı" in s for s in subjects), subjects
    assert any(order["order_number"] in s and "onaylandı" in s for s in subjects), subjects


def test_the_relay_publishes_what_the_commit_could_not(client, tenant, db, monkeypatch):
    from chalicelib.platform import outbox

    monkeypatch.setattr(outbox, "_publish", lambda events: (_ for _ in ()).throw(RuntimeError("SQS down")))
    who, order, _, _ = placed(client, tenant, db)
    row = db.session().one("SELECT id, status FROM outbox_events WHERE tenant_id = %s AND queue = %s",
                           (tenant.id, "order-events"))  # not the ML service's deferred events
    assert row["status"] == "pending"  # the order exists; its event waits
    monkeypatch.undo()
    assert outbox.relay(db, grace_seconds=0)["published"] >= 1
    while outbox.relay(db, grace_seconds=0)["published"]:  # oldest first, 100 a round: earlier tests' rows too
        pass
    assert db.session().scalar("SELECT status FROM outbox_events WHERE id = %s", (row["id"],)) == "sent"


def test_a_shipment_made_at_once_sends_shipped_not_preparing_too(client, tenant, db):
    who, order, _, _ = placed(client, tenant, db)
    pay(db, tenant.id, order["id"])
    move(db, tenant.id, order["id"], "preparing", "shipped")
    drain("order-events", order_events)
    drain_notifications()
    subjects = [m["subject"] for m in sent_emails() if m["to"] == who.email]
    assert any("kargoya verildi" in s for s in subjects), subjects
    assert not any("hazırlanıyor" in s for s in subjects), subjects
