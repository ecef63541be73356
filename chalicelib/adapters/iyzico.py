"""iyzico: the project's one door to the payment provider, over the official `iyzipay` SDK.

Every call goes through the SDK's resource classes (iyzipay.Payment, ThreedsInitialize, ...),
so the endpoint paths and the IYZWSv2 request signing stay the SDK's.  Its known pitfalls are
fixed here, each where it bites (see the numbered comments):

  1. `IyzipayResource.header` is ONE class-level dict the SDK mutates on every call, so two
     concurrent calls overwrite each other's Authorization / x-iyzi-rnd.  `_SafeTransport`
     builds a fresh header dict per call (no shared state, so no lock).
  2. Its HTTPSConnection has no timeout and the default SSL context: ours has
     IYZICO_TIMEOUT_SECONDS and `ssl.create_default_context(cafile=IYZICO_CA_FILE or None)`;
     certificate verification is never switched off (a local sandbox brings its own CA).
  3. `verify_signature` prints and returns None: `response_signature()` / `_check_signature()`
     compute iyzico's response signature and compare it in constant time.  A success without
     a valid signature is not trusted (IyzicoSignatureError).
  4. Responses are parsed with `parse_float=Decimal`: no amount ever passes through a float.
  5. Prices go out as two-decimal strings from Decimal; an amount with more precision, or a
     basket that does not add up to `price`, is a ValueError here rather than a refused (or
     silently rounded) payment; optional fields (gsmNumber, zipCode, ...) are left out when
     empty instead of being sent as "".
  6. `RetrievePaymentDetails` puts the string "None" in its query for a missing id: ours
     sends only the ids it was given.
  7. Webhooks: `verify_webhook()` checks X-IYZ-SIGNATURE-V3.

Outcomes: a decline is not an exception (ok=False with error_code/message).  IyzicoUnavailable
means the outcome is UNKNOWN (timeout, reset, TLS failure, 5xx, a body that is not JSON): the
payment may have gone through, so the caller reconciles with `retrieve()` before retrying.
Nothing here logs or raises with a request body, and no card number is kept in a result.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.client
import json
import re
import ssl
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

import iyzipay
from iyzipay.iyzipay_resource import IyzipayResource

from chalicelib.platform.config import DEV_IYZICO_API_KEY, DEV_IYZICO_SECRET_KEY, settings
from chalicelib.platform.fields import luhn_valid
from chalicelib.platform.logging import get_logger

log = get_logger("adapters.iyzico")

SIGNATURE_V3_HEADER = "X-IYZ-SIGNATURE-V3"
_CENT = Decimal("0.01")

# Response-signature fields, in iyzico's documented order ("Response Signature Validation").
SIG_PAYMENT = ("paymentId", "currency", "basketId", "conversationId", "paidPrice", "price")
SIG_3DS_INIT = ("paymentId", "conversationId")
SIG_CF_INIT = ("conversationId", "token")
# The form the bank POSTs to our callbackUrl after 3-D Secure (verified before calling auth_3ds).
SIG_3DS_CALLBACK = ("conversationData", "conversationId", "mdStatus", "paymentId", "status")
SIG_CF_RETRIEVE = ("paymentStatus", "paymentId", "currency", "basketId", "conversationId", "paidPrice", "price",
                   "token")
_PRICE_FIELDS = {"paidPrice", "price"}

# errorCode for "payment not found" ("Ödeme bulunamadı") on /payment/detail and the reporting
# API: retrieve() answers None for it.  5086 is what the local sandbox sends; iyzico's public docs
# do not list the code, so check it against iyzico's sandbox before relying on it in production.
NOT_FOUND_CODES = frozenset({"5086"})

# Keys whose values are card data and never leave this module (result.raw, logs).
_CARD_KEYS = {"cardnumber", "cvc", "cvv", "pan", "cardno"}
_DIGITS = re.compile(r"[0-9][0-9 -]{11,22}[0-9]")


# -- errors ------------------------------------------------------------------------------------
class IyzicoError(Exception):
    """Base of the adapter's errors; messages never carry a body, key or card number."""


class IyzicoUnavailable(IyzicoError):
    """No usable answer: the outcome is UNKNOWN.  Look the payment up (`retrieve`) before retrying."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"iyzico unavailable: {reason}")


class IyzicoSignatureError(IyzicoError):
    """A success answer whose signature is missing or wrong: not provably from iyzico."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        super().__init__(f"iyzico response signature invalid: {endpoint}")


class IyzicoRejected(IyzicoError):
    """iyzico refused a non-payment request (BIN check, installments, card listing)."""

    def __init__(self, error_code: str | None, error_message: str | None) -> None:
        self.error_code = error_code
        self.error_message = error_message
        super().__init__(f"iyzico refused the request: {error_code}")


