"""A local iyzico sandbox that the official `iyzipay` SDK talks to over HTTPS (certificate from local_ca).

Protocol endpoints (every one needs iyzico's `IYZWSv2` Authorization header and `x-iyzi-rnd`):

    POST   /payment/auth                                    non-3DS payment
    POST   /payment/3dsecure/initialize                     3DS start: threeDSHtmlContent (base64 HTML)
    POST   /payment/3dsecure/auth                           3DS finish, once per paymentId
    POST   /payment/iyzipos/checkoutform/initialize/ecom    hosted payment page: token, paymentPageUrl
    POST   /payment/iyzipos/checkoutform/auth/ecom/detail   checkout form result by token
    POST   /payment/bin/check                               card BIN information
    POST   /payment/iyzipos/installment                     installment prices
    POST   /payment/cancel                                  cancel a whole payment
    POST   /payment/refund                                  refund (part of) one item: paymentTransactionId + price
    POST   /v2/payment/refund                               refund (part of) a payment: paymentId + price
    POST   /payment/detail                                  a payment by paymentId or paymentConversationId
    GET    /v2/reporting/payment/details?paymentId=|paymentConversationId=   every attempt, failed ones too
    POST   /cardstorage/card  (DELETE too)                  store / delete a card
    POST   /cardstorage/cards                               a card user's stored cards

Auth: S = hex HMAC-SHA256(secretKey, randomKey + path-without-query + raw body); the header is
`IYZWSv2 base64("apiKey:K&randomKey:R&signature:S")`.  A missing/garbled header answers errorCode 11,
an unknown key 1001, a missing x-iyzi-rnd 1004, a wrong signature 1000 - all with HTTP 401.  Malformed
requests (missing fields, price != sum(basketItems), bad card fields) answer HTTP 400 with status
"failure"; bank declines answer HTTP 200 with status "failure", errorCode/errorGroup/errorMessage.

Response signatures (`signature`, hex HMAC-SHA256 with the secret key over values joined by ":",
prices with trailing zeros stripped, 10.50 -> "10.5", 10.00 -> "10"; an absent value signs as ""):
    /payment/auth, /payment/detail, /payment/3dsecure/auth:  paymentId, currency, basketId, conversationId,
                                                             paidPrice, price
    /payment/3dsecure/initialize:                            paymentId, conversationId
    3DS bank callback form:                                  conversationData, conversationId, mdStatus,
                                                             paymentId, status
    checkout form initialize:                                conversationId, token
    checkout form retrieve:                                  paymentStatus, paymentId, currency, basketId,
                                                             conversationId, paidPrice, price, token
The signing code is written here, not borrowed from the SDK or chalicelib, so a bug on either side shows.

Sandbox cards (the number decides the outcome; any future expiry and 3-4 digit CVC):
    5528790000000008, 5890040000000016 (and other numbers)   success
    5400010000000004                                          success, foreign (non-TR) card
    4111111111111129  10051 insufficient funds      4129111111111111  10005 do not honour
    4128111111111112  10012 invalid transaction     4127111111111113  10041 lost card
    4126111111111114  10043 stolen card             4125111111111115  10054 expired card
    4124111111111116  10084 invalid CVC2            4123111111111117  10057 not permitted to card holder
    4122111111111118  10058 not permitted to terminal
    4121111111111119  10034 fraud suspect           4130111111111118  10202 general error
    4131111111111117 / 4141111111111115   3DS: initialize works, the bank callback carries mdStatus 0 / 4
                                          and status "failure", /payment/3dsecure/auth fails (10213)
    4151111111111112  3DS initialize fails (10214)
    5406670000000009  payment succeeds; cancel and refund are refused (10211)
Codes 10211/10213/10214 and the 3xxx/5xxx codes are this sandbox's picks where iyzico's docs did not
show the exact code; the 100xx bank codes are iyzico's.

Webhooks (only when started with a webhook_url): after a payment success/failure (iyziEventType
PAYMENT_API, THREE_DS_AUTH, or CHECKOUT_FORM_AUTH for the hosted page), a cancel (CANCEL) or a refund
(REFUND), iyzico's JSON is POSTed with header X-IYZ-SIGNATURE-V3 = hex HMAC-SHA256(secretKey,
secretKey + iyziEventType + paymentId + paymentConversationId + status), or for the hosted page
(secretKey + iyziEventType + iyziPaymentId + token + paymentConversationId + status).  They go out
from the request's thread right after its response has been sent.

Browser pages (no auth, as iyzico's own pages):
    GET  /_bank/3ds/{token}         the bank's 3-D Secure page; its form POSTs the callback to callbackUrl
    GET  /_checkout/{token}         the hosted payment page; POST /_checkout/{token} pays it

Not part of the protocol - controls for tests and `make dev` (no key needed):
    POST /_fake/3ds/{paymentId}/complete          {"callback_url", "form"}: what the bank page would POST
    POST /_fake/checkoutform/{token}/pay          {"card_number", "expire_month", "expire_year", "cvc",
                                                   "holder", "installment"?} -> {"callback_url", "form"}
    POST /_fake/fraud-review {"card": "...", "enabled"?: true}   payments with that card succeed with
                                                  fraudStatus 0 (under review) instead of 1
    POST /_fake/fail {"path", "mode": "drop_after_commit"|"status_500"|"delay", "seconds"?, "times"?: 1}
         drop_after_commit processes the call and closes the connection unanswered; status_500 answers 500
         without processing; delay sleeps `seconds` then processes and answers
    GET  /_fake/requests                          every protocol call: method, path, auth_ok, conversationId
    GET  /_fake/webhooks[?wait=N&timeout=S]       deliveries (waits until N exist)
    POST /_fake/webhooks/{n}/redeliver            send delivery n again (iyzico retries)
    POST /_fake/reset                             forget everything

    python -m infra.local.fakes.iyzico --port 8767 [--api-key K] [--secret-key S] [--webhook-url U]
                                       [--webhook-header K=V]
    server, base_url = start()      # tests: base_url is "127.0.0.1:<port>" (the SDK's form); server.ca_file
"""
from __future__ import annotations

import argparse
import base64
import binascii
import datetime as dt
import hashlib
import hmac
import html
import itertools
import json
import os
import secrets
import socket
import ssl
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from infra.local.fakes import serve_until_interrupted
from infra.local.fakes.local_ca import CaFiles, ensure_ca

DEFAULT_API_KEY = "sandbox-dev-api-key"  # = platform.config.DEV_IYZICO_API_KEY (make dev, tests)
DEFAULT_SECRET_KEY = "sandbox-dev-secret-key"  # = platform.config.DEV_IYZICO_SECRET_KEY
MERCHANT_ID = 3398741
CENT = Decimal("0.01")
CURRENCIES = {"TRY", "USD", "EUR", "GBP", "IRR", "NOK", "RUB", "CHF"}
INSTALLMENTS = (1, 2, 3, 6, 9, 12)
INSTALLMENT_RATES = {1: Decimal("0"), 2: Decimal("0.0195"), 3: Decimal("0.0295"), 6: Decimal("0.0545"),
                     9: Decimal("0.0795"), 12: Decimal("0.1045")}
TOKEN_LIFETIME_SECONDS = 1800


# ---------------------------------------------------------------------------------------------- signing
def sign(secret_key: str, *values: str) -> str:
    """iyzico's response signature: hex HMAC-SHA256(secretKey, values joined by ":")."""
    return hmac.new(secret_key.encode(), ":".join(values).encode(), hashlib.sha256).hexdigest()


def webhook_signature(secret_key: str, *values: str) -> str:
    """X-IYZ-SIGNATURE-V3: hex HMAC-SHA256(secretKey, secretKey + the values, concatenated)."""
    return hmac.new(secret_key.encode(), (secret_key + "".join(values)).encode(), hashlib.sha256).hexdigest()


def request_signature(secret_key: str, random_key: str, path: str, body: str) -> str:
    """The S of the IYZWSv2 Authorization header a client must send."""
    return hmac.new(secret_key.encode(), (random_key + path + body).encode(), hashlib.sha256).hexdigest()


def price_text(amount: Decimal) -> str:
    """A price as iyzico puts it in signed strings: no trailing zeros, no trailing dot."""
    text = format(amount.normalize(), "f")
    return text


# ---------------------------------------------------------------------------------------------- errors
@dataclass(frozen=True)
class IyziError:
    code: str
    tr: str
    en: str
    group: str | None = None

    def message(self, locale: str) -> str:
        return self.en if locale == "en" else self.tr


