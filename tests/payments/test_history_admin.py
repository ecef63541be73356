"""The customer's payment history and receipts (Y5) and the admin payment transactions (AF),
through app.py: filters, keyset pages, another customer's or tenant's ids, bad queries."""
from __future__ import annotations

import urllib.parse
from decimal import Decimal as D

import pytest

from chalicelib.platform.db import get_db
from tests.e2e.test_pipeline import assert_error_shape
from tests.orders_kit import pay as pay_manually
from tests.orders_kit import shopper
from tests.payments.payments_kit import bank_shop, placed, staff, start


@pytest.fixture
def shop():
    return bank_shop()


def _q(**params):
    return "?" + urllib.parse.urlencode(params, doseq=True)


def _three_payments(client, shop):
    """A customer with: a confirmed transfer, a rejected one, one still awaited, and an order
    paid outside this area (a manual payment row: kind payment)."""
    who = shopper(client, shop)
    admin = staff(client, shop)
    made = []
    for decision in ("confirm", "reject", None, "manual"):
        _, order, _ = placed(client, shop, who=who, price="100.00", quantity=1)
        if decision == "manual":
            pay_manually(get_db(), shop.id, order["id"])
            made.append(("payment", order))
            continue
        attempt = start(who.api, order["id"]).json
        if decision == "confirm":
            assert admin.post(f"/api/admin/payments/{attempt['attempt_id']}/confirm", {}).status_code == 200
        elif decision == "reject":
            assert admin.post(f"/api/admin/payments/{attempt['attempt_id']}/reject",
                              {"reason": "gelmedi"}).status_code == 200
        made.append((attempt["attempt_id"], order))
    return who, admin, made


def test_history_lists_attempts_and_other_payments_newest_first_in_keyset_pages(client, shop):
    who, _, made = _three_payments(client, shop)
    items = who.api.get("/api/payment/history").json["items"]
    assert [(i["kind"], i["status"]) for i in items] == [
        ("payment", "succeeded"), ("attempt", "awaiting_transfer"), ("attempt", "rejected"), ("attempt", "succeeded")]
    assert items[0]["provider"] == "manual" and items[0]["order_id"] == made[3][1]["id"]
    assert items[3]["method"] == "eft" and items[3]["reference_code"] and items[3]["completed_at"]
    seen, cursor = [], None
    while True:
        page = who.api.get("/api/payment/history" + _q(limit=1, **({"cursor": cursor} if cursor else {}))).json
        seen += [(i["kind"], i["id"]) for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [(i["kind"], i["id"]) for i in items]
    only = who.api.get("/api/payment/history" + _q(status=["rejected", "awaiting_transfer"], method="eft")).json
    assert [i["status"] for i in only["items"]] == ["awaiting_transfer", "rejected"]
    assert who.api.get("/api/payment/history" + _q(method="card")).json["items"] == []
    assert who.api.get("/api/payment/history" + _q(date_to="2000-01-01")).json["items"] == []
    assert shopper(client, shop).api.get("/api/payment/history").json == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("query", [
    {"status": "paid"}, {"method": "cash"}, {"date_from": "2026-02-30"}, {"date_from": "2026-05-02", "date_to": "2026-05-01"},
    {"limit": 0}, {"limit": 101}, {"cursor": "bm90LWEtY3Vyc29y"}, {"other": "1"},
])
def test_a_bad_history_query_is_400(client, shop, query):
    who = shopper(client, shop)
    assert_error_shape(who.api.get("/api/payment/history" + _q(**query)), 400, "validation_failed")


def test_a_receipt_is_the_customers_own(client, shop):
    who, _, made = _three_payments(client, shop)
    attempt_id, order = made[0]
    receipt = who.api.get(f"/api/payment/history/{attempt_id}")
    assert receipt.status_code == 200, receipt.body
    body = receipt.json
    assert body["order_number"] == order["order_number"] and body["method"] == "eft"
    assert body["status"] == "succeeded" and D(body["amount"]) == D(order["grand_total"]) and body["decided_at"]
    stranger = shopper(client, shop)
    assert_error_shape(stranger.api.get(f"/api/payment/history/{attempt_id}"), 404, "payment_attempt_not_found")
    elsewhere = shopper(client, bank_shop())
    assert_error_shape(elsewhere.api.get(f"/api/payment/history/{attempt_id}"), 404, "payment_attempt_not_found")
    assert who.api.get("/api/payment/history/abc").status_code == 404


def test_the_admin_list_filters_and_pages(client, shop):
    who, admin, made = _three_payments(client, shop)
    everything = admin.get("/api/admin/payments").json["items"]
    assert [i["status"] for i in everything] == ["awaiting_transfer", "rejected", "succeeded"]
    assert {i["user_id"] for i in everything} == {who.user_id}
    assert [i["id"] for i in admin.get("/api/admin/payments" + _q(status="succeeded")).json["items"]] == [made[0][0]]
    assert len(admin.get("/api/admin/payments" + _q(method="eft", provider="bank_transfer")).json["items"]) == 3
    assert admin.get("/api/admin/payments" + _q(method="card")).json["items"] == []
    assert admin.get("/api/admin/payments" + _q(flow="card", method="eft")).json["items"] == []
    assert [i["id"] for i in admin.get("/api/admin/payments" + _q(order_id=made[1][1]["id"])).json["items"]] == \
        [made[1][0]]
    total = D(made[0][1]["grand_total"])
    assert len(admin.get("/api/admin/payments" + _q(amount_min=str(total), amount_max=str(total))).json["items"]) == 3
    assert admin.get("/api/admin/payments" + _q(amount_min=str(total + 1))).json["items"] == []
    assert admin.get("/api/admin/payments" + _q(created_before="2000-01-01T00:00:00Z")).json["items"] == []
    first = admin.get("/api/admin/payments" + _q(limit=2)).json
    rest = admin.get("/api/admin/payments" + _q(limit=2, cursor=first["next_cursor"])).json
    assert [i["id"] for i in first["items"] + rest["items"]] == [i["id"] for i in everything]
    assert rest["next_cursor"] is None
    detail = admin.get(f"/api/admin/payments/{made[0][0]}").json
    assert detail["items"] == [] and [p["provider"] for p in detail["order_payments"]] == ["bank_transfer"]
    assert staff(client, bank_shop()).get("/api/admin/payments").json["items"] == []  # another tenant's


@pytest.mark.parametrize("query", [
    {"status": "paid"}, {"flow": "cash"}, {"amount_min": "abc"}, {"amount_min": "5", "amount_max": "1"},
    {"created_from": "2026-05-02T00:00:00", "created_before": "2026-05-01T00:00:00"}, {"order_id": "0"},
    {"cursor": "x"}, {"limit": "1000"},
])
def test_a_bad_admin_query_is_400(client, shop, query):
    admin = staff(client, shop)
    assert_error_shape(admin.get("/api/admin/payments" + _q(**query)), 400, "validation_failed")


def test_customers_and_staff_without_finance_cannot_list(client, shop):
    who = shopper(client, shop)
    assert who.api.get("/api/admin/payments").status_code in (401, 403)
    assert staff(client, shop, roles=["editor"]).get("/api/admin/payment-tasks").status_code == 403