# -- settings ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Credentials:
    api_key: str
    secret_key: str
    base_url: str  # "https://host[:port]" as configured
    ca_file: str | None = None
    timeout: float = 10.0

    def __repr__(self) -> str:  # the secret key stays out of tracebacks and logs
        return f"Credentials(api_key={self.api_key[:6]}..., base_url={self.base_url!r})"

    @property
    def host(self) -> str:
        """The SDK wants "host:port" without a scheme."""
        return sdk_host(self.base_url)

    def options(self) -> dict[str, str]:
        return {"api_key": self.api_key, "secret_key": self.secret_key, "base_url": self.host}


def sdk_host(base_url: str) -> str:
    """"https://127.0.0.1:8767/" → "127.0.0.1:8767".  Only https: the SDK speaks nothing else."""
    parts = urlsplit(base_url if "://" in base_url else "https://" + base_url)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("IYZICO_BASE_URL must be an https URL")
    return parts.netloc


def credentials() -> Credentials:
    """IYZICO_* from settings.  Production refuses the development key and secret."""
    cfg = settings()
    if cfg.is_production and (cfg.iyzico_api_key == DEV_IYZICO_API_KEY
                              or cfg.iyzico_secret_key == DEV_IYZICO_SECRET_KEY):
        raise RuntimeError("IYZICO_API_KEY and IYZICO_SECRET_KEY must be set in production")
    sdk_host(cfg.iyzico_base_url)  # fail early on a malformed URL
    return Credentials(cfg.iyzico_api_key, cfg.iyzico_secret_key, cfg.iyzico_base_url,
                       cfg.iyzico_ca_file, cfg.iyzico_timeout_seconds)


# -- request types -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Buyer:
    id: str
    name: str
    surname: str
    email: str
    identity_number: str
    registration_address: str
    city: str
    country: str
    ip: str
    gsm_number: str | None = None
    zip_code: str | None = None
    last_login_date: str | None = None  # "YYYY-MM-DD HH:MM:SS"
    registration_date: str | None = None


@dataclass(frozen=True)
class Address:
    contact_name: str
    city: str
    country: str
    address: str
    zip_code: str | None = None


@dataclass(frozen=True)
class BasketItem:
    id: str
    name: str
    category: str
    price: Decimal
    item_type: str = "PHYSICAL"
    category2: str | None = None


@dataclass(frozen=True, repr=False)
class Card:
    """A card as typed by the buyer.  It goes to iyzico and nowhere else: its repr and str
    show the last four digits only, and no result keeps it."""

    holder: str
    number: str
    expire_month: str
    expire_year: str
    cvc: str
    register: bool = False
    alias: str | None = None

    @property
    def last4(self) -> str:
        digits = re.sub(r"\D", "", self.number)
        return digits[-4:]

    def __repr__(self) -> str:
        return (f"Card(holder={self.holder!r}, number='************{self.last4}', "
                f"expire_month={self.expire_month!r}, expire_year={self.expire_year!r}, cvc='***', "
                f"register={self.register!r}, alias={self.alias!r})")

    __str__ = __repr__


@dataclass(frozen=True)
class SavedCard:
    card_user_key: str
    card_token: str


@dataclass(frozen=True)
class PaymentRequest:
    conversation_id: str
    basket_id: str
    price: Decimal
    paid_price: Decimal
    currency: str
    installment: int
    buyer: Buyer
    shipping_address: Address | None
    billing_address: Address
    items: Sequence[BasketItem]
    card: Card | SavedCard | None  # None for the checkout form (the buyer types it at iyzico)
    callback_url: str | None = None
    locale: str = "tr"
    payment_group: str = "PRODUCT"
    payment_channel: str = "WEB"


# -- results -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ItemTransaction:
    item_id: str
    payment_transaction_id: str
    price: Decimal | None
    paid_price: Decimal | None
    status: int | None


@dataclass(frozen=True)
class PaymentResult:
    ok: bool
    status: str | None
    payment_id: str | None = None
    conversation_id: str | None = None
    basket_id: str | None = None
    price: Decimal | None = None
    paid_price: Decimal | None = None
    currency: str | None = None
    installment: int | None = None
    fraud_status: int | None = None
    card_last4: str | None = None
    bin_number: str | None = None
    card_association: str | None = None
    card_family: str | None = None
    card_type: str | None = None
    card_user_key: str | None = None
    card_token: str | None = None
    items: list[ItemTransaction] = field(default_factory=list)
    error_code: str | None = None
    error_message: str | None = None
    error_group: str | None = None
    md_status: int | None = None
    payment_status: str | None = None  # checkout form / detail: SUCCESS, FAILURE, INIT_THREEDS, ...
    token: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class ThreeDSInit:
    ok: bool
    status: str | None
    payment_id: str | None
    conversation_id: str | None
    html_content: str | None  # decoded: the page to show the buyer
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class CheckoutFormInit:
    ok: bool
    token: str | None
    payment_page_url: str | None
    content: str | None  # checkoutFormContent (the script to embed)
    expires_at: dt.datetime | None  # UTC, naive
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class BinInfo:
    bin_number: str
    card_type: str | None
    card_association: str | None
    card_family: str | None
    bank_name: str | None
    bank_code: int | None
    commercial: bool


