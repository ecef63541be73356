"""The ML service's numbers (issue 14): recommendation latency over HTTP, the service's memory, and
the recommender's training time on the full UCI Online Retail data (ml_container/data).

`ml_recommend` (a run name for `--only`, run by bench/run.py after the feed sync):

1. the real service (``uvicorn huglu_ml.main:app`` with the ML virtualenv's interpreter, ML_PYTHON,
   default .venv-ml/bin/python) starts against the bench's database, Redis and emulator bucket
   (``<BUCKET_PREFIX>-ml-models``);
2. a child process of the same interpreter trains the recommender on every clean line of the data
   set (``train_recommender`` as the service's trainer calls it, holdout validation included),
   saves it into the registry for the bench tenant and makes it the champion: training time and the
   trainer's peak RSS are its own.  UCI stock codes become integer product ids (sorted order), the
   API's id space: the service drops items that are not integers;
3. one client, sequential, a new connection per request (as chalicelib/ml/client.py calls):
   POST /api/recommend mode=user k=10 for known customers, each customer once (so the service's
   2-second answer cache never answers), warm-up first; p50/p95/p99/max;
4. the service's VmRSS / VmHWM (/proc/<pid>/status) idle, after the model is loaded, after the run.

Targets: p99 < 20 ms, service and trainer memory < 1 GB, training < 5 min.  The load average is
recorded with the results: the machine is shared and every figure moves with it.
"""
from __future__ import annotations

import http.client
import json
import os
import random
import secrets
import subprocess
import time
from typing import Any

from .environment import BenchEnv, log
from .stats import percentile

ML_RECOMMEND = "ml_recommend"
NAMES = (ML_RECOMMEND,)
WARMUP = 200
REQUESTS = 3000
QUICK_REQUESTS = 600
K = 10
TARGET_P99_MS = 20.0
TARGET_MB = 1024
TARGET_TRAIN_S = 300.0
TRAIN_TIMEOUT_S = 1800

# Run by the ML interpreter in ml_container/ (the API's interpreter has no pandas / TensorFlow).
TRAIN_SCRIPT = r"""
import json, os, resource, sys, time
started = time.perf_counter()
from huglu_ml.config import get_settings
from huglu_ml.recommender import train_recommender
from huglu_ml.recommender.protocol import load_online_retail
from huglu_ml.registry import get_registry
imported = time.perf_counter()
lines = load_online_retail(get_settings().data_dir / "online_retail.parquet")
ids = {code: n + 1 for n, code in enumerate(sorted(lines["item"].unique()))}
lines["item"] = lines["item"].map(ids).astype(str)
loaded = time.perf_counter()
model = train_recommender(lines, seed=0)
trained = time.perf_counter()
tenant = int(os.environ["BENCH_ML_TENANT"])
registry = get_registry()
meta = registry.save(tenant, "recommender", model, rows=len(lines), extra={"source": "uci_online_retail"})
registry.activate(tenant, "recommender", meta["version"])
saved = time.perf_counter()
json.dump({
    "version": meta["version"], "fallback": meta["fallback"], "metrics": meta["metrics"],
    "lines": len(lines), "items": len(ids), "customers": [str(c) for c in model.history.customers],
    "import_seconds": round(imported - started, 2), "load_data_seconds": round(loaded - imported, 2),
    "train_seconds": round(trained - loaded, 2), "save_seconds": round(saved - trained, 2),
    "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
}, sys.stdout)
"""


def _loadavg() -> list[float] | None:
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def _mb(kb: dict[str, int]) -> dict[str, float]:
    return {"rss_mb": round(kb["VmRSS"] / 1024, 1), "hwm_mb": round(kb["VmHWM"] / 1024, 1)}


def _train(python: str, settings: dict[str, str], tenant_id: int) -> dict[str, Any]:
    from tests.ml.real_service_kit import ML_CONTAINER

    env = {**os.environ, **settings, "BENCH_ML_TENANT": str(tenant_id), "TF_CPP_MIN_LOG_LEVEL": "2"}
    started = time.perf_counter()
    done = subprocess.run([python, "-c", TRAIN_SCRIPT], cwd=ML_CONTAINER, env=env,  # noqa: S603 - our script
                          capture_output=True, text=True, timeout=TRAIN_TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"training failed ({done.returncode}): {done.stderr[-2000:]}")
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    out["wall_seconds"] = round(time.perf_counter() - started, 2)
    return out


def _ask(host: str, port: int, headers: dict[str, str], body: bytes) -> tuple[int, int, dict[str, Any]]:
    """(ns, status, answer) of one request on a new connection."""
    started = time.perf_counter_ns()
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.request("POST", "/api/recommend", body=body, headers=headers)
        response = conn.getresponse()
        raw = response.read()
    finally:
        conn.close()
    elapsed = time.perf_counter_ns() - started
    return elapsed, response.status, json.loads(raw)


