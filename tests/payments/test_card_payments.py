"""Card payments end to end (issue 12): through the Chalice test client, the real iyzico adapter
(the official SDK) over HTTPS to the local sandbox.  Each test checks the order, its stock
(reserved vs sold) and, where money moves in the wallet, the ledger."""
# ruff: noqa: F811 - pytest fixtures imported from card_kit are parameters here
from __future__ import annotations

import uuid
from decimal import Decimal as D
from typing import Any

import pytest

from chalicelib.payments.card import basket
from tests.e2e.test_pipeline import assert_error_shape
from tests.orders_kit import shopper
from tests.payments.card_kit import (  # noqa: F401 - fixtures
    DECLINES,
    FOREIGN,
    PROCESS,
    SUCCESS,
    TOPUP,
    attempts,
    balance,
    calls,
    card,
    client,
    control,
    credit_wallet,
    form_post,
    items_of,
    order_row,
    pay,
    payments_of,
    placed,
    reconcile_job,
    reconciled,
    sandbox,
    shop,
    signed_3ds_form,
    stock,
)


# -- direct (non-3DS) card ---------------------------------------------------------------------------
@pytest.mark.parametrize("number", [SUCCESS, FOREIGN])
def test_direct_card_success_pays_the_order_once(sandbox: Any, client: Any, number: str) -> None:
    tenant = shop()
    who, order, v = placed(client, tenant)
    response = pay(who.api, order["id"], number)
    assert response.status_code == 201, response.body
    body = response.json
    assert body["status"] == "succeeded" and body["card_last4"] == number[-4:]
    assert D(body["amount"]) == D("1000.00") and body["card_association"]
    assert order_row(tenant.id, order["id"])["status"] == "paid"
    assert stock(tenant.id, v) == (8, 0)  # sold: off the shelf, no longer reserved
    paid = payments_of(tenant.id, order["id"])
    assert [(p["provider"], p["method"], p["amount"]) for p in paid] == [("iyzico", "card", D("1000.00"))]
    attempt_id = body["attempt_id"]
    lines = items_of(tenant.id, attempt_id)
    assert lines and all(line["provider_transaction_id"] for line in lines)
    assert sum(line["price"] for line in lines) == D("1000.00")
    shown = who.api.get(f"/api/payment/attempts/{attempt_id}")
    assert shown.status_code == 200 and shown.json["status"] == "succeeded"


@pytest.mark.parametrize("number,code", sorted(DECLINES.items()))
def test_every_declining_card_is_402_and_the_order_stays_payable(sandbox: Any, client: Any, number: str,
                                                                 code: str) -> None:
    tenant = shop()
    who, order, v = placed(client, tenant)
    response = pay(who.api, order["id"], number)
    error = assert_error_shape(response, 402, code)
    assert error["details"]["provider_code"] and error["details"]["attempt_id"]
    row = order_row(tenant.id, order["id"])
    assert row["status"] == "pending_payment" and row["payment_status"] == "failed"
    assert stock(tenant.id, v) == (10, 2)  # still reserved for the customer's next try
    assert payments_of(tenant.id, order["id"]) == []
    assert [a["status"] for a in attempts(tenant.id)] == ["failed"]
    # the next card works
    again = pay(who.api, order["id"], SUCCESS)
    assert again.status_code == 201 and again.json["status"] == "succeeded"
    assert order_row(tenant.id, order["id"])["status"] == "paid" and stock(tenant.id, v) == (8, 0)


def test_retry_with_the_same_key_is_the_same_attempt_and_one_charge(sandbox: Any, client: Any) -> None:
    tenant = shop()
    who, order, _ = placed(client, tenant)
    key = uuid.uuid4().hex
    first = pay(who.api, order["id"], key=key)
    before = len(calls(sandbox, "/payment/auth"))
    second = pay(who.api, order["id"], key=key)
    assert first.status_code == second.status_code == 201
    assert second.json["attempt_id"] == first.json["attempt_id"]
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert len(calls(sandbox, "/payment/auth")) == before
    assert len(payments_of(tenant.id, order["id"])) == 1
    other = pay(who.api, order["id"], "5890040000000016", key=key)  # another card under the same key
    assert other.status_code == 409 and other.json["error"]["code"] == "idempotency_key_reused"


