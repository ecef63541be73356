"""Returns (issue 5 item 5, C8, the returns queue of AO) through app.py: request with photos,
staff approve / reject / receive / refund, stock and refunds, the order's status, concurrency.

Orders are made by the real checkout (tests/orders_kit.py), paid the way staff confirm a bank
transfer, then moved paid → preparing → shipped → delivered through orders.states.
"""
from __future__ import annotations

import json
import re
import time
import uuid
from decimal import Decimal
from typing import Any

import pytest
import requests

from chalicelib.orders import payments, states
from chalicelib.platform import tenancy
from chalicelib.platform.db import get_db
from chalicelib.returns import admin as returns_admin
from chalicelib.returns import service as returns_service
from chalicelib.returns.settle import share
from tests.conftest import Api, login, make_tenant, make_user
from tests.e2e.media_kit import post_form
from tests.e2e.test_pipeline import assert_error_shape
from tests.helpers import simultaneously
from tests.notifications_outbox import drain_notifications, last_email
from tests.orders_kit import Shopper, checkout, fill_cart, pay, product, shopper, variation_stock

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 200


@pytest.fixture
def db():
    return get_db()


# -- helpers -----------------------------------------------------------------------------------
def deliver(db, tenant_id: int, order_id: int) -> None:
    def work(uow):
        for status in (states.PREPARING, states.SHIPPED, states.DELIVERED):
            order = states.lock_order(uow, tenant_id, order_id)
            states.transition(uow, order, status, states.SYSTEM)
        uow.commit()

    db.transaction(work)


def delivered_order(client, tenant, db, *, who: Shopper | None = None, quantity: int = 3, price: str = "100.00",
                    stock: int = 10, lines: int = 1) -> tuple[Shopper, dict[str, Any], list[int]]:
    """A delivered, paid order of `lines` products, `quantity` units each; (shopper, order, variation ids)."""
    who = who or shopper(client, tenant)
    made = [product(db, tenant.id, price=price, stock=stock, name=f"Matara {i}") for i in range(lines)]
    fill_cart(db, tenant.id, who.user_id, [(p, v, quantity) for p, v in made])
    response = checkout(who)
    assert response.status_code == 201, response.body
    order_id = response.json["id"]
    pay(db, tenant.id, order_id)
    deliver(db, tenant.id, order_id)
    order = who.api.get(f"/api/orders/{order_id}").json
    assert order["status"] == "delivered"
    return who, order, [v for _, v in made]


def ask(who: Shopper, order: dict[str, Any], lines: list[tuple[int, int]] | None = None, *,
        key: str | None = None, **body: Any) -> Any:
    """POST a return of (order_item index, quantity) lines (default: 1 unit of the first line)."""
    items = [{"order_item_id": order["items"][i]["id"], "quantity": q} for i, q in (lines or [(0, 1)])]
    return who.api.post(f"/api/orders/{order['id']}/returns", {"items": items, "reason": "changed_mind", **body},
                        headers={"Idempotency-Key": key} if key else None)


def staff(client, tenant, role: str) -> Api:
    _, email, password = make_user(tenant, roles=[role])
    api = Api(client, tenant.api_key)
    api.token = login(api, email, password)["access_token"]
    return api


def counts(db, tenant_id: int) -> dict[str, int]:
    s = db.session()
    return {t: s.scalar(f"SELECT COUNT(*) FROM {t} WHERE tenant_id = %s", (tenant_id,))
            for t in ("returns", "return_items", "order_status_history", "payment_refunds", "stock_movements",
                      "admin_logs")}


def order_row(db, tenant_id: int, order_id: int) -> dict[str, Any]:
    return db.session().one("SELECT status, payment_status, paid_total, refunded_total FROM orders "
                            "WHERE tenant_id = %s AND id = %s", (tenant_id, order_id))


def returned_quantities(db, tenant_id: int, order_id: int) -> list[int]:
    return [r["returned_quantity"] for r in db.session().all(
        "SELECT returned_quantity FROM order_items WHERE tenant_id = %s AND order_id = %s ORDER BY id",
        (tenant_id, order_id))]


def receive_all(admin_api: Api, ret: dict[str, Any], *, restock: bool = True) -> Any:
    return admin_api.post(f"/api/admin/returns/{ret['id']}/receive", {"items": [
        {"order_item_id": i["order_item_id"], "restock": restock, "condition": "unopened"} for i in ret["items"]]})


def through_receive(admin_api: Api, ret: dict[str, Any], **kw: Any) -> dict[str, Any]:
    assert admin_api.post(f"/api/admin/returns/{ret['id']}/approve", {}).status_code == 200
    response = receive_all(admin_api, ret, **kw)
    assert response.status_code == 200, response.body
    return response.json


