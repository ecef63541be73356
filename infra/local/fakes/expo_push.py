"""A local Expo push service speaking the protocol of chalicelib/adapters/push.py over HTTP.

    POST /--/api/v2/push/send          JSON array (or one object) of ≤ 100 messages → {"data": [tickets]}
    POST /--/api/v2/push/getReceipts   {"ids": [...]} → {"data": {id: receipt}}

Tickets and receipts are shaped as Expo documents them: {"status": "ok", "id"} /
{"status": "error", "message", "details": {"error": "DeviceNotRegistered"}}.  A malformed
token gets an error ticket (DeviceNotRegistered, as Expo answers for a token it does not know);
more than 100 messages is a 400 {"errors": [{"code": "PUSH_TOO_MANY_NOTIFICATIONS"}]}.
With an access token configured, calls without `Authorization: Bearer <token>` are 401.

Not part of the protocol - controls for tests and `make dev`:

    POST /_fake/tokens/dead  {"token", "at": "receipt"|"ticket"}  the app was uninstalled: the
         next message to it gets an ok ticket whose receipt says DeviceNotRegistered ("receipt",
         Expo's usual way), or an error ticket at once ("ticket")
    POST /_fake/tokens/throttle {"token"}   tickets for it say MessageRateExceeded
    POST /_fake/fail {"path": "/--/api/v2/push/send", "status": 429, "times": 1}   inject failures
    GET  /_fake/messages                    every message accepted (with its ticket id)
    POST /_fake/reset

    python -m infra.local.fakes.expo_push --port 8768 [--access-token T]
    server, base_url = start()                                  # tests; server.shutdown()
"""
from __future__ import annotations

import argparse
import json
import re
import threading
import uuid
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from infra.local.fakes import serve_until_interrupted

SEND = "/--/api/v2/push/send"
RECEIPTS = "/--/api/v2/push/getReceipts"
TOKEN = re.compile(r"^(ExponentPushToken|ExpoPushToken)\[[A-Za-z0-9_\-]{10,200}\]$")


class FakeExpoServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], access_token: str | None = None) -> None:
        super().__init__(address, _Handler)
        self.access_token = access_token
        self.base_url = ""
        self.lock = threading.RLock()
        self.dead: dict[str, str] = {}  # token → "receipt" | "ticket"
        self.throttled: set[str] = set()
        self.receipts: dict[str, dict[str, Any]] = {}
        self.messages: list[dict[str, Any]] = []
        self.failures: list[dict[str, Any]] = []
        self.requests: list[tuple[str, int]] = []  # (path, number of messages / ids)

    def send(self, messages: list[Any]) -> tuple[int, dict[str, Any]]:
        if len(messages) > 100:
            return 400, {"errors": [{"code": "PUSH_TOO_MANY_NOTIFICATIONS",
                                     "message": "You are trying to send more than 100 push notifications in one request."}]}
        tickets = []
        with self.lock:
            for message in messages:
                to = message.get("to") if isinstance(message, dict) else None
                if not isinstance(to, str) or not TOKEN.match(to) or self.dead.get(to) == "ticket":
                    tickets.append(_error(f"{to!r} is not a registered push notification recipient",
                                          "DeviceNotRegistered"))
                    continue
                if to in self.throttled:
                    tickets.append(_error("The device is receiving too many messages.", "MessageRateExceeded"))
                    continue
                ticket_id = str(uuid.uuid4())
                self.receipts[ticket_id] = (_error(f"{to!r} is not a registered push notification recipient",
                                                   "DeviceNotRegistered") if self.dead.get(to) == "receipt"
                                            else {"status": "ok"})
                self.messages.append({**message, "ticket_id": ticket_id})
                tickets.append({"status": "ok", "id": ticket_id})
        return 200, {"data": tickets}

    def get_receipts(self, ids: list[Any]) -> tuple[int, dict[str, Any]]:
        if len(ids) > 1000:
            return 400, {"errors": [{"code": "PUSH_TOO_MANY_RECEIPTS", "message": "Too many receipt ids."}]}
        with self.lock:
            return 200, {"data": {i: self.receipts[i] for i in ids if isinstance(i, str) and i in self.receipts}}

    def injected_failure(self, path: str) -> int | None:
        with self.lock:
            for failure in self.failures:
                if path.startswith(failure["path"]) and failure["times"] > 0:
                    failure["times"] -= 1
                    return int(failure["status"])
        return None

    def reset(self) -> None:
        with self.lock:
            self.dead.clear()
            self.throttled.clear()
            self.receipts.clear()
            self.messages.clear()
            self.failures.clear()
            self.requests.clear()


