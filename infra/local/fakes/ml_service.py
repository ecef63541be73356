"""A local stand-in for the ML service (ml_container/), speaking its HTTP contract, for the API's
tests (chalicelib/ml) and for `make dev` without TensorFlow.  The real service has its own tests.

    GET  /health                              {"status", "checks", "version"}            (no token)
    GET  /api/stats                           {"tenant_id", "events_per_minute", "events_total", "models", ...}
    GET  /api/models                          {"items": [{"kind", "version", "alias", "trained_at", "metrics", ...}]}
    POST /api/models/train                    202 {"job_id", "status": "queued"}
    POST /api/models/{kind}/activate|rollback {"champion", "challenger", "history"}
    POST /api/recommend                       {"items": [{"product_id", "score"}], "source", "model_version"}
    POST /api/predict                         {"predictions": [...], "model_version"}
    GET  /api/segments                        {"segments": [...], "silhouette", "model_version", "as_of"}
Every /api/* call needs X-Service-Token (401 otherwise) and X-Tenant-Id (400 otherwise); errors
are {"error": {"code", "message"}}.  Recommendations answer the ids a test gave the tenant
(`/_fake/items`), else nothing.

Not part of the protocol - controls for tests:
    POST /_fake/items  {"tenant_id", "items": [[product_id, score], ...], "source"?: "model"}
    POST /_fake/mode   {"mode": "ok" | "error" | "slow", "delay_s"?: 1.0}   (error: 500s; slow: sleep first)
    GET  /_fake/calls  [{"method", "path", "tenant_id", "body"}]
    POST /_fake/reset

    python -m infra.local.fakes.ml_service --port 8010 [--token T]
    server, base_url = start(token=...)                  # tests; server.shutdown(); server.server_close()
"""
from __future__ import annotations

import argparse
import json
import re
import threading
import time
import uuid
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from infra.local.fakes import serve_until_interrupted

DEFAULT_TOKEN = "dev-ml-token"  # noqa: S105 - the local fake's development token
KINDS = ("recommender", "purchase", "anomaly", "segments")


class FakeMlServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], token: str = DEFAULT_TOKEN) -> None:
        super().__init__(address, _Handler)
        self.token = token
        self.base_url = ""
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.items: dict[int, list[list[float]]] = {}
            self.sources: dict[int, str] = {}
            self.mode = "ok"
            self.delay_s = 1.0
            self.calls: list[dict[str, Any]] = []
            self.aliases: dict[tuple[int, str], dict[str, Any]] = {}


