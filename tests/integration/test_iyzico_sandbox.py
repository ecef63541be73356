"""The local iyzico sandbox, driven through the official iyzipay SDK over verified HTTPS.

The SDK opens `http.client.HTTPSConnection(base_url)` with the default trust store and shares one
class-level header dict between all calls; `_Trusting` below trusts our local CA (verification stays
on) and builds its own headers per call, so concurrent calls cannot overwrite each other's signature.
Signatures are recomputed here with hashlib/hmac, independently of the sandbox's and the SDK's code.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import iyzipay
import pytest

from infra.local.fakes import iyzico as sandbox
from infra.local.fakes import local_ca

API_KEY = "test-api-key"
SECRET = "test-secret-key"
SUCCESS_CARD = "5528790000000008"


def _trusting(resource: type) -> type:
    """A subclass of an SDK resource that trusts the sandbox's CA and signs with its own header dict."""

    class Trusting(resource):  # type: ignore[valid-type, misc]
        ca_file = ""
        timeout = 5.0

        def connect(self, method: str, url: str, options: dict[str, str], request_body_dict: Any = None) -> Any:
            context = ssl.create_default_context(cafile=self.ca_file)
            connection = http.client.HTTPSConnection(options["base_url"], context=context, timeout=self.timeout)
            body = json.dumps(request_body_dict)
            random_key = self.generate_random_string(self.RANDOM_STRING_SIZE)
            token = self.generate_v2_hash(options["api_key"], url.split("?")[0], options["secret_key"], random_key,
                                          body)
            headers = {"Accept": "application/json", "Content-type": "application/json",
                       "x-iyzi-rnd": random_key, "Authorization": f"IYZWSv2 {token}"}
            connection.request(method, url, body, headers)
            return connection.getresponse()

    Trusting.__name__ = f"Trusting{resource.__name__}"
    return Trusting


class Client:
    def __init__(self, ca_file: str, base_url: str, api_key: str = API_KEY, secret_key: str = SECRET) -> None:
        self.ca_file = ca_file
        self.options = {"api_key": api_key, "secret_key": secret_key, "base_url": base_url}

    def resource(self, name: str, timeout: float = 5.0) -> Any:
        cls: Any = _trusting(getattr(iyzipay, name))
        cls.ca_file, cls.timeout = self.ca_file, timeout
        return cls()

    def call(self, name: str, verb: str, request: dict[str, Any], timeout: float = 5.0) -> tuple[int, dict[str, Any]]:
        response = getattr(self.resource(name, timeout), verb)(request, self.options)
        return response.status, json.loads(response.read().decode())


@pytest.fixture(scope="module")
def receiver_url() -> list[str]:
    return []


@pytest.fixture(scope="module")
def hooks(receiver_url: list[str]) -> Iterator[list[dict[str, Any]]]:
    """Webhooks received by a tiny local HTTP server (its URL goes into receiver_url)."""
    received: list[dict[str, Any]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"body": json.loads(body), "signature": self.headers.get("X-IYZ-SIGNATURE-V3"),
                             "tenant": self.headers.get("X-Tenant")})
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    receiver_url.append(f"http://127.0.0.1:{receiver.server_address[1]}/hooks/iyzico")
    yield received
    receiver.shutdown()
    receiver.server_close()


@pytest.fixture(scope="module")
def server(hooks: list[dict[str, Any]], receiver_url: list[str]) -> Iterator[sandbox.IyzicoSandbox]:
    srv, _ = sandbox.start(api_key=API_KEY, secret_key=SECRET, webhook_url=receiver_url[0], webhook_headers={"X-Tenant": "t1"})
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def client(server: sandbox.IyzicoSandbox) -> Client:
    return Client(server.ca_file, server.base_url)


def _sig(*values: str) -> str:
    return hmac.new(SECRET.encode(), ":".join(values).encode(), hashlib.sha256).hexdigest()


