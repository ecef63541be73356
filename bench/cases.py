"""The benchmark cases: one small function per case, registered in order.

A case function receives the `BenchEnv` and returns a `Plan`: which Lambda app to call, how to
make the next event (untimed: it may also prepare state, e.g. drop a cache key), the status
every call must return, and an optional untimed `after(response)` hook.  The runner times only
`app(event, None)`.

To add a case, append a function here (or to a module imported at the end of this one, like
orders_cases.py for the cart and orders):

    @case("tracking", iterations=1000, quick=200, warmup=50, description="GET /api/orders/{id}/tracking")
    def tracking(env: BenchEnv) -> Plan:
        from functions.orders import app
        ...
        return Plan(app, lambda: fresh(event))

Derived numbers that compare cases (e.g. the rate limiter's cost) go into DERIVED.
"""
from __future__ import annotations

import importlib
import itertools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .environment import BenchEnv, clear_rate_counters
from .events import api_event, fresh, response_json

LambdaApp = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass
class Plan:
    app: LambdaApp
    next_event: Callable[[], dict[str, Any]]
    expect: int = 200
    after: Callable[[dict[str, Any]], None] | None = None
    info: dict[str, Any] = field(default_factory=dict)  # reported with the case's numbers
    # Nanoseconds the last call spent waiting on services that run off this box in production,
    # by name ({"emulator": ns, "sandbox": ns}; read and reset after each call): the case then
    # also reports each wait and its figures with them set aside (bench/offbox.py measures them).
    aside: Callable[[], dict[str, int]] | None = None


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[BenchEnv], Plan]
    iterations: int
    quick_iterations: int
    warmup: int
    description: str
    budget_seconds: float = 30.0  # measuring stops here once min_iterations are in (quick: /4)
    min_iterations: int = 100


CASES: dict[str, Case] = {}


def case(name: str, *, iterations: int, quick: int, warmup: int, description: str = "",
         budget_seconds: float = 30.0, min_iterations: int = 100) -> Callable[
    [Callable[[BenchEnv], Plan]], Callable[[BenchEnv], Plan]
]:
    def register(build: Callable[[BenchEnv], Plan]) -> Callable[[BenchEnv], Plan]:
        if name in CASES:
            raise ValueError(f"duplicate bench case {name!r}")
        CASES[name] = Case(name, build, iterations, quick, warmup, description or (build.__doc__ or "").strip(),
                           budget_seconds, min(min_iterations, quick))
        return build

    return register