def _error(message: str, code: str) -> dict[str, Any]:
    return {"status": "error", "message": message, "details": {"error": code}}


class _Handler(BaseHTTPRequestHandler):
    server: FakeExpoServer

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if urlsplit(self.path).path == "/_fake/messages":
            with self.server.lock:
                self._send(200, {"messages": list(self.server.messages)})
        else:
            self._send(404, {"errors": [{"code": "NOT_FOUND", "message": "No such endpoint."}]})

    def do_POST(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        body = self._json()
        if path.startswith("/_fake/"):
            self._control(path, body if isinstance(body, dict) else {})
            return
        if self.server.access_token and self.headers.get("Authorization") != f"Bearer {self.server.access_token}":
            self._send(401, {"errors": [{"code": "UNAUTHORIZED", "message": "Invalid access token."}]})
            return
        injected = self.server.injected_failure(path)
        if injected is not None:
            code = "TOO_MANY_REQUESTS" if injected == 429 else "INTERNAL_SERVER_ERROR"
            self._send(injected, {"errors": [{"code": code, "message": "Injected failure."}]})
            return
        if path == SEND:
            messages = body if isinstance(body, list) else [body] if isinstance(body, dict) else None
            if messages is None:
                self._send(400, {"errors": [{"code": "VALIDATION_ERROR", "message": "Expected messages."}]})
                return
            with self.server.lock:
                self.server.requests.append((path, len(messages)))
            self._send(*self.server.send(messages))
        elif path == RECEIPTS:
            ids = body.get("ids") if isinstance(body, dict) else None
            if not isinstance(ids, list):
                self._send(400, {"errors": [{"code": "VALIDATION_ERROR", "message": "\"ids\" must be an array."}]})
                return
            with self.server.lock:
                self.server.requests.append((path, len(ids)))
            self._send(*self.server.get_receipts(ids))
        else:
            self._send(404, {"errors": [{"code": "NOT_FOUND", "message": "No such endpoint."}]})

    def _control(self, path: str, body: dict[str, Any]) -> None:
        server = self.server
        with server.lock:
            if path == "/_fake/tokens/dead":
                server.dead[str(body.get("token"))] = "ticket" if body.get("at") == "ticket" else "receipt"
            elif path == "/_fake/tokens/throttle":
                server.throttled.add(str(body.get("token")))
            elif path == "/_fake/fail":
                server.failures.append({"path": str(body.get("path", SEND)), "status": int(body.get("status", 503)),
                                        "times": int(body.get("times", 1))})
            elif path == "/_fake/reset":
                server.reset()
            else:
                self._send(404, {"errors": [{"code": "NOT_FOUND", "message": "No such control."}]})
                return
        self._send(200, {"ok": True})

    def _json(self) -> Any:
        declared = (self.headers.get("Content-Length") or "0").strip()
        length = int(declared) if declared.isascii() and declared.isdigit() else 0
        try:
            return json.loads(self.rfile.read(length) if length else b"null")
        except ValueError:
            return None

    def _send(self, status: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        pass  # quiet: requests carry device tokens


def start(port: int = 0, *, host: str = "127.0.0.1", access_token: str | None = None) -> tuple[FakeExpoServer, str]:
    """Serve in a background thread; returns the server and its base URL (EXPO_PUSH_URL)."""
    server = FakeExpoServer((host, port), access_token)
    bound_host, bound_port = server.server_address[:2]
    server.base_url = f"http://{bound_host!s}:{bound_port}"
    threading.Thread(target=server.serve_forever, name="fake-expo-push", daemon=True).start()
    return server, server.base_url


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8768)
    parser.add_argument("--access-token", default=None, help="require this Bearer token (push security)")
    args = parser.parse_args(argv)
    server = FakeExpoServer((args.host, args.port), args.access_token)
    server.base_url = f"http://{args.host}:{args.port}"
    return serve_until_interrupted(server, f"fake Expo push service on {server.base_url}")


if __name__ == "__main__":
    raise SystemExit(main())
