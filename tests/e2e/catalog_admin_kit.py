"""Fixtures and helpers shared by the catalogue-admin tests (test_catalog_admin.py,
test_catalog_import.py).

`ca_client` is the whole app (app.py): admin routes, sign-in and the public catalogue.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.platform.db import get_db
from tests.conftest import Api, TenantInfo, login, make_user


@pytest.fixture
def ca_client(client: Any) -> Iterator[Any]:
    """The whole app (app.py)."""
    yield client


def staff(client: Any, tenant: TenantInfo, roles: list[str] | None) -> Api:
    _, email, password = make_user(tenant, roles=roles)
    api = Api(client, tenant.api_key)
    api.token = login(api, email, password)["access_token"]
    return api


@pytest.fixture
def admin(ca_client: Any, tenant: TenantInfo) -> Api:
    return staff(ca_client, tenant, ["super_admin"])


@pytest.fixture
def editor(ca_client: Any, tenant: TenantInfo) -> Api:
    """The default catalogue editor: products.read and products.write, nothing else."""
    return staff(ca_client, tenant, ["editor"])


@pytest.fixture
def shopper(ca_client: Any, tenant: TenantInfo) -> Api:
    """Anonymous public catalogue calls (the API key only)."""
    return Api(ca_client, tenant.api_key)


# -- database checks ---------------------------------------------------------------------------
def scalar(sql: str, *params: Any) -> Any:
    return get_db().session().scalar(sql, params)


def rows(sql: str, *params: Any) -> list[dict[str, Any]]:
    return get_db().session().all(sql, params)


def audit_rows(tenant_id: int, action: str | None = None) -> list[dict[str, Any]]:
    sql = "SELECT * FROM admin_logs WHERE tenant_id = %s" + (" AND action = %s" if action else "") + " ORDER BY id"
    found = get_db().session().all(sql, (tenant_id, action) if action else (tenant_id,))
    for row in found:
        row["before"] = json.loads(row["before_data"]) if row["before_data"] else None
        row["after"] = json.loads(row["after_data"]) if row["after_data"] else None
    return found


def snapshot(tenant_id: int) -> dict[str, Any]:
    """Every catalogue row the admin area can change, plus the audit count: a refused request
    must leave all of it as it was."""
    s = get_db().session()
    tables = {
        "categories": "id, parent_id, name, slug, path, depth, sort_order, is_active, description",
        "brands": "id, name, slug, description, is_active",
        "products": "id, category_id, brand_id, name, slug, search_text, status, base_price, compare_at_price, "
                    "total_stock, updated_at",
        "product_variations": "id, product_id, sku, barcode, name, options, price, stock, reserved, is_active, "
                              "version, nfc_tag",
        "stock_movements": "id, variation_id, delta, reason",
        "price_history": "id, variation_id, old_price, new_price",
    }
    snap: dict[str, Any] = {name: s.all(f"SELECT {cols} FROM {name} WHERE tenant_id = %s ORDER BY id", (tenant_id,))
                            for name, cols in tables.items()}
    snap["admin_logs"] = s.scalar("SELECT COUNT(*) FROM admin_logs WHERE tenant_id = %s", (tenant_id,))
    return snap


def assert_invalid(response: Any, *fields: str) -> list[dict[str, Any]]:
    """400 validation_failed naming each of `fields` (prefix match: 'variations' ~ 'variations.0.sku')."""
    from tests.e2e.test_pipeline import assert_error_shape

    error = assert_error_shape(response, 400, "validation_failed")
    named = [f["field"] or "" for f in error["details"]["fields"]]
    for field in fields:
        assert any(n == field or n.startswith(field + ".") for n in named), (field, named)
    return list(error["details"]["fields"])


# -- building a catalogue through the API ------------------------------------------------------
def ean(n: int) -> str:
    from chalicelib.platform.text import ean13_check_digit

    first12 = f"869{n:09d}"
    return first12 + str(ean13_check_digit(first12))


def make_category(api: Api, name: str, parent_id: int | None = None, **extra: Any) -> dict[str, Any]:
    response = api.post("/api/admin/categories", {"name": name, "parent_id": parent_id, **extra})
    assert response.status_code == 201, response.body
    return response.json  # type: ignore[no-any-return]


def make_brand(api: Api, name: str, **extra: Any) -> dict[str, Any]:
    response = api.post("/api/admin/brands", {"name": name, **extra})
    assert response.status_code == 201, response.body
    return response.json  # type: ignore[no-any-return]


def make_product(api: Api, category_id: int, *, name: str = "Şişme Yatak Tek Kişilik", brand_id: int | None = None,
                 price: str = "1249.90", status: str = "active", variations: list[dict[str, Any]] | None = None,
                 **extra: Any) -> dict[str, Any]:
    import uuid

    body = {"name": name, "category_id": category_id, "brand_id": brand_id, "base_price": price, "status": status,
            "variations": variations or [{"sku": f"SKU-{uuid.uuid4().hex[:10]}", "stock": 5}], **extra}
    response = api.post("/api/admin/products", body)
    assert response.status_code == 201, response.body
    return response.json  # type: ignore[no-any-return]