def test_a_declined_retry_with_the_same_key_answers_402_again_without_a_charge(sandbox: Any, client: Any) -> None:
    tenant = shop()
    who, order, _ = placed(client, tenant)
    key = uuid.uuid4().hex
    assert pay(who.api, order["id"], "4111111111111129", key=key).status_code == 402
    before = len(calls(sandbox, "/payment/auth"))
    assert pay(who.api, order["id"], "4111111111111129", key=key).status_code == 402
    assert len(calls(sandbox, "/payment/auth")) == before


def test_lost_response_is_202_unknown_then_the_reconcile_job_settles_it_once(sandbox: Any, client: Any) -> None:
    tenant = shop()
    who, order, v = placed(client, tenant)
    control(sandbox, "/_fake/fail", {"path": "/payment/auth", "mode": "drop_after_commit", "times": 1})
    response = pay(who.api, order["id"])
    assert response.status_code == 202, response.body
    assert response.json["status"] == "unknown"
    assert order_row(tenant.id, order["id"])["status"] == "pending_payment"
    busy = pay(who.api, order["id"])  # a second charge must wait for the first's outcome
    assert busy.status_code == 409 and busy.json["error"]["code"] == "payment_in_progress"
    reconcile_job(client)
    reconcile_job(client)  # twice: still one payment
    assert order_row(tenant.id, order["id"])["status"] == "paid" and stock(tenant.id, v) == (8, 0)
    assert len(payments_of(tenant.id, order["id"])) == 1
    assert len(calls(sandbox, "/payment/auth")) >= 1
    shown = who.api.get(f"/api/payment/attempts/{response.json['attempt_id']}")
    assert shown.json["status"] == "succeeded"


def test_installments_up_to_the_shops_limit(sandbox: Any, client: Any) -> None:
    tenant = shop(max_installments=3)
    who, order, _ = placed(client, tenant)
    over = pay(who.api, order["id"], installment=6)
    assert over.status_code == 400 and over.json["error"]["code"] == "installment_not_allowed"
    ok = pay(who.api, order["id"], installment=3)
    assert ok.status_code == 201 and ok.json["installment"] == 3
    # the order records what it owed; iyzico's paidPrice (with the installment fee) is in the details
    assert payments_of(tenant.id, order["id"])[0]["amount"] == D("1000.00")


# -- another customer, bad input ---------------------------------------------------------------------
def test_another_customers_order_or_attempt_is_404(sandbox: Any, client: Any) -> None:
    tenant = shop()
    who, order, v = placed(client, tenant)
    stranger = shopper(client, tenant)
    assert pay(stranger.api, order["id"]).status_code == 404
    mine = pay(who.api, order["id"])
    assert stranger.api.get(f"/api/payment/attempts/{mine.json['attempt_id']}").status_code == 404
    assert who.api.get("/api/payment/attempts/999999999").status_code == 404


