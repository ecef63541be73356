"""Everything the benchmark needs around the handlers: its own settings, an AWS emulator, its
own database (migrated and seeded once, then reused) and the tenants, user and keys the cases
call with.

The order matters: `configure_process_env()` runs before any application module is imported,
because the application reads its settings once and caches them.
"""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_DATABASE_URL = "mysql://root@127.0.0.1:3306/huglu_bench"
# A Redis database of its own: the bench database numbers its tenants from 1 like the dev
# database does, and cache keys (t:<tenant>:product:<id>) carry the tenant, not the database.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"

BENCH_SLUG = "bench"
LIMITED_SLUG = "bench-limited"
LIMITED_PRODUCTS = 50
# The catalogue at scale (issue 16): 100,000 products beside the 10,000 of `bench` (and the
# limited and shop tenants' rows) in the same tables, from another seed.  Full runs only.
SCALE_SLUG = "bench-100k"
SCALE_PRODUCTS = 100_000
SCALE_SEED = 16
# Limit 0 switches limiting off, so the cases measure handlers rather than 429s.  Login carries
# its own route limit (20 per 15 min) which a tenant default does not override: the tenant
# route override does.
BENCH_SETTINGS: dict[str, Any] = {
    "rate_limit": {
        "default": {"limit": 0, "window": 900},
        "routes": {"POST /api/users/login": {"limit": 0, "window": 900}},
    }
}
# Limiting on, with a ceiling the bench never reaches: measures the limiter's cost, not a 429.
LIMITED_SETTINGS: dict[str, Any] = {"rate_limit": {"default": {"limit": 1_000_000, "window": 900}}}

USER_EMAIL = "bench.user@example.com"
USER_PASSWORD = "Bench-Password-2024!"
BCRYPT_ROUNDS = 12  # production cost


class NotInThisMode(RuntimeError):
    """A case that cannot run in this mode (the 100k catalogue in --quick): reported as skipped."""


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def configure_process_env() -> dict[str, str]:
    """Point the application at the bench database and Redis.  Call before importing app code."""
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    os.environ.pop("DATABASE_READ_URL", None)  # one MariaDB here: reads go to the writer
    os.environ["BCRYPT_ROUNDS"] = str(BCRYPT_ROUNDS)
    # Queues and buckets of the bench's own: when AWS_ENDPOINT_URL is the dev stack's emulator,
    # the checkouts' OrderPlaced events must not land on the queue `make worker` consumes
    # against the dev database (whose order ids they would name).
    os.environ["QUEUE_PREFIX"] = os.environ.get("BENCH_QUEUE_PREFIX", "huglu-bench")
    os.environ["BUCKET_PREFIX"] = os.environ.get("BENCH_BUCKET_PREFIX", "huglu-bench")
    os.environ.setdefault("STAGE", "local")
    os.environ.setdefault("LOG_LEVEL", "INFO")  # the production level: the request log line is paid
    return {k: os.environ[k] for k in ("DATABASE_URL", "REDIS_URL", "BCRYPT_ROUNDS", "STAGE", "LOG_LEVEL",
                                       "QUEUE_PREFIX", "BUCKET_PREFIX")}


def reset_app_state() -> None:
    """Drop every cached setting, connection and client (after the environment changed)."""
    from chalicelib.platform import aws, cache, tenancy
    from chalicelib.platform.config import reset_settings
    from chalicelib.platform.db import reset_db

    reset_settings()
    reset_db()
    cache.reset_client()
    aws.reset_clients()
    tenancy.clear_local_cache()


@contextlib.contextmanager
def quiet_stdout() -> Any:
    """The application writes one JSON log line per request to sys.stdout (looked up at emit
    time).  Lambda pays for formatting and writing it, so the bench keeps both, but sends the
    lines to /dev/null instead of the terminal."""
    with open(os.devnull, "w", encoding="utf-8") as devnull, contextlib.redirect_stdout(devnull):
        yield


# -- AWS emulator ------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def endpoint_reachable(url: str, timeout: float = 1.0) -> bool:
    try:
        urllib.request.urlopen(url, timeout=timeout).close()  # noqa: S310 - local emulator URL
        return True
    except urllib.error.HTTPError:
        return True  # it answered
    except (urllib.error.URLError, OSError, ValueError):
        return False