@dataclass(frozen=True)
class InstallmentOption:
    installment_number: int
    installment_price: Decimal
    total_price: Decimal


@dataclass(frozen=True)
class CancelResult:
    ok: bool
    status: str | None
    payment_id: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    conversation_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class RefundResult:
    ok: bool
    status: str | None
    payment_id: str | None = None
    payment_transaction_id: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    conversation_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class StoredCard:
    ok: bool
    card_user_key: str | None = None
    card_token: str | None = None
    card_alias: str | None = None
    bin_number: str | None = None
    last4: str | None = None
    card_type: str | None = None
    card_association: str | None = None
    card_family: str | None = None
    bank_name: str | None = None
    error_code: str | None = None
    error_message: str | None = None


# -- the interface -----------------------------------------------------------------------------
class PaymentGateway(Protocol):
    def pay(self, req: PaymentRequest) -> PaymentResult: ...
    def init_3ds(self, req: PaymentRequest) -> ThreeDSInit: ...
    def auth_3ds(self, payment_id: str, conversation_id: str,
                 conversation_data: str | None = None) -> PaymentResult: ...
    def init_checkout_form(self, req: PaymentRequest,
                           enabled_installments: Sequence[int] | None = None) -> CheckoutFormInit: ...
    def retrieve_checkout_form(self, token: str, conversation_id: str) -> PaymentResult: ...
    def bin_check(self, bin_number: str) -> BinInfo: ...
    def installments(self, bin_number: str, price: Decimal) -> list[InstallmentOption]: ...
    def cancel(self, payment_id: str, conversation_id: str, ip: str) -> CancelResult: ...
    def refund(self, payment_transaction_id: str, amount: Decimal, conversation_id: str, ip: str,
               currency: str) -> RefundResult: ...
    def retrieve(self, payment_id: str | None = None,
                 conversation_id: str | None = None) -> PaymentResult | None: ...
    def store_card(self, email: str, card: Card, card_user_key: str | None = None,
                   external_id: str | None = None, conversation_id: str | None = None) -> StoredCard: ...
    def list_cards(self, card_user_key: str) -> list[StoredCard]: ...
    def delete_card(self, card_user_key: str, card_token: str) -> bool: ...


# -- money and signatures ------------------------------------------------------------------------
def format_price(value: Decimal) -> str:
    """Decimal → "1249.90".  (5) Never rounds: more than two decimals is the caller's bug."""
    if isinstance(value, float) or not isinstance(value, (Decimal, int)):
        raise ValueError("prices are Decimal")
    amount = Decimal(value)
    if not amount.is_finite():
        raise ValueError("price is not a finite number")
    quantized = amount.quantize(_CENT, rounding=ROUND_HALF_UP)
    if quantized != amount:
        raise ValueError("price has more than two decimals")
    return f"{quantized:.2f}"


def signature_price(value: Any) -> str:
    """A response price as iyzico signs it: trailing zeros stripped ("10.50" → "10.5",
    "10.00" → "10").  From the Decimal parsed out of the raw JSON text, never a float."""
    if value is None:
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = format(amount.normalize(), "f")
    return text


def response_signature(secret_key: str, values: Sequence[str]) -> str:
    """Hex HMAC-SHA256(secretKey, values joined by ":")."""
    return hmac.new(secret_key.encode("utf-8"), ":".join(values).encode("utf-8"), hashlib.sha256).hexdigest()


def signature_values(data: Mapping[str, Any], fields: Sequence[str]) -> list[str]:
    out = []
    for name in fields:
        value = data.get(name)
        if name in _PRICE_FIELDS:
            out.append(signature_price(value))
        else:
            out.append("" if value is None else str(value))
    return out


def signature_valid(secret_key: str, data: Mapping[str, Any], fields: Sequence[str]) -> bool:
    sent = data.get("signature")
    if not isinstance(sent, str) or not sent:
        return False
    expected = response_signature(secret_key, signature_values(data, fields))
    return hmac.compare_digest(expected, sent.strip().lower())


def verify_3ds_callback(secret_key: str, form: Mapping[str, Any]) -> bool:
    """True when the 3-D Secure callback form (posted through the buyer's browser, so forgeable)
    carries iyzico's signature.  auth_3ds() settles the payment either way; this only tells a
    forged "mdStatus=1" from a real one before we bother iyzico with it."""
    return signature_valid(secret_key, form, SIG_3DS_CALLBACK)


