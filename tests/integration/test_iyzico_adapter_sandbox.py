"""The iyzico adapter over real HTTPS.

Part 1 runs against small local HTTPS servers (certificates from infra/local/fakes/local_ca.py)
that misbehave the ways a network and a provider do: slow, reset, 5xx, HTML, unsigned or
wrongly signed successes; one of them checks every request's IYZWSv2 header under concurrency.

Part 2 runs against the local iyzico sandbox (infra/local/fakes/iyzico.py): its sandbox cards,
the 3DS and checkout-form control endpoints and a lost-response failure.  Those tests are
skipped only when that module does not exist.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import ssl
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from chalicelib.adapters.iyzico import (
    Address,
    BasketItem,
    Buyer,
    Card,
    Credentials,
    IyzicoClient,
    IyzicoRejected,
    IyzicoSignatureError,
    IyzicoUnavailable,
    PaymentRequest,
    verify_3ds_callback,
)
from chalicelib.adapters.iyzico import verify_webhook as iyzico_verify_webhook
from chalicelib.platform.config import DEV_IYZICO_API_KEY, DEV_IYZICO_SECRET_KEY
from infra.local.fakes.local_ca import ensure_ca

KEY, SECRET = "int-key", "int-secret"
SUCCESS_CARD = "5528790000000008"
NO_FUNDS_CARD = "4111111111111129"
MD_STATUS_0_CARD = "4131111111111117"
NO_REFUND_CARD = "5406670000000009"


def payment(card_number: str = SUCCESS_CARD, conversation_id: str | None = None, price: str = "100.00",
            callback_url: str | None = None) -> PaymentRequest:
    address = Address(contact_name="Ayşe Yılmaz", city="Konya", country="Turkey", address="Çarşı Sok. No 5")
    half = (Decimal(price) / 2).quantize(Decimal("0.01"))
    return PaymentRequest(
        conversation_id=conversation_id or f"conv-{uuid.uuid4().hex[:12]}", basket_id=f"B-{uuid.uuid4().hex[:8]}",
        price=Decimal(price), paid_price=Decimal(price), currency="TRY", installment=1,
        buyer=Buyer(id="u1", name="Ayşe", surname="Yılmaz", email="ayse@example.com", identity_number="74300864791",
                    registration_address="Çarşı Sok. No 5", city="Konya", country="Turkey", ip="85.34.78.112",
                    gsm_number=""),
        shipping_address=address, billing_address=address,
        items=[BasketItem(id="i1", name="Şişme Yatak", category="Ev", price=half),
               BasketItem(id="i2", name="Pompa", category="Ev", price=Decimal(price) - half)],
        card=Card(holder="Ayşe Yılmaz", number=card_number, expire_month="12", expire_year="2030", cvc="123"),
        callback_url=callback_url,
    )


# == part 1: misbehaving servers =====================================================================
def _sign(*values: str) -> str:
    return hmac.new(SECRET.encode(), ":".join(values).encode(), hashlib.sha256).hexdigest()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    behaviour: Callable[[BaseHTTPRequestHandler, bytes], None]
    bad_auth = 0
    requests: list[tuple[str, str, bytes]]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: Any) -> None:
        pass

    def _handle(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.requests.append((self.command, self.path, body))
        self.server.behaviour(self, body)

    do_POST = do_GET = do_DELETE = _handle


def reply(handler: BaseHTTPRequestHandler, status: int, payload: bytes, content_type: str = "application/json") -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(payload)))
    handler.end_headers()
    handler.wfile.write(payload)


def signed_success(request: dict[str, Any]) -> dict[str, Any]:
    data = {"status": "success", "paymentId": "9001", "currency": "TRY", "basketId": request.get("basketId"),
            "conversationId": request.get("conversationId"), "paidPrice": 100.0, "price": 100.00,
            "fraudStatus": 1, "lastFourDigits": "0008", "binNumber": "55287900", "cardNumber": SUCCESS_CARD,
            "itemTransactions": [{"itemId": "i1", "paymentTransactionId": "1", "price": 50.00, "paidPrice": 50.0,
                                  "transactionStatus": 2}]}
    data["signature"] = _sign("9001", "TRY", str(request.get("basketId")), str(request.get("conversationId")),
                              "100", "100")
    return data


@pytest.fixture
def local_server() -> Iterator[_Server]:
    files = ensure_ca()
    server = _Server(("127.0.0.1", 0), _Handler)
    server.requests = []
    server.socket = files.server_context().wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def client_for(server: _Server, *, ca: bool = True, timeout: float = 2.0) -> IyzicoClient:
    files = ensure_ca()
    return IyzicoClient(Credentials(KEY, SECRET, f"https://127.0.0.1:{server.server_address[1]}",
                                    str(files.ca_cert) if ca else None, timeout))


def test_timeout_is_unavailable(local_server: _Server) -> None:
    def slow(handler: BaseHTTPRequestHandler, body: bytes) -> None:
        time.sleep(1.5)
        reply(handler, 200, b"{}")

    local_server.behaviour = slow
    started = time.monotonic()
    with pytest.raises(IyzicoUnavailable) as caught:
        client_for(local_server, timeout=0.3).pay(payment())
    assert caught.value.reason == "timeout"
    assert time.monotonic() - started < 1.4
    assert isinstance(caught.value.__cause__, TimeoutError)


def test_reset_5xx_and_html_are_unavailable(local_server: _Server) -> None:
    client = client_for(local_server)

    def reset(handler: BaseHTTPRequestHandler, body: bytes) -> None:
        handler.close_connection = True
        handler.connection.close()

    for behaviour in (reset,
                      lambda h, b: reply(h, 502, b"<html>Bad gateway</html>", "text/html"),
                      lambda h, b: reply(h, 200, b"<html>maintenance</html>", "text/html"),
                      lambda h, b: reply(h, 503, json.dumps({"status": "failure"}).encode())):
        local_server.behaviour = behaviour
        with pytest.raises(IyzicoUnavailable) as caught:
            client.pay(payment())
        assert SUCCESS_CARD not in str(caught.value)
        assert caught.value.reason.startswith(("http_5", "network_", "malformed"))


def test_certificate_not_trusted_is_unavailable_never_ignored(local_server: _Server) -> None:
    local_server.behaviour = lambda h, b: reply(h, 200, json.dumps(signed_success(json.loads(b))).encode())
    with pytest.raises(IyzicoUnavailable) as caught:
        client_for(local_server, ca=False).pay(payment())  # the system store does not know the local CA
    assert isinstance(caught.value.__cause__, ssl.SSLError)
    assert client_for(local_server).pay(payment()).ok  # with the configured CA it works


def test_success_without_or_with_wrong_signature_is_not_trusted(local_server: _Server) -> None:
    client = client_for(local_server)

    def unsigned(handler: BaseHTTPRequestHandler, body: bytes) -> None:
        data = signed_success(json.loads(body))
        del data["signature"]
        reply(handler, 200, json.dumps(data).encode())

    def tampered(handler: BaseHTTPRequestHandler, body: bytes) -> None:
        data = signed_success(json.loads(body))
        data["paidPrice"] = 1.0  # the amount changed in transit; the signature no longer fits
        reply(handler, 200, json.dumps(data).encode())

    for behaviour in (unsigned, tampered):
        local_server.behaviour = behaviour
        with pytest.raises(IyzicoSignatureError):
            client.pay(payment())
    local_server.behaviour = lambda h, b: reply(h, 200, json.dumps(
        {"status": "failure", "errorCode": "10051", "errorMessage": "Kart limiti yetersiz", "errorGroup": "NOT_SUFFICIENT_FUNDS"}).encode())
    declined = client.pay(payment())
    assert not declined.ok and declined.error_code == "10051" and declined.error_group == "NOT_SUFFICIENT_FUNDS"


def test_signed_success_parses_decimals_and_scrubs_card_data(local_server: _Server) -> None:
    local_server.behaviour = lambda h, b: reply(h, 200, json.dumps(signed_success(json.loads(b))).encode())
    result = client_for(local_server).pay(payment())
    assert result.ok and result.price == Decimal("100.0") and isinstance(result.paid_price, Decimal)
    assert result.items[0].payment_transaction_id == "1" and result.items[0].price == Decimal("50.0")
    assert SUCCESS_CARD not in json.dumps(result.raw, default=str)
    method, path, body = local_server.requests[-1]
    sent = json.loads(body)
    assert (method, path) == ("POST", "/payment/auth")
    assert sent["price"] == "100.00" and "gsmNumber" not in sent["buyer"]


def test_every_concurrent_call_carries_its_own_valid_authorization(local_server: _Server) -> None:
    lock = threading.Lock()
    local_server.bad_auth = 0

    def verifying(handler: BaseHTTPRequestHandler, body: bytes) -> None:
        rnd = handler.headers.get("x-iyzi-rnd", "")
        decoded = base64.b64decode(handler.headers.get("Authorization", "").removeprefix("IYZWSv2 ")).decode()
        parts = dict(p.split(":", 1) for p in decoded.split("&"))
        expected = hmac.new(SECRET.encode(), (rnd + handler.path.split("?")[0]).encode() + body,
                            hashlib.sha256).hexdigest()
        if parts.get("apiKey") != KEY or parts.get("randomKey") != rnd or parts.get("signature") != expected:
            with lock:
                local_server.bad_auth += 1
            reply(handler, 401, json.dumps({"status": "failure", "errorCode": "1000"}).encode())
            return
        time.sleep(0.01)
        reply(handler, 200, json.dumps(signed_success(json.loads(body))).encode())

    local_server.behaviour = verifying
    client = client_for(local_server, timeout=10)
    results: dict[str, Any] = {}

    def work(n: int) -> None:
        conversation = f"conv-{n}"
        results[conversation] = client.pay(payment(conversation_id=conversation))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert local_server.bad_auth == 0
    assert len(results) == 40
    assert all(r.ok and r.conversation_id == c for c, r in results.items())


def test_payment_details_query_and_get_without_body(local_server: _Server) -> None:
    local_server.behaviour = lambda h, b: reply(h, 200, json.dumps(
        {"status": "success", "payments": [{"paymentId": 1, "cardNumber": SUCCESS_CARD}]}).encode())
    details = client_for(local_server).payment_details(conversation_id="conv-9")
    method, path, body = local_server.requests[-1]
    assert (method, path, body) == ("GET", "/v2/reporting/payment/details?paymentConversationId=conv-9", b"")
    assert "None" not in path
    assert details is not None and SUCCESS_CARD not in json.dumps(details, default=str)


# == part 2: the local iyzico sandbox ================================================================
@pytest.fixture(scope="module")
def sandbox() -> Iterator[tuple[Any, str]]:
    fake = pytest.importorskip("infra.local.fakes.iyzico")
    server, host = fake.start(api_key=DEV_IYZICO_API_KEY, secret_key=DEV_IYZICO_SECRET_KEY)
    yield server, host
    server.shutdown()
    if hasattr(server, "server_close"):
        server.server_close()


@pytest.fixture
def gateway(sandbox: tuple[Any, str]) -> IyzicoClient:
    server, host = sandbox
    return IyzicoClient(Credentials(DEV_IYZICO_API_KEY, DEV_IYZICO_SECRET_KEY, f"https://{host}",
                                    str(server.ca_file), 10.0))


def control(sandbox: tuple[Any, str], path: str, body: dict[str, Any] | None = None) -> Any:
    server, host = sandbox
    request = urllib.request.Request(f"https://{host}{path}", data=json.dumps(body or {}).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    context = ssl.create_default_context(cafile=str(server.ca_file))
    with urllib.request.urlopen(request, timeout=10, context=context) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def test_sandbox_payment_success_and_retrieve(gateway: IyzicoClient) -> None:
    req = payment()
    result = gateway.pay(req)
    assert result.ok, (result.error_code, result.error_message)
    assert result.payment_id and result.conversation_id == req.conversation_id
    assert result.price == Decimal("100") and result.paid_price == Decimal("100")
    assert result.card_last4 == "0008" and len(result.items) == 2
    assert sum((i.paid_price or Decimal(0)) for i in result.items) == Decimal("100")
    assert SUCCESS_CARD not in json.dumps(result.raw, default=str)
    found = gateway.retrieve(payment_id=result.payment_id)
    assert found is not None and found.ok and found.payment_id == result.payment_id
    assert gateway.retrieve(conversation_id=f"never-{uuid.uuid4().hex}") is None
    details = gateway.payment_details(conversation_id=req.conversation_id)
    assert details is not None and [p["paymentId"] for p in details["payments"]] == [result.payment_id]
    unknown = gateway.payment_details(payment_id="999999999")
    assert unknown is None or unknown["payments"] == []


def test_sandbox_insufficient_funds_is_a_decline_not_an_exception(gateway: IyzicoClient) -> None:
    result = gateway.pay(payment(NO_FUNDS_CARD))
    assert not result.ok and result.error_code and result.error_message


def test_sandbox_3ds_flow(sandbox: tuple[Any, str], gateway: IyzicoClient) -> None:
    req = payment(callback_url="https://shop.example/api/payments/3ds/callback")
    init = gateway.init_3ds(req)
    assert init.ok and init.payment_id and init.html_content
    done = control(sandbox, f"/_fake/3ds/{init.payment_id}/complete")
    assert done["callback_url"] == req.callback_url
    form = done["form"]
    assert verify_3ds_callback(DEV_IYZICO_SECRET_KEY, form)
    assert not verify_3ds_callback(DEV_IYZICO_SECRET_KEY, {**form, "mdStatus": "0"})
    result = gateway.auth_3ds(str(form.get("paymentId") or init.payment_id), req.conversation_id,
                              form.get("conversationData"))
    assert result.ok and result.payment_id == init.payment_id and result.price == Decimal("100")


def test_sandbox_3ds_md_status_0_does_not_pay(sandbox: tuple[Any, str], gateway: IyzicoClient) -> None:
    req = payment(MD_STATUS_0_CARD, callback_url="https://shop.example/cb")
    init = gateway.init_3ds(req)
    assert init.ok  # the bank refuses at its callback, not at initialize
    form = control(sandbox, f"/_fake/3ds/{init.payment_id}/complete")["form"]
    assert str(form.get("mdStatus")) == "0"
    result = gateway.auth_3ds(str(init.payment_id), req.conversation_id, form.get("conversationData"))
    assert not result.ok


def test_sandbox_checkout_form(sandbox: tuple[Any, str], gateway: IyzicoClient) -> None:
    req = payment(callback_url="https://shop.example/cf/callback")
    req = PaymentRequest(**{**req.__dict__, "card": None})
    init = gateway.init_checkout_form(req, enabled_installments=[1, 2, 3])
    assert init.ok and init.token and init.payment_page_url and init.expires_at is not None
    control(sandbox, f"/_fake/checkoutform/{init.token}/pay", {"card_number": SUCCESS_CARD, "expire_month": "12",
                                                                "expire_year": "2030", "cvc": "123",
                                                                "holder": "Ayşe Yılmaz"})
    result = gateway.retrieve_checkout_form(init.token, req.conversation_id)
    assert result.ok and result.payment_status == "SUCCESS" and result.payment_id
    assert result.paid_price == Decimal("100")


def test_sandbox_bin_and_installments(gateway: IyzicoClient) -> None:
    info = gateway.bin_check("552879")
    assert info.bin_number.startswith("552879") and info.card_association
    options = gateway.installments("552879", Decimal("100.00"))
    assert options and all(isinstance(o.total_price, Decimal) for o in options)
    single = [o for o in options if o.installment_number == 1]
    assert single and single[0].total_price == Decimal("100")


def test_sandbox_cancel_and_refund(gateway: IyzicoClient) -> None:
    paid = gateway.pay(payment())
    assert paid.ok
    cancelled = gateway.cancel(str(paid.payment_id), paid.conversation_id or "", "85.34.78.112")
    assert cancelled.ok, (cancelled.error_code, cancelled.error_message)

    paid = gateway.pay(payment())
    refund = gateway.refund(paid.items[0].payment_transaction_id, Decimal("10.00"), "refund-1", "85.34.78.112", "TRY")
    assert refund.ok and refund.price == Decimal("10")

    paid = gateway.pay(payment(NO_REFUND_CARD))
    assert paid.ok
    refused = gateway.refund(paid.items[0].payment_transaction_id, Decimal("10.00"), "refund-2", "85.34.78.112", "TRY")
    assert not refused.ok and refused.error_code


def test_sandbox_lost_response_is_unavailable_then_found(sandbox: tuple[Any, str], gateway: IyzicoClient) -> None:
    control(sandbox, "/_fake/fail", {"path": "/payment/auth", "mode": "drop_after_commit", "times": 1})
    req = payment()
    with pytest.raises(IyzicoUnavailable):
        gateway.pay(req)
    found = gateway.retrieve(conversation_id=req.conversation_id)  # the charge went through
    assert found is not None and found.ok and found.conversation_id == req.conversation_id


def test_sandbox_card_storage(gateway: IyzicoClient) -> None:
    card = Card(holder="Ayşe Yılmaz", number=SUCCESS_CARD, expire_month="12", expire_year="2030", cvc="",
                alias="iş kartım")
    stored = gateway.store_card("ayse@example.com", card, external_id=f"u-{uuid.uuid4().hex[:8]}")
    assert stored.ok and stored.card_user_key and stored.card_token
    listed = gateway.list_cards(stored.card_user_key)
    assert [c.card_token for c in listed] == [stored.card_token]
    assert SUCCESS_CARD not in repr(listed)
    assert gateway.delete_card(stored.card_user_key, stored.card_token)
    try:
        remaining = gateway.list_cards(stored.card_user_key)
    except IyzicoRejected:
        remaining = []  # a card user key without cards may be refused outright
    assert stored.card_token not in [c.card_token for c in remaining]


def test_sandbox_concurrent_payments(gateway: IyzicoClient) -> None:
    results: list[Any] = []
    lock = threading.Lock()

    def work() -> None:
        r = gateway.pay(payment())
        with lock:
            results.append(r)

    threads = [threading.Thread(target=work) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 20 and all(r.ok for r in results)
    assert len({r.payment_id for r in results}) == 20


def test_sandbox_500_and_slow_answers_are_unavailable(sandbox: tuple[Any, str], gateway: IyzicoClient) -> None:
    control(sandbox, "/_fake/fail", {"path": "/payment/auth", "mode": "status_500", "times": 1})
    with pytest.raises(IyzicoUnavailable) as caught:
        gateway.pay(payment())
    assert caught.value.reason == "http_500"

    server, host = sandbox
    impatient = IyzicoClient(Credentials(DEV_IYZICO_API_KEY, DEV_IYZICO_SECRET_KEY, f"https://{host}",
                                         str(server.ca_file), 0.5))
    control(sandbox, "/_fake/fail", {"path": "/payment/auth", "mode": "delay", "seconds": 1.5, "times": 1})
    req = payment()
    with pytest.raises(IyzicoUnavailable) as caught:
        impatient.pay(req)
    assert caught.value.reason == "timeout"
    deadline = time.monotonic() + 5
    found = None
    while found is None and time.monotonic() < deadline:  # the sandbox finishes the charge after our timeout
        found = gateway.retrieve(conversation_id=req.conversation_id)
        time.sleep(0.1)
    assert found is not None and found.ok


def test_sandbox_webhooks_verify_with_v3_signature() -> None:
    """The sandbox's real deliveries (its signing code is its own) pass verify_webhook; altered ones do not."""
    fake = pytest.importorskip("infra.local.fakes.iyzico")
    received: list[tuple[dict[str, str], bytes]] = []
    done = threading.Condition()

    class Receiver(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with done:
                received.append(({k: v for k, v in self.headers.items()}, body))
                done.notify_all()
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    server, host = fake.start(api_key=DEV_IYZICO_API_KEY, secret_key=DEV_IYZICO_SECRET_KEY,
                              webhook_url=f"http://127.0.0.1:{receiver.server_address[1]}/hook")
    try:
        client = IyzicoClient(Credentials(DEV_IYZICO_API_KEY, DEV_IYZICO_SECRET_KEY, f"https://{host}",
                                          str(server.ca_file), 10.0))
        assert client.pay(payment()).ok  # direct format
        req = payment(callback_url="https://shop.example/cf")
        init = client.init_checkout_form(PaymentRequest(**{**req.__dict__, "card": None}))
        control((server, host), f"/_fake/checkoutform/{init.token}/pay",
                {"card_number": SUCCESS_CARD, "expire_month": "12", "expire_year": "2030", "cvc": "123",
                 "holder": "Ayşe Yılmaz"})  # hosted-page format
        with done:
            done.wait_for(lambda: len(received) >= 2, timeout=10)
        assert len(received) >= 2
        kinds = set()
        for headers, body in received:
            event = iyzico_verify_webhook(DEV_IYZICO_SECRET_KEY, headers, body)
            assert event is not None, body
            kinds.add("token" in event)
            altered = body.replace(b'"SUCCESS"', b'"FAILURE"')
            assert altered != body and iyzico_verify_webhook(DEV_IYZICO_SECRET_KEY, headers, altered) is None
            assert iyzico_verify_webhook("another-secret", headers, body) is None
        assert kinds == {True, False}
    finally:
        server.shutdown()
        server.server_close()
        receiver.shutdown()
        receiver.server_close()
