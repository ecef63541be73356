"""Per-request context (request id, tenant, principal, language, client) in a ContextVar.

Set by the middleware; read by routes, the logger and the audit log.  A ContextVar keeps
threaded servers and tests correct while costing nothing in a single-threaded Lambda.
"""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Tenant:
    id: int
    slug: str
    name: str
    status: str
    default_language: str
    currency: str
    settings: dict[str, Any]
    cors_origins: tuple[str, ...]
    api_key_id: int
    domain: str | None = None


@dataclass(frozen=True)
class Principal:
    user_id: int
    tenant_id: int
    roles: tuple[str, ...]
    permissions: frozenset[str]
    is_staff: bool
    session_id: str | None = None
    # How the session was authenticated (RFC 8176 values): "pwd", "otp", "hwk" (device key).
    amr: tuple[str, ...] = ()

    def has(self, permission: str) -> bool:
        return "*" in self.permissions or permission in self.permissions


@dataclass
class RequestContext:
    request_id: str
    method: str = ""
    route: str = ""
    lang: str = "tr"
    client_ip: str = ""
    device_id: str | None = None
    origin: str | None = None
    tenant: Tenant | None = None
    principal: Principal | None = None
    request: Any = None  # the chalice Request being served
    extra: dict[str, Any] = field(default_factory=dict)


_current: ContextVar[RequestContext | None] = ContextVar("request_context", default=None)


def current() -> RequestContext:
    ctx = _current.get()
    if ctx is None:  # outside a request (jobs, scripts): a throwaway context
        ctx = RequestContext(request_id="-")
        _current.set(ctx)
    return ctx


def set_current(ctx: RequestContext | None) -> Any:
    return _current.set(ctx)


def reset(token: Any) -> None:
    _current.reset(token)
