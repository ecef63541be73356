"""What one checkout costs, by component (issue 16 item 4): case `checkout_cost`.

The `checkout` case's calls (same shopper, same 2-line baskets refilled untimed, same orders
function), with clocks around each call that the runner's timing does not see:

    our Python        this process's CPU time (time.process_time) across the call
    MariaDB           the CPU time of the server thread serving this process's connection
                      (MariaDB's information_schema.PROCESSLIST.TID; /proc/<pid>/task/<tid>/stat),
                      so other clients of a shared server do not count; and the whole server's
                      (utime + stime of mariadbd / mysqld in /proc/<pid>/stat), which adds InnoDB's
                      background work (redo log writes, purge, page flushing) and everyone else's
    AWS emulator      the same for the moto server (the outbox's SendMessageBatch)
    after-commit publish   wall and this process's CPU time inside platform.outbox's after-commit
                      step (_publish_after_commit: the SQS send to the emulator, then the Redis
                      sent mark the relay settles the row by); the runner sets it aside (Plan.aside), so the case reports the
                      checkout's p50 without it (`without_after_commit_publish`) and the step's
                      own p50 (`waits`)

The /proc readings are taken at the end of next_event (after the untimed cart refill) and at
the start of `after`, so neither the refill's SQL nor the readings' own cost is counted, and
the runner's wall clock stays as the `checkout` case's.  /proc counts in ticks of 10 ms: summed
over hundreds of calls the per-call mean is good to a few hundredths of a millisecond.  The
servers are shared: anything else using MariaDB during the run (tests, another bench) is
counted too, so run it on a quiet machine (the load is reported).
"""
from __future__ import annotations

import os
import time
from typing import Any

from .cases import Plan, case
from .environment import BenchEnv
from .throughput import _pids_named, _process_seconds

WARMUP = 30
PYTHON_TARGET_MS = 4.0  # issue 16 item 4
MARIADB_TARGET_MS = 3.0
P50_TARGET_MS = 8.0


def emulator_pid() -> int | None:
    """The moto server: bench.run's AwsEmulator starts it as this process's child; otherwise the
    process serving AWS_ENDPOINT_URL's port (found by its command line)."""
    port = (os.environ.get("AWS_ENDPOINT_URL") or "").rsplit(":", 1)[-1].strip("/")
    found = None
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmdline = fh.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{entry}/stat", encoding="ascii") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if "moto" in cmdline and (ppid == os.getpid() or (port and port in cmdline)):
            found = int(entry)
            if ppid == os.getpid():
                break
    return found


def _connection_thread(mariadb: list[int]) -> str | None:
    """/proc/<pid>/task/<tid> of the MariaDB thread serving this thread's writer connection (the
    one the orders app uses in this process); None on MySQL (no PROCESSLIST.TID) or elsewhere."""
    from chalicelib.platform.db import get_db

    if len(mariadb) != 1:
        return None
    try:
        tid = get_db().session().scalar("SELECT TID FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()")
    except Exception:  # noqa: BLE001 - MySQL has no TID column: the whole server's figure only
        return None
    path = f"{mariadb[0]}/task/{tid}"
    return path if tid and os.path.exists(f"/proc/{path}") else None


class _PublishClock:
    """Wall and CPU time inside platform.outbox._publish_after_commit (this process only)."""

    def __init__(self) -> None:
        from chalicelib.platform import outbox

        original = getattr(outbox._publish_after_commit, "__wrapped__", outbox._publish_after_commit)
        self.wall_ns = 0
        self.cpu_ns = 0

        def timed(*args: Any, **kwargs: Any) -> Any:
            w0, c0 = time.perf_counter_ns(), time.process_time_ns()
            try:
                return original(*args, **kwargs)
            finally:
                self.wall_ns += time.perf_counter_ns() - w0
                self.cpu_ns += time.process_time_ns() - c0

        timed.__wrapped__ = original  # type: ignore[attr-defined]
        outbox._publish_after_commit = timed  # the commit callback looks the name up when it runs

    def waits(self) -> dict[str, int]:
        """Plan.aside: the wall nanoseconds since the last read (the runner reads before and after a call)."""
        value, self.wall_ns = self.wall_ns, 0
        return {"after_commit_publish": value}


