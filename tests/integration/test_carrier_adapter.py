"""The carrier adapter over real HTTP: against the local fake carrier (which must speak protocol
v1 of chalicelib/adapters/carrier.py) and against small servers that misbehave the ways a
network does.  Webhook signatures are checked against the fake's real deliveries."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from chalicelib.adapters.carrier import (
    CarrierError,
    HttpCarrier,
    Parcel,
    Recipient,
    ShipmentRequest,
    WebhookRejected,
    carrier_settings,
    check_signature,
    reset_carrier_settings,
)
from infra.local.fakes import carrier as fake

KEY, SECRET = "int-key", "int-secret"


@pytest.fixture(scope="module")
def fake_carrier() -> Iterator[fake.FakeCarrierServer]:
    server, _ = fake.start(api_key=KEY, secret=SECRET)
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def carrier(fake_carrier: fake.FakeCarrierServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[fake.FakeCarrierServer]:
    fake_carrier.reset()
    monkeypatch.setenv("CARRIER_BASE_URL", fake_carrier.base_url)
    monkeypatch.setenv("CARRIER_API_KEY", KEY)
    monkeypatch.setenv("CARRIER_WEBHOOK_SECRET", SECRET)
    reset_carrier_settings()
    yield fake_carrier
    reset_carrier_settings()


def request(reference: str = "ref-1", **recipient: Any) -> ShipmentRequest:
    to = {"name": "Ayşe Yılmaz", "phone": "+905321234567", "email": "a@example.com",
          "address_line": "Çarşı Sok. No 5", "district": "Beyşehir", "city": "Konya", "postal_code": "42700",
          **recipient}
    return ShipmentRequest(reference=reference, carrier="aras", recipient=Recipient(**to),
                           items=(Parcel("SKU-1", "Kamp Çadırı", 2),), declared_value=Decimal("2499.80"))


@pytest.fixture
def capture() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A webhook receiver that keeps what it got and answers 204."""
    got: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            got.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": self.rfile.read(int(self.headers["Content-Length"]))})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", got
    server.shutdown()
    server.server_close()


# -- booking, tracking, voiding --------------------------------------------------------------
def test_booking_returns_a_tracking_number_link_and_label_and_is_idempotent(carrier):
    client = HttpCarrier("aras")
    booking = client.create_shipment(request("ref-idem"))
    assert booking.tracking_number.startswith("AR") and booking.tracking_url.endswith(booking.tracking_number)
    assert booking.label_format == "pdf"
    assert booking.estimated_delivery_at is not None and booking.estimated_delivery_at.tzinfo is None
    with urllib.request.urlopen(booking.label_url, timeout=5) as label:
        assert label.headers["Content-Type"] == "application/pdf" and label.read().startswith(b"%PDF-")
    again = client.create_shipment(request("ref-idem"))
    assert again == booking and len(carrier.shipments) == 1  # same reference → the first booking
    sent = carrier.shipments[booking.tracking_number].request
    assert sent["declared_value"] == {"amount": "2499.80", "currency": "TRY"}
    assert sent["recipient"]["city"] == "Konya" and sent["items"] == [{"sku": "SKU-1", "name": "Kamp Çadırı",
                                                                       "quantity": 2}]


def test_track_maps_the_protocols_statuses_to_ours(carrier):
    client = HttpCarrier("aras")
    tracking = client.create_shipment(request("ref-track")).tracking_number
    steps = ["picked_up", "arrived_at_branch", "out_for_delivery", "delivery_failed", "returned_to_sender"]
    turkey = dt.timezone(dt.timedelta(hours=3))
    start = (dt.datetime.now(turkey) + dt.timedelta(minutes=1)).replace(microsecond=0)
    for n, status in enumerate(steps):
        carrier.advance(tracking, status, occurred_at=start + dt.timedelta(hours=n), notify=False)
    events = client.track(tracking)
    assert [e.status for e in events] == ["label_created", "picked_up", "in_transit", "out_for_delivery",
                                          "failed_delivery", "returned"]
    assert events[1].occurred_at == start.astimezone(dt.timezone.utc).replace(tzinfo=None)  # naive UTC
    assert events[1].description == "Gönderi kargo şubesince teslim alındı" and events[1].location == "Beyşehir Şube"


