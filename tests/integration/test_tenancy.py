"""Tenant isolation at the repository layer and in the tenant resolver."""
from __future__ import annotations

import pytest

from chalicelib.catalog import listing_repository as listing_repo
from chalicelib.catalog import repository as catalog_repo
from chalicelib.platform import tenancy
from chalicelib.platform.db import Database
from chalicelib.platform.errors import Unauthorized
from tests.conftest import TenantInfo
from tests.helpers import insert_product


def test_key_resolves_its_tenant_and_only_its_hash_is_stored(db: Database, tenant: TenantInfo):
    resolved = tenancy.resolve(tenant.api_key)
    assert resolved.id == tenant.id and resolved.cors_origins == ("https://shop.example.com",)
    stored = db.session().one("SELECT key_hash, key_prefix FROM api_keys WHERE id = %s", (tenant.api_key_id,))
    assert stored["key_hash"] == tenancy.hash_api_key(tenant.api_key)
    assert tenant.api_key not in str(stored) and len(stored["key_prefix"]) < 16


def test_resolution_is_cached_then_invalidated(db: Database, tenant: TenantInfo):
    tenancy.resolve(tenant.api_key)
    db.session().execute("UPDATE api_keys SET status = 'revoked' WHERE id = %s", (tenant.api_key_id,))
    tenancy.clear_local_cache()
    assert tenancy.resolve(tenant.api_key).id == tenant.id  # still cached in Redis
    tenancy.forget_keys([tenancy.hash_api_key(tenant.api_key)])
    with pytest.raises(Unauthorized):
        tenancy.resolve(tenant.api_key)


def test_expired_key_is_refused(db: Database, tenant: TenantInfo):
    db.session().execute("UPDATE api_keys SET expires_at = UTC_TIMESTAMP() - INTERVAL 1 MINUTE WHERE id = %s",
                         (tenant.api_key_id,))
    with pytest.raises(Unauthorized):
        tenancy.resolve(tenant.api_key)


def test_repository_never_returns_another_tenants_rows(db: Database, tenant: TenantInfo, other_tenant: TenantInfo):
    mine = insert_product(db, tenant.id, "Kamp Sandalyesi")
    theirs = insert_product(db, other_tenant.id, "Şişme Yatak")
    session = db.session()
    assert catalog_repo.product(session, tenant.id, mine)["name"] == "Kamp Sandalyesi"
    assert catalog_repo.product(session, tenant.id, theirs) is None
    assert catalog_repo.variations(session, tenant.id, theirs) == []
    assert catalog_repo.images(session, tenant.id, theirs) == []
    listed = listing_repo.page(session, listing_repo.Filters(tenant.id), "newest", None, 50)
    assert [p["id"] for p in listed] == [mine]