# -- the whole way -----------------------------------------------------------------------------
def test_request_approve_receive_refund_confirm(client, tenant, db, admin_api):
    who, order, (variation,) = delivered_order(client, tenant, db, quantity=3, price="100.00")
    assert variation_stock(db, tenant.id, variation) == (7, 0)

    response = ask(who, order, [(0, 2)], description="Beden olmadı", refund_method="original")
    assert response.status_code == 201, response.body
    ret = response.json
    assert re.fullmatch(r"R\d{6}-[A-Z0-9]{6}", ret["return_number"])
    assert ret["status"] == "requested" and ret["order_status"] == "return_requested" and ret["can_cancel"]
    assert ret["items"][0]["quantity"] == 2 and ret["items"][0]["reason"] == "changed_mind"
    assert Decimal(ret["items"][0]["value"]) == Decimal("200.00") and ret["refund_amount"] is None
    assert who.api.get(f"/api/orders/{order['id']}").json["status"] == "return_requested"

    approved = admin_api.post(f"/api/admin/returns/{ret['id']}/approve",
                              {"note": "Kargo ile gönderin", "return_shipping_code": "YK-123456"})
    assert approved.status_code == 200, approved.body
    assert approved.json["status"] == "approved" and approved.json["return_shipping_code"] == "YK-123456"
    assert approved.json["user_id"] == who.user_id and approved.json["resolved_by"]
    drain_notifications()
    mail = last_email(who.email)
    assert ret["return_number"] in mail["subject"] and "YK-123456" in mail["text"]

    received = receive_all(admin_api, ret)
    assert received.status_code == 200, received.body
    assert received.json["status"] == "received" and received.json["order_status"] == "returned"
    assert received.json["items"][0]["condition"] == "unopened"
    assert variation_stock(db, tenant.id, variation) == (9, 0)  # the two units are back on the shelf
    assert returned_quantities(db, tenant.id, order["id"]) == [2]
    assert db.session().one("SELECT sold_count, total_stock FROM products WHERE tenant_id = %s AND id = "
                            "(SELECT product_id FROM product_variations WHERE id = %s)", (tenant.id, variation)) \
        == {"sold_count": 1, "total_stock": 9}
    movement = db.session().one("SELECT delta, reason, reference_id FROM stock_movements WHERE tenant_id = %s "
                                "ORDER BY id DESC LIMIT 1", (tenant.id,))
    assert movement == {"delta": 2, "reason": "return", "reference_id": str(order["id"])}

    refunded = admin_api.post(f"/api/admin/returns/{ret['id']}/refund", {})
    assert refunded.status_code == 200, refunded.body
    body = refunded.json
    assert body["status"] == "refunded" and Decimal(body["refund_amount"]) == Decimal("200.00")
    assert [(Decimal(r["amount"]), r["status"]) for r in body["refunds"]] == [(Decimal("200.00"), "requested")]
    rows = db.session().all("SELECT id, return_id, amount, status, requested_by FROM payment_refunds "
                            "WHERE tenant_id = %s", (tenant.id,))
    assert len(rows) == 1 and rows[0]["return_id"] == ret["id"] and rows[0]["amount"] == Decimal("200.00")
    assert rows[0]["requested_by"] == body["resolved_by"]
    assert order_row(db, tenant.id, order["id"])["status"] == "returned"
    assert order_row(db, tenant.id, order["id"])["payment_status"] == "refund_pending"
    event = db.session().one("SELECT payload FROM outbox_events WHERE tenant_id = %s AND event_type = 'RefundRequested'",
                             (tenant.id,))
    payload = json.loads(event["payload"])
    assert payload["return_id"] == ret["id"] and payload["method"] == "original"
    assert Decimal(str(payload["amount"])) == Decimal("200.00")

    # the payment side confirms the refund: the order is refunded
    def confirm(uow):
        payments.refund_succeeded(uow, tenant.id, rows[0]["id"], provider_refund_id="rf-1")
        uow.commit()

    db.transaction(confirm)
    final = order_row(db, tenant.id, order["id"])
    assert final["status"] == "refunded" and final["refunded_total"] == Decimal("200.00")
    timeline = who.api.get(f"/api/orders/{order['id']}").json["timeline"]
    assert [(t["from_status"], t["to_status"], t["actor_type"]) for t in timeline[-3:]] == [
        ("delivered", "return_requested", "customer"), ("return_requested", "returned", "admin"),
        ("returned", "refunded", "system")]
    assert who.api.get(f"/api/returns/{ret['id']}").json["refunds"][0]["status"] == "succeeded"
    audited = db.session().all("SELECT action, entity_id FROM admin_logs WHERE tenant_id = %s AND entity_type = "
                               "'return' ORDER BY id", (tenant.id,))
    assert audited == [{"action": f"return.{a}", "entity_id": str(ret["id"])} for a in ("approve", "receive", "refund")]


