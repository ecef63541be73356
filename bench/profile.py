"""Where a case's time goes: python -m bench.profile --case checkout [--n 300] [--cprofile 25] [--json PATH]

Runs a registered case (bench/cases.py) in this process the way bench.run does (warm-up, then
timed calls), with the bench process's own clocks on the boundaries the request crosses:

    every SQL statement (Session._run / executemany), grouped by its first words, plus BEGIN
    and COMMIT (a round trip each; COMMIT waits for the redo-log flush)
    Redis commands (redis.Redis.execute_command)
    SQS publishes by the outbox after the commit (platform.outbox._publish)

and reports, per call: wall time, this process's CPU time, and the share of each boundary (the
rest is Python: pipeline, pydantic, serialisation, logging).  With --cprofile N the measured
calls also run under cProfile (on this process's CPU clock) and the N functions with the most
cumulative CPU time are printed.

Instrumentation is installed only in this process and only by this tool: wrappers add a few
microseconds per statement, so its totals read slightly above bench.run's.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .environment import AwsEmulator, configure_process_env, log, prepare, quiet_stdout

_WORDS = re.compile(r"\s+")


class Clocks:
    def __init__(self) -> None:
        self.active = False
        self.totals: dict[str, float] = defaultdict(float)
        self.counts: dict[str, int] = defaultdict(int)
        # MariaDB's CPU per SQL boundary: the server thread serving the writer connection
        # (/proc/<pid>/task/<tid>/schedstat, nanoseconds on CPU), read around each statement.
        self.thread: str | None = None
        self.server: dict[str, float] = defaultdict(float)

    def add(self, key: str, seconds: float) -> None:
        if self.active:
            self.totals[key] += seconds
            self.counts[key] += 1

    def server_ns(self) -> int | None:
        if not self.active or self.thread is None:
            return None
        try:
            with open(f"/proc/{self.thread}/schedstat", encoding="ascii") as fh:
                return int(fh.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None


def _label(sql: str) -> str:
    """A statement's verb and table, enough to tell them apart: 'UPDATE product_variations'."""
    words = _WORDS.sub(" ", sql.strip()).split(" ")
    verb = words[0].upper()
    if verb in ("UPDATE", "INSERT", "REPLACE"):
        table = words[2] if len(words) > 2 and words[1].upper() == "INTO" else words[1] if len(words) > 1 else ""
        return f"{verb} {table}"[:70]
    depth = 0
    for i, word in enumerate(words[:-1]):
        if word.upper() == "FROM" and depth == 0:  # the statement's own FROM, not a subquery's
            return f"{verb} … FROM {words[i + 1]}"[:70]
        depth += word.count("(") - word.count(")")
    return " ".join(words[:3])[:70]


