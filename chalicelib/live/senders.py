"""Where pushes to WebSocket connections go: one small interface, picked by configuration.

    send(connection_id, data) -> bool      # False: the connection is gone (API Gateway's 410)

- `ApiGatewaySender`: production.  `post_to_connection` of API Gateway's management API through
  boto3's `apigatewaymanagementapi`, at WS_ENDPOINT_URL (the WebSocket API's stage URL).  This is
  what Chalice's `app.websocket_api.send` does; ours also serves the HTTP function (register
  pushes to staff), which has no WebSocket event to learn the endpoint from.
- `LocalSender`: `make dev` and the tests, when WS_ENDPOINT_URL is unset.  The same request
  (`POST {base}/@connections/{id}`, body = the data, 410 when gone) to the local WebSocket server
  (infra/local/ws_server.py), which speaks that part of the management API's protocol.

Tests install a recording fake with `use_sender()`.
"""
from __future__ import annotations

import threading
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Protocol

from chalicelib.platform.config import settings


class Sender(Protocol):
    def send(self, connection_id: str, data: bytes) -> bool:
        """Deliver `data` to one connection; False when it no longer exists."""
        ...


class SendFailed(RuntimeError):
    """The endpoint failed for another reason than a gone connection (throttled, down)."""


class ApiGatewaySender:
    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url
        self._client: Any = None
        self._lock = threading.Lock()

    def _get_client(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    import boto3  # lazy: only the pushing code paths pay for it
                    from botocore.config import Config

                    self._client = boto3.session.Session().client(
                        "apigatewaymanagementapi", endpoint_url=self.endpoint_url,
                        region_name=settings().aws_region,
                        config=Config(connect_timeout=2, read_timeout=3, retries={"max_attempts": 2}))
        return self._client

    def send(self, connection_id: str, data: bytes) -> bool:
        client = self._get_client()
        try:
            client.post_to_connection(ConnectionId=connection_id, Data=data)
        except client.exceptions.GoneException:
            return False
        except Exception as exc:  # botocore's ClientError / connection errors, translated here
            raise SendFailed(str(exc)) from exc
        return True


class LocalSender:
    def __init__(self, base_url: str, timeout: float = 2.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def send(self, connection_id: str, data: bytes) -> bool:
        url = f"{self.base_url}/@connections/{urllib.parse.quote(connection_id, safe='')}"
        request = urllib.request.Request(url, data=data, method="POST",
                                         headers={"Content-Type": "application/octet-stream"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout):  # noqa: S310 - configured URL
                return True
        except urllib.error.HTTPError as exc:
            if exc.code == 410:
                return False
            raise SendFailed(f"local ws server answered {exc.code}") from exc
        except OSError as exc:  # the dev server is not running
            raise SendFailed(str(exc)) from exc


_override: Sender | None = None
_cached: tuple[tuple[str | None, str], Sender] | None = None


def get_sender() -> Sender:
    global _cached
    if _override is not None:
        return _override
    cfg = settings()
    key = (cfg.ws_endpoint_url, cfg.ws_local_url)
    if _cached is None or _cached[0] != key:
        sender: Sender = ApiGatewaySender(cfg.ws_endpoint_url) if cfg.ws_endpoint_url else LocalSender(cfg.ws_local_url)
        _cached = (key, sender)
    return _cached[1]


def use_sender(sender: Sender | None) -> None:
    """Replace the configured sender (tests' recording fake); None restores configuration."""
    global _override
    _override = sender