def test_a_wallet_refund_is_recorded_for_the_wallet_side(client, tenant, db, admin_api):
    who, order, _ = delivered_order(client, tenant, db, quantity=1, price="250.00")
    ret = ask(who, order, refund_method="wallet").json
    through_receive(admin_api, ret)
    body = admin_api.post(f"/api/admin/returns/{ret['id']}/refund", {}).json
    assert body["refund_method"] == "wallet" and Decimal(body["refund_amount"]) == Decimal("250.00")
    payload = json.loads(db.session().scalar(
        "SELECT payload FROM outbox_events WHERE tenant_id = %s AND event_type = 'RefundRequested'", (tenant.id,)))
    assert payload["method"] == "wallet" and payload["return_id"] == ret["id"]


def test_units_not_fit_for_sale_are_booked_in_but_not_restocked(client, tenant, db, admin_api):
    who, order, (variation,) = delivered_order(client, tenant, db, quantity=2)
    ret = ask(who, order, [(0, 2)], reason="damaged").json
    admin_api.post(f"/api/admin/returns/{ret['id']}/approve", {})
    response = admin_api.post(f"/api/admin/returns/{ret['id']}/receive", {"items": [
        {"order_item_id": ret["items"][0]["order_item_id"], "restock": False, "condition": "damaged"}]})
    assert response.status_code == 200, response.body
    assert variation_stock(db, tenant.id, variation) == (8, 0)
    assert returned_quantities(db, tenant.id, order["id"]) == [2]
    assert response.json["items"][0]["condition"] == "damaged"


def test_a_discounted_line_returned_in_parts_refunds_exactly_its_total(client, tenant, db, admin_api):
    who, order, _ = delivered_order(client, tenant, db, quantity=3, price="40.00")
    # a campaign took 20.00 off the line: 3 units for 100.00 (100/3 does not divide in kuruş)
    db.session().execute("UPDATE order_items SET line_total = 100.00, discount_amount = 20.00 "
                         "WHERE tenant_id = %s AND id = %s", (tenant.id, order["items"][0]["id"]))
    first = ask(who, order, [(0, 1)]).json
    second = ask(who, order, [(0, 2)]).json
    amounts = []
    for ret in (first, second):
        through_receive(admin_api, ret)
        amounts.append(Decimal(admin_api.post(f"/api/admin/returns/{ret['id']}/refund", {}).json["refund_amount"]))
    assert amounts == [Decimal("33.33"), Decimal("66.67")] and sum(amounts) == Decimal("100.00")


def test_share_never_adds_up_to_more_than_the_line():
    for total, qty in ((Decimal("100.00"), 3), (Decimal("0.05"), 2), (Decimal("999.99"), 7)):
        parts, before = [], 0
        for units in (1,) * qty:
            parts.append(share(total, qty, before, units))
            before += units
        assert sum(parts) == total and all(p >= 0 for p in parts)


# -- refund amounts ----------------------------------------------------------------------------
def test_a_chosen_refund_amount_is_capped_by_what_is_left_to_refund(client, tenant, db, admin_api):
    who, order, _ = delivered_order(client, tenant, db, quantity=2, price="100.00")
    ret = ask(who, order).json
    through_receive(admin_api, ret)
    paid = Decimal(order["grand_total"])  # 200.00 of goods + the shipping fee under the free-shipping line
    assert paid > Decimal("200.00")
    before = counts(db, tenant.id)
    too_much = admin_api.post(f"/api/admin/returns/{ret['id']}/refund", {"amount": str(paid + Decimal("0.01"))})
    error = assert_error_shape(too_much, 409, "refund_amount_too_high")
    assert Decimal(str(error["details"]["refundable"])) == paid
    assert counts(db, tenant.id) == before
    assert_error_shape(admin_api.post(f"/api/admin/returns/{ret['id']}/refund", {"amount": "-1"}), 400,
                       "validation_failed")
    ok = admin_api.post(f"/api/admin/returns/{ret['id']}/refund", {"amount": "150.00"})  # item + shipping, say
    assert ok.status_code == 200 and Decimal(ok.json["refund_amount"]) == Decimal("150.00")