class AwsEmulator:
    """Uses AWS_ENDPOINT_URL when something answers there; otherwise runs moto_server on a free
    port for the duration of the bench and stops it (by its own process handle) afterwards."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.endpoint: str | None = None
        self.started = False

    def start(self) -> str:
        existing = os.environ.get("AWS_ENDPOINT_URL")
        if existing and endpoint_reachable(existing):
            self.endpoint = existing
        else:
            port = free_port()
            self.endpoint = f"http://127.0.0.1:{port}"
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd=REPO_ROOT,
            )
            self.started = True
            deadline = time.monotonic() + 30
            while not endpoint_reachable(self.endpoint):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("moto_server did not start")
                time.sleep(0.2)
            os.environ["AWS_ENDPOINT_URL"] = self.endpoint
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        os.environ.setdefault("AWS_DEFAULT_REGION", "eu-central-1")
        os.environ.setdefault("AWS_REGION", os.environ["AWS_DEFAULT_REGION"])
        return self.endpoint

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None

    def __enter__(self) -> AwsEmulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- database ----------------------------------------------------------------------------------
@dataclass
class BenchEnv:
    """What the cases call with.  Created by `prepare()`."""

    quick: bool
    products_required: int
    tenant_id: int
    api_key: str
    limited_tenant_id: int
    limited_api_key: str
    limited_product_id: int
    product_ids: list[int]
    category_id: int
    category_products: int
    user_id: int
    user_email: str = USER_EMAIL
    user_password: str = USER_PASSWORD
    setup: dict[str, Any] = field(default_factory=dict)
    # Catalogue tenants by size label ("10k", "100k"): (tenant id, API key); "100k" is absent in
    # --quick runs unless an earlier full run left it complete.
    catalogues: dict[str, tuple[int, str]] = field(default_factory=dict)

    def login(self) -> dict[str, Any]:
        """A real login through the accounts function; returns the token response body."""
        from functions.accounts import app

        from .events import api_event, response_json

        event = api_event("POST", "/api/users/login", api_key=self.api_key,
                          body={"email": self.user_email, "password": self.user_password})
        response = app(event, None)
        if response["statusCode"] != 200:
            raise RuntimeError(f"bench login failed: {response['statusCode']} {response.get('body')}")
        return response_json(response)  # type: ignore[no-any-return]


def _raw_connection(url: str, database: bool = True) -> Any:
    import pymysql

    from chalicelib.platform.config import DbTarget

    target = DbTarget.parse(url)
    return pymysql.connect(host=target.host, port=target.port, user=target.user, password=target.password,
                           database=(target.database if database else None), charset="utf8mb4",
                           autocommit=False)


def _drop_database(url: str) -> None:
    from chalicelib.platform.config import DbTarget

    name = DbTarget.parse(url).database
    if not name.startswith("huglu_bench"):
        raise RuntimeError(f"refusing to drop {name!r}: not a bench database")
    conn = _raw_connection(url, database=False)
    try:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        conn.close()


def _migrate(url: str) -> None:
    from infra.migrations.runner import ensure_database, upgrade_to_head

    ensure_database(url)
    upgrade_to_head(url)
    # Alembic's fileConfig / logging may have touched the root logger; the app's own logger
    # does not propagate, so nothing else to undo.


def _tenant_state(slug: str) -> tuple[int | None, int]:
    from chalicelib.platform.db import get_db

    session = get_db().session()
    tenant_id = session.scalar("SELECT id FROM tenants WHERE slug = %s", (slug,))
    if tenant_id is None:
        return None, 0
    count = session.scalar("SELECT COUNT(*) FROM products WHERE tenant_id = %s", (tenant_id,))
    return int(tenant_id), int(count or 0)


def _seed(url: str, tenant_id: int, products: int, seed: int = 7) -> float:
    from infra.local.seed_catalog import seed_catalog

    started = time.perf_counter()
    conn = _raw_connection(url)
    try:
        seed_catalog(conn, tenant_id, products=products, seed=seed)
        conn.commit()
    finally:
        conn.close()
    return time.perf_counter() - started


def _fresh_key(tenant_id: int) -> str:
    """Bench keys cannot be read back (only hashes are stored): revoke the old, mint a new one."""
    from chalicelib.platform.db import get_db
    from chalicelib.tenants.service import create_api_key, revoke_api_key

    db = get_db()
    for row in db.session().all("SELECT id FROM api_keys WHERE tenant_id = %s AND status = 'active'",
                                (tenant_id,)):
        revoke_api_key(db, tenant_id, int(row["id"]))
    _key_id, raw = create_api_key(db, tenant_id, name="bench")
    return raw


def _ensure_tenant(url: str, slug: str, name: str, settings: dict[str, Any], products: int,
                   report: dict[str, Any], seed: int = 7) -> tuple[int, str]:
    import json

    from chalicelib.platform import tenancy
    from chalicelib.platform.db import get_db
    from chalicelib.tenants.service import create_tenant

    db = get_db()
    tenant_id, _count = _tenant_state(slug)
    if tenant_id is None:
        created = create_tenant(db, slug=slug, name=name, settings=settings)
        # A rebuilt database reuses tenant and product ids: drop what Redis cached for them.
        clear_redis_keys(f"t:{created.tenant_id}:*")
        log(f"seeding {products} products for tenant {slug} (id {created.tenant_id}) ...")
        seconds = _seed(url, created.tenant_id, products, seed)
        report[slug] = {"seeded": True, "seed_seconds": round(seconds, 1)}
        log(f"seeded {slug} in {seconds:.1f} s")
        return created.tenant_id, created.api_key
    # Reused: make sure its settings are the ones this harness expects, then mint a key.
    session = db.session()
    session.execute("UPDATE tenants SET settings = %s, status = 'active' WHERE id = %s",
                    (json.dumps(settings), tenant_id))
    tenancy.forget_tenant(session, tenant_id)
    report[slug] = {"seeded": False}
    return tenant_id, _fresh_key(tenant_id)


def _ensure_user(tenant_id: int) -> int:
    from chalicelib.accounts import repository as users
    from chalicelib.accounts.service import create_user
    from chalicelib.platform.db import get_db

    db = get_db()
    row = users.user_by_email(db.session(), tenant_id, USER_EMAIL)
    if row is not None and row["password_hash"].startswith(f"$2b${BCRYPT_ROUNDS:02d}$"):
        return int(row["id"])
    if row is not None:  # made with another cost: re-hash at the production cost
        from chalicelib.accounts.passwords import hash_password

        db.session().execute("UPDATE users SET password_hash = %s WHERE tenant_id = %s AND id = %s",
                             (hash_password(USER_PASSWORD), tenant_id, row["id"]))
        return int(row["id"])
    return create_user(db, tenant_id, email=USER_EMAIL, password=USER_PASSWORD, first_name="Bench",
                       last_name="Kullanıcı", language="tr")


def _spread(values: list[int], count: int) -> list[int]:
    if len(values) <= count:
        return list(values)
    step = len(values) / count
    return [values[int(i * step)] for i in range(count)]


def _pick_category(tenant_id: int) -> tuple[int, int]:
    """A root category (its page includes every sub-category, through the path prefix) with
    the most active products: the typical shop-front category page."""
    from chalicelib.platform.db import get_db

    row = get_db().session().one(
        """SELECT root.id, COUNT(*) AS n
             FROM products p
             JOIN categories c ON c.tenant_id = p.tenant_id AND c.id = p.category_id
             JOIN categories root ON root.tenant_id = c.tenant_id AND root.depth = 0
                  AND c.path LIKE CONCAT(root.path, '%%')
            WHERE p.tenant_id = %s AND p.status = 'active'
            GROUP BY root.id ORDER BY n DESC, root.id LIMIT 1""",
        (tenant_id,),
    )
    if row is None:
        raise RuntimeError("the bench catalogue has no categorised active products")
    return int(row["id"]), int(row["n"])


META_TABLE = "_bench_meta"


def data_fingerprint() -> str:
    """Hash of what the bench data is made from (the migrations and the catalogue generator):
    when either changes, the reused database would be stale, so it is rebuilt."""
    import hashlib

    digest = hashlib.sha256()
    sources = sorted((REPO_ROOT / "infra" / "migrations" / "versions").glob("*.py"))
    sources.append(REPO_ROOT / "infra" / "local" / "seed_catalog.py")
    for path in sources:
        if path.exists():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def _stored_fingerprint(url: str) -> str | None:
    import pymysql

    try:
        conn = _raw_connection(url)
    except pymysql.err.OperationalError:
        return None  # no database yet
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                        "AND TABLE_NAME = %s", (META_TABLE,))
            if cur.fetchone()[0] == 0:
                return None
            cur.execute(f"SELECT v FROM {META_TABLE} WHERE k = 'fingerprint'")
            row = cur.fetchone()
            return str(row[0]) if row else None
    finally:
        conn.close()


def _store_fingerprint(url: str, value: str) -> None:
    conn = _raw_connection(url)
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (k VARCHAR(64) PRIMARY KEY, v VARCHAR(255)) "
                        "COMMENT 'bench harness bookkeeping; not part of the schema'")
            cur.execute(f"REPLACE INTO {META_TABLE} (k, v) VALUES ('fingerprint', %s)", (value,))
        conn.commit()
    finally:
        conn.close()


BUFFER_POOL_BYTES = 4 << 30


def _buffer_pool(url: str, progress: Callable[[str], None]) -> int:
    """InnoDB's buffer pool in MB, grown to BUFFER_POOL_BYTES when smaller and allowed.  A fresh
    MariaDB has 128 MB: the 100,000-product tenant's indexes alone outgrow it and every walk reads
    the disk - production (RDS) gives the pool three quarters of the instance's memory."""
    conn = _raw_connection(url, database=False)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT @@innodb_buffer_pool_size")
            size = int(cur.fetchone()[0])
            if size < BUFFER_POOL_BYTES:
                try:
                    cur.execute(f"SET GLOBAL innodb_buffer_pool_size = {BUFFER_POOL_BYTES}")
                    cur.execute("SELECT @@innodb_buffer_pool_size")
                    size = int(cur.fetchone()[0])
                except Exception as exc:  # noqa: BLE001 - no privilege: measure with what there is
                    progress(f"buffer pool stays at {size >> 20} MB ({exc})")
    finally:
        conn.close()
    return size >> 20


