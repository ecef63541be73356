"""Carriers: the `Carrier` interface and its client for one JSON/REST carrier protocol.

Turkish carriers (Yurtiçi, Aras, MNG, PTT, Sürat) each speak their own API.  This module
models ONE protocol, shaped like the aggregator APIs that front all of them with a single
account (the `carrier` field picks the company), and `HttpCarrier` is its client.  A carrier
integrated directly (Yurtiçi's SOAP service, Aras' REST API, ...) plugs in as another class
with the same methods, registered for its code in `carrier_for()`; nothing above this
module changes.  infra/local/fakes/carrier.py speaks this protocol for `make dev` and tests.

Protocol v1 (JSON, UTF-8; times RFC 3339 with an offset; base URL CARRIER_BASE_URL)

    Every call:  Authorization: Bearer <CARRIER_API_KEY>        → 401 when missing / wrong
    Errors:      {"error": {"code": "...", "message": "...", "fields": [{"field", "message"}]}}
                 400/422 the request is wrong, 404 unknown shipment, 429 slow down, 5xx try later

    POST /v1/shipments                        book a shipment, get a tracking number and label
        {"reference": "<our unique id>", "carrier": "yurtici", "service": "standard",
         "recipient": {"name", "phone", "email", "address_line", "district", "city",
                       "postal_code", "country"},
         "items": [{"sku", "name", "quantity"}], "declared_value": {"amount": "1249.90", "currency": "TRY"}}
        201 {"id", "reference", "carrier", "tracking_number", "tracking_url", "status": "created",
             "label": {"format": "pdf", "url"}, "estimated_delivery_at", "created_at"}
        The reference makes it idempotent: the same reference again answers 200 with the shipment
        booked the first time (so a retried booking never buys a second label).
    DELETE /v1/shipments/{tracking_number}    void a label that was never handed over → 204
    GET  /v1/tracking/{tracking_number}       → 200 {"tracking_number", "carrier", "status",
        "events": [{"id", "status", "description", "location", "occurred_at"}]}  oldest first
    POST /v1/webhooks {"url", "headers": {...}}  subscribe; the headers go with every delivery
        (ours: X-API-Key of the store) and "{carrier}" in the url becomes the shipment's carrier
        code (ours: https://<api>/api/shipping/webhooks/{carrier})

    Webhooks: POST <subscription url>, subscription headers plus
        X-Carrier-Event-Id: evt_...
        X-Carrier-Timestamp: <unix seconds when signed>
        X-Carrier-Signature: v1=<hex HMAC-SHA256(CARRIER_WEBHOOK_SECRET, "<timestamp>." + raw body)>
                             (several comma-separated v1= values while the secret is rotated)
        {"id": "evt_...", "type": "tracking.updated", "created_at",
         "data": {"tracking_number", "carrier", "reference",
                  "event": {"id", "status", "description", "location", "occurred_at"}}}
        Delivered at least once, retried until a 2xx, possibly out of order.  Receivers verify
        the signature over the raw bytes before parsing anything and refuse a timestamp more
        than CARRIER_WEBHOOK_TOLERANCE_SECONDS (300) away from their clock (replayed captures).

    Carrier statuses → ours (shipping.states): created → label_created, picked_up,
    in_transit, arrived_at_branch → in_transit, out_for_delivery, delivery_failed →
    failed_delivery, delivered, returned_to_sender → returned.  Unknown ones are dropped
    (logged) rather than guessed.

Only the standard library does HTTP (urllib, CARRIER_TIMEOUT_SECONDS), as in adapters/maps.py.
Failures become `CarrierError(reason, retryable)`; messages never carry the URL, key or body.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any, Protocol

from pydantic import BaseModel, Field, field_validator

from chalicelib.platform.config import settings
from chalicelib.platform.logging import get_logger

log = get_logger("adapters.carrier")

# Carrier codes of the companies this shop ships with (shipments.carrier).
KNOWN_CARRIERS = ("yurtici", "aras", "mng", "ptt", "surat")

DEV_API_KEY = "dev-carrier-key"
DEV_WEBHOOK_SECRET = "dev-carrier-webhook-secret"

SIGNATURE_HEADER = "X-Carrier-Signature"
TIMESTAMP_HEADER = "X-Carrier-Timestamp"
EVENT_ID_HEADER = "X-Carrier-Event-Id"

# Unix seconds as the carrier signs them.  [0-9], not str.isdigit(): "²" passes isdigit() and
# then int() raises (500), and "٢٢٢" (Arabic-Indic) would be read as 222 (issue 9).
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")

# The protocol's status vocabulary → ours.
STATUS_MAP = {
    "created": "label_created",
    "picked_up": "picked_up",
    "in_transit": "in_transit",
    "arrived_at_branch": "in_transit",
    "out_for_delivery": "out_for_delivery",
    "delivery_failed": "failed_delivery",
    "delivered": "delivered",
    "returned_to_sender": "returned",
}


# -- settings --------------------------------------------------------------------------------
@dataclass(frozen=True)
class CarrierSettings:
    base_url: str
    api_key: str
    # Several secrets while one is being rotated: the first signs (fake), any verifies.
    webhook_secrets: tuple[str, ...]
    # Codes booked and tracked through this protocol; other codes are manual only (an admin
    # types the tracking number and updates the status).
    carriers: frozenset[str]
    # Of those, the ones that push webhooks; the rest are polled (shipping/handlers.py).
    webhook_carriers: frozenset[str]
    timeout: float
    tolerance_seconds: int


def _codes(name: str, default: Sequence[str]) -> frozenset[str]:
    raw = os.environ.get(name)
    values = default if raw is None else [c.strip().lower() for c in raw.split(",") if c.strip()]
    unknown = set(values) - set(KNOWN_CARRIERS)
    if unknown:
        raise RuntimeError(f"{name} names unknown carriers: {sorted(unknown)}")
    return frozenset(values)


@lru_cache(maxsize=1)
def carrier_settings() -> CarrierSettings:
    """CARRIER_* from the environment.  (They belong in platform/config.py with the other
    settings; read here until they move.)  Production refuses the development key and secret."""
    env = os.environ.get
    carriers = _codes("CARRIER_CODES", KNOWN_CARRIERS)
    cfg = CarrierSettings(
        base_url=env("CARRIER_BASE_URL", "http://127.0.0.1:8766").rstrip("/"),
        api_key=env("CARRIER_API_KEY", DEV_API_KEY),
        webhook_secrets=tuple(s.strip() for s in env("CARRIER_WEBHOOK_SECRET", DEV_WEBHOOK_SECRET).split(",")
                              if s.strip()),
        carriers=carriers,
        webhook_carriers=_codes("CARRIER_WEBHOOK_CODES", sorted(carriers)) & carriers,
        timeout=float(env("CARRIER_TIMEOUT_SECONDS", "5")),
        tolerance_seconds=int(env("CARRIER_WEBHOOK_TOLERANCE_SECONDS", "300")),
    )
    if settings().is_production and (cfg.api_key == DEV_API_KEY or DEV_WEBHOOK_SECRET in cfg.webhook_secrets):
        raise RuntimeError("CARRIER_API_KEY and CARRIER_WEBHOOK_SECRET must be set in production")
    if not cfg.webhook_secrets:
        raise RuntimeError("CARRIER_WEBHOOK_SECRET is empty")
    return cfg


def reset_carrier_settings() -> None:
    carrier_settings.cache_clear()


# -- our side of the interface ----------------------------------------------------------------
@dataclass(frozen=True)
class Recipient:
    name: str
    phone: str | None
    email: str | None
    address_line: str
    district: str
    city: str
    postal_code: str | None
    country: str = "TR"


@dataclass(frozen=True)
class Parcel:
    sku: str
    name: str
    quantity: int


@dataclass(frozen=True)
class ShipmentRequest:
    reference: str  # unique per booking: the carrier answers a repeat with the first booking
    carrier: str
    recipient: Recipient
    items: tuple[Parcel, ...]
    declared_value: Decimal
    currency: str = "TRY"
    service: str = "standard"


@dataclass(frozen=True)
class Booking:
    tracking_number: str
    tracking_url: str | None
    label_url: str | None
    label_format: str | None
    estimated_delivery_at: dt.datetime | None  # UTC, naive (as stored)
    carrier_shipment_id: str | None = None


@dataclass(frozen=True)
class TrackingEvent:
    status: str  # ours (shipping.states), already mapped
    occurred_at: dt.datetime  # UTC, naive (as stored)
    description: str | None = None
    location: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class WebhookUpdate:
    event_id: str
    carrier: str
    tracking_number: str
    events: tuple[TrackingEvent, ...]  # empty when the carrier's status is not one we know


class _WebhookEvent(BaseModel):
    id: str | None = Field(default=None, max_length=100)
    status: str = Field(min_length=1, max_length=40)
    description: str | None = Field(default=None, max_length=2000)
    location: str | None = Field(default=None, max_length=500)
    occurred_at: str = Field(min_length=10, max_length=40)

    @field_validator("occurred_at")
    @classmethod
    def _has_offset(cls, value: str) -> str:
        parse_time(value)  # ValueError → a validation error (400), never a 500
        return value


class _WebhookData(BaseModel):
    tracking_number: str = Field(min_length=1, max_length=64)
    carrier: str = Field(min_length=1, max_length=50)
    reference: str | None = Field(default=None, max_length=64)
    event: _WebhookEvent


class WebhookPayload(BaseModel):
    """The body of a protocol v1 webhook (unknown extra fields are ignored: carriers add them)."""

    id: str = Field(min_length=1, max_length=100)
    type: str = Field(min_length=1, max_length=60)
    data: _WebhookData


class CarrierError(Exception):
    """The carrier could not do it.  `reason` is short and safe to log; `retryable` says whether
    the same call may succeed later with nobody fixing anything; `fields` carries the carrier's
    own complaints about a refused booking (e.g. the postcode)."""

    def __init__(self, reason: str, *, retryable: bool, fields: list[dict[str, str]] | None = None) -> None:
        self.reason = reason
        self.retryable = retryable
        self.fields = fields or []
        super().__init__(f"carrier call failed: {reason}")


class WebhookRejected(Exception):
    """A webhook that is not provably from the carrier (or is too old): store nothing."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"webhook rejected: {reason}")


