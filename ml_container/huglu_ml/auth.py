"""Service-to-service authentication and the tenant of each call.

The API sends ``X-Service-Token`` (a shared secret from settings) and ``X-Tenant-Id``; the tenant is
the only scope every handler below works in.
"""

from __future__ import annotations

import hmac

from fastapi import Header

from huglu_ml.config import get_settings
from huglu_ml.errors import ServiceError


def token_ok(token: str | None) -> bool:
    expected = get_settings().service_token
    return bool(token) and hmac.compare_digest(str(token).encode(), expected.encode())


def parse_tenant(raw: str | None) -> int:
    if raw is None or not raw.strip().isdigit() or not 0 < int(raw) < 2**63:
        raise ServiceError(400, "tenant_required", "X-Tenant-Id must be a positive integer")
    return int(raw)


def tenant(
    x_service_token: str | None = Header(default=None),
    x_tenant_id: str | None = Header(default=None),
) -> int:
    """FastAPI dependency: 401 without the service token, 400 without a valid tenant."""
    if not token_ok(x_service_token):
        raise ServiceError(401, "unauthorized", "a valid X-Service-Token is required")
    return parse_tenant(x_tenant_id)
