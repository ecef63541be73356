"""Cold start of every deployed function (`functions/*.py`), measured in fresh interpreters.

For each function, N children run:
  * timed:  `import functions.<name>` (perf_counter_ns around the import) and then one first
    invocation (a request with a valid API key, the scheduled event, or the migration), and
  * `python -X importtime -c "import functions.<name>"`, whose cumulative times name the
    slowest modules.
Medians of N are reported.  Import time is what the architecture budgets (300 ms per API
function); the first invocation adds what the handler imports lazily (redis, PyJWT, boto3...)
plus the first connections.

The children inherit the bench environment (DATABASE_URL, REDIS_URL, AWS_ENDPOINT_URL), run
from the repository root with the same interpreter, and find .pyc files already compiled and
the files in the OS page cache: a new Lambda container reading a fresh package is slower.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .stats import median

REPO_ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = REPO_ROOT / "functions"
IMPORT_BUDGET_MS = 300.0
PROJECT_PACKAGES = ("functions", "chalicelib", "infra", "bench", "app")
RESULT_MARK = "BENCH_RESULT "

# Runs in the child: stdlib only before the measured import.
_CHILD = r"""
import json, sys, time
spec = json.loads(sys.argv[1])
before = set(sys.modules)
t0 = time.perf_counter_ns()
import importlib
module = importlib.import_module(spec["module"])
t1 = time.perf_counter_ns()
out = {"import_ns": t1 - t0, "modules_imported": len(set(sys.modules) - before)}
call = spec.get("call")
if call:
    loaded = set(sys.modules)
    target = getattr(module, call["attr"])
    t2 = time.perf_counter_ns()
    response = target(call["event"], None) if call.get("event") is not None else target()
    t3 = time.perf_counter_ns()
    out["first_call_ns"] = t3 - t2
    out["status"] = response.get("statusCode") if isinstance(response, dict) else None
    before_roots = {m.split(".")[0] for m in loaded}
    new_modules = set(sys.modules) - loaded
    out["first_call_new_modules"] = len(new_modules)
    out["first_call_new_packages"] = sorted(
        r for r in {m.split(".")[0] for m in new_modules} - before_roots if not r.startswith("_"))
