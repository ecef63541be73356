"""Card refunds and cancels (issue 12 items 7 and 10) end to end: orders placed through checkout,
paid by card at the local iyzico sandbox over HTTPS through the real adapter, refunds asked by
the orders area (RefundRequested / PaymentRefundRequested), carried out by the payment-refunds
consumer or the admin routes, checked against the sandbox's own records."""
from __future__ import annotations

import json
import uuid
from decimal import Decimal as D
from typing import Any

from chalicelib.orders.api import PAYMENT_REFUNDS_QUEUE
from chalicelib.payments import refund_handlers
from chalicelib.platform import queue
from chalicelib.platform.db import get_db
from tests.conftest import Api, make_tenant
from tests.payments import refund_kit
from tests.payments.payments_kit import staff
from tests.payments.refund_kit import (
    NO_REFUND,
    a_return,
    calls,
    card_order,
    card_tasks,
    control,
    items_of,
    order_row,
    refund_events,
    refunds_of,
    reporting,
    request_refund,
    rows,
)

CANCEL, REFUND = "/payment/cancel", "/payment/refund"

# the module's fixtures: the sandbox, and an app with the routes these tests call
sandbox = refund_kit.sandbox
client = refund_kit.client


def _deliver(message: dict[str, Any]) -> dict[str, Any]:
    """One SQS delivery of the message through queue.consume (a fresh message id per delivery,
    so the consumer's memory of handled ids does not hide a redelivery)."""
    body = {**message, "id": f"{message['id']}-{uuid.uuid4().hex[:8]}"}
    return queue.consume(PAYMENT_REFUNDS_QUEUE, {"Records": [{"messageId": "m-1", "body": json.dumps(body)}]},
                         refund_handlers.handle_event)


def _their_refunded(sandbox: Any, provider_payment_id: str) -> dict[str, D]:
    payment = reporting(sandbox, provider_payment_id)
    return {t["itemId"]: D(str(t["refundedPrice"])).quantize(D("0.01")) for t in payment["itemTransactions"]}


# -- the consumer ------------------------------------------------------------------------------------
def test_a_cancelled_card_order_is_cancelled_at_iyzico_the_same_day_once(client, tenant, sandbox):
    co = card_order(client, tenant, prices=("500.00", "250.00"))
    cancelled = co.who.api.post(f"/api/orders/{co.order['id']}/cancel", {})
    assert cancelled.status_code == 200, cancelled.body
    (message,) = refund_events(tenant.id, co.order["id"])
    (asked,) = message["payload"]["refunds"]
    assert asked["payment_id"] == co.payment_id and D(str(asked["amount"])) == co.paid

    assert _deliver(message) == {"batchItemFailures": []}
    refund_handlers.handle_event(message)  # the same event again, past the consumer's memory

    assert len(calls(sandbox, CANCEL, f"cancel-{asked['id']}")) == 1
    assert calls(sandbox, REFUND, f"refund-{asked['id']}-") == []
    assert reporting(sandbox, co.provider_payment_id)["cancelled"] is True
    (refund,) = refunds_of(tenant.id, co.payment_id)
    assert refund["status"] == "succeeded" and refund["provider_refund_id"].startswith("iyzico-cancel:")
    shown = order_row(tenant.id, co.order["id"])
    assert shown["status"] == "cancelled" and shown["payment_status"] == "refunded"
    assert shown["refunded_total"] == co.paid
    assert all(v > 0 for v in items_of(tenant.id, co.attempt_id).values())
    assert rows("SELECT status FROM payment_attempts WHERE tenant_id = %s AND id = %s",
                tenant.id, co.attempt_id)[0]["status"] == "cancelled"


def test_a_returned_item_is_refunded_on_its_own_basket_item(client, tenant, sandbox):
    co = card_order(client, tenant, prices=("300.00", "200.00"))
    small = next(line for line in co.lines if line["line_total"] == D("200.00"))
    return_id = a_return(tenant.id, co.order["id"], co.who.user_id, [small["order_item_id"]])
    (refund_id,) = request_refund(tenant.id, co.order["id"], D("200.00"), return_id=return_id)
    (message,) = refund_events(tenant.id, co.order["id"])

    assert _deliver(message) == {"batchItemFailures": []}
    refund_handlers.handle_event(message)

    (call,) = calls(sandbox, REFUND, f"refund-{refund_id}-")
    assert call["conversationId"] == f"refund-{refund_id}-{small['order_item_id']}"
    assert calls(sandbox, CANCEL, f"cancel-{refund_id}") == []
    refunded = items_of(tenant.id, co.attempt_id)
    assert refunded[str(small["order_item_id"])] == D("200.00")
    assert sum(refunded.values()) == D("200.00")
    assert _their_refunded(sandbox, co.provider_payment_id) == refunded
    assert refunds_of(tenant.id, co.payment_id)[0]["status"] == "succeeded"
    shown = order_row(tenant.id, co.order["id"])
    assert shown["payment_status"] == "partially_refunded" and shown["refunded_total"] == D("200.00")


