"""SQL of the delivery log (notification_deliveries) and of push tickets (push_tickets).

Deliveries are claimed with a conditional UPDATE (queued / deferred → sending, with a lease), so
two consumers handed the same message - or a message and its duplicate - never both send.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.platform import cache
from chalicelib.platform.db import Session
from chalicelib.platform.keyset import Keyset, Position
from chalicelib.platform.sql import marks

from .channels import CLAIMABLE, LEASE_SECONDS, SENDING

NEWEST = Keyset("notification_deliveries", ("d.id",), (int,), id_column="d.id")
_COLUMNS = ("d.id, d.message_id, d.user_id, d.category, d.template, d.channel, d.lang, d.status, d.reason, "
            "d.provider, d.provider_ref, d.recipient, d.attempts, d.next_attempt_at, d.created_at, d.updated_at, "
            "d.sent_at, d.delivered_at")


def insert(session: Session, tenant_id: int, *, message_id: str, user_id: int | None, category: str, template: str,
           channel: str, lang: str | None, params: dict[str, Any], status: str, reason: str | None) -> int:
    return session.insert(
        """INSERT INTO notification_deliveries (tenant_id, message_id, user_id, category, template, channel, lang,
                                                params, status, reason)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (tenant_id, message_id, user_id, category, template, channel, lang, cache.dumps(params), status, reason))


def status_counts(session: Session, tenant_id: int, message_prefix: str) -> list[dict[str, Any]]:
    """Deliveries per channel and status of the messages whose id starts with `message_prefix`
    (a range of ux_message); `%` and `_` in the prefix match themselves."""
    pattern = message_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return session.all("""SELECT channel, status, COUNT(*) AS n FROM notification_deliveries
                            WHERE tenant_id = %s AND message_id LIKE %s GROUP BY channel, status""",
                       (tenant_id, pattern))


def claim(session: Session, tenant_id: int, delivery_id: int) -> dict[str, Any] | None:
    """Take the delivery for sending, or None when it is done or someone else holds it."""
    taken = session.execute(
        f"""UPDATE notification_deliveries SET status = %s, lease_until = UTC_TIMESTAMP(6) + INTERVAL %s SECOND
             WHERE tenant_id = %s AND id = %s
               AND (status IN ({marks(CLAIMABLE)}) OR (status = %s AND lease_until < UTC_TIMESTAMP(6)))""",
        (SENDING, LEASE_SECONDS, tenant_id, delivery_id, *CLAIMABLE, SENDING))
    if not taken:
        return None
    row = session.one(f"SELECT {_COLUMNS}, d.params FROM notification_deliveries d WHERE d.tenant_id = %s AND d.id = %s",
                      (tenant_id, delivery_id))
    if row is not None:
        row["params"] = cache.loads(row["params"])
    return row


def finish(session: Session, tenant_id: int, delivery_id: int, status: str, *, reason: str | None = None,
           provider: str | None = None, provider_ref: str | None = None, recipient: str | None = None,
           next_attempt_at: datetime | None = None, attempts: int | None = None) -> None:
    """Leave `sending` for `status`, recording what is known (sent_at on sent)."""
    session.execute(
        """UPDATE notification_deliveries
              SET status = %s, reason = %s, provider = COALESCE(%s, provider),
                  provider_ref = COALESCE(%s, provider_ref), recipient = COALESCE(%s, recipient),
                  next_attempt_at = %s, attempts = COALESCE(%s, attempts), lease_until = NULL,
                  sent_at = IF(%s = 'sent', UTC_TIMESTAMP(6), sent_at)
            WHERE tenant_id = %s AND id = %s""",
        (status, reason, provider, provider_ref, recipient, next_attempt_at, attempts, status, tenant_id, delivery_id))


def due(session: Session, now: datetime, limit: int) -> list[dict[str, Any]]:
    """Deferred deliveries whose time has come, and queued ones whose delayed message is overdue
    (lost?), of every tenant, locked for this sweep."""
    return session.all(
        """SELECT tenant_id, id, status, channel FROM notification_deliveries
            WHERE status IN ('deferred', 'queued') AND next_attempt_at <= %s
            ORDER BY next_attempt_at LIMIT %s FOR UPDATE SKIP LOCKED""", (now, limit))


