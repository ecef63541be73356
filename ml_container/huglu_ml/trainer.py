"""Batch training per tenant: build each kind's frame from the tenant's data, train, register, alias.

``python -m huglu_ml.trainer --tenant 1 [2 ...] [--kinds recommender segments] [--activate auto]`` is the
scheduled batch trainer (an EventBridge schedule / cron runs it nightly per tenant). ``POST
/api/models/train`` starts the same work as a job: by default in a child process, so TensorFlow's training
memory leaves with the child and the serving process stays small; the job's status lives in Redis.
"""

from __future__ import annotations

import argparse
import logging
import secrets
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from huglu_ml import datasets, db, store
from huglu_ml.config import PACKAGE_ROOT, get_settings
from huglu_ml.registry import get_registry

log = logging.getLogger("huglu_ml.trainer")
REQUEST_KINDS = ("recommender", "purchase", "segments", "anomaly")
ANOMALY_KINDS = ("order", "payment", "login")
ACTIVATE_MODES = ("auto", "always", "never")


class Skipped(Exception):
    """A kind the tenant has too little data for; recorded in the job, not an error."""


def _register(tenant_id: int, kind: str, model: Any, rows: int, activate: str, extra: dict | None = None) -> dict:
    registry = get_registry()
    meta = registry.save(tenant_id, kind, model, rows=rows, extra=extra)
    aliases = registry.promote(tenant_id, kind, meta, activate)
    alias = "champion" if aliases.get("champion") == meta["version"] else "challenger"
    if activate == "never":
        alias = "challenger" if aliases.get("challenger") == meta["version"] else None
    return {"kind": kind, "version": meta["version"], "alias": alias, "metrics": meta["metrics"], "rows": rows,
            "fallback": meta["fallback"]}


def train_recommender_kind(tenant_id: int, activate: str) -> list[dict]:
    from huglu_ml.recommender import train_recommender

    lines = datasets.recommender_lines(tenant_id)
    enough = datasets.sufficiency(lines)
    catalogue = [str(p) for p in db.active_products(tenant_id)]
    if not len(lines) and not catalogue:
        raise Skipped("no orders and no active products")
    # With too little data the recommender is its own popularity fallback over the tenant's catalogue.
    # ages are measured from now: a shop whose last order was a week ago has a week-old history
    now = pd.Timestamp.now(tz="UTC").tz_localize(None)
    model = train_recommender(lines, max(now, lines["at"].max() + pd.Timedelta(seconds=1)) if len(lines) else now,
                              seed=0, catalogue=catalogue or None)
    extra = {"customers": enough.customers, "sufficient": enough.enough}
    return [_register(tenant_id, "recommender", model, len(lines), activate, extra)]


def train_purchase_kind(tenant_id: int, activate: str) -> list[dict]:
    from huglu_ml.purchase import train_purchase

    sessions = datasets.purchase_sessions()
    model = train_purchase(sessions, seed=0)
    return [_register(tenant_id, "purchase", model, len(sessions), activate, {"source": "uci_online_shoppers"})]


def train_segments_kind(tenant_id: int, activate: str) -> list[dict]:
    from huglu_ml.segments import NotEnoughDataError, train_segments

    orders = datasets.segment_orders(tenant_id)
    customers = int(orders["customer"].nunique()) if len(orders) else 0
    if customers < get_settings().min_customers:
        raise Skipped(f"{customers} customers with orders; segments need {get_settings().min_customers}")
    as_of = pd.Timestamp(datetime.now(UTC).replace(tzinfo=None))
    current = get_registry().champion(tenant_id, "segments")
    try:
        model = train_segments(orders, as_of, seed=0, previous=current[1] if current else None)
    except NotEnoughDataError as exc:
        raise Skipped(str(exc)) from exc
    assigned = model.assign(orders, as_of)
    summary = summarise_segments(assigned)
    result = _register(tenant_id, "segments", model, len(orders), activate,
                       {"as_of": as_of.isoformat(), "segments": summary})
    if result["alias"] == "champion":  # campaigns follow the champion's labels only
        written = db.write_segments(
            tenant_id, ((int(c), str(s)) for c, s in zip(assigned["customer"], assigned["segment"], strict=True)),
            datetime.now(UTC).replace(tzinfo=None),
        )
        result["written_back"] = written
    return [result]


def summarise_segments(assigned: pd.DataFrame) -> list[dict[str, Any]]:
    if not len(assigned):
        return []
    grouped = assigned.groupby("segment").agg(
        size=("customer", "count"), recency_days_avg=("recency_days", "mean"),
        frequency_avg=("frequency", "mean"), monetary_avg=("monetary", "mean"),
    )
    return [
        {"name": str(name), "size": int(row["size"]), "recency_days_avg": round(float(row["recency_days_avg"]), 2),
         "frequency_avg": round(float(row["frequency_avg"]), 3), "monetary_avg": round(float(row["monetary_avg"]), 2)}
        for name, row in grouped.sort_values("size", ascending=False).iterrows()
    ]