class Carrier(Protocol):
    code: str

    def create_shipment(self, request: ShipmentRequest) -> Booking:
        """Book the shipment (idempotent on request.reference); raises CarrierError."""
        ...

    def cancel_shipment(self, tracking_number: str) -> None:
        """Void a booking that was not handed over; raises CarrierError."""
        ...

    def track(self, tracking_number: str) -> list[TrackingEvent]:
        """Every event the carrier knows for the shipment, mapped to our statuses."""
        ...

    def verify_webhook(self, raw_body: bytes, headers: Mapping[str, str], now: float | None = None) -> WebhookUpdate:
        """Check the signature and age of a webhook, then parse it; raises WebhookRejected for
        anything unauthenticated and ValueError (pydantic's) for a signed but malformed body."""
        ...


# -- time and signatures -------------------------------------------------------------------
def parse_time(value: str) -> dt.datetime:
    """RFC 3339 text → naive UTC (the columns are DATETIME(6) in UTC).  No offset → ValueError:
    a carrier's local time without its zone is ambiguous."""
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("time without an offset")
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


def signature(secret: str, timestamp: str, raw_body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + raw_body, hashlib.sha256).hexdigest()


def check_signature(raw_body: bytes, headers: Mapping[str, str], secrets: Sequence[str], tolerance_seconds: int,
                    now: float | None = None) -> None:
    """Raise WebhookRejected unless one v1 signature matches one secret and the timestamp is
    within the tolerance.  Comparisons are constant-time."""
    lowered = {k.lower(): v for k, v in headers.items()}
    timestamp = (lowered.get(TIMESTAMP_HEADER.lower()) or "").strip()
    sent = (lowered.get(SIGNATURE_HEADER.lower()) or "").strip()
    if not timestamp or not sent:
        raise WebhookRejected("signature_missing")
    if not _UNIX_SECONDS.fullmatch(timestamp):
        raise WebhookRejected("timestamp_invalid")
    if abs((time.time() if now is None else now) - int(timestamp)) > tolerance_seconds:
        raise WebhookRejected("timestamp_outside_window")  # a replayed capture, or a clock far off
    candidates = [part.strip()[3:] for part in sent.split(",") if part.strip().startswith("v1=")]
    for secret in secrets:
        expected = signature(secret, timestamp, raw_body)
        if any(hmac.compare_digest(expected, candidate) for candidate in candidates):
            return
    raise WebhookRejected("signature_mismatch")


