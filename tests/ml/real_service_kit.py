"""The REAL ML service (ml_container/: ``uvicorn huglu_ml.main:app``) as a child process, for the API
suite's end-to-end test (tests/ml/test_real_service.py) and the bench (bench/ml_cases.py).

The interpreter is the ML virtualenv's, never the API's: ``ML_PYTHON`` (make test / make bench set it
to ``.venv-ml/bin/python``), default ``<repo>/.venv-ml/bin/python``.  A missing interpreter is an
error with the fix in its message, not a skip: the suite is meant to run against the real service.

Also here: a seeder of purchase history with a learnable structure (two groups of customers, each
re-ordering from its own group of products over ~7 months) and the schema drift check of
ml_container/tests/schema.sql against the migrated database.
"""
from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import random
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlparse

REPO_ROOT = Path(__file__).resolve().parents[2]
ML_CONTAINER = REPO_ROOT / "ml_container"
SCHEMA_SQL = ML_CONTAINER / "tests" / "schema.sql"


def ml_python() -> Path:
    """The ML virtualenv's interpreter; RuntimeError (with the fix) when it is not there."""
    path = Path(os.environ.get("ML_PYTHON") or REPO_ROOT / ".venv-ml" / "bin" / "python")
    if not path.exists():
        raise RuntimeError(f"the ML service's interpreter {path} is missing: `make test` / `make bench` build "
                           ".venv-ml first (ml_container/requirements-dev.txt), or set ML_PYTHON to an interpreter "
                           "that has ml_container/requirements.txt installed")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_memory_kb(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak) of a process, in kB, from /proc/<pid>/status."""
    out: dict[str, int] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                out[name] = int(value.split()[0])
    return out


@dataclass
class RealService:
    """A running ML service; `call` speaks its HTTP contract with the service token."""

    process: subprocess.Popen[bytes]
    url: str
    token: str
    log_path: Path
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def call(self, tenant_id: int | None, method: str, path: str, body: Any = None,
             timeout: float = 30.0) -> tuple[int, Any]:
        """(status, JSON answer).  A new connection per call, as chalicelib/ml/client.py does."""
        parsed = urlparse(self.url)
        headers = {"X-Service-Token": self.token, "Accept": "application/json"}
        if tenant_id is not None:
            headers["X-Tenant-Id"] = str(tenant_id)
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=timeout)
        try:
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            raw = response.read()
            return response.status, (json.loads(raw) if raw else None)
        finally:
            conn.close()

    def memory_kb(self) -> dict[str, int]:
        return proc_memory_kb(self.pid)

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (uvicorn shuts down gracefully), SIGKILL if it does not go."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None
            self.log_path.unlink(missing_ok=True)  # failures quote its tail before stopping

    def wait_ready(self, timeout: float = 90.0) -> dict[str, Any]:
        """Poll GET /health until the service answers; its answer."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.alive():
                raise RuntimeError(f"the ML service exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                status, body = self.call(None, "GET", "/health", timeout=2)
                if status == 200:
                    return body  # type: ignore[no-any-return]
            except OSError:
                pass
            if time.monotonic() > deadline:
                tail = self.log_tail()
                self.stop()
                raise RuntimeError(f"the ML service did not answer /health within {timeout:.0f} s:\n{tail}")
            time.sleep(0.25)


def start_service(settings: dict[str, str], *, port: int | None = None) -> RealService:
    """Start ``uvicorn huglu_ml.main:app`` with the ML interpreter in ml_container/, the process
    environment plus `settings` (ML_SERVICE_TOKEN, DATABASE_URL, REDIS_URL, AWS_ENDPOINT_URL,
    ML_MODELS_BUCKET, ...).  Returns at once; call `wait_ready()` before using it."""
    python = ml_python()
    port = port or free_port()
    env = {k: v for k, v in os.environ.items() if k != "ML_EVENTS_QUEUE_URL"}  # no consumer unless asked
    env.update(settings)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["PYTHONUNBUFFERED"] = "1"
    log_path = Path(tempfile.mkstemp(prefix="huglu-ml-service-", suffix=".log")[1])
    log = open(log_path, "wb")  # noqa: SIM115 - closed by RealService.stop
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
        [str(python), "-m", "uvicorn", "huglu_ml.main:app", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"],
        cwd=ML_CONTAINER, env=env, stdout=log, stderr=subprocess.STDOUT)
    return RealService(process, f"http://127.0.0.1:{port}", settings.get("ML_SERVICE_TOKEN", "dev-ml-token"),
                       log_path, log)


# -- purchase history the recommender can learn from ---------------------------------------------
@dataclass
class History:
    groups: list[list[int]]  # product ids per group
    customers: dict[int, int]  # user id -> its group
    orders: int
    lines: int


def seed_history(db: Any, tenant_id: int, user_ids: list[int], *, products_per_group: int = 6,
                 orders_each: int = 10, seed: int = 14) -> History:
    """Two groups of customers, each re-ordering 2 products of its own group of products every ~3 weeks
    over the last ~7 months (delivered orders): enough for a learned recommender (20+ customers, 50+
    lines, 60+ days before the labelled windows), and a structure its answers must show."""
    from tests.helpers import insert_category, insert_product

    rng = random.Random(seed)
    groups: list[list[int]] = []
    for g in range(2):
        category, _ = insert_category(db, tenant_id, f"Grup {g}")
        groups.append([insert_product(db, tenant_id, f"Ürün {g}-{i}", price="100.00", stock=1000,
                                      category_id=category) for i in range(products_per_group)])
    customers = {user_id: n % 2 for n, user_id in enumerate(user_ids)}
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    session = db.session()
    orders, lines = 0, 0
    for user_id, group in customers.items():
        for k in range(orders_each):
            placed = now - dt.timedelta(days=210 - 21 * k + rng.uniform(0, 5), seconds=rng.randint(0, 86400))
            chosen = rng.sample(groups[group], 2)
            order_id = session.insert(
                """INSERT INTO orders (tenant_id, order_number, user_id, status, subtotal, grand_total,
                                       shipping_address, billing_address, created_at, placed_at)
                   VALUES (%s, %s, %s, 'delivered', 200, 200, '{}', '{}', %s, %s)""",
                (tenant_id, f"ML{uuid.uuid4().hex[:12]}", user_id, placed, placed))
            session.executemany(
                """INSERT INTO order_items (tenant_id, order_id, product_id, name, sku, unit_price, vat_rate, quantity,
                                            line_total) VALUES (%s, %s, %s, 'x', 'x', %s, 20, %s, %s)""",
                [(tenant_id, order_id, pid, Decimal("100.00"), q, Decimal(100 * q))
                 for pid, q in ((p, rng.randint(1, 3)) for p in chosen)])
            orders, lines = orders + 1, lines + len(chosen)
    return History(groups, customers, orders, lines)


def insert_customers(db: Any, tenant_id: int, count: int) -> list[int]:
    """`count` customers written straight into users (no password: they never sign in)."""
    tag = uuid.uuid4().hex[:8]
    session = db.session()
    session.executemany("INSERT INTO users (tenant_id, email, first_name, last_name) VALUES (%s, %s, 'Ayşe', 'Kaya')",
                        [(tenant_id, f"ml{i}-{tag}@example.com") for i in range(count)])
    return [int(r["id"]) for r in session.all(
        "SELECT id FROM users WHERE tenant_id = %s AND email LIKE %s ORDER BY id", (tenant_id, f"%-{tag}@example.com"))]


# -- schema drift: ml_container/tests/schema.sql against the migrations ---------------------------
def _columns(cursor: Any, database: str, table: str) -> dict[str, tuple[str, str, str | None]]:
    cursor.execute("SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT FROM information_schema.COLUMNS "
                   "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s", (database, table))
    return {str(r[0]): (str(r[1]).lower(), str(r[2]), None if r[3] is None else str(r[3])) for r in cursor.fetchall()}


def schema_drift(database_url: str) -> tuple[list[str], list[str]]:
    """(tables declared by schema.sql, differences from the migrated database `database_url`).

    schema.sql is loaded into a scratch database and compared through information_schema, so the
    comparison is MariaDB's own reading of both.  Each declared column must exist in the real table
    with the same type and nullability; its default must match too on the tables the service writes
    (user_events, user_data, ml_anomalies: a wrong default there changes what the service stores).
    The real tables may have more columns (schema.sql declares what the service touches)."""
    import pymysql

    url = urlparse(database_url)
    real_db = url.path.lstrip("/")
    scratch = f"huglu_schema_check_{os.getpid()}"
    conn = pymysql.connect(host=url.hostname or "127.0.0.1", port=url.port or 3306, user=url.username or "root",
                           password=url.password or "", charset="utf8mb4", autocommit=True)
    written = {"user_events", "user_data", "ml_anomalies"}
    problems: list[str] = []
    tables: list[str] = []
    try:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{scratch}`")
            cur.execute(f"CREATE DATABASE `{scratch}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            cur.execute(f"USE `{scratch}`")
            sql = "\n".join(ln for ln in SCHEMA_SQL.read_text(encoding="utf-8").splitlines()
                            if not ln.strip().startswith("--"))
            for statement in sql.split(";"):
                if statement.strip():
                    cur.execute(statement)
            cur.execute("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s ORDER BY TABLE_NAME",
                        (scratch,))
            tables = [str(r[0]) for r in cur.fetchall()]
            for table in tables:
                declared, real = _columns(cur, scratch, table), _columns(cur, real_db, table)
                if not real:
                    problems.append(f"{table}: declared in schema.sql, missing from the migrations")
                    continue
                for name, (ctype, nullable, default) in sorted(declared.items()):
                    if name not in real:
                        problems.append(f"{table}.{name}: declared in schema.sql, missing from the migrations")
                        continue
                    rtype, rnullable, rdefault = real[name]
                    if ctype != rtype:
                        problems.append(f"{table}.{name}: schema.sql {ctype}, migrations {rtype}")
                    if nullable != rnullable:
                        problems.append(f"{table}.{name}: schema.sql nullable={nullable}, migrations {rnullable}")
                    if table in written and default != rdefault:
                        problems.append(f"{table}.{name}: schema.sql default {default}, migrations {rdefault}")
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{scratch}`")
        conn.close()
    return tables, problems

