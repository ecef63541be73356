"""Orders paid from the wallet (W4) and refunds paid back into it: POST /api/payment/wallet
through app.py, wallet + card holds through wallet.api, the wallet-refunds consumer; each ends
with the ledger reconciled and the order, stock and payment rows consistent."""
from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from chalicelib.orders import api as orders
from chalicelib.orders import payments as order_payments
from chalicelib.platform.db import get_db
from chalicelib.wallet import api as wallet
from chalicelib.wallet import events, ledger
from tests.conftest import Api, make_tenant
from tests.e2e.test_pipeline import assert_error_shape
from tests.helpers import simultaneously
from tests.orders_kit import checkout, drain, fill_cart, product, shopper, variation_stock
from tests.wallet.wallet_kit import D, assert_reconciled, cash, credit, rows, run

PAY = "/api/payment/wallet"


@pytest.fixture
def shop():
    return make_tenant(settings={"wallet": {"bonus_max_per_order": "100.00"}})


def placed(client, tenant, *, price="500.00", quantity=2, who=None):
    who = who or shopper(client, tenant)
    db = get_db()
    p, v = product(db, tenant.id, price=price, stock=10)
    fill_cart(db, tenant.id, who.user_id, [(p, v, quantity)])
    response = checkout(who)
    assert response.status_code == 201, response.body
    return who, response.json, v


def pay(api: Api, order_id, key=None, **body):
    return api.post(PAY, {"order_id": order_id, **body}, headers={"Idempotency-Key": key or uuid.uuid4().hex})


def order_row(tenant_id, order_id):
    return rows("SELECT status, payment_status, payment_method, paid_total, refunded_total FROM orders "
                "WHERE tenant_id = %s AND id = %s", tenant_id, order_id)[0]


def wallet_payments(tenant_id):
    return rows("SELECT order_id, provider, method, status, amount FROM payments WHERE tenant_id = %s "
                "AND provider = 'wallet' ORDER BY id", tenant_id)


def journals(tenant_id, kind="order_payment"):
    return rows("SELECT transfer_id FROM wallet_journals WHERE tenant_id = %s AND journal_type = %s ORDER BY id",
                tenant_id, kind)


# -- pay in full ---------------------------------------------------------------------------------
def test_an_order_is_paid_from_cash_in_one_transaction(client, shop):
    who, order, v = placed(client, shop)
    total = D(order["grand_total"])
    credit(shop.id, who.user_id, "2000.00")
    response = pay(who.api, order["id"], use_bonus=False)
    assert response.status_code == 201, response.body
    body = response.json
    assert body["status"] == "paid" and body["payment_status"] == "paid"
    assert (D(body["amount"]), D(body["cash"]), D(body["bonus"])) == (total, total, D("0.00"))
    assert D(body["wallet"]["cash"]["balance"]) == D("2000.00") - total
    assert order_row(shop.id, order["id"])["payment_method"] == "wallet"
    assert wallet_payments(shop.id) == [{"order_id": order["id"], "provider": "wallet", "method": "wallet",
                                         "status": "succeeded", "amount": total}]
    assert variation_stock(get_db(), shop.id, v) == (8, 0)  # the reservation became a sale
    assert journals(shop.id) == [{"transfer_id": f"order-{order['id']}"}]
    history = who.api.get("/api/wallet/transactions").json["items"]
    assert history[0]["type"] == "order_payment" and D(history[0]["amount"]) == -total
    assert history[0]["reference"] == {"type": "order", "id": str(order["id"])}
    assert_reconciled(shop.id)


def test_bonus_goes_first_up_to_the_shops_limit_and_the_rest_is_cash(client, shop):
    who, order, _ = placed(client, shop)
    total = D(order["grand_total"])
    credit(shop.id, who.user_id, "150.00", purpose="bonus", account=wallet.BONUS)
    credit(shop.id, who.user_id, "2000.00")
    body = pay(who.api, order["id"]).json
    assert (D(body["bonus"]), D(body["cash"])) == (D("100.00"), total - D("100.00"))
    assert D(body["wallet"]["bonus"]["balance"]) == D("50.00")
    assert_reconciled(shop.id)


def test_without_a_limit_no_bonus_is_spent(client):
    plain = make_tenant()
    who, order, _ = placed(client, plain)
    credit(plain.id, who.user_id, "150.00", purpose="bonus", account=wallet.BONUS)
    credit(plain.id, who.user_id, "2000.00")
    assert D(pay(who.api, order["id"]).json["bonus"]) == D("0.00")


