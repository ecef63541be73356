"""Retention: grandfather-father-son over the daily backups, the newest manual ones, tenant exports
per tenant, failed runs for a week, running ones until they are stuck."""
from __future__ import annotations

import datetime as dt

from chalicelib.backups import retention

NOW = dt.datetime(2026, 12, 6, 3, 0, tzinfo=dt.UTC)  # a Sunday


def entry(backup_id: int, when: dt.datetime, kind: str = "daily", status: str = "succeeded", **kw: object) -> dict:
    return {"id": backup_id, "kind": kind, "status": status, "created_at": when.isoformat(), **kw}


def test_daily_weekly_and_monthly_are_kept_and_the_rest_pruned():
    # a year and a half of daily backups at 02:30, ids by age (0 = today)
    entries = [entry(day, NOW - dt.timedelta(days=day, minutes=30)) for day in range(550)]
    plan = retention.plan(entries, NOW)
    daily = {i for i, why in plan.keep.items() if "daily" in why}
    weekly = {i for i, why in plan.keep.items() if "weekly" in why}
    monthly = {i for i, why in plan.keep.items() if "monthly" in why}
    assert daily == set(range(7))
    # newest of each ISO week: today (Sunday, week 49), then the Sundays before
    assert weekly == {0, 7, 14, 21}
    # newest of each month: today, Nov 30, Oct 31, ... 12 months back to Jan 2026
    expected = {(NOW.date() - dt.date(2026, m, [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1])).days
                for m in range(1, 12)} | {0}
    assert monthly == expected and len(monthly) == 12
    assert set(plan.keep) == daily | weekly | monthly
    assert set(plan.delete) == set(range(550)) - set(plan.keep)
    assert 549 in plan.delete and 36 in plan.keep and 35 in plan.delete  # Oct 31 kept, Nov 1 not


def test_a_failed_sunday_leaves_its_week_to_the_newest_backup_that_succeeded():
    entries = [entry(i, NOW - dt.timedelta(days=i, hours=-1)) for i in range(1, 15)]
    entries[6]["status"] = "failed"  # 7 days ago: the previous Sunday
    plan = retention.plan(entries, NOW)
    weekly = {i for i, why in plan.keep.items() if "weekly" in why}
    assert 7 not in weekly and 8 in weekly  # Saturday stands for that week (ISO weeks end on Sunday)
    assert plan.keep[7] == ["failed, kept for its error"]


def test_manual_tenant_failed_and_running_entries():
    entries = [entry(100 + i, NOW - dt.timedelta(hours=i), kind="manual") for i in range(12)]
    entries += [entry(200 + i, NOW - dt.timedelta(days=i), kind="tenant", tenant_id=1) for i in range(7)]
    entries += [entry(300 + i, NOW - dt.timedelta(days=i), kind="tenant", tenant_id=2) for i in range(2)]
    entries += [entry(400, NOW - dt.timedelta(days=8), status="failed"),
                entry(401, NOW - dt.timedelta(days=1), status="failed"),
                entry(402, NOW - dt.timedelta(hours=1), kind="manual", status="running"),
                entry(403, NOW - dt.timedelta(days=3), kind="manual", status="queued")]
    plan = retention.plan(entries, NOW)
    assert {i for i in plan.keep if 100 <= i < 200} == set(range(100, 110))
    assert {i for i in plan.keep if 200 <= i < 300} == set(range(200, 205))
    assert {300, 301} <= set(plan.keep)
    assert 401 in plan.keep and 402 in plan.keep
    assert set(plan.delete) == {110, 111, 205, 206, 400, 403}
