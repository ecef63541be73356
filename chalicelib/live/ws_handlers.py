"""The WebSocket API of the admin panel (API Gateway WebSocket API, Chalice's websocket handlers).

Staff connect with `wss://…/?key=<tenant API key>&token=<staff access token>` (browsers cannot
set headers on a WebSocket; the token lives 15 minutes and only opens the connection, which is
then bound to its tenant and user in the registry).  $connect refuses anyone else (401 / 403),
so API Gateway never opens the socket.  Messages: {"action": "snapshot"} → who is online now;
{"action": "ping"} → {"type": "pong"} (keeps the connection and its registry entry alive).
Pushes of appeared / left / screen come from the HTTP function and the sweep (push.py).

The logic takes API Gateway's event dicts; functions/live_ws.py hangs it on Chalice's websocket
decorators (on the app itself: a Blueprint's websocket handlers are not Lambda entry points), and
the tests and the local server (infra/local/ws_server.py) call those same entry points.
"""
from __future__ import annotations

import json
from typing import Any

from chalicelib.platform import auth, permissions, ratelimit, sessions, tenancy
from chalicelib.platform.errors import ApiError, Forbidden, TooManyRequests, Unauthorized
from chalicelib.platform.logging import get_logger

from . import connections, push, service
from .presence import now

log = get_logger("live.ws")

MAX_MESSAGE_BYTES = 4096
CONNECT_LIMIT = (30, 900)  # connects per source IP per 15 minutes, per tenant


def authenticate(key: str | None, token: str | None, client_ip: str) -> tuple[int, int]:
    """(tenant id, staff user id) or an ApiError: the HTTP pipeline's checks for an ADMIN route."""
    tenant = tenancy.resolve(key, client_ip)
    decision = ratelimit.check([ratelimit.Limit(f"{tenant.id}:ws-connect:ip{client_ip}", *CONNECT_LIMIT)])
    if not decision.allowed:
        raise TooManyRequests()
    if not token:
        raise Unauthorized("token_missing")
    principal = auth.decode_access_token(token)
    if principal.tenant_id != tenant.id:
        raise Unauthorized("tenant_mismatch")
    if not sessions.is_active(principal.tenant_id, principal.session_id):
        raise Unauthorized("session_revoked")
    if not (principal.is_staff and principal.has(permissions.USERS_READ)):
        raise Forbidden()
    security = tenant.settings.get("security") or {}
    if security.get("require_admin_2fa") and "otp" not in principal.amr:
        raise Forbidden("mfa_required")
    return tenant.id, principal.user_id


def on_connect(event: dict[str, Any]) -> dict[str, Any]:
    context = event.get("requestContext") or {}
    connection_id = str(context.get("connectionId"))
    params = event.get("queryStringParameters") or {}
    client_ip = (context.get("identity") or {}).get("sourceIp") or "unknown"
    try:
        tenant_id, user_id = authenticate(params.get("key"), params.get("token"), client_ip)
    except ApiError as exc:
        log.info("ws connect refused", extra={"code": exc.code, "client_ip": client_ip})
        return {"statusCode": exc.status}
    connections.add(connection_id, tenant_id, user_id)
    return {"statusCode": 200}


def on_message(event: dict[str, Any]) -> dict[str, Any]:
    connection_id = str((event.get("requestContext") or {}).get("connectionId"))
    connection = connections.get(connection_id)
    if connection is None:  # registry entry expired: the panel reconnects (and authenticates) again
        push.send_to(connection_id, {"type": "error", "code": "not_connected"})
        return {"statusCode": 403}
    connections.touch(connection)
    action = _action(event.get("body"))
    if action == "ping":
        push.send_to(connection_id, {"type": "pong"}, connection.tenant_id)
    elif action == "snapshot":
        push.send_to(connection_id, service.snapshot(connection.tenant_id, now()), connection.tenant_id)
    else:
        push.send_to(connection_id, {"type": "error", "code": "unknown_action",
                                     "actions": ["ping", "snapshot"]}, connection.tenant_id)
    return {"statusCode": 200}


def _action(body: Any) -> str | None:
    if not isinstance(body, str) or len(body.encode()) > MAX_MESSAGE_BYTES:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    action = data.get("action") if isinstance(data, dict) else None
    return action if isinstance(action, str) else None


def on_disconnect(event: dict[str, Any]) -> dict[str, Any]:
    connections.remove(str((event.get("requestContext") or {}).get("connectionId")))
    return {"statusCode": 200}

