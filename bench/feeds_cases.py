"""Product-feed sync numbers (issue 13 item 1): a generated 100,000-product feed (1 % of it bad in
four ways) synced end to end - fetched over HTTP from the local feed origin, parsed by streaming,
checked, sent in batches through SQS (the emulator) and upserted through the catalogue - in a
child process, so its peak memory (VmHWM) is the sync's own.  Reported: products per second
over the whole run (fetch start to the report written), the parse phase alone, and the peak
RSS; targets ≥ 2,000 products/s and < 300 MB.

`feed_sync_100k` is a run name for `--only`, run by bench/run.py after the payment runs.  The feed
is written to a temporary file by tests/feeds/feed_kit.write_generated (streamed: the generator
never holds it) and served from disk by infra/local/fakes/feed_origin.py.
"""
from __future__ import annotations

import multiprocessing as mp
import resource
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from .environment import BenchEnv, log

FEED_SYNC = "feed_sync_100k"
NAMES = (FEED_SYNC,)
PRODUCTS = 100_000
QUICK_PRODUCTS = 10_000
BAD_EVERY = 100
TARGET_PER_SECOND = 2000
TARGET_MB = 300


def _peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM: its memory map's high-water mark).  Not ru_maxrss: a
    spawned child's starts at its parent's peak (Linux carries it over fork and exec), and the
    parent has seeded the 100k catalogue by then."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: the closest there is


def _child(products: int, out: Any) -> None:
    try:
        out.put(_sync(products))
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        out.put({"error": f"{type(exc).__name__}: {exc}"})


def _sync(products: int) -> dict[str, Any]:
    from chalicelib.feeds import service
    from chalicelib.platform.db import get_db
    from chalicelib.tenants.service import create_tenant
    from infra.local.aws_resources import create_local_resources
    from infra.local.fakes.feed_origin import FeedOrigin
    from tests.catalog_kit import Shop
    from tests.feeds import feed_kit as kit

    create_local_resources()  # the bench's own queues and buckets (its prefix) on the emulator
    db = get_db()
    tenant_id = create_tenant(db, slug=f"bench-feed-{uuid.uuid4().hex[:8]}", name="Bench feed").tenant_id
    shop = Shop(db, tenant_id)
    shop.category("Kamp")
    shop.brand("Huğlu")
    origin = FeedOrigin().start()
    with tempfile.TemporaryDirectory() as tmp:
        path = kit.write_generated(Path(tmp) / "feed.xml", products, category="Kamp", brand="Huğlu",
                                   bad_every=BAD_EVERY, seed=f"B{uuid.uuid4().hex[:4]}")
        size_mb = path.stat().st_size / 1e6
        origin.put("/feed.xml", path)
        source = service.create_source(db, tenant_id, {"name": "Bench", "kind": "http", "url": origin.url("/feed.xml"),
                                                       "format": "plain_xml"})
        kit.drain("feed-runs")
        kit.drain("feed-sync")
        rss_before = _peak_rss_mb()
        started = time.perf_counter()
        run = service.run_now(db, tenant_id, source["id"], dry_run=False, actor_id=None)
        for record in kit.drain("feed-runs"):
            from chalicelib.feeds import handlers

            assert handlers.feeds_fetch({"Records": [record]}, None) == {"batchItemFailures": []}
        parsed = time.perf_counter()
        counts = kit.run_queues()
        finished = time.perf_counter()
        origin.stop()
    peak_mb = _peak_rss_mb()
    result = service.get_run(db, tenant_id, run["id"])
    expected_bad = products // BAD_EVERY
    correct = (result["status"] == "succeeded" and result["seen_count"] == products
               and result["invalid_count"] == expected_bad and result["created_count"] == products - expected_bad)
    total_s = finished - started
    return {
        "products": products, "feed_mb": round(size_mb, 1), "batches": counts["batches"],
        "status": result["status"], "valid": result["valid_count"], "invalid": result["invalid_count"],
        "created": result["created_count"], "correct": correct,
        "seconds": round(total_s, 2), "parse_seconds": round(parsed - started, 2),
        "products_per_second": round(products / total_s, 1),
        "parse_products_per_second": round(products / (parsed - started), 1),
        "peak_rss_mb": round(peak_mb, 1), "rss_before_run_mb": round(rss_before, 1),
        "meets_rate_target": products / total_s >= TARGET_PER_SECOND, "meets_memory_target": peak_mb < TARGET_MB,
    }


def run_feed_sync(env: BenchEnv) -> dict[str, Any]:
    products = QUICK_PRODUCTS if env.quick else PRODUCTS
    ctx = mp.get_context("spawn")  # a fresh interpreter: its maxrss is this sync's alone
    out = ctx.Queue()
    child = ctx.Process(target=_child, args=(products, out))
    child.start()
    result: dict[str, Any] = out.get(timeout=3600)
    child.join(timeout=60)
    log(f"{FEED_SYNC}: {result}")
    return result


def run_all(env: BenchEnv, names: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if FEED_SYNC in names:
        try:
            out[FEED_SYNC] = run_feed_sync(env)
        except Exception as exc:  # noqa: BLE001 - reported, the other results stand
            out[FEED_SYNC] = {"error": f"{type(exc).__name__}: {exc}"}
            log(f"{FEED_SYNC} FAILED: {exc}")
    return out