E = IyziError
ERR_INVALID_REQUEST = E("11", "Geçersiz istek", "Invalid request")
ERR_BAD_SIGNATURE = E("1000", "Geçersiz imza", "Invalid signature")
ERR_API_KEY = E("1001", "api bilgileri bulunamadı", "Api credentials not found")
ERR_RANDOM = E("1004", "Random header değeri gönderilmesi zorunludur", "x-iyzi-rnd header is required")
ERR_CARD_NUMBER = E("12", "Kart numarası geçersizdir", "Invalid card number")
ERR_EXPIRE_MONTH = E("13", "Son kullanma tarihi ayı geçersizdir", "Invalid expire month")
ERR_EXPIRE_YEAR = E("14", "Son kullanma tarihi yılı geçersizdir", "Invalid expire year")
ERR_CVC = E("15", "Cvc geçersizdir", "Invalid cvc")
ERR_EXPIRED = E("17", "Kartın son kullanma tarihi geçersizdir", "Invalid expire date")
ERR_BASKET_SUM = E("5062", "Gönderilen tutar tüm kırılımların toplam tutarına eşit olmalıdır",
                   "Price should be equal to the sum of basket items' prices")
ERR_PAID_PRICE = E("5063", "paidPrice, price değerinden küçük olamaz", "paidPrice cannot be less than price")
ERR_NOT_FOUND = E("5086", "Ödeme bulunamadı", "Payment not found")
ERR_ALREADY_DONE = E("5087", "Ödeme daha önce tamamlanmış", "Payment has already been completed")
ERR_CANCELLED = E("5088", "Ödeme iptal edilmiş", "Payment has been cancelled")
ERR_REFUNDED_NO_CANCEL = E("5089", "İade yapılmış ödeme iptal edilemez", "A refunded payment cannot be cancelled")
ERR_OVER_REFUND = E("5093", "İade tutarı, ödenen tutardan büyük olamaz",
                    "Refund amount cannot exceed the paid amount")
ERR_CURRENCY_MISMATCH = E("5094", "Para birimi ödemenin para birimiyle aynı olmalıdır",
                          "Currency must match the payment's currency")
ERR_TOKEN = E("5122", "Gönderilen token'a ait ödeme bulunamadı", "No payment found for the given token")
ERR_TOKEN_PAID = E("5123", "Bu token ile ödeme tamamlanmış", "This token has already been paid")
ERR_TOKEN_EXPIRED = E("5124", "Token süresi dolmuş", "Token has expired")
ERR_CARD_USER = E("3001", "Kart sahibi bulunamadı", "Card user not found")
ERR_CARD_TOKEN = E("3002", "Kart bulunamadı", "Card not found")
ERR_3DS_NOT_VERIFIED = E("10213", "3D Secure doğrulaması başarısız", "3D Secure authentication failed",
                         "INVALID_3DS")
ERR_3DS_INIT = E("10214", "3D Secure başlatılamadı", "3dsecure initialize failed", "3DS_INITIALIZE_FAILED")
ERR_NO_CANCEL_REFUND = E("10211", "Bu ödeme için iptal veya iade yapılamaz",
                         "Cancel or refund is not permitted for this payment", "NOT_PERMITTED")
ERR_SYSTEM = E("100001", "Sistem hatası", "System error")
BANK_ERRORS = {
    "insufficient_funds": E("10051", "Kart limiti yetersiz, yetersiz bakiye",
                            "Insufficient card limit, insufficient balance", "NOT_SUFFICIENT_FUNDS"),
    "do_not_honour": E("10005", "İşlem onaylanmadı", "Do not honour", "DO_NOT_HONOUR"),
    "invalid_transaction": E("10012", "Geçersiz işlem", "Invalid transaction", "INVALID_TRANSACTION"),
    "lost_card": E("10041", "Kayıp kart, karta el koyunuz", "Lost card, pick up", "LOST_CARD"),
    "stolen_card": E("10043", "Çalıntı kart, karta el koyunuz", "Stolen card, pick up", "STOLEN_CARD"),
    "expired_card": E("10054", "Vadesi dolmuş kart", "Expired card", "EXPIRED_CARD"),
    "invalid_cvc": E("10084", "CVC2 bilgisi hatalı", "Invalid cvc2", "INVALID_CVC2"),
    "not_permitted_holder": E("10057", "Kart sahibi bu işlemi yapamaz", "Not permitted to card holder",
                              "NOT_PERMITTED_TO_CARDHOLDER"),
    "not_permitted_terminal": E("10058", "Terminalin bu işlemi yapmaya yetkisi yok", "Not permitted to terminal",
                                "NOT_PERMITTED_TO_TERMINAL"),
    "fraud": E("10034", "Dolandırıcılık şüphesi", "Fraud suspect", "FRAUD_SUSPECT"),
    "general": E("10202", "Ödeme işlemi esnasında genel bir hata oluştu", "General error", "GENERAL_ERROR"),
}


class Rejected(Exception):
    """A request iyzico answers with status "failure"."""

    def __init__(self, error: IyziError, http_status: int = 400, extra: dict[str, Any] | None = None) -> None:
        super().__init__(error.code)
        self.error = error
        self.http_status = http_status
        self.extra = extra or {}


# ---------------------------------------------------------------------------------------------- cards
@dataclass(frozen=True)
class CardProfile:
    association: str
    card_type: str
    family: str
    bank_name: str
    bank_code: int
    foreign: bool = False
    decline: str | None = None  # key of BANK_ERRORS, at charge time
    md_status: int = 1
    threeds_init_fails: bool = False
    no_cancel_refund: bool = False
    commercial: int = 0


_HALK = dict(association="MASTER_CARD", card_type="CREDIT_CARD", family="Paraf", bank_name="Halkbank", bank_code=12)
_TEST_VISA = dict(association="VISA", card_type="CREDIT_CARD", family="Test Card", bank_name="Test Bank", bank_code=99)
SANDBOX_CARDS: dict[str, CardProfile] = {
    "5528790000000008": CardProfile(**_HALK),  # type: ignore[arg-type]
    "5890040000000016": CardProfile("MASTER_CARD", "DEBIT_CARD", "Axess", "Akbank", 46),
    "5526080000000006": CardProfile("MASTER_CARD", "CREDIT_CARD", "Axess", "Akbank", 46),
    "4766620000000001": CardProfile("VISA", "DEBIT_CARD", "Bonus", "Denizbank", 134),
    "5400010000000004": CardProfile("MASTER_CARD", "CREDIT_CARD", "", "", 0, foreign=True),
    "4054180000000007": CardProfile("VISA", "DEBIT_CARD", "", "", 0, foreign=True),
    "5406670000000009": CardProfile("MASTER_CARD", "CREDIT_CARD", "Maximum", "Türkiye İş Bankası", 64,
                                    no_cancel_refund=True),
    "4111111111111129": CardProfile(**_TEST_VISA, decline="insufficient_funds"),  # type: ignore[arg-type]
    "4129111111111111": CardProfile(**_TEST_VISA, decline="do_not_honour"),  # type: ignore[arg-type]
    "4128111111111112": CardProfile(**_TEST_VISA, decline="invalid_transaction"),  # type: ignore[arg-type]
    "4127111111111113": CardProfile(**_TEST_VISA, decline="lost_card"),  # type: ignore[arg-type]
    "4126111111111114": CardProfile(**_TEST_VISA, decline="stolen_card"),  # type: ignore[arg-type]
    "4125111111111115": CardProfile(**_TEST_VISA, decline="expired_card"),  # type: ignore[arg-type]
    "4124111111111116": CardProfile(**_TEST_VISA, decline="invalid_cvc"),  # type: ignore[arg-type]
    "4123111111111117": CardProfile(**_TEST_VISA, decline="not_permitted_holder"),  # type: ignore[arg-type]
    "4122111111111118": CardProfile(**_TEST_VISA, decline="not_permitted_terminal"),  # type: ignore[arg-type]
    "4121111111111119": CardProfile(**_TEST_VISA, decline="fraud"),  # type: ignore[arg-type]
    "4130111111111118": CardProfile(**_TEST_VISA, decline="general"),  # type: ignore[arg-type]
    "4131111111111117": CardProfile(**_TEST_VISA, md_status=0),  # type: ignore[arg-type]
    "4141111111111115": CardProfile(**_TEST_VISA, md_status=4),  # type: ignore[arg-type]
    "4151111111111112": CardProfile(**_TEST_VISA, threeds_init_fails=True),  # type: ignore[arg-type]
}
_BINS = {number[:6]: profile for number, profile in SANDBOX_CARDS.items() if profile.decline is None
         and profile.md_status == 1 and not profile.threeds_init_fails and not profile.no_cancel_refund}


