"""SQL of campaign sends (campaign_sends, campaign_send_recipients), tenant-scoped.

Read models (chalicelib/platform/tables.py READ_MODELS): tenants (the scheduler's walk over the
shops' due sends, through each shop's ix_status), orders (a send's conversions: recipients' paid
orders within the window, on orders.ix_user).  campaign_redemptions is ours.

A send is taken for delivery by one conditional UPDATE (`claim`): scheduled and due, or sending
with its lease run out (a runner that died); each batch then locks the send row (`lock`), so two
runners of one send take turns, and campaign_send_recipients' primary key keeps a customer from
being sent to twice.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from chalicelib.platform.db import Session, UnitOfWork
from chalicelib.platform.keyset import Keyset, Position
from chalicelib.platform.sql import BY_ID, marks

from .audience_repository import NOT_SALES

NEWEST = Keyset("campaign-sends", ("s.id",), (int,), id_column="s.id")

_COLUMNS = """s.id, s.campaign_id, s.name, s.channels, s.audience, s.title, s.body, s.deep_link, s.scheduled_at,
              s.status, s.audience_count, s.queued_count, s.skipped_count, s.created_by, s.started_at,
              s.finished_at, s.created_at, s.updated_at"""


def _decoded(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is not None:
        for name in ("channels", "audience"):
            if isinstance(row[name], (str, bytes)):
                row[name] = json.loads(row[name])
    return row


def get(session: Session, tenant_id: int, send_id: int) -> dict[str, Any] | None:
    return _decoded(session.one(f"SELECT {_COLUMNS} FROM campaign_sends s WHERE s.tenant_id = %s AND s.id = %s",
                                (tenant_id, send_id)))


def lock(uow: UnitOfWork, tenant_id: int, send_id: int) -> dict[str, Any] | None:
    return _decoded(uow.one(f"SELECT {_COLUMNS} FROM campaign_sends s WHERE s.tenant_id = %s AND s.id = %s FOR UPDATE",
                            (tenant_id, send_id)))


def page(session: Session, tenant_id: int, status: str | None, position: Position | None,
         limit: int) -> list[dict[str, Any]]:
    where: list[str] = ["s.tenant_id = %s"]
    params: list[Any] = [tenant_id]
    if status is not None:
        where, params = [*where, "s.status = %s"], [*params, status]
    tail, values = NEWEST.page(where, params, position, limit)
    return [r for r in (_decoded(row) for row in session.all(f"SELECT {_COLUMNS} FROM campaign_sends s {tail}",
                                                               values)) if r is not None]


def campaign_exists(session: Session, tenant_id: int, campaign_id: int) -> bool:
    return session.one("SELECT 1 AS x FROM campaigns WHERE tenant_id = %s AND id = %s AND deleted_at IS NULL",
                       (tenant_id, campaign_id)) is not None


def insert(uow: UnitOfWork, tenant_id: int, fields: dict[str, Any], created_by: int) -> int:
    return uow.insert(
        """INSERT INTO campaign_sends (tenant_id, campaign_id, name, channels, audience, title, body, deep_link,
                                       created_by)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (tenant_id, fields["campaign_id"], fields["name"], json.dumps(fields["channels"]),
         json.dumps(fields["audience"]), fields["title"], fields["body"], fields["deep_link"], created_by))


def update(uow: UnitOfWork, tenant_id: int, send_id: int, fields: dict[str, Any]) -> None:
    uow.execute(
        f"""UPDATE campaign_sends {BY_ID} SET campaign_id = %s, name = %s, channels = %s, audience = %s, title = %s, body = %s,
                  deep_link = %s
            WHERE tenant_id = %s AND id = %s""",
        (fields["campaign_id"], fields["name"], json.dumps(fields["channels"]), json.dumps(fields["audience"]),
         fields["title"], fields["body"], fields["deep_link"], tenant_id, send_id))


def delete(uow: UnitOfWork, tenant_id: int, send_id: int) -> None:
    uow.execute("DELETE FROM campaign_sends WHERE tenant_id = %s AND id = %s", (tenant_id, send_id))


def set_status(uow: UnitOfWork, tenant_id: int, send_id: int, status: str, *,
               scheduled_at: dt.datetime | None = None) -> None:
    uow.execute(f"""UPDATE campaign_sends {BY_ID} SET status = %s, scheduled_at = COALESCE(%s, scheduled_at)
                    WHERE tenant_id = %s AND id = %s""", (status, scheduled_at, tenant_id, send_id))


# -- delivery --------------------------------------------------------------------------------------
def due(session: Session, now: dt.datetime, lease_before: dt.datetime, limit: int) -> list[dict[str, Any]]:
    """Sends to take, of every active shop: scheduled and due, or sending with a lapsed lease."""
    return session.all(
        """SELECT s.tenant_id, s.id FROM tenants t
             JOIN campaign_sends s ON s.tenant_id = t.id
                  AND ((s.status = 'scheduled' AND s.scheduled_at <= %s)
                       OR (s.status = 'sending' AND s.updated_at < %s))
            WHERE t.status = 'active'
            ORDER BY s.scheduled_at, s.id LIMIT %s""",
        (now, lease_before, limit))


