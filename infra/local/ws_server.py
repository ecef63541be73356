"""The local WebSocket endpoint of `make dev`: API Gateway's WebSocket API, played on one machine.

    python -m infra.local.ws_server [--port 8001] [--api-port 8002] [--sweep-every 5]

- ws://127.0.0.1:8001/?key=<API key>&token=<staff token>: each connection, message and close
  becomes the API Gateway event the deployed Lambda gets ($connect / $default / $disconnect) and
  is handed to the very entry points of functions/live_ws.py.  A $connect answered with a status
  other than 200 refuses the handshake with that status, as API Gateway does.
- http://127.0.0.1:8002/@connections/{id}: the part of API Gateway's management API the app uses
  (POST = post_to_connection, 410 when the connection is gone; DELETE = delete_connection).  The
  live area's LocalSender (WS_ENDPOINT_URL unset, WS_LOCAL_URL = this) posts there, from
  `chalice local`, the worker and this process alike.
- Every `--sweep-every` seconds it fires the live_sweep scheduled handler (deployed: every
  minute), so an expired presence leaves the panel within seconds in development.

Tests start it in a thread (`LocalWsServer(...).start()`) on free ports.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import http
import os
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from chalicelib.platform.logging import get_logger

log = get_logger("ws_server")
MAX_MESSAGE_BYTES = 32 * 1024  # API Gateway's frame limit is 32 KB


def _connection_id() -> str:
    # API Gateway's ids look like "L0SM9cOFvHcCIhw=": 10 random bytes, base64.
    return base64.b64encode(secrets.token_bytes(10)).decode()


class LocalWsServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 8001, api_port: int = 8002,
                 sweep_every: float | None = 5.0) -> None:
        self.host, self.port, self.api_port, self.sweep_every = host, port, api_port, sweep_every
        self.sockets: dict[str, ServerConnection] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self._server: Server | None = None
        self._http: ThreadingHTTPServer | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    # -- API Gateway events --------------------------------------------------------------------
    def _event(self, route: str, connection_id: str, *, request: Request | None = None,
               body: str | None = None, ip: str = "127.0.0.1") -> dict[str, Any]:
        kind = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route, "MESSAGE")
        now_ms = int(time.time() * 1000)
        event: dict[str, Any] = {
            "requestContext": {
                "routeKey": route, "eventType": kind, "connectionId": connection_id,
                "domainName": f"{self.host}:{self.port}", "stage": "local", "apiId": "local",
                "requestId": secrets.token_hex(8), "identity": {"sourceIp": ip},
                "connectedAt": now_ms, "requestTimeEpoch": now_ms,
            },
            "isBase64Encoded": False,
        }
        if request is not None:
            query = dict(parse_qsl(urlsplit(request.path).query, keep_blank_values=True))
            event["queryStringParameters"] = query or None
            event["headers"] = {k: v for k, v in request.headers.raw_items()}
        if body is not None:
            event["body"] = body
        return event

    @staticmethod
    def _entry(name: str) -> Any:
        from functions import live_ws

        return getattr(live_ws, name)

    async def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        connection_id = _connection_id()
        ip = str(connection.remote_address[0]) if connection.remote_address else "127.0.0.1"
        event = self._event("$connect", connection_id, request=request, ip=ip)
        answer = await asyncio.to_thread(self._entry("ws_connect"), event, None)
        status = int(answer.get("statusCode", 200))
        if status != 200:
            phrase = http.HTTPStatus(status).phrase if status in http.HTTPStatus._value2member_map_ else "Refused"
            return Response(status, phrase, Headers([("Content-Length", "0")]), b"")
        connection.connection_id = connection_id  # type: ignore[attr-defined]
        connection.client_ip = ip  # type: ignore[attr-defined]
        return None

    async def _serve(self, connection: ServerConnection) -> None:
        connection_id: str = connection.connection_id  # type: ignore[attr-defined]
        self.sockets[connection_id] = connection
        try:
            async for message in connection:
                text = message if isinstance(message, str) else message.decode("utf-8", "replace")
                event = self._event("$default", connection_id, body=text, ip=connection.client_ip)  # type: ignore[attr-defined]
                await asyncio.to_thread(self._entry("ws_message"), event, None)
        except ConnectionClosed:
            pass  # closed without a close frame, or with an error code: a disconnect all the same
        except Exception:  # noqa: BLE001 - a broken client must not stop the server
            log.exception("ws connection failed")
        finally:
            self.sockets.pop(connection_id, None)
            await asyncio.to_thread(self._entry("ws_disconnect"), self._event("$disconnect", connection_id), None)

    # -- the management API (post_to_connection) -----------------------------------------------
    def deliver(self, connection_id: str, data: bytes) -> bool:
        connection = self.sockets.get(connection_id)
        if connection is None or self.loop is None:
            return False
        text = data.decode("utf-8", "replace")
        future = asyncio.run_coroutine_threadsafe(connection.send(text), self.loop)
        try:
            future.result(timeout=3)
        except Exception:  # noqa: BLE001 - closed meanwhile: gone
            return False
        return True

    def drop(self, connection_id: str) -> bool:
        connection = self.sockets.get(connection_id)
        if connection is None or self.loop is None:
            return False
        asyncio.run_coroutine_threadsafe(connection.close(), self.loop).result(timeout=3)
        return True

    def _management_handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _target(self) -> str | None:
                prefix = "/@connections/"
                path = urlsplit(self.path).path
                return unquote(path[len(prefix):]) if path.startswith(prefix) else None

            def _answer(self, status: int) -> None:
                # A gone connection is answered as API Gateway does (410, restJson error type), so
                # boto3's client raises its GoneException against this server too.
                body = b'{"message":null}' if status == 410 else b""
                self.send_response(status)
                if status == 410:
                    self.send_header("x-amzn-ErrorType", "GoneException")
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                connection_id = self._target()
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length) if length <= MAX_MESSAGE_BYTES * 4 else b""
                if connection_id is None:
                    return self._answer(404)
                self._answer(200 if server.deliver(connection_id, data) else 410)

            def do_DELETE(self) -> None:  # noqa: N802
                connection_id = self._target()
                self._answer(404 if connection_id is None else (204 if server.drop(connection_id) else 410))

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
                return

        return Handler

    # -- running ---------------------------------------------------------------------------------
    async def _sweep_loop(self) -> None:
        assert self.sweep_every
        from functions.live_sweep import handler
        from infra.local.worker import scheduled_event

        while True:
            await asyncio.sleep(self.sweep_every)
            try:
                await asyncio.to_thread(handler, scheduled_event("live_sweep"), None)
            except Exception:  # noqa: BLE001 - Redis down: try again next time
                log.exception("live sweep failed")

    async def _main(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._http = ThreadingHTTPServer((self.host, self.api_port), self._management_handler())
        self._http.daemon_threads = True
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        sweeper = asyncio.create_task(self._sweep_loop()) if self.sweep_every else None
        async with serve(self._serve, self.host, self.port, process_request=self._process_request,
                         max_size=MAX_MESSAGE_BYTES) as server:
            self._server = server
            self._ready.set()
            await self._stop.wait()
        if sweeper:
            sweeper.cancel()
        self._http.shutdown()
        self._http.server_close()

    def run(self) -> None:
        asyncio.run(self._main())

    def start(self) -> LocalWsServer:
        self._thread = threading.Thread(target=self.run, daemon=True, name="local-ws-server")
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("local ws server did not start")
        return self

    def stop(self) -> None:
        if self.loop is not None and self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("WS_PORT", "8001")))
    parser.add_argument("--api-port", type=int, default=int(os.environ.get("WS_API_PORT", "8002")))
    parser.add_argument("--sweep-every", type=float, default=5.0)
    args = parser.parse_args()
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-central-1")  # Chalice's websocket handler wants one
    print(f"ws_server: ws://{args.host}:{args.port}/?key=…&token=…  management API http://{args.host}:{args.api_port}",
          flush=True)
    try:
        LocalWsServer(args.host, args.port, args.api_port, args.sweep_every).run()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
