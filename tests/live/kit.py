"""Helpers of the live-users tests: a recording sender, API Gateway WebSocket events, staff and
customers signed in."""
from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.conftest import Api, TenantInfo, make_user
from tests.orders_kit import sign_in


@dataclass
class RecordingSender:
    """The live area's Sender interface, recording instead of delivering; `gone` ids answer 410."""

    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, connection_id: str, data: bytes) -> bool:
        if connection_id in self.gone:
            return False
        with self.lock:
            self.sent.append((connection_id, json.loads(data)))
        return True

    def to(self, connection_id: str) -> list[dict[str, Any]]:
        return [m for c, m in self.sent if c == connection_id]

    def clear(self) -> None:
        self.sent.clear()


def ws_event(route: str, connection_id: str, *, query: dict[str, str] | None = None, body: str | None = None,
             ip: str = "198.51.100.7") -> dict[str, Any]:
    """An API Gateway WebSocket event as Lambda receives it ($connect carries the query string)."""
    event_type = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route, "MESSAGE")
    event: dict[str, Any] = {
        "requestContext": {
            "routeKey": route, "eventType": event_type, "connectionId": connection_id,
            "domainName": "abc123.execute-api.eu-central-1.amazonaws.com", "stage": "v1", "apiId": "abc123",
            "requestId": uuid.uuid4().hex, "identity": {"sourceIp": ip},
            "connectedAt": 1765043100000, "requestTimeEpoch": 1765043100000,
        },
        "isBase64Encoded": False,
    }
    if query is not None:
        event["queryStringParameters"] = query
    if body is not None:
        event["body"] = body
    return event


def new_connection_id() -> str:
    return uuid.uuid4().hex[:14] + "="


def staff_token(tenant: TenantInfo, roles: list[str] | None = None) -> tuple[int, str]:
    user_id, _, _ = make_user(tenant, roles=roles or ["support"])
    return user_id, sign_in(tenant.id, user_id)


def staff_api(client: Any, tenant: TenantInfo, roles: list[str] | None = None) -> Api:
    api = Api(client, tenant.api_key)
    api.token = staff_token(tenant, roles)[1]
    return api


def device() -> str:
    return f"dev-{uuid.uuid4().hex[:16]}"


def register_body(device_id: str, **extra: Any) -> dict[str, Any]:
    return {"device_id": device_id, "platform": "android", "app_version": "2.4.1", **extra}
