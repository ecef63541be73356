"""HTTP building blocks: JSON and error responses, security headers, CORS, gzip.

Kept free of routing and middleware so both (and the tests) use the same functions.
"""
from __future__ import annotations

import base64
import gzip
from typing import Any

from chalice import Response
from pydantic import BaseModel, ValidationError

from . import cache
from .context import RequestContext
from .errors import ApiError, error_body, validation_details
from .i18n import message
from .logging import get_logger

JSON = "application/json"
ALLOWED_REQUEST_HEADERS = (
    "Authorization, Content-Type, X-API-Key, Idempotency-Key, Accept-Language, X-Device-Id"
)
EXPOSED_HEADERS = "X-Request-Id, Retry-After, X-RateLimit-Limit"

# What helmet() sets by default, tightened for a JSON API that never serves HTML.
SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Origin-Agent-Cluster": "?1",
    "X-DNS-Prefetch-Control": "off",
    "X-Download-Options": "noopen",
    "X-Permitted-Cross-Domain-Policies": "none",
    "X-XSS-Protection": "0",
    "Cache-Control": "no-store",
}

log = get_logger("http")


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    if isinstance(payload, BaseModel):
        body = payload.model_dump_json(by_alias=True)
    else:
        body = cache.dumps(payload)
    return Response(body=body, status_code=status, headers={"Content-Type": JSON, **(headers or {})})


def error_response(exc: BaseException, ctx: RequestContext) -> Response:
    """Render any exception in the one error shape, in the caller's language."""
    if isinstance(exc, ValidationError):
        exc = ApiError("validation_failed", status=400, details=validation_details(exc, ctx.lang))
    if isinstance(exc, ApiError):
        body = error_body(exc.code, message(exc.code, ctx.lang, **exc.params), exc.details)
        return json_response(body, exc.status, exc.headers)
    log.error("unhandled error", exc_info=exc)
    return json_response(error_body("internal_error", message("internal_error", ctx.lang)), 500)


def add_security_headers(response: Response, ctx: RequestContext) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers["X-Request-Id"] = ctx.request_id


def add_cors_headers(response: Response, ctx: RequestContext) -> None:
    """Echo the Origin only when the resolved tenant allows it (never a wildcard)."""
    if ctx.origin and ctx.tenant and ctx.origin in ctx.tenant.cors_origins:
        response.headers["Access-Control-Allow-Origin"] = ctx.origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    if ctx.origin:
        response.headers["Vary"] = "Origin, Accept-Encoding, Accept-Language"


def preflight_response(origin: str | None, allowed: bool, methods: list[str]) -> Response:
    headers: dict[str, str | list[str]] = {"Vary": "Origin"}
    if origin and allowed:
        headers.update(
            {
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": ", ".join(sorted(set(methods) | {"OPTIONS"})),
                "Access-Control-Allow-Headers": ALLOWED_REQUEST_HEADERS,
                "Access-Control-Max-Age": "600",
            }
        )
    return Response(body="", status_code=204, headers=headers)


def gzip_if_worthwhile(event: dict[str, Any], response: dict[str, Any], min_bytes: int) -> dict[str, Any]:
    """Compress a Lambda proxy response dict when the client accepts gzip and it is big.

    Runs after Chalice serialised the response (see app_factory.HugluApp), so every route
    gets it without knowing.  API Gateway passes base64 bodies through as binary because
    the template declares binary media types.
    """
    if response.get("isBase64Encoded") or response.get("statusCode", 200) in (204, 304):
        return response
    body = response.get("body")
    if not isinstance(body, str) or len(body) < min_bytes:
        return response
    headers = response.setdefault("headers", {})
    lowered = {k.lower(): k for k in headers}
    if "content-encoding" in lowered:
        return response
    content_type = headers.get(lowered.get("content-type", ""), JSON)
    if not content_type.startswith(("application/json", "text/")):
        return response
    request_headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    if "gzip" not in request_headers.get("accept-encoding", "").lower():
        return response
    compressed = gzip.compress(body.encode("utf-8"), compresslevel=5)
    response["body"] = base64.b64encode(compressed).decode("ascii")
    response["isBase64Encoded"] = True
    headers["Content-Encoding"] = "gzip"
    if "vary" in lowered:
        vary = headers[lowered["vary"]]
        if "accept-encoding" not in vary.lower():
            headers[lowered["vary"]] = vary + ", Accept-Encoding"
    else:
        headers["Vary"] = "Accept-Encoding"
    return response
