"""The request pipeline, in the seed's order (diagrams 4, 8, 21):

    tenant (X-API-Key) → JWT → rate limit → [route] → CORS → security headers → (gzip, in app_factory)

One Chalice 'http' middleware does it all so the order is visible in one function.  Routes
describe themselves (routing.RouteSpec); this reads the description to decide who may call.
Every response, success or failure, leaves with the request id, security headers and a log
line; every failure leaves in the one error shape.
"""
from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from chalice import Response
from chalice.app import Request

from . import auth, ratelimit, sessions, tenancy
from .config import settings
from .context import RequestContext, reset, set_current
from .errors import ApiError, Forbidden, TooManyRequests, Unauthorized
from .http import add_cors_headers, add_security_headers, error_response, preflight_response
from .i18n import negotiate
from .logging import get_logger
from .routing import ADMIN, OPEN, PATH_METHODS, PUBLIC, REGISTRY, RouteSpec

log = get_logger("request")

_DEVICE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")

# Chalice renders its own routing failures as {"Code", "Message"}; map them to ours.
_CHALICE_ERRORS = {
    404: "route_not_found",
    405: "method_not_allowed",
    415: "unsupported_media_type",
    400: "invalid_json",
}


def pipeline(request: Request, get_response: Callable[[Request], Response]) -> Response:
    started = time.perf_counter()
    ctx = _new_context(request)
    token = set_current(ctx)
    try:
        try:
            response = _handle(request, ctx, get_response)
        except ApiError as exc:
            response = error_response(exc, ctx)
        except Exception as exc:  # noqa: BLE001 - last line of defence: a 500 in our shape
            response = error_response(exc, ctx)
        add_cors_headers(response, ctx)
        add_security_headers(response, ctx)
        log.info(
            "request",
            extra={
                "method": ctx.method,
                "route": ctx.route,
                "path": request.path if hasattr(request, "path") else None,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "client_ip": ctx.client_ip,
            },
        )
        return response
    finally:
        reset(token)


def _new_context(request: Request) -> RequestContext:
    rc: dict[str, Any] = request.context or {}
    headers = request.headers
    request_id = rc.get("requestId") or uuid.uuid4().hex
    device = headers.get("x-device-id")
    return RequestContext(
        request_id=str(request_id),
        method=request.method,
        route=rc.get("resourcePath", ""),
        lang=negotiate(headers.get("accept-language"), settings().default_language),
        # API Gateway sets sourceIp from the TCP peer; X-Forwarded-For is client-controlled.
        client_ip=(rc.get("identity") or {}).get("sourceIp") or "unknown",
        device_id=device if device and _DEVICE_ID.match(device) else None,
        origin=headers.get("origin"),
        request=request,
    )


def _handle(request: Request, ctx: RequestContext, get_response: Callable[[Request], Response]) -> Response:
    if ctx.method == "OPTIONS":
        methods = sorted(PATH_METHODS.get(ctx.route, set()))
        allowed = bool(ctx.origin) and tenancy.origin_known(ctx.origin or "")
        return preflight_response(ctx.origin, allowed, methods)

    spec = REGISTRY.get((ctx.method, ctx.route))
    if spec is None:  # not one of ours (unknown method / path): let Chalice answer, reshaped
        return _reshape_chalice_error(get_response(request))

    # 0. open routes (health) answer load balancers and uptime checks, which carry no key.
    if spec.auth == OPEN and not request.headers.get("x-api-key"):
        _rate_limit_anonymous(ctx)
        return _reshape_chalice_error(get_response(request))

    # 1. tenant from the API key: every route, public ones included.
    ctx.tenant = tenancy.resolve(request.headers.get("x-api-key"), ctx.client_ip)
    ctx.lang = negotiate(request.headers.get("accept-language"), ctx.tenant.default_language)

    # 2. JWT: required for user/admin routes, honoured on public ones when sent.
    _authenticate(request, ctx, spec)

    # 3. rate limit, per client, after we know who the client is.
    _rate_limit(ctx, spec)

    return _reshape_chalice_error(get_response(request))


