"""Find the deployable functions by importing functions/*.py, each in a clean interpreter.

Nothing here is a hand-kept list: an API function is a module whose Chalice `app` serves
routes (read from `app.routes`, OPTIONS preflights included); an event function is a module
exposing `handler`, with its triggers read from its Chalice app's `event_sources` (schedules,
SQS queues, S3 bucket notifications).  A module with no trigger (migrate) is invoked by hand or by the pipeline.

Each module is imported in its own interpreter (cwd and PYTHONPATH = the repository root) so
route registries and blueprints of one function cannot leak into another's answer:

    python -m infra.functions            # prints what was found, as JSON
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent  # the repository; also where infra/ itself lives
PROBE_TIMEOUT_S = 120


class DiscoveryError(RuntimeError):
    pass


@dataclass(frozen=True)
class Schedule:
    name: str
    expression: str
    description: str


@dataclass(frozen=True)
class QueueSource:
    name: str
    queue: str
    batch_size: int
    window_s: int
    max_concurrency: int | None


@dataclass(frozen=True)
class BucketSource:
    name: str
    bucket: str  # short name, a key of infra/resources.py BUCKETS
    events: tuple[str, ...]
    prefix: str | None
    suffix: str | None


@dataclass(frozen=True)
class Function:
    name: str  # module name under functions/, e.g. "catalog", "purge_expired"
    routes: tuple[tuple[str, str], ...]  # (path, METHOD), sorted
    schedules: tuple[Schedule, ...]
    queues: tuple[QueueSource, ...]
    buckets: tuple[BucketSource, ...] = ()
    # WebSocket route keys ($connect, $default, $disconnect) its `handler` serves: the template
    # puts an API Gateway WebSocket API in front of it.
    websocket_routes: tuple[str, ...] = ()

    @property
    def is_async(self) -> bool:
        """Invoked asynchronously (by S3, or by EventBridge on a schedule): Lambda retries a failed
        event twice and then drops it, so failed events need a dead-letter queue of their own."""
        return bool(self.buckets or self.schedules)

    @property
    def is_api(self) -> bool:
        return bool(self.routes)

    @property
    def handler(self) -> str:
        return f"functions/{self.name}.{'app' if self.is_api else 'handler'}"


def module_names(root: Path = ROOT) -> list[str]:
    return sorted(p.stem for p in (root / "functions").glob("*.py") if p.stem != "__init__")


def discover(root: Path = ROOT) -> list[Function]:
    names = module_names(root)
    if not names:
        raise DiscoveryError(f"no function modules under {root / 'functions'}")
    with ThreadPoolExecutor(max_workers=min(8, len(names))) as pool:
        reports = list(pool.map(lambda name: run_probe(f"functions.{name}", root), names))
    return [_to_function(name, report) for name, report in zip(names, reports, strict=True)]


def run_probe(module: str, root: Path = ROOT) -> dict[str, Any]:
    """Import `module` in a fresh interpreter and describe its Chalice app (see `probe`).

    A fresh interpreter each time is not only hygiene: Chalice consumes a blueprint's route
    options when registering it, so one process cannot import app.py and a functions/ module
    (or two modules sharing a blueprint) without the second app's routes coming out wrong.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    # The functions come from `root`; the probe (this module) from wherever infra/ lives.
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys([str(root), str(ROOT)]))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # Settings are read while modules import (the logger's level), and a production STAGE
    # without its secrets refuses to load: describe the code, not this shell's environment.
    env["STAGE"] = "build"
    proc = subprocess.run(
        [sys.executable, "-m", "infra.functions", "--probe", module],
        cwd=root, env=env, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, check=False,
    )
    if proc.returncode != 0:
        raise DiscoveryError(f"importing {module} failed:\n{proc.stderr.strip()}")
    report: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return report