def _plain(number: Any) -> str:
    """A JSON price as iyzico signs it: 10.5 -> "10.5", 10.0 -> "10"."""
    text = format(Decimal(str(number)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _order(card: str = SUCCESS_CARD, *, prices: tuple[str, ...] = ("6.50", "4.00"), paid: str | None = None,
           conversation: str | None = None, **extra: Any) -> dict[str, Any]:
    total = sum((Decimal(p) for p in prices), Decimal("0"))
    request: dict[str, Any] = {
        "locale": "tr", "conversationId": conversation or str(uuid.uuid4()), "price": str(total),
        "paidPrice": paid or str(total), "currency": "TRY", "installment": "1", "basketId": "B-1001",
        "paymentChannel": "WEB", "paymentGroup": "PRODUCT",
        "paymentCard": {"cardHolderName": "Ayşe Yılmaz", "cardNumber": card, "expireMonth": "12",
                        "expireYear": "2030", "cvc": "123", "registerCard": "0"},
        "buyer": {"id": "BY1", "name": "Ayşe", "surname": "Yılmaz", "gsmNumber": "+905350000000",
                  "email": "ayse@example.com", "identityNumber": "74300864791",
                  "registrationAddress": "Huğlu Mah. No:1", "ip": "85.34.78.112", "city": "Konya",
                  "country": "Turkey", "zipCode": "42700"},
        "shippingAddress": {"contactName": "Ayşe Yılmaz", "city": "Konya", "country": "Turkey",
                            "address": "Huğlu Mah. No:1", "zipCode": "42700"},
        "billingAddress": {"contactName": "Ayşe Yılmaz", "city": "Konya", "country": "Turkey",
                           "address": "Huğlu Mah. No:1", "zipCode": "42700"},
        "basketItems": [{"id": f"I{n}", "name": f"Ürün {n}", "category1": "Av", "itemType": "PHYSICAL", "price": p}
                        for n, p in enumerate(prices)],
    }
    request.update(extra)
    return request


def _pay(client: Client, card: str = SUCCESS_CARD, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    return client.call("Payment", "create", _order(card, **kwargs))


def _assert_payment_signature(body: dict[str, Any]) -> None:
    expected = _sig(body["paymentId"], body["currency"], body["basketId"], body["conversationId"],
                    _plain(body["paidPrice"]), _plain(body["price"]))
    assert body["signature"] == expected


def test_success_payment_has_iyzico_shape_and_valid_signature(client: Client) -> None:
    status, body = _pay(client, prices=("6.50", "4.00"), paid="12.00")
    assert status == 200 and body["status"] == "success", body
    assert body["price"] == 10.5 and body["paidPrice"] == 12.0 and body["installment"] == 1
    assert body["fraudStatus"] == 1 and body["binNumber"] == "552879" and body["lastFourDigits"] == "0008"
    assert body["cardAssociation"] == "MASTER_CARD" and body["phase"] == "AUTH" and body["authCode"]
    items = body["itemTransactions"]
    assert [i["itemId"] for i in items] == ["I0", "I1"]
    assert sum(Decimal(str(i["paidPrice"])) for i in items) == Decimal("12.00")
    _assert_payment_signature(body)
    assert _plain(10.5) == "10.5" and _plain(12.0) == "12"


@pytest.mark.parametrize(("card", "code"), [
    ("4111111111111129", "10051"), ("4129111111111111", "10005"), ("4124111111111116", "10084"),
    ("4121111111111119", "10034"), ("4130111111111118", "10202"), ("4123111111111117", "10057"),
    ("4122111111111118", "10058"),
])
def test_failing_cards_return_iyzico_error_codes(client: Client, card: str, code: str) -> None:
    status, body = _pay(client, card)
    assert status == 200 and body["status"] == "failure" and body["errorCode"] == code
    assert body["errorMessage"] and body["locale"] == "tr" and body["systemTime"] and body["conversationId"]


def test_foreign_card_succeeds_and_fraud_review_gives_status_zero(client: Client, server: Any) -> None:
    status, body = _pay(client, "5400010000000004")
    assert body["status"] == "success" and body["fraudStatus"] == 1
    bins = client.call("BinNumber", "retrieve", {"locale": "tr", "binNumber": "540001"})[1]
    assert bins["bankName"] == ""  # not a Turkish bank
    card = "5890040000000016"
    ctx = ssl.create_default_context(cafile=server.ca_file)
    conn = http.client.HTTPSConnection(server.base_url, context=ctx, timeout=5)
    conn.request("POST", "/_fake/fraud-review", json.dumps({"card": card}))
    assert conn.getresponse().status == 200
    body = _pay(client, card)[1]
    assert body["status"] == "success" and body["fraudStatus"] == 0


def test_bad_authorization_is_rejected(client: Client, server: Any) -> None:
    wrong = Client(server.ca_file, server.base_url, secret_key="not-the-secret")
    status, body = wrong.call("Payment", "create", _order())
    assert status == 401 and body["status"] == "failure" and body["errorCode"] == "1000"
    unknown = Client(server.ca_file, server.base_url, api_key="who")
    assert unknown.call("Payment", "create", _order())[1]["errorCode"] == "1001"
    ctx = ssl.create_default_context(cafile=server.ca_file)
    conn = http.client.HTTPSConnection(server.base_url, context=ctx, timeout=5)
    conn.request("POST", "/payment/auth", json.dumps(_order()), {"Content-Type": "application/json"})
    answer = conn.getresponse()
    assert answer.status == 401 and json.loads(answer.read())["errorCode"] == "11"


def test_tls_is_verified_against_the_local_ca_only(server: Any) -> None:
    conn = http.client.HTTPSConnection(server.base_url, context=ssl.create_default_context(), timeout=5)
    with pytest.raises(ssl.SSLCertVerificationError):
        conn.request("GET", "/_fake/requests")


def test_request_validation(client: Client) -> None:
    bad_sum = _order()
    bad_sum["price"] = "11.00"
    bad_sum["paidPrice"] = "11.00"
    status, body = client.call("Payment", "create", bad_sum)
    assert status == 400 and body["status"] == "failure" and body["errorCode"] == "5062"
    low_paid = _order(paid="5.00")
    assert client.call("Payment", "create", low_paid)[1]["status"] == "failure"
    empty_gsm = _order()
    empty_gsm["buyer"]["gsmNumber"] = ""
    assert client.call("Payment", "create", empty_gsm)[1]["errorCode"] == "11"
    no_gsm = _order()
    del no_gsm["buyer"]["gsmNumber"]
    assert client.call("Payment", "create", no_gsm)[1]["status"] == "success"
    bad_card = _order("5528790000000009")
    assert client.call("Payment", "create", bad_card)[1]["errorCode"] == "12"
    expired = _order()
    expired["paymentCard"]["expireYear"] = "2020"
    assert client.call("Payment", "create", expired)[1]["errorCode"] == "17"


def _threeds(client: Client, server: Any, card: str) -> tuple[dict[str, Any], dict[str, Any]]:
    request = _order(card, callbackUrl="https://shop.example/payments/3ds/callback")
    status, init = client.call("ThreedsInitialize", "create", request)
    assert status == 200 and init["status"] == "success", init
    assert init["signature"] == _sig(init["paymentId"], init["conversationId"])
    page = base64.b64decode(init["threeDSHtmlContent"]).decode()
    assert f"https://{server.base_url}/_bank/3ds/" in page
    ctx = ssl.create_default_context(cafile=server.ca_file)
    conn = http.client.HTTPSConnection(server.base_url, context=ctx, timeout=5)
    conn.request("POST", f"/_fake/3ds/{init['paymentId']}/complete", "{}")
    complete = json.loads(conn.getresponse().read())
    assert complete["callback_url"] == "https://shop.example/payments/3ds/callback"
    return init, complete["form"]


def test_threeds_success_completes_once(client: Client, server: Any) -> None:
    init, form = _threeds(client, server, SUCCESS_CARD)
    assert form["status"] == "success" and form["mdStatus"] == "1" and form["paymentId"] == init["paymentId"]
    assert form["signature"] == _sig(form["conversationData"], form["conversationId"], form["mdStatus"],
                                     form["paymentId"], form["status"])
    request = {"locale": "tr", "conversationId": form["conversationId"], "paymentId": form["paymentId"],
               "conversationData": form["conversationData"]}
    status, body = client.call("ThreedsPayment", "create", request)
    assert status == 200 and body["status"] == "success" and body["mdStatus"] == 1
    _assert_payment_signature(body)
    again = client.call("ThreedsPayment", "create", request)[1]
    assert again["status"] == "failure"


def test_threeds_bank_page_posts_the_callback_fields(client: Client, server: Any) -> None:
    request = _order(callbackUrl="https://shop.example/cb")
    init = client.call("ThreedsInitialize", "create", request)[1]
    page = base64.b64decode(init["threeDSHtmlContent"]).decode()
    path = page.split(f"https://{server.base_url}", 1)[1].split("'", 1)[0]
    conn = http.client.HTTPSConnection(server.base_url, context=ssl.create_default_context(cafile=server.ca_file))
    conn.request("GET", path)
    html_page = conn.getresponse().read().decode()
    assert "action='https://shop.example/cb'" in html_page and "name='mdStatus' value='1'" in html_page


@pytest.mark.parametrize(("card", "md_status"), [("4131111111111117", "0"), ("4141111111111115", "4")])
def test_threeds_md_status_failure(client: Client, server: Any, card: str, md_status: str) -> None:
    init, form = _threeds(client, server, card)
    assert form["status"] == "failure" and form["mdStatus"] == md_status
    body = client.call("ThreedsPayment", "create", {"locale": "tr", "paymentId": init["paymentId"],
                                                    "conversationData": form["conversationData"]})[1]
    assert body["status"] == "failure" and body["errorCode"]


def test_threeds_initialize_failure_card(client: Client) -> None:
    request = _order("4151111111111112", callbackUrl="https://shop.example/cb")
    body = client.call("ThreedsInitialize", "create", request)[1]
    assert body["status"] == "failure" and body["errorCode"] == "10214"


def test_checkout_form_initialize_pay_retrieve(client: Client, server: Any) -> None:
    request = _order(callbackUrl="https://shop.example/checkout/callback")
    del request["paymentCard"]
    status, init = client.call("CheckoutFormInitialize", "create", request)
    assert status == 200 and init["status"] == "success", init
    token = init["token"]
    assert init["signature"] == _sig(init["conversationId"], token)
    assert init["paymentPageUrl"] == f"https://{server.base_url}/_checkout/{token}" and init["tokenExpireTime"]
    assert client.call("CheckoutForm", "retrieve", {"locale": "tr", "token": token})[1]["status"] == "failure"
    conn = http.client.HTTPSConnection(server.base_url, context=ssl.create_default_context(cafile=server.ca_file))
    conn.request("POST", f"/_fake/checkoutform/{token}/pay", json.dumps(
        {"card_number": SUCCESS_CARD, "expire_month": "12", "expire_year": "2030", "cvc": "123", "holder": "A Y"}))
    paid = json.loads(conn.getresponse().read())
    assert paid["callback_url"] == "https://shop.example/checkout/callback" and paid["form"] == {"token": token}
    body = client.call("CheckoutForm", "retrieve", {"locale": "tr", "conversationId": "c-1", "token": token})[1]
    assert body["status"] == "success" and body["paymentStatus"] == "SUCCESS" and body["token"] == token
    assert body["signature"] == _sig("SUCCESS", body["paymentId"], body["currency"], body["basketId"], "c-1",
                                     _plain(body["paidPrice"]), _plain(body["price"]), token)


def test_bin_check_and_installments(client: Client) -> None:
    body = client.call("BinNumber", "retrieve", {"locale": "tr", "conversationId": "b", "binNumber": "552879"})[1]
    assert body["status"] == "success" and body["cardAssociation"] == "MASTER_CARD" and body["bankName"] == "Halkbank"
    info = client.call("InstallmentInfo", "retrieve", {"locale": "tr", "binNumber": "552879", "price": "100"})[1]
    prices = info["installmentDetails"][0]["installmentPrices"]
    assert [p["installmentNumber"] for p in prices] == [1, 2, 3, 6, 9, 12] and prices[0]["totalPrice"] == 100.0
    assert all(p["totalPrice"] >= 100 for p in prices)


def test_cancel(client: Client) -> None:
    paid = _pay(client)[1]
    body = client.call("Cancel", "create", {"locale": "tr", "paymentId": paid["paymentId"], "ip": "1.2.3.4"})[1]
    assert body["status"] == "success" and body["paymentId"] == paid["paymentId"] and body["price"] == 10.5
    assert client.call("Cancel", "create", {"locale": "tr", "paymentId": paid["paymentId"]})[1]["status"] == "failure"


def test_partial_and_full_refund_never_above_paid(client: Client) -> None:
    paid = _pay(client)[1]
    item = paid["itemTransactions"][0]  # 6.50
    request = {"locale": "tr", "paymentTransactionId": item["paymentTransactionId"], "currency": "TRY",
               "ip": "1.2.3.4"}
    first = client.call("Refund", "create", {**request, "price": "2.50"})[1]
    assert first["status"] == "success" and first["price"] == 2.5
    over = client.call("Refund", "create", {**request, "price": "4.01"})[1]
    assert over["status"] == "failure" and over["errorCode"] == "5093"
    rest = client.call("Refund", "create", {**request, "price": "4.00"})[1]
    assert rest["status"] == "success"
    assert client.call("Refund", "create", {**request, "price": "0.01"})[1]["status"] == "failure"
    # v2: by payment, over its remaining paidPrice (4.00 left on the second item)
    v2 = {"locale": "tr", "paymentId": paid["paymentId"], "ip": "1.2.3.4"}
    assert client.call("Payment", "refund", {**v2, "price": "4.01"})[1]["errorCode"] == "5093"
    assert client.call("Payment", "refund", {**v2, "price": "4.00"})[1]["status"] == "success"


def test_card_that_cannot_be_cancelled_or_refunded(client: Client) -> None:
    paid = _pay(client, "5406670000000009")[1]
    assert paid["status"] == "success"
    cancel = client.call("Cancel", "create", {"locale": "tr", "paymentId": paid["paymentId"]})[1]
    refund = client.call("Refund", "create", {"locale": "tr", "price": "1.00", "paymentTransactionId":
                                              paid["itemTransactions"][0]["paymentTransactionId"]})[1]
    assert cancel["status"] == "failure" and refund["status"] == "failure"
    assert cancel["errorCode"] == refund["errorCode"] == "10211"


def test_card_storage_create_list_delete_and_pay_with_token(client: Client) -> None:
    created = client.call("Card", "create", {"locale": "tr", "email": "a@example.com", "externalId": "u1", "card": {
        "cardAlias": "iş", "cardHolderName": "A Y", "cardNumber": SUCCESS_CARD, "expireMonth": "12",
        "expireYear": "2030"}})[1]
    assert created["status"] == "success" and created["lastFourDigits"] == "0008" and "cardNumber" not in created
    user, token = created["cardUserKey"], created["cardToken"]
    listed = client.call("CardList", "retrieve", {"locale": "tr", "cardUserKey": user})[1]
    assert [c["cardToken"] for c in listed["cardDetails"]] == [token]
    order = _order()
    order["paymentCard"] = {"cardUserKey": user, "cardToken": token}
    assert client.call("Payment", "create", order)[1]["status"] == "success"
    deleted = client.call("Card", "delete", {"locale": "tr", "cardUserKey": user, "cardToken": token})[1]
    assert deleted["status"] == "success"
    assert client.call("CardList", "retrieve", {"locale": "tr", "cardUserKey": user})[1]["cardDetails"] == []


def test_drop_after_commit_payment_is_found_by_conversation_id(client: Client, server: Any) -> None:
    conn = http.client.HTTPSConnection(server.base_url, context=ssl.create_default_context(cafile=server.ca_file))
    conn.request("POST", "/_fake/fail", json.dumps({"path": "/payment/auth", "mode": "drop_after_commit"}))
    assert conn.getresponse().status == 200
    conversation = f"order-{uuid.uuid4()}"
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, ssl.SSLError)):
        _pay(client, conversation=conversation)
    detail = client.call("Payment", "retrieve", {"locale": "tr", "conversationId": "r",
                                                 "paymentConversationId": conversation})[1]
    assert detail["status"] == "success" and detail["paymentId"]
    _assert_payment_signature(detail)
    report = client.call("RetrievePaymentDetails", "retrieve", {"paymentId": "", "paymentConversationId": conversation})
    assert report[1]["status"] == "success"
    assert [p["paymentId"] for p in report[1]["payments"]] == [detail["paymentId"]]
    by_id = client.call("RetrievePaymentDetails", "retrieve", {"paymentId": detail["paymentId"]})[1]
    assert by_id["payments"][0]["paymentStatus"] == 1


def test_status_500_is_not_processed(client: Client, server: Any) -> None:
    conn = http.client.HTTPSConnection(server.base_url, context=ssl.create_default_context(cafile=server.ca_file))
    conn.request("POST", "/_fake/fail", json.dumps({"path": "/payment/auth", "mode": "status_500"}))
    conn.getresponse().read()
    conversation = f"order-{uuid.uuid4()}"
    assert _pay(client, conversation=conversation)[0] == 500
    missing = client.call("Payment", "retrieve", {"locale": "tr", "paymentConversationId": conversation})[1]
    assert missing["status"] == "failure"


def test_delay_outlives_the_client_timeout_but_the_payment_happens(client: Client, server: Any) -> None:
    conn = http.client.HTTPSConnection(server.base_url, context=ssl.create_default_context(cafile=server.ca_file))
    conn.request("POST", "/_fake/fail", json.dumps({"path": "/payment/auth", "mode": "delay", "seconds": 0.6}))
    conn.getresponse().read()
    conversation = f"slow-{uuid.uuid4()}"
    with pytest.raises(TimeoutError):
        client.call("Payment", "create", _order(conversation=conversation), timeout=0.2)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        detail = client.call("Payment", "retrieve", {"locale": "tr", "paymentConversationId": conversation})[1]
        if detail["status"] == "success":
            break
        time.sleep(0.1)
    assert detail["status"] == "success"


def test_checkout_page_form_post_retries_after_a_decline(client: Client, server: Any) -> None:
    request = _order(callbackUrl="https://shop.example/cb")
    del request["paymentCard"]
    init = client.call("CheckoutFormInitialize", "create", request)[1]
    path = "/_checkout/" + init["token"]
    ctx = ssl.create_default_context(cafile=server.ca_file)
    conn = http.client.HTTPSConnection(server.base_url, context=ctx, timeout=5)
    conn.request("GET", path)
    assert "<form method='post'" in conn.getresponse().read().decode()
    form = "holder=A+Y&expire_month=12&expire_year=2030&cvc=123&card_number="
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    for card in ("4111111111111129", SUCCESS_CARD):
        conn = http.client.HTTPSConnection(server.base_url, context=ctx, timeout=5)
        conn.request("POST", path, form + card, headers)
        page = conn.getresponse().read().decode()
        assert "action='https://shop.example/cb'" in page and f"value='{init['token']}'" in page
        if card != SUCCESS_CARD:
            declined = client.call("CheckoutForm", "retrieve", {"locale": "en", "token": init["token"]})[1]
            assert declined["paymentStatus"] == "FAILURE" and declined["errorCode"] == "10051"
    paid = client.call("CheckoutForm", "retrieve", {"locale": "tr", "token": init["token"]})[1]
    assert paid["status"] == "success" and paid["paymentStatus"] == "SUCCESS"
    conn = http.client.HTTPSConnection(server.base_url, context=ctx, timeout=5)
    conn.request("POST", path, form + SUCCESS_CARD, headers)
    assert conn.getresponse().status == 409  # a paid token cannot be paid twice


def test_fifty_concurrent_payments_all_carry_valid_auth(client: Client, server: Any) -> None:
    conversations = [f"conc-{uuid.uuid4()}" for _ in range(50)]
    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(lambda c: _pay(client, conversation=c), conversations))
    assert all(status == 200 and body["status"] == "success" for status, body in results)
    assert {body["conversationId"] for _, body in results} == set(conversations)
    for _, body in results:
        _assert_payment_signature(body)
    conn = http.client.HTTPSConnection(server.base_url, context=ssl.create_default_context(cafile=server.ca_file))
    conn.request("GET", "/_fake/requests")
    recorded = json.loads(conn.getresponse().read())["requests"]
    seen = {r["conversationId"]: r for r in recorded if r["conversationId"] in set(conversations)}
    assert len(seen) == 50 and all(r["auth_ok"] and r["path"] == "/payment/auth" for r in seen.values())


