"""3-D Secure, the hosted checkout form, forged callbacks, iyzico webhooks, fraud review, a late
success for a cancelled order and 50 concurrent payments - through the Chalice test client, the
real adapter over HTTPS and the local sandbox's bank page / hosted page controls."""
# ruff: noqa: F811 - pytest fixtures imported from card_kit are parameters here
from __future__ import annotations

import json
import re
import uuid
from typing import Any

from chalicelib.platform.db import get_db
from tests.helpers import simultaneously
from tests.payments.card_kit import (  # noqa: F401 - fixtures
    INIT_FAILS,
    MD0,
    MD4,
    PROCESS,
    SUCCESS,
    SUCCESS_2,
    attempts,
    calls,
    card,
    client,
    control,
    form_post,
    order_row,
    pay,
    payments_of,
    placed,
    rows,
    sandbox,
    shop,
    signed_3ds_form,
    staff,
    stock,
    tasks,
    webhook,
)


def start_3ds(who: Any, order_id: int, number: str = SUCCESS) -> Any:
    return who.api.post(PROCESS, {"order_id": order_id, "flow": "3ds", "card": card(number)},
                        headers={"Idempotency-Key": uuid.uuid4().hex})


def provider_payment_id(tenant_id: int, attempt_id: int) -> str:
    return str(rows("SELECT provider_payment_id FROM payment_attempts WHERE tenant_id = %s AND id = %s",
                    tenant_id, attempt_id)[0]["provider_payment_id"])


def status_of(page: Any) -> str:
    found = re.search(r"data-status='([a-z_0-9]+)'", page.body.decode() if isinstance(page.body, bytes) else page.body)
    return found.group(1) if found else ""


def unchanged(tenant: Any, order: dict[str, Any], v: int) -> None:
    assert order_row(tenant.id, order["id"])["status"] == "pending_payment"
    assert stock(tenant.id, v) == (10, 2) and payments_of(tenant.id, order["id"]) == []


# -- 3-D Secure ------------------------------------------------------------------------------------
def test_3ds_success_through_the_bank_page_and_our_callback(sandbox: Any, client: Any) -> None:
    tenant = shop(require_3ds=True)
    who, order, v = placed(client, tenant)
    started = start_3ds(who, order["id"])
    assert started.status_code == 201, started.body
    assert started.json["status"] == "pending_3ds" and "<form" in started.json["html_content"]
    unchanged(tenant, order, v)
    attempt_id = started.json["attempt_id"]
    done = control(sandbox, f"/_fake/3ds/{provider_payment_id(tenant.id, attempt_id)}/complete", {})
    assert done["callback_url"].endswith(f"/api/payment/3ds/callback/{tenant.slug}")
    page = form_post(client, f"/api/payment/3ds/callback/{tenant.slug}", done["form"])
    assert page.status_code == 200 and status_of(page) == "succeeded"
    assert order_row(tenant.id, order["id"])["status"] == "paid" and stock(tenant.id, v) == (8, 0)
    again = form_post(client, f"/api/payment/3ds/callback/{tenant.slug}", done["form"])  # the browser's back button
    assert status_of(again) == "succeeded" and len(payments_of(tenant.id, order["id"])) == 1
    assert len(calls(sandbox, "/payment/3dsecure/auth")) >= 1


def test_the_bank_sends_the_browser_to_the_configured_public_api_url(sandbox: Any, client: Any,
                                                                     monkeypatch: Any) -> None:
    """PUBLIC_API_URL (production, `make dev`'s plain-HTTP local API) wins over the request's Host."""
    from chalicelib.platform.config import reset_settings

    monkeypatch.setenv("PUBLIC_API_URL", "https://api.huglu.example/")
    reset_settings()
    try:
        tenant = shop(require_3ds=True)
        who, order, _ = placed(client, tenant)
        started = start_3ds(who, order["id"])
        done = control(sandbox, f"/_fake/3ds/{provider_payment_id(tenant.id, started.json['attempt_id'])}/complete",
                       {})
        assert done["callback_url"] == f"https://api.huglu.example/api/payment/3ds/callback/{tenant.slug}"
    finally:
        monkeypatch.delenv("PUBLIC_API_URL")
        reset_settings()