def test_two_partial_refunds_then_the_rest(client, tenant, sandbox):
    co = card_order(client, tenant, prices=("300.00", "200.00"))
    for amount in (D("100.00"), D("250.00"), co.paid):  # the last: all that is left
        request_refund(tenant.id, co.order["id"], amount)
        refund_handlers.handle_event(refund_events(tenant.id, co.order["id"])[-1])
    asked = refunds_of(tenant.id, co.payment_id)
    assert [r["amount"] for r in asked] == [D("100.00"), D("250.00"), co.paid - D("350.00")]
    assert all(r["status"] == "succeeded" for r in asked)
    refunded = items_of(tenant.id, co.attempt_id)
    assert sum(refunded.values()) == co.paid
    assert _their_refunded(sandbox, co.provider_payment_id) == refunded
    # largest room first: the first 100 came off the 300 line (one call, one item)
    first = calls(sandbox, REFUND, f"refund-{asked[0]['id']}-")
    big = next(line for line in co.lines if line["line_total"] == D("300.00"))
    assert [c["conversationId"] for c in first] == [f"refund-{asked[0]['id']}-{big['order_item_id']}"]
    shown = order_row(tenant.id, co.order["id"])
    assert shown["payment_status"] == "refunded" and shown["refunded_total"] == co.paid
    assert calls(sandbox, CANCEL, f"cancel-{asked[0]['id']}") == []


def test_a_card_that_cannot_be_refunded_opens_one_task_and_staff_close_it(client, tenant, sandbox):
    co = card_order(client, tenant, prices=("400.00",), card=NO_REFUND)
    assert co.who.api.post(f"/api/orders/{co.order['id']}/cancel", {}).status_code == 200
    (message,) = refund_events(tenant.id, co.order["id"])
    refund_id = message["payload"]["refunds"][0]["id"]

    assert _deliver(message) == {"batchItemFailures": []}  # handled: not retried forever
    assert _deliver(message) == {"batchItemFailures": []}  # a second delivery
    (task,) = card_tasks(tenant.id)
    assert task["refund_id"] == refund_id and task["status"] == "open" and task["amount"] == co.paid
    assert refunds_of(tenant.id, co.payment_id)[0]["status"] == "requested"
    assert order_row(tenant.id, co.order["id"])["payment_status"] == "refund_pending"
    # one cancel try and one refund try, from the first delivery only
    assert len(calls(sandbox, CANCEL, f"cancel-{refund_id}")) == 1
    assert len(calls(sandbox, REFUND, f"refund-{refund_id}-")) == 1

    finance = staff(client, tenant)
    done = finance.post(f"/api/admin/payment-tasks/{task['id']}/done", {"note": "EFT ile iade edildi, ref 123"})
    assert done.status_code == 200, done.body
    (refund,) = refunds_of(tenant.id, co.payment_id)
    assert refund["status"] == "succeeded" and refund["provider_refund_id"] == "manual"
    assert order_row(tenant.id, co.order["id"])["payment_status"] == "refunded"
    _deliver(message)  # and a late redelivery changes nothing
    assert len(card_tasks(tenant.id)) == 1 and len(calls(sandbox, REFUND, f"refund-{refund_id}-")) == 1


def test_iyzico_unavailable_fails_the_message_and_a_redelivery_refunds_once(client, tenant, sandbox):
    co = card_order(client, tenant, prices=("300.00", "200.00"))
    (refund_id,) = request_refund(tenant.id, co.order["id"], D("120.00"))
    (message,) = refund_events(tenant.id, co.order["id"])
    control(sandbox, "/_fake/fail", {"path": REFUND, "mode": "status_500", "times": 1})

    assert _deliver(message) == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert refunds_of(tenant.id, co.payment_id)[0]["status"] == "requested" and card_tasks(tenant.id) == []
    assert sum(_their_refunded(sandbox, co.provider_payment_id).values()) == 0

    assert _deliver(message) == {"batchItemFailures": []}
    assert refunds_of(tenant.id, co.payment_id)[0]["status"] == "succeeded"
    assert sum(_their_refunded(sandbox, co.provider_payment_id).values()) == D("120.00")
    assert sum(items_of(tenant.id, co.attempt_id).values()) == D("120.00")
    assert refund_id == refunds_of(tenant.id, co.payment_id)[0]["id"]


