"""The pure parts of the benchmark harness (bench/): percentiles, the API Gateway event
builder (checked against the real handlers, which refuse a request without an API key before
touching MySQL or Redis), response decoding, -X importtime parsing and the case registry."""
from __future__ import annotations

import base64
import gzip
import json
import os

import pytest

from bench.cases import CASES
from bench.coldstart import boundary_imports, parse_importtime
from bench.events import api_event, fill_path, fresh, response_json, scheduled_event
from bench.stats import median, percentile, summarize_ns

REQUIRED_CASES = {
    "health", "product_detail_cache_hit", "product_detail_cache_miss", "product_list",
    "unknown_api_key_401", "rate_limited_request", "login", "token_refresh", "profile",
}


# -- percentiles -----------------------------------------------------------------------------------
def test_percentile_interpolates_between_closest_ranks() -> None:
    values = [4, 1, 3, 2]  # unsorted on purpose
    assert percentile(values, 0) == 1
    assert percentile(values, 100) == 4
    assert percentile(values, 50) == pytest.approx(2.5)
    assert percentile(values, 90) == pytest.approx(3.7)
    assert median([5, 1, 9]) == 5


def test_percentile_matches_numpy_linear_on_a_larger_sample() -> None:
    values = list(range(1, 101))  # 1..100
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile(values, 90) == pytest.approx(90.1)
    assert percentile([7.0], 99) == 7.0


@pytest.mark.parametrize("q", [-1, 100.5])
def test_percentile_rejects_out_of_range(q: float) -> None:
    with pytest.raises(ValueError):
        percentile([1, 2], q)


def test_percentile_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError):
        percentile([], 50)


def test_summary_is_in_milliseconds_with_throughput() -> None:
    summary = summarize_ns([1_000_000, 2_000_000, 3_000_000, 4_000_000])  # 1..4 ms
    assert summary["iterations"] == 4
    assert summary["p50_ms"] == 2.5
    assert summary["mean_ms"] == 2.5
    assert summary["min_ms"] == 1.0 and summary["max_ms"] == 4.0
    assert summary["throughput_rps"] == 400.0  # 4 calls in 10 ms


# -- events ------------------------------------------------------------------------------------------
def test_event_has_the_rest_proxy_shape() -> None:
    event = api_event("GET", "/api/products/{product_id}", path_params={"product_id": 42},
                      query={"limit": "5", "tag": ["a", "b"]}, api_key="hk_x", source_ip="198.51.100.7")
    for key in ("resource", "path", "httpMethod", "headers", "multiValueHeaders", "queryStringParameters",
                "multiValueQueryStringParameters", "pathParameters", "stageVariables", "body",
                "isBase64Encoded", "requestContext"):
        assert key in event
    assert event["resource"] == "/api/products/{product_id}"
    assert event["path"] == "/api/products/42"
    assert event["pathParameters"] == {"product_id": "42"}
    assert event["queryStringParameters"] == {"limit": "5", "tag": "b"}
    assert event["multiValueQueryStringParameters"] == {"limit": ["5"], "tag": ["a", "b"]}
    assert event["headers"]["X-API-Key"] == "hk_x"
    assert event["multiValueHeaders"]["X-API-Key"] == ["hk_x"]
    ctx = event["requestContext"]
    assert ctx["resourcePath"] == "/api/products/{product_id}"
    assert ctx["httpMethod"] == "GET"
    assert ctx["identity"]["sourceIp"] == "198.51.100.7"
    assert ctx["stage"] == "api" and ctx["requestId"]


def test_event_without_query_or_body_uses_nulls_like_api_gateway() -> None:
    event = api_event("GET", "/api/health")
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None
    assert event["body"] is None
    assert "X-API-Key" not in event["headers"]


def test_json_body_is_serialised_with_its_content_type() -> None:
    event = api_event("POST", "/api/users/login", body={"email": "a@b.co", "password": "ş"}, bearer="tok")
    assert json.loads(event["body"]) == {"email": "a@b.co", "password": "ş"}
    assert event["headers"]["Content-Type"] == "application/json"
    assert event["headers"]["Authorization"] == "Bearer tok"


def test_fresh_gives_a_new_request_id_without_touching_the_original() -> None:
    event = api_event("GET", "/api/health")
    again = fresh(event)
    assert again["requestContext"]["requestId"] != event["requestContext"]["requestId"]
    assert again["headers"] is event["headers"]  # shared, read-only: cheap to make
    assert fill_path("/a/{x}/b/{y+}", {"x": 1, "y": "c/d"}) == "/a/1/b/c/d"


def test_scheduled_event_shape() -> None:
    event = scheduled_event()
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"


def test_response_json_gunzips_base64_bodies() -> None:
    payload = {"items": ["ç" * 10]}
    body = base64.b64encode(gzip.compress(json.dumps(payload).encode())).decode()
    response = {"statusCode": 200, "isBase64Encoded": True, "headers": {"Content-Encoding": "gzip"}, "body": body}
    assert response_json(response) == payload
    assert response_json({"statusCode": 204, "body": ""}) is None