# -- order status across several returns --------------------------------------------------------
def test_reject_and_withdraw_put_the_order_back_to_delivered(client, tenant, db, admin_api):
    who, order, _ = delivered_order(client, tenant, db, quantity=2)
    first = ask(who, order).json
    second = ask(who, order).json  # a second open request: the order simply stays return_requested
    assert second["order_status"] == "return_requested"
    rejected = admin_api.post(f"/api/admin/returns/{first['id']}/reject", {"note": "Ürün kullanılmış\ngörünüyor"})
    assert rejected.status_code == 200, rejected.body
    assert rejected.json["status"] == "rejected" and rejected.json["note"] == "Ürün kullanılmış\ngörünüyor"
    assert rejected.json["order_status"] == "return_requested"  # the second is still open
    withdrawn = who.api.post(f"/api/returns/{second['id']}/cancel")
    assert withdrawn.status_code == 200 and withdrawn.json["status"] == "cancelled"
    assert withdrawn.json["order_status"] == "delivered"
    timeline = who.api.get(f"/api/orders/{order['id']}").json["timeline"]
    assert (timeline[-1]["from_status"], timeline[-1]["to_status"], timeline[-1]["actor_type"]) == \
        ("return_requested", "delivered", "system")
    drain_notifications()
    assert "Ürün kullanılmış görünüyor" in last_email(who.email)["text"]
    # the rejected and withdrawn units are free to be asked for again
    assert ask(who, order, [(0, 2)]).status_code == 201


def test_a_later_return_of_other_items_after_a_refunded_one(client, tenant, db, admin_api):
    who, order, _ = delivered_order(client, tenant, db, quantity=1, lines=2)
    first = ask(who, order, [(0, 1)]).json
    through_receive(admin_api, first)
    admin_api.post(f"/api/admin/returns/{first['id']}/refund", {})
    refund_id = db.session().scalar("SELECT id FROM payment_refunds WHERE tenant_id = %s", (tenant.id,))

    def confirm(uow):
        payments.refund_succeeded(uow, tenant.id, refund_id)
        uow.commit()

    db.transaction(confirm)
    assert order_row(db, tenant.id, order["id"])["status"] == "refunded"
    # the first line cannot be returned twice; the second can, from the refunded order
    assert_error_shape(ask(who, order, [(0, 1)]), 409, "return_quantity_exceeded")
    second = ask(who, order, [(1, 1)])
    assert second.status_code == 201 and second.json["order_status"] == "return_requested"
    # rejecting it leaves the order where its first return left it: refunded (via returned)
    assert admin_api.post(f"/api/admin/returns/{second.json['id']}/reject", {"note": "Süre"}).status_code == 200
    timeline = [(t["from_status"], t["to_status"]) for t in who.api.get(f"/api/orders/{order['id']}").json["timeline"]]
    assert timeline[-3:] == [("refunded", "return_requested"), ("return_requested", "returned"),
                             ("returned", "refunded")]


def test_receiving_one_of_two_open_returns_keeps_the_order_return_requested(client, tenant, db, admin_api):
    who, order, _ = delivered_order(client, tenant, db, quantity=1, lines=2)
    first, second = ask(who, order, [(0, 1)]).json, ask(who, order, [(1, 1)]).json
    assert through_receive(admin_api, first)["order_status"] == "return_requested"
    assert through_receive(admin_api, second)["order_status"] == "returned"


# -- the customer's own views ---------------------------------------------------------------------
def test_customers_list_their_own_returns_in_pages(client, tenant, db):
    who, order, _ = delivered_order(client, tenant, db, quantity=3)
    made = [ask(who, order).json["id"] for _ in range(3)]
    other, other_order, _ = delivered_order(client, tenant, db)
    ask(other, other_order)
    page = who.api.get("/api/returns?limit=2")
    assert page.status_code == 200 and [r["id"] for r in page.json["items"]] == made[::-1][:2]
    rest = who.api.get(f"/api/returns?limit=2&cursor={page.json['next_cursor']}").json
    assert [r["id"] for r in rest["items"]] == made[:1] and rest["next_cursor"] is None
    assert who.api.get("/api/returns?status=cancelled").json["items"] == []
    assert_error_shape(who.api.get("/api/returns?status=lost"), 400, "validation_failed")


# -- bad input changes nothing ------------------------------------------------------------------
@pytest.mark.parametrize("body", [
    {"items": []},
    {"items": [{"order_item_id": "x", "quantity": 1}]},
    {"items": [{"quantity": 1}]},
    {"quantity": 0},
    {"reason": "bored"},
    {"refund_method": "cash"},
    {"surprise": True},
    {"duplicate": True},
    {"photo_keys": ["k"] * 6},
    {"condition": "broken"},
    {"description": "x" * 2001},
])
def test_bad_return_requests_are_400_and_change_nothing(client, tenant, db, body):
    who, order, _ = delivered_order(client, tenant, db)
    line = {"order_item_id": order["items"][0]["id"], "quantity": body.pop("quantity", 1)}
    if "condition" in body:
        line["condition"] = body.pop("condition")
    payload = {"items": [line, line] if body.pop("duplicate", False) else [line], "reason": "changed_mind", **body}
    before = counts(db, tenant.id)
    response = who.api.post(f"/api/orders/{order['id']}/returns", payload)
    assert_error_shape(response, 400, "validation_failed")
    assert counts(db, tenant.id) == before
    assert order_row(db, tenant.id, order["id"])["status"] == "delivered"


