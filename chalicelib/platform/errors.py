"""The one error shape: {"error": {"code", "message", "details"}}.

Services raise `ApiError` subclasses (or area errors derived from them) with a code from the
i18n catalogue; the HTTP layer renders them in the caller's language.  Anything else becomes a
500 with a generic message: never a stack trace or SQL text.
"""
from __future__ import annotations

from typing import Any


class ApiError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self,
        code: str | None = None,
        *,
        details: Any = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, object] | None = None,
    ) -> None:
        self.code = code or self.code
        self.status = status or self.status
        self.details = details
        self.headers = headers or {}
        self.params = params or {}
        super().__init__(self.code)


class BadRequest(ApiError):
    status, code = 400, "validation_failed"


class Unauthorized(ApiError):
    status, code = 401, "token_invalid"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"


class Conflict(ApiError):
    status, code = 409, "conflict"


class TooManyRequests(ApiError):
    status, code = 429, "rate_limited"


class ServiceUnavailable(ApiError):
    status, code = 503, "service_unavailable"


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def validation_details(exc: Any, lang: str) -> dict[str, Any]:
    """Turn a pydantic ValidationError into {"fields": [{field, message, type}]}."""
    from .i18n import field_message

    fields = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = [str(p) for p in err.get("loc", ()) if p != "__root__"]
        fields.append(
            {
                "field": ".".join(loc) or None,
                "message": field_message(err["type"], err["msg"], lang),
                "type": err["type"],
            }
        )
    return {"fields": fields}
