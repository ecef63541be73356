"""API Gateway REST (v1) proxy events, shaped the way Lambda hands them to a Chalice app.

Pure functions (standard library only) so the unit tests and the cold-start children use the
same builder as the benchmark.
"""
from __future__ import annotations

import json
import time
import uuid
from typing import Any

DEFAULT_SOURCE_IP = "203.0.113.10"  # TEST-NET-3: never a real client
DEFAULT_HEADERS = {
    "Accept": "application/json",
    "Accept-Encoding": "gzip, deflate, br",  # what the mobile app and browsers send
    "Accept-Language": "tr-TR,tr;q=0.9,en;q=0.8",
    "Host": "api.huglu.test",
    "User-Agent": "HugluBench/1.0",
    "X-Forwarded-Proto": "https",
}


def fill_path(resource: str, path_params: dict[str, Any] | None) -> str:
    """`/api/products/{product_id}` + {"product_id": 7} → `/api/products/7`."""
    path = resource
    for name, value in (path_params or {}).items():
        path = path.replace("{" + name + "}", str(value)).replace("{" + name + "+}", str(value))
    return path


def api_event(
    method: str,
    resource: str,
    *,
    path_params: dict[str, Any] | None = None,
    query: dict[str, str | list[str]] | None = None,
    headers: dict[str, str] | None = None,
    api_key: str | None = None,
    bearer: str | None = None,
    body: Any = None,
    source_ip: str = DEFAULT_SOURCE_IP,
    stage: str = "api",
    default_headers: bool = True,
) -> dict[str, Any]:
    """One REST API proxy event.  `resource` is the route template (what API Gateway reports
    as `resource` / `requestContext.resourcePath`); the concrete path is filled from
    `path_params`.  A dict/list body is sent as JSON with Content-Type application/json."""
    merged: dict[str, str] = dict(DEFAULT_HEADERS) if default_headers else {}
    merged["X-Forwarded-For"] = source_ip
    if api_key is not None:
        merged["X-API-Key"] = api_key
    if bearer is not None:
        merged["Authorization"] = f"Bearer {bearer}"
    raw_body: str | None
    if body is None:
        raw_body = None
    elif isinstance(body, (dict, list)):
        raw_body = json.dumps(body, separators=(",", ":"))
        merged.setdefault("Content-Type", "application/json")
    else:
        raw_body = str(body)
    merged.update(headers or {})

    multi_query: dict[str, list[str]] | None = None
    single_query: dict[str, str] | None = None
    if query:
        multi_query = {k: [str(x) for x in v] if isinstance(v, list) else [str(v)] for k, v in query.items()}
        single_query = {k: v[-1] for k, v in multi_query.items()}
    path = fill_path(resource, path_params)
    params = {k: str(v) for k, v in path_params.items()} if path_params else None
    now = time.time()
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": merged,
        "multiValueHeaders": {k: [v] for k, v in merged.items()},
        "queryStringParameters": single_query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": params,
        "stageVariables": None,
        "body": raw_body,
        "isBase64Encoded": False,
        "requestContext": {
            "resourceId": "bench",
            "resourcePath": resource,
            "httpMethod": method,
            "extendedRequestId": uuid.uuid4().hex[:16],
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "path": f"/{stage}{path}",
            "accountId": "123456789012",
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": "api",
            "requestTimeEpoch": int(now * 1000),
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": source_ip, "userAgent": merged.get("User-Agent")},
            "domainName": merged.get("Host", "api.huglu.test"),
            "apiId": "bench00000",
        },
    }


def fresh(event: dict[str, Any]) -> dict[str, Any]:
    """The same request again with a new request id (API Gateway never repeats one)."""
    copy = dict(event)
    ctx = dict(event["requestContext"])
    ctx["requestId"] = str(uuid.uuid4())
    copy["requestContext"] = ctx
    return copy


def scheduled_event(rule: str = "huglu-purge-expired") -> dict[str, Any]:
    """An EventBridge scheduled event, as a Chalice `@schedule` handler receives it."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": "eu-central-1",
        "resources": [f"arn:aws:events:eu-central-1:123456789012:rule/{rule}"],
        "detail": {},
    }


def response_json(response: dict[str, Any]) -> Any:
    """The JSON body of a proxy response (gunzipping it when the handler compressed it)."""
    body = response.get("body") or ""
    if response.get("isBase64Encoded"):
        import base64
        import gzip

        raw = base64.b64decode(body)
        headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
        if headers.get("content-encoding") == "gzip":
            raw = gzip.decompress(raw)
        body = raw.decode("utf-8")
    return json.loads(body) if body else None
