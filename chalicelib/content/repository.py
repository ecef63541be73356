"""SQL of the content area: stories, sliders, popups (staff rows and the apps' live lists), story
views and popup impressions.  Every statement names the tenant; every lookup by id also names it,
so another tenant's id matches nothing (404).

The three kinds share one shape (Kind): a table, the columns staff write, the staff list's keyset
order, the apps' order, and when a row stops showing (`end_sql`: a story without ends_at ends 24
hours after it starts or was created, rules.story_expiry; sliders and popups end at ends_at, or
never).  Column and table names come from the Kind constants below, never from a client.

Counters change atomically in SQL: a story's view_count grows only when its story_views row is
new (the row's primary key decides under concurrency), a slider's click_count by one per click,
a popup impression is one upsert of (popup, viewer, period).
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.platform.db import Session
from chalicelib.platform.keyset import Keyset, Position
from chalicelib.platform.sql import BY_ID

LIVE_LIMIT = 200  # rows per kind the apps' cached list holds (enabled, not ended)


_STORY_END = "COALESCE(ends_at, COALESCE(starts_at, created_at) + INTERVAL 24 HOUR)"


@dataclass(frozen=True)
class Kind:
    """One kind of content.  Its statements' heads are spelled out per kind (not built from a table
    name), so tests/e2e/test_boundaries.py reads which table each one writes."""

    name: str
    columns: tuple[str, ...]
    keyset: Keyset
    live_order: str
    select: str  # SELECT ... FROM <table>: every column plus expires_at (when it stops showing)
    insert: str
    update: str
    delete: str
    end_sql: str = "ends_at"
    placements: tuple[str, ...] = ()


_SCHEDULE = ("sort_order", "starts_at", "ends_at", "is_active")
STORY = Kind(
    "story",
    ("title", "media_key", "media_type", "thumbnail_key", "link_type", "link_target", "duration_seconds",
     *_SCHEDULE),
    Keyset("story_order", ("sort_order",), (int,), "id", descending=False),
    "sort_order, id",
    select=f"SELECT *, {_STORY_END} AS expires_at FROM stories",
    insert="INSERT INTO stories", update="UPDATE stories SET", delete="DELETE FROM stories",
    end_sql=_STORY_END,
)
SLIDER = Kind(
    "slider",
    ("title", "subtitle", "image_key", "mobile_image_key", "placement", "link_type", "link_target", *_SCHEDULE),
    Keyset("slider_order", ("sort_order",), (int,), "id", descending=False),
    "sort_order, id",
    select="SELECT *, ends_at AS expires_at FROM sliders",
    insert="INSERT INTO sliders", update="UPDATE sliders SET", delete="DELETE FROM sliders",
    placements=("home", "category", "cart", "product"),
)
POPUP = Kind(
    "popup",
    ("title", "body", "image_key", "cta_text", "cta_link", "trigger_type", "audience", "frequency", "priority",
     "starts_at", "ends_at", "is_active"),
    Keyset("popup_priority", ("priority",), (int,), "id", descending=True),
    "priority DESC, id DESC",
    select="SELECT *, ends_at AS expires_at FROM popups",
    insert="INSERT INTO popups", update="UPDATE popups SET", delete="DELETE FROM popups",
)
KINDS = {k.name: k for k in (STORY, SLIDER, POPUP)}


def _row(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is not None:
        if isinstance(row.get("audience"), str | bytes):
            row["audience"] = json.loads(row["audience"])
        if "is_active" in row:
            row["is_active"] = bool(row["is_active"])
    return row


def _values(kind: Kind, values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(kind.columns)
    assert not unknown, f"not writable on a {kind.name}: {unknown}"
    return {k: json.dumps(v, ensure_ascii=False) if k == "audience" and v is not None else v
            for k, v in values.items()}


# -- staff rows ------------------------------------------------------------------------------------
def insert(session: Session, kind: Kind, tenant_id: int, values: dict[str, Any]) -> int:
    data = _values(kind, values)
    columns = ", ".join(data)
    marks = ", ".join(["%s"] * len(data))
    return session.insert(f"{kind.insert} (tenant_id, {columns}) VALUES (%s, {marks})",
                          (tenant_id, *data.values()))


def update(session: Session, kind: Kind, tenant_id: int, item_id: int, values: dict[str, Any]) -> None:
    data = _values(kind, values)
    if data:
        assignments = ", ".join(f"{column} = %s" for column in data)
        session.execute(f"{kind.update} {assignments} WHERE tenant_id = %s AND id = %s",
                        (*data.values(), tenant_id, item_id))


def get(session: Session, kind: Kind, tenant_id: int, item_id: int, *, lock: bool = False) -> dict[str, Any] | None:
    suffix = " FOR UPDATE" if lock else ""
    return _row(session.one(f"{kind.select} WHERE tenant_id = %s AND id = %s{suffix}", (tenant_id, item_id)))


def delete(session: Session, kind: Kind, tenant_id: int, item_id: int) -> bool:
    return session.execute(f"{kind.delete} WHERE tenant_id = %s AND id = %s", (tenant_id, item_id)) > 0


def status_condition(kind: Kind, status: str, now: datetime) -> tuple[str, list[Any]]:
    """SQL for one staff status: expired (ended), disabled (switched off, not ended), scheduled
    (on, starts later), active (on, started, not ended)."""
    end = kind.end_sql
    not_ended = f"({end} IS NULL OR {end} > %s)"
    if status == "expired":
        return f"{end} <= %s", [now]
    if status == "disabled":
        return f"is_active = 0 AND {not_ended}", [now]
    if status == "scheduled":
        return f"is_active = 1 AND starts_at > %s AND {not_ended}", [now, now]
    return f"is_active = 1 AND (starts_at IS NULL OR starts_at <= %s) AND {not_ended}", [now, now]


def page(session: Session, kind: Kind, tenant_id: int, *, status: str | None, placement: str | None,
         now: datetime, position: Position | None, limit: int) -> list[dict[str, Any]]:
    where: list[str] = ["tenant_id = %s"]
    params: list[Any] = [tenant_id]
    if status is not None:
        condition, more = status_condition(kind, status, now)
        where.append(condition)
        params += more
    if placement is not None:
        where.append("placement = %s")
        params.append(placement)
    tail, values = kind.keyset.page(where, params, position, limit)
    return [r for r in (_row(x) for x in session.all(f"{kind.select} {tail}", values)) if r is not None]


# -- the apps' lists -------------------------------------------------------------------------------
def live(session: Session, kind: Kind, tenant_id: int, now: datetime) -> list[dict[str, Any]]:
    """Enabled rows that have not ended by `now` (scheduled ones included: the caller filters by
    its own clock, so the list stays right while it is cached)."""
    rows = session.all(
        f"""{kind.select} WHERE tenant_id = %s AND is_active = 1 AND ({kind.end_sql} IS NULL OR {kind.end_sql} > %s)
             ORDER BY {kind.live_order} LIMIT %s""", (tenant_id, now, LIVE_LIMIT))
    return [r for r in (_row(x) for x in rows) if r is not None]


def live_one(session: Session, kind: Kind, tenant_id: int, item_id: int, now: datetime) -> dict[str, Any] | None:
    """The row when it shows now (enabled, started, not ended); None otherwise."""
    condition, params = status_condition(kind, "active", now)
    return _row(session.one(f"{kind.select} WHERE tenant_id = %s AND id = %s AND {condition}",
                            (tenant_id, item_id, *params)))


# -- story views -----------------------------------------------------------------------------------
def add_view(session: Session, tenant_id: int, story_id: int, viewer_key: str) -> bool:
    """True when this is the viewer's first view (the row is new).  A concurrent first view of the
    same viewer waits on the new row's key and then changes nothing."""
    return session.execute(
        """INSERT INTO story_views (tenant_id, story_id, viewer_key) VALUES (%s, %s, %s)
           ON DUPLICATE KEY UPDATE viewed_at = viewed_at""", (tenant_id, story_id, viewer_key)) == 1


