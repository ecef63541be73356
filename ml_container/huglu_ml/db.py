"""MySQL access: tenant-scoped reads of orders, products and events, plus the service's only writes.

Every function takes the tenant first and every statement filters on ``tenant_id``. The service writes
only ``user_events`` (app events from the queue), ``user_data.segment`` (segments written back for
campaigns) and ``ml_anomalies`` (flagged cases for staff review).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlparse

import pymysql
import pymysql.cursors

from huglu_ml.config import get_settings

# Orders that represent a real purchase (not unpaid, failed or cancelled ones).
PURCHASED_STATUSES = ("paid", "processing", "shipped", "delivered", "partially_refunded")
_local = threading.local()


def _connect() -> pymysql.connections.Connection:
    url = urlparse(get_settings().database_url)
    return pymysql.connect(
        host=url.hostname or "127.0.0.1",
        port=url.port or 3306,
        user=unquote(url.username or "root"),
        password=unquote(url.password or ""),
        database=(url.path or "/huglu").lstrip("/"),
        charset="utf8mb4",
        autocommit=True,
        connect_timeout=3,
        read_timeout=30,
        write_timeout=30,
        cursorclass=pymysql.cursors.DictCursor,
    )


@contextmanager
def cursor() -> Iterator[pymysql.cursors.DictCursor]:
    """One connection per thread, reconnected when the server dropped it."""
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = _connect()
    else:
        try:
            conn.ping(reconnect=True)
        except pymysql.MySQLError:
            conn = _local.conn = _connect()
    try:
        with conn.cursor() as cur:
            yield cur
    except pymysql.OperationalError:
        _local.conn = None
        raise


def reset() -> None:
    """Drop this thread's connection (tests switch databases)."""
    conn = getattr(_local, "conn", None)
    _local.conn = None
    if conn is not None:
        try:
            conn.close()
        except pymysql.MySQLError:
            pass


def ping() -> bool:
    try:
        with cursor() as cur:
            cur.execute("SELECT 1")
        return True
    except Exception:  # noqa: BLE001 - health reports any failure as false
        return False


# --------------------------------------------------------------------------------------------- reads
def order_lines(tenant_id: int) -> list[tuple[Any, ...]]:
    """Purchased lines of known customers, one tuple per order line (order_id, user_id, product_id,
    quantity, unit_price, placed_at): streamed and kept as tuples, not dicts, because a big shop has
    hundreds of thousands of lines and the trainer's memory is the budget (README, "ML service")."""
    placeholders = ",".join(["%s"] * len(PURCHASED_STATUSES))
    with cursor() as dict_cur:
        with dict_cur.connection.cursor(pymysql.cursors.SSCursor) as cur:
            cur.execute(
                "SELECT o.id, o.user_id, oi.product_id, oi.quantity - oi.returned_quantity, "
                "oi.unit_price, o.placed_at FROM order_items oi "
                "JOIN orders o ON o.tenant_id = oi.tenant_id AND o.id = oi.order_id "
                f"WHERE oi.tenant_id = %s AND o.user_id IS NOT NULL AND o.status IN ({placeholders}) "
                "ORDER BY o.placed_at, oi.id",
                (tenant_id, *PURCHASED_STATUSES),
            )
            return list(cur.fetchall_unbuffered())


def orders(tenant_id: int) -> list[dict[str, Any]]:
    """Purchased orders of known customers (net of refunds) for RFM segments."""
    placeholders = ",".join(["%s"] * len(PURCHASED_STATUSES))
    with cursor() as cur:
        cur.execute(
            "SELECT id, user_id, grand_total - refunded_total AS amount, placed_at FROM orders "
            f"WHERE tenant_id = %s AND user_id IS NOT NULL AND status IN ({placeholders}) ORDER BY placed_at, id",
            (tenant_id, *PURCHASED_STATUSES),
        )
        return list(cur.fetchall())


def active_products(tenant_id: int) -> list[int]:
    with cursor() as cur:
        cur.execute("SELECT id FROM products WHERE tenant_id = %s AND status = 'active' ORDER BY id", (tenant_id,))
        return [int(r["id"]) for r in cur.fetchall()]


def popular_products(tenant_id: int, limit: int, exclude: Sequence[int] = ()) -> list[tuple[int, float]]:
    """The tenant's own best sellers: the fallback when no model (or no service state) is available."""
    sql = "SELECT id, sold_count FROM products WHERE tenant_id = %s AND status = 'active'"
    params: list[Any] = [tenant_id]
    if exclude:
        sql += f" AND id NOT IN ({','.join(['%s'] * len(exclude))})"
        params.extend(int(x) for x in exclude)
    sql += " ORDER BY sold_count DESC, id LIMIT %s"
    params.append(int(limit))
    with cursor() as cur:
        cur.execute(sql, params)
        return [(int(r["id"]), float(r["sold_count"])) for r in cur.fetchall()]