def train_anomaly_kind(tenant_id: int, activate: str) -> list[dict]:
    from huglu_ml.anomaly import NotEnoughDataError, build_frames, train_anomaly

    frames = build_frames(datasets.anomaly_events(tenant_id))
    results, skipped = [], []
    for kind in ANOMALY_KINDS:
        try:
            model = train_anomaly(frames[kind], kind, seed=0)
        except NotEnoughDataError as exc:
            skipped.append(str(exc))
            continue
        results.append(_register(tenant_id, f"anomaly_{kind}", model, len(frames[kind]), activate))
    if not results:
        raise Skipped("; ".join(skipped))
    return results


TRAINERS: dict[str, Callable[[int, str], list[dict]]] = {
    "recommender": train_recommender_kind,
    "purchase": train_purchase_kind,
    "segments": train_segments_kind,
    "anomaly": train_anomaly_kind,
}


def run_job(tenant_id: int, kinds: Sequence[str] | None, activate: str = "auto", job_id: str | None = None) -> dict:
    """Train the requested kinds for one tenant; each kind succeeds, is skipped or fails on its own."""
    job = (store.load_job(tenant_id, job_id) if job_id else None) or new_job(tenant_id, kinds, activate)
    job.update(status="running", started_at=_now())
    store.save_job(tenant_id, job["job_id"], job)
    for kind in job["kinds"]:
        try:
            job["results"][kind] = {"status": "succeeded", "models": TRAINERS[kind](tenant_id, activate)}
            for entry in job["results"][kind]["models"]:
                job["versions"][entry["kind"]] = entry["version"]
        except Skipped as exc:
            job["results"][kind] = {"status": "skipped", "reason": str(exc)}
        except Exception as exc:  # noqa: BLE001 - one kind failing does not stop the others
            log.exception("training %s for tenant %s failed", kind, tenant_id)
            job["results"][kind] = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"[:500]}
        store.save_job(tenant_id, job["job_id"], job)
    failed = [k for k, r in job["results"].items() if r["status"] == "failed"]
    job.update(status="failed" if failed else "succeeded", finished_at=_now(),
               error=("; ".join(f"{k}: {job['results'][k]['error']}" for k in failed) or None))
    store.save_job(tenant_id, job["job_id"], job)
    return job


def new_job(tenant_id: int, kinds: Sequence[str] | None, activate: str) -> dict:
    job_id = secrets.token_hex(8)
    job = {"job_id": job_id, "tenant_id": tenant_id, "status": "queued", "kinds": list(kinds or REQUEST_KINDS),
           "activate": activate, "versions": {}, "results": {}, "error": None, "created_at": _now(),
           "started_at": None, "finished_at": None}
    store.save_job(tenant_id, job_id, job)
    return job


_executor: ThreadPoolExecutor | None = None
_children: list[subprocess.Popen] = []


def submit(tenant_id: int, kinds: Sequence[str] | None, activate: str) -> dict:
    """Queue a training job (a child process, or a worker thread when ML_TRAIN_MODE=thread)."""
    global _executor
    job = new_job(tenant_id, kinds, activate)
    if get_settings().train_mode == "thread":
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ml-train")
        _executor.submit(run_job, tenant_id, job["kinds"], activate, job["job_id"])
    else:
        cmd = [sys.executable, "-m", "huglu_ml.trainer", "--tenant", str(tenant_id), "--kinds", *job["kinds"],
               "--activate", activate, "--job-id", job["job_id"]]
        child = subprocess.Popen(cmd, cwd=str(PACKAGE_ROOT))  # noqa: S603 - fixed argv, no shell
        _children[:] = [c for c in _children if c.poll() is None] + [child]
        threading.Thread(target=child.wait, daemon=True).start()  # reap it
    return job


def _now() -> str:
    return datetime.now(UTC).isoformat()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m huglu_ml.trainer", description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenant", type=int, nargs="+", required=True)
    parser.add_argument("--kinds", nargs="+", choices=REQUEST_KINDS, default=None)
    parser.add_argument("--activate", choices=ACTIVATE_MODES, default="auto")
    parser.add_argument("--job-id", default=None, help="(internal) the job started by POST /api/models/train")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    status = 0
    for tenant_id in args.tenant:
        job = run_job(tenant_id, args.kinds, args.activate, args.job_id if len(args.tenant) == 1 else None)
        for kind, result in job["results"].items():
            print(f"tenant {tenant_id} {kind}: {result['status']} "
                  f"{[m['version'] + ' ' + str(m['alias']) for m in result.get('models', [])] or result}")
        status |= job["status"] == "failed"
    return status


if __name__ == "__main__":
    sys.exit(main())