def _wrap(owner: Any, name: str, key: Callable[..., str], clocks: Clocks, *, sql: bool = False) -> None:
    original = getattr(owner, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        server = clocks.server_ns() if sql else None
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            label = key(*args, **kwargs)
            clocks.add(label, time.perf_counter() - started)
            if server is not None:
                after = clocks.server_ns()
                if after is not None:
                    clocks.server[label] += (after - server) / 1e9

    setattr(owner, name, timed)


def instrument(clocks: Clocks) -> None:
    import pymysql.connections
    import redis

    from chalicelib.platform import db, outbox

    _wrap(db.Session, "_run", lambda self, sql, params=None: "sql: " + _label(sql), clocks, sql=True)
    _wrap(db.Session, "executemany", lambda self, sql, rows: "sql: " + _label(sql) + " (many)", clocks, sql=True)
    _wrap(pymysql.connections.Connection, "begin", lambda self: "sql: BEGIN", clocks, sql=True)
    _wrap(pymysql.connections.Connection, "commit", lambda self: "sql: COMMIT", clocks, sql=True)
    _wrap(redis.Redis, "execute_command", lambda self, *a, **k: f"redis: {a[0]}", clocks)
    _wrap(outbox, "_publish", lambda events: "sqs: outbox publish (SendMessageBatch)", clocks)


def profile_case(name: str, n: int, warmup: int, cprofile_top: int, sort: str = "cumulative") -> dict[str, Any]:
    from .cases import CASES

    case = CASES[name]
    env = prepare(quick=True, progress=log)
    plan = case.build(env)
    clocks = Clocks()
    instrument(clocks)

    def call() -> None:
        event = plan.next_event()
        response = plan.app(event, None)
        if response.get("statusCode") != plan.expect:
            raise RuntimeError(f"{name}: status {response.get('statusCode')}: {str(response.get('body'))[:300]}")
        if plan.after is not None:
            plan.after(response)

    for _ in range(warmup):
        call()
    from .checkout_cost import _connection_thread
    from .throughput import _pids_named as _named

    clocks.thread = _connection_thread(_named("mariadbd", "mysqld"))  # the writer's server thread
    profiler = None
    if cprofile_top:
        import cProfile

        # CPU clock: what this process computes, not what it waits for (MySQL, Redis, SQS
        # answers), so the profile reads the same on a busy machine.
        profiler = cProfile.Profile(time.process_time)
    from .checkout_cost import emulator_pid
    from .throughput import _pids_named, _process_seconds

    servers = {"mariadb": _pids_named("mariadbd", "mysqld"), "aws_emulator": [p for p in [emulator_pid()] if p]}

    def server_seconds() -> dict[str, float]:
        return {name: sum(_process_seconds(p) or 0.0 for p in pids) for name, pids in servers.items()}

    server_cpu: dict[str, float] = defaultdict(float)
    wall = cpu = 0.0
    for _ in range(n):
        event = plan.next_event()
        before = server_seconds()  # outside the call's clocks: /proc reads cost this process a little
        clocks.active = True
        if profiler is not None:
            profiler.enable()
        w0, c0 = time.perf_counter(), time.process_time()
        response = plan.app(event, None)
        wall += time.perf_counter() - w0
        cpu += time.process_time() - c0
        if profiler is not None:
            profiler.disable()
        clocks.active = False
        for server, seconds in server_seconds().items():
            server_cpu[server] += seconds - before[server]
        if response.get("statusCode") != plan.expect:
            raise RuntimeError(f"{name}: status {response.get('statusCode')}: {str(response.get('body'))[:300]}")
        if plan.after is not None:
            plan.after(response)
    per_call = {k: round(v / n * 1000, 3) for k, v in sorted(clocks.totals.items(), key=lambda kv: -kv[1])}
    counts = {k: round(clocks.counts[k] / n, 2) for k in per_call}
    by_kind: dict[str, float] = defaultdict(float)
    for key, ms in per_call.items():
        by_kind[key.split(":", 1)[0]] += ms
    wall_ms = wall / n * 1000
    result: dict[str, Any] = {
        "case": name, "calls": n, "mean_wall_ms": round(wall_ms, 3), "mean_process_cpu_ms": round(cpu / n * 1000, 3),
        "by_kind_ms": {k: round(v, 3) for k, v in by_kind.items()},
        "python_and_other_ms": round(wall_ms - sum(by_kind.values()), 3),
        # The servers' own CPU across each call (/proc/<pid>/stat utime+stime, 10 ms ticks summed over
        # the calls): what MariaDB and the AWS emulator spend per call besides this process.
        "server_cpu_ms_per_call": {k: round(v / n * 1000, 3) for k, v in server_cpu.items() if servers[k]},
        "boundaries_ms_per_call": per_call, "boundary_calls_per_call": counts,
        # Of each SQL boundary, the CPU of the MariaDB thread serving the writer connection (schedstat,
        # nanoseconds): which statement the server spends its time on. Other connections are not seen.
        "mariadb_thread_cpu_ms_per_call": {k: round(v / n * 1000, 3) for k, v in clocks.server.items()},
    }
    if profiler is not None:
        import io
        import pstats

        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(cprofile_top)
        result["cprofile"] = out.getvalue()
    return result


def render(result: dict[str, Any]) -> str:
    rows = [f"{result['case']}: {result['calls']} calls, mean wall {result['mean_wall_ms']:.2f} ms, "
            f"this process's CPU {result['mean_process_cpu_ms']:.2f} ms; servers' CPU per call: "
            + ", ".join(f"{k} {v:.2f} ms" for k, v in result["server_cpu_ms_per_call"].items()),
            "  by kind (ms per call): " + ", ".join(f"{k} {v:.2f}" for k, v in result["by_kind_ms"].items())
            + f", python and the rest {result['python_and_other_ms']:.2f}", ""]
    server = result.get("mariadb_thread_cpu_ms_per_call") or {}
    rows.append(f"  {'boundary':<70}{'ms/call':>9}{'n/call':>8}{'mariadb cpu':>13}")
    for key, ms in result["boundaries_ms_per_call"].items():
        cpu = f"{server[key]:>13.3f}" if key in server else ""
        rows.append(f"  {key:<70}{ms:>9.3f}{result['boundary_calls_per_call'][key]:>8.2f}{cpu}")
    if server:
        rows.append(f"  {'mariadb thread cpu, all sql boundaries':<87}{sum(server.values()):>13.3f}")
    if "cprofile" in result:
        rows += ["", result["cprofile"]]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    configure_process_env()
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", default="checkout")
    parser.add_argument("--n", type=int, default=300, help="measured calls")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--cprofile", type=int, default=0, metavar="N", help="print the N top cumulative functions")
    parser.add_argument("--sort", default="cumulative", choices=("cumulative", "tottime"),
                        help="the cProfile order: cumulative (where the time goes) or tottime (who spends it)")
    parser.add_argument("--json", type=Path, help="also write the breakdown here")
    args = parser.parse_args(argv)
    with AwsEmulator():
        with quiet_stdout():
            result = profile_case(args.case, args.n, args.warmup, args.cprofile, args.sort)
            from .orders_env import finish

            finish()
    print(render(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