# -- the real handlers accept the built events ---------------------------------------------------------
# Run in a fresh interpreter: Chalice mutates a Blueprint's deferred route options when it is
# registered, so app.py (every blueprint) and functions/<area>.py (the same blueprints again)
# cannot both be imported in one process.  Each child is one "world", like one Lambda.
_CHILD = r"""
import json, sys
from bench.events import api_event, response_json
calls = []
if sys.argv[1] == "app":
    import app
    handlers = {"app": app.app}
    requests = [("app", "GET", "/api/products", None, None), ("app", "GET", "/api/health", None, None)]
else:
    from functions import accounts, catalog, system
    handlers = {"catalog": catalog.app, "accounts": accounts.app, "system": system.app}
    requests = [("catalog", "GET", "/api/products/{product_id}", {"product_id": 7}, None),
                ("accounts", "GET", "/api/users/profile", None, None),
                ("system", "GET", "/api/health", None, None),
                ("accounts", "POST", "/api/users/login", None, "not-a-key")]
for name, method, resource, params, key in requests:
    body = {"email": "a@b.co", "password": "x"} if method == "POST" else None
    event = api_event(method, resource, path_params=params, api_key=key, body=body)
    response = handlers[name](event, None)
    calls.append({"handler": name, "resource": resource, "status": response["statusCode"],
                  "code": (response_json(response).get("error") or {}).get("code"),
                  "request_id_echoed": response["headers"].get("X-Request-Id") == event["requestContext"]["requestId"]})
print("RESULT " + json.dumps(calls))
"""


def _run_world(world: str) -> list[dict[str, object]]:
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    # Nothing listens on port 1: a handler that tried MySQL or Redis would fail, not pass.
    env = {**os.environ, "DATABASE_URL": "mysql://root@127.0.0.1:1/none", "REDIS_URL": "redis://127.0.0.1:1/0",
           "STAGE": "local"}
    env.pop("DATABASE_READ_URL", None)
    proc = subprocess.run([sys.executable, "-c", _CHILD, world], cwd=root, capture_output=True, text=True,
                          timeout=60, check=False, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])  # type: ignore[no-any-return]


def test_app_py_answers_a_built_event_without_key_with_401() -> None:
    calls = _run_world("app")
    # Health is open (liveness for load balancers): it answers without a key and without any lookup.
    assert [(c["status"], c["code"]) for c in calls] == [(401, "api_key_missing"), (200, None)]
    assert all(c["request_id_echoed"] for c in calls)


def test_each_function_answers_built_events_before_any_lookup() -> None:
    calls = {(c["handler"], c["resource"]): c for c in _run_world("functions")}
    for key in [("catalog", "/api/products/{product_id}"), ("accounts", "/api/users/profile")]:
        assert calls[key]["status"] == 401 and calls[key]["code"] == "api_key_missing"
        assert calls[key]["request_id_echoed"]
    assert calls[("system", "/api/health")]["status"] == 200  # open: liveness needs no key, no lookup
    # A malformed key is refused without a Redis or MySQL lookup (none is needed to answer).
    assert calls[("accounts", "/api/users/login")]["status"] == 401
    assert calls[("accounts", "/api/users/login")]["code"] == "api_key_invalid"


# -- -X importtime parsing -----------------------------------------------------------------------------
IMPORTTIME = """\
import time: self [us] | cumulative | imported package
import time:       100 |        100 |       _io
import time:       200 |        300 |     json.decoder
import time:       400 |        700 |   json
import time:        50 |         50 |     pymysql._auth
import time:       300 |        350 |   pymysql
import time:       500 |       1550 | chalicelib.platform.db
import time:        10 |         10 | functions
"""


def test_parse_importtime_rebuilds_the_import_tree() -> None:
    lines = {ln.name: ln for ln in parse_importtime(IMPORTTIME)}
    assert lines["json"].parent == "chalicelib.platform.db"
    assert lines["json.decoder"].parent == "json"
    assert lines["_io"].parent == "json.decoder"
    assert lines["chalicelib.platform.db"].parent is None
    assert lines["pymysql"].cumulative_us == 350 and lines["pymysql"].depth == 1


def test_boundary_imports_are_the_dependencies_project_code_pulls_in() -> None:
    boundary = boundary_imports(parse_importtime(IMPORTTIME))
    assert boundary == {"json": (700, "chalicelib.platform.db"), "pymysql": (350, "chalicelib.platform.db")}


# -- registry ------------------------------------------------------------------------------------------
def test_registry_has_every_required_case_with_sane_sizes() -> None:
    assert REQUIRED_CASES <= set(CASES)
    for case in CASES.values():
        assert 0 < case.quick_iterations <= case.iterations
        assert case.warmup >= 1
        assert case.description
    assert 20 <= CASES["login"].iterations <= 50


def test_subtree_drops_interpreter_startup_imports() -> None:
    from bench.coldstart import subtree

    text = """\
import time:        30 |         30 |   encodings.aliases
import time:        40 |         70 | site
import time:        10 |         10 | functions
import time:       300 |        300 |     pymysql
import time:       500 |        800 |   chalicelib.platform.db
import time:        20 |        820 | functions.catalog
"""
    kept = {ln.name for ln in subtree(parse_importtime(text), {"functions", "functions.catalog"})}
    assert kept == {"functions", "functions.catalog", "chalicelib.platform.db", "pymysql"}