def count_view(session: Session, tenant_id: int, story_id: int) -> None:
    session.execute(f"UPDATE stories {BY_ID} SET view_count = view_count + 1 WHERE tenant_id = %s AND id = %s",
                    (tenant_id, story_id))


def seen_stories(session: Session, tenant_id: int, viewer_key: str, story_ids: Sequence[int]) -> set[int]:
    if not story_ids:
        return set()
    marks = ", ".join(["%s"] * len(story_ids))
    rows = session.all(f"""SELECT story_id FROM story_views
                            WHERE tenant_id = %s AND story_id IN ({marks}) AND viewer_key = %s""",
                       (tenant_id, *story_ids, viewer_key))
    return {int(r["story_id"]) for r in rows}


# -- slider clicks -----------------------------------------------------------------------------------
def add_click(session: Session, tenant_id: int, slider_id: int, now: datetime) -> bool:
    """One more click on a slider that shows now; False when it does not (or is not the tenant's)."""
    condition, params = status_condition(SLIDER, "active", now)
    return session.execute(
        f"UPDATE sliders {BY_ID} SET click_count = click_count + 1 WHERE tenant_id = %s AND id = %s AND {condition}",
        (tenant_id, slider_id, *params)) > 0


# -- popup impressions ------------------------------------------------------------------------------
def add_impression(session: Session, tenant_id: int, popup_id: int, viewer_key: str, period_key: str,
                   now: datetime) -> int:
    """Count one show in the viewer's period (one atomic upsert); the period's shows after it."""
    session.execute(
        """INSERT INTO popup_impressions (tenant_id, popup_id, viewer_key, period_key, shown, last_shown_at)
           VALUES (%s, %s, %s, %s, 1, %s)
           ON DUPLICATE KEY UPDATE shown = shown + 1, last_shown_at = VALUES(last_shown_at)""",
        (tenant_id, popup_id, viewer_key, period_key, now))
    return int(session.scalar(
        """SELECT shown FROM popup_impressions
            WHERE tenant_id = %s AND popup_id = %s AND viewer_key = %s AND period_key = %s""",
        (tenant_id, popup_id, viewer_key, period_key)))


def impressions(session: Session, tenant_id: int, viewer_key: str, popup_ids: Sequence[int],
                periods: Sequence[str]) -> set[tuple[int, str]]:
    """(popup id, period key) of the viewer's shows of the popups in the given periods (the
    lifetime period "" and today's), from the primary key."""
    if not popup_ids:
        return set()
    marks = ", ".join(["%s"] * len(popup_ids))
    kinds = ", ".join(["%s"] * len(periods))
    rows = session.all(f"""SELECT popup_id, period_key FROM popup_impressions
                            WHERE tenant_id = %s AND popup_id IN ({marks}) AND viewer_key = %s
                              AND period_key IN ({kinds})""",
                       (tenant_id, *popup_ids, viewer_key, *periods))
    return {(int(r["popup_id"]), r["period_key"]) for r in rows}


# -- targeting facts read from other areas' tables (declared read models) ----------------------------
def has_order(session: Session, tenant_id: int, user_id: int) -> bool:
    """Whether the customer has an order that was paid or is on its way (not a new customer)."""
    return session.scalar(
        """SELECT 1 FROM orders WHERE tenant_id = %s AND user_id = %s
              AND status NOT IN ('pending_payment', 'cancelled') LIMIT 1""", (tenant_id, user_id)) is not None