def test_a_refund_whose_answer_was_lost_is_found_at_iyzico_not_sent_twice(client, tenant, sandbox):
    """The crash between iyzico's refund and our commit: the sandbox refunds and drops the
    connection; the redelivery reads the payment at iyzico and books what went back."""
    co = card_order(client, tenant, prices=("300.00", "200.00"))
    (refund_id,) = request_refund(tenant.id, co.order["id"], D("80.00"))
    (message,) = refund_events(tenant.id, co.order["id"])
    control(sandbox, "/_fake/fail", {"path": REFUND, "mode": "drop_after_commit", "times": 1})

    assert _deliver(message)["batchItemFailures"]  # IyzicoUnavailable: SQS will deliver it again
    assert refunds_of(tenant.id, co.payment_id)[0]["status"] == "requested"
    assert sum(_their_refunded(sandbox, co.provider_payment_id).values()) == D("80.00")  # it did go through

    assert _deliver(message) == {"batchItemFailures": []}
    assert len(calls(sandbox, REFUND, f"refund-{refund_id}-")) == 1  # never sent again
    assert sum(_their_refunded(sandbox, co.provider_payment_id).values()) == D("80.00")
    assert items_of(tenant.id, co.attempt_id) == _their_refunded(sandbox, co.provider_payment_id)
    assert refunds_of(tenant.id, co.payment_id)[0]["status"] == "succeeded"


def test_a_cancel_whose_answer_was_lost_is_found_cancelled_at_iyzico(client, tenant, sandbox):
    co = card_order(client, tenant, prices=("220.00",))
    assert co.who.api.post(f"/api/orders/{co.order['id']}/cancel", {}).status_code == 200
    (message,) = refund_events(tenant.id, co.order["id"])
    refund_id = message["payload"]["refunds"][0]["id"]
    control(sandbox, "/_fake/fail", {"path": CANCEL, "mode": "drop_after_commit", "times": 1})

    assert _deliver(message)["batchItemFailures"]
    assert reporting(sandbox, co.provider_payment_id)["cancelled"] is True
    assert refunds_of(tenant.id, co.payment_id)[0]["status"] == "requested"

    assert _deliver(message) == {"batchItemFailures": []}
    assert len(calls(sandbox, CANCEL, f"cancel-{refund_id}")) == 1
    assert calls(sandbox, REFUND, f"refund-{refund_id}-") == []
    assert refunds_of(tenant.id, co.payment_id)[0]["status"] == "succeeded"
    assert order_row(tenant.id, co.order["id"])["payment_status"] == "refunded"


# -- staff -----------------------------------------------------------------------------------------
def _refund(api: Api, attempt_id: int, body: Any, key: str | None = None) -> Any:
    return api.post(f"/api/admin/payments/{attempt_id}/refund", body,
                    headers={"Idempotency-Key": key or uuid.uuid4().hex})


def _cancel(api: Api, attempt_id: int, body: Any, key: str | None = None) -> Any:
    return api.post(f"/api/admin/payments/{attempt_id}/cancel", body,
                    headers={"Idempotency-Key": key or uuid.uuid4().hex})