# -- the HTTP client ------------------------------------------------------------------------
class HttpCarrier:
    """`Carrier` over protocol v1 for one carrier code.  Without arguments it reads the settings
    on every call, so a configuration change (or a test's reset) takes effect at once."""

    def __init__(self, code: str, base_url: str | None = None, api_key: str | None = None,
                 timeout: float | None = None) -> None:
        self.code = code
        self._base_url = base_url
        self._api_key = api_key
        self._timeout = timeout

    # -- calls --
    def create_shipment(self, request: ShipmentRequest) -> Booking:
        body = {
            "reference": request.reference, "carrier": self.code, "service": request.service,
            "recipient": {"name": request.recipient.name, "phone": request.recipient.phone,
                          "email": request.recipient.email, "address_line": request.recipient.address_line,
                          "district": request.recipient.district, "city": request.recipient.city,
                          "postal_code": request.recipient.postal_code, "country": request.recipient.country},
            "items": [{"sku": p.sku, "name": p.name, "quantity": p.quantity} for p in request.items],
            "declared_value": {"amount": str(request.declared_value), "currency": request.currency},
        }
        _, data = self._call("POST", "/v1/shipments", body)
        try:
            label = data.get("label") or {}
            eta = data.get("estimated_delivery_at")
            return Booking(
                tracking_number=str(data["tracking_number"]),
                tracking_url=data.get("tracking_url"),
                label_url=label.get("url"),
                label_format=label.get("format"),
                estimated_delivery_at=parse_time(eta) if eta else None,
                carrier_shipment_id=data.get("id"),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise CarrierError("malformed_response", retryable=True) from None

    def cancel_shipment(self, tracking_number: str) -> None:
        self._call("DELETE", f"/v1/shipments/{urllib.parse.quote(tracking_number, safe='')}")

    def track(self, tracking_number: str) -> list[TrackingEvent]:
        _, data = self._call("GET", f"/v1/tracking/{urllib.parse.quote(tracking_number, safe='')}")
        try:
            return [e for e in (_event(item) for item in data["events"]) if e is not None]
        except (KeyError, TypeError, ValueError, AttributeError):
            raise CarrierError("malformed_response", retryable=True) from None

    def verify_webhook(self, raw_body: bytes, headers: Mapping[str, str], now: float | None = None) -> WebhookUpdate:
        cfg = carrier_settings()
        check_signature(raw_body, headers, cfg.webhook_secrets, cfg.tolerance_seconds, now)
        payload = WebhookPayload.model_validate_json(raw_body)
        # Other event types (a carrier may add some) carry nothing to store.
        event = _event(payload.data.event.model_dump()) if payload.type == "tracking.updated" else None
        return WebhookUpdate(event_id=payload.id, carrier=payload.data.carrier,
                             tracking_number=payload.data.tracking_number,
                             events=(event,) if event is not None else ())

    # -- plumbing --
    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        cfg = carrier_settings()
        url = (self._base_url or cfg.base_url) + path
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method, headers={
            "Authorization": f"Bearer {self._api_key or cfg.api_key}", "Accept": "application/json",
            **({"Content-Type": "application/json; charset=utf-8"} if data is not None else {})})
        # `from None` throughout: the original exception text can include the URL.
        try:
            with urllib.request.urlopen(request, timeout=self._timeout or cfg.timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:  # before URLError: it is a subclass
            raise _http_error(exc) from None
        except urllib.error.URLError as exc:
            cause = exc.reason if isinstance(exc.reason, BaseException) else exc
            raise CarrierError(_network_reason(cause), retryable=True) from None
        except (OSError, http.client.HTTPException) as exc:
            raise CarrierError(_network_reason(exc), retryable=True) from None
        if status == 204 or not raw:
            return status, {}
        try:
            parsed = json.loads(raw)
        except ValueError:
            raise CarrierError("malformed_response", retryable=True) from None
        if not isinstance(parsed, dict):
            raise CarrierError("malformed_response", retryable=True)
        return status, parsed


def _http_error(exc: urllib.error.HTTPError) -> CarrierError:
    fields: list[dict[str, str]] = []
    code = None
    try:
        error = json.loads(exc.read() or b"{}").get("error") or {}
        code = error.get("code")
        fields = [{"field": str(f.get("field")), "message": str(f.get("message"))}
                  for f in error.get("fields") or [] if isinstance(f, dict)]
    except (ValueError, AttributeError, OSError):
        pass
    status = exc.code
    if status in (401, 403):
        return CarrierError("unauthorized", retryable=False)
    if status == 404:
        return CarrierError("not_found", retryable=False)
    if status in (400, 409, 422):
        return CarrierError(str(code or "rejected"), retryable=False, fields=fields)
    return CarrierError(f"http_{status}", retryable=status >= 500 or status == 429)


def _network_reason(exc: BaseException) -> str:
    return "timeout" if isinstance(exc, TimeoutError) else f"unreachable_{type(exc).__name__}"


def _event(item: dict[str, Any]) -> TrackingEvent | None:
    status = STATUS_MAP.get(str(item.get("status")))
    if status is None:
        log.warning("carrier status not understood; event dropped", extra={"carrier_status": item.get("status")})
        return None
    description = item.get("description")
    location = item.get("location")
    return TrackingEvent(
        status=status,
        occurred_at=parse_time(str(item["occurred_at"])),
        description=str(description)[:500] if description else None,
        location=str(location)[:150] if location else None,
        raw=dict(item),
    )


def carrier_for(code: str) -> Carrier | None:
    """The integration booking and tracking `code`, or None when it is handled by hand."""
    if code not in carrier_settings().carriers:
        return None
    return HttpCarrier(code)


def pushes_webhooks(code: str) -> bool:
    return code in carrier_settings().webhook_carriers
