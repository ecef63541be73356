"""SQL of the shipping area: shipments, their events, and the order rows they hang off.

Every statement names the tenant.  Writes and locking reads by id use FORCE INDEX (PRIMARY)
(BY_ID): shipments.ix_status holds the very column these updates change, and MariaDB under
READ COMMITTED can skip a row read through such an index while another transaction changes it
(see chalicelib/catalog_admin/product_repository.py).  Locks are taken order row first, then
shipment rows (the callers go through orders.states.lock_order before lock()).
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from chalicelib.platform.db import Session, UnitOfWork
from chalicelib.platform.sql import BY_ID, lock_row, marks

TENANT_CHUNK = 100  # tenants per due_for_poll statement
COLUMNS = """id, tenant_id, order_id, carrier, tracking_number, tracking_url, reference, status,
             items, label_url, estimated_delivery_at, shipped_at, delivered_at, last_event_at, poll_due_at,
             poll_failures, created_at, updated_at"""


def _decoded(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is not None and isinstance(row.get("items"), (str, bytes)):
        row["items"] = json.loads(row["items"])
    return row


# -- orders (read only here; status changes go through orders.states) -------------------
def order(session: Session, tenant_id: int, order_id: int) -> dict[str, Any] | None:
    return session.one(
        """SELECT id, tenant_id, user_id, order_number, status, currency, grand_total, shipping_address,
                  contact_email, contact_phone
             FROM orders WHERE tenant_id = %s AND id = %s""", (tenant_id, order_id))


def order_is_users(session: Session, tenant_id: int, order_id: int, user_id: int) -> bool:
    return session.one("SELECT id FROM orders WHERE tenant_id = %s AND id = %s AND user_id = %s",
                       (tenant_id, order_id, user_id)) is not None


def order_items(session: Session, tenant_id: int, order_id: int) -> list[dict[str, Any]]:
    return session.all(
        """SELECT id, sku, name, variation_name, quantity, line_total FROM order_items
            WHERE tenant_id = %s AND order_id = %s ORDER BY id""", (tenant_id, order_id))


# -- shipments ----------------------------------------------------------------------------
def get(session: Session, tenant_id: int, shipment_id: int) -> dict[str, Any] | None:
    return _decoded(session.one(f"SELECT {COLUMNS} FROM shipments WHERE tenant_id = %s AND id = %s",
                                (tenant_id, shipment_id)))


def lock(uow: UnitOfWork, tenant_id: int, shipment_id: int) -> dict[str, Any] | None:
    return _decoded(lock_row(uow, "shipments", tenant_id, shipment_id, columns=COLUMNS))


def by_tracking(session: Session, tenant_id: int, carrier: str, tracking_number: str) -> dict[str, Any] | None:
    return _decoded(session.one(
        f"SELECT {COLUMNS} FROM shipments WHERE tenant_id = %s AND carrier = %s AND tracking_number = %s",
        (tenant_id, carrier, tracking_number)))


def of_order(session: Session, tenant_id: int, order_id: int) -> list[dict[str, Any]]:
    rows = session.all(f"SELECT {COLUMNS} FROM shipments WHERE tenant_id = %s AND order_id = %s ORDER BY id",
                       (tenant_id, order_id))
    return [r for r in map(_decoded, rows) if r is not None]


def listing(session: Session, tenant_id: int, *, status: str | None, carrier: str | None, before_id: int | None,
            limit: int) -> list[dict[str, Any]]:
    where: list[str] = ["tenant_id = %s"]
    params: list[Any] = [tenant_id]
    for column, value in (("status", status), ("carrier", carrier)):
        if value is not None:
            where.append(f"{column} = %s")
            params.append(value)
    if before_id is not None:
        where.append("id < %s")
        params.append(before_id)
    return session.all(
        f"""SELECT id, order_id, carrier, tracking_number, status, last_event_at, created_at, updated_at
              FROM shipments WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT %s""", (*params, limit))


def insert(uow: UnitOfWork, tenant_id: int, values: dict[str, Any]) -> int:
    columns = {**values, "items": json.dumps(values["items"], separators=(",", ":"))}
    names = ", ".join(columns)
    return uow.insert(f"INSERT INTO shipments (tenant_id, {names}) VALUES (%s, {marks(list(columns))})",
                      (tenant_id, *columns.values()))


def update(uow: UnitOfWork, tenant_id: int, shipment_id: int, columns: dict[str, Any]) -> None:
    if columns:
        sets = ", ".join(f"{name} = %s" for name in columns)
        uow.execute(f"UPDATE shipments {BY_ID} SET {sets} WHERE tenant_id = %s AND id = %s",
                    (*columns.values(), tenant_id, shipment_id))


# -- events -------------------------------------------------------------------------------
def insert_event(uow: UnitOfWork, tenant_id: int, shipment_id: int, *, status: str, occurred_at: dt.datetime,
                 description: str | None, location: str | None, source: str, raw: dict[str, Any] | None) -> bool:
    """True when the event is new; False when ux_event (shipment, occurred_at, status) already
    holds it - the at-least-once webhook or a poll seeing it again.  The no-op update makes a
    duplicate report 0 affected rows without swallowing other errors as INSERT IGNORE would."""
    affected = uow.execute(
        """INSERT INTO shipment_events (tenant_id, shipment_id, status, description, location, source, occurred_at, raw)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON DUPLICATE KEY UPDATE id = id""",
        (tenant_id, shipment_id, status, description, location, source, occurred_at,
         None if raw is None else json.dumps(raw, ensure_ascii=False, default=str)))
    return affected == 1


def events_of(session: Session, tenant_id: int, shipment_ids: Sequence[int]) -> list[dict[str, Any]]:
    if not shipment_ids:
        return []
    return session.all(
        f"""SELECT shipment_id, status, description, location, occurred_at, source FROM shipment_events
             WHERE tenant_id = %s AND shipment_id IN ({marks(shipment_ids)})
             ORDER BY shipment_id, occurred_at, id""", (tenant_id, *shipment_ids))


# -- polling ------------------------------------------------------------------------------
def due_for_poll(session: Session, now: dt.datetime, limit: int) -> list[dict[str, Any]]:
    """Shipments whose poll is due, oldest first, over every active tenant.

    One range of ix_poll_due (tenant_id, poll_due_at) per tenant, read from the index alone
    (UNION ALL of per-tenant branches, TENANT_CHUNK tenants a statement), so the rows read are
    the due ones however many delivered shipments the table holds.  (A join from tenants reads
    every index entry of every tenant: MariaDB uses only the tenant_id prefix there.)  Then
    the `limit` oldest are read in full."""
    tenants = [r["id"] for r in session.all("SELECT id FROM tenants WHERE status = 'active' ORDER BY id")]
    due: list[tuple[dt.datetime, int, int]] = []
    for start in range(0, len(tenants), TENANT_CHUNK):
        chunk = tenants[start:start + TENANT_CHUNK]
        branch = ("(SELECT tenant_id, id, poll_due_at FROM shipments FORCE INDEX (ix_poll_due)"
                  " WHERE tenant_id = %s AND poll_due_at <= %s ORDER BY poll_due_at, id LIMIT %s)")
        rows = session.all(" UNION ALL ".join([branch] * len(chunk)),
                           [value for tenant_id in chunk for value in (tenant_id, now, limit)])
        due = sorted(due + [(r["poll_due_at"], r["id"], r["tenant_id"]) for r in rows])[:limit]
    by_tenant: dict[int, list[int]] = {}
    for _, shipment_id, tenant_id in due:
        by_tenant.setdefault(tenant_id, []).append(shipment_id)
    found: list[dict[str, Any]] = []
    for tenant_id, ids in by_tenant.items():
        found.extend(session.all(
            f"""SELECT tenant_id, id, carrier, tracking_number, poll_due_at, poll_failures FROM shipments
                 WHERE tenant_id = %s AND id IN ({marks(ids)})""", (tenant_id, *ids)))
    return sorted(found, key=lambda r: (r["poll_due_at"], r["id"]))


def claim_poll(session: Session, tenant_id: int, shipment_id: int, due: dt.datetime, lease_until: dt.datetime) -> bool:
    """Take the shipment for this run: moves poll_due_at past the lease only if no other run
    moved it first, so overlapping runs never ask twice; a run that dies is retried after it."""
    return session.execute(
        f"UPDATE shipments {BY_ID} SET poll_due_at = %s WHERE tenant_id = %s AND id = %s AND poll_due_at = %s",
        (lease_until, tenant_id, shipment_id, due)) == 1


def poll_failed(session: Session, tenant_id: int, shipment_id: int, next_due: dt.datetime) -> None:
    session.execute(
        f"""UPDATE shipments {BY_ID} SET poll_failures = LEAST(poll_failures + 1, 1000), poll_due_at = %s
             WHERE tenant_id = %s AND id = %s AND poll_due_at IS NOT NULL""", (next_due, tenant_id, shipment_id))


def stop_polling(session: Session, tenant_id: int, shipment_id: int) -> None:
    session.execute(f"UPDATE shipments {BY_ID} SET poll_due_at = NULL WHERE tenant_id = %s AND id = %s",
                    (tenant_id, shipment_id))