def test_staff_refund_part_then_the_rest_with_replay(client, tenant, sandbox):
    co = card_order(client, tenant, prices=("300.00", "200.00"))
    finance = staff(client, tenant)
    key = uuid.uuid4().hex
    first = _refund(finance, co.attempt_id, {"amount": "50.00", "reason": "Kusurlu ürün"}, key)
    assert first.status_code == 201, first.body
    assert first.json["status"] == "succeeded" and first.json["via"] == "refund"
    assert D(str(first.json["amount"])) == D("50.00") and first.json["order_id"] == co.order["id"]
    again = _refund(finance, co.attempt_id, {"amount": "50.00", "reason": "Kusurlu ürün"}, key)
    assert again.status_code == 201 and again.json["refund_id"] == first.json["refund_id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert sum(_their_refunded(sandbox, co.provider_payment_id).values()) == D("50.00")
    assert order_row(tenant.id, co.order["id"])["payment_status"] == "partially_refunded"

    small = next(line for line in co.lines if line["line_total"] == D("200.00"))
    named = _refund(finance, co.attempt_id, {"reason": "Bir kalem", "amount": None,
                                             "items": [{"order_item_id": small["order_item_id"], "amount": "20.00"}]})
    assert named.status_code == 201, named.body
    assert items_of(tenant.id, co.attempt_id)[str(small["order_item_id"])] == D("20.00")

    rest = _refund(finance, co.attempt_id, {"amount": None, "reason": "Kalan her şey", "items": None})
    assert rest.status_code == 201, rest.body
    assert D(str(rest.json["amount"])) == co.paid - D("70.00") and rest.json["status"] == "succeeded"
    assert order_row(tenant.id, co.order["id"])["payment_status"] == "refunded"
    assert sum(_their_refunded(sandbox, co.provider_payment_id).values()) == co.paid
    nothing = _refund(finance, co.attempt_id, {"reason": "Yine"})
    assert nothing.status_code == 409 and nothing.json["error"]["code"] == "payment_nothing_to_refund"


def test_staff_refund_refuses_bad_requests(client, tenant, sandbox):
    co = card_order(client, tenant, prices=("300.00",))
    finance = staff(client, tenant)
    for bad in ({"amount": "0", "reason": "Sıfır"}, {"amount": "-5.00", "reason": "Eksi"},
                {"amount": "1.234", "reason": "Üç basamak"}, {"amount": "5.00"}, {"amount": "5.00", "reason": None},
                {"amount": str(co.paid + 1), "reason": "Fazla"}, {"amount": "5.00", "reason": "x", "extra": 1},
                {"reason": "Kalem yok", "items": [{"order_item_id": 999999999, "amount": "5.00"}]}):
        answer = _refund(finance, co.attempt_id, bad)
        assert answer.status_code == 400, (bad, answer.body)
    without_key = finance.post(f"/api/admin/payments/{co.attempt_id}/refund", {"reason": "Anahtarsız"})
    assert without_key.status_code == 400
    other = make_tenant()
    stranger = staff(client, other)
    assert _refund(stranger, co.attempt_id, {"reason": "Başka mağaza"}).status_code == 404
    assert _cancel(stranger, co.attempt_id, {"reason": "Başka mağaza"}).status_code == 404
    customer = co.who.api.post(f"/api/admin/payments/{co.attempt_id}/refund", {"reason": "Müşteri"},
                               headers={"Idempotency-Key": uuid.uuid4().hex})
    assert customer.status_code in (401, 403)
    assert refunds_of(tenant.id, co.payment_id) == []
    assert sum(_their_refunded(sandbox, co.provider_payment_id).values()) == 0


def test_staff_cancel_the_same_day_cancels_the_paid_order(client, tenant, sandbox):
    co = card_order(client, tenant, prices=("450.00",))
    finance = staff(client, tenant)
    assert _cancel(finance, co.attempt_id, {}).status_code == 400  # reason required
    answer = _cancel(finance, co.attempt_id, {"reason": "Müşteri vazgeçti"})
    assert answer.status_code == 201, answer.body
    assert answer.json["status"] == "succeeded" and answer.json["via"] == "cancel"
    assert len(calls(sandbox, CANCEL, f"cancel-{answer.json['refund_id']}")) == 1
    shown = order_row(tenant.id, co.order["id"])
    assert shown["status"] == "cancelled" and shown["payment_status"] == "refunded"
    assert reporting(sandbox, co.provider_payment_id)["cancelled"] is True
    again = _cancel(finance, co.attempt_id, {"reason": "Müşteri vazgeçti"})
    assert again.status_code == 409  # the attempt is cancelled now


def test_staff_cancel_is_refused_another_day_or_after_a_refund(client, tenant, sandbox):
    finance = staff(client, tenant)
    co = card_order(client, tenant, prices=("300.00",))
    assert _refund(finance, co.attempt_id, {"amount": "10.00", "reason": "Kısmi"}).status_code == 201
    refused = _cancel(finance, co.attempt_id, {"reason": "İptal"})
    assert refused.status_code == 409 and refused.json["error"]["details"]["why"] == "partly_refunded"

    old = card_order(client, tenant, prices=("300.00",), who=co.who)
    get_db().session().execute("UPDATE payment_attempts SET created_at = created_at - INTERVAL 2 DAY "
                               "WHERE tenant_id = %s AND id = %s", (tenant.id, old.attempt_id))
    late = _cancel(finance, old.attempt_id, {"reason": "İptal"})
    assert late.status_code == 409 and late.json["error"]["details"]["why"] == "not_same_day"
    assert order_row(tenant.id, old.order["id"])["status"] == "paid"
    # a refund of the whole payment another day goes back per item, not by cancel
    whole = _refund(finance, old.attempt_id, {"reason": "Tamamı"})
    assert whole.status_code == 201 and whole.json["via"] == "refund", whole.body
    assert calls(sandbox, CANCEL, f"cancel-{whole.json['refund_id']}") == []
    assert sum(_their_refunded(sandbox, old.provider_payment_id).values()) == old.paid
