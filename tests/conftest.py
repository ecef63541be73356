"""Shared fixtures: a real MariaDB database (huglu_test), real Redis (db 15), a moto server for
AWS, and a fresh tenant per test so tests never see each other's rows.

The environment is set before any app module is imported (settings are read lazily).
"""
from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pymysql
import pytest

# A database of its own per test session (and per xdist worker): migrated from empty each time
# (~3 s), so the schema is exactly this checkout's migrations whatever the server holds, and
# concurrent sessions on one machine never share rows.  Dropped at the end of the session.
TEST_DB = os.environ.get("TEST_DATABASE_NAME", f"huglu_test_{os.getpid()}")
MYSQL_URL = os.environ.get("TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306")
os.environ["DATABASE_URL"] = f"{MYSQL_URL}/{TEST_DB}"
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ["STAGE"] = "test"
os.environ["BCRYPT_ROUNDS"] = "4"  # production default is 12 (tested); 4 keeps the suite fast
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-central-1")
os.environ.setdefault("LOG_LEVEL", "WARNING")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session", autouse=True)
def aws_emulator() -> Iterator[str]:
    """A moto server for the session unless AWS_ENDPOINT_URL already points at one (LocalStack);
    either way the queues and buckets of infra/resources.py are created on it."""
    from chalicelib.platform.config import reset_settings
    from infra.local.aws_resources import create_local_resources

    server = None
    if not os.environ.get("AWS_ENDPOINT_URL"):
        from moto.server import ThreadedMotoServer

        port = _free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{port}"
    reset_settings()
    create_local_resources()
    yield os.environ["AWS_ENDPOINT_URL"]
    if server is not None:
        server.stop()


def _drop_abandoned_test_databases(conn: pymysql.connections.Connection) -> None:
    """Databases of test sessions whose process is gone (killed before their clean-up)."""
    with conn.cursor() as cur:
        cur.execute("SHOW DATABASES LIKE 'huglu\\_test\\_%'")
        for (name,) in cur.fetchall():
            pid = name.rsplit("_", 1)[-1]
            if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")


@pytest.fixture(scope="session", autouse=True)
def database(aws_emulator: str) -> Iterator[str]:
    """Create and migrate this session's database; drop it afterwards."""
    from chalicelib.platform.config import reset_settings
    from chalicelib.platform.db import reset_db

    conn = pymysql.connect(host="127.0.0.1", user="root", charset="utf8mb4", autocommit=True)
    _drop_abandoned_test_databases(conn)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{TEST_DB}`")
        cur.execute(f"CREATE DATABASE `{TEST_DB}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    from infra.migrations.runner import upgrade_to_head

    upgrade_to_head(os.environ["DATABASE_URL"])
    with conn.cursor() as cur:
        # Tenant ids unique across sessions (ms since the epoch), so the tenant-scoped Redis keys
        # of this session can never meet an earlier session's leftovers in the shared Redis.
        cur.execute(f"ALTER TABLE `{TEST_DB}`.tenants AUTO_INCREMENT = {int(time.time() * 1000)}")
    reset_settings()
    reset_db()
    from chalicelib.platform.cache import redis_client

    # No FLUSHDB: every test has its own tenant, and tenant-scoped keys never collide, so
    # concurrent test sessions on one machine don't wipe each other's state.  Only the few
    # per-IP counters are shared by every test client (127.0.0.1); reset those.
    redis = redis_client()
    for key in redis.scan_iter(match="badkey:*"):
        redis.delete(key)
    yield os.environ["DATABASE_URL"]
    reset_db()
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{TEST_DB}`")
    conn.close()


@pytest.fixture(autouse=True)
def _fresh_process_caches() -> Iterator[None]:
    from chalicelib.platform import tenancy

    tenancy.clear_local_cache()
    yield


@dataclass
class TenantInfo:
    id: int
    slug: str
    api_key: str
    api_key_id: int


def make_tenant(**kwargs: Any) -> TenantInfo:
    from chalicelib.platform.db import get_db
    from chalicelib.tenants.service import create_tenant

    slug = kwargs.pop("slug", None) or f"t-{uuid.uuid4().hex[:12]}"
    created = create_tenant(get_db(), slug=slug, name=kwargs.pop("name", f"Test {slug}"), **kwargs)
    return TenantInfo(created.tenant_id, slug, created.api_key, created.api_key_id)


@pytest.fixture
def tenant() -> TenantInfo:
    return make_tenant(cors_origins=["https://shop.example.com"])


@pytest.fixture
def other_tenant() -> TenantInfo:
    return make_tenant()


@pytest.fixture
def db() -> Any:
    from chalicelib.platform.db import get_db

    return get_db()


@pytest.fixture
def client() -> Iterator[Any]:
    from chalice.test import Client

    from app import app

    with Client(app) as c:
        yield c


class Api:
    """Calls the app the way a client does: JSON in, JSON out, X-API-Key always sent."""

    def __init__(self, client: Any, api_key: str | None) -> None:
        self.client = client
        self.api_key = api_key
        self.token: str | None = None

    def request(self, method: str, path: str, body: Any = None, *, raw: str | bytes | None = None,
                headers: dict[str, str] | None = None, token: str | None = None) -> Any:
        sent = {"Content-Type": "application/json"}
        if self.api_key is not None:
            sent["X-API-Key"] = self.api_key
        bearer = token or self.token
        if bearer:
            sent["Authorization"] = f"Bearer {bearer}"
        sent.update(headers or {})
        payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
        response = self.client.http.request(method, path, headers=sent, body=payload)
        response.json = json.loads(response.body) if response.body and response.headers.get(
            "Content-Type", "").startswith("application/json") and not response.headers.get("Content-Encoding") else None
        return response

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.request("POST", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.request("PUT", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.request("DELETE", path, **kw)


@pytest.fixture
def api(client: Any, tenant: TenantInfo) -> Api:
    return Api(client, tenant.api_key)


def make_user(tenant: TenantInfo, *, roles: list[str] | None = None, email: str | None = None,
              password: str = "Parola-1234") -> tuple[int, str, str]:
    from chalicelib.accounts.service import create_user
    from chalicelib.platform.db import get_db

    email = email or f"u-{uuid.uuid4().hex[:10]}@example.com"
    user_id = create_user(get_db(), tenant.id, email=email, password=password, first_name="Ayşe",
                          last_name="Yılmaz", roles=roles)
    return user_id, email, password


def login(api: Api, email: str, password: str) -> dict[str, Any]:
    response = api.post("/api/users/login", {"email": email, "password": password})
    assert response.status_code == 200, response.body
    return response.json  # type: ignore[no-any-return]


@pytest.fixture
def admin_api(client: Any, tenant: TenantInfo) -> Api:
    _, email, password = make_user(tenant, roles=["super_admin"])
    a = Api(client, tenant.api_key)
    a.token = login(a, email, password)["access_token"]
    return a


@pytest.fixture
def customer_api(client: Any, tenant: TenantInfo) -> Api:
    _, email, password = make_user(tenant)
    a = Api(client, tenant.api_key)
    a.token = login(a, email, password)["access_token"]
    return a