def test_statuses_we_do_not_know_are_dropped_not_guessed(carrier, monkeypatch):
    client = HttpCarrier("aras")
    tracking = client.create_shipment(request("ref-unknown")).tracking_number
    monkeypatch.setitem(fake.DESCRIPTIONS, "customs_hold", ("Gümrükte", "İstanbul"))
    monkeypatch.setattr(fake, "STATUSES", fake.STATUSES | {"customs_hold"})
    carrier.advance(tracking, "customs_hold", notify=False)
    assert [e.status for e in client.track(tracking)] == ["label_created"]


def test_voiding_a_label_works_only_before_pickup(carrier):
    client = HttpCarrier("aras")
    first = client.create_shipment(request("ref-void")).tracking_number
    client.cancel_shipment(first)
    assert carrier.shipments[first].cancelled
    second = client.create_shipment(request("ref-moving")).tracking_number
    carrier.advance(second, notify=False)
    with pytest.raises(CarrierError) as err:
        client.cancel_shipment(second)
    assert (err.value.reason, err.value.retryable) == ("not_cancellable", False)


def test_refusals_are_not_retryable_and_carry_the_carriers_fields(carrier):
    client = HttpCarrier("aras")
    with pytest.raises(CarrierError) as err:
        client.create_shipment(request("ref-bad", city="", phone="12"))
    assert (err.value.reason, err.value.retryable) == ("invalid_request", False)
    assert {f["field"] for f in err.value.fields} == {"recipient.city", "recipient.phone"}
    with pytest.raises(CarrierError) as err:
        client.track("NO-SUCH-NUMBER")
    assert (err.value.reason, err.value.retryable) == ("not_found", False)
    with pytest.raises(CarrierError) as err:
        HttpCarrier("aras", api_key="wrong").track("X")
    assert (err.value.reason, err.value.retryable) == ("unauthorized", False)
    assert carrier.shipments == {}


def test_server_trouble_is_retryable(carrier):
    client = HttpCarrier("aras")
    carrier.fail_next("/v1/shipments", 503)
    with pytest.raises(CarrierError) as err:
        client.create_shipment(request("ref-503"))
    assert (err.value.reason, err.value.retryable) == ("http_503", True)
    carrier.fail_next("/v1/shipments", 429)
    with pytest.raises(CarrierError) as err:
        client.create_shipment(request("ref-429"))
    assert (err.value.reason, err.value.retryable) == ("http_429", True)
    assert client.create_shipment(request("ref-503")).tracking_number  # the retry books


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def odd_server() -> Iterator[Callable[[Callable[[BaseHTTPRequestHandler], None]], str]]:
    servers: list[ThreadingHTTPServer] = []

    def start(answer: Callable[[BaseHTTPRequestHandler], None]) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                answer(self)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _reply(status: int, body: bytes) -> Callable[[BaseHTTPRequestHandler], None]:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    return answer


def test_network_failures_and_garbage_are_retryable_errors_without_the_url(carrier, odd_server):
    closed = HttpCarrier("aras", base_url=f"http://127.0.0.1:{_free_port()}", timeout=1)
    with pytest.raises(CarrierError) as err:
        closed.track("X")
    assert err.value.retryable and err.value.reason.startswith("unreachable_")

    slow = HttpCarrier("aras", base_url=odd_server(lambda h: time.sleep(1.5)), timeout=0.3)
    with pytest.raises(CarrierError) as err:
        slow.track("X")
    assert (err.value.reason, err.value.retryable) == ("timeout", True)

    for body in (b"<html>busy</html>", b"[1, 2]", b'{"events": "nope"}'):
        garbled = HttpCarrier("aras", base_url=odd_server(_reply(200, body)))
        with pytest.raises(CarrierError) as err:
            garbled.track("X")
        assert (err.value.reason, err.value.retryable) == ("malformed_response", True)
        assert "127.0.0.1" not in str(err.value) and carrier_settings().api_key not in str(err.value)