def requeued(session: Session, tenant_id: int, delivery_id: int, safety_until: datetime) -> None:
    session.execute("""UPDATE notification_deliveries SET status = 'queued', next_attempt_at = %s
                        WHERE tenant_id = %s AND id = %s""", (safety_until, tenant_id, delivery_id))


# -- push tickets -------------------------------------------------------------------------------
def add_tickets(session: Session, tenant_id: int, delivery_id: int, tickets: list[tuple[str, str]]) -> None:
    """(ticket id, token) pairs Expo answered ok, waiting for their receipts."""
    session.executemany("INSERT INTO push_tickets (tenant_id, ticket_id, delivery_id, token) VALUES (%s, %s, %s, %s)",
                        [(tenant_id, ticket_id, delivery_id, token) for ticket_id, token in tickets])


def pending_tickets(session: Session, older_than: datetime, limit: int) -> list[dict[str, Any]]:
    return session.all("""SELECT tenant_id, ticket_id, delivery_id, token, created_at FROM push_tickets
                           WHERE status = 'pending' AND created_at <= %s ORDER BY created_at LIMIT %s""",
                       (older_than, limit))


def settle_ticket(session: Session, tenant_id: int, ticket_id: str, ok: bool, error: str | None) -> bool:
    return session.execute("""UPDATE push_tickets SET status = %s, error = %s, checked_at = UTC_TIMESTAMP(6)
                               WHERE tenant_id = %s AND ticket_id = %s AND status = 'pending'""",
                           ("ok" if ok else "error", error, tenant_id, ticket_id)) > 0


def ticket_summary(session: Session, tenant_id: int, delivery_id: int) -> dict[str, Any]:
    row = session.one("""SELECT SUM(status = 'pending') AS pending, SUM(status = 'ok') AS ok,
                                SUM(status = 'error') AS errors, MAX(error) AS error
                           FROM push_tickets WHERE tenant_id = %s AND delivery_id = %s""", (tenant_id, delivery_id))
    return {key: (row or {}).get(key) or 0 for key in ("pending", "ok", "errors")} | {"error": (row or {}).get("error")}


def mark_receipt_outcome(session: Session, tenant_id: int, delivery_id: int, delivered: bool, error: str | None) -> None:
    """A push whose receipts are all in: delivered when one device got it, else failed."""
    if delivered:
        session.execute("""UPDATE notification_deliveries SET status = 'delivered', delivered_at = UTC_TIMESTAMP(6)
                            WHERE tenant_id = %s AND id = %s AND status = 'sent'""", (tenant_id, delivery_id))
    else:
        session.execute("""UPDATE notification_deliveries SET status = 'failed', reason = %s
                            WHERE tenant_id = %s AND id = %s AND status = 'sent'""",
                        (error or "receipt_error", tenant_id, delivery_id))


# -- staff view ---------------------------------------------------------------------------------
def page(session: Session, tenant_id: int, filters: dict[str, Any], position: Position | None,
         limit: int) -> list[dict[str, Any]]:
    where, params = ["d.tenant_id = %s"], [tenant_id]
    for column in ("status", "channel", "category", "template"):
        values = filters.get(column)
        if values:
            where.append(f"d.{column} IN ({marks(values)})")
            params += list(values)
    if filters.get("user_id") is not None:
        where.append("d.user_id = %s")
        params.append(filters["user_id"])
    if filters.get("message_id"):
        where.append("d.message_id = %s")
        params.append(filters["message_id"])
    if filters.get("created_from") is not None:
        where.append("d.created_at >= %s")
        params.append(filters["created_from"])
    if filters.get("created_before") is not None:
        where.append("d.created_at < %s")
        params.append(filters["created_before"])
    tail, values = NEWEST.page(where, params, position, limit + 1)
    return session.all(f"SELECT {_COLUMNS} FROM notification_deliveries d {tail}", values)


def detail(session: Session, tenant_id: int, delivery_id: int) -> dict[str, Any] | None:
    row = session.one(f"SELECT {_COLUMNS} FROM notification_deliveries d WHERE d.tenant_id = %s AND d.id = %s",
                      (tenant_id, delivery_id))
    if row is not None:
        row["push_tickets"] = session.all(
            """SELECT ticket_id, status, error, created_at, checked_at FROM push_tickets
                WHERE tenant_id = %s AND delivery_id = %s ORDER BY created_at, ticket_id""", (tenant_id, delivery_id))
    return row