def webhook_signature(secret_key: str, event: Mapping[str, Any]) -> str:
    """(7) X-IYZ-SIGNATURE-V3: hex HMAC-SHA256(key=secretKey, msg=secretKey + ...).  Checkout-form
    (and pay-with-iyzico) events carry a token and sign iyziPaymentId + token; direct API/3DS
    events sign paymentId."""

    def s(name: str) -> str:
        value = event.get(name)
        return "" if value is None else str(value)

    if event.get("token"):
        message = (secret_key + s("iyziEventType") + s("iyziPaymentId") + s("token")
                   + s("paymentConversationId") + s("status"))
    else:
        message = secret_key + s("iyziEventType") + s("paymentId") + s("paymentConversationId") + s("status")
    return hmac.new(secret_key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


def verify_webhook(secret_key: str, headers: Mapping[str, str], body_bytes: bytes) -> dict[str, Any] | None:
    """The parsed webhook event when its X-IYZ-SIGNATURE-V3 matches, else None (store nothing)."""
    sent = next((v for k, v in headers.items() if k.lower() == SIGNATURE_V3_HEADER.lower()), None)
    if not sent:
        return None
    try:
        event = json.loads(body_bytes, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(event, dict):
        return None
    expected = webhook_signature(secret_key, event)
    if not hmac.compare_digest(expected.encode(), sent.strip().lower().encode()):
        return None
    return event


# -- request building ---------------------------------------------------------------------------
def _put(target: dict[str, Any], key: str, value: Any) -> None:
    """(5) Optional fields are omitted when empty: "" (an empty gsmNumber) breaks iyzico's checks."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return
    target[key] = value


def _buyer(b: Buyer) -> dict[str, Any]:
    out: dict[str, Any] = {"id": b.id, "name": b.name, "surname": b.surname, "email": b.email,
                           "identityNumber": b.identity_number, "registrationAddress": b.registration_address,
                           "city": b.city, "country": b.country, "ip": b.ip}
    _put(out, "gsmNumber", b.gsm_number)
    _put(out, "zipCode", b.zip_code)
    _put(out, "lastLoginDate", b.last_login_date)
    _put(out, "registrationDate", b.registration_date)
    return out


def _address(a: Address) -> dict[str, Any]:
    out: dict[str, Any] = {"contactName": a.contact_name, "city": a.city, "country": a.country, "address": a.address}
    _put(out, "zipCode", a.zip_code)
    return out


def _card(card: Card | SavedCard) -> dict[str, Any]:
    if isinstance(card, SavedCard):
        return {"cardUserKey": card.card_user_key, "cardToken": card.card_token}
    out: dict[str, Any] = {"cardHolderName": card.holder, "cardNumber": re.sub(r"\D", "", card.number),
                           "expireMonth": card.expire_month, "expireYear": card.expire_year, "cvc": card.cvc}
    if card.register:
        out["registerCard"] = 1
        _put(out, "cardAlias", card.alias)
    return out


def build_payment_request(req: PaymentRequest, *, with_card: bool = True) -> dict[str, Any]:
    """The JSON body of /payment/auth, /payment/3dsecure/initialize and the checkout form.
    Raises ValueError for amounts iyzico would refuse or round (5)."""
    if not req.items:
        raise ValueError("a payment needs at least one basket item")
    price = format_price(req.price)
    paid_price = format_price(req.paid_price)
    if req.price <= 0 or req.paid_price <= 0:
        raise ValueError("price and paid_price must be positive")
    item_total = Decimal(0)
    items = []
    for item in req.items:
        item_price = format_price(item.price)
        if item.price <= 0:
            raise ValueError("basket item prices must be positive")  # iyzico refuses 0-priced items
        item_total += item.price
        entry: dict[str, Any] = {"id": item.id, "name": item.name, "category1": item.category,
                                 "itemType": item.item_type, "price": item_price}
        _put(entry, "category2", item.category2)
        items.append(entry)
    if item_total != req.price:
        raise ValueError("basket item prices do not add up to price")
    body: dict[str, Any] = {
        "locale": req.locale, "conversationId": req.conversation_id, "price": price, "paidPrice": paid_price,
        "currency": req.currency, "installment": int(req.installment), "basketId": req.basket_id,
        "paymentChannel": req.payment_channel, "paymentGroup": req.payment_group,
        "buyer": _buyer(req.buyer), "billingAddress": _address(req.billing_address), "basketItems": items,
    }
    if req.shipping_address is not None:
        body["shippingAddress"] = _address(req.shipping_address)
    if with_card:
        if req.card is None:
            raise ValueError("this call needs a card")
        body["paymentCard"] = _card(req.card)
    _put(body, "callbackUrl", req.callback_url)
    return body


def payment_details_path(payment_id: str | None = None, conversation_id: str | None = None) -> str:
    """(6) /v2/reporting/payment/details with only the ids present, never the string "None"."""
    query = {k: v for k, v in (("paymentId", payment_id), ("paymentConversationId", conversation_id)) if v}
    if not query:
        raise ValueError("payment_id or conversation_id is required")
    return "/v2/reporting/payment/details?" + urlencode(query)


# -- transport: the SDK's resources with our connection ---------------------------------------------
_BASE_HEADER = {"Accept": "application/json", "Content-type": "application/json",
                "x-iyzi-client-version": "iyzipay-python-1.0.46"}


@dataclass(frozen=True)
class _Reply:
    status: int
    body: bytes


class _SafeTransport:
    """Mixin in front of iyzipay's IyzipayResource: overrides its `connect` and `get_http_header`."""

    _timeout: float = 10.0
    _context: ssl.SSLContext | None = None

    def configure(self, timeout: float, context: ssl.SSLContext) -> _SafeTransport:
        self._timeout = timeout
        self._context = context
        return self

    def get_http_header(self, url: str, options: Mapping[str, str] | None = None,
                        body_str: str | None = None) -> dict[str, str]:
        # (1) A new dict per call.  The SDK updates the class-level `header` dict in place, so a
        # concurrent call can send another call's Authorization and x-iyzi-rnd.
        assert options is not None
        random_str = IyzipayResource.generate_random_string(IyzipayResource.RANDOM_STRING_SIZE)
        path = url.split("?")[0]
        authorization = IyzipayResource.generate_v2_hash(
            options["api_key"], path, options["secret_key"], random_str, body_str or "")
        return {**_BASE_HEADER, "x-iyzi-rnd": random_str, "Authorization": "IYZWSv2 %s" % authorization}

    def connect(self, method: str, url: str, options: Mapping[str, str],
                request_body_dict: Mapping[str, Any] | None = None) -> _Reply:
        # (2) A timeout and an explicit verifying SSL context; the SDK passes neither.  A GET
        # carries no body (the SDK sends and signs "null").
        if self._context is None:
            raise RuntimeError("transport not configured")
        body_str = "" if request_body_dict is None else json.dumps(request_body_dict)
        header = self.get_http_header(url, options, body_str)
        connection = http.client.HTTPSConnection(options["base_url"], timeout=self._timeout, context=self._context)
        try:
            connection.request(method, url, body_str.encode("utf-8") if body_str else None, header)
            response = connection.getresponse()
            return _Reply(response.status, response.read())
        finally:
            connection.close()


def _safe(resource: type) -> type:
    return type("Safe" + resource.__name__, (_SafeTransport, resource), {})


class _SafeRetrievePaymentDetails(_SafeTransport, iyzipay.RetrievePaymentDetails):
    def retrieve(self, request: Mapping[str, Any], options: Mapping[str, str]) -> _Reply:
        # (6) The SDK's version does str(request.get(...)) and sends "paymentId=None".
        path = payment_details_path(request.get("paymentId"), request.get("paymentConversationId"))
        return self.connect("GET", path, options)


_RESOURCES: dict[str, type] = {
    name: _safe(getattr(iyzipay, name))
    for name in ("Payment", "ThreedsInitialize", "ThreedsPayment", "CheckoutFormInitialize", "CheckoutForm",
                 "BinNumber", "InstallmentInfo", "Cancel", "Refund", "Card", "CardList")
}
_RESOURCES["RetrievePaymentDetails"] = _SafeRetrievePaymentDetails


# -- response parsing -------------------------------------------------------------------------------
def parse_body(raw: bytes) -> dict[str, Any]:
    """(4) JSON with every fraction as Decimal.  Not a JSON object → IyzicoUnavailable."""
    try:
        data = json.loads(raw, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise IyzicoUnavailable("malformed_response") from exc
    if not isinstance(data, dict):
        raise IyzicoUnavailable("malformed_response")
    return data


def scrub(value: Any) -> Any:
    """A copy without card-number-like data: card keys dropped, PAN-shaped strings removed."""
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()
                if str(k).lower() not in _CARD_KEYS and not _looks_like_pan(v)}
    if isinstance(value, list):
        return [scrub(v) for v in value if not _looks_like_pan(v)]
    return value


def _looks_like_pan(value: Any) -> bool:
    if not isinstance(value, str) or not _DIGITS.fullmatch(value.strip()):
        return False
    digits = re.sub(r"\D", "", value)
    return 13 <= len(digits) <= 19 and luhn_valid(digits)


def _dec(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        return None


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def payment_result(data: Mapping[str, Any]) -> PaymentResult:
    status = _str(data.get("status"))
    payment_status = _str(data.get("paymentStatus"))
    ok = status == "success" and (payment_status is None or payment_status == "SUCCESS")
    items = [ItemTransaction(item_id=str(t.get("itemId")), payment_transaction_id=str(t.get("paymentTransactionId")),
                             price=_dec(t.get("price")), paid_price=_dec(t.get("paidPrice")),
                             status=_int(t.get("transactionStatus")))
             for t in data.get("itemTransactions") or [] if isinstance(t, dict)]
    return PaymentResult(
        ok=ok, status=status, payment_id=_str(data.get("paymentId")),
        conversation_id=_str(data.get("conversationId")), basket_id=_str(data.get("basketId")),
        price=_dec(data.get("price")), paid_price=_dec(data.get("paidPrice")), currency=_str(data.get("currency")),
        installment=_int(data.get("installment")), fraud_status=_int(data.get("fraudStatus")),
        card_last4=_str(data.get("lastFourDigits")), bin_number=_str(data.get("binNumber")),
        card_association=_str(data.get("cardAssociation")), card_family=_str(data.get("cardFamily")),
        card_type=_str(data.get("cardType")), card_user_key=_str(data.get("cardUserKey")),
        card_token=_str(data.get("cardToken")), items=items, error_code=_str(data.get("errorCode")),
        error_message=_str(data.get("errorMessage")), error_group=_str(data.get("errorGroup")),
        md_status=_int(data.get("mdStatus")), payment_status=payment_status, token=_str(data.get("token")),
        raw=scrub(dict(data)),
    )


# -- the client ------------------------------------------------------------------------------------
class IyzicoClient:
    """`PaymentGateway` over the iyzipay SDK.  Without credentials it reads the settings on each
    call (so a test's reset takes effect at once).  Safe to share between threads."""

    def __init__(self, creds: Credentials | None = None) -> None:
        self._creds = creds
        self._contexts: dict[str | None, ssl.SSLContext] = {}
        self._lock = threading.Lock()  # only guards the SSL context cache, never a call

    # -- payments --
    def pay(self, req: PaymentRequest) -> PaymentResult:
        body = build_payment_request(req)
        data = self._call("Payment", "create", body, "/payment/auth", SIG_PAYMENT)
        return payment_result(data)

    def init_3ds(self, req: PaymentRequest) -> ThreeDSInit:
        if not req.callback_url:
            raise ValueError("3DS needs a callback_url")
        body = build_payment_request(req)
        data = self._call("ThreedsInitialize", "create", body, "/payment/3dsecure/initialize", SIG_3DS_INIT)
        html = data.get("threeDSHtmlContent")
        decoded = None
        if isinstance(html, str) and html:
            try:
                decoded = base64.b64decode(html).decode("utf-8")
            except (ValueError, UnicodeDecodeError) as exc:
                raise IyzicoUnavailable("malformed_response") from exc
        return ThreeDSInit(ok=data.get("status") == "success", status=_str(data.get("status")),
                           payment_id=_str(data.get("paymentId")), conversation_id=_str(data.get("conversationId")),
                           html_content=decoded, error_code=_str(data.get("errorCode")),
                           error_message=_str(data.get("errorMessage")))

    def auth_3ds(self, payment_id: str, conversation_id: str, conversation_data: str | None = None) -> PaymentResult:
        body: dict[str, Any] = {"locale": "tr", "paymentId": str(payment_id), "conversationId": conversation_id}
        _put(body, "conversationData", conversation_data)
        data = self._call("ThreedsPayment", "create", body, "/payment/3dsecure/auth", SIG_PAYMENT)
        return payment_result(data)

    def init_checkout_form(self, req: PaymentRequest,
                           enabled_installments: Sequence[int] | None = None) -> CheckoutFormInit:
        if not req.callback_url:
            raise ValueError("the checkout form needs a callback_url")
        body = build_payment_request(req, with_card=False)
        body.pop("paymentChannel", None)
        if enabled_installments:
            body["enabledInstallments"] = [int(n) for n in enabled_installments]
        data = self._call("CheckoutFormInitialize", "create", body, "/payment/iyzipos/checkoutform/initialize/ecom",
                          SIG_CF_INIT)
        expire = _int(data.get("tokenExpireTime"))
        expires_at = (dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + dt.timedelta(seconds=expire)
                      if expire is not None else None)
        return CheckoutFormInit(ok=data.get("status") == "success", token=_str(data.get("token")),
                                payment_page_url=_str(data.get("paymentPageUrl")),
                                content=_str(data.get("checkoutFormContent")), expires_at=expires_at,
                                error_code=_str(data.get("errorCode")), error_message=_str(data.get("errorMessage")))

    def retrieve_checkout_form(self, token: str, conversation_id: str) -> PaymentResult:
        body = {"locale": "tr", "conversationId": conversation_id, "token": token}
        data = self._call("CheckoutForm", "retrieve", body, "/payment/iyzipos/checkoutform/auth/ecom/detail",
                          SIG_CF_RETRIEVE)
        return payment_result(data)

    def retrieve(self, payment_id: str | None = None, conversation_id: str | None = None) -> PaymentResult | None:
        """The payment as iyzico has it (/payment/detail), or None when iyzico does not know it:
        how a caller settles an IyzicoUnavailable."""
        if not payment_id and not conversation_id:
            raise ValueError("payment_id or conversation_id is required")
        body: dict[str, Any] = {"locale": "tr"}
        _put(body, "conversationId", conversation_id)
        _put(body, "paymentId", payment_id)  # (6) only the ids we have; never "None"
        _put(body, "paymentConversationId", conversation_id)
        data = self._call("Payment", "retrieve", body, "/payment/detail", SIG_PAYMENT, not_found_ok=True)
        if not data:
            return None
        if data.get("status") != "success" and str(data.get("errorCode")) in NOT_FOUND_CODES:
            return None
        return payment_result(data)

    def payment_details(self, payment_id: str | None = None, conversation_id: str | None = None) -> dict[str, Any] | None:
        """The reporting view (/v2/reporting/payment/details): a scrubbed dict, or None when unknown."""
        request = {"paymentId": payment_id, "paymentConversationId": conversation_id}
        data = self._call("RetrievePaymentDetails", "retrieve", request, "/v2/reporting/payment/details", None,
                          not_found_ok=True)
        if not data or (data.get("status") != "success" and str(data.get("errorCode")) in NOT_FOUND_CODES):
            return None
        return scrub(data)

    # -- after the payment --
    def cancel(self, payment_id: str, conversation_id: str, ip: str) -> CancelResult:
        body = {"locale": "tr", "conversationId": conversation_id, "paymentId": str(payment_id), "ip": ip}
        data = self._call("Cancel", "create", body, "/payment/cancel", None)
        return CancelResult(ok=data.get("status") == "success", status=_str(data.get("status")),
                            payment_id=_str(data.get("paymentId")), price=_dec(data.get("price")),
                            currency=_str(data.get("currency")), conversation_id=_str(data.get("conversationId")),
                            error_code=_str(data.get("errorCode")), error_message=_str(data.get("errorMessage")))

    def refund(self, payment_transaction_id: str, amount: Decimal, conversation_id: str, ip: str,
               currency: str) -> RefundResult:
        if amount <= 0:
            raise ValueError("refund amount must be positive")
        body = {"locale": "tr", "conversationId": conversation_id, "paymentTransactionId": str(payment_transaction_id),
                "price": format_price(amount), "currency": currency, "ip": ip}
        data = self._call("Refund", "create", body, "/payment/refund", None)
        return RefundResult(ok=data.get("status") == "success", status=_str(data.get("status")),
                            payment_id=_str(data.get("paymentId")),
                            payment_transaction_id=_str(data.get("paymentTransactionId")),
                            price=_dec(data.get("price")), currency=_str(data.get("currency")),
                            conversation_id=_str(data.get("conversationId")),
                            error_code=_str(data.get("errorCode")), error_message=_str(data.get("errorMessage")))

    # -- card facts --
    def bin_check(self, bin_number: str) -> BinInfo:
        body = {"locale": "tr", "binNumber": _bin(bin_number)}
        data = self._call("BinNumber", "retrieve", body, "/payment/bin/check", None)
        _require_success(data)
        return BinInfo(bin_number=str(data.get("binNumber") or body["binNumber"]), card_type=_str(data.get("cardType")),
                       card_association=_str(data.get("cardAssociation")), card_family=_str(data.get("cardFamily")),
                       bank_name=_str(data.get("bankName")), bank_code=_int(data.get("bankCode")),
                       commercial=_int(data.get("commercial")) == 1)

    def installments(self, bin_number: str, price: Decimal) -> list[InstallmentOption]:
        body = {"locale": "tr", "binNumber": _bin(bin_number), "price": format_price(price)}
        data = self._call("InstallmentInfo", "retrieve", body, "/payment/iyzipos/installment", None)
        _require_success(data)
        options: list[InstallmentOption] = []
        for detail in data.get("installmentDetails") or []:
            for p in (detail or {}).get("installmentPrices") or []:
                number, each, total = _int(p.get("installmentNumber")), _dec(p.get("installmentPrice")), _dec(
                    p.get("totalPrice"))
                if number is not None and each is not None and total is not None:
                    options.append(InstallmentOption(number, each, total))
        return options

    # -- stored cards --
    def store_card(self, email: str, card: Card, card_user_key: str | None = None, external_id: str | None = None,
                   conversation_id: str | None = None) -> StoredCard:
        card_body: dict[str, Any] = {"cardHolderName": card.holder, "cardNumber": re.sub(r"\D", "", card.number),
                                     "expireMonth": card.expire_month, "expireYear": card.expire_year}
        _put(card_body, "cardAlias", card.alias)
        body: dict[str, Any] = {"locale": "tr", "email": email, "card": card_body}
        _put(body, "conversationId", conversation_id)
        _put(body, "cardUserKey", card_user_key)
        _put(body, "externalId", external_id)
        data = self._call("Card", "create", body, "/cardstorage/card", None)
        return _stored_card(data, data)

    def list_cards(self, card_user_key: str) -> list[StoredCard]:
        data = self._call("CardList", "retrieve", {"locale": "tr", "cardUserKey": card_user_key},
                          "/cardstorage/cards", None)
        _require_success(data)
        return [_stored_card(data, d) for d in data.get("cardDetails") or [] if isinstance(d, dict)]

    def delete_card(self, card_user_key: str, card_token: str) -> bool:
        data = self._call("Card", "delete", {"locale": "tr", "cardUserKey": card_user_key, "cardToken": card_token},
                          "/cardstorage/card", None)
        return data.get("status") == "success"

    # -- plumbing --
    def _credentials(self) -> Credentials:
        return self._creds or credentials()

    def _context(self, ca_file: str | None) -> ssl.SSLContext:
        # (2) Verification on, hostnames checked; a configured CA replaces the system store.
        with self._lock:
            context = self._contexts.get(ca_file)
            if context is None:
                context = ssl.create_default_context(cafile=ca_file or None)
                self._contexts[ca_file] = context
            return context

    def _call(self, resource: str, method: str, body: Mapping[str, Any], endpoint: str,
              signed_fields: Sequence[str] | None, *, not_found_ok: bool = False) -> dict[str, Any]:
        creds = self._credentials()
        instance = _RESOURCES[resource]().configure(creds.timeout, self._context(creds.ca_file))
        started = time.monotonic()
        try:
            reply = getattr(instance, method)(dict(body), creds.options())
        except (TimeoutError, ssl.SSLError, ConnectionError, http.client.HTTPException, OSError) as exc:
            reason = "timeout" if isinstance(exc, TimeoutError) else f"network_{type(exc).__name__}"
            log.warning("iyzico call failed", extra={"endpoint": endpoint, "reason": reason})
            raise IyzicoUnavailable(reason) from exc
        elapsed_ms = int((time.monotonic() - started) * 1000)
        if reply.status == 404 and not_found_ok:
            return {}
        if reply.status >= 500:
            log.warning("iyzico call failed", extra={"endpoint": endpoint, "reason": f"http_{reply.status}"})
            raise IyzicoUnavailable(f"http_{reply.status}")
        data = parse_body(reply.body)
        status = data.get("status")
        # Logged: where, how it went, how long.  Never the request or response body.
        log.info("iyzico call", extra={"endpoint": endpoint, "http_status": reply.status, "iyzico_status": status,
                                       "error_code": data.get("errorCode"), "elapsed_ms": elapsed_ms})
        if status == "success" and signed_fields is not None and not signature_valid(creds.secret_key, data,
                                                                                         signed_fields):
            # (3) A "success" we cannot authenticate is not a success.
            log.error("iyzico response signature invalid", extra={"endpoint": endpoint})
            raise IyzicoSignatureError(endpoint)
        return data


def _bin(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    if not 6 <= len(digits) <= 8:
        raise ValueError("a BIN is the first 6-8 digits of a card")
    return digits


def _require_success(data: Mapping[str, Any]) -> None:
    if data.get("status") != "success":
        raise IyzicoRejected(_str(data.get("errorCode")), _str(data.get("errorMessage")))


def _stored_card(envelope: Mapping[str, Any], d: Mapping[str, Any]) -> StoredCard:
    return StoredCard(
        ok=envelope.get("status") == "success", card_user_key=_str(envelope.get("cardUserKey")),
        card_token=_str(d.get("cardToken")), card_alias=_str(d.get("cardAlias")), bin_number=_str(d.get("binNumber")),
        last4=_str(d.get("lastFourDigits")), card_type=_str(d.get("cardType")),
        card_association=_str(d.get("cardAssociation")), card_family=_str(d.get("cardFamily")),
        bank_name=_str(d.get("cardBankName")), error_code=_str(envelope.get("errorCode")),
        error_message=_str(envelope.get("errorMessage")))


_client: IyzicoClient | None = None


def gateway() -> PaymentGateway:
    """The process-wide client (settings are read per call, so it never goes stale)."""
    global _client
    if _client is None:
        _client = IyzicoClient()
    return _client