def test_more_than_can_be_returned_is_409_with_what_is_left(client, tenant, db):
    who, order, _ = delivered_order(client, tenant, db, quantity=3)
    assert ask(who, order, [(0, 2)]).status_code == 201
    before = counts(db, tenant.id)
    error = assert_error_shape(ask(who, order, [(0, 2)]), 409, "return_quantity_exceeded")
    assert error["details"]["items"] == [{"order_item_id": order["items"][0]["id"], "requested": 2, "returnable": 1}]
    assert counts(db, tenant.id) == before


def test_an_order_that_was_not_delivered_cannot_take_a_return(client, tenant, db):
    who = shopper(client, tenant)
    p, v = product(db, tenant.id)
    fill_cart(db, tenant.id, who.user_id, [(p, v, 1)])
    order = checkout(who).json
    pay(db, tenant.id, order["id"])
    error = assert_error_shape(ask(who, order), 409, "illegal_transition")
    assert error["details"]["from"] == "paid"
    assert counts(db, tenant.id)["returns"] == 0


def test_the_return_window_closes_after_the_tenants_days_and_never_before_fourteen(client, tenant, db):
    who, order, _ = delivered_order(client, tenant, db, quantity=3)

    def delivered_days_ago(days: int) -> None:
        db.session().execute("UPDATE orders SET delivered_at = UTC_TIMESTAMP() - INTERVAL %s DAY "
                             "WHERE tenant_id = %s AND id = %s", (days, tenant.id, order["id"]))

    def window(days: int) -> None:
        db.session().execute("UPDATE tenants SET settings = %s WHERE id = %s",
                             (json.dumps({"returns": {"window_days": days}}), tenant.id))
        tenancy.forget_tenant(db.session(), tenant.id)  # what the settings API does after saving

    delivered_days_ago(15)
    error = assert_error_shape(ask(who, order), 409, "return_window_closed")
    assert error["details"]["window_days"] == 14 and "14" in error["message"]
    assert order_row(db, tenant.id, order["id"])["status"] == "delivered"
    window(30)
    assert ask(who, order).status_code == 201
    window(7)  # below the legal minimum: 14 days still apply
    delivered_days_ago(10)
    assert ask(who, order).status_code == 201


# -- other people's and tenants' ids ------------------------------------------------------------
def test_other_customers_orders_items_and_returns_are_404(client, tenant, db, admin_api):
    who, order, _ = delivered_order(client, tenant, db, quantity=2)
    other, other_order, _ = delivered_order(client, tenant, db)
    mine = ask(who, order).json
    assert_error_shape(ask(other, order), 404, "order_not_found")
    # an order item of someone else's order named on one's own order
    foreign_item = {"order_item_id": order["items"][0]["id"], "quantity": 1}
    response = other.api.post(f"/api/orders/{other_order['id']}/returns",
                              {"items": [foreign_item], "reason": "damaged"})
    assert_error_shape(response, 404, "order_item_not_found")
    assert_error_shape(other.api.get(f"/api/returns/{mine['id']}"), 404, "return_not_found")
    assert_error_shape(other.api.post(f"/api/returns/{mine['id']}/cancel"), 404, "return_not_found")
    assert mine["id"] not in [r["id"] for r in other.api.get("/api/returns").json["items"]]
    assert who.api.get(f"/api/returns/{mine['id']}").json["status"] == "requested"


def test_another_tenants_orders_and_returns_are_404(client, tenant, db, admin_api):
    who, order, _ = delivered_order(client, tenant, db)
    ret = ask(who, order).json
    foreign = make_tenant()
    stranger, stranger_order, _ = delivered_order(client, foreign, db)
    assert_error_shape(ask(stranger, order), 404, "order_not_found")
    assert_error_shape(stranger.api.get(f"/api/returns/{ret['id']}"), 404, "return_not_found")
    foreign_admin = staff(client, foreign, "super_admin")
    for path in (f"/api/admin/returns/{ret['id']}",):
        assert_error_shape(foreign_admin.get(path), 404, "return_not_found")
    for action, body in (("approve", {}), ("reject", {"note": "x"}), ("refund", {})):
        assert_error_shape(foreign_admin.post(f"/api/admin/returns/{ret['id']}/{action}", body), 404,
                           "return_not_found")
    assert foreign_admin.get("/api/admin/returns").json["items"] == []
    assert who.api.get(f"/api/returns/{ret['id']}").json["status"] == "requested"