@case("checkout_cost", iterations=1000, quick=200, warmup=WARMUP)
def checkout_cost(env: BenchEnv) -> Plan:
    """POST /api/orders as the `checkout` case, with the CPU of each component per checkout (our
    Python, MariaDB, the AWS emulator) and the after-commit publish timed apart."""
    from . import orders_cases

    base = orders_cases.checkout(env)
    publish = _PublishClock()
    mariadb = _pids_named("mariadbd", "mysqld")
    moto = emulator_pid()
    totals = {"calls": 0, "cpu": 0.0, "publish_cpu_ns": 0, "mariadb": 0.0, "connection": 0.0, "emulator": 0.0}
    mark: dict[str, float] = {}
    thread: list[str | None] = [None]  # /proc path of the server thread serving our connection

    def servers() -> tuple[float, float, float]:
        return (sum(_process_seconds(p) or 0.0 for p in mariadb),
                (_process_seconds(thread[0]) or 0.0) if thread[0] else 0.0,  # type: ignore[arg-type]
                (_process_seconds(moto) or 0.0) if moto is not None else 0.0)

    def next_event() -> dict[str, Any]:
        event = base.next_event()
        thread[0] = _connection_thread(mariadb)  # again each call: a reconnect changes it
        publish.cpu_ns = 0
        mark["mariadb"], mark["connection"], mark["emulator"] = servers()
        mark["cpu"] = time.process_time()
        return event

    info: dict[str, Any] = {}

    def after(response: dict[str, Any]) -> None:
        cpu = time.process_time() - mark["cpu"]
        db_s, conn_s, emu_s = servers()
        totals["calls"] += 1
        if totals["calls"] > WARMUP:  # the runner's warm-up calls come first
            totals["cpu"] += cpu
            totals["publish_cpu_ns"] += publish.cpu_ns
            totals["mariadb"] += db_s - mark["mariadb"]
            totals["connection"] += conn_s - mark["connection"]
            totals["emulator"] += emu_s - mark["emulator"]
            _report(info, totals, moto is not None)
        if base.after is not None:
            base.after(response)

    info.update({
        "lines_per_order": base.info.get("lines_per_order"), "same_calls_as": "checkout",
        "mariadb_pids": mariadb, "emulator_pid": moto,
        "method": ("per call: this process's CPU (time.process_time) and the servers' CPU (/proc/<pid>/stat "
                   "utime+stime, 10 ms ticks) read just before and just after the call, outside the timed "
                   "window; summed over the measured calls and divided by their number. mariadb is the server "
                   "thread of this connection (PROCESSLIST.TID, /proc/<pid>/task/<tid>/stat): the statements' "
                   "own CPU, whoever else uses the server; mariadb_whole_server adds InnoDB's background "
                   "threads and every other client of the server in the same windows. The after-commit "
                   "publish (platform.outbox._publish_after_commit: SendMessageBatch to the emulator, then "
                   "the Redis sent mark; until 068381d an UPDATE outbox_events ... sent) is timed inside the call and set aside by the runner: "
                   "without_after_commit_publish is each call less its own publish, waits its own time."),
    })
    return Plan(base.app, next_event, expect=base.expect, after=after, info=info, aside=publish.waits)


def _report(info: dict[str, Any], totals: dict[str, Any], has_emulator: bool) -> None:
    n = totals["calls"] - WARMUP
    python_ms = totals["cpu"] / n * 1000
    publish_ms = totals["publish_cpu_ns"] / n / 1e6
    info["calls_measured"] = n
    info["cpu_ms_per_checkout"] = {
        "python_process": round(python_ms, 3),
        "python_without_publish": round(python_ms - publish_ms, 3),
        "python_in_publish": round(publish_ms, 3),
        "mariadb": round(totals["connection"] / n * 1000, 3),
        "mariadb_whole_server": round(totals["mariadb"] / n * 1000, 3),
        "aws_emulator": round(totals["emulator"] / n * 1000, 3) if has_emulator else None,
    }


def targets(cases: dict[str, Any]) -> dict[str, Any]:
    """Issue 16 item 4's per-checkout targets, from the checkout_cost case."""
    r = cases.get("checkout_cost")
    if not r or "cpu_ms_per_checkout" not in r:
        return {}
    cpu = r["cpu_ms_per_checkout"]
    p50 = (r.get("without_after_commit_publish") or {}).get("p50_ms")
    return {"checkout_cost": {
        "python_cpu_ms": cpu["python_without_publish"], "python_target_ms": PYTHON_TARGET_MS,
        "python_met": cpu["python_without_publish"] <= PYTHON_TARGET_MS,
        "mariadb_cpu_ms": cpu["mariadb"], "mariadb_target_ms": MARIADB_TARGET_MS,
        "mariadb_met": cpu["mariadb"] <= MARIADB_TARGET_MS,
        "mariadb_whole_server_cpu_ms": cpu["mariadb_whole_server"],
        "p50_ms_without_publish": p50, "p50_target_ms": P50_TARGET_MS,
        "p50_met": p50 is not None and p50 <= P50_TARGET_MS,
        "publish_p50_ms": ((r.get("waits") or {}).get("after_commit_publish") or {}).get("p50_ms"),
    }}
