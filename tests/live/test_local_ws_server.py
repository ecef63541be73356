"""The local WebSocket endpoint of `make dev` end to end: a real socket, the real handlers, the
HTTP app pushing through the configured sender (LocalSender → the server's management API)."""
from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from infra.local.ws_server import LocalWsServer
from tests.conftest import Api
from tests.live.kit import device, register_body, staff_token


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def ws_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalWsServer]:
    from chalicelib.live.senders import use_sender
    from chalicelib.platform.config import reset_settings

    port, api_port = _free_port(), _free_port()
    monkeypatch.delenv("WS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("WS_LOCAL_URL", f"http://127.0.0.1:{api_port}")
    monkeypatch.setenv("LIVE_PRESENCE_TTL_SECONDS", "1")
    reset_settings()
    use_sender(None)  # the configured one: LocalSender
    server = LocalWsServer(port=port, api_port=api_port, sweep_every=0.2).start()
    yield server
    server.stop()
    monkeypatch.undo()
    reset_settings()


def _next(ws: Any, kind: str, timeout: float) -> tuple[dict[str, Any], float]:
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if message["type"] == kind:
            return message, time.monotonic()


def test_staff_sees_a_user_appear_within_a_second_and_leave_after_the_ttl(ws_server, api: Api, tenant):
    _, token = staff_token(tenant)
    url = f"ws://127.0.0.1:{ws_server.port}/?{urlencode({'key': tenant.api_key, 'token': token})}"
    with connect(url, open_timeout=5) as ws:
        ws.send(json.dumps({"action": "snapshot"}))
        snapshot, _ = _next(ws, "snapshot", 2)
        assert snapshot["online"] == 0

        phone = device()
        started = time.monotonic()
        assert api.post("/api/live-users/register", register_body(phone, screen="Kamp")).status_code == 200
        appeared, seen = _next(ws, "appeared", 1.0)
        assert seen - started < 1.0
        assert appeared["device_id"] == phone and appeared["user"]["screen"] == "Kamp"

        left, gone = _next(ws, "left", 5.0)  # TTL 1 s, swept every 0.2 s here (every minute deployed)
        assert left["device_id"] == phone and left["reason"] == "expired" and left["online"] == 0
        assert gone - started >= 1.0


def test_the_local_endpoint_refuses_an_unauthenticated_connect(ws_server, tenant):
    for query in ("", f"?key={tenant.api_key}", f"?key={tenant.api_key}&token=forged"):
        with pytest.raises(InvalidStatus) as refused:
            connect(f"ws://127.0.0.1:{ws_server.port}/{query}", open_timeout=5)
        assert refused.value.response.status_code == 401
    assert ws_server.sockets == {}


def test_the_production_sender_speaks_the_same_protocol(ws_server, tenant, monkeypatch):
    """ApiGatewaySender (boto3 apigatewaymanagementapi.post_to_connection) against the local
    management API: the request the local server answers is the one API Gateway gets."""
    from chalicelib.live.senders import ApiGatewaySender

    _, token = staff_token(tenant)
    url = f"ws://127.0.0.1:{ws_server.port}/?{urlencode({'key': tenant.api_key, 'token': token})}"
    with connect(url, open_timeout=5) as ws:
        deadline = time.monotonic() + 2
        while not ws_server.sockets and time.monotonic() < deadline:
            time.sleep(0.01)
        [connection_id] = list(ws_server.sockets)
        sender = ApiGatewaySender(f"http://127.0.0.1:{ws_server.api_port}")
        assert sender.send(connection_id, b'{"type":"hello"}') is True
        assert json.loads(ws.recv(timeout=2)) == {"type": "hello"}
        assert sender.send("Z29uZS1jb25uZWN0aW9u", b"{}") is False  # 410 → GoneException
