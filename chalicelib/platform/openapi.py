"""OpenAPI 3.1 document built from the route registry and the pydantic models.

The deployed `system` function serves the generated file (`make openapi` writes it); a test
rebuilds it from app.py and fails when the file is stale or a route is missing, so the
document cannot drift from the code while no function has to import every area to serve it.
"""
from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema

from .idempotency import KEY_MAX as IDEMPOTENCY_KEY_MAX
from .routing import ADMIN, FORM, OPEN, PUBLIC, REGISTRY, RouteSpec

_PATH_PARAM = re.compile(r"{([^}+]+)\+?}")


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable error code, e.g. validation_failed")
    message: str = Field(description="Human-readable message in the negotiated language (tr/en)")
    details: Any = Field(default=None, description="Extra data, e.g. {'fields': [...]} for bad input")


class ErrorResponse(BaseModel):
    error: ErrorDetail


_ERROR_TEXT = {
    400: "Bad input (malformed JSON or invalid fields)",
    401: "Missing/invalid API key or access token",
    403: "Authenticated but lacking the permission",
    404: "Not found (or belongs to another tenant)",
    409: "Conflicts with the current state",
    429: "Rate limited; see Retry-After",
    500: "Unexpected error",
    503: "A dependency is unavailable",
}


_SECURITY: dict[str, list[dict[str, list[str]]]] = {
    OPEN: [{}, {"ApiKey": []}],  # no key needed; a key unlocks more (health's dependency detail)
    PUBLIC: [{"ApiKey": []}],
}
_SECURITY["user"] = _SECURITY["admin"] = [{"ApiKey": [], "BearerAuth": []}]


def _operation(spec: RouteSpec, schemas: dict[Any, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": spec.name,
        "tags": [spec.tag],
        "summary": spec.summary,
        "security": _SECURITY[spec.auth],
        "x-auth": spec.auth,
    }
    if spec.description and spec.description != spec.summary:
        op["description"] = spec.description
    if spec.permission:
        op["x-permission"] = spec.permission
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True,
         "schema": {"type": "integer", "minimum": 1} if name == "id" or name.endswith("_id") else {"type": "string"}}
        for name in _PATH_PARAM.findall(spec.path)
    ]
    if spec.query is not None:
        qschema = spec.query.model_json_schema()
        required = set(qschema.get("required", []))
        for name, prop in qschema.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    if spec.idempotent:
        params.append({"name": "Idempotency-Key", "in": "header", "required": spec.key_required,
                       "description": "A retry with the same key and body answers the first result",
                       "schema": {"type": "string", "minLength": 1, "maxLength": IDEMPOTENCY_KEY_MAX,
                                  "pattern": "^[\\x20-\\x7e]+$"}})
    if params:
        op["parameters"] = params
    if spec.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schemas[(spec.body, "validation")]}},
        }
    elif spec.content_type == FORM:  # a browser's form post (its fields are read by the route)
        op["requestBody"] = {"required": False, "content": {FORM: {"schema": {
            "type": "object", "additionalProperties": {"type": "string"}}}}}
    responses: dict[str, Any] = {}
    if spec.response is not None:
        media_types = (spec.content_type, *spec.also_content_types)
        for status in (spec.status, *spec.also_statuses):
            responses[str(status)] = {
                "description": "OK",
                "content": {media_type: {"schema": schemas[(spec.response, "serialization")]}
                            for media_type in media_types},
            }
    else:
        responses["204" if spec.status == 200 else str(spec.status)] = {"description": "No content"}
    for status, media_type, description in spec.pages:
        responses[str(status)] = {"description": description, "content": {media_type: {"schema": {"type": "string"}}}}
    codes = {400, 401, 429, 500, *spec.errors}
    if spec.auth == ADMIN:
        codes.add(403)
    if "{" in spec.path:
        codes.add(404)
    for code in sorted(codes):
        responses[str(code)] = {
            "description": _ERROR_TEXT.get(code, "Error"),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
        }
    op["responses"] = responses
    return op


_REF = "#/components/schemas/"


def _component_name(pydantic_name: str) -> str:
    """Names client generators accept and keep: pydantic qualifies a class name used by two
    areas with its module ("chalicelib__catalog__schemas__BrandOut") and splits a model whose
    input and output differ ("X-Input" / "X-Output").  Ours: the area as a prefix
    ("CatalogBrandOut"), the output under the plain name and the input as "XInput"."""
    name, _, mode = pydantic_name.partition("-")
    if name.startswith("chalicelib__"):
        parts = name.split("__")
        area = "".join(word.capitalize() for word in parts[1].split("_"))
        name = area + parts[-1]
    return name + ("Input" if mode == "Input" else "")


def _stable_names(schemas: dict[Any, Any], defs: dict[str, Any]) -> tuple[dict[Any, Any], dict[str, Any]]:
    renames = {old: _component_name(old) for old in defs}
    if len(set(renames.values())) != len(renames):
        clashes = sorted(n for n in set(renames.values()) if list(renames.values()).count(n) > 1)
        raise ValueError(f"OpenAPI component names clash: {clashes}; rename one of the models")

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(_REF) and ref[len(_REF):] in renames:
                node = {**node, "$ref": _REF + renames[ref[len(_REF):]]}
            return {key: rewrite(value) for key, value in node.items()}
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    new_defs = {renames[old]: rewrite(body) for old, body in sorted(defs.items(), key=lambda kv: renames[kv[0]])}
    for name, body in new_defs.items():
        body["title"] = name  # generators name classes by title: two "BrandOut" titles would collide
    return {key: rewrite(value) for key, value in schemas.items()}, new_defs


def build_document(registry: dict[tuple[str, str], RouteSpec] | None = None) -> dict[str, Any]:
    routes = registry if registry is not None else REGISTRY
    wanted: list[tuple[type[BaseModel], Any]] = [(ErrorResponse, "serialization")]
    for spec in routes.values():
        if spec.body is not None:
            wanted.append((spec.body, "validation"))
        if spec.response is not None:
            wanted.append((spec.response, "serialization"))
    unique = list(dict.fromkeys(wanted))
    schemas, definitions = models_json_schema(unique, ref_template="#/components/schemas/{model}")
    schemas, definitions = _stable_names(schemas, definitions.get("$defs", {}))
    paths: dict[str, dict[str, Any]] = {}
    for (method, path), spec in sorted(routes.items(), key=lambda item: (item[0][1], item[0][0])):
        paths.setdefault(path, {})[method.lower()] = _operation(spec, schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Huğlu Commerce API",
            "version": "1.0.0",
            "description": "Multi-tenant e-commerce back end. Every request needs X-API-Key; "
            "errors use one shape: {\"error\": {\"code\", \"message\", \"details\"}}; "
            "messages follow Accept-Language (tr, en).",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": definitions,
            "securitySchemes": {
                "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "BearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            },
        },
    }