def test_webhooks_are_signed_v3_and_redeliverable(client: Client, server: Any, hooks: list[dict[str, Any]]) -> None:
    before = len(server.deliveries)
    conversation = f"hook-{uuid.uuid4()}"
    paid = _pay(client, conversation=conversation)[1]
    failed_conversation = f"hook-{uuid.uuid4()}"
    _pay(client, "4111111111111129", conversation=failed_conversation)
    deliveries = server.wait_for_webhooks(before + 2)
    assert all(d["status"] == 200 for d in deliveries[before:before + 2])
    mine = {h["body"]["paymentConversationId"]: h for h in hooks if h["body"].get("paymentConversationId") in (
        conversation, failed_conversation)}
    ok, bad = mine[conversation], mine[failed_conversation]
    assert ok["body"]["paymentId"] == paid["paymentId"] and ok["body"]["status"] == "SUCCESS"
    assert ok["body"]["iyziEventType"] == "PAYMENT_API" and ok["tenant"] == "t1"
    assert bad["body"]["status"] == "FAILURE"
    for hook in (ok, bad):
        b = hook["body"]
        key = SECRET + b["iyziEventType"] + b["paymentId"] + b["paymentConversationId"] + b["status"]
        assert hook["signature"] == hmac.new(SECRET.encode(), key.encode(), hashlib.sha256).hexdigest()
    count = len(hooks)
    conn = http.client.HTTPSConnection(server.base_url, context=ssl.create_default_context(cafile=server.ca_file))
    conn.request("POST", f"/_fake/webhooks/{before}/redeliver", "{}")
    assert conn.getresponse().status == 200
    assert len(hooks) == count + 1
    assert hooks[-1]["body"] == deliveries[before]["body"] and hooks[-1]["signature"] == deliveries[before]["signature"]


