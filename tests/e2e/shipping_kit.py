"""Test kit of the shipping area: orders written straight to the database, the fake carrier
(infra/local/fakes/carrier.py) on a free port with the adapter pointed at it, and a relay that
takes the fake's real webhook POSTs and hands the exact bytes and headers to the app under
test (chalice.test.Client has no socket the fake could reach)."""
from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import uuid
from collections.abc import Iterator, Sequence
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from chalicelib.adapters.carrier import reset_carrier_settings
from chalicelib.platform.crypto import seal
from chalicelib.platform.db import get_db
from infra.local.fakes import carrier as fake
from tests.helpers import insert_product

API_KEY = "kit-carrier-key"
SECRET = "kit-carrier-webhook-secret"
PHONE = "+905321234567"


# -- orders ---------------------------------------------------------------------------------
def address_snapshot(**overrides: Any) -> dict[str, Any]:
    """What checkout keeps of the delivery address (addresses.service.order_snapshot)."""
    snapshot = {
        "type": "delivery", "first_name": "Ayşe", "last_name": "Yılmaz", "il": "Konya", "ilce": "Beyşehir",
        "mahalle": "Huğlu Mah.", "address_line": "Çarşı Sok. No 5", "posta_kodu": "42700", "country_code": "TR",
        "phone_masked": "+90532*****67",
        "sealed": {"phone": base64.b64encode(seal(PHONE, "address.phone")).decode()},
    }
    snapshot.update(overrides)
    return snapshot


def insert_order(tenant_id: int, user_id: int, quantities: Sequence[int] = (1,), *, status: str = "paid",
                 address: dict[str, Any] | None = None) -> tuple[int, list[int]]:
    """An order of `user_id` in `status`, one line per quantity (unit price 100.00 TRY).
    Returns (order id, order item ids)."""
    session = get_db().session()
    total = Decimal("100.00") * sum(quantities)
    order_id = session.insert(
        """INSERT INTO orders (tenant_id, order_number, user_id, status, payment_status, payment_method, subtotal,
                               vat_total, grand_total, paid_total, shipping_address, contact_email, contact_phone,
                               paid_at)
           VALUES (%s, %s, %s, %s, %s, 'card', %s, %s, %s, %s, %s, %s, %s,
                   IF(%s = 'pending_payment', NULL, CURRENT_TIMESTAMP(6)))""",
        (tenant_id, f"HG-{uuid.uuid4().hex[:10].upper()}", user_id, status,
         "unpaid" if status == "pending_payment" else "paid", total, (total / 6).quantize(Decimal("0.01")), total,
         Decimal(0) if status == "pending_payment" else total,
         json.dumps(address if address is not None else address_snapshot(), ensure_ascii=False),
         "ayse@example.com", "+905551112233", status))
    item_ids = []
    for index, quantity in enumerate(quantities):
        product_id = insert_product(get_db(), tenant_id, f"Kamp Çadırı {index + 1}")
        variation = session.one("SELECT id, sku FROM product_variations WHERE tenant_id = %s AND product_id = %s",
                                (tenant_id, product_id))
        assert variation is not None
        item_ids.append(session.insert(
            """INSERT INTO order_items (tenant_id, order_id, product_id, variation_id, name, sku, unit_price, vat_rate,
                                        quantity, vat_amount, line_total)
               VALUES (%s, %s, %s, %s, %s, %s, 100.00, 20.00, %s, %s, %s)""",
            (tenant_id, order_id, product_id, variation["id"], f"Kamp Çadırı {index + 1}", variation["sku"], quantity,
             (Decimal("16.67") * quantity), Decimal("100.00") * quantity)))
    return order_id, item_ids


def order_row(tenant_id: int, order_id: int) -> dict[str, Any]:
    row = get_db().session().one("SELECT * FROM orders WHERE tenant_id = %s AND id = %s", (tenant_id, order_id))
    assert row is not None
    return row


def timeline(tenant_id: int, order_id: int) -> list[tuple[str | None, str, str]]:
    rows = get_db().session().all(
        """SELECT from_status, to_status, actor_type FROM order_status_history
            WHERE tenant_id = %s AND order_id = %s ORDER BY id""", (tenant_id, order_id))
    return [(r["from_status"], r["to_status"], r["actor_type"]) for r in rows]


def outbox(tenant_id: int, order_id: int) -> list[dict[str, Any]]:
    rows = get_db().session().all(
        """SELECT event_type, payload FROM outbox_events
            WHERE tenant_id = %s AND aggregate_type = 'order' AND aggregate_id = %s ORDER BY id""",
        (tenant_id, str(order_id)))
    return [{"type": r["event_type"], **json.loads(r["payload"])} for r in rows]


def events(tenant_id: int, shipment_id: int) -> list[dict[str, Any]]:
    return get_db().session().all(
        """SELECT status, occurred_at, source, description FROM shipment_events
            WHERE tenant_id = %s AND shipment_id = %s ORDER BY occurred_at, id""", (tenant_id, shipment_id))


def shipment_row(tenant_id: int, shipment_id: int) -> dict[str, Any]:
    row = get_db().session().one("SELECT * FROM shipments WHERE tenant_id = %s AND id = %s", (tenant_id, shipment_id))
    assert row is not None
    return row


def utc(minutes: float = 0) -> dt.datetime:
    """Now (UTC, aware) plus `minutes`, for events stamped by the carrier."""
    return dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=minutes)


# -- the fake carrier and the relay ------------------------------------------------------------
class Relay:
    """An HTTP endpoint for the fake's webhooks that forwards each request, byte for byte, to
    the chalice test client of the running test."""

    def __init__(self) -> None:
        self.client: Any = None
        self.received: list[dict[str, Any]] = []
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                relay.received.append({"path": self.path, "headers": headers, "body": raw})
                response = relay.client.http.request("POST", self.path, headers=headers, body=raw)
                body = response.body if isinstance(response.body, bytes) else str(response.body).encode()
                self.send_response(response.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def carrier_server() -> Iterator[fake.FakeCarrierServer]:
    server, _ = fake.start(api_key=API_KEY, secret=SECRET)
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def relay() -> Iterator[Relay]:
    r = Relay()
    yield r
    r.close()


@pytest.fixture
def carrier(carrier_server: fake.FakeCarrierServer, relay: Relay, client: Any,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[fake.FakeCarrierServer]:
    """The fake carrier, emptied, with the adapter configured for it (every carrier booked and
    tracked through it, all with webhooks unless a test narrows CARRIER_WEBHOOK_CODES)."""
    carrier_server.reset()
    relay.client = client
    relay.received.clear()
    monkeypatch.setenv("CARRIER_BASE_URL", carrier_server.base_url)
    monkeypatch.setenv("CARRIER_API_KEY", API_KEY)
    monkeypatch.setenv("CARRIER_WEBHOOK_SECRET", SECRET)
    monkeypatch.delenv("CARRIER_CODES", raising=False)
    monkeypatch.delenv("CARRIER_WEBHOOK_CODES", raising=False)
    reset_carrier_settings()
    yield carrier_server
    reset_carrier_settings()


def subscribe(carrier: fake.FakeCarrierServer, relay: Relay, api_key: str) -> None:
    """Register the store's webhook the way a merchant does: its URL, with its X-API-Key."""
    carrier.subscribe(f"{relay.url}/api/shipping/webhooks/{{carrier}}", {"X-API-Key": api_key})


def configure(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_carrier_settings()