def test_not_enough_is_409_and_nothing_is_taken_then_the_same_key_works_after_a_top_up(client, shop):
    who, order, v = placed(client, shop)
    credit(shop.id, who.user_id, "100.00")
    key = uuid.uuid4().hex
    response = pay(who.api, order["id"], key)
    assert_error_shape(response, 409, "insufficient_funds")
    assert order_row(shop.id, order["id"])["status"] == "pending_payment"
    assert wallet_payments(shop.id) == [] and journals(shop.id) == []
    assert cash(shop.id, who.user_id).balance == D("100.00") and variation_stock(get_db(), shop.id, v) == (10, 2)
    credit(shop.id, who.user_id, "2000.00")
    assert pay(who.api, order["id"], key).status_code == 201
    assert_reconciled(shop.id)


def test_a_customer_without_a_wallet_gets_409(client, shop):
    who, order, _ = placed(client, shop)
    assert_error_shape(pay(who.api, order["id"]), 409, "insufficient_funds")


def test_others_orders_are_404_and_unpayable_ones_409(client, shop):
    who, order, _ = placed(client, shop)
    other = shopper(client, shop)
    credit(shop.id, other.user_id, "5000.00")
    credit(shop.id, who.user_id, "5000.00")
    assert_error_shape(pay(other.api, order["id"]), 404, "order_not_found")
    assert_error_shape(pay(other.api, 2**62), 404, "order_not_found")
    stranger_shop = make_tenant()
    stranger = shopper(client, stranger_shop)
    credit(stranger_shop.id, stranger.user_id, "5000.00")
    assert_error_shape(pay(stranger.api, order["id"]), 404, "order_not_found")
    assert pay(who.api, order["id"]).status_code == 201
    paid_again = pay(who.api, order["id"])
    assert_error_shape(paid_again, 409, "order_not_payable")
    assert paid_again.json["error"]["details"]["status"] == "paid"
    _, cancelled, _ = placed(client, shop, who=who)
    who.api.post(f"/api/orders/{cancelled['id']}/cancel", {})
    assert_error_shape(pay(who.api, cancelled["id"]), 409, "order_not_payable")
    assert cash(shop.id, who.user_id).balance == D("5000.00") - D(order["grand_total"])
    assert_reconciled(shop.id)


def test_bad_input_is_400(client, shop):
    who, order, _ = placed(client, shop)
    assert_error_shape(who.api.post(PAY, {"order_id": order["id"]}), 400, "idempotency_key_required")
    for body in ({}, {"order_id": None}, {"order_id": "x"}, {"order_id": -1}, {"order_id": 0},
                 {"order_id": 2**64}, {"order_id": order["id"], "use_bonus": "ığ"}, {"order_id": order["id"], "x": 1}):
        response = who.api.post(PAY, body, headers={"Idempotency-Key": uuid.uuid4().hex})
        assert_error_shape(response, 400, "validation_failed")
    assert_error_shape(Api(client, shop.api_key).post(PAY, {"order_id": order["id"]},
                                                      headers={"Idempotency-Key": "k"}), 401, "token_missing")


def test_the_same_key_twice_answers_the_first_payment(client, shop):
    who, order, _ = placed(client, shop)
    credit(shop.id, who.user_id, "2000.00")
    key = uuid.uuid4().hex
    first, again = pay(who.api, order["id"], key), pay(who.api, order["id"], key)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json["amount"] == first.json["amount"]
    assert_error_shape(pay(who.api, order["id"], key, use_bonus=False), 409, "idempotency_key_reused")
    assert len(wallet_payments(shop.id)) == 1 and len(journals(shop.id)) == 1
    assert cash(shop.id, who.user_id).balance == D("2000.00") - D(order["grand_total"])


def test_two_payments_of_one_order_at_once_charge_it_once(client, shop):
    who, order, _ = placed(client, shop)
    credit(shop.id, who.user_id, "5000.00")
    results = simultaneously(*[lambda: pay(who.api, order["id"]) for _ in range(4)])
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201, 409, 409, 409], [r.body for r in results]
    assert {r.json["error"]["code"] for r in results if r.status_code == 409} == {"order_not_payable"}
    assert cash(shop.id, who.user_id).balance == D("5000.00") - D(order["grand_total"])
    assert len(wallet_payments(shop.id)) == 1
    assert_reconciled(shop.id)


# -- wallet + card -------------------------------------------------------------------------------
def _in(work):
    return run(work)


