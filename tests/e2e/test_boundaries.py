"""Area boundaries (issue 10 items 1 and 2, ARCHITECTURE.md "Areas meet at one door").

The import rule.  A module of an area (chalicelib/<area>/...) may import its own area, the shared
platform and adapters (chalicelib/platform, chalicelib/adapters), and of another area only its
published interface, `chalicelib.<area>.api` - at module level and inside functions alike.  The
platform and the adapters import no area at all.  The composition root (app.py and
functions/*.py, the deployed entry modules) assembles the areas, so it may import their entry
modules - routes.py, *_routes.py, handlers.py, *_handlers.py, events.py (a queue consumer), relay.py - and
nothing else of an area.  Tests and infra/ (build and local tooling) are outside the rule.

Table ownership.  chalicelib/platform/tables.py declares every table's owning area and the other
areas' declared reads.  An area's SQL writes only the tables it owns, and reads another area's
table only as a declared read model.  Columns can be owned too (tables.COLUMN_OWNERS: the
inventory's stock figures on the catalogue's rows): a write that assigns an owned column is its
owner's to make, any other write of the table the table owner's.  The writes that break the
rule today are listed in KNOWN_VIOLATIONS with the issue item that removes each; anything new
fails, and an entry whose write is gone fails too, so the list only shrinks.

Each checker is also fed a bad example, so a rule that silently stopped finding anything fails.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

from chalicelib.platform.tables import COLUMN_OWNERS, OWNERS, PLANNED, READ_MODELS, WHOLE_DATABASE
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

# (area, table or "table.column") → why it still writes a table (or an owned column of one) it
# does not own, and what removes it.
KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {
}


def _python_files() -> list[Path]:
    files = sorted((ROOT / "chalicelib").rglob("*.py")) + sorted((ROOT / "functions").glob("*.py"))
    return [*files, ROOT / "app.py"]


Found = dict[str, list[tuple[str, Statement]]]  # area → (file, statement)


def _sql_by_area() -> Found:
    found: Found = {}
    for path in sorted((ROOT / "chalicelib").rglob("*.py")):
        area = path.relative_to(ROOT / "chalicelib").parts[0]
        if area in WHOLE_DATABASE:  # copies every table by design (tables.WHOLE_DATABASE)
            continue
        found.setdefault(area, []).extend((path.relative_to(ROOT).as_posix(), s) for s in statements(path.read_text()))
    return found


def owner(target: str) -> str:
    """The owning area of a table, or of a "table.column" that tables.COLUMN_OWNERS declares."""
    table, _, column = target.partition(".")
    return COLUMN_OWNERS[(table, column)] if column else OWNERS[table]


def table_offences(by_area: Found) -> tuple[dict[tuple[str, str], list[str]], list[str], dict[tuple[str, str], list[str]]]:
    """(writes of tables - or of owned columns, keyed "table.column" - the area does not own, unresolved
    or unknown writes, reads of other areas' tables), each with the file:line it happens at.  A write
    that assigns a column of COLUMN_OWNERS is judged by that column's owner; any other write of the
    table by the table's owner."""
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
                    continue
                owned = sorted(c for t, c in s.columns if t == table and (t, c) in COLUMN_OWNERS)
                for target in [f"{table}.{c}" for c in owned] or [table]:
                    if owner(target) != area:
                        foreign.setdefault((area, target), []).append(where)
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
from chalicelib.orders import api as orders, states
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
        "chalicelib.orders.repository.get_order", "chalicelib.orders.states", "chalicelib.catalog",
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
        f"{area} writes {target} ({owner(target)}'s): {', '.join(where)}" for (area, target), where in sorted(new.items()))
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


def test_every_owned_column_is_declared_on_a_real_column_of_another_areas_table():
    schema = "\n".join(p.read_text() for p in sorted((ROOT / "infra/migrations/versions").glob("*.py")))
    assert COLUMN_OWNERS
    for (table, column), area in COLUMN_OWNERS.items():
        assert table in OWNERS and area != OWNERS[table], (table, column)
        assert area in AREAS | PLANNED, (table, column, area)
        block = re.search(rf'^table\(\s*"{table}",(.*?)^\)', schema, re.M | re.S)
        assert (block and re.search(rf'"{column} ', block.group(1))) or \
            re.search(rf"ADD COLUMN `?{column}`? ", schema), f"no column {table}.{column} in the migrations"


def test_the_column_check_reports_a_violation():
    """An owned column (products.total_stock, product_variations.stock / reserved: the inventory's)
    written by the table's owner is a violation; the owner's writes of other columns, and the
    column owner's writes of its columns, are not."""
    bad = '''
def work(uow):
    uow.execute("UPDATE product_variations FORCE INDEX (PRIMARY) SET stock = stock + %s, version = version + 1", ())
    uow.execute("UPDATE product_variations SET name = %s, version = version + 1 WHERE id = %s", ())
    uow.execute("""INSERT INTO product_variations (tenant_id, product_id, sku, `reserved`)
                   VALUES (%s, %s, %s, %s)""", ())
    uow.execute("INSERT INTO product_variations (tenant_id, product_id, sku) VALUES (%s, %s, %s)", ())
    uow.execute("UPDATE products p JOIN brands b ON b.id = p.brand_id SET p.total_stock = 0, b.name = %s", ())
    uow.execute(f"UPDATE products {BY_ID} SET {clause} WHERE tenant_id = %s AND id = %s", ())
'''
    found = [("bad.py", s) for s in statements(bad)]
    foreign, unclear, _ = table_offences({"catalog_admin": found})
    assert foreign == {("catalog_admin", "product_variations.stock"): ["bad.py:3"],
                       ("catalog_admin", "product_variations.reserved"): ["bad.py:5"],
                       ("catalog_admin", "products.total_stock"): ["bad.py:8"]}
    assert not unclear
    # The same statements made by the inventory: its columns are its to write, the catalogue's are not.
    foreign, _, _ = table_offences({"inventory": found})
    assert foreign == {("inventory", "product_variations"): ["bad.py:4", "bad.py:7"],
                       ("inventory", "brands"): ["bad.py:8"], ("inventory", "products"): ["bad.py:9"]}
    assert owner("products.total_stock") == "inventory" and owner("products") == "catalog_admin"
