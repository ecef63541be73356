"""`make bench`: python -m bench.run [--quick] [--only NAME ...] [--no-coldstart]

Warm, in-process, single-threaded: every case calls a deployed function's Lambda app
(`functions.<area>.app(event, None)`) with an API Gateway REST proxy event, exactly as Lambda
does, and times that call alone with perf_counter_ns.  A call that returns any other status
than the case expects aborts that case (errors are never timed).  Then every function's cold
start is measured in fresh interpreters (bench/coldstart.py).

Writes bench/results.json and prints a table.  With --only, the named parts are re-measured and
merged into the existing results.json.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from .environment import AwsEmulator, BenchEnv, NotInThisMode, configure_process_env, log, prepare, quiet_stdout
from .stats import summarize_ns

RESULTS_PATH = Path(__file__).resolve().parent / "results.json"
COLDSTART = "coldstart"
SCHEMA_VERSION = 1


class CaseFailed(RuntimeError):
    pass


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
    }
    if hasattr(os, "getloadavg"):
        info["loadavg_at_start"] = [round(x, 2) for x in os.getloadavg()]
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            model = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), None)
        info["cpu_model"] = model
    except OSError:
        pass
    return info


def run_case(case: Any, env: BenchEnv, quick: bool) -> dict[str, Any]:
    from time import perf_counter_ns

    from chalicelib.platform.db import stats

    plan = case.build(env)
    iterations = case.quick_iterations if quick else case.iterations
    budget_s = case.budget_seconds / (4 if quick else 1)

    timed_statements = 0
    offbox: list[dict[str, int]] = []  # per timed call: ns spent waiting off the box, by name (plan.aside)

    def call() -> tuple[dict[str, Any], int]:
        nonlocal timed_statements
        event = plan.next_event()
        before = stats.statements
        if plan.aside is not None:
            plan.aside()  # reset: only the call's own waits count
        started = perf_counter_ns()
        response = plan.app(event, None)
        elapsed = perf_counter_ns() - started
        if plan.aside is not None:
            offbox.append(plan.aside())
        # Only the call's own statements: next_event / after may run untimed SQL (a cart refill).
        timed_statements += stats.statements - before
        status = response.get("statusCode")
        if status != plan.expect:
            raise CaseFailed(f"{case.name}: status {status}, expected {plan.expect}: {str(response.get('body'))[:300]}")
        if plan.after is not None:
            plan.after(response)
        return response, elapsed

    for _ in range(case.warmup):
        call()
    offbox.clear()
    samples: list[int] = []
    timed_statements = 0
    started = time.perf_counter()
    deadline = started + budget_s
    for _ in range(iterations):
        samples.append(call()[1])
        # A slow case (or a regression) stops at its time budget once it has enough samples
        # for a p99, so the whole bench keeps finishing in minutes.
        if len(samples) >= case.min_iterations and time.perf_counter() > deadline:
            break
    wall = time.perf_counter() - started
    result = summarize_ns(samples)
    result["iterations_planned"] = iterations
    result["stopped_by_time_budget"] = len(samples) < iterations
    result["warmup"] = case.warmup
    result["db_statements_per_call"] = round(timed_statements / len(samples), 2)
    result["wall_seconds"] = round(wall, 2)
    result["description"] = case.description
    if offbox:  # each call less its own waits off the box, then the percentiles of those
        names = sorted({name for waits in offbox for name in waits})
        without = summarize_ns([max(total - sum(waits.values()), 0) for total, waits in zip(samples, offbox,
                                                                                             strict=True)])
        result["without_" + "_and_".join(names)] = {k: without[k] for k in ("p50_ms", "p90_ms", "p99_ms", "mean_ms")}
        result["waits"] = {name: {k: v for k, v in summarize_ns([w.get(name, 0) for w in offbox]).items()
                                  if k in ("p50_ms", "p99_ms", "mean_ms")} for name in names}
    result.update(plan.info)
    report = result.pop("_report", None)
    if callable(report):  # the case's own figures after its timed calls (bench/catalog_scale.py)
        result.update(report())
    return result


def first_calls(env: BenchEnv) -> dict[str, Any]:
    """The one request each function's first invocation makes in the cold-start children."""
    from .coldstart import FirstCall
    from .events import api_event, scheduled_event

    token = env.login()["access_token"]
    return {
        "system": FirstCall("app", api_event("GET", "/api/health", api_key=env.api_key), "GET /api/health"),
        "catalog": FirstCall(
            "app",
            api_event("GET", "/api/products/{product_id}", path_params={"product_id": env.product_ids[0]},
                      api_key=env.api_key),
            "GET /api/products/{product_id} (Redis hit)",
        ),
        "accounts": FirstCall(
            "app", api_event("GET", "/api/users/profile", api_key=env.api_key, bearer=token),
            "GET /api/users/profile (Bearer)",
        ),
        "orders": FirstCall(
            "app", api_event("GET", "/api/orders", api_key=env.api_key, bearer=token),
            "GET /api/orders (Bearer; no orders in the catalogue tenant)",
        ),
        "purge_expired": FirstCall("handler", scheduled_event(), "scheduled event", expect=None),
        "migrate": FirstCall("handler", {}, "upgrade_to_head (already at head)", expect=None),
    }