def claim(session: Session, tenant_id: int, send_id: int, now: dt.datetime, lease_before: dt.datetime) -> bool:
    """scheduled (due) or sending with a lapsed lease → sending, renewing the lease (updated_at)."""
    return session.execute(
        f"""UPDATE campaign_sends {BY_ID} SET status = 'sending', started_at = COALESCE(started_at, %s),
                  updated_at = CURRENT_TIMESTAMP(6)
            WHERE tenant_id = %s AND id = %s
              AND ((status = 'scheduled' AND scheduled_at <= %s) OR (status = 'sending' AND updated_at < %s))""",
        (now, tenant_id, send_id, now, lease_before)) == 1


def last_recipient(session: Session, tenant_id: int, send_id: int) -> int:
    value = session.scalar("SELECT MAX(user_id) FROM campaign_send_recipients WHERE tenant_id = %s AND send_id = %s",
                           (tenant_id, send_id))
    return int(value or 0)


def add_recipients(uow: UnitOfWork, tenant_id: int, send_id: int, rows: list[tuple[int, str, str, str | None]]) -> int:
    """(user id, message id, status, reason) rows; one already there is kept (INSERT IGNORE)."""
    if not rows:
        return 0
    values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(rows))
    return uow.execute(
        f"""INSERT IGNORE INTO campaign_send_recipients (tenant_id, send_id, user_id, message_id, status, reason)
            VALUES {values}""",
        [v for user_id, message_id, status, reason in rows for v in (tenant_id, send_id, user_id, message_id, status,
                                                                     reason)])


def existing_recipients(session: Session, tenant_id: int, send_id: int, user_ids: list[int]) -> set[int]:
    if not user_ids:
        return set()
    rows = session.all(f"""SELECT user_id FROM campaign_send_recipients
                            WHERE tenant_id = %s AND send_id = %s AND user_id IN ({marks(user_ids)})""",
                       (tenant_id, send_id, *user_ids))
    return {int(r["user_id"]) for r in rows}


def add_counts(uow: UnitOfWork, tenant_id: int, send_id: int, audience: int, queued: int, skipped: int) -> None:
    """Raise the counters (and so renew the lease: updated_at)."""
    uow.execute(f"""UPDATE campaign_sends {BY_ID} SET audience_count = audience_count + %s, queued_count = queued_count + %s,
                          skipped_count = skipped_count + %s, updated_at = CURRENT_TIMESTAMP(6)
                    WHERE tenant_id = %s AND id = %s""", (audience, queued, skipped, tenant_id, send_id))


def finish(uow: UnitOfWork, tenant_id: int, send_id: int, now: dt.datetime) -> None:
    uow.execute(f"""UPDATE campaign_sends {BY_ID} SET status = 'sent', finished_at = %s
                    WHERE tenant_id = %s AND id = %s AND status = 'sending'""", (now, tenant_id, send_id))


def pause(uow: UnitOfWork, tenant_id: int, send_id: int) -> None:
    """Hand a send still going back to the scheduler (its scheduled_at has passed: the next run takes it)."""
    uow.execute(f"""UPDATE campaign_sends {BY_ID} SET status = 'scheduled'
                    WHERE tenant_id = %s AND id = %s AND status = 'sending'""", (tenant_id, send_id))


# -- statistics ------------------------------------------------------------------------------------------
def skipped_by_reason(session: Session, tenant_id: int, send_id: int) -> dict[str, int]:
    rows = session.all("""SELECT COALESCE(reason, 'unknown') AS reason, COUNT(*) AS n FROM campaign_send_recipients
                           WHERE tenant_id = %s AND send_id = %s AND status = 'skipped' GROUP BY reason""",
                       (tenant_id, send_id))
    return {str(r["reason"]): int(r["n"]) for r in rows}


def conversions(session: Session, tenant_id: int, send_id: int, days: int) -> dict[str, Any]:
    """Paid orders the queued recipients placed within `days` after they were sent to."""
    row = session.one(
        f"""SELECT COUNT(o.id) AS orders, COUNT(DISTINCT o.user_id) AS customers,
                   COALESCE(SUM(o.grand_total), 0) AS revenue
              FROM campaign_send_recipients r
              JOIN orders o ON o.tenant_id = r.tenant_id AND o.user_id = r.user_id
                   AND o.created_at >= r.created_at AND o.created_at < r.created_at + INTERVAL %s DAY
             WHERE r.tenant_id = %s AND r.send_id = %s AND r.status = 'queued'
               AND o.paid_at IS NOT NULL AND o.status NOT IN ({marks(NOT_SALES)})""",
        (days, tenant_id, send_id, *NOT_SALES))
    return dict(row or {"orders": 0, "customers": 0, "revenue": 0})


def campaign_uses(session: Session, tenant_id: int, send_id: int, campaign_id: int, days: int) -> dict[str, Any]:
    """Recipients' orders within the window that claimed the campaign (campaign_redemptions)."""
    row = session.one(
        """SELECT COUNT(DISTINCT c.order_id) AS orders, COALESCE(SUM(c.discount_amount + c.shipping_discount), 0)
                  AS discount
             FROM campaign_send_recipients r
             JOIN campaign_redemptions c ON c.tenant_id = r.tenant_id AND c.user_id = r.user_id
                  AND c.created_at >= r.created_at AND c.created_at < r.created_at + INTERVAL %s DAY
            WHERE r.tenant_id = %s AND r.send_id = %s AND r.status = 'queued'
              AND c.campaign_id = %s AND c.status = 'claimed'""",
        (days, tenant_id, send_id, campaign_id))
    return dict(row or {"orders": 0, "discount": 0})
