"""Fixtures and helpers shared by the admin-access tests (test_admin_access*.py), over app.py."""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib.platform.db import get_db
from tests.conftest import Api, TenantInfo, login, make_user


@pytest.fixture(scope="module")
def admin_app() -> Iterator[Any]:
    from app import app

    yield app


@pytest.fixture
def aa_client(client: Any) -> Iterator[Any]:
    """conftest's client of app.py (one Client per test, not a second one)."""
    yield client


@dataclass
class Staff:
    api: Api
    user_id: int
    email: str
    password: str
    refresh_token: str


def sign_in(client: Any, tenant: TenantInfo, roles: list[str] | None, *, password: str = "Parola-1234") -> Staff:
    user_id, email, password = make_user(tenant, roles=roles, password=password)
    api = Api(client, tenant.api_key)
    tokens = login(api, email, password)
    api.token = tokens["access_token"]
    return Staff(api, user_id, email, password, tokens["refresh_token"])


@pytest.fixture
def admin(aa_client: Any, tenant: TenantInfo) -> Staff:
    return sign_in(aa_client, tenant, ["super_admin"])


@pytest.fixture
def editor(aa_client: Any, tenant: TenantInfo) -> Staff:
    return sign_in(aa_client, tenant, ["editor"])


@pytest.fixture
def support(aa_client: Any, tenant: TenantInfo) -> Staff:
    return sign_in(aa_client, tenant, ["support"])


@pytest.fixture
def manager(aa_client: Any, tenant: TenantInfo) -> Staff:
    """The default 'admin' role: users.write, but not '*', roles.write or api_keys.write."""
    return sign_in(aa_client, tenant, ["admin"])


# -- database checks ---------------------------------------------------------------------------
def audit_rows(tenant_id: int, action: str | None = None) -> list[dict[str, Any]]:
    sql = "SELECT * FROM admin_logs WHERE tenant_id = %s" + (" AND action = %s" if action else "") + " ORDER BY id"
    rows = get_db().session().all(sql, (tenant_id, action) if action else (tenant_id,))
    for row in rows:
        row["before"] = json.loads(row["before_data"]) if row["before_data"] else None
        row["after"] = json.loads(row["after_data"]) if row["after_data"] else None
    return rows


def scalar(sql: str, *params: Any) -> Any:
    return get_db().session().scalar(sql, params)


def role_id(tenant_id: int, name: str) -> int:
    return int(scalar("SELECT id FROM roles WHERE tenant_id = %s AND name = %s", tenant_id, name))


def snapshot(tenant_id: int) -> dict[str, Any]:
    """Everything admin access can change, to prove a refused request changed nothing."""
    s = get_db().session()
    return {
        "roles": s.all("SELECT id, name, description, is_system FROM roles WHERE tenant_id = %s ORDER BY id",
                       (tenant_id,)),
        "role_permissions": s.all("SELECT role_id, permission FROM role_permissions WHERE tenant_id = %s "
                                  "ORDER BY role_id, permission", (tenant_id,)),
        "users": s.all("SELECT id, email, first_name, last_name, status, is_staff FROM users WHERE tenant_id = %s "
                       "ORDER BY id", (tenant_id,)),
        "user_roles": s.all("SELECT user_id, role_id FROM user_roles WHERE tenant_id = %s ORDER BY user_id, role_id",
                            (tenant_id,)),
        "api_keys": s.all("SELECT id, name, status, expires_at, revoked_at FROM api_keys WHERE tenant_id = %s "
                          "ORDER BY id", (tenant_id,)),
        "admin_logs": s.scalar("SELECT COUNT(*) FROM admin_logs WHERE tenant_id = %s", (tenant_id,)),
    }


def assert_invalid(response: Any, *fields: str) -> None:
    """400 in the one error shape, naming each of `fields` (prefix match: 'permissions' ~ 'permissions.0')."""
    from tests.e2e.test_pipeline import assert_error_shape

    error = assert_error_shape(response, 400, "validation_failed")
    named = [f["field"] or "" for f in error["details"]["fields"]]
    for field in fields:
        assert any(n == field or n.startswith(field + ".") for n in named), (field, named)