print("\n__MARK__" + json.dumps(out), flush=True)
""".replace("__MARK__", RESULT_MARK)


@dataclass(frozen=True)
class FirstCall:
    """How to invoke a function once: attribute of the module, event, expected status."""

    attr: str
    event: dict[str, Any] | None
    describe: str
    expect: int | None = 200


def function_names() -> list[str]:
    return sorted(p.stem for p in FUNCTIONS_DIR.glob("*.py") if p.stem != "__init__")


def is_api_function(name: str) -> bool:
    """An API function builds a Chalice app with HTTP routes (imported here, in the parent)."""
    import importlib

    module = importlib.import_module(f"functions.{name}")
    app = getattr(module, "app", None)
    return bool(getattr(app, "routes", None))


# -- -X importtime parsing -------------------------------------------------------------------------
@dataclass
class ImportLine:
    name: str
    self_us: int
    cumulative_us: int
    depth: int
    parent: str | None = None


def parse_importtime(stderr: str) -> list[ImportLine]:
    """Parse `-X importtime` output and attach each module to the module that imported it
    (children are printed before their parent, one indentation level deeper)."""
    lines: list[ImportLine] = []
    for raw in stderr.splitlines():
        if not raw.startswith("import time:"):
            continue
        parts = raw[len("import time:"):].split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue  # the header line
        name_field = parts[2].rstrip()
        stripped = name_field.lstrip()
        depth = (len(name_field) - len(stripped) - 1) // 2
        lines.append(ImportLine(stripped, int(parts[0]), int(parts[1]), depth))
    stack: list[ImportLine] = []
    for line in lines:
        while stack and stack[-1].depth > line.depth:
            stack.pop().parent = line.name
        stack.append(line)
    return lines


def subtree(lines: list[ImportLine], roots: set[str]) -> list[ImportLine]:
    """Only the lines imported (transitively) by one of `roots`: drops interpreter start-up
    imports (site, encodings, .pth hooks) that every Python process pays anyway."""
    parents = {ln.name: ln.parent for ln in lines}

    def root_of(name: str) -> str:
        seen = 0
        while parents.get(name) is not None and seen < 1000:
            name = parents[name]  # type: ignore[assignment]
            seen += 1
        return name

    return [ln for ln in lines if root_of(ln.name) in roots]


def _is_project(name: str) -> bool:
    return name.split(".")[0] in PROJECT_PACKAGES


def boundary_imports(lines: Iterable[ImportLine]) -> dict[str, tuple[int, str | None]]:
    """Modules outside the project imported directly by project code (or at top level), with
    their cumulative time: what each third-party / stdlib dependency costs the function."""
    out: dict[str, tuple[int, str | None]] = {}
    for line in lines:
        if _is_project(line.name):
            continue
        if line.parent is None or _is_project(line.parent):
            out[line.name] = (line.cumulative_us, line.parent)
    return out


def _top(runs: list[dict[str, tuple[int, str | None]]], count: int) -> list[dict[str, Any]]:
    names = {n for run in runs for n in run}
    ranked = []
    for name in names:
        values = [run[name][0] for run in runs if name in run]
        parent = next((run[name][1] for run in runs if name in run), None)
        ranked.append((median(values), name, parent))
    ranked.sort(reverse=True)
    return [{"module": n, "cumulative_ms": round(v / 1000, 1), "imported_by": p} for v, n, p in ranked[:count]]


# -- children ------------------------------------------------------------------------------------
def _run(args: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603


def timed_child(name: str, call: FirstCall | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"module": f"functions.{name}"}
    if call is not None:
        spec["call"] = {"attr": call.attr, "event": call.event}
    started = time.perf_counter_ns()
    proc = _run([sys.executable, "-c", _CHILD, json.dumps(spec)])
    wall_ns = time.perf_counter_ns() - started
    marked = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_MARK)]
    if proc.returncode != 0 or not marked:
        raise RuntimeError(f"cold-start child for {name} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(marked[-1][len(RESULT_MARK):])
    result["process_wall_ns"] = wall_ns
    return result


def importtime_child(name: str) -> list[ImportLine]:
    proc = _run([sys.executable, "-X", "importtime", "-c", f"import functions.{name}"])
    if proc.returncode != 0:
        raise RuntimeError(f"importtime child for {name} failed: {proc.stderr[-2000:]}")
    return parse_importtime(proc.stderr)


def summarize_function(name: str, call: FirstCall | None, api: bool, timed: list[dict[str, Any]],
                       raw_traces: list[list[ImportLine]]) -> dict[str, Any]:
    runs = len(timed)
    roots = {"functions", f"functions.{name}"}
    traces = [subtree(trace, roots) for trace in raw_traces]
    import_ms = [t["import_ns"] / 1e6 for t in timed]
    totals = [next((ln.cumulative_us for ln in trace if ln.name == f"functions.{name}"), 0) / 1000
              for trace in traces]
    selfs: list[dict[str, tuple[int, str | None]]] = [
        {ln.name: (ln.self_us, ln.parent) for ln in trace} for trace in traces
    ]
    result: dict[str, Any] = {
        "api": api,
        "runs": runs,
        "import_ms": round(median(import_ms), 1),
        "import_ms_min": round(min(import_ms), 1),
        "import_ms_max": round(max(import_ms), 1),
        "importtime_total_ms": round(median(totals), 1),
        "modules_imported": int(median([t["modules_imported"] for t in timed])),
        "process_wall_ms": round(median([t["process_wall_ns"] / 1e6 for t in timed]), 1),
        "top_modules": _top([boundary_imports(trace) for trace in traces], 5),
        "top_self": [{"module": m["module"], "self_ms": m["cumulative_ms"], "imported_by": m["imported_by"]}
                     for m in _top(selfs, 5)],
        "first_call": None,
        "meets_import_target": (median(import_ms) < IMPORT_BUDGET_MS) if api else None,
    }
    if call is not None:
        statuses = {t.get("status") for t in timed}
        first = [t["first_call_ns"] / 1e6 for t in timed]
        both = [(t["import_ns"] + t["first_call_ns"]) / 1e6 for t in timed]
        result["first_call"] = {
            "request": call.describe,
            "status": sorted(statuses, key=str),
            "ok": call.expect is None or statuses == {call.expect},
            "first_call_ms": round(median(first), 1),
            "import_plus_first_call_ms": round(median(both), 1),
            # Top-level packages the first call loaded that the import had not (lazy imports).
            "new_packages": timed[0].get("first_call_new_packages", []),
            "new_modules": timed[0].get("first_call_new_modules"),
        }
    return result


def measure_all(first_calls: dict[str, FirstCall | None], runs: int,
                progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Children run round-robin (run 1 of every function, then run 2, ...) so a burst of
    background load on this shared machine spreads over all functions instead of one."""
    names = function_names()
    timed: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    traces: dict[str, list[list[ImportLine]]] = {n: [] for n in names}
    for run in range(runs):
        if progress:
            progress(f"cold start: round {run + 1}/{runs} over {len(names)} functions ...")
        for name in names:
            timed[name].append(timed_child(name, first_calls.get(name)))
            traces[name].append(importtime_child(name))
    out: dict[str, Any] = {}
    for name in names:
        out[name] = summarize_function(name, first_calls.get(name), is_api_function(name), timed[name], traces[name])
        if name not in first_calls:
            out[name]["note"] = "no first invocation defined: add one to bench.run.first_calls()"
    return out
