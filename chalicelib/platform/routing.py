"""Declarative routes: one decorator registers the Chalice route and describes it.

    router = Router(tag="catalog")

    @router.get("/api/products/{product_id}", auth=PUBLIC, response=ProductOut)
    def product_detail(call: Call) -> ProductOut: ...

The description (auth level, permission, body / query / response models, rate limit) feeds
the middleware (who may call it, which limit applies) and the OpenAPI document, so neither
can drift from the code.  The wrapper parses JSON (Decimals stay Decimals), validates with
pydantic, turns `*_id` path parameters into ints (404 otherwise) and renders the result.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from chalice import Blueprint, Response
from pydantic import BaseModel, ValidationError

from .context import Principal, RequestContext, Tenant, current
from .errors import ApiError, NotFound
from .http import error_response, json_response

# OPEN: no API key needed (health checks from load balancers); PUBLIC: tenant key, no sign-in;
# USER: signed in; ADMIN: staff token holding the route's permission.
OPEN, PUBLIC, USER, ADMIN = "open", "public", "user", "admin"
# What a browser's form post is (a bank's or a payment page's return): content_type=FORM.
FORM = "application/x-www-form-urlencoded"

# The deepest JSON body any route accepts; free-form fields set tighter limits (fields.JsonObject).
MAX_JSON_DEPTH = 32


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str
    name: str
    tag: str
    summary: str
    description: str
    auth: str
    permission: str | None
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    rate_limit: tuple[int, int] | None
    errors: tuple[int, ...]
    idempotent: bool | str  # False, True (Idempotency-Key optional) or "required"
    content_type: str = "application/json"
    # A route answering in more than one media type (format=csv|xlsx) or with a second success
    # status (201 created / 200 already done, same body) declares them, so the document says so.
    also_content_types: tuple[str, ...] = ()
    also_statuses: tuple[int, ...] = ()
    # A route with no response model answering a page (an HTML result page for a browser sent
    # back from a bank): (status, media type, description), documented with a string body.
    pages: tuple[tuple[int, str, str], ...] = ()

    @property
    def key_required(self) -> bool:
        return self.idempotent == "required"


# (METHOD, path) → spec, filled at import time by every Router.
REGISTRY: dict[tuple[str, str], RouteSpec] = {}
# path → methods, for preflight answers.
PATH_METHODS: dict[str, set[str]] = {}


@dataclass
class Call:
    """What a view receives: validated input plus the request context."""

    ctx: RequestContext
    request: Any
    path: dict[str, Any]
    body: Any = None
    query: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def tenant(self) -> Tenant:
        assert self.ctx.tenant is not None  # the middleware resolved it or refused the call
        return self.ctx.tenant

    @property
    def principal(self) -> Principal:
        assert self.ctx.principal is not None  # USER / ADMIN routes only
        return self.ctx.principal

    def header(self, name: str) -> str | None:
        return self.request.headers.get(name.lower())


def _parse_body(spec: RouteSpec, request: Any) -> Any:
    raw = request.raw_body
    if not raw:
        raw = b"{}" if spec.body is not None else b""
    try:
        data = json.loads(raw, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError("invalid_json", status=400, details={"position": getattr(exc, "pos", None)}) from exc
    except RecursionError as exc:  # 100,000 nested '[' exhaust the parser's stack
        raise _too_deep() from exc
    _check_json(data)
    assert spec.body is not None
    return spec.body.model_validate(data)


def _check_json(data: Any) -> None:
    """Refuse what no field of ours can hold, before any model sees it: nesting deeper than
    MAX_JSON_DEPTH, and strings with U+0000 or an unpaired surrogate ("\\ud800" is valid JSON
    but not UTF-8: MySQL, Redis and every log line would choke on it)."""
    stack: list[tuple[Any, int, str]] = [(data, 0, "")]
    while stack:
        value, depth, where = stack.pop()
        if isinstance(value, dict | list) and depth >= MAX_JSON_DEPTH:
            raise _too_deep()
        if isinstance(value, dict):
            for key, item in value.items():
                _check_string(key, where)
                stack.append((item, depth + 1, f"{where}.{key}" if where else key))
        elif isinstance(value, list):
            stack.extend((item, depth + 1, f"{where}.{i}" if where else str(i)) for i, item in enumerate(value))
        elif isinstance(value, str):
            _check_string(value, where)


def _too_deep() -> ApiError:
    return ApiError("json_too_deep", status=400, details={"max_depth": MAX_JSON_DEPTH},
                    params={"max_depth": MAX_JSON_DEPTH})


def _check_string(text: str, where: str) -> None:
    if "\x00" in text or _has_surrogate(text):
        raise ApiError("invalid_text", status=400, details={"fields": [{
            "field": where or None, "type": "text_forbidden_character",
            "message": "Contains U+0000 or an unpaired surrogate."}]})


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _idempotency_key(spec: RouteSpec, request: Any) -> None:
    """A route that needs the header says so (`idempotent="required"`) and gets it checked here,
    so the document and the behaviour are one declaration.  The service scopes and stores it
    (platform/idempotency.py)."""
    from .idempotency import header_key  # on first use: most functions' cold starts never need it

    header_key(request.headers.get("idempotency-key"), required=spec.key_required)


def _parse_query(spec: RouteSpec, request: Any) -> Any:
    assert spec.query is not None
    params = request.query_params or {}
    multi = getattr(params, "getlist", None)
    data: dict[str, Any] = {}
    for key in params:
        values = multi(key) if multi else [params[key]]
        for value in values:
            _check_string(value, key)
        field_info = spec.query.model_fields.get(key)
        is_list = field_info is not None and "list" in str(field_info.annotation).lower()
        data[key] = values if is_list else values[-1]
    return spec.query.model_validate(data)


def _path_values(raw: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if name == "id" or name.endswith("_id"):
            # ASCII digits only: str.isdigit() also accepts "²" (int() then fails) and "٢٢٢"
            # (Arabic-Indic, which int() reads as 222).
            if not (value.isascii() and value.isdigit()) or len(value) > 19 or int(value) == 0:
                raise NotFound()
            values[name] = int(value)
        else:
            values[name] = value
    return values


def _render(spec: RouteSpec, result: Any) -> Response:
    if isinstance(result, Response):
        return result
    if result is None:
        return Response(body="", status_code=204)
    return json_response(result, spec.status)


class Router:
    """Collects an area's routes; `blueprint()` turns them into a Chalice Blueprint.

    A Chalice Blueprint can be registered on one app only (registration consumes its stored
    arguments), so each app (app.py, every functions/ module, tests) asks for its own.
    """

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self._views: list[tuple[str, str, str, Callable[..., Response]]] = []

    def blueprint(self, import_name: str | None = None) -> Blueprint:
        bp = Blueprint(import_name or f"chalicelib.{self.tag}.routes")
        preflight_paths: set[str] = set()
        for path, method, content_type, view in self._views:
            bp.route(path, methods=[method], content_types=sorted({content_type, "application/json"}))(view)
            if path not in preflight_paths:
                # API Gateway needs an OPTIONS method per path; the middleware answers it.
                preflight_paths.add(path)
                bp.route(path, methods=["OPTIONS"], name=f"{view.__name__}_preflight")(_preflight_placeholder)
        return bp

    def route(
        self,
        path: str,
        method: str,
        *,
        auth: str,
        response: type[BaseModel] | None = None,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        status: int = 200,
        permission: str | None = None,
        summary: str | None = None,
        rate_limit: tuple[int, int] | None = None,
        errors: tuple[int, ...] = (),
        idempotent: bool | str = False,
        content_type: str = "application/json",
        also_content_types: tuple[str, ...] = (),
        also_statuses: tuple[int, ...] = (),
        pages: tuple[tuple[int, str, str], ...] = (),
    ) -> Callable[[Callable[[Call], Any]], Callable[..., Response]]:
        if idempotent not in (False, True, "required"):
            raise ValueError(f"idempotent must be False, True or 'required', not {idempotent!r}")
        if auth not in (OPEN, PUBLIC, USER, ADMIN):
            raise ValueError(f"unknown auth level {auth!r}")
        if auth == ADMIN and not permission:
            raise ValueError(f"admin route {method} {path} must name a permission")

        def decorator(fn: Callable[[Call], Any]) -> Callable[..., Response]:
            doc = (fn.__doc__ or "").strip()
            spec = RouteSpec(
                method=method,
                path=path,
                name=fn.__name__,
                tag=self.tag,
                summary=summary or (doc.splitlines()[0] if doc else fn.__name__.replace("_", " ")),
                description=doc,
                auth=auth,
                permission=permission,
                body=body,
                query=query,
                response=response,
                status=status,
                rate_limit=rate_limit,
                errors=errors,
                idempotent=idempotent,
                content_type=content_type,
                also_content_types=also_content_types,
                also_statuses=also_statuses,
                pages=pages,
            )
            REGISTRY[(method, path)] = spec
            PATH_METHODS.setdefault(path, set()).add(method)

            def view(**path_params: str) -> Response:
                ctx = current()
                request = ctx.request
                try:
                    call = Call(ctx=ctx, request=request, path=_path_values(path_params))
                    if spec.idempotent:
                        _idempotency_key(spec, request)
                    if spec.body is not None:
                        call.body = _parse_body(spec, request)
                    if spec.query is not None:
                        call.query = _parse_query(spec, request)
                    return _render(spec, fn(call))
                except (ApiError, ValidationError) as exc:
                    return error_response(exc, ctx)
                except Exception as exc:  # noqa: BLE001 - rendered as a generic 500, logged
                    return error_response(exc, ctx)

            view.__name__ = fn.__name__
            view.__doc__ = fn.__doc__
            self._views.append((path, method, content_type, view))
            return view

        return decorator

    def get(self, path: str, **kw: Any) -> Callable[[Callable[[Call], Any]], Callable[..., Response]]:
        return self.route(path, "GET", **kw)

    def post(self, path: str, **kw: Any) -> Callable[[Callable[[Call], Any]], Callable[..., Response]]:
        return self.route(path, "POST", **kw)

    def put(self, path: str, **kw: Any) -> Callable[[Callable[[Call], Any]], Callable[..., Response]]:
        return self.route(path, "PUT", **kw)

    def patch(self, path: str, **kw: Any) -> Callable[[Callable[[Call], Any]], Callable[..., Response]]:
        return self.route(path, "PATCH", **kw)

    def delete(self, path: str, **kw: Any) -> Callable[[Callable[[Call], Any]], Callable[..., Response]]:
        return self.route(path, "DELETE", **kw)


def _preflight_placeholder(**_: str) -> Response:
    # Never reached: the middleware answers every OPTIONS request before routing.
    return Response(body="", status_code=204)