def _authenticate(request: Request, ctx: RequestContext, spec: RouteSpec) -> None:
    anonymous_ok = spec.auth in (OPEN, PUBLIC)
    try:
        token = auth.bearer_token(request.headers.get("authorization"))
    except Unauthorized:
        if anonymous_ok:
            return
        raise
    if token is None:
        if not anonymous_ok:
            raise Unauthorized("token_missing")
        return
    try:
        principal = auth.decode_access_token(token)
    except Unauthorized:
        if anonymous_ok:
            return  # an expired token must not break anonymous catalogue browsing
        raise
    assert ctx.tenant is not None
    if principal.tenant_id != ctx.tenant.id:
        raise Unauthorized("tenant_mismatch")
    if not anonymous_ok and not sessions.is_active(principal.tenant_id, principal.session_id):
        raise Unauthorized("session_revoked")  # signed out, password reset, or theft detected
    ctx.principal = principal
    if spec.auth == ADMIN:
        if not (principal.is_staff and principal.has(spec.permission or "")):
            raise Forbidden()
        security = (ctx.tenant.settings.get("security") or {}) if ctx.tenant else {}
        if security.get("require_admin_2fa") and "otp" not in principal.amr:
            raise Forbidden("mfa_required")  # sign in again with the second factor


def _limit_for(ctx: RequestContext, spec: RouteSpec) -> tuple[str, int, int]:
    """(bucket, limit, window): tenant route override → route default → tenant default → global."""
    assert ctx.tenant is not None
    cfg = settings()
    rl = ctx.tenant.settings.get("rate_limit") or {}
    route_key = f"{spec.method} {spec.path}"
    override = (rl.get("routes") or {}).get(route_key)
    if override:
        return route_key, int(override["limit"]), int(override.get("window", cfg.rate_limit_window_seconds))
    if spec.rate_limit:
        return route_key, spec.rate_limit[0], spec.rate_limit[1]
    default = rl.get("default") or {}
    return (
        "all",
        int(default.get("limit", cfg.rate_limit_default)),
        int(default.get("window", cfg.rate_limit_window_seconds)),
    )


def _rate_limit(ctx: RequestContext, spec: RouteSpec) -> None:
    assert ctx.tenant is not None
    bucket, limit, window = _limit_for(ctx, spec)
    if limit <= 0:
        return  # a tenant may switch limiting off for a route (e.g. its own back office)
    prefix = f"{ctx.tenant.id}:{bucket}"
    limits: list[ratelimit.Limit]
    if ctx.principal is not None:
        limits = [ratelimit.Limit(f"{prefix}:u{ctx.principal.user_id}", limit, window)]
    elif ctx.device_id is not None:
        # Customers behind one carrier NAT share an IP but not a device id.  The device id is
        # client-chosen, so the IP still gets a (much higher) ceiling against id rotation.  That
        # ceiling counts device clients only ("ipd"): device-less clients on the same IP keep
        # their own budget ("ip"), so neither kind can use up the other's.
        multiplier = settings().rate_limit_ip_multiplier
        limits = [
            ratelimit.Limit(f"{prefix}:d{ctx.device_id}", limit, window),
            ratelimit.Limit(f"{prefix}:ipd{ctx.client_ip}", limit * multiplier, window),
        ]
    else:
        limits = [ratelimit.Limit(f"{prefix}:ip{ctx.client_ip}", limit, window)]
    decision = ratelimit.check(limits)
    if not decision.allowed:
        raise TooManyRequests(
            headers={"Retry-After": str(decision.retry_after), "X-RateLimit-Limit": str(limit)},
            params={"retry_after": decision.retry_after},
            details={"retry_after": decision.retry_after, "limit": limit, "window_seconds": window},
        )


def _rate_limit_anonymous(ctx: RequestContext) -> None:
    """Key-less calls of open routes: one budget per source IP, as generous as the IP ceiling of
    device clients (a load balancer probes every few seconds from a handful of addresses)."""
    cfg = settings()
    limit = cfg.rate_limit_default * cfg.rate_limit_ip_multiplier
    decision = ratelimit.check([ratelimit.Limit(f"open:ip{ctx.client_ip}", limit, cfg.rate_limit_window_seconds)])
    if not decision.allowed:
        raise TooManyRequests(headers={"Retry-After": str(decision.retry_after)},
                              params={"retry_after": decision.retry_after},
                              details={"retry_after": decision.retry_after})


def _reshape_chalice_error(response: Response) -> Response:
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and "Code" in body:
        code = _CHALICE_ERRORS.get(response.status_code, "internal_error")
        from .context import current

        exc = ApiError(code, status=response.status_code, headers={
            k: str(v) for k, v in response.headers.items() if k.lower() == "allow"})
        return error_response(exc, current())
    return response