def test_a_wallet_part_is_held_then_posted_when_the_card_succeeds(client, shop):
    who, order, _ = placed(client, shop)
    total = D(order["grand_total"])
    credit(shop.id, who.user_id, "300.00")
    held = _in(lambda uow: wallet.hold_for_order(uow, shop.id, who.user_id, order["id"], D("300.00"), attempt="a1",
                                                 tenant_settings=shop_settings()))
    assert held.amount == D("300.00") and held.bonus is None
    again = _in(lambda uow: wallet.hold_for_order(uow, shop.id, who.user_id, order["id"], D("300.00"), attempt="a1"))
    assert again.cash is not None and again.cash.id == held.cash.id and again.cash.replayed
    assert cash(shop.id, who.user_id).available == D("0.00")

    def card_succeeded(uow):
        captured = wallet.capture_for_order(uow, shop.id, order["id"], attempt="a1")
        orders.record_payment(uow, shop.id, order["id"], provider="iyzico", method="card", amount=total - captured)
        return orders.mark_paid(uow, shop.id, order["id"], amount=total, method="card")

    assert _in(card_succeeded)["status"] == "paid"
    assert cash(shop.id, who.user_id).balance == D("0.00")
    assert journals(shop.id) == [{"transfer_id": f"order-{order['id']}-a1-cash"}]
    assert [p["amount"] for p in wallet_payments(shop.id)] == [D("300.00")]
    # The card's callback delivered twice: the second capture answers the same amount and records nothing.
    assert _in(lambda uow: wallet.capture_for_order(uow, shop.id, order["id"], attempt="a1")) == D("300.00")
    assert [p["amount"] for p in wallet_payments(shop.id)] == [D("300.00")]
    assert cash(shop.id, who.user_id).balance == D("0.00")
    assert_reconciled(shop.id)


def test_a_wallet_part_is_released_when_the_card_fails_or_the_reservation_runs_out(client, shop):
    who, order, _ = placed(client, shop)
    credit(shop.id, who.user_id, "300.00")
    _in(lambda uow: wallet.hold_for_order(uow, shop.id, who.user_id, order["id"], D("200.00"), attempt="a1"))
    assert _in(lambda uow: wallet.release_for_order(uow, shop.id, order["id"], attempt="a1")) == D("200.00")
    assert _in(lambda uow: wallet.release_for_order(uow, shop.id, order["id"], attempt="a1")) == D("0.00")
    assert cash(shop.id, who.user_id).available == D("300.00")
    assert order_row(shop.id, order["id"])["status"] == "pending_payment"

    _, late, _ = placed(client, shop, who=who)
    get_db().session().execute("UPDATE orders SET reserved_until = %s WHERE tenant_id = %s AND id = %s",
                               (dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=1), shop.id,
                                late["id"]))
    _in(lambda uow: wallet.hold_for_order(uow, shop.id, who.user_id, late["id"], D("250.00"), attempt="a1"))
    assert cash(shop.id, who.user_id).available == D("50.00")
    assert ledger.expire_holds(get_db()) >= 1
    assert cash(shop.id, who.user_id).available == D("300.00")
    assert journals(shop.id) == []
    assert_reconciled(shop.id)


def test_each_attempt_holds_its_own_wallet_part_and_a_newer_one_replaces_an_older(client, shop):
    """A card declined, then paid again with a wallet part: the second attempt holds anew (a fixed
    hold id per order would answer the voided hold).  An attempt abandoned on the bank's page is
    replaced by the next: its capture then takes nothing, all or nothing."""
    who, order, _ = placed(client, shop)
    credit(shop.id, who.user_id, "300.00")
    _in(lambda uow: wallet.hold_for_order(uow, shop.id, who.user_id, order["id"], D("200.00"), attempt="a1"))
    assert _in(lambda uow: wallet.release_for_order(uow, shop.id, order["id"], attempt="a1")) == D("200.00")
    again = _in(lambda uow: wallet.hold_for_order(uow, shop.id, who.user_id, order["id"], D("200.00"), attempt="a2"))
    assert again.cash is not None and not again.cash.replayed and again.amount == D("200.00")
    third = _in(lambda uow: wallet.hold_for_order(uow, shop.id, who.user_id, order["id"], D("250.00"), attempt="a3"))
    assert third.amount == D("250.00") and cash(shop.id, who.user_id).available == D("50.00")  # a2's hold voided
    assert _in(lambda uow: wallet.capture_for_order(uow, shop.id, order["id"], attempt="a2")) == D("0.00")
    assert journals(shop.id) == [] and wallet_payments(shop.id) == []
    assert _in(lambda uow: wallet.capture_for_order(uow, shop.id, order["id"], attempt="a3")) == D("250.00")
    assert journals(shop.id) == [{"transfer_id": f"order-{order['id']}-a3-cash"}]
    with pytest.raises(wallet.LedgerError):
        _in(lambda uow: wallet.hold_for_order(uow, shop.id, who.user_id, order["id"], D("1.00"), attempt="a-4"))
    assert_reconciled(shop.id)