def _fmt(value: Any, width: int, digits: int = 2) -> str:
    if value is None:
        return "-".rjust(width)
    if isinstance(value, float):
        return f"{value:.{digits}f}".rjust(width)
    return str(value).rjust(width)


def render_table(results: dict[str, Any]) -> str:
    rows = [f"{'case':<28}{'iters':>7}{'p50 ms':>10}{'p90 ms':>10}{'p99 ms':>10}{'mean ms':>10}{'req/s':>9}{'SQL/call':>9}"]
    rows.append("-" * len(rows[0]))
    for name, r in results.get("cases", {}).items():
        if "error" in r:
            rows.append(f"{name:<28}  FAILED: {r['error'][:90]}")
            continue
        if "skipped" in r:
            rows.append(f"{name:<28}  skipped: {r['skipped'][:90]}")
            continue
        rows.append(f"{name:<28}{_fmt(r['iterations'], 7)}{_fmt(r['p50_ms'], 10)}{_fmt(r['p90_ms'], 10)}"
                    f"{_fmt(r['p99_ms'], 10)}{_fmt(r['mean_ms'], 10)}{_fmt(r['throughput_rps'], 9, 1)}"
                    f"{_fmt(r['db_statements_per_call'], 9)}")
        if r.get("waits"):  # the same calls, each less its own waits off the box
            names = sorted(r["waits"])
            w = r["without_" + "_and_".join(names)]
            waits = ", ".join(f"{n} p50 {r['waits'][n]['p50_ms']} ms" for n in names)
            rows.append(f"{'  less ' + '+'.join(names):<28}{'':>7}{_fmt(w['p50_ms'], 10)}{_fmt(w['p90_ms'], 10)}"
                        f"{_fmt(w['p99_ms'], 10)}{_fmt(w['mean_ms'], 10)}   (waits: {waits})")
        for slow in (r.get("slowest") or [])[:3]:  # bench/catalog_scale.py: slowest drawn combinations
            rows.append(f"{'  slow (re-timed)':<28}{'':>7}{_fmt(slow['retimed_median_ms'], 10)}  {slow['name'][:100]}")
    for key, value in (results.get("derived") or {}).items():
        rows.append(f"  {key}: {value}")
    runs = results.get("throughput") or {}
    if runs:
        head = f"{'throughput run':<28}{'procs':>7}{'seconds':>9}{'ok':>8}{'failed':>8}{'per s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        rows += ["", head, "-" * len(head)]
        for name, r in runs.items():
            if "error" in r:
                rows.append(f"{name:<28}  FAILED: {r['error'][:90]}")
                continue
            latency = r.get("latency_ms") or {}
            rows.append(f"{name:<28}{_fmt(r['processes'], 7)}{_fmt(r['duration_seconds'], 9)}{_fmt(r['successes'], 8)}"
                        f"{_fmt(sum(r['failures_by_status'].values()), 8)}"
                        f"{_fmt(r.get('checkouts_per_second', r.get('transfers_per_second', r.get('payments_per_second'))), 9, 1)}"
                        f"{_fmt(latency.get('p50'), 9)}{_fmt(latency.get('p99'), 9)}")
            if r.get("checkouts_per_second_emulator_cpu_excluded") is not None:  # bench/throughput.py EXCLUDED_METHOD
                rows.append(f"{'  emulator CPU set aside':<28}{'':>7}{'':>9}{'':>8}{'':>8}"
                            f"{_fmt(r['checkouts_per_second_emulator_cpu_excluded'], 9, 1)}")
    cold = results.get("coldstart") or {}
    if isinstance(cold.get("error"), str):
        rows += ["", f"cold start FAILED: {cold['error'][:200]}"]
    elif cold:
        rows.append("")
        head = (f"{'function':<16}{'import ms':>10}{'(min)':>8}{'1st call ms':>12}{'total ms':>10}{'<300ms':>8}"
                "  slowest imports (cumulative ms)")
        rows += [head, "-" * len(head)]
        for name, c in cold.items():
            if "error" in c:
                rows.append(f"{name:<16}  FAILED: {c['error'][:90]}")
                continue
            first = c.get("first_call") or {}
            target = {True: "yes", False: "NO", None: "n/a"}[c.get("meets_import_target")]
            top = ", ".join(f"{m['module']} {m['cumulative_ms']:.0f}" for m in c["top_modules"][:5])
            rows.append(f"{name:<16}{_fmt(c['import_ms'], 10, 1)}{_fmt(c['import_ms_min'], 8, 1)}"
                        f"{_fmt(first.get('first_call_ms'), 12, 1)}"
                        f"{_fmt(first.get('import_plus_first_call_ms'), 10, 1)}{target:>8}  {top}")
    return "\n".join(rows)


