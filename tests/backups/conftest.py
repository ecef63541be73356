"""Fixtures of the backup tests: an empty backup bucket per test, a scratch database name that is
dropped afterwards, and two shops with rows of every awkward type (DECIMAL, DATETIME, DATE,
binary with bytes that are not UTF-8, generated columns, Turkish text)."""
from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pymysql
import pytest

from tests.conftest import TenantInfo, make_tenant, make_user
from tests.helpers import insert_product


@pytest.fixture(autouse=True)
def empty_backup_bucket() -> Iterator[None]:
    from chalicelib.backups import store

    for prefix in ("database", "tenants", "media"):
        store.delete_prefix(prefix)
    yield


def _drop(name: str) -> None:
    conn = pymysql.connect(host="127.0.0.1", user="root", autocommit=True)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    conn.close()


@pytest.fixture
def scratch_db() -> Iterator[str]:
    name = f"huglu_test_scratch_{os.getpid()}"
    _drop(name)
    yield name
    _drop(name)


@dataclass
class Shops:
    a: TenantInfo
    b: TenantInfo


def _fill(db: object, tenant: TenantInfo, name: str) -> None:
    from chalicelib.platform.db import get_db

    user_id, _, _ = make_user(tenant)
    session = get_db().session()
    session.execute("UPDATE users SET phone_enc = %s WHERE id = %s", (b"\x00\xff\x80binary\n", user_id))
    insert_product(get_db(), tenant.id, f"{name} Çadır", price="1499.90")
    insert_product(get_db(), tenant.id, f"{name} Uyku Tulumu", price="0.01", stock=0)


@pytest.fixture
def shops() -> Shops:
    from chalicelib.platform.db import get_db

    a, b = make_tenant(), make_tenant()
    _fill(get_db(), a, "Ağaç")
    _fill(get_db(), b, "Işık")
    return Shops(a, b)
