"""Tracking events into shipments, whoever reports them (carrier webhook, poll, admin).

`apply()` is the one place a shipment's status changes.  Inside the caller's transaction,
with the order row and then the shipment row locked:

- each event is stored once (ux_event: shipment, occurred_at, status), so a webhook delivered
  twice, or a poll seeing what a webhook already brought, adds nothing;
- the status follows the latest event (states.supersedes); an older event only joins the
  history; delivered / returned are final;
- when the shipment becomes delivered and every shipment of the order is delivered with every
  item shipped, the order moves to delivered through orders.states (which writes the
  timeline entry and the OrderStatusChanged outbox event that drives the notification).
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from chalicelib.adapters.carrier import WebhookUpdate, carrier_for, pushes_webhooks
from chalicelib.orders import api as orders
from chalicelib.orders.api import Actor
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.logging import get_logger

from . import repository as repo
from . import states

log = get_logger("shipping.tracking")

# Carriers without webhooks are asked this often (the poll job runs every 15 minutes, so a
# shorter interval means "every run").  Carriers with webhooks are still asked now and then,
# so a webhook lost for good is noticed within hours, not never.
POLL_INTERVAL = dt.timedelta(minutes=10)
WEBHOOK_SAFETY_NET = dt.timedelta(hours=6)
MAX_BACKOFF = dt.timedelta(hours=12)


@dataclass(frozen=True)
class NewEvent:
    status: str
    occurred_at: dt.datetime  # naive UTC
    description: str | None = None
    location: str | None = None
    raw: dict[str, Any] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Outcome:
    stored: int
    duplicates: int
    shipment: dict[str, Any]
    order_delivered: bool


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def next_poll(carrier: str, now: dt.datetime, failures: int = 0) -> dt.datetime | None:
    """When the poll job should ask the carrier next; None when it never should (no integration)."""
    if carrier_for(carrier) is None:
        return None
    base = WEBHOOK_SAFETY_NET if pushes_webhooks(carrier) else POLL_INTERVAL
    if failures:
        return now + min(POLL_INTERVAL * 2 ** min(failures, 10), MAX_BACKOFF)
    return now + base


def apply(uow: UnitOfWork, order: dict[str, Any], shipment: dict[str, Any], events: Iterable[NewEvent], *,
          source: str, actor: Actor, extra: dict[str, Any] | None = None) -> Outcome:
    """Store `events` on the locked `shipment` of the locked `order` and move its status.

    `extra` sets further shipment columns in the same UPDATE (the poll bookkeeping); a final
    status always clears poll_due_at."""
    tenant_id, shipment_id = shipment["tenant_id"], shipment["id"]
    status, last_at = shipment["status"], shipment["last_event_at"]
    shipped_at, delivered_at = shipment["shipped_at"], shipment["delivered_at"]
    stored = duplicates = 0
    has_label_event = None
    for event in sorted(events, key=lambda e: (e.occurred_at, states.STATUSES.index(e.status))):
        if event.status == states.LABEL_CREATED:
            # "Label created" happens once; the carrier's own report of it (with its clock)
            # would otherwise sit next to the one recorded when the shipment was made.
            if has_label_event is None:
                has_label_event = _has_event(uow, tenant_id, shipment_id, states.LABEL_CREATED)
            if has_label_event:
                duplicates += 1
                continue
        if not repo.insert_event(uow, tenant_id, shipment_id, status=event.status, occurred_at=event.occurred_at,
                                 description=event.description, location=event.location, source=source,
                                 raw=event.raw):
            duplicates += 1
            continue
        stored += 1
        has_label_event = has_label_event or event.status == states.LABEL_CREATED
        if event.status in states.WITH_CARRIER and (shipped_at is None or event.occurred_at < shipped_at):
            shipped_at = event.occurred_at
        if states.supersedes(status, last_at, event.status, event.occurred_at):
            status = event.status
            last_at = event.occurred_at if last_at is None else max(last_at, event.occurred_at)
            if status == states.DELIVERED:
                delivered_at = event.occurred_at
    columns = {**(extra or {})}
    if (status, last_at, shipped_at, delivered_at) != (shipment["status"], shipment["last_event_at"],
                                                      shipment["shipped_at"], shipment["delivered_at"]):
        columns.update(status=status, last_event_at=last_at, shipped_at=shipped_at, delivered_at=delivered_at)
    if status in states.FINAL:
        columns["poll_due_at"] = None
    repo.update(uow, tenant_id, shipment_id, columns)
    updated = {**shipment, **columns}
    became_delivered = status == states.DELIVERED and shipment["status"] != states.DELIVERED
    order_delivered = became_delivered and _deliver_order_if_complete(uow, order, updated, actor)
    return Outcome(stored, duplicates, updated, order_delivered)


def _has_event(uow: UnitOfWork, tenant_id: int, shipment_id: int, status: str) -> bool:
    return uow.one("SELECT id FROM shipment_events WHERE tenant_id = %s AND shipment_id = %s AND status = %s LIMIT 1",
                   (tenant_id, shipment_id, status)) is not None


def shipped_quantities(shipments: Sequence[dict[str, Any]]) -> Counter[int]:
    shipped: Counter[int] = Counter()
    for shipment in shipments:
        for line in shipment["items"] or []:
            shipped[int(line["order_item_id"])] += int(line["quantity"])
    return shipped


def _deliver_order_if_complete(uow: UnitOfWork, order: dict[str, Any], shipment: dict[str, Any],
                               actor: Actor) -> bool:
    """Order → delivered once all of it has arrived: every shipment delivered, every unit shipped.
    A partial delivery leaves the order shipped."""
    if order["status"] != orders.SHIPPED:
        return False  # already delivered, or moved on (a return); the event is history only
    tenant_id, order_id = order["tenant_id"], order["id"]
    shipments = repo.of_order(uow, tenant_id, order_id)
    if any(s["status"] != states.DELIVERED for s in shipments):
        return False
    shipped = shipped_quantities(shipments)
    if any(shipped[item["id"]] < item["quantity"] for item in repo.order_items(uow, tenant_id, order_id)):
        return False
    orders.transition(uow, order, orders.DELIVERED, actor, note=states.CARRIER_NAMES.get(
        shipment["carrier"], shipment["carrier"]) + f" {shipment['tracking_number'] or ''}".rstrip(),
        event={"shipment_id": shipment["id"], "carrier": shipment["carrier"],
               "tracking_number": shipment["tracking_number"]})
    return True


def record(db: Database, tenant_id: int, shipment_id: int, events: Sequence[NewEvent], *, source: str,
           actor: Actor, extra: dict[str, Any] | None = None) -> Outcome:
    """`apply` in a transaction of its own: order row locked first, then the shipment."""
    current = repo.get(db.session(), tenant_id, shipment_id)
    if current is None:
        raise LookupError(shipment_id)

    def work(uow: UnitOfWork) -> Outcome:
        order = orders.lock_order(uow, tenant_id, current["order_id"])
        shipment = repo.lock(uow, tenant_id, shipment_id)
        assert shipment is not None  # shipments are never deleted while their order exists
        outcome = apply(uow, order, shipment, events, source=source, actor=actor, extra=extra)
        uow.commit()
        return outcome

    return db.transaction(work)


WebhookOutcome = Literal["stored", "duplicate", "ignored"]


def record_webhook(db: Database, tenant_id: int, carrier: str, update: WebhookUpdate) -> WebhookOutcome:
    """A verified webhook → "stored", "duplicate" or "ignored" (not this store's shipment, or
    nothing we understand in it).  Ignored events still answer 2xx: the carrier would
    otherwise retry them for days."""
    if update.carrier != carrier or not update.events:
        return "ignored"
    shipment = repo.by_tracking(db.session(), tenant_id, carrier, update.tracking_number)
    if shipment is None:
        return "ignored"
    events = [NewEvent(e.status, e.occurred_at, e.description, e.location, e.raw) for e in update.events]
    outcome = record(db, tenant_id, shipment["id"], events, source="carrier", actor=orders.SYSTEM,
                     extra={"poll_due_at": next_poll(carrier, utcnow())})
    return "stored" if outcome.stored else "duplicate"
