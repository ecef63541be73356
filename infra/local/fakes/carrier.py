"""A local carrier speaking protocol v1 of chalicelib/adapters/carrier.py over HTTP.

    POST   /v1/shipments                 book (idempotent on "reference": a repeat answers 200)
    DELETE /v1/shipments/{tracking}      void a label not yet handed over (204; 409 once moving)
    GET    /v1/tracking/{tracking}       the shipment's events, oldest first
    POST   /v1/webhooks                  subscribe {"url", "headers"}; DELETE /v1/webhooks/{id}
                                         ("{carrier}" in the url becomes the shipment's carrier code)
    GET    /labels/{token}.pdf           the label (public, unguessable link, as carriers hand out)
    GET    /track/{tracking}             the public tracking page the tracking_url points at

Every /v1 call needs `Authorization: Bearer <key>`.  Shipments live in memory.  Webhooks are
signed as the protocol says (HMAC-SHA256 over "<timestamp>." + raw body, with its own code
below rather than the adapter's, so a signing bug on either side shows up in the tests) and
POSTed to every subscription, synchronously, so a test sees the delivery's answer.

Not part of the protocol - controls for tests and `make dev` (no key needed):

    POST /_fake/shipments/{tracking}/advance   {"status"?, "description"?, "location"?,
             "occurred_at"?, "notify"?: true}   next step picked_up → in_transit →
             out_for_delivery → delivered (or the status given); returns the event and deliveries
    POST /_fake/events/{event_id}/redeliver    send a stored webhook again (at-least-once)
    POST /_fake/fail  {"path": "/v1/tracking", "status": 503, "times": 1}   inject failures
    GET  /_fake/deliveries                     every webhook attempt with the receiver's status

    python -m infra.local.fakes.carrier --port 8766 [--key K] [--secret S]
    server, base_url = start()                                  # tests; server.shutdown()
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from infra.local.fakes import serve_until_interrupted

DEFAULT_KEY = "dev-carrier-key"
DEFAULT_SECRET = "dev-carrier-webhook-secret"
CARRIERS = {"yurtici": "YK", "aras": "AR", "mng": "MN", "ptt": "PT", "surat": "SR"}
STEPS = ("picked_up", "in_transit", "out_for_delivery", "delivered")
STATUSES = {"created", "picked_up", "in_transit", "arrived_at_branch", "out_for_delivery", "delivery_failed",
            "delivered", "returned_to_sender"}
FINAL = {"delivered", "returned_to_sender"}
DESCRIPTIONS = {
    "created": ("Gönderi kaydı oluşturuldu", "Huğlu Depo"),
    "picked_up": ("Gönderi kargo şubesince teslim alındı", "Beyşehir Şube"),
    "in_transit": ("Gönderi transfer merkezinden çıkış yaptı", "Konya Transfer Merkezi"),
    "arrived_at_branch": ("Gönderi varış şubesine ulaştı", "Varış Şubesi"),
    "out_for_delivery": ("Gönderi dağıtıma çıkarıldı", "Varış Şubesi"),
    "delivery_failed": ("Alıcı adreste bulunamadı, tekrar denenecek", "Varış Şubesi"),
    "delivered": ("Gönderi alıcıya teslim edildi", "Alıcı adresi"),
    "returned_to_sender": ("Gönderi göndericiye iade edildi", "Huğlu Depo"),
}
# A minimal valid one-page PDF, so a label link opens in a viewer.
LABEL_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>"
             b"endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 288 432]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass
class Shipment:
    id: str
    reference: str
    carrier: str
    tracking_number: str
    label_token: str
    request: dict[str, Any]
    created_at: dt.datetime
    events: list[dict[str, Any]] = field(default_factory=list)
    cancelled: bool = False

    @property
    def status(self) -> str:
        return "cancelled" if self.cancelled else self.events[-1]["status"]


class FakeCarrierServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], api_key: str = DEFAULT_KEY, secret: str = DEFAULT_SECRET) -> None:
        super().__init__(address, _Handler)
        self.api_key = api_key
        self.secret = secret
        self.base_url = ""  # set by start()/main() once the port is known
        self.lock = threading.RLock()
        self.shipments: dict[str, Shipment] = {}  # by tracking number
        self.by_reference: dict[str, str] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.webhooks: dict[str, tuple[str, bytes]] = {}  # event id → (carrier, body sent), for redelivery
        self.deliveries: list[dict[str, Any]] = []
        self.failures: list[dict[str, Any]] = []
        self.calls: list[tuple[str, str]] = []  # (method, path), so tests see what we were asked

    # -- protocol operations --
    def book(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        problems = _validate_booking(body)
        if problems:
            return 422, {"error": {"code": "invalid_request", "message": "The shipment request is invalid.",
                                   "fields": problems}}
        with self.lock:
            known = self.by_reference.get(body["reference"])
            if known is not None:
                return 200, self.describe(self.shipments[known])
            prefix = CARRIERS[body["carrier"]]
            tracking = f"{prefix}{secrets.randbelow(10 ** 12):012d}"
            created = _now()
            shipment = Shipment(id=f"shp_{secrets.token_hex(8)}", reference=body["reference"], carrier=body["carrier"],
                                tracking_number=tracking, label_token=secrets.token_urlsafe(24), request=body,
                                created_at=created)
            shipment.events.append(self._event("created", created))
            self.shipments[tracking] = shipment
            self.by_reference[body["reference"]] = tracking
            return 201, self.describe(shipment)

    def describe(self, shipment: Shipment) -> dict[str, Any]:
        return {
            "id": shipment.id, "reference": shipment.reference, "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "tracking_url": f"{self.base_url}/track/{shipment.tracking_number}",
            "status": shipment.status,
            "label": {"format": "pdf", "url": f"{self.base_url}/labels/{shipment.label_token}.pdf"},
            "estimated_delivery_at": _rfc3339(shipment.created_at + dt.timedelta(days=2)),
            "created_at": _rfc3339(shipment.created_at),
        }

    def tracking(self, tracking_number: str) -> dict[str, Any] | None:
        with self.lock:
            shipment = self.shipments.get(tracking_number)
            if shipment is None:
                return None
            return {"tracking_number": shipment.tracking_number, "carrier": shipment.carrier,
                    "status": shipment.status, "events": list(shipment.events)}

    def cancel(self, tracking_number: str) -> int:
        with self.lock:
            shipment = self.shipments.get(tracking_number)
            if shipment is None:
                return 404
            if shipment.status not in ("created", "cancelled"):
                return 409
            shipment.cancelled = True
            return 204

    # -- controls --
    def advance(self, tracking_number: str, status: str | None = None, *, description: str | None = None,
                location: str | None = None, occurred_at: dt.datetime | None = None,
                notify: bool = True) -> dict[str, Any]:
        """Add the next event (or `status`) and, with `notify`, POST it to every subscriber."""
        with self.lock:
            shipment = self.shipments[tracking_number]
            if status is None:
                done = {e["status"] for e in shipment.events}
                status = next((s for s in STEPS if s not in done), "delivered")
            if status not in STATUSES:
                raise ValueError(f"unknown status {status}")
            event = self._event(status, occurred_at or _now(), description, location)
            shipment.events.append(event)
            shipment.events.sort(key=lambda e: e["occurred_at"])  # a back-dated event lands in place
        deliveries = self.notify(shipment, event) if notify else []
        return {"event": event, "deliveries": deliveries}

    def notify(self, shipment: Shipment, event: dict[str, Any]) -> list[dict[str, Any]]:
        webhook_id = f"evt_{secrets.token_hex(8)}"
        body = json.dumps({
            "id": webhook_id, "type": "tracking.updated", "created_at": _rfc3339(_now()),
            "data": {"tracking_number": shipment.tracking_number, "carrier": shipment.carrier,
                     "reference": shipment.reference, "event": event},
        }, ensure_ascii=False).encode("utf-8")  # raw UTF-8: the signature covers these exact bytes
        with self.lock:
            self.webhooks[webhook_id] = (shipment.carrier, body)
        return self.deliver(webhook_id)

    def deliver(self, webhook_id: str) -> list[dict[str, Any]]:
        with self.lock:
            carrier, body = self.webhooks[webhook_id]
            targets = list(self.subscriptions.values())
        results = []
        for subscription in targets:
            timestamp = str(int(time.time()))
            signed = hmac.new(self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
            headers = {**subscription["headers"], "Content-Type": "application/json; charset=utf-8",
                       "User-Agent": "fake-carrier-webhooks/1", "X-Carrier-Event-Id": webhook_id,
                       "X-Carrier-Timestamp": timestamp, "X-Carrier-Signature": f"v1={signed}"}
            url = subscription["url"].replace("{carrier}", carrier)
            status = _post(url, body, headers)
            result = {"event_id": webhook_id, "subscription": subscription["id"], "url": url, "status": status}
            with self.lock:
                self.deliveries.append(result)
            results.append(result)
        return results

    def subscribe(self, url: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        with self.lock:
            sub_id = f"whk_{secrets.token_hex(6)}"
            self.subscriptions[sub_id] = {"id": sub_id, "url": url, "headers": dict(headers or {})}
            return {"id": sub_id, "url": url}

    def fail_next(self, path: str, status: int = 503, times: int = 1) -> None:
        with self.lock:
            self.failures.append({"path": path, "status": status, "times": times})

    def reset(self) -> None:
        with self.lock:
            self.shipments.clear()
            self.by_reference.clear()
            self.subscriptions.clear()
            self.webhooks.clear()
            self.deliveries.clear()
            self.failures.clear()
            self.calls.clear()

    def injected_failure(self, path: str) -> int | None:
        with self.lock:
            for failure in self.failures:
                if path.startswith(failure["path"]) and failure["times"] > 0:
                    failure["times"] -= 1
                    return int(failure["status"])
        return None

    def _event(self, status: str, occurred_at: dt.datetime, description: str | None = None,
               location: str | None = None) -> dict[str, Any]:
        default_description, default_location = DESCRIPTIONS[status]
        return {"id": f"tev_{secrets.token_hex(8)}", "status": status,
                "description": description or default_description, "location": location or default_location,
                "occurred_at": _rfc3339(occurred_at)}


def _validate_booking(body: Any) -> list[dict[str, str]]:
    if not isinstance(body, dict):
        return [{"field": "", "message": "must be an object"}]
    problems = []
    if not isinstance(body.get("reference"), str) or not 1 <= len(body["reference"]) <= 64:
        problems.append({"field": "reference", "message": "required, 1-64 characters"})
    if body.get("carrier") not in CARRIERS:
        problems.append({"field": "carrier", "message": f"one of {sorted(CARRIERS)}"})
    recipient: dict[str, Any] = body["recipient"] if isinstance(body.get("recipient"), dict) else {}
    for name in ("name", "address_line", "district", "city"):
        if not str(recipient.get(name) or "").strip():
            problems.append({"field": f"recipient.{name}", "message": "required"})
    phone = str(recipient.get("phone") or "").lstrip("+")
    if not (phone.isascii() and phone.isdigit()) or len(phone) < 10:  # "²".isdigit() is True
        problems.append({"field": "recipient.phone", "message": "a phone number the courier can call"})
    items = body.get("items")
    if not isinstance(items, list) or not items:
        problems.append({"field": "items", "message": "at least one item"})
    return problems


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0  # unreachable: a real carrier retries later; here the caller sees 0


class _Handler(BaseHTTPRequestHandler):
    server: FakeCarrierServer

    # -- routing --
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._route("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._route("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._route("DELETE")

    def _route(self, method: str) -> None:
        path = urlsplit(self.path).path
        parts = [unquote(p) for p in path.strip("/").split("/")]
        with self.server.lock:
            self.server.calls.append((method, path))
        if parts[0] == "_fake":
            self._control(method, parts[1:])
            return
        if method == "GET" and parts[0] == "labels" and len(parts) == 2:
            self._label(parts[1])
            return
        if method == "GET" and parts[0] == "track" and len(parts) == 2:
            self._send_bytes(200, f"<h1>{parts[1]}</h1>".encode(), "text/html; charset=utf-8")
            return
        if parts[0] != "v1":
            self._send(404, {"error": {"code": "not_found", "message": "No such endpoint."}})
            return
        if self.headers.get("Authorization") != f"Bearer {self.server.api_key}":
            self._send(401, {"error": {"code": "unauthorized", "message": "Missing or invalid API key."}})
            return
        injected = self.server.injected_failure(path)
        if injected is not None:
            self._send(injected, {"error": {"code": "unavailable", "message": "Injected failure."}})
            return
        self._protocol(method, parts[1:])

    def _protocol(self, method: str, parts: list[str]) -> None:
        server = self.server
        if method == "POST" and parts == ["shipments"]:
            body = self._json()
            status, answer = server.book(body) if body is not None else (400, _bad_json())
            self._send(status, answer)
        elif method == "DELETE" and len(parts) == 2 and parts[0] == "shipments":
            status = server.cancel(parts[1])
            self._send(status, {} if status == 204 else {"error": {"code": "not_cancellable" if status == 409
                                                                  else "not_found", "message": "Cannot cancel."}})
        elif method == "GET" and len(parts) == 2 and parts[0] == "tracking":
            found = server.tracking(parts[1])
            if found is None:
                self._send(404, {"error": {"code": "not_found", "message": "Unknown tracking number."}})
            else:
                self._send(200, found)
        elif method == "POST" and parts == ["webhooks"]:
            body = self._json()
            if not isinstance(body, dict) or not str(body.get("url", "")).startswith(("http://", "https://")):
                self._send(422, {"error": {"code": "invalid_request", "message": "url required",
                                           "fields": [{"field": "url", "message": "an http(s) URL"}]}})
                return
            self._send(201, server.subscribe(body["url"], body.get("headers") or {}))
        elif method == "DELETE" and len(parts) == 2 and parts[0] == "webhooks":
            with server.lock:
                found = server.subscriptions.pop(parts[1], None)
            self._send(204, {}) if found else self._send(404, {"error": {"code": "not_found", "message": "No such."}})
        else:
            self._send(404, {"error": {"code": "not_found", "message": "No such endpoint."}})

    def _control(self, method: str, parts: list[str]) -> None:
        server = self.server
        body = self._json() if method == "POST" else {}
        body = body if isinstance(body, dict) else {}
        if method == "POST" and len(parts) == 3 and parts[0] == "shipments" and parts[2] == "advance":
            if parts[1] not in server.shipments:
                self._send(404, {"error": {"code": "not_found", "message": "Unknown tracking number."}})
                return
            when = body.get("occurred_at")
            try:
                answer = server.advance(parts[1], body.get("status"), description=body.get("description"),
                                        location=body.get("location"),
                                        occurred_at=dt.datetime.fromisoformat(when) if when else None,
                                        notify=bool(body.get("notify", True)))
            except ValueError as exc:
                self._send(400, {"error": {"code": "invalid_request", "message": str(exc)}})
                return
            self._send(200, answer)
        elif method == "POST" and len(parts) == 3 and parts[0] == "events" and parts[2] == "redeliver":
            if parts[1] not in server.webhooks:
                self._send(404, {"error": {"code": "not_found", "message": "Unknown event."}})
                return
            self._send(200, {"deliveries": server.deliver(parts[1])})
        elif method == "POST" and parts == ["fail"]:
            server.fail_next(str(body.get("path", "/v1")), int(body.get("status", 503)), int(body.get("times", 1)))
            self._send(200, {"ok": True})
        elif method == "GET" and parts == ["deliveries"]:
            with server.lock:
                self._send(200, {"deliveries": list(server.deliveries)})
        else:
            self._send(404, {"error": {"code": "not_found", "message": "No such control."}})

    # -- helpers --
    def _label(self, name: str) -> None:
        token = name.removesuffix(".pdf")
        with self.server.lock:
            known = any(s.label_token == token for s in self.server.shipments.values())
        if known:
            self._send_bytes(200, LABEL_PDF, "application/pdf")
        else:
            self._send(404, {"error": {"code": "not_found", "message": "No such label."}})

    def _json(self) -> Any:
        declared = (self.headers.get("Content-Length") or "0").strip()
        length = int(declared) if declared.isascii() and declared.isdigit() else 0
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return None

    def _send(self, status: int, body: dict[str, Any]) -> None:
        if status == 204:
            self.send_response(204)
            self.end_headers()
            return
        self._send_bytes(status, json.dumps(body, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")

    def _send_bytes(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        pass  # quiet: requests carry the key and recipients' addresses


def _bad_json() -> dict[str, Any]:
    return {"error": {"code": "invalid_json", "message": "The body is not JSON."}}


def start(port: int = 0, *, host: str = "127.0.0.1", api_key: str = DEFAULT_KEY,
          secret: str = DEFAULT_SECRET) -> tuple[FakeCarrierServer, str]:
    """Serve in a background thread; returns the server and its base URL (CARRIER_BASE_URL).
    Stop it with `server.shutdown(); server.server_close()`."""
    server = FakeCarrierServer((host, port), api_key, secret)
    bound_host, bound_port = server.server_address[:2]
    server.base_url = f"http://{bound_host!s}:{bound_port}"
    threading.Thread(target=server.serve_forever, name="fake-carrier", daemon=True).start()
    return server, server.base_url


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--key", default=os.environ.get("CARRIER_API_KEY", DEFAULT_KEY), help="the API key to accept")
    parser.add_argument("--secret", default=(os.environ.get("CARRIER_WEBHOOK_SECRET") or DEFAULT_SECRET).split(",")[0],
                        help="the webhook signing secret")
    parser.add_argument("--webhook-url", action="append", default=[],
                        help="subscribe this URL at start (repeatable); e.g. "
                        "http://127.0.0.1:8000/api/shipping/webhooks/{carrier}")
    parser.add_argument("--webhook-header", action="append", default=[], metavar="NAME=VALUE",
                        help="a header sent with every webhook, e.g. X-API-Key=<tenant key>")
    args = parser.parse_args(argv)
    server = FakeCarrierServer((args.host, args.port), args.key, args.secret)
    server.base_url = f"http://{args.host}:{args.port}"
    headers = dict(h.split("=", 1) for h in args.webhook_header)
    for url in args.webhook_url:
        server.subscribe(url, headers)
    return serve_until_interrupted(server, f"fake carrier (protocol v1) on {server.base_url}")


if __name__ == "__main__":
    raise SystemExit(main())