def _load_previous() -> dict[str, Any]:
    try:
        return json.loads(RESULTS_PATH.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return {}


def targets(coldstart: dict[str, Any]) -> dict[str, Any]:
    from .coldstart import IMPORT_BUDGET_MS

    api = {n: c for n, c in coldstart.items() if c.get("api") and "import_ms" in c}
    return {
        "coldstart_import_ms": {
            "budget_ms": IMPORT_BUDGET_MS,
            "applies_to": "API functions (functions/*.py with HTTP routes)",
            "results": {n: {"import_ms": c["import_ms"], "met": c["meets_import_target"]} for n, c in api.items()},
            "all_met": all(c["meets_import_target"] for c in api.values()) if api else None,
        }
    }


def order_targets(results: dict[str, Any]) -> dict[str, Any]:
    """Issue 5's targets on this machine: checkout p50 under 30 ms warm in-process, and at least
    100 checkouts per second across many products."""
    out: dict[str, Any] = {}
    checkout = results.get("cases", {}).get("checkout") or {}
    if "p50_ms" in checkout:
        out["checkout_p50_ms"] = {"target_ms": 30, "p50_ms": checkout["p50_ms"], "met": checkout["p50_ms"] < 30}
    many = (results.get("throughput") or {}).get("checkout_many_products") or {}
    if many.get("checkouts_per_second") is not None:
        out["checkouts_per_second_many_products"] = {
            "target": 100, "result": many["checkouts_per_second"], "met": many["checkouts_per_second"] >= 100}
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    from .cases import CASES
    from .throughput import DEFAULT_PROCESSES, DEFAULT_SECONDS, HOT, MANY
    from .throughput import NAMES as THROUGHPUT

    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[1])
    parser.add_argument("--quick", action="store_true", help="1,000 products and fewer iterations")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help=f"run only this case (repeatable); one of {', '.join(CASES)}, {', '.join(THROUGHPUT)}, "
                        f"wallet_transfers_hot, wallet_transfers_many, card_payments_per_second, feed_sync_100k, "
                        f"ml_recommend, {COLDSTART}")
    parser.add_argument("--no-coldstart", action="store_true", help="skip the cold-start measurements")
    parser.add_argument("--throughput-seconds", type=float, default=None, metavar="S",
                        help=f"length of each checkouts-per-second run (default {DEFAULT_SECONDS:g}, --quick 3)")
    parser.add_argument("--hot-processes", type=int, default=DEFAULT_PROCESSES[HOT], metavar="P",
                        help="client processes of the hot-product run")
    parser.add_argument("--processes", type=int, default=DEFAULT_PROCESSES[MANY], metavar="P",
                        help="client processes of the many-products run")
    parser.add_argument("--coldstart-runs", type=int, default=7, metavar="N", help="fresh interpreters per function")
    parser.add_argument("--output", type=Path, default=RESULTS_PATH)
    args = parser.parse_args(argv)
    from .feeds_cases import NAMES as FEED_RUNS
    from .ml_cases import NAMES as ML_RUNS
    from .payments_cases import NAMES as PAYMENT_RUNS
    from .wallet_cases import NAMES as WALLET_RUNS

    unknown = [n for n in args.only if n not in CASES and n not in THROUGHPUT and n not in WALLET_RUNS
               and n not in PAYMENT_RUNS and n not in FEED_RUNS and n not in ML_RUNS and n != COLDSTART]
    if unknown:
        parser.error(f"unknown case(s): {', '.join(unknown)}")
    return args


