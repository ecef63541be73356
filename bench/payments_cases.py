"""Card payment numbers (issue 12): an order paid by card through the iyzico adapter and the local
sandbox over HTTPS (latency through the Lambda app, with the sandbox's own time shown apart), and
card payments per second from several processes.

`card_payment` registers into bench.cases.CASES on import (cases.py imports this module at its
end); `card_payments_per_second` is a throughput name for `--only`, run by bench/run.py after the
wallet's runs.  The sandbox (infra/local/fakes/iyzico.py) runs as its own process, started once
per bench process and trusted through the local CA, as `make dev` runs it: its CPU is counted
apart, like the emulator's.  The shop pays direct (non-3-D Secure: settings.payments.require_3ds
false): a 3-D Secure or checkout-form payment is the same work split over the bank's page.
"""
from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from .cases import LambdaApp, Plan, case
from .environment import BenchEnv, log
from .events import api_event, response_json
from .orders_env import CHECKOUT_ROTATION, FIRST_WORKER_SHOPPER, ShopEnv, checkout_event, fill_cart, shop

CARD = {"holder": "Bench Müşteri", "number": "5528790000000008", "expire_month": "12", "expire_year": "2030",
        "cvc": "123"}
PAYMENTS_PER_SECOND = "card_payments_per_second"
NAMES = (PAYMENTS_PER_SECOND,)
PROCESSES = 4
PAYER = FIRST_WORKER_SHOPPER + 1  # after the wallet case's payer; the workers take the next ones
ROOT = Path(__file__).resolve().parents[1]
_sandbox: dict[str, Any] = {}


