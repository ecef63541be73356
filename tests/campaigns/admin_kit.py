"""Helpers of the staff-side campaigns tests (H2): staff clients with a role, request bodies."""
from __future__ import annotations

import uuid
from typing import Any

from tests.conftest import Api, TenantInfo, login, make_user


def staff(client: Any, tenant: TenantInfo, role: str) -> Api:
    _, email, password = make_user(tenant, roles=[role])
    a = Api(client, tenant.api_key)
    a.token = login(a, email, password)["access_token"]
    return a


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def create(api: Api, path: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    response = api.post(path, body, headers=key())
    assert response.status_code == status, response.body
    return response.json  # type: ignore[no-any-return]


def campaign_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "Kış İndirimi", "type": "promotion",
                            "rules": {"level": "basket", "action": {"type": "percent_off", "value": "10"}}}
    body.update(overrides)
    return body
