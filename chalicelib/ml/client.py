"""HTTP calls to the ML service (ml_container/), with a short timeout and the shared breaker.

One small function, `call(tenant_id, method, path, body)`, over the standard library's
http.client (no new dependency, nothing to import on a cold start that the platform does not
already pay).  Every call carries X-Service-Token and X-Tenant-Id.  Transport errors, timeouts
and 5xx answers become MlUnavailable (`raise ... from exc`) and count as breaker failures; a 4xx
answer becomes MlRefused (the service said no: the circuit is healthy).  When the circuit is open
no call goes out at all.

The local fake of the service (infra/local/fakes/ml_service.py) speaks the same protocol, so the
tests and `make dev` run without TensorFlow.
"""
from __future__ import annotations

import http.client
import json
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from chalicelib.platform.config import DEV_ML_SERVICE_TOKEN, settings
from chalicelib.platform.logging import get_logger

from .breaker import Breaker
from .errors import MlRefused, MlUnavailable

log = get_logger("ml.client")
MAX_BODY = 2 * 1024 * 1024  # an answer larger than this is not one of ours


def breaker() -> Breaker:
    return Breaker.for_url(settings().ml_service_url)


def call(tenant_id: int | None, method: str, path: str, body: dict[str, Any] | None = None, *,
         query: dict[str, Any] | None = None, timeout_ms: int | None = None,
         use_breaker: bool = True) -> dict[str, Any]:
    """The service's JSON answer; MlUnavailable or MlRefused otherwise.  `tenant_id` None: the
    unauthenticated /health."""
    circuit = breaker()
    if use_breaker and not circuit.allow():
        raise MlUnavailable(details={"reason": "circuit_open"})
    started = time.monotonic()
    try:
        status, data = _send(tenant_id, method, path, body, query, timeout_ms)
    except MlUnavailable:
        if use_breaker:
            circuit.failure()
        log.warning("ml service call failed", extra={"path": path, "ms": int((time.monotonic() - started) * 1000)})
        raise
    if use_breaker:
        circuit.success()
    if status >= 400:
        error = data.get("error") if isinstance(data, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        raise MlRefused(details={"status": status, "service_code": code})
    return data


def _send(tenant_id: int | None, method: str, path: str, body: dict[str, Any] | None,
          query: dict[str, Any] | None, timeout_ms: int | None) -> tuple[int, dict[str, Any]]:
    cfg = settings()
    if cfg.is_production and cfg.ml_service_token == DEV_ML_SERVICE_TOKEN:
        log.error("ML_SERVICE_TOKEN is the development value: refusing to call the ML service in production")
        raise MlUnavailable(details={"reason": "misconfigured"})
    base = urlsplit(cfg.ml_service_url)
    timeout = (timeout_ms or cfg.ml_timeout_ms) / 1000
    target = (base.path.rstrip("/") + path) + (("?" + urlencode(query, doseq=True)) if query else "")
    headers = {"Accept": "application/json", "X-Service-Token": cfg.ml_service_token}
    if tenant_id is not None:
        headers["X-Tenant-Id"] = str(tenant_id)
    payload = None
    if body is not None:
        payload = json.dumps(body, default=str).encode()
        headers["Content-Type"] = "application/json"
    conn_class = http.client.HTTPSConnection if base.scheme == "https" else http.client.HTTPConnection
    conn = conn_class(base.hostname or "127.0.0.1", base.port, timeout=timeout)
    try:
        conn.request(method, target, body=payload, headers=headers)
        response = conn.getresponse()
        raw = response.read(MAX_BODY + 1)
        status = response.status
    except (OSError, http.client.HTTPException) as exc:  # refused, reset, timed out (TimeoutError is an OSError)
        raise MlUnavailable(details={"reason": type(exc).__name__}) from exc
    finally:
        conn.close()
    if status >= 500:
        raise MlUnavailable(details={"reason": f"status_{status}"})
    if len(raw) > MAX_BODY:
        raise MlUnavailable(details={"reason": "answer_too_large"})
    try:
        data = json.loads(raw) if raw else {}
    except ValueError as exc:
        raise MlUnavailable(details={"reason": "invalid_json"}) from exc
    if not isinstance(data, dict):
        raise MlUnavailable(details={"reason": "invalid_json"})
    return status, data