def test_3ds_callback_redirects_to_the_shops_result_page(sandbox: Any, client: Any) -> None:
    from tests.conftest import make_tenant

    tenant = make_tenant(domain="shop.example.com", settings={"payments": {"card_flow": "direct"}})
    who, order, _ = placed(client, tenant)
    started = start_3ds(who, order["id"])
    done = control(sandbox, f"/_fake/3ds/{provider_payment_id(tenant.id, started.json['attempt_id'])}/complete", {})
    page = form_post(client, f"/api/payment/3ds/callback/{tenant.slug}", done["form"])
    assert page.status_code == 303
    assert page.headers["Location"].startswith("https://shop.example.com/payment/result?attempt=")


def test_3ds_md_status_0_and_4_fail_and_leave_the_order_payable(sandbox: Any, client: Any) -> None:
    tenant = shop(require_3ds=True)
    for number in (MD0, MD4):
        who, order, v = placed(client, tenant)
        started = start_3ds(who, order["id"], number)
        assert started.status_code == 201
        done = control(sandbox, f"/_fake/3ds/{provider_payment_id(tenant.id, started.json['attempt_id'])}/complete",
                       {})
        assert done["form"]["mdStatus"] in ("0", "4")
        page = form_post(client, f"/api/payment/3ds/callback/{tenant.slug}", done["form"])
        assert status_of(page) == "failed"
        unchanged(tenant, order, v)
        shown = who.api.get(f"/api/payment/attempts/{started.json['attempt_id']}").json
        assert shown["status"] == "failed" and shown["failure_code"] == "threeds_failed"


def test_3ds_initialize_failure_is_402(sandbox: Any, client: Any) -> None:
    tenant = shop(require_3ds=True)
    who, order, v = placed(client, tenant)
    response = start_3ds(who, order["id"], INIT_FAILS)
    assert response.status_code == 402 and response.json["error"]["code"] == "threeds_failed"
    unchanged(tenant, order, v)