def test_a_hold_over_the_amount_due_or_the_balance_is_refused(client, shop):
    who, order, _ = placed(client, shop)
    credit(shop.id, who.user_id, "100.00")
    with pytest.raises(Exception) as too_much:
        _in(lambda uow: wallet.hold_for_order(uow, shop.id, who.user_id, order["id"], D(order["grand_total"]) + 1,
                                              attempt="a1"))
    assert getattr(too_much.value, "code", None) == "amount_mismatch"
    with pytest.raises(wallet.InsufficientFunds):
        _in(lambda uow: wallet.hold_for_order(uow, shop.id, who.user_id, order["id"], D("100.01"), attempt="a1"))
    assert cash(shop.id, who.user_id).available == D("100.00")


def shop_settings():
    return {"wallet": {"bonus_max_per_order": "100.00"}}


# -- refunds into the wallet -----------------------------------------------------------------------
def _wallet_refund_events(tenant_id):
    found = rows("SELECT id, tenant_id, queue, event_type, aggregate_type, aggregate_id, payload FROM outbox_events "
                 "WHERE tenant_id = %s AND event_type = 'WalletRefundRequested' ORDER BY id", tenant_id)
    from chalicelib.platform import outbox

    return [outbox.message({**e, "payload": json.loads(e["payload"])}) for e in found]


def test_a_cancelled_wallet_order_is_credited_back_once_even_when_the_event_comes_again(client, shop):
    who, order, _ = placed(client, shop)
    total = D(order["grand_total"])
    credit(shop.id, who.user_id, "2000.00")
    assert pay(who.api, order["id"]).status_code == 201
    assert who.api.post(f"/api/orders/{order['id']}/cancel", {}).json["payment_status"] == "refund_pending"
    (message,) = _wallet_refund_events(shop.id)
    assert message["payload"]["refunds"][0]["amount"] in (str(total), float(total), total)
    assert drain("wallet-refunds", events.wallet_refunds) >= 1
    events.handle_event(message)  # a redelivery past the consumer's memory of handled ids
    assert cash(shop.id, who.user_id).balance == D("2000.00")
    assert journals(shop.id, "order_refund") == [{"transfer_id": f"refund-{message['payload']['refunds'][0]['id']}"}]
    shown = who.api.get(f"/api/orders/{order['id']}").json
    assert shown["payment_status"] == "refunded" and D(shown["refunded_total"]) == total
    assert_reconciled(shop.id)


def test_concurrent_redeliveries_credit_once(client, shop):
    who, order, _ = placed(client, shop)
    credit(shop.id, who.user_id, "2000.00")
    pay(who.api, order["id"])
    who.api.post(f"/api/orders/{order['id']}/cancel", {})
    (message,) = _wallet_refund_events(shop.id)
    simultaneously(*[lambda: events.handle_event(message) for _ in range(4)])
    assert cash(shop.id, who.user_id).balance == D("2000.00")
    assert len(journals(shop.id, "order_refund")) == 1
    assert_reconciled(shop.id)


def test_a_card_paid_order_refunded_to_the_wallet_is_credited_and_other_refunds_are_not_the_wallets(client, shop):
    who, order, _ = placed(client, shop)
    total = D(order["grand_total"])

    def card_paid(uow):
        orders.record_payment(uow, shop.id, order["id"], provider="iyzico", method="card", amount=total)
        orders.mark_paid(uow, shop.id, order["id"], amount=total, method="card")

    run(card_paid)
    run(lambda uow: orders.request_refund(uow, orders.lock_order(uow, shop.id, order["id"]), D("100.00"),
                                          reason="goodwill", method="original"))
    assert _wallet_refund_events(shop.id) == []  # a card refund: the payments side's
    run(lambda uow: orders.request_refund(uow, orders.lock_order(uow, shop.id, order["id"]), D("40.00"),
                                          reason="return", method="wallet"))
    (message,) = _wallet_refund_events(shop.id)
    events.handle_event(message)
    events.handle_event({**message, "type": "SomethingElse"})  # other types are skipped
    assert cash(shop.id, who.user_id).balance == D("40.00")
    assert_reconciled(shop.id)


def test_the_orders_api_names_the_queue_its_payments_module_uses():
    assert (orders.WALLET_REFUNDS_QUEUE, orders.WALLET_REFUND_REQUESTED) == (
        order_payments.WALLET_REFUNDS_QUEUE, order_payments.WALLET_REFUND_REQUESTED)