@pytest.mark.parametrize("body", [
    {"flow": "direct"},  # no card
    {"flow": "direct", "card": card(expire_month="13")},
    {"flow": "direct", "card": card(number="5528 7900 0000 00x8")},
    {"flow": "direct", "card": card(cvc="12")},
    {"flow": "direct", "card": card(holder="Ayşe\u202eYılmaz")},
    {"flow": "direct", "card": card(holder="<script>")},
    {"flow": "direct", "card": card(holder=None)},
    {"flow": "direct", "card": None},
    {"flow": None, "card": card()},
    {"flow": "direct", "card": card(), "installment": 13},
    {"flow": "direct", "card": card(), "installment": None},
    {"flow": "direct", "card": card(), "wallet_amount": "10.005"},
    {"flow": "direct", "card": card(), "wallet_amount": "0"},
    {"flow": "direct", "card": card(), "saved_card_id": 1},
    {"flow": "checkout_form", "card": card()},
    {"flow": "direct", "card": card(), "unknown": 1},
])
def test_bad_input_is_400_in_the_one_shape_and_changes_nothing(sandbox: Any, client: Any, body: dict[str, Any],
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    tenant = shop()
    who, order, v = placed(client, tenant)
    before = len(calls(sandbox, "/payment/auth"))
    response = who.api.post(PROCESS, {"order_id": order["id"], **body}, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == 400, response.body
    assert_error_shape(response, 400, response.json["error"]["code"])
    assert SUCCESS not in str(response.body)
    assert attempts(tenant.id) == [] and len(calls(sandbox, "/payment/auth")) == before
    assert order_row(tenant.id, order["id"])["status"] == "pending_payment" and stock(tenant.id, v) == (10, 2)


def test_the_key_is_required_and_the_flow_must_be_allowed(sandbox: Any, client: Any) -> None:
    tenant = shop(require_3ds=True)
    who, order, _ = placed(client, tenant)
    no_key = who.api.post(PROCESS, {"order_id": order["id"], "flow": "3ds", "card": card()})
    assert no_key.status_code == 400
    direct = pay(who.api, order["id"])  # the shop requires 3-D Secure
    assert direct.status_code == 400 and direct.json["error"]["code"] == "card_flow_not_allowed"
    assert attempts(tenant.id) == []


# -- the basket ------------------------------------------------------------------------------------
def test_basket_lines_sum_exactly_to_the_charge_with_odd_amounts() -> None:
    lines = [{"order_item_id": 1, "name": "a", "line_total": D("33.33")},
             {"order_item_id": 2, "name": "b", "line_total": D("33.33")},
             {"order_item_id": 3, "name": "c", "line_total": D("33.34")}]
    for charged in (D("100.00"), D("99.99"), D("0.01"), D("50.01"), D("66.67"), D("1.00")):
        out = basket(lines, D("9.99"), charged)
        assert sum(i["price"] for i in out) == charged
        assert all(i["price"] > 0 and i["price"] == i["price"].quantize(D("0.01")) for i in out)
        assert out == basket(lines, D("9.99"), charged)  # deterministic
    grown = basket(lines, D("0"), D("120.00"))  # more due than the lines (a charge not on a line)
    assert sum(i["price"] for i in grown) == D("120.00")


# -- wallet + card, top-up --------------------------------------------------------------------------
def test_split_wallet_and_card_success_captures_the_hold(sandbox: Any, client: Any) -> None:
    tenant = shop()
    who, order, v = placed(client, tenant, price="333.33", quantity=3)  # 999.99
    credit_wallet(tenant.id, who.user_id, "200.00")
    response = pay(who.api, order["id"], wallet_amount="123.45")
    assert response.status_code == 201, response.body
    assert D(response.json["amount"]) == D("876.54") and D(response.json["wallet_amount"]) == D("123.45")
    assert sum(i["price"] for i in items_of(tenant.id, response.json["attempt_id"])) == D("876.54")
    row = order_row(tenant.id, order["id"])
    assert row["status"] == "paid" and row["paid_total"] == D("999.99") and stock(tenant.id, v) == (7, 0)
    assert sorted(p["amount"] for p in payments_of(tenant.id, order["id"])) == [D("123.45"), D("876.54")]
    shown = balance(tenant.id, who.user_id).cash
    assert shown.balance == D("76.55") and shown.held == D("0.00")
    assert reconciled(tenant.id)


def test_split_wallet_and_card_decline_releases_the_hold(sandbox: Any, client: Any) -> None:
    tenant = shop()
    who, order, v = placed(client, tenant)
    credit_wallet(tenant.id, who.user_id, "200.00")
    response = pay(who.api, order["id"], "4111111111111129", wallet_amount="150.00")
    assert response.status_code == 402
    shown = balance(tenant.id, who.user_id).cash
    assert shown.available == D("200.00") and shown.held == D("0.00")
    assert order_row(tenant.id, order["id"])["status"] == "pending_payment" and stock(tenant.id, v) == (10, 2)
    assert payments_of(tenant.id, order["id"]) == []
    assert reconciled(tenant.id)
    # The customer tries again with another card and the same wallet part: held anew, paid in full.
    again = pay(who.api, order["id"], wallet_amount="150.00")
    assert again.status_code == 201, again.body
    row = order_row(tenant.id, order["id"])
    assert row["status"] == "paid" and row["paid_total"] == row["grand_total"] and stock(tenant.id, v) == (8, 0)
    assert D("150.00") in [p["amount"] for p in payments_of(tenant.id, order["id"])]
    shown = balance(tenant.id, who.user_id).cash
    assert shown.balance == D("50.00") and shown.held == D("0.00")
    assert reconciled(tenant.id)


def test_a_card_success_whose_wallet_part_is_gone_is_cancelled_not_paid(sandbox: Any, client: Any) -> None:
    """The customer left a 3-D Secure page open and paid again (the newer attempt holds the wallet
    part; the older one's hold is voided); then the older bank page is completed too.  Its card
    success finds its wallet part gone: the card payment is cancelled at iyzico, the order is paid
    once, by the newer attempt."""
    tenant = shop(require_3ds=True)
    who, order, v = placed(client, tenant)
    credit_wallet(tenant.id, who.user_id, "200.00")
    first = pay(who.api, order["id"], flow="3ds", wallet_amount="100.00")
    assert first.status_code == 201, first.body
    second = pay(who.api, order["id"], flow="3ds", wallet_amount="100.00")
    assert second.status_code == 201, second.body
    assert balance(tenant.id, who.user_id).cash.held == D("100.00")  # one wallet part at a time
    older = attempts(tenant.id)[0]
    done = control(sandbox, f"/_fake/3ds/{older['provider_payment_id']}/complete", {})
    answer = form_post(client, f"/api/payment/3ds/callback/{tenant.slug}", signed_3ds_form(done["form"]))
    assert answer.status_code in (200, 303)
    older = attempts(tenant.id)[0]
    assert (older["status"], older["failure_code"]) == ("cancelled", "wallet_part_gone")
    assert order_row(tenant.id, order["id"])["status"] == "pending_payment" and payments_of(tenant.id, order["id"]) == []
    assert balance(tenant.id, who.user_id).cash.balance == D("200.00")
    newer = attempts(tenant.id)[1]
    done = control(sandbox, f"/_fake/3ds/{newer['provider_payment_id']}/complete", {})
    form_post(client, f"/api/payment/3ds/callback/{tenant.slug}", signed_3ds_form(done["form"]))
    row = order_row(tenant.id, order["id"])
    assert row["status"] == "paid" and row["paid_total"] == row["grand_total"] and stock(tenant.id, v) == (8, 0)
    assert balance(tenant.id, who.user_id).cash.balance == D("100.00")
    assert reconciled(tenant.id)


def test_card_topup_credits_the_wallet_once(sandbox: Any, client: Any) -> None:
    tenant = shop()
    who = shopper(client, tenant)
    key = uuid.uuid4().hex
    body = {"amount": "250.50", "flow": "direct", "card": card()}
    first = who.api.post(TOPUP, body, headers={"Idempotency-Key": key})
    assert first.status_code == 201 and first.json["status"] == "succeeded", first.body
    again = who.api.post(TOPUP, body, headers={"Idempotency-Key": key})
    assert again.json["attempt_id"] == first.json["attempt_id"]
    assert balance(tenant.id, who.user_id).cash.balance == D("250.50")
    reconcile_job(client)
    assert balance(tenant.id, who.user_id).cash.balance == D("250.50")
    assert reconciled(tenant.id)
    declined = who.api.post(TOPUP, {**body, "card": card("4111111111111129")}, headers={"Idempotency-Key": "k2"})
    assert declined.status_code == 402 and balance(tenant.id, who.user_id).cash.balance == D("250.50")