def test_forged_3ds_callbacks_change_nothing(sandbox: Any, client: Any) -> None:
    tenant = shop(require_3ds=True)
    who, order, v = placed(client, tenant)
    started = start_3ds(who, order["id"], MD0)
    attempt_id = started.json["attempt_id"]
    payment_id = provider_payment_id(tenant.id, attempt_id)
    conversation = rows("SELECT conversation_id FROM payment_attempts WHERE id = %s", attempt_id)[0]["conversation_id"]
    url = f"/api/payment/3ds/callback/{tenant.slug}"
    forged = {"status": "success", "paymentId": payment_id, "conversationId": conversation, "mdStatus": "1",
              "conversationData": "x"}
    # a wrong signature
    page = form_post(client, url, {**forged, "signature": "0" * 64})
    assert status_of(page) == "pending_3ds"
    # signed by someone without our secret
    page = form_post(client, url, {**forged, "signature": signed_3ds_form({**forged, "paymentId": "1"})["signature"]})
    assert status_of(page) == "pending_3ds"
    # another payment's id
    page = form_post(client, url, signed_3ds_form({**forged, "paymentId": "999999"}))
    assert status_of(page) == "pending_3ds"
    # unknown conversation id, another tenant's slug, junk
    assert status_of(form_post(client, url, {**forged, "conversationId": uuid.uuid4().hex})) == "not_found"
    assert status_of(form_post(client, "/api/payment/3ds/callback/no-such-shop", forged)) == "not_found"
    junk = client.http.post(url, body=b"\xff\xfe%%%=&&=\x00", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert junk.status_code == 200
    unchanged(tenant, order, v)
    # mdStatus 1 unsigned: asked server-to-server, iyzico says no (the bank never confirmed it)
    page = form_post(client, url, forged)
    assert status_of(page) == "failed"
    unchanged(tenant, order, v)


# -- checkout form ---------------------------------------------------------------------------------
def test_checkout_form_is_the_default_and_pays_through_the_hosted_page(sandbox: Any, client: Any) -> None:
    tenant = shop(flow="checkout_form")
    who, order, v = placed(client, tenant)
    started = who.api.post(PROCESS, {"order_id": order["id"]}, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert started.status_code == 201, started.body
    body = started.json
    assert body["status"] == "pending_form" and body["payment_page_url"] and body["token"] and body["expires_at"]
    assert body["flow"] == "checkout_form" and body["card_last4"] is None
    url = f"/api/payment/checkout-form/callback/{tenant.slug}"
    early = form_post(client, url, {"token": body["token"]})  # not paid yet
    assert status_of(early) == "pending_form"
    unchanged(tenant, order, v)
    paid = control(sandbox, f"/_fake/checkoutform/{body['token']}/pay",
                   {"card_number": SUCCESS, "expire_month": "12", "expire_year": "2030", "cvc": "123",
                    "holder": "Ayşe Yılmaz"})
    page = form_post(client, url, paid["form"])
    assert status_of(page) == "succeeded"
    assert order_row(tenant.id, order["id"])["status"] == "paid" and stock(tenant.id, v) == (8, 0)
    assert len(payments_of(tenant.id, order["id"])) == 1


def test_forged_checkout_form_returns_change_nothing(sandbox: Any, client: Any) -> None:
    tenant, other = shop(flow="checkout_form"), shop(flow="checkout_form")
    who, order, v = placed(client, tenant)
    token = who.api.post(PROCESS, {"order_id": order["id"]}, headers={"Idempotency-Key": uuid.uuid4().hex}).json["token"]
    control(sandbox, f"/_fake/checkoutform/{token}/pay", {"card_number": SUCCESS, "expire_month": "12",
                                                          "expire_year": "2030", "cvc": "123", "holder": "A B"})
    # the token posted to another tenant's callback, and a made-up token
    assert status_of(form_post(client, f"/api/payment/checkout-form/callback/{other.slug}", {"token": token})) \
        == "not_found"
    assert status_of(form_post(client, f"/api/payment/checkout-form/callback/{tenant.slug}",
                               {"token": str(uuid.uuid4())})) == "not_found"
    unchanged(tenant, order, v)
    assert attempts(other.id) == []


# -- webhooks ----------------------------------------------------------------------------------------
def test_webhook_settles_a_lost_payment_once_and_a_forged_one_is_401(sandbox: Any, client: Any) -> None:
    tenant = shop()
    who, order, v = placed(client, tenant)
    control(sandbox, "/_fake/fail", {"path": "/payment/auth", "mode": "drop_after_commit", "times": 1})
    lost = pay(who.api, order["id"])
    assert lost.status_code == 202
    attempt = rows("SELECT conversation_id FROM payment_attempts WHERE id = %s", lost.json["attempt_id"])[0]
    found = control(sandbox, "/_fake/requests")["requests"]
    assert any(r["conversationId"] == attempt["conversation_id"] for r in found)
    event = {"paymentConversationId": attempt["conversation_id"], "merchantId": 3398741, "status": "SUCCESS",
             "iyziReferenceCode": str(uuid.uuid4()), "iyziEventType": "PAYMENT_API", "iyziEventTime": 1,
             "paymentId": "123"}
    forged = webhook(client, tenant.slug, event, signature="ab" * 32)
    assert forged.status_code == 401 and json.loads(forged.body)["error"]["code"] == "webhook_signature_invalid"
    assert rows("SELECT 1 FROM payment_webhook_events WHERE tenant_id = %s", tenant.id) == []
    assert order_row(tenant.id, order["id"])["status"] == "pending_payment"
    first = webhook(client, tenant.slug, event)
    assert first.status_code == 200 and json.loads(first.body)["status"] == "accepted"
    replay = webhook(client, tenant.slug, event)
    assert replay.status_code == 200 and json.loads(replay.body)["status"] == "duplicate"
    assert order_row(tenant.id, order["id"])["status"] == "paid" and stock(tenant.id, v) == (8, 0)
    assert len(payments_of(tenant.id, order["id"])) == 1
    # the webhook's own word is not trusted: a signed "SUCCESS" for a declined payment pays nothing
    who2, order2, v2 = placed(client, tenant)
    assert pay(who2.api, order2["id"], "4111111111111129").status_code == 402
    conv2 = rows("SELECT conversation_id FROM payment_attempts WHERE order_id = %s", order2["id"])[0]["conversation_id"]
    webhook(client, tenant.slug, {**event, "iyziReferenceCode": str(uuid.uuid4()), "paymentConversationId": conv2})
    unchanged(tenant, order2, v2)


# -- fraud review ----------------------------------------------------------------------------------
def test_fraud_review_holds_the_order_until_staff_approve_or_reject(sandbox: Any, client: Any) -> None:
    tenant = shop()
    control(sandbox, "/_fake/fraud-review", {"card": SUCCESS_2, "enabled": True})
    try:
        who, order, v = placed(client, tenant)
        held = pay(who.api, order["id"], SUCCESS_2)
        assert held.status_code == 201 and held.json["status"] == "review"
        unchanged(tenant, order, v)
        assert [(t["kind"], t["status"]) for t in tasks(tenant.id)] == [("fraud_review", "open")]
        admin = staff(client, tenant)
        approved = admin.post(f"/api/admin/payments/{held.json['attempt_id']}/approve-review", {"note": "called"})
        assert approved.status_code == 200 and approved.json["status"] == "succeeded", approved.body
        assert order_row(tenant.id, order["id"])["status"] == "paid" and stock(tenant.id, v) == (8, 0)
        assert [(t["kind"], t["status"]) for t in tasks(tenant.id)] == [("fraud_review", "done")]
        again = admin.post(f"/api/admin/payments/{held.json['attempt_id']}/reject-review", {})
        assert again.status_code == 409

        who2, order2, v2 = placed(client, tenant)
        held2 = pay(who2.api, order2["id"], SUCCESS_2)
        cancels = len(calls(sandbox, "/payment/cancel"))
        rejected = admin.post(f"/api/admin/payments/{held2.json['attempt_id']}/reject-review", {"note": "stolen"})
        assert rejected.status_code == 200 and rejected.json["status"] == "rejected", rejected.body
        assert len(calls(sandbox, "/payment/cancel")) == cancels + 1
        unchanged(tenant, order2, v2)
    finally:
        control(sandbox, "/_fake/fraud-review", {"card": SUCCESS_2, "enabled": False})


# -- a success for an order no longer payable ------------------------------------------------------------
def test_a_late_3ds_success_for_a_cancelled_order_is_cancelled_at_iyzico(sandbox: Any, client: Any) -> None:
    from chalicelib.orders import api as orders

    tenant = shop(require_3ds=True)
    who, order, v = placed(client, tenant)
    started = start_3ds(who, order["id"])

    def cancel(uow: Any) -> None:
        orders.cancel_locked(uow, orders.lock_order(uow, tenant.id, order["id"]), orders.SYSTEM, "expired")
        uow.commit()

    get_db().transaction(cancel)
    done = control(sandbox, f"/_fake/3ds/{provider_payment_id(tenant.id, started.json['attempt_id'])}/complete", {})
    cancels = len(calls(sandbox, "/payment/cancel"))
    page = form_post(client, f"/api/payment/3ds/callback/{tenant.slug}", done["form"])
    assert status_of(page) == "cancelled"
    assert len(calls(sandbox, "/payment/cancel")) == cancels + 1
    assert order_row(tenant.id, order["id"])["status"] == "cancelled" and stock(tenant.id, v) == (10, 0)
    assert payments_of(tenant.id, order["id"]) == [] and tasks(tenant.id) == []


# -- concurrency -------------------------------------------------------------------------------------
def test_50_concurrent_card_payments_each_charge_once_with_valid_auth(sandbox: Any, client: Any) -> None:
    tenant = shop()
    orders_ = [placed(client, tenant, price="10.00", quantity=1) for _ in range(50)]
    before = len(calls(sandbox, "/payment/auth"))
    results = simultaneously(*[(lambda w=w, o=o: pay(w.api, o["id"])) for w, o, _ in orders_])
    assert [r.status_code for r in results] == [201] * 50, [r.body for r in results if r.status_code != 201][:3]
    made = calls(sandbox, "/payment/auth")[before:]
    assert len(made) == 50 and all(r["auth_ok"] for r in made)
    assert len({r["conversationId"] for r in made}) == 50
    for _, o, _ in orders_:
        row = order_row(tenant.id, o["id"])
        assert row["status"] == "paid"
        assert [p["amount"] for p in payments_of(tenant.id, o["id"])] == [row["grand_total"]]
