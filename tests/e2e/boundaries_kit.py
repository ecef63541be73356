"""The checkers behind tests/e2e/test_boundaries.py: who imports what, and which SQL writes and
reads which table.  Pure functions of source text, so the tests can feed them bad examples.

Imports are read with `ast`, at module level and inside functions alike (a lazy import is still
a dependency), including `importlib.import_module("...")` with a literal name.  SQL is every
string constant or f-string outside docstrings (our SQL keywords are upper case, which keeps
prose out); a table name given by an f-string field is resolved through the `for name in
("a", "b")` loop around it, and reported as unresolved otherwise.  The columns a write assigns
(an UPDATE's SET, an INSERT's column list) are read too, for the tables whose columns another
area owns; a column named by an f-string field (`SET {clause}`) is not seen.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = frozenset({"platform", "adapters"})  # anyone may import them; they import no area
COMPOSITION_ROOT = "composition root"  # app.py and functions/*.py: they assemble the areas
ENTRY_MODULES = frozenset({"routes", "handlers", "events", "relay"})  # plus any *_routes, *_handlers


# -- imports ---------------------------------------------------------------------------------------
def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def area_of(module: str) -> str | None:
    """'chalicelib.orders.states' → 'orders'; app / functions.* → the composition root."""
    parts = module.split(".")
    if parts[0] == "chalicelib" and len(parts) > 1:
        return parts[1]
    if parts[0] in ("app", "functions"):
        return COMPOSITION_ROOT
    return None


def imported_modules(source: str, module: str, *, is_package: bool = False) -> Iterator[tuple[int, str]]:
    """(line, dotted target) of every import in `source`, at any depth.  For `from a.b import c`
    the target is `a.b.c` (c may be a submodule: `from chalicelib.orders import states`)."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            for alias in node.names:
                yield node.lineno, base if alias.name == "*" else f"{base}.{alias.name}"
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str) and _is_dynamic_import(node.func)):
            yield node.lineno, node.args[0].value


def _is_dynamic_import(func: ast.expr) -> bool:
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name in ("import_module", "__import__")


def import_offences(source: str, module: str, *, is_package: bool = False) -> list[str]:
    """What `module` imports that the rule forbids (see test_boundaries.py), as readable lines."""
    own = area_of(module)
    found = []
    for line, target in sorted(imported_modules(source, module, is_package=is_package)):
        parts = target.split(".")
        if parts[0] != "chalicelib" or len(parts) < 2 or parts[1] in SHARED or parts[1] == own:
            continue
        if not _allowed(own, parts):
            found.append(f"{module}:{line} imports {target}")
    return found


def _allowed(own: str | None, parts: list[str]) -> bool:
    if own in SHARED:
        return False  # the platform and the adapters import no area, not even its api
    if own == COMPOSITION_ROOT:
        entry = parts[2] if len(parts) > 2 else ""
        return len(parts) <= 4 and (entry in ENTRY_MODULES or entry.endswith(("_routes", "_handlers")))
    return len(parts) in (3, 4) and parts[2] == "api"  # the module, or a name from it


# -- SQL -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Statement:
    line: int
    writes: frozenset[str]
    reads: frozenset[str]
    unresolved: bool  # a written table the scan could not name (a field of an f-string)
    columns: frozenset[tuple[str, str]] = frozenset()  # (table, column) a write assigns


_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
_TABLE = r"`?(\w+|\{[^{}]*\})`?"
_INSERT = re.compile(r"\b(?:INSERT|REPLACE)\s+(?:(?:LOW_PRIORITY|DELAYED|HIGH_PRIORITY|IGNORE)\s+)*(?:INTO\s+)?" + _TABLE)
_COLUMN_LIST = re.compile(r"\s*\(([^()]*)\)")  # right after an INSERT's table
_ASSIGNMENT = re.compile(r"\s*(?:`?(\w+)`?\.)?`?(\w+)`?\s*=")
_UPDATE = re.compile(r"(?<!KEY\s)(?<!FOR\s)\bUPDATE\s+(?:(?:LOW_PRIORITY|IGNORE)\s+)*(.+?)\bSET\b(.*)", re.S)
_DELETE = re.compile(r"\bDELETE\s+(?:(?:LOW_PRIORITY|QUICK|IGNORE)\s+)*(.*?)\bFROM\s+(.*)", re.S)
_READ = re.compile(r"\b(?:FROM|JOIN)\s+`?(\w+)")
_SQL_START = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|REPLACE)\b")
_CLAUSE_END = re.compile(r"\b(WHERE|ORDER BY|LIMIT|USING|ON DUPLICATE)\b")
_SUBQUERY = "__subquery__"
_HINT = re.compile(r"\b(?:FORCE|USE|IGNORE)\s+(?:INDEX|KEY)\s*\([^)]*\)")


def statements(source: str) -> Iterator[Statement]:
    for line, text in _sql_texts(ast.parse(source)):
        if _SQL_START.search(text) or _READ.search(text):  # a fragment ("FROM a JOIN b") reads too
            writes, unresolved = _written(text)
            yield Statement(line, frozenset(writes), frozenset(set(_READ.findall(text)) - writes), unresolved,
                            frozenset(_assigned(text)))


