"""Percentiles and summaries of nanosecond samples (standard library only)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation between closest ranks — the
    definition numpy uses by default ("linear"), so numbers compare with other tools."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0..100, got {q}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    fraction = rank - low
    return ordered[low] + (ordered[high] - ordered[low]) * fraction


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


def summarize_ns(samples_ns: Sequence[int]) -> dict[str, Any]:
    """p50/p90/p99/mean/min/max in milliseconds plus single-worker throughput."""
    if not samples_ns:
        raise ValueError("no samples")
    ms = [s / 1e6 for s in samples_ns]
    total_s = sum(samples_ns) / 1e9
    return {
        "iterations": len(ms),
        "p50_ms": round(percentile(ms, 50), 3),
        "p90_ms": round(percentile(ms, 90), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "mean_ms": round(sum(ms) / len(ms), 3),
        "min_ms": round(min(ms), 3),
        "max_ms": round(max(ms), 3),
        # Requests per second one warm, single-threaded container sustains back to back.
        "throughput_rps": round(len(ms) / total_s, 1) if total_s > 0 else None,
    }