# -- webhooks ---------------------------------------------------------------------------------
def test_the_fakes_signed_webhooks_verify_and_parse(carrier, capture):
    url, got = capture
    carrier.subscribe(f"{url}/hooks/{{carrier}}", {"X-API-Key": "store-key"})
    client = HttpCarrier("aras")
    tracking = client.create_shipment(request("ref-hook")).tracking_number
    answer = carrier.advance(tracking, "out_for_delivery", location="Kadıköy Şube")
    assert [d["status"] for d in answer["deliveries"]] == [204]
    (delivery,) = got
    assert delivery["path"] == "/hooks/aras" and delivery["headers"]["x-api-key"] == "store-key"
    # Independently of the adapter: HMAC-SHA256 over "<timestamp>." + the raw bytes.
    ts = delivery["headers"]["x-carrier-timestamp"]
    expected = hmac.new(SECRET.encode(), ts.encode() + b"." + delivery["body"], hashlib.sha256).hexdigest()
    assert delivery["headers"]["x-carrier-signature"] == f"v1={expected}"
    assert "Kadıköy".encode() in delivery["body"]  # raw UTF-8, not \\u escapes

    update = client.verify_webhook(delivery["body"], delivery["headers"])
    assert (update.carrier, update.tracking_number) == ("aras", tracking)
    (event,) = update.events
    assert (event.status, event.location) == ("out_for_delivery", "Kadıköy Şube")
    assert update.event_id == delivery["headers"]["x-carrier-event-id"]


def test_signature_checks(carrier):
    body = json.dumps({"id": "evt_1"}).encode()
    now = time.time()
    ts = str(int(now))
    good = hmac.new(SECRET.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()

    def check(headers: dict[str, str], raw: bytes = body, secrets: tuple[str, ...] = (SECRET,), at: float = now) -> str:
        try:
            check_signature(raw, headers, secrets, 300, at)
        except WebhookRejected as exc:
            return exc.reason
        return "ok"

    headers = {"X-Carrier-Timestamp": ts, "X-Carrier-Signature": f"v1={good}"}
    assert check(headers) == "ok"
    assert check({k.lower(): v for k, v in headers.items()}) == "ok"  # header names are case-insensitive
    assert check(headers, raw=body + b" ") == "signature_mismatch"
    assert check(headers, secrets=("other",)) == "signature_mismatch"
    assert check(headers, secrets=("other", SECRET)) == "ok"  # rotation: old and new both verify
    assert check({**headers, "X-Carrier-Signature": f"v1=deadbeef, v1={good}"}) == "ok"
    assert check({**headers, "X-Carrier-Signature": good}) == "signature_mismatch"  # no scheme
    assert check({"X-Carrier-Signature": f"v1={good}"}) == "signature_missing"
    assert check({"X-Carrier-Timestamp": ts}) == "signature_missing"
    assert check({**headers, "X-Carrier-Timestamp": "yesterday"}) == "timestamp_invalid"
    assert check(headers, at=now + 301) == "timestamp_outside_window"  # a replayed capture
    assert check(headers, at=now - 301) == "timestamp_outside_window"
    assert check(headers, at=now + 299) == "ok"


def test_an_unsigned_body_is_never_parsed(carrier):
    with pytest.raises(WebhookRejected):
        HttpCarrier("aras").verify_webhook(b"{definitely not json", {})


def test_settings_refuse_unknown_carriers_and_dev_secrets_in_production(monkeypatch):
    from chalicelib.platform.config import reset_settings

    monkeypatch.setenv("CARRIER_CODES", "aras,fedex")
    reset_carrier_settings()
    with pytest.raises(RuntimeError, match="fedex"):
        carrier_settings()
    monkeypatch.setenv("CARRIER_CODES", "aras,mng")
    monkeypatch.setenv("CARRIER_WEBHOOK_CODES", "mng,yurtici")
    reset_carrier_settings()
    assert carrier_settings().webhook_carriers == {"mng"}  # only integrated carriers push
    monkeypatch.setenv("STAGE", "prod")
    for name in ("JWT_SECRET", "API_KEY_PEPPER", "DATA_KEYS", "DATA_HASH_KEY", "MAPS_API_KEY"):
        monkeypatch.setenv(name, "x" if name != "DATA_KEYS" else "p1:cHJvZC1kYXRhLWtleS0zMi1ieXRlcy1sb25nLXh4eHg=")
    monkeypatch.setenv("BCRYPT_ROUNDS", "12")
    monkeypatch.delenv("CARRIER_API_KEY", raising=False)
    reset_settings()
    reset_carrier_settings()
    try:
        with pytest.raises(RuntimeError, match="CARRIER_API_KEY"):
            carrier_settings()
        monkeypatch.setenv("CARRIER_API_KEY", "real-key")
        monkeypatch.setenv("CARRIER_WEBHOOK_SECRET", "real-secret")
        reset_carrier_settings()
        assert carrier_settings().api_key == "real-key"
    finally:
        monkeypatch.undo()
        reset_settings()
        reset_carrier_settings()