def _written(sql: str) -> tuple[set[str], bool]:
    tables: set[str] = set()
    for match in _INSERT.finditer(sql):
        tables.add(match.group(1))
    update = _UPDATE.search(sql)
    if update:
        tables |= _targets(update.group(1), _qualifiers(update.group(2)))
    delete = _DELETE.search(sql)
    if delete:
        named = {name.strip() for name in delete.group(1).split(",") if name.strip()}
        tables |= _targets(delete.group(2), named) if named else {_first_table(delete.group(2))}
    unresolved = {t for t in tables if _PLACEHOLDER.fullmatch(t)}
    return tables - unresolved, bool(unresolved)


def _assigned(sql: str) -> set[tuple[str, str]]:
    """(table, column) of every column an INSERT / REPLACE names or an UPDATE's SET assigns; an
    unqualified SET column of a multi-table UPDATE counts for each of its tables."""
    found: set[tuple[str, str]] = set()
    for match in _INSERT.finditer(sql):
        names = _COLUMN_LIST.match(sql, match.end())
        if names:
            found |= {(match.group(1), c.strip(" `\n")) for c in names.group(1).split(",")
                      if re.fullmatch(r"\w+", c.strip(" `\n"))}
    update = _UPDATE.search(sql)
    if update:
        aliases = _aliases(update.group(1))
        for chunk in _CLAUSE_END.split(_flat(update.group(2)))[0].split(","):
            assignment = _ASSIGNMENT.match(chunk)
            if assignment:
                qualifier, column = assignment.groups()
                tables = {aliases.get(qualifier, qualifier)} if qualifier else set(aliases.values())
                found |= {(table, column) for table in tables}
    return found


def _flat(sql: str) -> str:
    """`sql` without index hints, each parenthesised part (a subquery, a function's arguments)
    replaced by one _SUBQUERY word."""
    depth, out = 0, []
    for ch in _HINT.sub(" ", sql):
        depth += ch == "("
        if depth == 0:
            out.append(ch)
        depth -= ch == ")"
        if depth == 0 and ch == ")":
            out.append(f" {_SUBQUERY} ")
    return "".join(out)


def _first_table(refs: str) -> str:
    match = re.match(r"\s*" + _TABLE, refs)
    return match.group(1) if match else "{unreadable}"  # reported as unresolved


def _aliases(refs: str) -> dict[str, str]:
    """alias (and name) → table for `t [AS] a [JOIN u b ON ...]` / `t a, u b`."""
    refs = _CLAUSE_END.split(_flat(refs))[0]
    found: dict[str, str] = {}
    for chunk in re.split(r"\bJOIN\b|,", refs):
        words = [w for w in re.findall(r"`?(\w+|\{[^{}]*\})`?", re.split(r"\bON\b", chunk)[0])
                 if w not in ("AS", "LEFT", "RIGHT", "INNER", "OUTER", "CROSS", "STRAIGHT_JOIN")]
        if not words or words[0] == _SUBQUERY:
            continue  # a derived table: read, never written
        table = words[0]
        found[table] = table
        alias = next((w for w in words[1:] if not _PLACEHOLDER.fullmatch(w)), None)
        if alias:
            found[alias] = table
    return found


def _targets(refs: str, named: set[str]) -> set[str]:
    aliases = _aliases(refs)
    tables = set(aliases.values())
    if not named:
        return tables  # unqualified SET columns: every table of the statement counts
    return {aliases.get(n, n) for n in named}


def _qualifiers(assignments: str) -> set[str]:
    assignments = _CLAUSE_END.split(_flat(assignments))[0]
    return set(re.findall(r"(?:^|,)\s*`?(\w+)`?\.`?\w+`?\s*=", assignments))


def _sql_texts(tree: ast.AST) -> Iterator[tuple[int, str]]:
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    yield from _Strings(docstrings).collect(tree)


class _Strings(ast.NodeVisitor):
    """String constants and f-strings, with `for name in ("a", "b")` loop values substituted."""

    def __init__(self, skip: set[int]) -> None:
        self.skip = skip
        self.loops: list[dict[str, tuple[str, ...]]] = [{}]
        self.found: list[tuple[int, str]] = []

    def collect(self, tree: ast.AST) -> list[tuple[int, str]]:
        self.visit(tree)
        return self.found

    def visit_For(self, node: ast.For) -> None:
        items = node.iter.elts if isinstance(node.iter, (ast.Tuple, ast.List, ast.Set)) else []
        values = tuple(v.value for v in items if isinstance(v, ast.Constant) and isinstance(v.value, str))
        bound = dict(self.loops[-1])
        if isinstance(node.target, ast.Name) and values and len(values) == len(items):
            bound[node.target.id] = values
        self.loops.append(bound)
        self.generic_visit(node)
        self.loops.pop()

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and id(node) not in self.skip:
            self.found.append((node.lineno, node.value))

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        texts = [""]
        for part in node.values:
            if isinstance(part, ast.Constant):
                texts = [t + str(part.value) for t in texts]
            elif isinstance(part, ast.FormattedValue):
                name = part.value.id if isinstance(part.value, ast.Name) else None
                options = self.loops[-1].get(name or "") or ("{%s}" % (name or ""),)
                texts = [t + option for t in texts for option in options]
        self.found.extend((node.lineno, text) for text in texts)