def _app(module: str) -> LambdaApp:
    import importlib

    return importlib.import_module(module).app  # type: ignore[no-any-return]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sandbox() -> dict[str, Any]:
    """The iyzico sandbox process (started once) and the environment pointing the adapter at it."""
    if not _sandbox:
        from infra.local.fakes.local_ca import ensure_ca

        ca = ensure_ca()
        port = _free_port()
        proc = subprocess.Popen([sys.executable, "-m", "infra.local.fakes.iyzico", "--port", str(port)], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        atexit.register(proc.terminate)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the iyzico sandbox did not start")
        _sandbox.update(process=proc, env={"IYZICO_BASE_URL": f"https://127.0.0.1:{port}",
                                           "IYZICO_CA_FILE": str(ca.ca_cert)})
    os.environ.update(_sandbox["env"])
    from chalicelib.platform.config import reset_settings

    reset_settings()
    return _sandbox


def _direct_cards(s: ShopEnv) -> None:
    """The bench shop pays direct by card (no 3-D Secure round trip in a bench)."""
    import json

    from chalicelib.platform import tenancy
    from chalicelib.platform.db import get_db
    from chalicelib.tenants import api as tenants

    db = get_db()

    def work(uow: Any) -> None:
        row = uow.one("SELECT settings FROM tenants WHERE id = %s FOR UPDATE", (s.tenant_id,))
        settings = json.loads(row["settings"]) if row and row["settings"] else {}
        settings["payments"] = {"card_flow": "direct", "require_3ds": False, "max_installments": 1}
        # No per-customer limit on paying (30 / 15 min in production): the bench pays thousands.
        routes = settings.setdefault("rate_limit", {}).setdefault("routes", {})
        routes["POST /api/payment/process"] = {"limit": 0, "window": 900}
        tenants.update_tenant(uow, s.tenant_id, {"settings": settings})
        uow.commit()

    db.transaction(work)
    tenancy.forget_tenant(db.session(), s.tenant_id)
    tenancy.clear_local_cache()


def _placer(s: ShopEnv, who: Any) -> Any:
    orders_app = _app("functions.orders")
    from chalicelib.platform.db import get_db

    session, turn = get_db().session(), [0]
    products = s.pool[CHECKOUT_ROTATION]

    def place() -> int:
        i = turn[0] % (len(products) - 1)
        turn[0] += 1
        fill_cart(session, s.tenant_id, who.cart_id, [(*products[i], 1), (*products[i + 1], 1)])
        placed = orders_app(checkout_event(s, who.token, who.address_id), None)
        if placed["statusCode"] != 201:
            raise RuntimeError(f"checkout: {placed['statusCode']} {str(placed.get('body'))[:300]}")
        return int(response_json(placed)["id"])

    return place


def _pay_event(s: ShopEnv, who: Any, order_id: int) -> dict[str, Any]:
    return api_event("POST", "/api/payment/process", api_key=s.api_key, bearer=who.token,
                     headers={"Idempotency-Key": uuid.uuid4().hex},
                     body={"order_id": order_id, "flow": "direct", "card": CARD})


@case("card_payment", iterations=300, quick=100, warmup=15)
def card_payment(env: BenchEnv) -> Plan:
    """POST /api/payment/process: an order of 2 lines pending payment (placed untimed through the
    orders function before each call) paid direct by card: Idempotency-Key, order locked, the
    attempt and its basket committed, the iyzico call (SDK over HTTPS to the sandbox, response
    signature checked), then the settlement: payment row, reservation sold, order paid, commit,
    outbox published, and the attempt read back."""
    from .offbox import Waits, iyzico_calls, outbox_publishes

    sandbox()
    s = shop(env, PAYER + 1)
    who = s.shoppers[PAYER]
    _direct_cards(s)
    place = _placer(s, who)

    def after(response: dict[str, Any]) -> None:
        body = response_json(response)
        if body["status"] != "succeeded":
            raise AssertionError(f"unexpected payment: {str(body)[:300]}")

    return Plan(_app("functions.payments"), lambda: _pay_event(s, who, place()), expect=201, after=after,
                aside=Waits(sandbox=iyzico_calls(), emulator=outbox_publishes()),
                info={"lines_per_order": 2, "flow": "direct (non-3-D Secure)",
                      "order_placed": "untimed, through functions.orders before each call",
                      "sandbox": "infra/local/fakes/iyzico.py in its own process, over HTTPS (a new TLS connection "
                                 "per call, as the adapter makes them)"})


# -- payments per second ---------------------------------------------------------------------------
def _worker(index: int, s: ShopEnv, who: Any, env_vars: dict[str, str], orders: int, seconds: float, ready: Any,
            go: Any, start_at: Any, results: Any) -> None:
    from .environment import configure_process_env, quiet_stdout

    configure_process_env()
    os.environ.update(env_vars)
    out: dict[str, Any] = {"index": index, "ok": 0, "failures": {}, "latencies_ms": [], "cpu_seconds": 0.0,
                           "finished": 0.0, "error": None, "placed": 0}
    try:
        with quiet_stdout():
            app = _app("functions.payments")
            place = _placer(s, who)
            pending = [place() for _ in range(orders)]  # untimed: the orders to pay
            out["placed"] = len(pending)
            ready.put(index)
            go.wait()
            while time.time() < start_at.value:
                time.sleep(0.0005)
            deadline = start_at.value + seconds
            cpu = time.process_time()
            while pending and time.time() < deadline:
                t0 = time.perf_counter()
                answer = app(_pay_event(s, who, pending.pop()), None)
                status = answer.get("statusCode")
                if status == 201:
                    out["ok"] += 1
                    out["latencies_ms"].append((time.perf_counter() - t0) * 1000)
                else:
                    out["failures"][str(status)] = out["failures"].get(str(status), 0) + 1
            out["finished"] = time.time()
            out["cpu_seconds"] = time.process_time() - cpu
            out["ran_out"] = not pending and time.time() < deadline
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which fails the run
        out["error"] = f"{type(exc).__name__}: {exc}"
        ready.put(index)
    results.put(out)


def run_payments(env: BenchEnv, *, seconds: float, emulator_pid: int | None, processes: int = PROCESSES
                 ) -> dict[str, Any]:
    from . import workers

    box = sandbox()
    s = shop(env, PAYER + 1 + processes)
    _direct_cards(s)
    per_worker = int(seconds * 40) + 20  # more than a worker pays in the window (~25/s each here)
    done = workers.run(PAYMENTS_PER_SECOND, _worker,
                       [(i, s, s.shoppers[PAYER + 1 + i], box["env"], per_worker, seconds) for i in range(processes)],
                       seconds=seconds, emulator_pid=emulator_pid, extra_pids={"iyzico_sandbox": [box["process"].pid]},
                       ready_timeout=600, result_timeout=300)
    collected, wall, cpu, ok, failures, per = (done.collected, done.wall, done.cpu, done.ok, done.failures,
                                               done.per_call_ms)
    own_ms = done.own_ms
    result = {
        "description": f"{processes} processes pay orders (placed untimed beforehand) direct by card for {seconds:g} s "
                       "through functions.payments, the adapter and the sandbox over HTTPS",
        "processes": processes, "duration_seconds": round(wall, 2), "successes": ok, "failures_by_status": failures,
        "payments_per_second": round(ok / wall, 1) if wall > 0 else None,
        "ran_out_of_orders": any(r.get("ran_out") for r in collected),
        "latency_ms": workers.latency(done.latencies_ms),
        "cpu": {**cpu, "ms_per_payment": per, "application_ms_per_payment": round(own_ms, 3),
                "projected_payments_per_second_without_sandbox_and_emulator":
                    round((os.cpu_count() or 1) * 1000 / own_ms, 1) if own_ms else None,
                "note": "the sandbox and the emulator run off the box in production (iyzico, SQS); "
                        "mariadb/redis seconds are the whole servers'"},
    }
    log(f"{PAYMENTS_PER_SECOND}: {ok} payments in {wall:.1f} s = {result['payments_per_second']}/s "
        f"(failures {failures or 'none'})")
    return result


def run_all(env: BenchEnv, names: list[str], *, seconds: float, emulator_pid: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if PAYMENTS_PER_SECOND in names:
        try:
            out[PAYMENTS_PER_SECOND] = run_payments(env, seconds=seconds, emulator_pid=emulator_pid)
        except Exception as exc:  # noqa: BLE001 - reported, the other results stand
            out[PAYMENTS_PER_SECOND] = {"error": f"{type(exc).__name__}: {exc}"}
            log(f"{PAYMENTS_PER_SECOND} FAILED: {exc}")
    return out
