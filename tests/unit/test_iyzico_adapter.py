"""The iyzico adapter without a network: request building, money formatting, signatures,
webhooks, per-call headers and card masking.  Expected HMACs are computed here from literal
strings, not through the adapter's own helpers."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import ssl
import threading
from decimal import Decimal

import pytest
from iyzipay.iyzipay_resource import IyzipayResource

from chalicelib.adapters import iyzico
from chalicelib.adapters.iyzico import (
    Address,
    BasketItem,
    Buyer,
    Card,
    PaymentRequest,
    SavedCard,
    build_payment_request,
    format_price,
    parse_body,
    payment_result,
    response_signature,
    signature_price,
    signature_valid,
    verify_webhook,
)
from chalicelib.platform.config import reset_settings

SECRET = "sandbox-secret-xyz"
PAN = "5528790000000008"


def _hmac(message: str, key: str = SECRET) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def buyer(**over: object) -> Buyer:
    fields: dict = dict(id="u1", name="Ayşe", surname="Yılmaz", email="a@example.com", identity_number="11111111111",
                        registration_address="Çarşı Sok. 5", city="Konya", country="Turkey", ip="85.34.78.112",
                        gsm_number="+905321234567")
    fields.update(over)
    return Buyer(**fields)


ADDRESS = Address(contact_name="Ayşe Yılmaz", city="Konya", country="Turkey", address="Çarşı Sok. 5")


def request(price: str = "10.50", items: tuple[str, ...] = ("7.25", "3.25"), card: object = None,
            **over: object) -> PaymentRequest:
    fields: dict = dict(conversation_id="conv-1", basket_id="B1", price=Decimal(price), paid_price=Decimal(price),
                        currency="TRY", installment=1, buyer=buyer(), shipping_address=ADDRESS,
                        billing_address=ADDRESS,
                        items=[BasketItem(id=f"i{n}", name="Yatak", category="Ev", price=Decimal(p))
                               for n, p in enumerate(items)],
                        card=card or Card(holder="Ayşe Yılmaz", number=PAN, expire_month="12", expire_year="2030",
                                          cvc="123"))
    fields.update(over)
    return PaymentRequest(**fields)


# -- (5) request building ----------------------------------------------------------------------
def test_prices_go_out_as_two_decimal_strings():
    body = build_payment_request(request(price="10.5", items=("10.2", "0.3")))
    assert (body["price"], body["paidPrice"]) == ("10.50", "10.50")
    assert [i["price"] for i in body["basketItems"]] == ["10.20", "0.30"]
    assert format_price(Decimal("1249.9")) == "1249.90"
    assert format_price(Decimal("7")) == "7.00"
    assert format_price(Decimal("0.10")) == "0.10"


@pytest.mark.parametrize("bad", [Decimal("10.005"), Decimal("0.001"), Decimal("NaN"), 10.5])
def test_prices_with_more_than_two_decimals_or_floats_are_refused(bad):
    with pytest.raises(ValueError):
        format_price(bad)  # type: ignore[arg-type]


def test_three_decimal_item_price_is_refused_not_rounded():
    with pytest.raises(ValueError):
        build_payment_request(request(price="10.50", items=("7.245", "3.255")))


def test_basket_must_add_up_exactly_to_price():
    with pytest.raises(ValueError, match="add up"):
        build_payment_request(request(price="10.50", items=("7.25", "3.24")))
    build_payment_request(request(price="10.50", items=("7.25", "3.25")))  # exact: fine


def test_empty_gsm_number_and_other_optionals_are_omitted():
    for gsm in ("", "   ", None):
        body = build_payment_request(request(buyer=buyer(gsm_number=gsm)))
        assert "gsmNumber" not in body["buyer"]
        assert "zipCode" not in body["buyer"] and "zipCode" not in body["billingAddress"]
        assert "lastLoginDate" not in body["buyer"]
        assert "callbackUrl" not in body
        assert '""' not in json.dumps(body, ensure_ascii=False)  # no field is sent empty
    body = build_payment_request(request(buyer=buyer(gsm_number="+905321234567", zip_code="42700")))
    assert body["buyer"]["gsmNumber"] == "+905321234567" and body["buyer"]["zipCode"] == "42700"


def test_card_and_saved_card_bodies():
    body = build_payment_request(request(card=Card(holder="A B", number="5528 7900 0000 0008", expire_month="12",
                                                   expire_year="2030", cvc="123", register=True, alias="iş")))
    assert body["paymentCard"] == {"cardHolderName": "A B", "cardNumber": PAN, "expireMonth": "12",
                                   "expireYear": "2030", "cvc": "123", "registerCard": 1, "cardAlias": "iş"}
    body = build_payment_request(request(card=SavedCard(card_user_key="cuk", card_token="ct")))
    assert body["paymentCard"] == {"cardUserKey": "cuk", "cardToken": "ct"}
    no_card = build_payment_request(request(), with_card=False)
    assert "paymentCard" not in no_card


def test_payment_details_query_never_says_none():
    assert iyzico.payment_details_path(payment_id="123") == "/v2/reporting/payment/details?paymentId=123"
    path = iyzico.payment_details_path(conversation_id="conv 1")
    assert path == "/v2/reporting/payment/details?paymentConversationId=conv+1"
    assert "None" not in path
    with pytest.raises(ValueError):
        iyzico.payment_details_path()


# -- (3) response signatures -------------------------------------------------------------------
def test_signature_prices_strip_trailing_zeros_from_the_json_text():
    assert signature_price(Decimal("10.50")) == "10.5"
    assert signature_price(Decimal("10.00")) == "10"
    assert signature_price(Decimal("100.00")) == "100"  # not "1E+2"
    assert signature_price(10) == "10"
    assert signature_price(Decimal("0.10")) == "0.1"


def test_payment_signature_matches_a_hand_computed_hmac():
    raw = (b'{"status":"success","paymentId":"22416035","currency":"TRY","basketId":"B67832",'
           b'"conversationId":"123456789","paidPrice":10.50,"price":10.00}')
    data = parse_body(raw)
    expected = _hmac("22416035:TRY:B67832:123456789:10.5:10")
    assert response_signature(SECRET, ["22416035", "TRY", "B67832", "123456789", "10.5", "10"]) == expected
    data["signature"] = expected
    assert signature_valid(SECRET, data, iyzico.SIG_PAYMENT)
    assert not signature_valid("other-secret", data, iyzico.SIG_PAYMENT)
    data["signature"] = expected[:-1] + ("0" if expected[-1] != "0" else "1")
    assert not signature_valid(SECRET, data, iyzico.SIG_PAYMENT)
    del data["signature"]
    assert not signature_valid(SECRET, data, iyzico.SIG_PAYMENT)


def test_other_signature_field_orders():
    data: dict[str, object] = {"paymentId": "9", "conversationId": "c", "signature": _hmac("9:c")}
    assert signature_valid(SECRET, data, iyzico.SIG_3DS_INIT)
    data = {"conversationId": "c", "token": "t", "signature": _hmac("c:t")}
    assert signature_valid(SECRET, data, iyzico.SIG_CF_INIT)
    data = {"paymentStatus": "SUCCESS", "paymentId": "9", "currency": "TRY", "basketId": "B", "conversationId": "c",
            "paidPrice": Decimal("1.20"), "price": Decimal("1.0"), "token": "t",
            "signature": _hmac("SUCCESS:9:TRY:B:c:1.2:1:t")}
    assert signature_valid(SECRET, data, iyzico.SIG_CF_RETRIEVE)


# -- (4) parsing -------------------------------------------------------------------------------
def test_responses_are_parsed_without_floats():
    raw = (b'{"status":"success","paymentId":"1","price":0.1,"paidPrice":10.20,"installment":1,"fraudStatus":1,'
           b'"mdStatus":1,"lastFourDigits":"0008","binNumber":"552879","cardNumber":"5528790000000008",'
           b'"itemTransactions":[{"itemId":"i1","paymentTransactionId":"77","price":0.1,"paidPrice":0.10,'
           b'"transactionStatus":2,"note":"5528790000000008"}]}')
    data = parse_body(raw)

    def floats(value: object) -> list[float]:
        if isinstance(value, dict):
            return [f for v in value.values() for f in floats(v)]
        if isinstance(value, list):
            return [f for v in value for f in floats(v)]
        return [value] if isinstance(value, float) else []

    assert floats(data) == []
    result = payment_result(data)
    assert result.ok and result.price == Decimal("0.1") and result.paid_price == Decimal("10.20")
    assert result.items[0].paid_price == Decimal("0.10") and result.items[0].status == 2
    assert (result.fraud_status, result.md_status, result.card_last4) == (1, 1, "0008")
    # raw keeps no card number, neither by key nor as a PAN-shaped value
    assert PAN not in json.dumps(result.raw, default=str)
    assert PAN not in repr(result)


def test_non_json_or_non_object_bodies_mean_unknown_outcome():
    for raw in (b"<html>502</html>", b"[1,2]", b"\xff\xfe"):
        with pytest.raises(iyzico.IyzicoUnavailable):
            parse_body(raw)


def test_failed_payment_status_is_not_ok():
    assert not payment_result({"status": "success", "paymentStatus": "FAILURE"}).ok
    declined = payment_result({"status": "failure", "errorCode": "10051", "errorMessage": "Kart limiti yetersiz"})
    assert not declined.ok and declined.error_code == "10051"


# -- (7) webhooks ------------------------------------------------------------------------------
def test_webhook_v3_direct_format():
    event = {"paymentConversationId": "conv-1", "merchantId": 3382172, "paymentId": 22483975, "status": "SUCCESS",
             "iyziReferenceCode": "ref", "iyziEventType": "API_AUTH", "iyziEventTime": 1721825036103}
    body = json.dumps(event).encode()
    good = _hmac(SECRET + "API_AUTH" + "22483975" + "conv-1" + "SUCCESS")
    assert verify_webhook(SECRET, {"X-IYZ-SIGNATURE-V3": good}, body) == event
    assert verify_webhook(SECRET, {"x-iyz-signature-v3": good.upper()}, body) == event  # header case, hex case
    tampered = json.dumps({**event, "status": "FAILURE"}).encode()
    assert verify_webhook(SECRET, {"X-IYZ-SIGNATURE-V3": good}, tampered) is None
    assert verify_webhook("other", {"X-IYZ-SIGNATURE-V3": good}, body) is None
    assert verify_webhook(SECRET, {}, body) is None
    assert verify_webhook(SECRET, {"X-IYZ-SIGNATURE-V3": ""}, body) is None
    assert verify_webhook(SECRET, {"X-IYZ-SIGNATURE-V3": good}, b"not json") is None


def test_webhook_v3_checkout_form_format():
    event = {"paymentConversationId": "conv-2", "merchantId": 3382172, "token": "e828c62d-fd12", "status": "SUCCESS",
             "iyziReferenceCode": "r", "iyziEventType": "CHECKOUT_FORM_AUTH", "iyziEventTime": 1,
             "iyziPaymentId": 22483976}
    body = json.dumps(event).encode()
    good = _hmac(SECRET + "CHECKOUT_FORM_AUTH" + "22483976" + "e828c62d-fd12" + "conv-2" + "SUCCESS")
    assert verify_webhook(SECRET, {"X-IYZ-SIGNATURE-V3": good}, body) == event
    direct_style = _hmac(SECRET + "CHECKOUT_FORM_AUTH" + "22483976" + "conv-2" + "SUCCESS")
    assert verify_webhook(SECRET, {"X-IYZ-SIGNATURE-V3": direct_style}, body) is None


# -- (1) per-call headers ------------------------------------------------------------------------
def test_headers_are_per_call_under_50_concurrent_threads():
    options = {"api_key": "key-1", "secret_key": SECRET, "base_url": "127.0.0.1:1"}
    shared_before = dict(IyzipayResource.header)
    barrier = threading.Barrier(50)
    results: list[tuple[str, dict[str, str]] | None] = [None] * 50

    def work(n: int) -> None:
        resource = iyzico._RESOURCES["Payment"]()
        body = json.dumps({"conversationId": f"c{n}"})
        barrier.wait()
        for _ in range(20):
            header = resource.get_http_header("/payment/auth?x=1", options, body)
        results[n] = (body, header)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seen_ids = set()
    for entry in results:
        assert entry is not None
        body, header = entry
        seen_ids.add(id(header))
        decoded = base64.b64decode(header["Authorization"].removeprefix("IYZWSv2 ")).decode()
        parts = dict(p.split(":", 1) for p in decoded.split("&"))
        assert parts["apiKey"] == "key-1"
        assert parts["randomKey"] == header["x-iyzi-rnd"]
        # each header signs ITS OWN body and random key (path without the query)
        assert parts["signature"] == _hmac(header["x-iyzi-rnd"] + "/payment/auth" + body)
    assert len(seen_ids) == 50
    assert IyzipayResource.header == shared_before  # the SDK's shared dict is untouched


# -- (2) TLS ---------------------------------------------------------------------------------------
def test_ssl_context_always_verifies(monkeypatch):
    client = iyzico.IyzicoClient(iyzico.Credentials("k", "s", "https://sandbox-api.iyzipay.com"))
    context = client._context(None)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert client._context(None) is context  # cached per CA file


def test_base_url_becomes_sdk_host_and_must_be_https():
    assert iyzico.sdk_host("https://127.0.0.1:8767/") == "127.0.0.1:8767"
    assert iyzico.sdk_host("https://sandbox-api.iyzipay.com") == "sandbox-api.iyzipay.com"
    with pytest.raises(ValueError):
        iyzico.sdk_host("http://127.0.0.1:8767")


def test_credentials_from_settings_and_production_refusal(monkeypatch):
    monkeypatch.setenv("IYZICO_BASE_URL", "https://127.0.0.1:9999")
    monkeypatch.setenv("IYZICO_TIMEOUT_SECONDS", "3.5")
    monkeypatch.setenv("IYZICO_CA_FILE", "/tmp/ca.pem")
    reset_settings()
    try:
        creds = iyzico.credentials()
        assert creds.options()["base_url"] == "127.0.0.1:9999"
        assert (creds.timeout, creds.ca_file) == (3.5, "/tmp/ca.pem")
        assert creds.secret_key not in repr(creds)
        monkeypatch.setenv("STAGE", "prod")
        for name in ("JWT_SECRET", "API_KEY_PEPPER", "DATA_HASH_KEY", "MAPS_API_KEY"):
            monkeypatch.setenv(name, "x")
        monkeypatch.setenv("DATA_KEYS", "p1:cHJvZC1kYXRhLWtleS0zMi1ieXRlcy1sb25nLXh4eHg=")
        monkeypatch.setenv("BCRYPT_ROUNDS", "12")
        monkeypatch.delenv("IYZICO_API_KEY", raising=False)
        reset_settings()
        with pytest.raises(RuntimeError, match="IYZICO_API_KEY"):
            iyzico.credentials()
        monkeypatch.setenv("IYZICO_API_KEY", "live-key")
        monkeypatch.setenv("IYZICO_SECRET_KEY", "live-secret")
        monkeypatch.delenv("IYZICO_CA_FILE")
        monkeypatch.delenv("IYZICO_BASE_URL")
        reset_settings()
        assert iyzico.credentials().ca_file is None  # production: the system trust store
    finally:
        monkeypatch.undo()
        reset_settings()


# -- card masking ----------------------------------------------------------------------------------
def test_card_repr_and_str_mask_number_and_cvc():
    card = Card(holder="Ayşe Yılmaz", number=PAN, expire_month="12", expire_year="2030", cvc="987")
    for text in (repr(card), str(card), f"{card}", repr(request(card=card))):
        assert PAN not in text and "552879" not in text and "987" not in text
        assert "0008" in text
    assert iyzico.IyzicoUnavailable("timeout").args == ("iyzico unavailable: timeout",)
