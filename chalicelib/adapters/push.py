"""Push: the `PushSender` interface and its client for the Expo push API (the mobile app is Expo).

Expo's documented HTTP protocol (docs.expo.dev, "Sending notifications with Expo's push API"):

    POST {EXPO_PUSH_URL}/--/api/v2/push/send          JSON array of ≤ 100 messages
        [{"to": "ExponentPushToken[...]", "title", "body", "data": {...}, "sound": "default",
          "priority": "default"|"high", "channelId"?}]
        200 {"data": [ticket, ...]}   one ticket per message, in order:
            {"status": "ok", "id": "<receipt id>"}
            {"status": "error", "message", "details": {"error": "DeviceNotRegistered"|...}}
        A request-level failure is {"errors": [{"code", "message"}]} with a 4xx / 5xx status;
        429 (TOO_MANY_REQUESTS) and 5xx are retried with backoff.
    POST {EXPO_PUSH_URL}/--/api/v2/push/getReceipts   {"ids": [receipt id, ...]}  (≤ 1000 ids)
        200 {"data": {"<id>": {"status": "ok"} | {"status": "error", "message",
                               "details": {"error": "DeviceNotRegistered"|"MessageTooBig"|
                                           "MessageRateExceeded"|"InvalidCredentials"|...}}}}
        An id whose receipt is not ready yet is simply absent (receipts come within minutes,
        Expo keeps them for a day).

    With push security on, every call carries `Authorization: Bearer <EXPO_ACCESS_TOKEN>`.

What the errors mean for us: DeviceNotRegistered → the token is dead, delete it;
MessageRateExceeded → that device gets too much, back off; the rest are failures of one message.
infra/local/fakes/expo_push.py speaks this protocol for `make dev` and the tests.
Only the standard library does HTTP (urllib), as in adapters/carrier.py.
"""
from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

from chalicelib.platform.config import settings

from . import DeliveryError

SEND_PATH = "/--/api/v2/push/send"
RECEIPTS_PATH = "/--/api/v2/push/getReceipts"
MAX_MESSAGES = 100  # per send request (Expo's limit)
MAX_RECEIPT_IDS = 1000  # per getReceipts request
DEVICE_NOT_REGISTERED = "DeviceNotRegistered"
MESSAGE_RATE_EXCEEDED = "MessageRateExceeded"
TOKEN = re.compile(r"^(ExponentPushToken|ExpoPushToken)\[[A-Za-z0-9_\-]{10,200}\]$")


@dataclass(frozen=True)
class PushMessage:
    to: str
    title: str
    body: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Ticket:
    """Expo's answer for one message: ok with a receipt id, or an error code."""

    ok: bool
    id: str | None = None
    error: str | None = None  # details.error, e.g. DeviceNotRegistered


@dataclass(frozen=True)
class Receipt:
    ok: bool
    error: str | None = None


class PushSender(Protocol):
    def send(self, messages: list[PushMessage]) -> list[Ticket]:
        """One ticket per message, in order; DeliveryError when the request itself failed."""
        ...

    def receipts(self, ids: list[str]) -> dict[str, Receipt]:
        """The receipts ready among `ids` (absent ones are not ready yet)."""
        ...


def is_expo_token(token: str) -> bool:
    return bool(TOKEN.match(token))


@lru_cache(maxsize=1)
def _config() -> tuple[str, str | None, float]:
    """EXPO_PUSH_URL (the local fake in local/test stages), EXPO_ACCESS_TOKEN, the timeout.
    (They belong in platform/config.py; read here, like the carrier's, until they move.)"""
    env = os.environ.get
    local = settings().stage in {"local", "test"}
    base = env("EXPO_PUSH_URL") or ("http://127.0.0.1:8768" if local else "https://exp.host")
    return base.rstrip("/"), env("EXPO_ACCESS_TOKEN") or None, float(env("EXPO_TIMEOUT_SECONDS") or 10)


class ExpoPushClient:
    """`PushSender` over Expo's HTTP API."""

    def __init__(self, base_url: str | None = None, access_token: str | None = None) -> None:
        default_base, default_token, self.timeout = _config()
        self.base_url = (base_url or default_base).rstrip("/")
        self.access_token = access_token or default_token

    def send(self, messages: list[PushMessage]) -> list[Ticket]:
        tickets: list[Ticket] = []
        for start in range(0, len(messages), MAX_MESSAGES):
            chunk = messages[start:start + MAX_MESSAGES]
            body = [{"to": m.to, "title": m.title, "body": m.body, "data": m.data, "sound": "default"} for m in chunk]
            answer = self._post(SEND_PATH, body)
            data = answer.get("data")
            if not isinstance(data, list) or len(data) != len(chunk):
                raise DeliveryError("expo", "bad_response")
            tickets.extend(_ticket(t) for t in data)
        return tickets

    def receipts(self, ids: list[str]) -> dict[str, Receipt]:
        found: dict[str, Receipt] = {}
        for start in range(0, len(ids), MAX_RECEIPT_IDS):
            answer = self._post(RECEIPTS_PATH, {"ids": ids[start:start + MAX_RECEIPT_IDS]})
            data = answer.get("data")
            if not isinstance(data, dict):
                raise DeliveryError("expo", "bad_response")
            for receipt_id, receipt in data.items():
                if isinstance(receipt, dict):
                    found[str(receipt_id)] = Receipt(receipt.get("status") == "ok", _error(receipt))
        return found

    def _post(self, path: str, body: Any) -> dict[str, Any]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.access_token:
            headers["Authorization"] = f"Bearer {self.access_token}"
        request = urllib.request.Request(self.base_url + path, data=json.dumps(body).encode(), method="POST",
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - configured URL
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            # 429 / 5xx: DeliveryError's code tells the caller to back off and retry.
            code = "TOO_MANY_REQUESTS" if exc.code == 429 else f"http_{exc.code}"
            raise DeliveryError("expo", code) from exc
        except (OSError, ValueError) as exc:
            raise DeliveryError("expo", type(exc).__name__) from exc
        if not isinstance(answer, dict):
            raise DeliveryError("expo", "bad_response")
        return answer


def _error(entry: dict[str, Any]) -> str | None:
    if entry.get("status") == "ok":
        return None
    details = entry.get("details")
    code = details.get("error") if isinstance(details, dict) else None
    return str(code or "unknown_error")[:64]


def _ticket(entry: Any) -> Ticket:
    if not isinstance(entry, dict):
        return Ticket(False, error="bad_ticket")
    if entry.get("status") == "ok" and entry.get("id"):
        return Ticket(True, id=str(entry["id"]))
    return Ticket(False, error=_error(entry))


_sender: PushSender | None = None


def push_sender() -> PushSender:
    """The process-wide PushSender (created on first use)."""
    global _sender
    if _sender is None:
        _sender = ExpoPushClient()
    return _sender


def reset_push_sender() -> None:
    """Forget the cached sender and configuration (tests change EXPO_PUSH_URL)."""
    global _sender
    _sender = None
    _config.cache_clear()
