"""The Chalice app behind a WSGI interface that behaves like API Gateway, for schemathesis.

schemathesis drives WSGI apps in-process (werkzeug's test client), which is fast enough to
put a few thousand generated requests into `make test`.  Chalice's own local gateway differs
from API Gateway in one way that matters to a fuzzer: API Gateway URL-decodes path parameters
(`/api/products/%C2%B2` reaches the handler as `²`), chalice local passes them through encoded.
The matcher here decodes them, so what the fuzzer finds is what production would see.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, unquote

from chalice.local import LocalGateway, MatchResult, RouteMatcher
from chalice.test import Client

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class _DecodingMatcher(RouteMatcher):
    def match_route(self, url: str) -> MatchResult:
        match = super().match_route(url)
        captured = {name: unquote(value, errors="strict") for name, value in match.captured.items()}
        return MatchResult(match.route, captured, match.query_params)


class GatewayWSGI:
    """WSGI callable: environ → API Gateway proxy event → the Chalice app → WSGI response."""

    def __init__(self, client: Client) -> None:
        self._client = client
        gateway: LocalGateway = client.http._local_gateway  # noqa: SLF001 - the one seam chalice offers
        converter = gateway.event_converter
        converter._route_matcher = _DecodingMatcher(list(client._app.routes))  # noqa: SLF001

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        # PATH_INFO is decoded (latin-1 per PEP 3333); re-encode it the way the client sent it.
        raw_path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", errors="surrogateescape")
        url = quote(raw_path, safe="/", errors="surrogateescape")
        if environ.get("QUERY_STRING"):
            url += "?" + environ["QUERY_STRING"]
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        # Compression has its own tests; a fuzzer reads bodies as sent, so ask for identity.
        headers.pop("accept-encoding", None)
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        response = self._client.http.request(environ["REQUEST_METHOD"], url, headers=headers, body=body)
        status = f"{response.status_code} {HTTPStatus(response.status_code).phrase}"
        out_headers = [(name, str(value)) for name, value in response.headers.items()]
        start_response(status, out_headers)
        return [response.body or b""]