def prepare(quick: bool, progress: Callable[[str], None] = log) -> BenchEnv:
    """Migrate, seed (or reuse) and return the bench fixtures."""
    from chalicelib.platform.db import get_db

    url = os.environ["DATABASE_URL"]
    needed = 1_000 if quick else 10_000
    report: dict[str, Any] = {"database_url": url, "redis_url": os.environ["REDIS_URL"],
                              "innodb_buffer_pool_mb": _buffer_pool(url, progress)}
    started = time.perf_counter()
    fingerprint = data_fingerprint()
    stored = _stored_fingerprint(url)
    rebuild = stored is not None and stored != fingerprint
    if not rebuild:
        progress(f"migrating {url} ...")
        _migrate(url)
        reset_app_state()
        # Reuse only a complete catalogue made from the current migrations and generator;
        # anything else (an interrupted seed, a changed schema) starts over.
        bench_id, bench_count = _tenant_state(BENCH_SLUG)
        limited_id, limited_count = _tenant_state(LIMITED_SLUG)
        scale_id, scale_count = _tenant_state(SCALE_SLUG)
        rebuild = (bench_id is not None and (bench_count < needed or stored is None)) or (
            limited_id is not None and limited_count < LIMITED_PRODUCTS
        ) or (scale_id is not None and scale_count < SCALE_PRODUCTS and not quick)
    if rebuild:
        progress("bench database stale or incomplete: recreating it")
        reset_app_state()
        _drop_database(url)
        # Ids restart in the new database, so Redis's memory of the old one would answer for it:
        # the queues' handled-message claims (a feed run's "feed-run-<tenant>-<run>" would be
        # skipped as a redelivery) and the tenants' caches.
        clear_redis_keys("q:*")
        clear_redis_keys("t:*")
        _migrate(url)
        reset_app_state()

    tenant_id, api_key = _ensure_tenant(url, BENCH_SLUG, "Huğlu Bench", BENCH_SETTINGS, needed, report)
    limited_id, limited_key = _ensure_tenant(url, LIMITED_SLUG, "Huğlu Bench (rate limited)", LIMITED_SETTINGS,
                                             LIMITED_PRODUCTS, report)
    user_id = _ensure_user(tenant_id)
    _store_fingerprint(url, fingerprint)
    # After the fingerprint: an interrupted 100k seed leaves the other tenants reusable (its
    # own short count rebuilds, as the others' do).
    catalogues = {"10k": (tenant_id, api_key)}
    scale_id, scale_count = _tenant_state(SCALE_SLUG)
    if not quick or scale_count >= SCALE_PRODUCTS:
        catalogues["100k"] = _ensure_scale_tenant(url, report)

    session = get_db().session()
    ids = [int(r["id"]) for r in session.all(
        "SELECT id FROM products WHERE tenant_id = %s AND status = 'active' ORDER BY id", (tenant_id,))]
    limited_product = session.scalar(
        "SELECT MIN(id) FROM products WHERE tenant_id = %s AND status = 'active'", (limited_id,))
    category_id, category_products = _pick_category(tenant_id)
    report.update({"products": len(ids), "setup_seconds": round(time.perf_counter() - started, 1),
                   "fingerprint": fingerprint})
    progress(f"bench tenant {tenant_id}: {len(ids)} active products; setup {report['setup_seconds']} s")
    return BenchEnv(
        quick=quick,
        products_required=needed,
        tenant_id=tenant_id,
        api_key=api_key,
        limited_tenant_id=limited_id,
        limited_api_key=limited_key,
        limited_product_id=int(limited_product),
        product_ids=_spread(ids, 200),
        category_id=category_id,
        category_products=category_products,
        user_id=user_id,
        setup=report,
        catalogues=catalogues,
    )