def _to_function(name: str, report: dict[str, Any]) -> Function:
    where = f"functions/{name}.py"
    if report["unsupported"]:
        raise DiscoveryError(f"{where}: no template support yet for {', '.join(report['unsupported'])}")
    routes = tuple(sorted((path, method) for path, method in report["routes"]))
    sources = report["sources"]
    if routes and (report["has_handler"] or sources):
        raise DiscoveryError(f"{where} serves routes and also has event handlers: one Lambda, one entry point")
    websocket_routes = tuple(report.get("websocket_routes", ()))
    if websocket_routes and (routes or sources or not report["has_handler"]):
        raise DiscoveryError(f"{where}: a WebSocket function serves only its routes, through `handler`")
    if not routes and not report["has_handler"]:
        raise DiscoveryError(f"{where} has neither routes on `app` nor a `handler`")
    for source in sources:
        if not source["is_handler"]:
            raise DiscoveryError(
                f"{where}: event source {source['name']!r} is not handled by the module's `handler`; "
                "give it a functions/ module of its own"
            )
    return Function(
        name=name,
        routes=routes,
        schedules=tuple(
            Schedule(s["name"], s["expression"], s["description"]) for s in sources if s["type"] == "schedule"
        ),
        queues=tuple(
            QueueSource(s["name"], s["queue"], s["batch_size"], s["window_s"], s["max_concurrency"])
            for s in sources
            if s["type"] == "sqs"
        ),
        buckets=tuple(
            BucketSource(s["name"], s["bucket"], tuple(s["events"]), s["prefix"], s["suffix"])
            for s in sources
            if s["type"] == "s3"
        ),
        websocket_routes=websocket_routes,
    )


# -- runs inside the probe interpreter --------------------------------------------------------
def _describe_source(source: Any) -> dict[str, Any]:
    from chalice.app import S3EventConfig, ScheduledEventConfig, SQSEventConfig

    if isinstance(source, ScheduledEventConfig):
        expression = source.schedule_expression
        return {
            "type": "schedule",
            "expression": expression if isinstance(expression, str) else expression.to_string(),
            "description": source.description or "",
        }
    if isinstance(source, SQSEventConfig):
        if source.queue is None:
            raise DiscoveryError(f"{source.name}: name the queue (queue=...), not its ARN; see infra/resources.py")
        return {
            "type": "sqs",
            "queue": source.queue,
            "batch_size": source.batch_size,
            "window_s": source.maximum_batching_window_in_seconds,
            "max_concurrency": source.maximum_concurrency,
        }
    if isinstance(source, S3EventConfig):
        if ":" in source.bucket or "." in source.bucket:
            raise DiscoveryError(f"{source.name}: name the bucket by its short name (infra/resources.py BUCKETS)")
        return {
            "type": "s3",
            "bucket": source.bucket,
            "events": list(source.events),
            "prefix": source.prefix,
            "suffix": source.suffix,
        }
    return {"type": type(source).__name__}


def probe(module_name: str) -> dict[str, Any]:
    import importlib

    module = importlib.import_module(module_name)
    app = getattr(module, "app", None)
    handler = getattr(module, "handler", None)
    report: dict[str, Any] = {"routes": [], "sources": [], "has_handler": callable(handler), "unsupported": []}
    if app is None:
        return report
    report["routes"] = [[path, method] for path, methods in app.routes.items() for method in methods]
    for source in app.event_sources:
        described = _describe_source(source)
        if described["type"] not in ("schedule", "sqs", "s3"):
            report["unsupported"].append(f"event source {described['type']}")
            continue
        described["name"] = source.name
        described["is_handler"] = handler is not None and app.handler_map.get(source.name) is handler
        report["sources"].append(described)
    if app.pure_lambda_functions:
        report["unsupported"].append("@app.lambda_function")
    report["websocket_routes"] = sorted(app.websocket_handlers)
    if app.builtin_auth_handlers:
        report["unsupported"].append("Chalice authorizers")
    return report


def main(argv: list[str]) -> int:
    if argv[:1] == ["--probe"]:
        print(json.dumps(probe(argv[1])))
        return 0
    for fn in discover():
        described = {
            "handler": fn.handler,
            "routes": [f"{method} {path}" for path, method in fn.routes],
            "schedules": [s.__dict__ for s in fn.schedules],
            "queues": [q.__dict__ for q in fn.queues],
            "buckets": [b.__dict__ for b in fn.buckets],
        }
        print(fn.name, json.dumps(described))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
