"""A local Netgsm SMS gateway speaking the REST v2 send protocol of chalicelib/adapters/sms.py.

    POST /sms/rest/v2/send   Authorization: Basic base64(usercode:password)
        {"msgheader", "encoding"?, "iysfilter"?, "messages": [{"msg", "no"}]}
        200 {"code": "00", "jobid", "description": "queued"}
        Errors answer 200 or 406 with {"code", "description"} as Netgsm does:
        30 bad credentials, 40 unknown msgheader, 20 an empty or too-long text (over 917
        characters, 6 × 153 GSM-7 segments, a gateway-side limit), 70 a number that is not a
        Turkish mobile number (10 digits starting with 5) or bad parameters, 80 sending limit
        (a `limit_per_minute` the fake can be given), 85 duplicate limit (the same number more than
        20 times a minute).

Not part of the protocol - controls for tests and `make dev`:
    GET  /_fake/messages                  every accepted message {"jobid", "no", "msg", "msgheader", "iysfilter"}
    POST /_fake/fail {"code": "80", "times": 1}   answer the next sends with this code
    POST /_fake/reset

    python -m infra.local.fakes.sms_gateway --port 8769 [--usercode U --password P --header H]
    server, base_url = start()                                  # tests; server.shutdown()
"""
from __future__ import annotations

import argparse
import base64
import json
import re
import secrets
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from infra.local.fakes import serve_until_interrupted

DEFAULT_USER = "dev-netgsm-user"
DEFAULT_PASSWORD = "dev-netgsm-password"  # noqa: S105 - the local fake's development login
DEFAULT_HEADER = "HUGLU"
MOBILE = re.compile(r"^5[0-9]{9}$")
MAX_TEXT = 917
DESCRIPTIONS = {"00": "queued", "20": "message text problem", "30": "invalid credentials or no API access",
                "40": "msgheader not defined", "70": "invalid parameters", "80": "sending limit exceeded",
                "85": "duplicate sending limit exceeded"}


class FakeNetgsmServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], usercode: str = DEFAULT_USER, password: str = DEFAULT_PASSWORD,
                 headers: Sequence[str] = (DEFAULT_HEADER,)) -> None:
        super().__init__(address, _Handler)
        self.credentials = f"{usercode}:{password}"
        self.headers_allowed = set(headers)
        self.base_url = ""
        self.lock = threading.RLock()
        self.messages: list[dict[str, Any]] = []
        self.failures: list[dict[str, Any]] = []
        self.sent_at: dict[str, list[float]] = {}

    def send(self, body: Any) -> str | tuple[str, str]:
        """"<code>" for a refusal, ("00", jobid) when queued."""
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list) or not body["messages"]:
            return "70"
        if body.get("msgheader") not in self.headers_allowed:
            return "40"
        with self.lock:
            for failure in self.failures:
                if failure["times"] > 0:
                    failure["times"] -= 1
                    return str(failure["code"])
            now = time.time()
            for message in body["messages"]:
                if not isinstance(message, dict):
                    return "70"
                text, number = message.get("msg"), str(message.get("no") or "")
                if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
                    return "20"
                if not MOBILE.match(number):
                    return "70"
                recent = [t for t in self.sent_at.get(number, []) if now - t < 60]
                if len(recent) >= 20:
                    return "85"
            jobid = str(secrets.randbelow(10**12) + 10**11)
            for message in body["messages"]:
                self.sent_at.setdefault(message["no"], []).append(now)
                self.messages.append({"jobid": jobid, "no": message["no"], "msg": message["msg"],
                                      "msgheader": body["msgheader"], "iysfilter": str(body.get("iysfilter", "0"))})
            return "00", jobid

    def reset(self) -> None:
        with self.lock:
            self.messages.clear()
            self.failures.clear()
            self.sent_at.clear()


class _Handler(BaseHTTPRequestHandler):
    server: FakeNetgsmServer

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if urlsplit(self.path).path == "/_fake/messages":
            with self.server.lock:
                self._send(200, {"messages": list(self.server.messages)})
        else:
            self._send(404, {"code": "70", "description": "not found"})

    def do_POST(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        body = self._json()
        if path == "/_fake/fail":
            with self.server.lock:
                self.server.failures.append({"code": str(body.get("code", "80")), "times": int(body.get("times", 1))})
            self._send(200, {"ok": True})
            return
        if path == "/_fake/reset":
            self.server.reset()
            self._send(200, {"ok": True})
            return
        if path != "/sms/rest/v2/send":
            self._send(404, {"code": "70", "description": "not found"})
            return
        expected = "Basic " + base64.b64encode(self.server.credentials.encode()).decode()
        if self.headers.get("Authorization") != expected:
            self._send(406, {"code": "30", "description": DESCRIPTIONS["30"]})
            return
        result = self.server.send(body)
        if isinstance(result, tuple):
            self._send(200, {"code": "00", "jobid": result[1], "description": DESCRIPTIONS["00"]})
        else:
            self._send(406, {"code": result, "description": DESCRIPTIONS.get(result, "error")})

    def _json(self) -> Any:
        declared = (self.headers.get("Content-Length") or "0").strip()
        length = int(declared) if declared.isascii() and declared.isdigit() else 0
        try:
            return json.loads(self.rfile.read(length) if length else b"{}")
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
        pass  # quiet: requests carry phone numbers and the login


def start(port: int = 0, *, host: str = "127.0.0.1", usercode: str = DEFAULT_USER, password: str = DEFAULT_PASSWORD,
          headers: Sequence[str] = (DEFAULT_HEADER,)) -> tuple[FakeNetgsmServer, str]:
    """Serve in a background thread; returns the server and its base URL (NETGSM_URL)."""
    server = FakeNetgsmServer((host, port), usercode, password, headers)
    bound_host, bound_port = server.server_address[:2]
    server.base_url = f"http://{bound_host!s}:{bound_port}"
    threading.Thread(target=server.serve_forever, name="fake-netgsm", daemon=True).start()
    return server, server.base_url


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8769)
    parser.add_argument("--usercode", default=DEFAULT_USER)
    parser.add_argument("--password", default=DEFAULT_PASSWORD)
    parser.add_argument("--header", action="append", default=[], help="an approved msgheader (repeatable)")
    args = parser.parse_args(argv)
    server = FakeNetgsmServer((args.host, args.port), args.usercode, args.password, args.header or [DEFAULT_HEADER])
    server.base_url = f"http://{args.host}:{args.port}"
    return serve_until_interrupted(server, f"fake Netgsm SMS gateway on {server.base_url}")


if __name__ == "__main__":
    raise SystemExit(main())
