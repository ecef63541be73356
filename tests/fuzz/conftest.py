"""The fuzzing world: a tenant of its own (so a fuzzer can never touch demo or other tests'
data) with a small catalogue, a customer with an address and an order, and staff; the app
behind an API-Gateway-like WSGI adapter; the schema built from the live route registry."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import TenantInfo, make_tenant, make_user
from tests.iyzico_kit import running_sandbox


@dataclass
class World:
    tenant: TenantInfo
    schema: Any
    anonymous: Callable[[], dict[str, str]]
    customer: Callable[[], dict[str, str]]
    admin: Callable[[], dict[str, str]]


def _no_rate_limits() -> dict[str, Any]:
    """Every route's limit switched off for the fuzz tenant (limit 0 = off, see middleware)."""
    from app import app  # noqa: F401 - registers every route
    from chalicelib.platform.routing import REGISTRY

    return {"rate_limit": {"default": {"limit": 0},
                           "routes": {f"{m} {p}": {"limit": 0} for (m, p) in REGISTRY}}}


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    import schemathesis
    from chalice.test import Client

    from app import app
    from chalicelib.platform.db import get_db
    from chalicelib.platform.openapi import build_document
    from tests.catalog_kit import outdoor_shop
    from tests.fuzz.gateway import GatewayWSGI
    from tests.orders_kit import sign_in

    tenant = make_tenant(cors_origins=["https://shop.example.com"], settings=_no_rate_limits())
    outdoor_shop(get_db(), tenant.id)
    # The payment routes talk to the local iyzico sandbox, as in `make dev` (without it they
    # would answer 503 card_service_unavailable: documented, but a 5xx the fuzzer counts); the ML
    # routes to the ML service's local fake (the same for ml_unavailable).
    from infra.local.fakes.ml_service import start
    from tests.ml.kit import ml_service_at

    ml_server, ml_url = start()
    with running_sandbox(), ml_service_at(ml_url), Client(app) as client:
        schema = schemathesis.openapi.from_dict(build_document())
        schema.app = GatewayWSGI(client)

        def anonymous() -> dict[str, str]:
            return {"X-API-Key": tenant.api_key}

        def signed_in(roles: list[str] | None) -> Callable[[], dict[str, str]]:
            def headers() -> dict[str, str]:
                user_id, _, _ = make_user(tenant, roles=roles)
                return {"X-API-Key": tenant.api_key, "Authorization": f"Bearer {sign_in(tenant.id, user_id)}"}
            return headers

        try:
            yield World(tenant, schema, anonymous, signed_in(None), signed_in(["super_admin"]))
        finally:
            ml_server.shutdown()
            ml_server.server_close()
