"""Area boundaries (issue 10 items 1 and 2, ARCHITECTURE.md "Areas meet at one door").

The import rule.  A module of an area (chalicelib/<area>/...) may import its own area, the shared
platform and adapters (chalicelib/platform, chalicelib/adapters), and of another area only its
published interface, `chalicelib.<area>.api` - at module level and inside functions alike.  The
platform and the adapters import no area at all.  The composition root (app.py and
functions/*.py, the deployed entry modules) assembles the areas, so it may import their entry
modules - routes.py, *_routes.py, handlers.py, events.py (a queue consumer), relay.py - and
nothing else of an area.  Tests and infra/ (build and local tooling) are outside the rule.

Table ownership.  chalicelib/platform/tables.py declares every table's owning area and the other
areas' declared reads.  An area's SQL writes only the tables it owns, and reads another area's
table only as a declared read model.  The writes that break the rule today are listed in
KNOWN_VIOLATIONS with the issue item that removes each; anything new fails, and an entry whose
write is gone fails too, so the list only shrinks.

Each checker is also fed a bad example, so a rule that silently stopped finding anything fails.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

from chalicelib.platform.tables import OWNERS, PLANNED, READ_MODELS
from tests.e2e.boundaries_kit import (
    COMPOSITION_ROOT,
    ROOT,
    Statement,
    area_of,
    import_offences,
    module_name,
    statements,
)

AREAS = {p.name for p in (ROOT / "chalicelib").iterdir() if (p / "__init__.py").exists()}

# (area, table) → why it still writes a table it does not own, and what removes it.
KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {
    # Stock: the reservation, sale, cancel and restock of orders/stock.py and the admin stock
    # adjustments write the catalogue's rows and the movement log.  Item 3: the inventory area
    # owns stock and both call its api.
    ("orders", "product_variations"): "item 3 (inventory): stock / reserved columns",
    ("orders", "products"): "item 3 (inventory): total_stock / sold_count",
    ("orders", "stock_movements"): "item 3 (inventory)",
    ("catalog_admin", "stock_movements"): "item 3 (inventory)",
    # The admin order panel is a second area over the orders aggregate (admin_note).  Item 6
    # folds it into orders.
    ("orders_admin", "orders"): "item 6 (orders_admin folds into orders)",
    # A received return books order_items.returned_quantity itself.  Item 2 follow-up: an
    # orders.api function (book_returned) called in the same transaction.
    ("returns", "order_items"): "item 2 follow-up: orders.api.book_returned",
    # The review summary (products.rating_avg / rating_count) is recomputed by engagement under
    # the product lock.  Item 2 follow-up: a catalogue api call (or a ReviewsChanged event).
    ("engagement", "products"): "item 2 follow-up: catalog_admin api for the rating summary",
    # Staff users and roles: accounts grants roles to a new staff user and removes them on
    # erasure; admin_access edits staff users' names and status; a new tenant gets its default
    # roles from the tenants area.  Item 2 follow-up: admin_access.api / accounts.api calls.
    ("accounts", "user_roles"): "item 2 follow-up: admin_access.api grant / revoke",
    ("admin_access", "users"): "item 2 follow-up: accounts.api.update_staff",
    ("tenants", "roles"): "item 2 follow-up: admin_access.api.create_default_roles",
    ("tenants", "role_permissions"): "item 2 follow-up: admin_access.api.create_default_roles",
    # The settings routes (system) edit the tenant row and its CORS origins; the hourly purge
    # deletes expired refresh tokens.  Item 2 follow-up: tenants.api / accounts.api purge calls.
    ("system", "tenants"): "item 2 follow-up: tenants.api.update_settings",
    ("system", "tenant_cors_origins"): "item 2 follow-up: tenants.api.replace_cors_origins",
    ("system", "refresh_tokens"): "item 2 follow-up: accounts.api.purge_expired_tokens",
}


def _python_files() -> list[Path]:
    files = sorted((ROOT / "chalicelib").rglob("*.py")) + sorted((ROOT / "functions").glob("*.py"))
    return [*files, ROOT / "app.py"]


Found = dict[str, list[tuple[str, Statement]]]  # area → (file, statement)


def _sql_by_area() -> Found:
    found: Found = {}
    for path in sorted((ROOT / "chalicelib").rglob("*.py")):
        area = path.relative_to(ROOT / "chalicelib").parts[0]
        found.setdefault(area, []).extend((path.relative_to(ROOT).as_posix(), s) for s in statements(path.read_text()))
    return found


def table_offences(by_area: Found) -> tuple[dict[tuple[str, str], list[str]], list[str], dict[tuple[str, str], list[str]]]:
    """(writes of tables the area does not own, unresolved or unknown writes, reads of other areas' tables),
    each with the file:line it happens at."""
    foreign: dict[tuple[str, str], list[str]] = {}
    unclear: list[str] = []
    reads: dict[tuple[str, str], list[str]] = {}
    for area, found in by_area.items():
        for path, s in found:
            where = f"{path}:{s.line}"
            if s.unresolved:
                unclear.append(f"{where} writes a table named by an f-string field the scan cannot resolve")
            for table in sorted(s.writes):
                if table not in OWNERS:
                    unclear.append(f"{where} writes {table}, a table tables.OWNERS does not declare")
                elif OWNERS[table] != area:
                    foreign.setdefault((area, table), []).append(where)
            for table in sorted(s.reads & OWNERS.keys()):
                if OWNERS[table] != area:
                    reads.setdefault((area, table), []).append(where)
    return foreign, unclear, reads


# -- the import rule ---------------------------------------------------------------------------------
def test_areas_import_each_other_only_through_their_api():
    offences = []
    for path in _python_files():
        offences += import_offences(path.read_text(), module_name(path), is_package=path.name == "__init__.py")
    assert not offences, "import another area through its api.py only:\n" + "\n".join(offences)


def test_the_import_rule_reports_a_violation():
    bad = '''
from chalicelib.orders.repository import get_order
from chalicelib.orders import api as orders, lifecycle
from chalicelib.orders.api import Actor
from chalicelib import catalog
from ..cart import totals
from chalicelib.platform.db import UnitOfWork

def late():
    import chalicelib.catalog.service
    from chalicelib.engagement.reviews import erase_user_data
    from chalicelib.notifications import api
    importlib.import_module("chalicelib.cart.service")
'''
    found = import_offences(bad, "chalicelib.shipping.fake")
    assert [line.split(" imports ")[1] for line in found] == [
        "chalicelib.orders.repository.get_order", "chalicelib.orders.lifecycle", "chalicelib.catalog",
        "chalicelib.cart.totals", "chalicelib.catalog.service", "chalicelib.engagement.reviews.erase_user_data",
        "chalicelib.cart.service"], found
    assert found[0].startswith("chalicelib.shipping.fake:2 ")
    # The platform imports no area; the composition root only entry modules.
    assert import_offences("from chalicelib.orders.api import Actor\n", "chalicelib.platform.fake")
    assert not import_offences("from chalicelib.orders.routes import router\n"
                               "from chalicelib.accounts.profile_routes import router\n", "functions.fake")
    assert import_offences("from chalicelib.orders.service import get_order\n", "functions.fake")
    assert area_of("app") == area_of("functions.orders") == COMPOSITION_ROOT


# -- table ownership ---------------------------------------------------------------------------------
def migration_tables() -> set[str]:
    """Every table the migrations leave behind: created (0001's table(...) helper or CREATE
    TABLE in an upgrade), minus those an upgrade drops, following renames, in revision order."""
    tables: set[str] = set()
    for path in sorted((ROOT / "infra/migrations/versions").glob("*.py")):
        source = path.read_text()
        tables |= set(re.findall(r'^table\(\s*"(\w+)"', source, re.M))
        upgrade = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == "upgrade")
        body = ast.get_source_segment(source, upgrade) or ""
        tables |= set(re.findall(r"\bCREATE TABLE (?:IF NOT EXISTS )?`?(\w+)", body))
        tables -= set(re.findall(r"\bDROP TABLE (?:IF EXISTS )?`?(\w+)", body))
        for old, new in re.findall(r"\bRENAME TABLE `?(\w+)`? TO `?(\w+)", body):
            tables = (tables - {old}) | {new}
    return tables


def test_every_table_of_the_schema_has_one_declared_owner():
    tables = migration_tables()
    assert len(tables) > 60  # the parse found the schema
    assert not tables - OWNERS.keys(), f"declare an owner in chalicelib/platform/tables.py: {sorted(tables - OWNERS.keys())}"
    assert not OWNERS.keys() - tables, f"no such table in the migrations: {sorted(OWNERS.keys() - tables)}"
    owners = set(OWNERS.values())
    assert owners <= AREAS | PLANNED, f"unknown owning areas: {sorted(owners - AREAS - PLANNED)}"
    assert not PLANNED & AREAS, f"these areas exist now: remove them from tables.PLANNED: {sorted(PLANNED & AREAS)}"
    for table, readers in READ_MODELS.items():
        assert table in OWNERS, table
        assert set(readers) <= AREAS and OWNERS[table] not in readers, (table, readers)
        assert all(why.strip() for why in readers.values()), table


def test_only_the_owner_writes_a_table_and_other_areas_read_it_as_declared():
    foreign, unclear, reads = table_offences(_sql_by_area())
    assert not unclear, "\n".join(unclear)
    new = {key: where for key, where in foreign.items() if key not in KNOWN_VIOLATIONS}
    assert not new, "writes of a table another area owns (call the owner's api.py instead):\n" + "\n".join(
        f"{area} writes {table} ({OWNERS[table]}'s): {', '.join(where)}" for (area, table), where in sorted(new.items()))
    gone = sorted(KNOWN_VIOLATIONS.keys() - foreign.keys())
    assert not gone, f"fixed - remove from KNOWN_VIOLATIONS: {gone}"
    undeclared = {key: where for key, where in reads.items() if key[0] not in READ_MODELS.get(key[1], {})}
    assert not undeclared, "declare these reads in chalicelib/platform/tables.py READ_MODELS:\n" + "\n".join(
        f"{area} reads {table} ({OWNERS[table]}'s): {', '.join(where)}" for (area, table), where in sorted(undeclared.items()))
    stale = sorted((area, table) for table, readers in READ_MODELS.items() for area in readers
                   if (area, table) not in reads)
    assert not stale, f"no longer read - remove from READ_MODELS: {stale}"


def test_the_table_check_reports_a_violation():
    bad = '''
"""UPDATE orders SET status = 'x' - a docstring, not SQL."""
def work(uow, ids):
    uow.execute("UPDATE orders FORCE INDEX (PRIMARY) SET status = %s WHERE tenant_id = %s", ())
    uow.execute("INSERT INTO stock_movements (tenant_id) SELECT tenant_id FROM orders WHERE id = %s", ())
    uow.execute("""UPDATE return_items ri JOIN order_items oi ON oi.tenant_id = ri.tenant_id
                      SET oi.returned_quantity = oi.returned_quantity + ri.quantity WHERE ri.id = %s""", ())
    uow.execute("UPDATE returns r JOIN orders o ON o.id = r.order_id SET r.status = o.status", ())
    uow.execute("DELETE o FROM orders o JOIN returns r ON r.order_id = o.id WHERE r.id = %s", ())
    uow.execute("REPLACE INTO payments (id) VALUES (%s)", ())
    uow.execute("INSERT INTO returns (id) VALUES (%s) ON DUPLICATE KEY UPDATE id = id", ())
    uow.execute("SELECT id FROM return_items WHERE id = %s FOR UPDATE", ())
    for table in ("favorites", "returns"):
        uow.execute(f"DELETE FROM {table} WHERE tenant_id = %s", ())
    uow.execute(f"DELETE FROM {ids[0]} WHERE tenant_id = %s", ())
'''
    found = list(statements(bad))
    writes = [(s.line, sorted(s.writes)) for s in found if s.writes]
    assert writes == [(4, ["orders"]), (5, ["stock_movements"]), (6, ["order_items"]), (8, ["returns"]),
                      (9, ["orders"]), (10, ["payments"]), (11, ["returns"]), (14, ["favorites"]), (14, ["returns"])]
    foreign, unclear, reads = table_offences({"returns": [("bad.py", s) for s in found]})
    assert set(foreign) == {("returns", t) for t in ("orders", "stock_movements", "order_items", "payments",
                                                     "favorites")}
    assert foreign[("returns", "orders")] == ["bad.py:4", "bad.py:9"]
    assert unclear == ["bad.py:15 writes a table named by an f-string field the scan cannot resolve"]
    assert reads == {("returns", "orders"): ["bad.py:5", "bad.py:8"]}  # read there, not written