def test_customers_and_read_only_staff_cannot_decide(client, tenant, db):
    who, order, _ = delivered_order(client, tenant, db)
    ret = ask(who, order).json
    assert_error_shape(who.api.get("/api/admin/returns"), 403, "forbidden")
    assert_error_shape(who.api.post(f"/api/admin/returns/{ret['id']}/approve", {}), 403, "forbidden")
    support = staff(client, tenant, "support")  # orders.read only
    assert support.get(f"/api/admin/returns/{ret['id']}").status_code == 200
    assert_error_shape(support.post(f"/api/admin/returns/{ret['id']}/approve", {}), 403, "forbidden")
    assert who.api.get(f"/api/returns/{ret['id']}").json["status"] == "requested"


# -- legal moves only -----------------------------------------------------------------------------
def test_illegal_moves_are_409_and_repeats_answer_the_same(client, tenant, db, admin_api):
    who, order, (variation,) = delivered_order(client, tenant, db, quantity=2)
    ret = ask(who, order).json
    rid = ret["id"]
    assert_error_shape(receive_all(admin_api, ret), 409, "illegal_return_transition")
    assert_error_shape(admin_api.post(f"/api/admin/returns/{rid}/refund", {}), 409, "illegal_return_transition")
    first = admin_api.post(f"/api/admin/returns/{rid}/approve", {})
    again = admin_api.post(f"/api/admin/returns/{rid}/approve", {"note": "tekrar"})
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json["note"] is None
    error = assert_error_shape(who.api.post(f"/api/returns/{rid}/cancel"), 409, "illegal_return_transition")
    assert error["details"] == {"from": "approved", "to": "cancelled", "allowed": []}
    through = receive_all(admin_api, ret)
    assert through.status_code == 200
    assert_error_shape(admin_api.post(f"/api/admin/returns/{rid}/reject", {"note": "geç"}), 409,
                       "illegal_return_transition")
    assert_error_shape(admin_api.post(f"/api/admin/returns/{rid}/approve", {}), 409, "illegal_return_transition")
    other = ask(who, order).json
    assert admin_api.post(f"/api/admin/returns/{other['id']}/reject", {"note": "hayır"}).status_code == 200
    assert_error_shape(admin_api.post(f"/api/admin/returns/{other['id']}/approve", {}), 409,
                       "illegal_return_transition")
    assert_error_shape(admin_api.post(f"/api/admin/returns/{other['id']}/reject", {"note": "   "}), 400,
                       "validation_failed")
    assert variation_stock(db, tenant.id, variation) == (9, 0)
    assert db.session().scalar("SELECT COUNT(*) FROM admin_logs WHERE tenant_id = %s AND action = 'return.approve'",
                               (tenant.id,)) == 1


def test_receive_must_name_every_line_of_the_return_once(client, tenant, db, admin_api):
    who, order, _ = delivered_order(client, tenant, db, quantity=1, lines=2)
    ret = ask(who, order, [(0, 1), (1, 1)]).json
    admin_api.post(f"/api/admin/returns/{ret['id']}/approve", {})
    before = counts(db, tenant.id)
    only_one = admin_api.post(f"/api/admin/returns/{ret['id']}/receive", {"items": [
        {"order_item_id": ret["items"][0]["order_item_id"], "restock": True, "condition": "opened"}]})
    error = assert_error_shape(only_one, 400, "validation_failed")
    assert error["details"]["fields"][0]["missing"] == [ret["items"][1]["order_item_id"]]
    assert counts(db, tenant.id) == before and returned_quantities(db, tenant.id, order["id"]) == [0, 0]


def test_the_check_constraint_backs_up_the_quantity_rule(client, tenant, db, admin_api):
    """Should returned_quantity ever be booked outside this area, the database's CHECK
    (returned_quantity <= quantity) refuses the over-return: 409, nothing restocked."""
    who, order, (variation,) = delivered_order(client, tenant, db, quantity=2)
    ret = ask(who, order, [(0, 2)]).json
    admin_api.post(f"/api/admin/returns/{ret['id']}/approve", {})
    db.session().execute("UPDATE order_items SET returned_quantity = 1 WHERE tenant_id = %s AND id = %s",
                         (tenant.id, order["items"][0]["id"]))
    assert_error_shape(receive_all(admin_api, ret), 409, "return_quantity_exceeded")
    assert variation_stock(db, tenant.id, variation) == (8, 0)
    assert returned_quantities(db, tenant.id, order["id"]) == [1]
    assert admin_api.get(f"/api/admin/returns/{ret['id']}").json["status"] == "approved"


