"""Which backups to keep: grandfather-father-son over the scheduled backups, plus the newest manual
backups and tenant exports.  A pure function of the catalogue and the clock, so it is tested alone.

Every scheduled run is a full backup; "weekly" and "monthly" are roles a daily backup takes on, not
separate copies: the newest successful backup of each of the last `weekly` ISO weeks and of each of
the last `monthly` months is kept beside the newest `daily` days.  The counts are of periods that
have a backup (not of calendar periods back from today), so a long outage never empties the list.  So a week whose Sunday run failed
is still represented, and no object is stored twice.  Failed runs are kept a week for their error;
a run still queued or running is never pruned until it is two days old (then it is dead).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

SCHEDULED = "daily"


@dataclass(frozen=True)
class Policy:
    daily: int = 7
    weekly: int = 4
    monthly: int = 12
    manual: int = 10
    tenant: int = 5  # per tenant
    failed_days: int = 7
    stuck_days: int = 2


@dataclass
class Plan:
    keep: dict[int, list[str]] = field(default_factory=dict)  # id → why (daily / weekly / monthly / ...)
    delete: list[int] = field(default_factory=list)


def _when(entry: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(entry["created_at"])


def _newest_per(entries: list[dict[str, Any]], bucket_of: Any, count: int) -> list[dict[str, Any]]:
    """The newest entry of each of the `count` most recent buckets (days, weeks, months)."""
    chosen: dict[Any, dict[str, Any]] = {}
    for entry in sorted(entries, key=_when, reverse=True):
        bucket = bucket_of(_when(entry))
        if bucket not in chosen:
            if len(chosen) == count:
                break
            chosen[bucket] = entry
    return list(chosen.values())


def plan(entries: list[dict[str, Any]], now: dt.datetime, policy: Policy = Policy()) -> Plan:
    result = Plan()

    def keep(entry: dict[str, Any], why: str) -> None:
        result.keep.setdefault(int(entry["id"]), []).append(why)

    done = [e for e in entries if e["status"] == "succeeded"]
    scheduled = [e for e in done if e["kind"] == SCHEDULED]
    for entry in _newest_per(scheduled, lambda t: t.date(), policy.daily):
        keep(entry, "daily")
    for entry in _newest_per(scheduled, lambda t: t.isocalendar()[:2], policy.weekly):
        keep(entry, "weekly")
    for entry in _newest_per(scheduled, lambda t: (t.year, t.month), policy.monthly):
        keep(entry, "monthly")
    for entry in sorted((e for e in done if e["kind"] == "manual"), key=_when, reverse=True)[:policy.manual]:
        keep(entry, "manual")
    by_tenant: dict[Any, list[dict[str, Any]]] = {}
    for entry in (e for e in done if e["kind"] == "tenant"):
        by_tenant.setdefault(entry.get("tenant_id"), []).append(entry)
    for exports in by_tenant.values():
        for entry in sorted(exports, key=_when, reverse=True)[:policy.tenant]:
            keep(entry, "tenant")
    for entry in entries:
        age = now - _when(entry)
        if entry["status"] == "failed" and age < dt.timedelta(days=policy.failed_days):
            keep(entry, "failed, kept for its error")
        elif entry["status"] in ("queued", "running") and age < dt.timedelta(days=policy.stuck_days):
            keep(entry, "in progress")
    result.delete = sorted(int(e["id"]) for e in entries if int(e["id"]) not in result.keep)
    return result
