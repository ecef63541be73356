"""boto3 clients, created lazily and cached per container.

boto3 costs ~200 ms to import, so only code paths that really call AWS import it.  The
endpoint comes from AWS_ENDPOINT_URL (moto server or LocalStack locally; unset in AWS), so
the same code runs against the emulator and the real thing by configuration alone.
"""
from __future__ import annotations

import threading
from typing import Any

from .config import settings

_clients: dict[str, Any] = {}
_lock = threading.Lock()


def client(service: str) -> Any:
    cached = _clients.get(service)
    if cached is not None:
        return cached
    with _lock:
        if service not in _clients:
            import boto3
            from botocore.config import Config

            cfg = settings()
            _clients[service] = boto3.session.Session().client(
                service,
                region_name=cfg.aws_region,
                endpoint_url=cfg.aws_endpoint_url,
                config=Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 2}),
            )
    return _clients[service]


def reset_clients() -> None:
    _clients.clear()