# -- Idempotency-Key -----------------------------------------------------------------------------
def test_the_same_key_answers_the_same_return_and_another_request_with_it_is_409(client, tenant, db):
    who, order, _ = delivered_order(client, tenant, db, quantity=3)
    key = uuid.uuid4().hex
    first = ask(who, order, key=key)
    again = ask(who, order, key=key)
    assert first.status_code == again.status_code == 201
    assert again.json["id"] == first.json["id"] and again.headers.get("Idempotent-Replayed") == "true"
    assert_error_shape(ask(who, order, [(0, 2)], key=key), 409, "idempotency_key_reused")
    assert_error_shape(ask(who, order, key="x" * 101), 400, "idempotency_key_invalid")
    assert counts(db, tenant.id)["returns"] == 1


def test_concurrent_replays_of_one_key_make_one_return(client, tenant, db):
    who, order, _ = delivered_order(client, tenant, db, quantity=3)
    key = uuid.uuid4().hex
    answers = simultaneously(*[lambda: ask(who, order, key=key) for _ in range(5)])
    assert {a.status_code for a in answers} == {201}
    assert len({a.json["id"] for a in answers}) == 1 and counts(db, tenant.id)["returns"] == 1


# -- concurrency -----------------------------------------------------------------------------------
def widen(monkeypatch, module: Any, name: str, seconds: float = 0.05) -> None:
    """Make `module.name` take a while, inside the transaction that calls it: without the lock
    that should serialise the callers, they would all pass the check before any of them writes."""
    original = getattr(module, name)

    def slow(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        time.sleep(seconds)
        return result

    monkeypatch.setattr(module, name, slow)


def test_simultaneous_requests_never_together_exceed_the_quantity(client, tenant, db, monkeypatch):
    who, order, _ = delivered_order(client, tenant, db, quantity=3)
    widen(monkeypatch, returns_service, "_check_quantities")
    answers = simultaneously(*[lambda: ask(who, order, [(0, 2)]) for _ in range(2)])
    assert sorted(a.status_code for a in answers) == [201, 409]
    assert_error_shape(next(a for a in answers if a.status_code == 409), 409, "return_quantity_exceeded")
    singles = simultaneously(*[lambda: ask(who, order, [(0, 1)]) for _ in range(10)])
    assert sorted(a.status_code for a in singles) == [201] + [409] * 9
    held = db.session().scalar("SELECT SUM(ri.quantity) FROM return_items ri JOIN returns r ON r.id = ri.return_id "
                               "WHERE r.tenant_id = %s AND r.status = 'requested'", (tenant.id,))
    assert held == 3


def test_simultaneous_receives_restock_once(client, tenant, db, admin_api, monkeypatch):
    who, order, (variation,) = delivered_order(client, tenant, db, quantity=2)
    widen(monkeypatch, returns_admin, "_same_lines")
    ret = ask(who, order, [(0, 2)]).json
    admin_api.post(f"/api/admin/returns/{ret['id']}/approve", {})
    answers = simultaneously(*[lambda: receive_all(admin_api, ret) for _ in range(4)])
    assert {a.status_code for a in answers} == {200}
    assert sum(a.headers.get("Idempotent-Replayed") != "true" for a in answers) == 1
    assert variation_stock(db, tenant.id, variation) == (10, 0)
    assert returned_quantities(db, tenant.id, order["id"]) == [2]
    assert db.session().scalar("SELECT COUNT(*) FROM stock_movements WHERE tenant_id = %s AND reason = 'return'",
                               (tenant.id,)) == 1


def test_simultaneous_refunds_ask_once(client, tenant, db, admin_api):
    who, order, _ = delivered_order(client, tenant, db, quantity=1)
    ret = ask(who, order).json
    through_receive(admin_api, ret)
    answers = simultaneously(*[lambda: admin_api.post(f"/api/admin/returns/{ret['id']}/refund", {}) for _ in range(4)])
    assert {a.status_code for a in answers} == {200}
    assert db.session().scalar("SELECT COUNT(*) FROM payment_refunds WHERE tenant_id = %s", (tenant.id,)) == 1


# -- photos ------------------------------------------------------------------------------------
def upload(who: Shopper, data: bytes = JPEG, content_type: str = "image/jpeg") -> str:
    form = who.api.post("/api/returns/photos/upload", {"content_type": content_type, "size_bytes": len(data)})
    assert form.status_code == 201, form.body
    assert form.json["key"].startswith("tenants/") and f"/returns/{who.user_id}/" in form.json["key"]
    stored = post_form(form.json, data)
    assert stored.status_code in (200, 201, 204), stored.text
    return str(form.json["key"])


def test_photos_are_uploaded_attached_and_shown_to_staff(client, tenant, db, admin_api):
    who, order, _ = delivered_order(client, tenant, db)
    key = upload(who)
    ret = ask(who, order, reason="damaged", photo_keys=[key])
    assert ret.status_code == 201, ret.body
    shown = admin_api.get(f"/api/admin/returns/{ret.json['id']}").json
    assert [p["key"] for p in shown["photos"]] == [key]
    assert requests.get(shown["photos"][0]["url"], timeout=10).content == JPEG


def test_only_ones_own_existing_images_are_accepted(client, tenant, db):
    who, order, _ = delivered_order(client, tenant, db)
    other = shopper(client, tenant)
    theirs = upload(other)
    not_an_image = upload(who, b"<html><script>alert(1)</script></html>")
    never_uploaded = who.api.post("/api/returns/photos/upload",
                                  {"content_type": "image/png", "size_bytes": 10}).json["key"]
    made_up = f"tenants/{tenant.id}/returns/{who.user_id}/../../x.jpg"
    before = counts(db, tenant.id)
    response = ask(who, order, photo_keys=[theirs, not_an_image, never_uploaded, made_up])
    error = assert_error_shape(response, 400, "validation_failed")
    assert [(f["field"], f["type"]) for f in error["details"]["fields"]] == [
        ("photo_keys.0", "photo_not_yours"), ("photo_keys.1", "photo_invalid"),
        ("photo_keys.2", "photo_not_found"), ("photo_keys.3", "photo_not_yours")]
    assert counts(db, tenant.id) == before


@pytest.mark.parametrize("body", [
    {"content_type": "image/gif", "size_bytes": 10},
    {"content_type": "image/jpeg", "size_bytes": 10 * 1024 * 1024 + 1},
    {"content_type": "image/jpeg", "size_bytes": 0},
    {"content_type": "image/jpeg"},
])
def test_bad_upload_requests_are_400(client, tenant, db, body):
    who = shopper(client, tenant)
    assert_error_shape(who.api.post("/api/returns/photos/upload", body), 400, "validation_failed")


# -- the staff queue -----------------------------------------------------------------------------
def test_the_queue_filters_and_pages(client, tenant, db, admin_api, other_tenant):
    who, order, _ = delivered_order(client, tenant, db, quantity=3)
    made = [ask(who, order).json for _ in range(3)]
    other_who, other_order, _ = delivered_order(client, tenant, db)
    elsewhere = ask(other_who, other_order).json
    admin_api.post(f"/api/admin/returns/{made[0]['id']}/approve", {})

    page = admin_api.get("/api/admin/returns?limit=2")
    assert page.status_code == 200, page.body
    ids = [r["id"] for r in page.json["items"]]
    rest = admin_api.get(f"/api/admin/returns?limit=2&cursor={page.json['next_cursor']}").json
    ids += [r["id"] for r in rest["items"]]
    assert ids == [elsewhere["id"], made[2]["id"], made[1]["id"], made[0]["id"]] and rest["next_cursor"] is None
    requested = admin_api.get("/api/admin/returns?status=requested").json["items"]
    assert {r["id"] for r in requested} == {elsewhere["id"], made[1]["id"], made[2]["id"]}
    both = admin_api.get("/api/admin/returns?status=requested&status=approved").json["items"]
    assert len(both) == 4
    by_order = admin_api.get(f"/api/admin/returns?order_number={order['order_number']}").json["items"]
    assert {r["id"] for r in by_order} == {m["id"] for m in made}
    assert by_order[0]["contact_email"] == who.email
    today = db.session().scalar("SELECT UTC_DATE()")
    assert len(admin_api.get(f"/api/admin/returns?date_from={today}&date_to={today}").json["items"]) == 4
    assert admin_api.get("/api/admin/returns?date_to=2000-01-01").json["items"] == []
    assert_error_shape(admin_api.get("/api/admin/returns?cursor=nonsense"), 400, "validation_failed")
    assert_error_shape(admin_api.get("/api/admin/returns?date_from=2025-02-02&date_to=2025-01-01"), 400,
                       "validation_failed")


def test_a_page_of_the_queue_costs_the_same_statements_however_long(client, tenant, db, admin_api):
    from chalicelib.platform import db as dbmod

    who, order, _ = delivered_order(client, tenant, db, quantity=6, lines=2)
    for _ in range(6):
        ask(who, order, [(0, 1), (1, 1)])
    admin_api.get("/api/admin/returns?limit=1")  # warm: tenant and token caches
    spent = []
    for limit in (1, 6):
        before = dbmod.stats.statements
        page = admin_api.get(f"/api/admin/returns?limit={limit}")
        spent.append(dbmod.stats.statements - before)
        assert len(page.json["items"]) == limit and all(len(r["items"]) == 2 for r in page.json["items"])
    assert spent[0] == spent[1], spent  # lines and refunds are read for the whole page at once