def _ensure_scale_tenant(url: str, report: dict[str, Any]) -> tuple[int, str]:
    """The 100,000-product tenant; when just seeded, it also gets sales and ratings and fresh
    index statistics (the plans the cases meet are the ones a settled table gets)."""
    from chalicelib.platform.db import get_db

    tenant_id, api_key = _ensure_tenant(url, SCALE_SLUG, "Huğlu Bench 100k", BENCH_SETTINGS, SCALE_PRODUCTS, report,
                                        seed=SCALE_SEED)
    session = get_db().session()
    # Also when a run died between the seed (committed) and these.
    if report[SCALE_SLUG]["seeded"] or not session.scalar(
            "SELECT 1 FROM products WHERE tenant_id = %s AND status = 'active' AND sold_count > 0 LIMIT 1", (tenant_id,)):
        started = time.perf_counter()
        set_sales_and_ratings(session, tenant_id)
        session.execute("ANALYZE TABLE products, product_variations, product_images")
        report[SCALE_SLUG]["counters_and_analyze_seconds"] = round(time.perf_counter() - started, 1)
    return tenant_id, api_key


# Sales and ratings the generator does not write (it leaves 0): without them best_selling and
# rating sort nothing but ties.  Derived from the slug (deterministic for a (products, seed)),
# skewed like a shop's: few products sell most, about a third have no rating.
SALES_AND_RATINGS = """UPDATE products
    SET sold_count = FLOOR(POW(CRC32(CONCAT('s', slug)) / 4294967295, 4) * 5000),
        rating_count = IF(CRC32(CONCAT('c', slug)) %% 3 = 0, 0, 1 + CRC32(CONCAT('n', slug)) %% 250),
        rating_avg = IF(CRC32(CONCAT('c', slug)) %% 3 = 0, 0, 1 + (CRC32(CONCAT('a', slug)) %% 401) / 100)
  WHERE tenant_id = %s"""


def set_sales_and_ratings(session: Any, tenant_id: int) -> int:
    return int(session.execute(SALES_AND_RATINGS, (tenant_id,)))


def clear_redis_keys(pattern: str) -> int:
    from chalicelib.platform.cache import redis_client

    client = redis_client()
    keys = list(client.scan_iter(match=pattern, count=1000))
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start:start + 1000])
    return len(keys)


def clear_rate_counters(tenant_id: int) -> int:
    """Delete the tenant's rate-limit counters (they outlive a run by two windows)."""
    return clear_redis_keys(f"rl:{tenant_id}:*")


@contextlib.contextmanager
def chdir_repo() -> Any:
    previous = os.getcwd()
    os.chdir(REPO_ROOT)
    try:
        yield
    finally:
        os.chdir(previous)
