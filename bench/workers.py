"""Throughput runs made of client processes (the wallet's transfers, the card payments): spawn
them, let each warm up and say it is ready, start them together, collect what each did, and add
up the CPU every component spent in the window.

A worker is `target(*args, ready, go, start_at, results)`: it puts its index on `ready` when it
can start, waits for `go`, runs from `start_at.value` for its seconds and puts one dict on
`results`: {"ok", "failures": {code: n}, "latencies_ms", "cpu_seconds", "finished", "error"}.
"""
from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass
class Run:
    collected: list[dict[str, Any]]
    wall: float  # seconds from the common start to the last worker's end
    cpu: dict[str, Any]  # CpuWatch.difference, with the client processes' own seconds added
    ok: int
    failures: dict[str, int]
    per_call_ms: dict[str, float]  # CPU ms per successful call, by component
    own_ms: float  # ours: client processes, MariaDB, Redis (the emulator and fakes run off the box in AWS)
    latencies_ms: list[float]


def run(name: str, target: Callable[..., None], worker_args: Sequence[tuple[Any, ...]], *, seconds: float,
        emulator_pid: int | None, extra_pids: dict[str, list[int]] | None = None,
        ready_timeout: float = 120, result_timeout: float = 120) -> Run:
    from .throughput import CpuWatch

    ctx = mp.get_context("spawn")
    ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    start_at = ctx.Value("d", 0.0)
    workers = [ctx.Process(target=target, args=(*args, ready, go, start_at, results), name=f"bench-{name}-{i}")
               for i, args in enumerate(worker_args)]
    for proc in workers:
        proc.start()
    collected: list[dict[str, Any]] = []
    try:
        for _ in workers:
            ready.get(timeout=ready_timeout)
        watch = CpuWatch(emulator_pid)
        watch.pids.update(extra_pids or {})
        start_at.value = time.time() + 0.2
        before = watch.sample()
        go.set()
        for _ in workers:
            collected.append(results.get(timeout=seconds + result_timeout))
        after = watch.sample()
    finally:
        for proc in workers:
            proc.join(timeout=30)
            if proc.is_alive():  # only our own children, by their handles
                proc.terminate()
                proc.join(timeout=10)
    errors = [r["error"] for r in collected if r["error"]]
    if errors:
        raise RuntimeError(f"{name}: worker failed: {errors[0]}")
    wall = max(r["finished"] for r in collected) - start_at.value
    cpu = CpuWatch.difference(before, after, wall)
    ok = sum(r["ok"] for r in collected)
    failures: dict[str, int] = {}
    for r in collected:
        for code, n in r["failures"].items():
            failures[code] = failures.get(code, 0) + n
    cpu["service_seconds"]["client_processes"] = round(sum(r["cpu_seconds"] for r in collected), 2)
    per = {k: round(v / ok * 1000, 3) for k, v in cpu["service_seconds"].items()} if ok else {}
    own_ms = sum(per.get(k, 0.0) for k in ("client_processes", "mariadb", "redis"))
    return Run(collected, wall, cpu, ok, failures, per, own_ms, [x for r in collected for x in r["latencies_ms"]])


def latency(values: list[float]) -> dict[str, float] | None:
    from .stats import percentile

    if not values:
        return None
    return {"p50": round(percentile(values, 50), 2), "p99": round(percentile(values, 99), 2), "max": round(max(values), 2)}