def _rotating(events: list[dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    cycle = itertools.cycle(events)
    return lambda: fresh(next(cycle))


# -- system ------------------------------------------------------------------------------------
@case("health", iterations=300, quick=60, warmup=20)
def health(env: BenchEnv) -> Plan:
    """GET /api/health: MySQL SELECT 1, Redis PING, STS GetCallerIdentity (moto)."""
    from functions.system import app

    event = api_event("GET", "/api/health", api_key=env.api_key)
    return Plan(app, lambda: fresh(event))


# -- catalogue ---------------------------------------------------------------------------------
def len_catalogue(env: BenchEnv) -> int:
    return int(env.setup.get("products", 0))


def _detail_events(env: BenchEnv, ids: list[int], api_key: str) -> list[dict[str, Any]]:
    return [api_event("GET", "/api/products/{product_id}", path_params={"product_id": pid}, api_key=api_key)
            for pid in ids]


@case("product_detail_cache_hit", iterations=2000, quick=400, warmup=200)
def product_detail_cache_hit(env: BenchEnv) -> Plan:
    """GET /api/products/{id}, 200 products in rotation, each already in Redis."""
    from functions.catalog import app

    return Plan(app, _rotating(_detail_events(env, env.product_ids, env.api_key)),
                info={"distinct_products": len(env.product_ids)})


@case("product_detail_cache_miss", iterations=1000, quick=200, warmup=50)
def product_detail_cache_miss(env: BenchEnv) -> Plan:
    """GET /api/products/{id} after forget_product(): 3 queries, then SET in Redis."""
    from chalicelib.catalog.service import forget_product
    from functions.catalog import app

    pairs = itertools.cycle(list(zip(env.product_ids, _detail_events(env, env.product_ids, env.api_key), strict=True)))

    def next_event() -> dict[str, Any]:
        product_id, event = next(pairs)
        forget_product(env.tenant_id, product_id)  # untimed: the next call must miss
        return fresh(event)

    return Plan(app, next_event, info={"distinct_products": len(env.product_ids)})


@case("product_list", iterations=1000, quick=200, warmup=50)
def product_list(env: BenchEnv) -> Plan:
    """GET /api/products: first page (24, newest first), no filter; answer cached per catalogue version."""
    from functions.catalog import app

    return Plan(app, _catalog_rotation([{}], env, cached=True),
                info={"response_cache": "on", "catalogue_products": len_catalogue(env)})


@case("product_list_category", iterations=1000, quick=200, warmup=50)
def product_list_category(env: BenchEnv) -> Plan:
    """GET /api/products?category_id=<root>: first page of a root category and its subtree (cached)."""
    from functions.catalog import app

    return Plan(app, _catalog_rotation([{"category_id": str(env.category_id)}], env, cached=True),
                info={"response_cache": "on", "category_id": env.category_id,
                      "products_in_category": env.category_products})



# -- listing, facets, search (issue 4) ---------------------------------------------------------------
# These measure the SQL path: Redis answer caching (chalicelib/catalog/caching.py) is switched off
# before each call (untimed), so every call runs its statements.  product_list /
# product_list_category above run as deployed (answers cached per catalogue version), and
# search_cached shows a repeated search.  The metadata and the search vocabulary stay in process
# memory in both modes, as in a warm container.
SEARCHES = ["sisme yatak", "uyku tulumu", "kamp sandalyesi", "termos", "huglu kartal", "av tufegi",
            "softshell mont", "kafa lambasi", "polar bere", "yari otomatik", "çadır", "dürbün", "kamp",
            "Av Botu", "matara"]
TYPOS = ["sisne yatak", "uyku tulmu", "kamp sandalyasi", "termso", "dürbn", "kafa lambsi", "softshel mont",
         "matra", "yari otomatk", "pişirme seit"]
SUGGESTS = ["s", "si", "sis", "sism", "sisme y", "kamp s", "ter", "hug", "dür", "kaf", "av", "uyku t"]


def _answers_cached(enabled: bool) -> None:
    from chalicelib.catalog import caching

    caching.responses_enabled = enabled


def _catalog_rotation(queries: list[dict[str, Any]], env: BenchEnv, *, cached: bool,
                      resource: str = "/api/products") -> Callable[[], dict[str, Any]]:
    events = itertools.cycle([api_event("GET", resource, api_key=env.api_key, query=q) for q in queries])

    def next_event() -> dict[str, Any]:
        _answers_cached(cached)
        return fresh(next(events))

    return next_event


def _bench_taxonomy(env: BenchEnv) -> tuple[list[int], list[int], list[int]]:
    """(root categories, mid-level categories, brands) of the bench tenant, most products first."""
    from chalicelib.platform.db import get_db

    session = get_db().session()
    cats = session.all("SELECT id, depth FROM categories WHERE tenant_id = %s ORDER BY id", (env.tenant_id,))
    brands = [int(r["brand_id"]) for r in session.all(
        """SELECT brand_id, COUNT(*) AS n FROM products WHERE tenant_id = %s AND status = 'active'
            GROUP BY brand_id ORDER BY n DESC""", (env.tenant_id,))]
    return ([int(c["id"]) for c in cats if c["depth"] == 0], [int(c["id"]) for c in cats if c["depth"] == 1], brands)


@case("product_list_filtered", iterations=1000, quick=200, warmup=50)
def product_list_filtered(env: BenchEnv) -> Plan:
    """GET /api/products with filters and sorts (8 combinations in rotation), answers not cached."""
    from functions.catalog import app

    roots, mids, brands = _bench_taxonomy(env)
    queries: list[dict[str, Any]] = [
        {"category_id": str(roots[1]), "sort": "price_asc"},
        {"category_id": str(mids[0]), "brand_id": [str(brands[0]), str(brands[1])]},
        {"category_id": str(roots[0]), "min_price": "1000", "max_price": "5000", "in_stock": "true"},
        {"brand_id": str(brands[2]), "sort": "best_selling"},
        {"category_id": str(roots[2]), "attr": "renk:Haki", "sort": "newest"},
        {"in_stock": "true", "sort": "rating"},
        {"category_id": str(mids[3]), "sort": "price_desc", "limit": "48"},
        {"min_price": "15000", "sort": "price_asc", "brand_id": str(brands[0])},
    ]
    return Plan(app, _catalog_rotation(queries, env, cached=False),
                info={"response_cache": "off", "combinations": len(queries), "catalogue_products": len_catalogue(env)})


@case("product_list_facets", iterations=1000, quick=200, warmup=50)
def product_list_facets(env: BenchEnv) -> Plan:
    """GET /api/products?facets=true: a page plus brand/category/price-band/in-stock counts
    (6 filter sets in rotation: whole shop, root and mid categories, brand, price, stock), not cached."""
    from functions.catalog import app

    roots, mids, brands = _bench_taxonomy(env)
    queries: list[dict[str, Any]] = [
        {"facets": "true"},
        {"facets": "true", "category_id": str(roots[1])},
        {"facets": "true", "category_id": str(roots[0]), "brand_id": str(brands[0])},
        {"facets": "true", "category_id": str(mids[2]), "in_stock": "true"},
        {"facets": "true", "category_id": str(roots[2]), "min_price": "500", "max_price": "2500"},
        {"facets": "true", "category_id": str(mids[0]), "sort": "price_asc"},
    ]
    return Plan(app, _catalog_rotation(queries, env, cached=False),
                info={"response_cache": "off", "filter_sets": len(queries), "catalogue_products": len_catalogue(env)})


@case("search", iterations=1000, quick=200, warmup=50)
def search_products(env: BenchEnv) -> Plan:
    """GET /api/products?q=: 15 shopper queries (Turkish, folded, broad and narrow) by relevance, not cached."""
    from functions.catalog import app

    return Plan(app, _catalog_rotation([{"q": q} for q in SEARCHES], env, cached=False),
                info={"response_cache": "off", "queries": SEARCHES})


@case("search_typo", iterations=1000, quick=200, warmup=50)
def search_typo(env: BenchEnv) -> Plan:
    """GET /api/products?q=: 10 misspelt queries, corrected from the tenant vocabulary, not cached."""
    from functions.catalog import app

    return Plan(app, _catalog_rotation([{"q": q} for q in TYPOS], env, cached=False),
                info={"response_cache": "off", "queries": TYPOS})


@case("search_cached", iterations=1000, quick=200, warmup=50)
def search_cached(env: BenchEnv) -> Plan:
    """The `search` rotation as deployed: answers cached in Redis per catalogue version."""
    from functions.catalog import app

    return Plan(app, _catalog_rotation([{"q": q} for q in SEARCHES], env, cached=True),
                info={"response_cache": "on", "queries": SEARCHES})


@case("suggest", iterations=2000, quick=400, warmup=100)
def suggest(env: BenchEnv) -> Plan:
    """GET /api/products/suggest?q=: 12 prefixes as typed (1-7 letters), not cached."""
    from functions.catalog import app

    return Plan(app, _catalog_rotation([{"q": q} for q in SUGGESTS], env, cached=False,
                                       resource="/api/products/suggest"),
                info={"response_cache": "off", "prefixes": SUGGESTS})


# -- tenancy / limiting ------------------------------------------------------------------------
@case("unknown_api_key_401", iterations=1000, quick=200, warmup=50)
def unknown_api_key_401(env: BenchEnv) -> Plan:
    """GET /api/products with a fresh, well-formed but unknown key each call (Redis miss + DB)."""
    from functions.catalog import app

    counter = iter(range(10**9))

    def next_event() -> dict[str, Any]:
        # A different client address per call (TEST-NET-2 strings, no traffic is sent), so the
        # per-IP guesser throttle does not turn the measured 401 path into 429s.
        n = next(counter)
        return api_event("GET", "/api/products", api_key="hk_" + secrets.token_urlsafe(32),
                         source_ip=f"198.51.{100 + (n // 250) % 100}.{n % 250 + 1}")

    return Plan(app, next_event, expect=401)


@case("rate_limited_request", iterations=2000, quick=400, warmup=50)
def rate_limited_request(env: BenchEnv) -> Plan:
    """product_detail_cache_hit for a tenant with limiting on (1,000,000 / 15 min, never hit):
    the difference to product_detail_cache_hit is the limiter's cost (one Lua EVALSHA)."""
    from functions.catalog import app

    cleared = clear_rate_counters(env.limited_tenant_id)
    event = _detail_events(env, [env.limited_product_id], env.limited_api_key)[0]

    def after(response: dict[str, Any]) -> None:
        if "X-RateLimit-Limit" in (response.get("headers") or {}):
            raise AssertionError("unexpected rate-limit header on an allowed request")

    return Plan(app, lambda: fresh(event), after=after, info={"counters_cleared": cleared, "limit": 1_000_000})


# -- accounts ----------------------------------------------------------------------------------
@case("login", iterations=30, quick=8, warmup=3, budget_seconds=60)
def login(env: BenchEnv) -> Plan:
    """POST /api/users/login: bcrypt verify at the production cost, tokens, one transaction."""
    from chalicelib.platform.config import settings
    from chalicelib.platform.db import get_db
    from functions.accounts import app

    rounds = settings().bcrypt_rounds
    stored = get_db().session().scalar("SELECT password_hash FROM users WHERE tenant_id = %s AND id = %s",
                                       (env.tenant_id, env.user_id))
    hash_cost = int(str(stored).split("$")[2])
    if rounds != 12 or hash_cost != 12:
        raise RuntimeError(f"login must run at bcrypt cost 12 (settings {rounds}, stored hash {hash_cost})")
    event = api_event("POST", "/api/users/login", api_key=env.api_key,
                      body={"email": env.user_email, "password": env.user_password, "device_name": "bench"})
    info = {"bcrypt_rounds": rounds, "stored_hash_cost": hash_cost,
            "bcrypt_checkpw_alone_ms": _bcrypt_alone_ms(env.user_password, str(stored))}
    return Plan(app, lambda: fresh(event), info=info)


def _bcrypt_alone_ms(password: str, stored_hash: str, repeat: int = 5) -> float:
    """bcrypt.checkpw by itself (median of `repeat`): how much of a login is the hash."""
    import time

    import bcrypt

    from .stats import median

    times = []
    for _ in range(repeat):
        started = time.perf_counter_ns()
        bcrypt.checkpw(password.encode(), stored_hash.encode())
        times.append((time.perf_counter_ns() - started) / 1e6)
    return round(median(times), 1)


@case("token_refresh", iterations=500, quick=100, warmup=20)
def token_refresh(env: BenchEnv) -> Plan:
    """POST /api/auth/refresh, rotating: each call spends the token the previous call issued."""
    from functions.accounts import app

    state = {"refresh_token": env.login()["refresh_token"]}

    def next_event() -> dict[str, Any]:
        return api_event("POST", "/api/auth/refresh", api_key=env.api_key,
                         body={"refresh_token": state["refresh_token"]})

    def after(response: dict[str, Any]) -> None:
        state["refresh_token"] = response_json(response)["refresh_token"]

    return Plan(app, next_event, after=after)


@case("profile", iterations=1000, quick=200, warmup=50)
def profile(env: BenchEnv) -> Plan:
    """GET /api/users/profile with a Bearer access token (JWT verify + 2 queries)."""
    from functions.accounts import app

    token = env.login()["access_token"]
    event = api_event("GET", "/api/users/profile", api_key=env.api_key, bearer=token)
    return Plan(app, lambda: fresh(event))


# -- numbers derived from several cases ------------------------------------------------------------
def _rate_limit_cost(cases: dict[str, Any]) -> dict[str, Any]:
    base, limited = cases.get("product_detail_cache_hit"), cases.get("rate_limited_request")
    if not base or not limited or "p50_ms" not in base or "p50_ms" not in limited:
        return {}
    return {
        "rate_limit_cost_p50_ms": round(limited["p50_ms"] - base["p50_ms"], 3),
        "rate_limit_cost_mean_ms": round(limited["mean_ms"] - base["mean_ms"], 3),
    }


def _cache_saving(cases: dict[str, Any]) -> dict[str, Any]:
    hit, miss = cases.get("product_detail_cache_hit"), cases.get("product_detail_cache_miss")
    if not hit or not miss or "p50_ms" not in hit or "p50_ms" not in miss:
        return {}
    return {"product_cache_saving_p50_ms": round(miss["p50_ms"] - hit["p50_ms"], 3)}


# Cart and orders (issue 5): registered here so CASES keeps one order (catalogue, accounts, then these).
# The wallet payment case (issue 11) after them.
from . import orders_cases, wallet_cases  # noqa: E402 - need `case` and `Plan` defined above

# The card payment case (issue 12) last: registered on import, after the wallet's (an import
# statement would be sorted ahead of wallet_cases).
importlib.import_module(".payments_cases", __package__)
# The promotion cases (issue 15) after everything: they switch 200 promotions on in the shop tenant.
campaigns_cases = importlib.import_module(".campaigns_cases", __package__)
# The checkout's cost by component (issue 16 item 4): the checkout case's calls with CPU clocks.
checkout_cost = importlib.import_module(".checkout_cost", __package__)
importlib.import_module(".catalog_scale", __package__)  # issue 16: the catalogue at 10k and 100k, random combinations

DERIVED: list[Callable[[dict[str, Any]], dict[str, Any]]] = [
    _rate_limit_cost, _cache_saving,
    # Looked up when called: imported first (a throughput worker), orders_cases is still loading here.
    lambda cases: orders_cases.checkout_target(cases),
    lambda cases: wallet_cases.wallet_payment_target(cases),
    lambda cases: campaigns_cases.promotions_target(cases),
    lambda cases: checkout_cost.targets(cases),
]