def card_profile(number: str) -> CardProfile:
    known = SANDBOX_CARDS.get(number)
    if known is not None:
        return known
    return bin_profile(number[:6])


def bin_profile(bin_number: str) -> CardProfile:
    if bin_number[:6] in _BINS:
        return _BINS[bin_number[:6]]
    association = {"4": "VISA", "5": "MASTER_CARD", "2": "MASTER_CARD", "3": "AMERICAN_EXPRESS",
                   "9": "TROY"}.get(bin_number[:1], "VISA")
    return CardProfile(association, "CREDIT_CARD", "Sandbox", "Sandbox Bank", 99)


def _luhn_ok(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


# ---------------------------------------------------------------------------------------------- state
@dataclass
class Item:
    item_id: str
    transaction_id: str
    price: Decimal
    paid_price: Decimal
    refunded: Decimal = Decimal("0")


@dataclass
class StoredCard:
    token: str
    alias: str
    bin_number: str
    last_four: str
    profile: CardProfile


@dataclass
class Payment:
    payment_id: str
    kind: str  # PAYMENT_API | THREE_DS_AUTH | CHECKOUT_FORM_AUTH
    conversation_id: str
    basket_id: str
    currency: str
    price: Decimal
    paid_price: Decimal
    installment: int
    profile: CardProfile
    bin_number: str
    last_four: str
    items: list[Item]
    status: str  # INIT_THREEDS | CALLBACK_THREEDS | SUCCESS | FAILURE
    fraud_status: int = 1
    error: IyziError | None = None
    auth_code: str = ""
    host_reference: str = ""
    created_ms: int = 0
    cancelled: bool = False
    callback_url: str = ""
    conversation_data: str = ""
    threeds_token: str = ""
    md_status: int | None = None
    token: str = ""  # checkout form
    card_user_key: str = ""
    card_token: str = ""
    register: dict[str, Any] | None = None  # card to store once the payment succeeds (never the CVC)

    @property
    def refunded(self) -> Decimal:
        return sum((item.refunded for item in self.items), Decimal("0"))


@dataclass
class CheckoutSession:
    token: str
    order: dict[str, Any]
    callback_url: str
    expires_at: float
    payment_ids: list[str] = field(default_factory=list)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _present(value: Any) -> bool:
    """The SDK sends the text "None" for fields the caller left out; treat it (and "") as absent."""
    return value is not None and value != "" and value != "None"


def _text(value: Any) -> str:
    return str(value) if _present(value) else ""


def _money(value: Any) -> Decimal:
    if not _present(value) or isinstance(value, bool):
        raise InvalidOperation
    amount = Decimal(str(value))
    if not amount.is_finite():
        raise InvalidOperation
    return amount


def _num(amount: Decimal) -> float:
    return float(amount)


# ---------------------------------------------------------------------------------------------- server
class IyzicoSandbox(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], *, api_key: str = DEFAULT_API_KEY,
                 secret_key: str = DEFAULT_SECRET_KEY, webhook_url: str | None = None,
                 webhook_headers: dict[str, str] | None = None, ca: CaFiles | None = None) -> None:
        super().__init__(address, _Handler)
        self.ca = ca or ensure_ca()
        self.ca_file = str(self.ca.ca_cert)
        # Handshakes happen in each request's thread (see _Handler.setup), so a slow client cannot
        # stall the accept loop.
        self.socket = self.ca.server_context().wrap_socket(self.socket, server_side=True,
                                                           do_handshake_on_connect=False)
        self.api_key = api_key
        self.secret_key = secret_key
        self.webhook_url = webhook_url
        self.webhook_headers = dict(webhook_headers or {})
        host, port = self.server_address[:2]
        self.base_url = f"{host!s}:{port}"  # the SDK's base_url form
        self.public_url = f"https://{host!s}:{port}"
        self.lock = threading.RLock()
        self.webhook_done = threading.Condition(self.lock)
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.payments: dict[str, Payment] = {}
            self.by_conversation: dict[str, list[str]] = {}
            self.by_transaction: dict[str, str] = {}
            self.threeds_tokens: dict[str, str] = {}
            self.checkouts: dict[str, CheckoutSession] = {}
            self.card_users: dict[str, dict[str, Any]] = {}
            self.fraud_review: set[str] = set()
            self.failures: list[dict[str, Any]] = []
            self.requests: list[dict[str, Any]] = []
            self.deliveries: list[dict[str, Any]] = []
            self.ids = itertools.count(22_000_001)
            self.transaction_ids = itertools.count(24_000_001)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up (timeouts, the drop_after_commit control) are normal here.
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, ssl.SSLError, socket.timeout, TimeoutError)):
            return
        super().handle_error(request, client_address)

    # -- authentication --
    def check_auth(self, header: str | None, random_header: str | None, path: str, body: str) -> IyziError | None:
        if not header or not header.startswith("IYZWSv2 "):
            return ERR_INVALID_REQUEST
        try:
            decoded = base64.b64decode(header[len("IYZWSv2 "):], validate=True).decode()
            parts = dict(piece.split(":", 1) for piece in decoded.split("&"))
            api_key, random_key, signature = parts["apiKey"], parts["randomKey"], parts["signature"]
        except (binascii.Error, UnicodeDecodeError, ValueError, KeyError):
            return ERR_INVALID_REQUEST
        if not hmac.compare_digest(api_key, self.api_key):
            return ERR_API_KEY
        if not random_header:
            return ERR_RANDOM
        if random_header != random_key:
            return ERR_BAD_SIGNATURE
        expected = request_signature(self.secret_key, random_key, path, body)
        return None if hmac.compare_digest(expected, signature) else ERR_BAD_SIGNATURE

    # -- order validation (what iyzico checks before it talks to a bank) --
    def parse_order(self, body: dict[str, Any], *, card: bool, callback: bool) -> dict[str, Any]:
        bad = Rejected(ERR_INVALID_REQUEST)
        try:
            price, paid_price = _money(body.get("price")), _money(body.get("paidPrice"))
        except (InvalidOperation, ValueError):
            raise bad from None
        if price <= 0 or paid_price <= 0:
            raise bad
        currency = _text(body.get("currency")) or "TRY"
        if currency not in CURRENCIES:
            raise bad
        try:
            installment = int(_text(body.get("installment")) or "1")
        except ValueError:
            raise bad from None
        if installment not in INSTALLMENTS:
            raise bad
        items = body.get("basketItems")
        if not isinstance(items, list) or not items:
            raise bad
        total = Decimal("0")
        for item in items:
            if not isinstance(item, dict) or not all(_present(item.get(k)) for k in ("id", "name", "category1")):
                raise bad
            if item.get("itemType") not in ("PHYSICAL", "VIRTUAL"):
                raise bad
            try:
                item_price = _money(item.get("price"))
            except (InvalidOperation, ValueError):
                raise bad from None
            if item_price <= 0:
                raise bad
            total += item_price
        if total.quantize(CENT) != price.quantize(CENT):
            raise Rejected(ERR_BASKET_SUM)
        if paid_price < price:
            raise Rejected(ERR_PAID_PRICE)
        buyer = body.get("buyer")
        if not isinstance(buyer, dict) or not all(_present(buyer.get(k)) for k in (
                "id", "name", "surname", "email", "identityNumber", "registrationAddress", "city", "country", "ip")):
            raise bad
        if "gsmNumber" in buyer and not _present(buyer.get("gsmNumber")):
            raise bad
        for name in ("billingAddress",) + (("shippingAddress",) if any(
                i.get("itemType") == "PHYSICAL" for i in items) else ()):
            address = body.get(name)
            if not isinstance(address, dict) or not all(_present(address.get(k)) for k in (
                    "contactName", "city", "country", "address")):
                raise bad
        if callback:
            url = _text(body.get("callbackUrl"))
            if not url.startswith(("http://", "https://")):
                raise bad
        order = {"price": price, "paid_price": paid_price, "currency": currency, "installment": installment,
                 "items": items, "conversation_id": _text(body.get("conversationId")),
                 "basket_id": _text(body.get("basketId")), "callback_url": _text(body.get("callbackUrl"))}
        if card:
            order.update(self.parse_card(body.get("paymentCard")))
        return order

    def parse_card(self, card: Any) -> dict[str, Any]:
        if not isinstance(card, dict):
            raise Rejected(ERR_INVALID_REQUEST)
        if _present(card.get("cardToken")) or _present(card.get("cardUserKey")):
            stored = self.stored_card(_text(card.get("cardUserKey")), _text(card.get("cardToken")))
            return {"profile": stored.profile, "bin": stored.bin_number, "last4": stored.last_four,
                    "card_number": None, "card_user_key": _text(card.get("cardUserKey")), "card_token": stored.token}
        number = _text(card.get("cardNumber")).replace(" ", "")
        if not _present(card.get("cardHolderName")):
            raise Rejected(ERR_INVALID_REQUEST)
        if not number.isdigit() or not 15 <= len(number) <= 19 or not _luhn_ok(number):
            raise Rejected(ERR_CARD_NUMBER)
        month_text, year_text = _text(card.get("expireMonth")), _text(card.get("expireYear"))
        if not month_text.isdigit() or not 1 <= int(month_text) <= 12:
            raise Rejected(ERR_EXPIRE_MONTH)
        if not year_text.isdigit() or len(year_text) not in (2, 4):
            raise Rejected(ERR_EXPIRE_YEAR)
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
        today = dt.date.today()
        if (year, int(month_text)) < (today.year, today.month):
            raise Rejected(ERR_EXPIRED)
        cvc = _text(card.get("cvc"))
        if not cvc.isdigit() or len(cvc) not in (3, 4):
            raise Rejected(ERR_CVC)
        register = None
        if str(card.get("registerCard", "0")) == "1":
            register = {"alias": _text(card.get("cardAlias")), "card_user_key": _text(card.get("cardUserKey"))}
        return {"profile": card_profile(number), "bin": number[:6], "last4": number[-4:], "card_number": number,
                "card_user_key": "", "card_token": "", "register": register}

    def stored_card(self, user_key: str, token: str) -> StoredCard:
        with self.lock:
            user = self.card_users.get(user_key)
            if user is None:
                raise Rejected(ERR_CARD_USER, 200)
            stored = user["cards"].get(token)
            if stored is None:
                raise Rejected(ERR_CARD_TOKEN, 200)
            return stored

    # -- payments --
    def new_payment(self, order: dict[str, Any], kind: str, status: str) -> Payment:
        with self.lock:
            payment_id = str(next(self.ids))
            items = []
            remaining = order["paid_price"]
            ratio = order["paid_price"] / order["price"]
            for index, raw in enumerate(order["items"]):
                price = _money(raw["price"])
                paid = remaining if index == len(order["items"]) - 1 else (price * ratio).quantize(CENT, ROUND_HALF_UP)
                remaining -= paid
                transaction_id = str(next(self.transaction_ids))
                items.append(Item(str(raw["id"]), transaction_id, price, paid))
                self.by_transaction[transaction_id] = payment_id
            number = order.get("card_number")
            payment = Payment(
                payment_id=payment_id, kind=kind, conversation_id=order["conversation_id"],
                basket_id=order["basket_id"], currency=order["currency"], price=order["price"],
                paid_price=order["paid_price"], installment=order["installment"], profile=order["profile"],
                bin_number=order["bin"], last_four=order["last4"], items=items, status=status,
                fraud_status=0 if number is not None and number in self.fraud_review else 1,
                created_ms=_now_ms(), callback_url=order.get("callback_url", ""),
                card_user_key=order.get("card_user_key", ""), card_token=order.get("card_token", ""),
                register=order.get("register"))
            self.payments[payment_id] = payment
            self.by_conversation.setdefault(payment.conversation_id, []).append(payment_id)
            return payment

    def settle(self, payment: Payment) -> None:
        """The bank's answer: decide SUCCESS/FAILURE from the card."""
        with self.lock:
            decline = payment.profile.decline
            if decline is not None:
                payment.status, payment.error = "FAILURE", BANK_ERRORS[decline]
                return
            payment.status = "SUCCESS"
            payment.auth_code = f"{secrets.randbelow(10**6):06d}"
            payment.host_reference = f"mock{secrets.randbelow(10**12):012d}"
            if payment.register is not None:
                user_key = payment.register["card_user_key"] or secrets.token_urlsafe(18)
                stored = self.store_card(user_key, payment.register["alias"], payment.bin_number, payment.last_four,
                                         payment.profile, email="", external_id="")
                payment.card_user_key, payment.card_token = user_key, stored.token
                payment.register = None

    def payment_json(self, payment: Payment, locale: str, conversation_id: str) -> dict[str, Any]:
        commission = payment.paid_price - payment.price
        body: dict[str, Any] = {
            "status": "success", "locale": locale, "systemTime": _now_ms(),
            "conversationId": conversation_id,
            "price": _num(payment.price), "paidPrice": _num(payment.paid_price), "installment": payment.installment,
            "paymentId": payment.payment_id, "fraudStatus": payment.fraud_status,
            "merchantCommissionRate": _num((commission / payment.price * 100).quantize(Decimal("0.00000001"))),
            "merchantCommissionRateAmount": _num(commission),
            "iyziCommissionRateAmount": _num((payment.paid_price * Decimal("0.0299")).quantize(Decimal("0.00000001"))),
            "iyziCommissionFee": 0.25,
            "cardType": payment.profile.card_type, "cardAssociation": payment.profile.association,
            "cardFamily": payment.profile.family, "binNumber": payment.bin_number,
            "lastFourDigits": payment.last_four, "basketId": payment.basket_id, "currency": payment.currency,
            "itemTransactions": [self.item_json(payment, item) for item in payment.items],
            "authCode": payment.auth_code, "phase": "AUTH", "hostReference": payment.host_reference,
        }
        if payment.card_user_key:
            body["cardUserKey"], body["cardToken"] = payment.card_user_key, payment.card_token
        if payment.md_status is not None:
            body["mdStatus"] = payment.md_status
        body["signature"] = sign(self.secret_key, payment.payment_id, payment.currency, payment.basket_id,
                                 conversation_id, price_text(payment.paid_price), price_text(payment.price))
        return body

    def item_json(self, payment: Payment, item: Item) -> dict[str, Any]:
        iyzi = (item.paid_price * Decimal("0.0299")).quantize(Decimal("0.00000001"))
        return {
            "itemId": item.item_id, "paymentTransactionId": item.transaction_id, "transactionStatus": 2,
            "price": _num(item.price), "paidPrice": _num(item.paid_price),
            "merchantCommissionRate": _num(((item.paid_price - item.price) / item.price * 100).quantize(
                Decimal("0.00000001"))),
            "merchantCommissionRateAmount": _num(item.paid_price - item.price),
            "iyziCommissionRateAmount": _num(iyzi), "iyziCommissionFee": 0.25,
            "blockageRate": 0, "blockageRateAmountMerchant": 0, "blockageResolvedDate": "",
            "merchantPayoutAmount": _num(item.paid_price - iyzi), "refundedPrice": _num(item.refunded),
            "convertedPayout": {"paidPrice": _num(item.paid_price), "iyziCommissionRateAmount": _num(iyzi),
                                "iyziCommissionFee": 0.25, "merchantPayoutAmount": _num(item.paid_price - iyzi),
                                "currency": payment.currency},
        }

    def find(self, payment_id: str = "", conversation_id: str = "") -> Payment | None:
        with self.lock:
            if payment_id:
                return self.payments.get(payment_id)
            ids = self.by_conversation.get(conversation_id, []) if conversation_id else []
            found = [self.payments[i] for i in ids]
            settled = [p for p in found if p.status == "SUCCESS"] or found
            return settled[-1] if settled else None

    def store_card(self, user_key: str, alias: str, bin_number: str, last_four: str, profile: CardProfile,
                   *, email: str, external_id: str) -> StoredCard:
        with self.lock:
            user = self.card_users.setdefault(user_key, {"email": email, "external_id": external_id, "cards": {}})
            stored = StoredCard(secrets.token_urlsafe(18), alias, bin_number, last_four, profile)
            user["cards"][stored.token] = stored
            return stored

    # -- webhooks --
    def webhook_for(self, payment: Payment, event_type: str | None = None, status: str | None = None
                    ) -> Callable[[], None] | None:
        if not self.webhook_url:
            return None
        event = event_type or payment.kind
        state = status or payment.status
        body: dict[str, Any] = {"paymentConversationId": payment.conversation_id, "merchantId": MERCHANT_ID,
                                "status": state, "iyziReferenceCode": str(uuid.uuid4()),
                                "iyziEventType": event, "iyziEventTime": _now_ms()}
        if payment.token and event == "CHECKOUT_FORM_AUTH":
            body.update(token=payment.token, iyziPaymentId=payment.payment_id)
            signature = webhook_signature(self.secret_key, event, payment.payment_id, payment.token,
                                          payment.conversation_id, state)
        else:
            body["paymentId"] = payment.payment_id
            signature = webhook_signature(self.secret_key, event, payment.payment_id, payment.conversation_id, state)
        raw = json.dumps(body).encode()
        with self.lock:
            number = len(self.deliveries)
            self.deliveries.append({"n": number, "url": self.webhook_url, "body": body, "signature": signature,
                                    "attempts": []})

        def send() -> None:
            self.deliver(number, raw)
        return send

    def deliver(self, number: int, raw: bytes | None = None) -> dict[str, Any]:
        with self.lock:
            delivery = self.deliveries[number]
            url, signature = delivery["url"], delivery["signature"]
        payload = raw if raw is not None else json.dumps(delivery["body"]).encode()
        headers = {"Content-Type": "application/json", "X-IYZ-SIGNATURE-V3": signature, **self.webhook_headers}
        request = urllib.request.Request(url, data=payload, headers=headers, method="POST")
        context = ssl.create_default_context(cafile=self.ca_file) if url.startswith("https:") else None
        try:
            with urllib.request.urlopen(request, timeout=10, context=context) as answer:
                outcome: Any = answer.status
        except urllib.error.HTTPError as error:
            outcome = error.code
        except (urllib.error.URLError, OSError) as error:
            outcome = f"error: {error}"
        with self.webhook_done:
            attempt = {"status": outcome, "at": _now_ms()}
            delivery["attempts"].append(attempt)
            delivery["status"] = outcome
            self.webhook_done.notify_all()
        return delivery

    def wait_for_webhooks(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Block until `count` deliveries have been attempted at least once."""
        deadline = time.monotonic() + timeout
        with self.webhook_done:
            while sum(1 for d in self.deliveries if d["attempts"]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.webhook_done.wait(left)
            return [dict(d) for d in self.deliveries]

    # -- 3-D Secure and hosted page helpers --
    def threeds_callback(self, payment: Payment) -> dict[str, str]:
        """The bank has authenticated the cardholder: what it POSTs to the merchant's callbackUrl."""
        with self.lock:
            if payment.status == "INIT_THREEDS":
                payment.status = "CALLBACK_THREEDS"
                payment.md_status = payment.profile.md_status
            md_status = str(payment.md_status if payment.md_status is not None else payment.profile.md_status)
            status = "success" if md_status == "1" else "failure"
            form = {"status": status, "paymentId": payment.payment_id, "conversationData": payment.conversation_data,
                    "conversationId": payment.conversation_id, "mdStatus": md_status}
            form["signature"] = sign(self.secret_key, payment.conversation_data, payment.conversation_id, md_status,
                                     payment.payment_id, status)
            return form

    def checkout_pay(self, token: str, card: dict[str, Any], installment: Any) -> tuple[Payment, list[Callable[[], None]]]:
        with self.lock:
            session = self.checkouts.get(token)
            if session is None:
                raise Rejected(ERR_TOKEN, 404)
            if time.time() > session.expires_at:
                raise Rejected(ERR_TOKEN_EXPIRED, 410)
            if any(self.payments[i].status == "SUCCESS" for i in session.payment_ids):
                raise Rejected(ERR_TOKEN_PAID, 409)
            order = dict(session.order)
        order.update(self.parse_card(card))
        if _present(installment):
            order["installment"] = int(str(installment))
            if order["installment"] not in INSTALLMENTS:
                raise Rejected(ERR_INVALID_REQUEST)
        payment = self.new_payment(order, "CHECKOUT_FORM_AUTH", "INIT")
        payment.token = token
        self.settle(payment)
        with self.lock:
            session.payment_ids.append(payment.payment_id)
        hook = self.webhook_for(payment)
        return payment, [hook] if hook else []

    def injected_failure(self, path: str) -> dict[str, Any] | None:
        with self.lock:
            for failure in self.failures:
                if failure["path"] == path and failure["times"] > 0:
                    failure["times"] -= 1
                    return dict(failure)
        return None


# ---------------------------------------------------------------------------------------------- HTTP
class _Handler(BaseHTTPRequestHandler):
    server: IyzicoSandbox
    server_version = "iyzico-sandbox/1"

    def setup(self) -> None:
        self.request.settimeout(30)
        self.request.do_handshake()
        super().setup()
        self.after: list[Callable[[], None]] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._route("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._route("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._route("DELETE")

    def _route(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        self.raw_body = self.rfile.read(length) if length else b""
        parts = [p for p in url.path.split("/") if p]
        try:
            if parts[:1] == ["_fake"]:
                self._control(method, parts[1:], parse_qs(url.query))
            elif parts[:1] == ["_bank"]:
                self._bank(method, parts[1:])
            elif parts[:1] == ["_checkout"]:
                self._checkout_page(method, parts[1:])
            else:
                self._protocol(method, url.path, parse_qs(url.query))
        finally:
            for task in self.after:  # after the answer has gone out (webhooks)
                try:
                    task()
                except Exception:  # noqa: BLE001 - a receiver's failure is recorded, never raised here
                    pass

    # -- the protocol --
    def _protocol(self, method: str, path: str, query: dict[str, list[str]]) -> None:
        server = self.server
        body_text = self.raw_body.decode("utf-8", "replace")
        try:
            body = json.loads(body_text) if body_text else None
        except json.JSONDecodeError:
            body = None
        body = body if isinstance(body, dict) else {}
        locale = "en" if body.get("locale") == "en" else "tr"
        conversation_id = _text(body.get("conversationId"))
        auth_error = server.check_auth(self.headers.get("Authorization"), self.headers.get("x-iyzi-rnd"), path,
                                       body_text)
        with server.lock:
            server.requests.append({"method": method, "path": path, "auth_ok": auth_error is None,
                                    "auth_error": auth_error.code if auth_error else None,
                                    "conversationId": conversation_id})
        if auth_error is not None:
            self._failure(401, auth_error, locale, conversation_id)
            return
        failure = server.injected_failure(path)
        if failure and failure["mode"] == "status_500":
            self._failure(500, ERR_SYSTEM, locale, conversation_id)
            return
        if failure and failure["mode"] == "delay":
            time.sleep(float(failure.get("seconds", 5)))
        routes: dict[tuple[str, str], Callable[[dict[str, Any], str], tuple[int, dict[str, Any]]]] = {
            ("POST", "/payment/auth"): self._pay,
            ("POST", "/payment/3dsecure/initialize"): self._threeds_initialize,
            ("POST", "/payment/3dsecure/auth"): self._threeds_auth,
            ("POST", "/payment/iyzipos/checkoutform/initialize/ecom"): self._checkout_initialize,
            ("POST", "/payment/iyzipos/checkoutform/auth/ecom/detail"): self._checkout_retrieve,
            ("POST", "/payment/bin/check"): self._bin_check,
            ("POST", "/payment/iyzipos/installment"): self._installment,
            ("POST", "/payment/cancel"): self._cancel,
            ("POST", "/payment/refund"): self._refund,
            ("POST", "/v2/payment/refund"): self._refund_v2,
            ("POST", "/payment/detail"): self._detail,
            ("POST", "/cardstorage/card"): self._card_create,
            ("DELETE", "/cardstorage/card"): self._card_delete,
            ("POST", "/cardstorage/cards"): self._card_list,
        }
        if (method, path) == ("GET", "/v2/reporting/payment/details"):
            body = {key: values[0] for key, values in query.items()}
            handler = self._reporting
        else:
            handler = routes.get((method, path))  # type: ignore[assignment]
        if handler is None:
            self._failure(404, ERR_INVALID_REQUEST, locale, conversation_id)
            return
        try:
            status, answer = handler(body, locale)
        except Rejected as rejected:
            status, answer = rejected.http_status, self._failure_body(rejected.error, locale, conversation_id)
            answer.update(rejected.extra)
        if failure and failure["mode"] == "drop_after_commit":
            self.close_connection = True
            try:
                self.request.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self._send(status, answer)

    def _failure_body(self, error: IyziError, locale: str, conversation_id: str) -> dict[str, Any]:
        body: dict[str, Any] = {"status": "failure", "errorCode": error.code, "errorMessage": error.message(locale)}
        if error.group:
            body["errorGroup"] = error.group
        body.update(locale=locale, systemTime=_now_ms())
        if conversation_id:
            body["conversationId"] = conversation_id
        return body

    def _failure(self, status: int, error: IyziError, locale: str, conversation_id: str) -> None:
        self._send(status, self._failure_body(error, locale, conversation_id))

    def _declined(self, payment: Payment, locale: str, conversation_id: str) -> tuple[int, dict[str, Any]]:
        assert payment.error is not None
        return 200, self._failure_body(payment.error, locale, conversation_id)

    def _pay(self, body: dict[str, Any], locale: str) -> tuple[int, dict[str, Any]]:
        server = self.server
        order = server.parse_order(body, card=True, callback=False)
        payment = server.new_payment(order, "PAYMENT_API", "INIT")
        server.settle(payment)
        hook = server.webhook_for(payment)
        if hook:
            self.after.append(hook)
        if payment.status == "FAILURE":
            return self._declined(payment, locale, order["conversation_id"])
        return 200, server.payment_json(payment, locale, order["conversation_id"])

    def _threeds_initialize(self, body: dict[str, Any], locale: str) -> tuple[int, dict[str, Any]]:
        server = self.server
        order = server.parse_order(body, card=True, callback=True)
        if order["profile"].threeds_init_fails:
            raise Rejected(ERR_3DS_INIT, 200)
        payment = server.new_payment(order, "THREE_DS_AUTH", "INIT_THREEDS")
        with server.lock:
            payment.conversation_data = secrets.token_urlsafe(24)
            payment.threeds_token = secrets.token_urlsafe(24)
            server.threeds_tokens[payment.threeds_token] = payment.payment_id
        bank_url = f"{server.public_url}/_bank/3ds/{payment.threeds_token}"
        page = (f"<!doctype html><html><head><meta charset='utf-8'><title>3-D Secure</title></head>"
                f"<body onload='document.forms[0].submit()'><form method='get' action='{html.escape(bank_url)}'>"
                f"<noscript><button type='submit'>Devam / Continue</button></noscript></form></body></html>")
        answer = {"status": "success", "locale": locale, "systemTime": _now_ms(),
                  "conversationId": order["conversation_id"],
                  "threeDSHtmlContent": base64.b64encode(page.encode()).decode(),
                  "paymentId": payment.payment_id,
                  "signature": sign(server.secret_key, payment.payment_id, order["conversation_id"])}
        return 200, answer

    def _threeds_auth(self, body: dict[str, Any], locale: str) -> tuple[int, dict[str, Any]]:
        server = self.server
        conversation_id = _text(body.get("conversationId"))
        payment = server.find(payment_id=_text(body.get("paymentId")))
        if payment is None or payment.kind != "THREE_DS_AUTH":
            raise Rejected(ERR_NOT_FOUND, 200)
        with server.lock:
            if payment.status in ("SUCCESS", "FAILURE"):
                raise Rejected(ERR_ALREADY_DONE, 200)
            given = _text(body.get("conversationData"))
            if given and given != payment.conversation_data:
                raise Rejected(ERR_INVALID_REQUEST, 400)
            if payment.status == "INIT_THREEDS" or payment.md_status != 1:
                payment.status = "FAILURE"
                payment.error = ERR_3DS_NOT_VERIFIED
            else:
                server.settle(payment)
        hook = server.webhook_for(payment)
        if hook:
            self.after.append(hook)
        if payment.status == "FAILURE":
            return self._declined(payment, locale, conversation_id)
        return 200, server.payment_json(payment, locale, conversation_id)

    def _checkout_initialize(self, body: dict[str, Any], locale: str) -> tuple[int, dict[str, Any]]:
        server = self.server
        order = server.parse_order(body, card=False, callback=True)
        token = str(uuid.uuid4())
        with server.lock:
            server.checkouts[token] = CheckoutSession(token, order, order["callback_url"],
                                                      time.time() + TOKEN_LIFETIME_SECONDS)
        page_url = f"{server.public_url}/_checkout/{token}"
        content = (f'<script type="text/javascript">if (typeof iyziInit == \'undefined\') {{'
                   f'var iyziInit = {{token: "{token}", paymentPageUrl: "{page_url}"}};'
                   f'var f = document.createElement("iframe"); f.src = "{page_url}"; f.style.width = "100%";'
                   f'f.style.height = "640px"; f.style.border = "0";'
                   f'(document.getElementById("iyzipay-checkout-form") || document.body).appendChild(f);}}</script>')
        return 200, {"status": "success", "locale": locale, "systemTime": _now_ms(),
                     "conversationId": order["conversation_id"], "token": token, "checkoutFormContent": content,
                     "tokenExpireTime": TOKEN_LIFETIME_SECONDS, "paymentPageUrl": page_url,
                     "signature": sign(server.secret_key, order["conversation_id"], token)}

    def _checkout_retrieve(self, body: dict[str, Any], locale: str) -> tuple[int, dict[str, Any]]:
        server = self.server
        token = _text(body.get("token"))
        conversation_id = _text(body.get("conversationId"))
        with server.lock:
            session = server.checkouts.get(token)
            if session is None or not session.payment_ids:
                raise Rejected(ERR_TOKEN, 200)
            attempts = [server.payments[i] for i in session.payment_ids]
            payment = next((p for p in attempts if p.status == "SUCCESS"), attempts[-1])
        if payment.status == "SUCCESS":
            answer = server.payment_json(payment, locale, conversation_id)
        else:
            answer = self._failure_body(payment.error or ERR_SYSTEM, locale, conversation_id)
            answer.update(paymentId=payment.payment_id, price=_num(payment.price), paidPrice=_num(payment.paid_price),
                          currency=payment.currency, basketId=payment.basket_id, installment=payment.installment)
        answer.update(paymentStatus=payment.status, token=token, callbackUrl=session.callback_url,
                      fraudStatus=payment.fraud_status)
        answer["signature"] = sign(server.secret_key, payment.status, payment.payment_id, payment.currency,
                                   payment.basket_id, conversation_id, price_text(payment.paid_price),
                                   price_text(payment.price), token)
        return 200, answer

    def _bin_check(self, body: dict[str, Any], locale: str) -> tuple[int, dict[str, Any]]:
        bin_number = _text(body.get("binNumber"))
        if not bin_number.isdigit() or len(bin_number) < 6:
            raise Rejected(ERR_INVALID_REQUEST)
        profile = bin_profile(bin_number[:6])
        return 200, {"status": "success", "locale": locale, "systemTime": _now_ms(),
                     "conversationId": _text(body.get("conversationId")), "binNumber": bin_number[:6],
                     "cardType": profile.card_type, "cardAssociation": profile.association,
                     "cardFamily": profile.family, "bankName": profile.bank_name, "bankCode": profile.bank_code,
                     "commercial": profile.commercial}

    def _installment(self, body: dict[str, Any], locale: str) -> tuple[int, dict[str, Any]]:
        try:
            price = _money(body.get("price"))
        except (InvalidOperation, ValueError):
            raise Rejected(ERR_INVALID_REQUEST) from None
        if price <= 0:
            raise Rejected(ERR_INVALID_REQUEST)
        bin_number = _text(body.get("binNumber"))
        bins = [bin_number[:6]] if bin_number else ["552879", "589004", "476662"]
        details = []
        for number in bins:
            profile = bin_profile(number)
            counts = (1,) if profile.card_type == "DEBIT_CARD" or profile.foreign else INSTALLMENTS
            prices = []
            for count in counts:
                total = (price * (1 + INSTALLMENT_RATES[count])).quantize(CENT, ROUND_HALF_UP)
                prices.append({"installmentPrice": _num((total / count).quantize(CENT, ROUND_HALF_UP)),
                               "totalPrice": _num(total), "installmentNumber": count})
            details.append({"binNumber": number, "price": _num(price), "cardType": profile.card_type,
                            "cardAssociation": profile.association, "cardFamilyName": profile.family,
                            "force3ds": 0, "bankCode": profile.bank_code, "bankName": profile.bank_name,
                            "forceCvc": 0, "commercial": profile.commercial, "installmentPrices": prices})
        return 200, {"status": "success", "locale": locale, "systemTime": _now_ms(),
                     "conversationId": _text(body.get("conversationId")), "installmentDetails": details}

    def _settled(self, payment_id: str) -> Payment:
        payment = self.server.find(payment_id=payment_id)
        if payment is None or payment.status != "SUCCESS":
            raise Rejected(ERR_NOT_FOUND, 200)
        if payment.profile.no_cancel_refund:
            raise Rejected(ERR_NO_CANCEL_REFUND, 200)
        if payment.cancelled:
            raise Rejected(ERR_CANCELLED, 200)
        return payment

    def _cancel(self, body: dict[str, Any], locale: str) -> tuple[int, dict[str, Any]]:
        server = self.server
        with server.lock:
            payment = self._settled(_text(body.get("paymentId")))
            if payment.refunded > 0:
                raise Rejected(ERR_REFUNDED_NO_CANCEL, 200)
            payment.cancelled = True
        hook = server.webhook_for(payment, "CANCEL", "SUCCESS")
        if hook:
            self.after.append(hook)
        return 200, {"status": "success", "locale": locale, "systemTime": _now_ms(),
                     "conversationId": _text(body.get("conversationId")), "paymentId": payment.payment_id,
                     "price": _num(payment.paid_price), "currency": payment.currency,
                     "authCode": f"{secrets.randbelow(10**6):06d}",
                     "hostReference": f"mock{secrets.randbelow(10**12):012d}"}

    def _refund_amount(self, body: dict[str, Any], payment: Payment) -> Decimal:
        try:
            amount = _money(body.get("price"))
        except (InvalidOperation, ValueError):
            raise Rejected(ERR_INVALID_REQUEST) from None
        if amount <= 0 or amount != amount.quantize(CENT):
            raise Rejected(ERR_INVALID_REQUEST)
        currency = _text(body.get("currency"))
        if currency and currency != payment.currency:
            raise Rejected(ERR_CURRENCY_MISMATCH)
        return amount

    def _refund(self, body: dict[str, Any], locale: str) -> tuple[int, dict[str, Any]]:
        server = self.server
        transaction_id = _text(body.get("paymentTransactionId"))
        with server.lock:
            payment_id = server.by_transaction.get(transaction_id, "")
            payment = self._settled(payment_id)
            item = next(i for i in payment.items if i.transaction_id == transaction_id)
            amount = self._refund_amount(body, payment)
            if item.refunded + amount > item.paid_price:
                raise Rejected(ERR_OVER_REFUND, 200)
            item.refunded += amount
        hook = server.webhook_for(payment, "REFUND", "SUCCESS")
        if hook:
            self.after.append(hook)
        return 200, {"status": "success", "locale": locale, "systemTime": _now_ms(),
                     "conversationId": _text(body.get("conversationId")), "paymentId": payment.payment_id,
                     "paymentTransactionId": transaction_id, "price": _num(amount), "currency": payment.currency,
                     "authCode": f"{secrets.randbelow(10**6):06d}",
                     "hostReference": f"mock{secrets.randbelow(10**12):012d}"}

    def _refund_v2(self, body: dict[str, Any], locale: str) -> tuple[int, dict[str, Any]]:
        server = self.server
        with server.lock:
            payment = self._settled(_text(body.get("paymentId")))
            amount = self._refund_amount(body, payment)
            if payment.refunded + amount > payment.paid_price:
                raise Rejected(ERR_OVER_REFUND, 200)
            left = amount
            for item in payment.items:  # spread over the items with room left, in basket order
                take = min(left, item.paid_price - item.refunded)
                item.refunded += take
                left -= take
        hook = server.webhook_for(payment, "REFUND", "SUCCESS")
        if hook:
            self.after.append(hook)
        return 200, {"status": "success", "locale": locale, "systemTime": _now_ms(),
                     "conversationId": _text(body.get("conversationId")), "paymentId": payment.payment_id,
                     "price": _num(amount), "currency": payment.currency,
                     "authCode": f"{secrets.randbelow(10**6):06d}",
                     "hostReference": f"mock{secrets.randbelow(10**12):012d}"}

    def _detail(self, body: dict[str, Any], locale: str) -> tuple[int, dict[str, Any]]:
        server = self.server
        conversation_id = _text(body.get("conversationId"))
        payment_id, by_conversation = _text(body.get("paymentId")), _text(body.get("paymentConversationId"))
        if not payment_id and not by_conversation:
            raise Rejected(ERR_INVALID_REQUEST)
        payment = server.find(payment_id=payment_id, conversation_id=by_conversation)
        if payment is None or payment.status not in ("SUCCESS", "FAILURE"):
            raise Rejected(ERR_NOT_FOUND, 200)
        if payment.status == "FAILURE":
            answer = self._failure_body(payment.error or ERR_SYSTEM, locale, conversation_id)
            answer["paymentId"] = payment.payment_id
            return 200, answer
        return 200, server.payment_json(payment, locale, conversation_id)

    def _reporting(self, query: dict[str, Any], locale: str) -> tuple[int, dict[str, Any]]:
        server = self.server
        payment_id, conversation_id = _text(query.get("paymentId")), _text(query.get("paymentConversationId"))
        if not payment_id and not conversation_id:
            raise Rejected(ERR_INVALID_REQUEST)
        with server.lock:
            if payment_id:
                found = [server.payments[payment_id]] if payment_id in server.payments else []
            else:
                found = [server.payments[i] for i in server.by_conversation.get(conversation_id, [])]
            payments = []
            for payment in found:
                refunded = payment.refunded
                payments.append({
                    "paymentId": payment.payment_id,
                    "paymentStatus": {"SUCCESS": 1, "FAILURE": 2}.get(payment.status, 3),
                    "paymentRefundStatus": "NOT_REFUNDED" if refunded == 0 else (
                        "TOTALLY_REFUNDED" if refunded == payment.paid_price else "PARTIALLY_REFUNDED"),
                    "cancelled": payment.cancelled,
                    "price": _num(payment.price), "paidPrice": _num(payment.paid_price),
                    "installment": payment.installment, "currency": payment.currency,
                    "basketId": payment.basket_id, "paymentConversationId": payment.conversation_id,
                    "fraudStatus": payment.fraud_status, "createdDate": payment.created_ms,
                    "errorCode": payment.error.code if payment.error else None,
                    "errorMessage": payment.error.message(locale) if payment.error else None,
                    "itemTransactions": [{"paymentTransactionId": i.transaction_id, "itemId": i.item_id,
                                          "price": _num(i.price), "paidPrice": _num(i.paid_price),
                                          "refundedPrice": _num(i.refunded)} for i in payment.items],
                })
        return 200, {"status": "success", "locale": locale, "systemTime": _now_ms(), "payments": payments}

    def _card_create(self, body: dict[str, Any], locale: str) -> tuple[int, dict[str, Any]]:
        server = self.server
        card = body.get("card")
        if not isinstance(card, dict):
            raise Rejected(ERR_INVALID_REQUEST)
        user_key = _text(body.get("cardUserKey"))
        if user_key:
            with server.lock:
                if user_key not in server.card_users:
                    raise Rejected(ERR_CARD_USER, 200)
        elif not _present(body.get("email")):
            raise Rejected(ERR_INVALID_REQUEST)
        parsed = server.parse_card({**card, "cvc": "000"})  # storage takes no CVC; reuse the number checks
        user_key = user_key or secrets.token_urlsafe(18)
        stored = server.store_card(user_key, _text(card.get("cardAlias")), parsed["bin"], parsed["last4"],
                                   parsed["profile"], email=_text(body.get("email")),
                                   external_id=_text(body.get("externalId")))
        return 200, {"status": "success", "locale": locale, "systemTime": _now_ms(),
                     "conversationId": _text(body.get("conversationId")), "externalId": _text(body.get("externalId")),
                     "email": _text(body.get("email")), "cardUserKey": user_key, **self._card_json(stored)}

    @staticmethod
    def _card_json(stored: StoredCard) -> dict[str, Any]:
        return {"cardToken": stored.token, "cardAlias": stored.alias, "binNumber": stored.bin_number,
                "lastFourDigits": stored.last_four, "cardType": stored.profile.card_type,
                "cardAssociation": stored.profile.association, "cardFamily": stored.profile.family,
                "cardBankCode": stored.profile.bank_code, "cardBankName": stored.profile.bank_name}

    def _card_delete(self, body: dict[str, Any], locale: str) -> tuple[int, dict[str, Any]]:
        server = self.server
        user_key, token = _text(body.get("cardUserKey")), _text(body.get("cardToken"))
        with server.lock:
            server.stored_card(user_key, token)
            del server.card_users[user_key]["cards"][token]
        return 200, {"status": "success", "locale": locale, "systemTime": _now_ms(),
                     "conversationId": _text(body.get("conversationId"))}

    def _card_list(self, body: dict[str, Any], locale: str) -> tuple[int, dict[str, Any]]:
        server = self.server
        user_key = _text(body.get("cardUserKey"))
        with server.lock:
            user = server.card_users.get(user_key)
            if user is None:
                raise Rejected(ERR_CARD_USER, 200)
            cards = [self._card_json(stored) for stored in user["cards"].values()]
        return 200, {"status": "success", "locale": locale, "systemTime": _now_ms(),
                     "conversationId": _text(body.get("conversationId")), "cardUserKey": user_key,
                     "cardDetails": cards}

    # -- pages a browser sees --
    def _bank(self, method: str, parts: list[str]) -> None:
        server = self.server
        if method != "GET" or len(parts) != 2 or parts[0] != "3ds":
            self._send_bytes(404, b"not found", "text/plain")
            return
        with server.lock:
            payment_id = server.threeds_tokens.get(parts[1])
            payment = server.payments.get(payment_id or "")
        if payment is None:
            self._send_bytes(404, b"unknown 3-D Secure session", "text/plain")
            return
        form = server.threeds_callback(payment)
        self._send_bytes(200, _auto_form("Banka 3-D Secure doğrulaması (sandbox)", payment.callback_url, form,
                                         f"{_num(payment.paid_price)} {payment.currency} · **** {payment.last_four}"),
                         "text/html; charset=utf-8")

    def _checkout_page(self, method: str, parts: list[str]) -> None:
        server = self.server
        if len(parts) != 1:
            self._send_bytes(404, b"not found", "text/plain")
            return
        token = parts[0]
        with server.lock:
            session = server.checkouts.get(token)
        if session is None:
            self._send_bytes(404, b"unknown checkout form token", "text/plain")
            return
        if method == "GET":
            price = _num(session.order["paid_price"])
            page = (f"<!doctype html><html><head><meta charset='utf-8'><title>iyzico sandbox</title></head><body>"
                    f"<h1>Ödeme / Payment: {price} {html.escape(session.order['currency'])}</h1>"
                    f"<form method='post' action='/_checkout/{html.escape(token)}'>"
                    f"<input name='holder' placeholder='Kart üzerindeki isim' required>"
                    f"<input name='card_number' placeholder='5528790000000008' required>"
                    f"<input name='expire_month' placeholder='12' required>"
                    f"<input name='expire_year' placeholder='2030' required>"
                    f"<input name='cvc' placeholder='123' required>"
                    f"<input name='installment' value='1'>"
                    f"<button type='submit'>Öde / Pay</button></form></body></html>")
            self._send_bytes(200, page.encode(), "text/html; charset=utf-8")
            return
        fields = {key: values[0] for key, values in parse_qs(self.raw_body.decode()).items()}
        try:
            result = self._pay_checkout(token, fields)
        except Rejected as rejected:
            self._send_bytes(rejected.http_status, rejected.error.message("tr").encode(), "text/plain; charset=utf-8")
            return
        self._send_bytes(200, _auto_form("iyzico", result["callback_url"], result["form"], "Yönlendiriliyor..."),
                         "text/html; charset=utf-8")

    def _pay_checkout(self, token: str, fields: dict[str, Any]) -> dict[str, Any]:
        card = {"cardHolderName": fields.get("holder"), "cardNumber": fields.get("card_number"),
                "expireMonth": fields.get("expire_month"), "expireYear": fields.get("expire_year"),
                "cvc": fields.get("cvc")}
        payment, hooks = self.server.checkout_pay(token, card, fields.get("installment"))
        self.after.extend(hooks)
        result: dict[str, Any] = {"callback_url": self.server.checkouts[token].callback_url, "form": {"token": token},
                                  "paymentStatus": payment.status}
        if payment.error:
            result["errorCode"] = payment.error.code
        return result

    # -- controls --
    def _control(self, method: str, parts: list[str], query: dict[str, list[str]]) -> None:
        server = self.server
        try:
            body = json.loads(self.raw_body or b"{}")
        except json.JSONDecodeError:
            body = None
        if not isinstance(body, dict):
            self._send(400, {"error": "body must be a JSON object"})
            return
        if method == "GET" and parts == ["requests"]:
            with server.lock:
                self._send(200, {"requests": list(server.requests)})
        elif method == "GET" and parts == ["webhooks"]:
            wanted = int(query.get("wait", ["0"])[0])
            timeout = float(query.get("timeout", ["5"])[0])
            self._send(200, {"deliveries": server.wait_for_webhooks(wanted, timeout)})
        elif method == "POST" and len(parts) == 3 and parts[0] == "webhooks" and parts[2] == "redeliver":
            number = int(parts[1]) if parts[1].isdigit() else -1
            if not 0 <= number < len(server.deliveries):
                self._send(404, {"error": "no such delivery"})
                return
            self._send(200, server.deliver(number))
        elif method == "POST" and len(parts) == 3 and parts[0] == "3ds" and parts[2] == "complete":
            payment = server.find(payment_id=parts[1])
            if payment is None or not payment.threeds_token:
                self._send(404, {"error": "no such 3-D Secure payment"})
                return
            self._send(200, {"callback_url": payment.callback_url, "form": server.threeds_callback(payment)})
        elif method == "POST" and len(parts) == 3 and parts[0] == "checkoutform" and parts[2] == "pay":
            try:
                self._send(200, self._pay_checkout(parts[1], body))
            except Rejected as rejected:
                self._send(rejected.http_status, {"error": rejected.error.code,
                                                  "message": rejected.error.message("en")})
        elif method == "POST" and parts == ["fraud-review"]:
            card = str(body.get("card", ""))
            with server.lock:
                if body.get("enabled", True):
                    server.fraud_review.add(card)
                else:
                    server.fraud_review.discard(card)
            self._send(200, {"card_suffix": card[-4:], "enabled": bool(body.get("enabled", True))})
        elif method == "POST" and parts == ["fail"]:
            mode = body.get("mode", "status_500")
            if mode not in ("drop_after_commit", "status_500", "delay") or not str(body.get("path", "")).startswith("/"):
                self._send(400, {"error": "path and mode (drop_after_commit|status_500|delay) are required"})
                return
            with server.lock:
                server.failures.append({"path": body["path"], "mode": mode, "seconds": float(body.get("seconds", 5)),
                                        "times": int(body.get("times", 1))})
            self._send(200, {"ok": True})
        elif method == "POST" and parts == ["reset"]:
            server.reset()
            self._send(200, {"ok": True})
        else:
            self._send(404, {"error": "unknown control"})

    # -- plumbing --
    def _send(self, status: int, body: dict[str, Any]) -> None:
        self._send_bytes(status, json.dumps(body, ensure_ascii=False).encode(), "application/json;charset=UTF-8")

    def _send_bytes(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        pass


def _auto_form(title: str, action: str, fields: dict[str, str], note: str) -> bytes:
    inputs = "".join(f"<input type='hidden' name='{html.escape(k)}' value='{html.escape(str(v))}'>"
                     for k, v in fields.items())
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head><body>"
            f"<h1>{html.escape(title)}</h1><p>{html.escape(note)}</p>"
            f"<form method='post' action='{html.escape(action)}'>{inputs}"
            f"<button type='submit'>Onayla / Confirm</button></form></body></html>").encode()


def start(*, api_key: str = DEFAULT_API_KEY, secret_key: str = DEFAULT_SECRET_KEY, port: int = 0,
          webhook_url: str | None = None, webhook_headers: dict[str, str] | None = None,
          ca: CaFiles | Path | None = None, host: str = "127.0.0.1") -> tuple[IyzicoSandbox, str]:
    """Serve in a background thread; returns the server and the SDK's base_url ("127.0.0.1:<port>").
    Stop it with `server.shutdown(); server.server_close()`.  `server.ca_file` is the CA to trust."""
    files = ensure_ca(ca) if isinstance(ca, Path) else ca
    server = IyzicoSandbox((host, port), api_key=api_key, secret_key=secret_key, webhook_url=webhook_url,
                           webhook_headers=webhook_headers, ca=files)
    threading.Thread(target=server.serve_forever, name="iyzico-sandbox", daemon=True).start()
    return server, server.base_url


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--api-key", default=os.environ.get("IYZICO_API_KEY", DEFAULT_API_KEY))
    parser.add_argument("--secret-key", default=os.environ.get("IYZICO_SECRET_KEY", DEFAULT_SECRET_KEY))
    parser.add_argument("--webhook-url", default=None, help="where payment/refund webhooks are POSTed")
    parser.add_argument("--webhook-header", action="append", default=[], metavar="NAME=VALUE",
                        help="a header sent with every webhook (repeatable)")
    args = parser.parse_args(argv)
    headers = dict(h.split("=", 1) for h in args.webhook_header)
    server = IyzicoSandbox((args.host, args.port), api_key=args.api_key, secret_key=args.secret_key,
                           webhook_url=args.webhook_url, webhook_headers=headers)
    return serve_until_interrupted(server, f"iyzico sandbox on https://{server.base_url} (SDK base_url {server.base_url})",
                                   f"trust this CA: {server.ca_file}")


if __name__ == "__main__":
    raise SystemExit(main())
