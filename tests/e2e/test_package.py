"""The deployable package, run the way Lambda runs it: unpacked into an empty folder, each
function imported by a fresh interpreter that can see nothing but that folder (and the
installed dependencies, as the layer provides them in AWS).

Proves that each API function answers through its handler without the repository, that its
cold start imports only the platform and its own area, and that the event functions and the
migration function find what they need in the package.
"""
from __future__ import annotations

import base64
import gzip
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

HEAVY = {"sqlalchemy", "alembic", "tensorflow", "sklearn", "numpy", "pandas"}
# Modules an API function must not import on a cold start (ARCHITECTURE.md: boto3 only where
# used, lazily; never SQLAlchemy/Alembic at run time; no ML libraries in the API Lambdas).
API_FORBIDDEN = HEAVY | {"boto3"}

# Runs inside the unpacked package.  argv: function name, route path, method, result file.
INVOKE = r"""
import importlib, json, re, sys
name, path, method, out = sys.argv[1:5]
module = importlib.import_module("functions." + name)
params = {p: "1" for p in re.findall(r"{(\w+)\+?}", path)}
concrete = path
for key, value in params.items():
    concrete = concrete.replace("{%s}" % key, value).replace("{%s+}" % key, value)
event = {
    "resource": path,
    "path": concrete,
    "httpMethod": method,
    "headers": {"Accept": "application/json", "User-Agent": "e2e-package-test"},
    "multiValueHeaders": {"Accept": ["application/json"], "User-Agent": ["e2e-package-test"]},
    "queryStringParameters": None,
    "multiValueQueryStringParameters": None,
    "pathParameters": params or None,
    "stageVariables": None,
    "requestContext": {
        "resourcePath": path,
        "path": "/api" + concrete,
        "httpMethod": method,
        "requestId": "e2e-" + name,
        "stage": "v1",
        "identity": {"sourceIp": "203.0.113.7"},
    },
    "body": None,
    "isBase64Encoded": False,
}
response = module.app(event, None)
import chalicelib
with open(out, "w") as fh:
    json.dump({"response": response, "modules": sorted(sys.modules), "sys_path": sys.path,
               "chalicelib": chalicelib.__file__}, fh)
"""

# Runs inside the unpacked package.  argv: module, attribute, result file.
INSPECT = r"""
import importlib, json, sys
module_name, attribute, out = sys.argv[1:4]
module = importlib.import_module(module_name)
target = getattr(module, attribute) if attribute else None
with open(out, "w") as fh:
    json.dump({"callable": callable(target), "type": type(target).__name__,
               "file": module.__file__, "modules": sorted(sys.modules)}, fh)
"""


# Runs inside the unpacked package.  argv: module, result file.  Calls `handler` as Lambda would.
SCHEDULED = r"""
import importlib, json, sys
module_name, out = sys.argv[1:3]
event = {
    "version": "0", "id": "e2e-scheduled", "detail-type": "Scheduled Event", "source": "aws.events",
    "account": "123456789012", "time": "2025-01-01T00:00:00Z", "region": "eu-central-1",
    "resources": ["arn:aws:events:eu-central-1:123456789012:rule/huglu-test-purge-expired"], "detail": {},
}
returned = importlib.import_module(module_name).handler(event, None)
with open(out, "w") as fh:
    json.dump({"returned": returned}, fh)
"""