def events(tenant_id: int, types: Sequence[str], since: datetime | None = None, limit: int = 500_000) -> list[dict]:
    """Stored events of the given types, oldest first, in the queue message shape."""
    sql = (
        "SELECT id, event_type, user_id, device_id, session_id, product_id, payload, created_at FROM user_events "
        f"WHERE tenant_id = %s AND event_type IN ({','.join(['%s'] * len(types))})"
    )
    params: list[Any] = [tenant_id, *types]
    if since is not None:
        sql += " AND created_at >= %s"
        params.append(since)
    sql += " ORDER BY created_at, id LIMIT %s"
    params.append(limit)
    with cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    out = []
    for r in rows:
        payload = json.loads(r["payload"]) if r["payload"] else {}
        out.append(
            {
                "id": payload.pop("_event_id", str(r["id"])),
                "type": r["event_type"],
                "tenant_id": tenant_id,
                "at": r["created_at"],
                "user_id": r["user_id"],
                "device_id": r["device_id"],
                "session_id": r["session_id"],
                "payload": payload,
            }
        )
    return out


def anomalies(tenant_id: int, status: str | None, kind: str | None, limit: int) -> list[dict[str, Any]]:
    sql = (
        "SELECT id, kind, subject_type, subject_id, user_id, score, reasons, event_id, model_version, status, "
        "reviewed_by, reviewed_at, note, created_at FROM ml_anomalies WHERE tenant_id = %s"
    )
    params: list[Any] = [tenant_id]
    if status:
        sql += " AND status = %s"
        params.append(status)
    if kind:
        sql += " AND kind = %s"
        params.append(kind)
    sql += " ORDER BY created_at DESC, id DESC LIMIT %s"
    params.append(limit)
    with cursor() as cur:
        cur.execute(sql, params)
        rows = list(cur.fetchall())
    for r in rows:
        r["score"] = float(r["score"])
        r["reasons"] = json.loads(r["reasons"]) if isinstance(r["reasons"], str | bytes) else r["reasons"]
    return rows


def open_anomaly_count(tenant_id: int) -> int:
    with cursor() as cur:
        cur.execute("SELECT COUNT(*) AS n FROM ml_anomalies WHERE tenant_id = %s AND status = 'open'", (tenant_id,))
        return int(cur.fetchone()["n"])


def segment_customers(tenant_id: int, segment: str, limit: int, after_user_id: int) -> list[int]:
    with cursor() as cur:
        cur.execute(
            "SELECT user_id FROM user_data WHERE tenant_id = %s AND segment = %s AND user_id > %s "
            "ORDER BY user_id LIMIT %s",
            (tenant_id, segment, after_user_id, limit),
        )
        return [int(r["user_id"]) for r in cur.fetchall()]


# -------------------------------------------------------------------------------------------- writes
def insert_user_event(tenant_id: int, event: dict[str, Any], at: datetime) -> None:
    payload = dict(event.get("payload") or {})
    payload["_event_id"] = event["id"]
    product_id = payload.get("product_id")
    with cursor() as cur:
        cur.execute(
            "INSERT INTO user_events (tenant_id, user_id, session_id, device_id, event_type, product_id, screen, "
            "payload, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                tenant_id,
                _bigint(event.get("user_id")),
                (event.get("session_id") or None) and str(event["session_id"])[:64],
                (event.get("device_id") or None) and str(event["device_id"])[:128],
                str(event["type"])[:50],
                _bigint(product_id),
                (str(payload["screen"])[:100] if payload.get("screen") else None),
                json.dumps(payload, default=str),
                at,
            ),
        )


def _bigint(value: Any) -> int | None:
    """A positive BIGINT UNSIGNED id from an event field, or None (a bad id never fails the insert)."""
    if isinstance(value, bool) or not (isinstance(value, int) or str(value).isdigit()):
        return None
    number = int(value)
    return number if 0 < number < 2**63 else None


def insert_anomaly(tenant_id: int, row: dict[str, Any]) -> bool:
    """Insert a flagged case once per (tenant, kind, event_id); True when it is new."""
    with cursor() as cur:
        cur.execute(
            "INSERT IGNORE INTO ml_anomalies (tenant_id, kind, subject_type, subject_id, user_id, score, reasons, "
            "event_id, model_version) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                tenant_id,
                row["kind"],
                row["subject_type"],
                str(row["subject_id"])[:128],
                row.get("user_id"),
                round(min(max(float(row["score"]), -999.0), 999.0), 5),
                json.dumps(list(row.get("reasons") or [])),
                str(row["event_id"])[:128],
                str(row["model_version"])[:64],
            ),
        )
        return cur.rowcount == 1


def write_segments(tenant_id: int, assignments: Iterable[tuple[int, str]], at: datetime) -> int:
    """Write each customer's segment into user_data (one row per (tenant, user))."""
    rows = [(tenant_id, int(uid), str(seg)[:50], at) for uid, seg in assignments]
    if not rows:
        return 0
    with cursor() as cur:
        for start in range(0, len(rows), 1000):
            cur.executemany(
                "INSERT INTO user_data (tenant_id, user_id, segment, segment_updated_at) VALUES (%s, %s, %s, %s) "
                "ON DUPLICATE KEY UPDATE segment = VALUES(segment), segment_updated_at = VALUES(segment_updated_at)",
                rows[start : start + 1000],
            )
    return len(rows)
