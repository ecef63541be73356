"""Paying an order by bank transfer (EFT / havale) end to end through app.py: the customer's
instructions, staff confirm / reject, races between them, and the expiry of an order whose
money never came (or came late)."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from chalicelib.orders import service as order_service
from chalicelib.platform.db import get_db
from tests.conftest import make_tenant
from tests.e2e.test_pipeline import assert_error_shape
from tests.helpers import simultaneously
from tests.orders_kit import pay as pay_manually
from tests.orders_kit import shopper, variation_stock
from tests.payments.payments_kit import (
    START,
    attempts,
    bank_shop,
    key,
    order_payments,
    order_row,
    placed,
    rows,
    staff,
    start,
    tasks,
)

D = __import__("decimal").Decimal
CODE = re.compile(r"HG-[0-9ABCDEFGHJKMNPQRSTVWXYZ]{8}")


@pytest.fixture
def shop():
    return bank_shop()


def sweep(client):
    """The scheduled function, invoked as EventBridge would (app.py's expire_bank_transfers)."""
    event = client.events.generate_cw_event("aws.events", "Scheduled Event", {},
                                            ["arn:aws:events:rule/expire_bank_transfers"])
    return client.lambda_.invoke("expire_bank_transfers", event).payload["expired"]


def _now():
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _at(text):
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


# -- the customer's instructions -------------------------------------------------------------------
def test_a_transfer_is_awaited_with_a_code_the_accounts_and_the_hold_extended(client, shop):
    who, order, v = placed(client, shop)
    response = start(who.api, order["id"])
    assert response.status_code == 201, response.body
    body = response.json
    assert CODE.fullmatch(body["reference_code"])
    assert body["status"] == "awaiting_transfer" and body["order_number"] == order["order_number"]
    assert D(body["amount"]) == D(order["grand_total"]) and body["currency"] == "TRY"
    assert body["bank_accounts"] == [{"bank": "Ziraat Bankası", "iban": "TR330006100519786457841326",
                                      "account_holder": "Huğlu Av Tüfekleri", "branch": "Hüyük"}]
    expires = _at(body["expires_at"])
    assert abs(expires - (_now() + dt.timedelta(hours=48))) < dt.timedelta(minutes=2)
    row = order_row(shop.id, order["id"])
    assert row["payment_method"] == "eft" and row["status"] == "pending_payment"
    assert abs(row["reserved_until"] - expires) < dt.timedelta(seconds=1)
    assert variation_stock(get_db(), shop.id, v) == (10, 2)  # still only reserved

    again = start(who.api, order["id"])  # a second request: the same attempt, not a second code
    assert again.status_code == 200 and again.json["attempt_id"] == body["attempt_id"]
    assert again.json["reference_code"] == body["reference_code"]
    assert len(attempts(shop.id)) == 1
    shown = who.api.get(f"{START}/{body['attempt_id']}")
    assert shown.status_code == 200 and shown.json["reference_code"] == body["reference_code"]


def test_the_window_comes_from_the_shops_setting(client):
    shop = bank_shop(payments={"bank_transfer_hours": 6})
    who, order, _ = placed(client, shop)
    expires = _at(start(who.api, order["id"]).json["expires_at"])
    assert abs(expires - (_now() + dt.timedelta(hours=6))) < dt.timedelta(minutes=2)


def test_the_same_idempotency_key_replays_and_another_order_under_it_is_409(client, shop):
    who, order, _ = placed(client, shop)
    k = key()
    first = start(who.api, order["id"], k)
    second = start(who.api, order["id"], k)
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert second.json["attempt_id"] == first.json["attempt_id"]
    _, other, _ = placed(client, shop, who=who)
    assert_error_shape(start(who.api, other["id"], k), 409, "idempotency_key_reused")
    assert len(attempts(shop.id)) == 1


@pytest.mark.parametrize("body", [
    {}, {"order_id": None}, {"order_id": "abc"}, {"order_id": 0}, {"order_id": -1}, {"order_id": 2**63},
    {"order_id": 1.5}, {"order_id": 1, "extra": True}, [], "x",
])
def test_bad_input_is_400_in_one_shape_and_changes_nothing(client, shop, body):
    who, order, _ = placed(client, shop)
    response = who.api.post(START, body)
    assert_error_shape(response, 400, "validation_failed")
    assert attempts(shop.id) == [] and order_row(shop.id, order["id"])["payment_method"] is None


def test_a_bad_idempotency_key_is_400(client, shop):
    who, order, _ = placed(client, shop)
    response = who.api.post(START, {"order_id": order["id"]}, headers={"Idempotency-Key": "ş" * 3})
    assert_error_shape(response, 400, "idempotency_key_invalid")
    assert attempts(shop.id) == []


def test_another_customers_or_tenants_order_is_404(client, shop):
    _, order, _ = placed(client, shop)
    stranger = shopper(client, shop)
    assert_error_shape(start(stranger.api, order["id"]), 404, "order_not_found")
    elsewhere = bank_shop()
    outsider = shopper(client, elsewhere)
    assert_error_shape(start(outsider.api, order["id"]), 404, "order_not_found")
    assert_error_shape(start(stranger.api, 2**62), 404, "order_not_found")
    assert attempts(shop.id) == [] and attempts(elsewhere.id) == []


def test_a_shop_without_bank_accounts_and_an_order_not_payable_are_409(client, shop):
    plain = make_tenant()
    who, order, _ = placed(client, plain)
    assert_error_shape(start(who.api, order["id"]), 409, "bank_transfer_not_configured")
    who, order, _ = placed(client, shop)
    pay_manually(get_db(), shop.id, order["id"])
    error = assert_error_shape(start(who.api, order["id"]), 409, "order_not_payable")
    assert error["details"] == {"status": "paid"}
    assert attempts(plain.id) == [] and attempts(shop.id) == []


def test_i_sent_it_keeps_the_senders_words_and_refuses_controls(client, shop):
    who, order, _ = placed(client, shop)
    attempt_id = start(who.api, order["id"]).json["attempt_id"]
    sent = f"{START}/{attempt_id}/sent"
    name = "Çağrı Şenol Ğüİı 🙂 e\u0301"  # composed to NFC on the way in
    response = who.api.post(sent, {"sender_name": name, "bank_reference": "  DK-2026/0042  "})
    assert response.status_code == 200, response.body
    assert response.json["sender_name"] == "Çağrı Şenol Ğüİı 🙂 é" and response.json["bank_reference"] == "DK-2026/0042"
    nulls = who.api.post(sent, {"sender_name": None, "bank_reference": None})  # explicit nulls: nothing changes
    assert nulls.status_code == 200 and nulls.json["sender_name"] == "Çağrı Şenol Ğüİı 🙂 é"
    for bad in ({"sender_name": "Ali\u202eVeli"}, {"sender_name": "x" * 151}, {"sender_name": 5}, {"other": "x"}):
        assert_error_shape(who.api.post(sent, bad), 400, "validation_failed")
    assert_error_shape(who.api.post(sent, {"bank_reference": "a\x00b"}), 400, "invalid_text")  # refused by routing
    assert rows("SELECT sender_name FROM payment_attempts WHERE tenant_id = %s", shop.id)[0]["sender_name"] == \
        "Çağrı Şenol Ğüİı 🙂 é"
    stranger = shopper(client, shop)
    assert_error_shape(stranger.api.post(sent, {"sender_name": "Mallory"}), 404, "payment_attempt_not_found")
    assert_error_shape(stranger.api.get(f"{START}/{attempt_id}"), 404, "payment_attempt_not_found")


# -- staff decide ----------------------------------------------------------------------------------
def test_confirm_pays_the_order_in_one_transaction_and_again_answers_the_same(client, shop):
    who, order, v = placed(client, shop)
    attempt = start(who.api, order["id"]).json
    admin = staff(client, shop)
    response = admin.post(f"/api/admin/payments/{attempt['attempt_id']}/confirm", {"note": "Ziraat ekstresi 12:40"})
    assert response.status_code == 200, response.body
    body = response.json
    assert body["status"] == "succeeded" and body["payment_id"] and body["decision_note"] == "Ziraat ekstresi 12:40"
    assert body["order_status"] == "paid" and body["method"] == "eft"
    assert [(p["provider"], p["method"], D(p["amount"])) for p in body["order_payments"]] == [
        ("bank_transfer", "eft", D(order["grand_total"]))]
    row = order_row(shop.id, order["id"])
    assert (row["status"], row["payment_status"], row["payment_method"]) == ("paid", "paid", "eft")
    assert variation_stock(get_db(), shop.id, v) == (8, 0)  # the reservation became a sale
    assert order_payments(shop.id) == [{"order_id": order["id"], "provider": "bank_transfer", "method": "eft",
                                        "status": "succeeded", "amount": D(order["grand_total"]),
                                        "provider_payment_id": attempt["reference_code"]}]
    again = admin.post(f"/api/admin/payments/{attempt['attempt_id']}/confirm", {})
    assert again.status_code == 200 and again.json["payment_id"] == body["payment_id"]
    assert len(order_payments(shop.id)) == 1 and variation_stock(get_db(), shop.id, v) == (8, 0)
    audit = rows("SELECT action, entity_id FROM admin_logs WHERE tenant_id = %s AND action LIKE 'payment.%%'", shop.id)
    assert audit == [{"action": "payment.bank_transfer_confirmed", "entity_id": str(attempt["attempt_id"])}]
    assert_error_shape(who.api.post(f"{START}/{attempt['attempt_id']}/sent", {"sender_name": "Ayşe"}), 409,
                       "payment_attempt_not_pending")
    assert_error_shape(admin.post(f"/api/admin/payments/{attempt['attempt_id']}/reject", {"reason": "yok"}), 409,
                       "payment_attempt_not_pending")


def test_reject_needs_a_reason_and_leaves_the_order_payable(client, shop):
    who, order, v = placed(client, shop)
    attempt_id = start(who.api, order["id"]).json["attempt_id"]
    admin = staff(client, shop)
    path = f"/api/admin/payments/{attempt_id}/reject"
    for bad in ({}, {"reason": None}, {"reason": "  "}, {"reason": "a\u202eb c"}):
        assert_error_shape(admin.post(path, bad), 400, "validation_failed")
    assert attempts(shop.id)[0]["status"] == "awaiting_transfer"
    response = admin.post(path, {"reason": "Hesaba böyle bir havale gelmedi"})
    assert response.status_code == 200 and response.json["status"] == "rejected"
    assert response.json["failure_message"] == "Hesaba böyle bir havale gelmedi"
    row = order_row(shop.id, order["id"])
    assert (row["status"], row["payment_status"]) == ("pending_payment", "failed")
    assert admin.post(path, {"reason": "tekrar"}).status_code == 200  # the same decision again
    assert_error_shape(admin.post(f"/api/admin/payments/{attempt_id}/confirm", {}), 409,
                       "payment_attempt_not_pending")
    assert variation_stock(get_db(), shop.id, v) == (10, 2) and order_payments(shop.id) == []
    fresh = start(who.api, order["id"])  # the customer may try again: a new code
    assert fresh.status_code == 201 and fresh.json["attempt_id"] != attempt_id


def test_staff_of_another_tenant_and_customers_cannot_decide(client, shop):
    who, order, _ = placed(client, shop)
    attempt_id = start(who.api, order["id"]).json["attempt_id"]
    outsider = staff(client, bank_shop())
    assert_error_shape(outsider.post(f"/api/admin/payments/{attempt_id}/confirm", {}), 404,
                       "payment_attempt_not_found")
    assert_error_shape(outsider.get(f"/api/admin/payments/{attempt_id}"), 404, "payment_attempt_not_found")
    assert who.api.post(f"/api/admin/payments/{attempt_id}/confirm", {}).status_code in (401, 403)
    support = staff(client, shop, roles=["support"])  # orders.read only: no finance permission
    assert support.post(f"/api/admin/payments/{attempt_id}/confirm", {}).status_code == 403
    assert attempts(shop.id)[0]["status"] == "awaiting_transfer"


def test_confirm_and_reject_racing_one_wins_and_stock_is_sold_at_most_once(client, shop):
    for _ in range(3):
        who, order, v = placed(client, shop)
        attempt_id = start(who.api, order["id"]).json["attempt_id"]
        admin_a, admin_b = staff(client, shop), staff(client, shop)
        path = f"/api/admin/payments/{attempt_id}"
        results = simultaneously(lambda a=admin_a, p=path: a.post(f"{p}/confirm", {}),
                                 lambda a=admin_b, p=path: a.post(f"{p}/reject", {"reason": "görülmedi"}))
        codes = sorted(r.status_code for r in results)
        assert codes == [200, 409], [r.body for r in results]
        status = rows("SELECT status FROM payment_attempts WHERE tenant_id = %s AND id = %s", shop.id,
                      attempt_id)[0]["status"]
        paid = [p for p in order_payments(shop.id) if p["order_id"] == order["id"]]
        if status == "succeeded":
            assert results[0].status_code == 200 and len(paid) == 1
            assert variation_stock(get_db(), shop.id, v) == (8, 0)
        else:
            assert status == "rejected" and results[1].status_code == 200 and paid == []
            assert variation_stock(get_db(), shop.id, v) == (10, 2)


def test_two_confirms_racing_record_one_payment(client, shop):
    who, order, v = placed(client, shop)
    attempt_id = start(who.api, order["id"]).json["attempt_id"]
    admins = [staff(client, shop) for _ in range(3)]
    results = simultaneously(*[lambda a=a: a.post(f"/api/admin/payments/{attempt_id}/confirm", {}) for a in admins])
    assert [r.status_code for r in results] == [200, 200, 200], [r.body for r in results]
    assert len({r.json["payment_id"] for r in results}) == 1
    assert len(order_payments(shop.id)) == 1 and variation_stock(get_db(), shop.id, v) == (8, 0)


def test_two_starts_racing_make_one_attempt(client, shop):
    who, order, _ = placed(client, shop)
    results = simultaneously(*[lambda: start(who.api, order["id"]) for _ in range(4)])
    assert sorted(r.status_code for r in results) == [200, 200, 200, 201]
    assert len({r.json["reference_code"] for r in results}) == 1 and len(attempts(shop.id)) == 1


# -- expiry ----------------------------------------------------------------------------------------
def test_an_unconfirmed_transfer_expires_with_its_order_and_a_late_confirm_opens_one_task(client, shop):
    who, order, v = placed(client, shop)
    attempt_id = start(who.api, order["id"]).json["attempt_id"]
    other_who, other, _ = placed(client, shop)  # still within its window: untouched by the sweep
    other_attempt = start(other_who.api, other["id"]).json["attempt_id"]
    get_db().session().execute("UPDATE orders SET reserved_until = UTC_TIMESTAMP(6) - INTERVAL 1 MINUTE "
                               "WHERE tenant_id = %s AND id = %s", (shop.id, order["id"]))
    # The orders' sweep (global, in batches: other tests' expired orders may come first): cancelled, stock back
    while order_row(shop.id, order["id"])["status"] == "pending_payment":
        assert order_service.expire_reservations(get_db()) >= 1
    assert order_row(shop.id, order["id"])["status"] == "cancelled"
    assert variation_stock(get_db(), shop.id, v) == (10, 0)
    assert sweep(client) >= 1  # global: every tenant's awaited transfers
    statuses = {a["id"]: a["status"] for a in attempts(shop.id)}
    assert statuses == {attempt_id: "expired", other_attempt: "awaiting_transfer"}
    assert sweep(client) == 0  # nothing left to do

    admin = staff(client, shop)
    for _ in range(2):  # the money came after all: 409, and one task to pay it back
        error = assert_error_shape(admin.post(f"/api/admin/payments/{attempt_id}/confirm", {"note": "geç geldi"}), 409,
                                   "order_not_payable")
        assert error["details"] == {"status": "cancelled"}
    assert tasks(shop.id) == [{"kind": "late_transfer_refund", "status": "open", "order_id": order["id"],
                               "attempt_id": attempt_id, "amount": D(order["grand_total"])}]
    assert order_payments(shop.id) == [] and variation_stock(get_db(), shop.id, v) == (10, 0)
    listed = admin.get("/api/admin/payment-tasks?status=open").json["items"]
    assert [t["attempt_id"] for t in listed] == [attempt_id]
    done = admin.post(f"/api/admin/payment-tasks/{listed[0]['id']}/done", {"note": "İade edildi, dekont 77"})
    assert done.status_code == 200 and done.json["status"] == "done" and done.json["note"] == "İade edildi, dekont 77"
    again = admin.post(f"/api/admin/payment-tasks/{listed[0]['id']}/done", {"note": "ikinci"})
    assert again.status_code == 200 and again.json["note"] == "İade edildi, dekont 77"
    assert admin.get("/api/admin/payment-tasks?status=open").json["items"] == []
    assert_error_shape(admin.post("/api/admin/payment-tasks/999999999/done", {"note": "x y"}), 404,
                       "payment_task_not_found")
    assert_error_shape(admin.post(f"/api/admin/payment-tasks/{listed[0]['id']}/done", {"note": None}), 400,
                       "validation_failed")


def test_a_confirm_racing_the_orders_expiry_either_pays_or_opens_a_task(client, shop):
    who, order, v = placed(client, shop)
    attempt_id = start(who.api, order["id"]).json["attempt_id"]
    get_db().session().execute("UPDATE orders SET reserved_until = UTC_TIMESTAMP(6) - INTERVAL 1 MINUTE "
                               "WHERE tenant_id = %s AND id = %s", (shop.id, order["id"]))
    admin = staff(client, shop)
    confirmed, _ = simultaneously(lambda: admin.post(f"/api/admin/payments/{attempt_id}/confirm", {}),
                                  lambda: order_service.expire_reservations(get_db()))
    state = order_row(shop.id, order["id"])["status"]
    if confirmed.status_code == 200:
        assert state == "paid" and variation_stock(get_db(), shop.id, v) == (8, 0) and tasks(shop.id) == []
    else:
        assert confirmed.status_code == 409 and state == "cancelled"
        assert variation_stock(get_db(), shop.id, v) == (10, 0) and len(tasks(shop.id)) == 1