def run_in_package(unpacked: Path, result: Path, code: str, *args: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON") and k != "AWS_ENDPOINT_URL"}
    env["PYTHONPATH"] = str(unpacked)  # the package only: the repository is not importable
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    proc = subprocess.run(
        [sys.executable, "-c", code, *args, str(result)],
        cwd=unpacked, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, f"{args}: {proc.stderr[-3000:]}"
    return json.loads(result.read_text())


def chalicelib_packages(modules: list[str]) -> set[str]:
    """'chalicelib.catalog.service' → 'catalog' (top-level areas and 'platform')."""
    return {m.split(".")[1] for m in modules if m.startswith("chalicelib.")}


def top_level(modules: list[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def looks_ml_or_payment(module: str) -> bool:
    """Payment code anywhere in the name, or an ML package (a dotted part named ml / ml_* /
    *_ml, e.g. ml_container, chalicelib.ml).  Parts are compared whole so the standard
    library's html / xml do not count as 'ml'."""
    parts = module.split(".")
    return "payment" in module.lower() or any(
        p == "ml" or p.startswith("ml_") or p.endswith("_ml") for p in parts
    )


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    out = tmp_path_factory.mktemp("dist")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    proc = subprocess.run(
        [sys.executable, "-m", "infra.build", "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    unpacked = tmp_path_factory.mktemp("unpacked")
    assert not any(unpacked.iterdir())
    with zipfile.ZipFile(out / "package.zip") as zf:
        names = zf.namelist()
        zf.extractall(unpacked)
    template = json.loads((out / "template.json").read_text())
    functions = {
        props["Handler"].split("/")[1].split(".")[0]: props
        for res in template["Resources"].values()
        if res["Type"] == "AWS::Serverless::Function"
        for props in [res["Properties"]]
    }
    return SimpleNamespace(out=out, names=names, unpacked=unpacked, template=template,
                           functions=functions, stdout=proc.stdout, results=tmp_path_factory.mktemp("results"))


@pytest.fixture(scope="module")
def api_calls(package: SimpleNamespace) -> dict[str, dict[str, Any]]:
    """One call per API function, without X-API-Key, on one of its GET routes."""
    calls = {}
    for name, props in package.functions.items():
        if not props["Handler"].endswith(".app"):
            continue
        routes = [(e["Properties"]["Path"], e["Properties"]["Method"].upper()) for e in props["Events"].values()]
        path, method = next((r for r in routes if r[1] == "GET"), next(r for r in routes if r[1] != "OPTIONS"))
        calls[name] = run_in_package(package.unpacked, package.results / f"{name}.json", INVOKE, name, path, method)
        calls[name]["route"] = (path, method)
    assert {"accounts", "catalog", "system"} <= set(calls)
    return calls


# -- the package ------------------------------------------------------------------------------
def test_build_reports_what_it_built(package):
    for name in package.functions:
        assert f"functions/{name}." in package.stdout
    assert "package.zip" in package.stdout and "template.json" in package.stdout


def test_package_holds_the_code_and_nothing_else(package):
    names = set(package.names)
    expected = {"app.py", "infra/__init__.py"} | {
        p.relative_to(ROOT).as_posix()
        for top in ("chalicelib", "functions", "infra/migrations")
        for p in (ROOT / top).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
        and not any(part.startswith(".") for part in p.parts)
    }
    if (ROOT / "infra/alembic.ini").exists():
        expected.add("infra/alembic.ini")
    assert names == expected, f"missing {sorted(expected - names)}, unexpected {sorted(names - expected)}"
    for name in names:
        assert not name.startswith(("tests/", ".venv/", "bench/", "ml_container/", "dist/", "infra/local/"))
        assert "__pycache__" not in name and not name.endswith(".pyc")
    assert "infra/build.py" not in names  # build tooling stays out of the Lambdas


def test_package_is_reproducible(package, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "infra.build", "--out", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(tmp_path / "package.zip") as again, zipfile.ZipFile(package.out / "package.zip") as first:
        crcs = {i.filename: i.CRC for i in first.infolist()}
        changed = sorted(set(crcs.items()) ^ {(i.filename, i.CRC) for i in again.infolist()})
    assert not changed, f"files that differ between two builds (edited meanwhile?): {changed}"
    assert (tmp_path / "package.zip").read_bytes() == (package.out / "package.zip").read_bytes()
    assert (tmp_path / "template.json").read_text() == (package.out / "template.json").read_text()


# -- API functions ----------------------------------------------------------------------------
def _body(response: dict[str, Any]) -> dict[str, Any]:
    body = response["body"]
    if response.get("isBase64Encoded"):
        body = gzip.decompress(base64.b64decode(body)).decode()
    return json.loads(body)


def test_api_functions_answer_from_the_package_without_an_api_key(api_calls, package):
    for name, call in api_calls.items():
        response = call["response"]
        assert response["statusCode"] == 401, (name, call["route"], response)
        error = _body(response)["error"]
        assert error["code"] == "api_key_missing", (name, error)
        assert set(error) >= {"code", "message"}
        headers = {k.lower(): v for k, v in response["headers"].items()}
        assert headers["x-request-id"] == f"e2e-{name}"
        # Really ran from the unpacked folder, with the repository out of reach.
        assert Path(call["chalicelib"]).is_relative_to(package.unpacked), call["chalicelib"]
        assert str(ROOT) not in call["sys_path"]


# Shared by every area: the platform, and adapters to external systems (each a small module
# imported only where used).  An area uses another only through its published chalicelib/<area>/api.py
# (ARCHITECTURE.md "Areas meet at one door"; the import rule is tests/e2e/test_boundaries.py); which
# areas a function may load is declared here so a new dependency is a visible decision, not an
# accident.  Each api.py loads its heavy modules on first call, so most of these are not paid on a
# cold start: this is the upper bound.
SHARED = {"platform", "adapters"}
AREA_DEPENDENCIES: dict[str, set[str]] = {
    # accounts.api: the password / e-mail rules of its schemas; staff users and session revocation
    # on first use; tenants.api: the API keys, on first use
    "admin_access": {"accounts", "tenants"},
    # notifications.api (through accounts/mail.py) for codes and security alerts; on account
    # deletion addresses.api and engagement.api erase theirs (the latter recomputing ratings
    # through catalog and catalog_admin) - all imported on first use
    "accounts": {"notifications", "addresses", "engagement", "catalog", "catalog_admin"},
    "system": {"tenants"},  # tenants.api writes the tenant row and CORS origins of the settings routes
    # catalog.api: stock_status of favourites, forget_product after rating changes;
    # catalog_admin.api.set_rating_summary stores the recomputed summary on the product row
    "engagement": {"catalog", "catalog_admin"},
    "media": {"catalog"},  # catalog.api.forget_product after every image change
    # catalog.api (Effects: forget_product / catalog_changed after commit); inventory.api for every
    # stock write (its stock code on first use; StockReturned leaves through the outbox)
    "catalog_admin": {"catalog", "inventory"},
    # cart.api (totals; the cart it turns into an order), inventory.api (the reservation; stock
    # back on cancel), addresses.api.order_snapshot and the catalogue's cache invalidation after
    # the inventory's moves - the last two on first use.
    "orders": {"cart", "addresses", "catalog", "inventory"},
    # the admin routes of orders (FUNCTION_AREAS): the order detail, cancel and manual payment
    # (on first use), whose stock moves go through inventory.api (cache invalidation: catalog)
    "orders_admin": {"inventory", "catalog"},
    "shipping": {"orders"},  # orders.api's state machine moves the order when a shipment ships / is delivered
    # the invoice is issued under the order row lock (orders.api.lock_order) and e-mailed through
    # notifications.api; its VAT lines use cart.api's totals (the one VAT rule) and method names
    "invoices": {"orders", "notifications", "cart"},
    # orders.api (state machine; refunds on first use), inventory.api.restock (whose cache
    # invalidation loads catalog after commit), notifications.api for the e-mails
    "returns": {"orders", "notifications", "inventory", "catalog"},
    "wallet": {"notifications"},  # notifications.api for the transfer e-mails, on first use
    # POST /api/payment/wallet (FUNCTION_AREAS): orders.api's payment entry points, whose mark_paid
    # sells the reserved stock through inventory.api (cache invalidation: catalog), on first use
    "wallet_payments": {"orders", "inventory", "catalog"},
    # bank transfers and history: orders.api (the order lock, await_transfer; the order's payments on
    # the admin detail), wallet.api.bank_accounts (the shop's accounts, a wallet setting); confirm's
    # record_payment / mark_paid sell the reserved stock through inventory.api (cache: catalog)
    "payments": {"orders", "wallet", "inventory", "catalog"},
    "payments_admin": {"orders", "wallet", "inventory", "catalog"},
    # card payments: settle.py's reconciliation job uses orders.api / wallet.api as the routes do
    "payments_reconcile": {"orders", "wallet", "inventory", "catalog"},
    # the ML area hydrates recommended ids through catalog.api.product_cards (its own function)
    "ml": {"catalog"},
    # issue 15.  The cart prices with campaigns.api (the promotion engine), which reads the customer's
    # level (loyalty.api) and segment (ml.api) when a live promotion asks - on first use.
    "cart": {"campaigns", "loyalty", "ml"},
    # campaigns: cart.api's totals (previews), catalog.api's product cards (flash deals), wallet.api
    # (a wheel's bonus prize), loyalty.api (levels, early access), ml.api (segments), notifications.api
    # (offers and campaign sends)
    "campaigns": {"cart", "catalog", "wallet", "loyalty", "ml", "notifications"},
    "campaigns_admin": {"cart", "catalog", "wallet", "loyalty", "ml", "notifications"},
    # popups aimed at segments and levels (ml.api, loyalty.api, on first use)
    "content": {"ml", "loyalty"},
    # levels' extra bonus and referral rewards go through wallet.api
    "loyalty": {"wallet"},
    "referrals": {"wallet"},
}
# Every function placing or cancelling an order prices it with, or gives back what it claimed
# from, the promotions (campaigns.api: its engine uses cart.api's totals and reads loyalty / ml).
for _orders in ("orders", "orders_admin", "payments", "payments_admin", "payments_reconcile", "wallet_payments",
                "returns", "shipping"):
    AREA_DEPENDENCIES.setdefault(_orders, set()).update({"campaigns", "cart", "loyalty", "ml"})
# Producers of the ML service's events call ml.api (chalicelib/ml/api.py: the events queue) - on
# first use, so it is an upper bound like the rest: live (the app's activity), accounts (logins),
# every function moving an order's status (orders' state machine) and the payments functions.
for _producer in ("live", "accounts", "orders", "orders_admin", "shipping", "returns", "wallet_payments",
                  "payments", "payments_admin", "payments_reconcile", "invoices"):
    AREA_DEPENDENCIES.setdefault(_producer, set()).add("ml")


# A function deploys part of an area under another name (the admin routes of orders get their own
# function); every other function is named after its area.
FUNCTION_AREAS: dict[str, str] = {"notifications_api": "notifications", "orders_admin": "orders", "wallet_payments": "wallet",
                                  "payments_admin": "payments", "payments_sweep": "payments",
                                  "payments_reconcile": "payments", "backups_daily": "backups",
                                  "backups_jobs": "backups", "live_sweep": "live", "live_ws": "live",
                                  "campaigns_admin": "campaigns"}


def test_every_api_function_imports_only_the_platform_and_its_own_area(api_calls):
    for name, call in api_calls.items():
        areas = chalicelib_packages(call["modules"])
        own = FUNCTION_AREAS.get(name, name)
        allowed = SHARED | {own} | AREA_DEPENDENCIES.get(name, set())
        assert areas <= allowed, f"{name} imported chalicelib.{sorted(areas - allowed)}"
        assert own in areas


def test_no_api_function_imports_heavy_or_runtime_only_libraries(api_calls):
    for name, call in api_calls.items():
        heavy = top_level(call["modules"]) & API_FORBIDDEN
        assert not heavy, f"{name} imported {sorted(heavy)}"


def test_catalog_cold_start_is_isolated(api_calls):
    modules = api_calls["catalog"]["modules"]
    assert not [m for m in modules if m.startswith(("chalicelib.accounts", "chalicelib.system"))]
    assert not [m for m in modules if looks_ml_or_payment(m)]
    assert not top_level(modules) & {"sqlalchemy", "alembic", "boto3", "tensorflow", "sklearn", "numpy", "pandas"}


def test_accounts_does_not_import_the_catalog(api_calls):
    assert not [m for m in api_calls["accounts"]["modules"] if m.startswith("chalicelib.catalog")]


# -- event and pipeline functions -------------------------------------------------------------
def test_purge_expired_handler_is_importable_from_the_package(package):
    assert package.functions["purge_expired"]["Handler"] == "functions/purge_expired.handler"
    result = run_in_package(package.unpacked, package.results / "purge.json", INSPECT,
                            "functions.purge_expired", "handler")
    assert result["callable"], result["type"]
    assert Path(result["file"]).is_relative_to(package.unpacked)
    # its own area only: the owners of what it purges (accounts.api, cart.api) load when it runs
    assert len(chalicelib_packages(result["modules"]) - {"platform"}) == 1
    assert not top_level(result["modules"]) & HEAVY


def test_purge_expired_runs_from_the_package_on_a_scheduled_event(package):
    """The handler Lambda would call, with an EventBridge event, against the test database
    (the session's DATABASE_URL, migrated by tests/conftest.py)."""
    result = run_in_package(package.unpacked, package.results / "purge-run.json", SCHEDULED,
                            "functions.purge_expired")
    assert set(result["returned"]) == {"idempotency_keys", "refresh_tokens", "guest_carts"}
    assert all(isinstance(n, int) and n >= 0 for n in result["returned"].values())


def test_migrate_finds_its_migrations_in_the_package(package):
    result = run_in_package(package.unpacked, package.results / "migrate.json", INSPECT,
                            "functions.migrate", "handler")
    assert result["callable"]
    assert not top_level(result["modules"]) & HEAVY  # alembic is imported when it runs, not before
    # What functions/migrate.py imports when invoked, resolved inside the package.
    imported = re.findall(r"from (infra\.[\w.]+) import", (ROOT / "functions/migrate.py").read_text())
    assert imported, "functions/migrate.py no longer imports from infra/: update this test"
    for module in imported:
        found = run_in_package(package.unpacked, package.results / f"{module}.json", INSPECT, module, "")
        assert Path(found["file"]).is_relative_to(package.unpacked), found["file"]


def test_media_thumbnails_handler_is_importable_from_the_package(package):
    assert package.functions["media_thumbnails"]["Handler"] == "functions/media_thumbnails.handler"
    result = run_in_package(package.unpacked, package.results / "thumbs.json", INSPECT,
                            "functions.media_thumbnails", "handler")
    assert result["callable"], result["type"]
    assert chalicelib_packages(result["modules"]) <= {"platform", "media", "catalog"}
    assert "PIL" in top_level(result["modules"])  # Pillow, from the layer
    assert not top_level(result["modules"]) & HEAVY


def test_stock_events_handler_is_importable_from_the_package(package):
    """The StockReturned consumer: engagement's back-in-stock code and the inventory's event class
    (catalog.api's stock status comes with engagement's service); not the inventory's stock code."""
    assert package.functions["stock_events"]["Handler"] == "functions/stock_events.handler"
    result = run_in_package(package.unpacked, package.results / "stock-events.json", INSPECT,
                            "functions.stock_events", "handler")
    assert result["callable"], result["type"]
    assert chalicelib_packages(result["modules"]) <= {"platform", "engagement", "inventory", "catalog"}
    assert not [m for m in result["modules"] if m.startswith("chalicelib.inventory.") and m != "chalicelib.inventory.api"]
    assert not top_level(result["modules"]) & HEAVY


def test_the_media_api_does_not_load_pillow(api_calls):
    assert not top_level(api_calls["media"]["modules"]) & {"PIL", "boto3"}
