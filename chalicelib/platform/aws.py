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
# Services every call to which our own code builds (queue URLs from configuration, message bodies
# it serialised itself): botocore's check of each call's input against the service model is
# skipped there.  It cost ~0.3 ms of CPU a SendMessageBatch (1.97 -> 1.65 ms against a keep-alive
# endpoint), paid by every checkout's after-commit publish (issue 16 item 4).  S3 keeps it: keys
# and metadata there carry what clients named.
UNVALIDATED = frozenset({"sqs"})


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
                config=Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 2},
                              parameter_validation=service not in UNVALIDATED),
            )
    return _clients[service]


def reset_clients() -> None:
    _clients.clear()