def test_checkout_form_webhook_uses_hpp_signature(client: Client, server: Any, hooks: list[dict[str, Any]]) -> None:
    request = _order(callbackUrl="https://shop.example/cb")
    del request["paymentCard"]
    token = client.call("CheckoutFormInitialize", "create", request)[1]["token"]
    before = len(server.deliveries)
    conn = http.client.HTTPSConnection(server.base_url, context=ssl.create_default_context(cafile=server.ca_file))
    conn.request("POST", f"/_fake/checkoutform/{token}/pay", json.dumps(
        {"card_number": SUCCESS_CARD, "expire_month": "12", "expire_year": "2030", "cvc": "123", "holder": "A Y"}))
    conn.getresponse().read()
    server.wait_for_webhooks(before + 1)
    hook = next(h for h in hooks if h["body"].get("token") == token)
    b = hook["body"]
    assert b["iyziEventType"] == "CHECKOUT_FORM_AUTH" and b["status"] == "SUCCESS"
    key = SECRET + b["iyziEventType"] + b["iyziPaymentId"] + b["token"] + b["paymentConversationId"] + b["status"]
    assert hook["signature"] == hmac.new(SECRET.encode(), key.encode(), hashlib.sha256).hexdigest()


def test_ensure_ca_is_safe_for_concurrent_first_callers(tmp_path: Any) -> None:
    """Eight processes create the CA in an empty directory at once: all end with one usable chain."""
    script = ("import sys; from pathlib import Path; from infra.local.fakes.local_ca import ensure_ca;"
              "f = ensure_ca(Path(sys.argv[1])); sys.stdout.write(f.ca_cert.read_text())")
    root = Path(__file__).resolve().parents[2]
    runs = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "tls")], cwd=root,
                             stdout=subprocess.PIPE, text=True) for _ in range(8)]
    outputs = {run.communicate(timeout=30)[0] for run in runs}
    assert all(run.returncode == 0 for run in runs)
    assert len(outputs) == 1  # everyone saw the same CA, no one made a second one
    files = local_ca.ensure_ca(tmp_path / "tls")
    assert files.ca_cert.read_text() == outputs.pop()
    srv, base_url = sandbox.start(ca=files)
    try:
        conn = http.client.HTTPSConnection(base_url, context=files.client_context(), timeout=5)
        conn.request("GET", "/_fake/requests")
        assert conn.getresponse().status == 200
        localhost = http.client.HTTPSConnection(f"localhost:{base_url.split(':')[1]}", context=files.client_context(),
                                                timeout=5)
        localhost.request("GET", "/_fake/requests")
        assert localhost.getresponse().status == 200
    finally:
        srv.shutdown()
        srv.server_close()