class _Handler(BaseHTTPRequestHandler):
    server: FakeMlServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *_: Any) -> None:  # quiet
        pass

    def _reply(self, status: int, body: Any) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _error(self, status: int, code: str, message: str) -> None:
        self._reply(status, {"error": {"code": code, "message": message}})

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw) if raw else {}

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def _handle(self, method: str) -> None:
        path = urlsplit(self.path).path
        try:
            body = self._body() if method == "POST" else {}
        except ValueError:
            self._error(400, "invalid_json", "The body is not JSON.")
            return
        if path.startswith("/_fake/"):
            self._control(method, path, body)
            return
        srv = self.server
        with srv.lock:
            mode, delay = srv.mode, srv.delay_s
        if mode == "slow":
            time.sleep(delay)
        if mode == "error":
            self._error(500, "internal_error", "Injected failure.")
            return
        if path == "/health" and method == "GET":
            self._reply(200, {"status": "ok", "checks": {"redis": True, "mysql": True, "s3": True},
                              "version": "fake-1"})
            return
        if self.headers.get("X-Service-Token") != srv.token:
            self._error(401, "unauthorized", "X-Service-Token missing or wrong.")
            return
        tenant = self.headers.get("X-Tenant-Id") or ""
        if not tenant.isdigit():
            self._error(400, "tenant_required", "X-Tenant-Id missing.")
            return
        tenant_id = int(tenant)
        with srv.lock:
            srv.calls.append({"method": method, "path": path, "tenant_id": tenant_id, "body": body})
        self._route(method, path, tenant_id, body)

    def _route(self, method: str, path: str, tenant_id: int, body: Any) -> None:  # noqa: C901 - a dispatch table
        srv = self.server
        if (method, path) == ("POST", "/api/recommend"):
            k = int(body.get("k") or 10)
            if not 1 <= k <= 50:
                self._error(400, "validation_failed", "k must be 1..50.")
                return
            exclude = set(body.get("exclude") or [])
            with srv.lock:
                items = [{"product_id": int(p), "score": float(s)} for p, s in srv.items.get(tenant_id, [])
                         if int(p) not in exclude][:k]
                source = srv.sources.get(tenant_id, "model")
            self._reply(200, {"items": items, "source": source, "model_version": "fake-v1" if items else None})
        elif (method, path) == ("GET", "/api/stats"):
            self._reply(200, {"tenant_id": tenant_id, "events_per_minute": [], "events_total": 0,
                              "models": {k: None for k in KINDS}, "anomalies_open": 0, "uptime_s": 1.0})
        elif (method, path) == ("GET", "/api/models"):
            self._reply(200, {"items": [{"kind": "recommender", "version": "fake-v1", "alias": "champion",
                                         "trained_at": "2025-01-01T00:00:00Z",
                                         "metrics": {"hr@10": 0.9, "ndcg@10": 0.4}, "rows": 100,
                                         "fallback": False}]})
        elif (method, path) == ("POST", "/api/models/train"):
            self._reply(202, {"job_id": uuid.uuid4().hex, "status": "queued"})
        elif method == "POST" and (m := re.fullmatch(r"/api/models/(\w+)/(activate|rollback)", path)):
            kind, action = m.groups()
            if kind not in KINDS:
                self._error(404, "not_found", "Unknown kind.")
                return
            with srv.lock:
                doc = srv.aliases.setdefault((tenant_id, kind), {"champion": None, "challenger": None, "history": []})
                if action == "activate":
                    if not body.get("version"):
                        self._error(400, "validation_failed", "version required.")
                        return
                    doc["history"].append(doc["champion"])
                    doc["champion"] = body["version"]
                elif doc["history"]:
                    doc["champion"] = doc["history"].pop()
                else:
                    self._error(409, "nothing_to_roll_back", "No previous champion.")
                    return
                self._reply(200, doc)
        elif (method, path) == ("POST", "/api/predict"):
            sessions = body.get("sessions") or []
            self._reply(200, {"predictions": [{"session_id": s.get("session_id"), "probability": 0.5}
                                              for s in sessions], "model_version": "fake-v1"})
        elif (method, path) == ("GET", "/api/segments"):
            self._reply(200, {"segments": [{"name": "champions", "size": 1, "recency_days_avg": 3.0,
                                            "frequency_avg": 9.0, "monetary_avg": 1200.0}],
                              "silhouette": 0.42, "model_version": "fake-seg-1", "as_of": "2025-01-01"})
        else:
            self._error(404, "not_found", "No such route.")

    def _control(self, method: str, path: str, body: Any) -> None:
        srv = self.server
        with srv.lock:
            if (method, path) == ("POST", "/_fake/items"):
                srv.items[int(body["tenant_id"])] = body["items"]
                srv.sources[int(body["tenant_id"])] = body.get("source", "model")
            elif (method, path) == ("POST", "/_fake/mode"):
                srv.mode = body["mode"]
                srv.delay_s = float(body.get("delay_s", 1.0))
            elif (method, path) == ("POST", "/_fake/reset"):
                srv.reset()
            elif (method, path) == ("GET", "/_fake/calls"):
                self._reply(200, srv.calls)
                return
            else:
                self._error(404, "not_found", "No such control.")
                return
        self._reply(200, {"ok": True})


def start(port: int = 0, *, host: str = "127.0.0.1", token: str = DEFAULT_TOKEN) -> tuple[FakeMlServer, str]:
    """Serve in a background thread; returns the server and its base URL (ML_SERVICE_URL)."""
    server = FakeMlServer((host, port), token)
    bound_host, bound_port = server.server_address[:2]
    server.base_url = f"http://{bound_host!s}:{bound_port}"
    threading.Thread(target=server.serve_forever, name="fake-ml", daemon=True).start()
    return server, server.base_url


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8010)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    args = parser.parse_args(argv)
    server = FakeMlServer((args.host, args.port), args.token)
    server.base_url = f"http://{args.host}:{args.port}"
    return serve_until_interrupted(server, f"fake ML service on {server.base_url}")


if __name__ == "__main__":
    raise SystemExit(main())