def run_ml_recommend(env: BenchEnv) -> dict[str, Any]:
    from chalicelib.platform.config import reset_settings, settings
    from infra.local.aws_resources import create_local_resources
    from tests.ml.real_service_kit import free_port, ml_python, start_service

    reset_settings()
    create_local_resources()  # the bench's own buckets (its prefix) on the emulator
    cfg = settings()
    python = str(ml_python())
    service_settings = {
        "ML_SERVICE_TOKEN": secrets.token_urlsafe(24),
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "REDIS_URL": os.environ["REDIS_URL"],
        "AWS_ENDPOINT_URL": os.environ["AWS_ENDPOINT_URL"],
        "ML_MODELS_BUCKET": f"{cfg.bucket_prefix}-ml-models",
        "STAGE": os.environ.get("STAGE", "local"),
    }
    tenant_id = env.tenant_id
    result: dict[str, Any] = {"tenant_id": tenant_id, "ml_python": python, "loadavg_at_start": _loadavg(),
                              "bucket": service_settings["ML_MODELS_BUCKET"]}
    port = free_port()
    service = start_service(service_settings, port=port)
    try:
        started = time.perf_counter()
        service.wait_ready(timeout=120)
        result["service_start_seconds"] = round(time.perf_counter() - started, 2)
        result["memory_idle"] = _mb(service.memory_kb())

        log(f"{ML_RECOMMEND}: training the recommender on UCI Online Retail ...")
        result["loadavg_before_training"] = _loadavg()
        trained = _train(python, service_settings, tenant_id)
        customers = trained.pop("customers")
        trainer_peak_mb = round(trained["peak_rss_kb"] / 1024, 1)
        result["training"] = {**trained, "customers": len(customers), "peak_rss_mb": trainer_peak_mb,
                              "loadavg_after": _loadavg()}
        result["memory_after_training"] = _mb(service.memory_kb())  # the service's own; training ran in a child

        headers = {"X-Service-Token": service.token, "X-Tenant-Id": str(tenant_id), "Content-Type": "application/json"}
        known = [int(c) for c in customers if c.isdigit()]
        rng = random.Random(14)
        rng.shuffle(known)
        requests = QUICK_REQUESTS if env.quick else REQUESTS

        def body(user_id: int) -> bytes:
            return json.dumps({"mode": "user", "user_id": user_id, "k": K}).encode()

        # A new champion loads in the background (the service answers popularity meanwhile, within
        # ML_LOAD_WAIT_S): the first answer's time is the load's wait, then poll until it answers.
        first_ns, status, answer = _ask("127.0.0.1", port, headers, body(known[0]))
        loaded_by = time.monotonic() + 60
        while (answer.get("source") != "model" or answer.get("model_version") != trained["version"]) \
                and status == 200 and time.monotonic() < loaded_by:
            time.sleep(0.1)
            _, status, answer = _ask("127.0.0.1", port, headers, body(known[0]))
        if status != 200 or answer.get("source") != "model" or answer.get("model_version") != trained["version"]:
            raise RuntimeError(f"first recommendation: {status} {str(answer)[:300]}")
        result["first_request_ms"] = round(first_ns / 1e6, 2)  # loads the version from S3
        result["memory_after_model_load"] = _mb(service.memory_kb())
        asked = known[1:1 + WARMUP + requests]
        if len(asked) < WARMUP + requests:  # a smaller data set: customers come round again
            asked = [known[i % len(known)] for i in range(1, 1 + WARMUP + requests)]
        samples: list[int] = []
        result["loadavg_before_requests"] = _loadavg()
        for n, user_id in enumerate(asked):
            elapsed, status, answer = _ask("127.0.0.1", port, headers, body(user_id))
            if status != 200 or answer.get("source") != "model" or len(answer.get("items", ())) != K:
                raise RuntimeError(f"user {user_id}: {status} {str(answer)[:300]}")
            if n >= WARMUP:
                samples.append(elapsed)
        ms = [s / 1e6 for s in samples]
        latency: dict[str, Any] = {"requests": len(ms), "warmup": WARMUP, "k": K, "p50_ms": round(percentile(ms, 50), 3),
                   "p95_ms": round(percentile(ms, 95), 3), "p99_ms": round(percentile(ms, 99), 3),
                   "max_ms": round(max(ms), 3), "mean_ms": round(sum(ms) / len(ms), 3),
                   "requests_per_second": round(len(ms) / (sum(ms) / 1000), 1),
                   "client": "one, sequential, a new connection per request; each customer asked once"}
        result["latency"] = latency
        result["loadavg_after_requests"] = _loadavg()
        result["memory_after_requests"] = _mb(service.memory_kb())
    finally:
        service.stop()
    peak_service_mb = result["memory_after_requests"]["hwm_mb"]
    result["targets"] = {
        "p99_ms": {"target": TARGET_P99_MS, "result": latency["p99_ms"], "met": latency["p99_ms"] < TARGET_P99_MS},
        "service_peak_rss_mb": {"target": TARGET_MB, "result": peak_service_mb, "met": peak_service_mb < TARGET_MB},
        "trainer_peak_rss_mb": {"target": TARGET_MB, "result": trainer_peak_mb, "met": trainer_peak_mb < TARGET_MB},
        "train_seconds": {"target": TARGET_TRAIN_S, "result": trained["train_seconds"],
                          "met": trained["train_seconds"] < TARGET_TRAIN_S},
    }
    log(f"{ML_RECOMMEND}: p50 {latency['p50_ms']} p99 {latency['p99_ms']} max {latency['max_ms']} ms; "
        f"service {result['memory_after_requests']}; training {trained['train_seconds']} s, "
        f"peak {trainer_peak_mb} MB; load {result['loadavg_after_requests']}")
    return result


def run_all(env: BenchEnv, names: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if ML_RECOMMEND in names:
        try:
            out[ML_RECOMMEND] = run_ml_recommend(env)
        except Exception as exc:  # noqa: BLE001 - reported, the other results stand
            out[ML_RECOMMEND] = {"error": f"{type(exc).__name__}: {exc}"}
            log(f"{ML_RECOMMEND} FAILED: {exc}")
    return out