def main(argv: list[str] | None = None) -> int:
    configure_process_env()
    args = parse_args(argv)
    from .cases import CASES, DERIVED
    from .throughput import HOT, MANY
    from .throughput import NAMES as THROUGHPUT

    selected = [n for n in CASES if not args.only or n in args.only]
    throughput = [n for n in THROUGHPUT if not args.only or n in args.only]
    do_cold = (not args.only and not args.no_coldstart) or COLDSTART in args.only
    results: dict[str, Any] = _load_previous() if args.only else {}
    results.update({"schema_version": SCHEMA_VERSION, "machine": machine(),
                    "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                    "mode": "quick" if args.quick else "full"})
    results.setdefault("cases", {})
    failed = False
    with AwsEmulator() as aws:
        log(f"AWS endpoint {aws.endpoint}{' (moto_server started for the bench)' if aws.started else ''}")
        with quiet_stdout():
            env = prepare(args.quick)
        results["setup"] = {**env.setup, "aws_endpoint": aws.endpoint, "moto_started": aws.started,
                            "bcrypt_rounds": int(os.environ["BCRYPT_ROUNDS"])}
        for name in selected:
            case = CASES[name]
            log(f"case {name} ...")
            try:
                with quiet_stdout():
                    results["cases"][name] = run_case(case, env, args.quick)
            except NotInThisMode as exc:  # e.g. the 100k catalogue in --quick: not a failure
                results["cases"][name] = {"skipped": str(exc)}
                log(f"case {name} skipped: {exc}")
            except Exception as exc:  # noqa: BLE001 - one failed case must not hide the others
                failed = True
                results["cases"][name] = {"error": f"{type(exc).__name__}: {exc}"}
                log(f"case {name} FAILED: {exc}")
        results["cases"] = {n: results["cases"][n] for n in list(CASES) + list(results["cases"])
                            if n in results["cases"]}
        if throughput:
            from .orders_env import finish
            from .throughput import run_all

            seconds = args.throughput_seconds or (3.0 if args.quick else 10.0)
            with quiet_stdout():
                # The cases' orders go first: each run starts from the same tables and stock.
                finish()
                runs = run_all(env, throughput, seconds=seconds,
                               processes={HOT: args.hot_processes, MANY: args.processes},
                               emulator_pid=aws.process.pid if aws.process is not None else None)
            results.setdefault("throughput", {}).update(runs)
            failed = failed or any("error" in r for r in runs.values())
        from .wallet_cases import NAMES as WALLET_RUNS
        from .wallet_cases import run_all as run_wallet

        wallet_runs = [n for n in WALLET_RUNS if not args.only or n in args.only]
        if wallet_runs:  # ledger transfers per second (issue 11), after the checkout runs
            with quiet_stdout():
                runs = run_wallet(env, wallet_runs, seconds=args.throughput_seconds or (3.0 if args.quick else 10.0),
                                  emulator_pid=aws.process.pid if aws.process is not None else None)
            results.setdefault("throughput", {}).update(runs)
            failed = failed or any("error" in r for r in runs.values())
        from .payments_cases import NAMES as PAYMENT_RUNS
        from .payments_cases import run_all as run_payments

        payment_runs = [n for n in PAYMENT_RUNS if not args.only or n in args.only]
        if payment_runs:  # card payments per second (issue 12), last
            from .orders_env import finish

            with quiet_stdout():
                finish()  # the cases' and runs' orders first: the workers place their own
                runs = run_payments(env, payment_runs, seconds=args.throughput_seconds or (3.0 if args.quick else 10.0),
                                    emulator_pid=aws.process.pid if aws.process is not None else None)
            results.setdefault("throughput", {}).update(runs)
            failed = failed or any("error" in r for r in runs.values())
        from .feeds_cases import NAMES as FEED_RUNS
        from .feeds_cases import run_all as run_feeds

        feed_runs = [n for n in FEED_RUNS if not args.only or n in args.only]
        if feed_runs:  # a 100,000-product feed synced (issue 13), products per second and peak memory
            with quiet_stdout():
                runs = run_feeds(env, feed_runs)
            results.setdefault("feeds", {}).update(runs)  # its own shape: not a throughput table row
            failed = failed or any("error" in r for r in runs.values())
        from .ml_cases import NAMES as ML_RUNS
        from .ml_cases import run_all as run_ml

        ml_runs = [n for n in ML_RUNS if not args.only or n in args.only]
        if ml_runs:  # the ML service (issue 14): recommendation latency over HTTP, memory, training time
            with quiet_stdout():
                runs = run_ml(env, ml_runs)
            results.setdefault("ml", {}).update(runs)
            failed = failed or any("error" in r for r in runs.values())
        derived: dict[str, Any] = {}
        for fn in DERIVED:
            derived.update(fn(results["cases"]))
        results["derived"] = derived
        from .orders_env import finish, shop_setup

        with quiet_stdout():
            cleaned = finish()
        if cleaned is not None:
            results["setup"]["shop"] = {**shop_setup(), "cleanup_at_end": cleaned}
        if do_cold:
            from .coldstart import measure_all

            try:
                with quiet_stdout():
                    calls = first_calls(env)
                results["coldstart"] = measure_all(calls, args.coldstart_runs, log)
            except Exception as exc:  # noqa: BLE001
                failed = True
                results["coldstart"] = {"error": f"{type(exc).__name__}: {exc}"}
                log(f"cold start FAILED: {exc}")
    cold = results.get("coldstart") or {}
    if "error" not in cold:
        results["targets"] = targets(cold)
    results.setdefault("targets", {}).update(order_targets(results))
    if hasattr(os, "getloadavg"):
        results["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(render_table(results))
    print(f"\nwritten {args.output}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
