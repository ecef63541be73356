"""Shipment use cases: an admin creates and updates shipments; admins and customers read them.

Creating the first shipment of a paid / preparing order moves the order to shipped (a paid
order through preparing: two timeline entries); later shipments of a shipped order are partial
shipments.  Any other order status is refused by orders.states with 409 illegal_transition.
Status changes of a shipment go through tracking.apply, like the carrier's.

Retries: an Idempotency-Key is the platform's (platform/idempotency.py, scoped to the admin):
the same key and request answer the shipment made the first time (Idempotent-Replayed), another
request under it is a 409.  The booking reference is derived from the key too, so a concurrent
retry that books before the first has committed gets the same booking back from the carrier.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pymysql

from chalicelib.orders import api as orders
from chalicelib.orders.api import Actor
from chalicelib.platform import audit, idempotency
from chalicelib.platform.db import Database, Session, UnitOfWork
from chalicelib.platform.errors import ApiError, Conflict, NotFound

from . import booking, states, tracking
from . import repository as repo
from .errors import ShipmentFinal, quantity_exceeded, unknown_items

DUPLICATE_KEY = 1062
CREATE = idempotency.Operation("shipment_create")


@dataclass
class Created:
    shipment: dict[str, Any]  # the admin view (schemas.AdminShipmentOut)
    replayed: bool


# -- reads --------------------------------------------------------------------------------
def order_shipments(session: Session, tenant_id: int, order_id: int, lang: str) -> list[dict[str, Any]]:
    """Every shipment of the order with its history (schemas.ShipmentOut).  For other areas
    (the order detail page) that have already checked who may see the order."""
    return _views(session, tenant_id, repo.of_order(session, tenant_id, order_id), lang, admin=False)


def customer_order_shipments(db: Database, tenant_id: int, user_id: int, order_id: int,
                             lang: str) -> list[dict[str, Any]]:
    session = db.session()
    if not repo.order_is_users(session, tenant_id, order_id, user_id):
        raise NotFound("order_not_found")  # another user's or tenant's order looks missing
    return order_shipments(session, tenant_id, order_id, lang)


def admin_order_shipments(db: Database, tenant_id: int, order_id: int, lang: str) -> list[dict[str, Any]]:
    session = db.session()
    if repo.order(session, tenant_id, order_id) is None:
        raise NotFound("order_not_found")
    return _views(session, tenant_id, repo.of_order(session, tenant_id, order_id), lang, admin=True)


def admin_get(db: Database, tenant_id: int, shipment_id: int, lang: str) -> dict[str, Any]:
    session = db.session()
    return _views(session, tenant_id, [_existing(session, tenant_id, shipment_id)], lang, admin=True)[0]


def admin_list(db: Database, tenant_id: int, *, status: str | None, carrier: str | None, before_id: int | None,
               limit: int, lang: str) -> dict[str, Any]:
    rows = repo.listing(db.session(), tenant_id, status=status, carrier=carrier, before_id=before_id, limit=limit + 1)
    page = rows[:limit]
    return {"items": [{**row, "status_text": states.text(row["status"], lang)} for row in page],
            "next_before_id": page[-1]["id"] if len(rows) > limit else None}


# -- create -------------------------------------------------------------------------------
def create_shipment(db: Database, tenant_id: int, order_id: int, fields: dict[str, Any], *, admin_user_id: int,
                    idempotency_key: str | None = None, lang: str = "tr") -> Created:
    """fields: schemas.ShipmentCreate as a dict."""
    actor = Actor.admin(admin_user_id)
    key = idempotency.key(tenant_id, CREATE, admin_user_id, idempotency_key, {"order_id": order_id, **fields})
    reference = _reference(tenant_id, order_id, key)
    session = db.session()
    earlier = idempotency.lookup(session, key)  # before a label is bought
    if earlier is not None:
        return Created(admin_get(db, tenant_id, int(earlier.body["id"]), lang), replayed=True)
    order = repo.order(session, tenant_id, order_id)
    if order is None:
        raise NotFound("order_not_found")
    order_items = repo.order_items(session, tenant_id, order_id)
    try:
        _check_shippable(order["status"], actor)  # refuse before paying for a label
        lines = _lines(fields.get("items"), order_items, repo.of_order(session, tenant_id, order_id))
    except ApiError:
        # A concurrent retry with the same key may have shipped everything between our first
        # look and now: that is a replay of its answer, not "nothing to ship".
        earlier = idempotency.lookup(db.session(), key)
        if earlier is None:
            raise
        return Created(admin_get(db, tenant_id, int(earlier.body["id"]), lang), replayed=True)
    booked = None
    if fields.get("tracking_number") is None:
        booked = booking.book(order, order_items, lines, carrier_code=fields["carrier"], reference=reference)
    values = {
        "order_id": order_id, "carrier": fields["carrier"], "reference": reference,
        "status": states.LABEL_CREATED,
        "tracking_number": booked.tracking_number if booked else fields["tracking_number"],
        "tracking_url": booked.tracking_url if booked else fields.get("tracking_url"),
        "label_url": booked.label_url if booked else None,
        "estimated_delivery_at": booked.estimated_delivery_at if booked else None,
    }
    try:
        shipment_id, replayed = db.transaction(_create_work(tenant_id, order_id, fields.get("items"), values, actor,
                                                            key))
    except ApiError:
        if booked is not None:
            booking.void(fields["carrier"], booked.tracking_number)
        raise
    return Created(admin_get(db, tenant_id, shipment_id, lang), replayed)


def _create_work(tenant_id: int, order_id: int, requested: list[dict[str, int]] | None, values: dict[str, Any],
                 actor: Actor, key: idempotency.Key | None) -> Callable[[UnitOfWork], tuple[int, bool]]:
    def work(uow: UnitOfWork) -> tuple[int, bool]:
        # A concurrent retry with the same key waits here for the first's answer; it got the
        # same booking from the carrier (same reference), so there is nothing to void.
        earlier = idempotency.claim(uow, key)
        if earlier is not None:
            return int(earlier.body["id"]), True
        order = orders.lock_order(uow, tenant_id, order_id)
        _check_shippable(order["status"], actor)
        # Authoritative under the order lock: concurrent shipments of one order queue here.
        lines = _lines(requested, repo.order_items(uow, tenant_id, order_id), repo.of_order(uow, tenant_id, order_id))
        now = tracking.utcnow()
        try:
            shipment_id = repo.insert(uow, tenant_id, {**values, "items": lines,
                                                       "poll_due_at": tracking.next_poll(values["carrier"], now)})
        except pymysql.err.IntegrityError as exc:
            if exc.args and exc.args[0] == DUPLICATE_KEY:
                raise Conflict("tracking_number_taken", details={"carrier": values["carrier"],
                                                                "tracking_number": values["tracking_number"]}) from None
            raise
        repo.insert_event(uow, tenant_id, shipment_id, status=states.LABEL_CREATED, occurred_at=now,
                          description=None, location=None, source="system", raw=None)
        _advance_order(uow, order, actor, shipment_id, values)
        audit.record(uow, tenant_id, "shipment.create", entity_type="shipment", entity_id=shipment_id,
                     after=_audited({**values, "items": lines, "id": shipment_id}))
        idempotency.record(uow, key, 201, {"id": shipment_id})
        uow.commit()
        return shipment_id, False

    return work


def _check_shippable(status: str, actor: Actor) -> None:
    """paid, preparing and shipped (a further, partial shipment) may ship; lifecycle says no
    (409 illegal_transition) to the rest."""
    if status == orders.SHIPPED:
        return
    orders.check(status, orders.PREPARING if status == orders.PAID else orders.SHIPPED, actor)


def _advance_order(uow: UnitOfWork, order: dict[str, Any], actor: Actor, shipment_id: int,
                   values: dict[str, Any]) -> None:
    if order["status"] == orders.SHIPPED:
        return
    if order["status"] == orders.PAID:
        order = orders.transition(uow, order, orders.PREPARING, actor)
    carrier_name = states.CARRIER_NAMES.get(values["carrier"], values["carrier"])
    orders.transition(uow, order, orders.SHIPPED, actor, note=f"{carrier_name} {values['tracking_number']}",
                      event={"shipment_id": shipment_id, "carrier": values["carrier"],
                             "tracking_number": values["tracking_number"], "tracking_url": values["tracking_url"]})


def _lines(requested: list[dict[str, int]] | None, order_items: Sequence[dict[str, Any]],
           shipments: Sequence[dict[str, Any]]) -> list[dict[str, int]]:
    """The lines of the new shipment: those asked for, or everything not shipped yet."""
    shipped = tracking.shipped_quantities(shipments)
    remaining = {item["id"]: item["quantity"] - shipped[item["id"]] for item in order_items}
    if requested is None:
        lines = [{"order_item_id": item_id, "quantity": left} for item_id, left in remaining.items() if left > 0]
        if not lines:
            raise Conflict("nothing_to_ship")
        return lines
    unknown = [(index, line["order_item_id"]) for index, line in enumerate(requested)
               if line["order_item_id"] not in remaining]
    if unknown:
        raise unknown_items(unknown)
    over = [{"order_item_id": line["order_item_id"], "requested": line["quantity"],
             "remaining": max(remaining[line["order_item_id"]], 0)}
            for line in requested if line["quantity"] > remaining[line["order_item_id"]]]
    if over:
        raise quantity_exceeded(over)
    return [{"order_item_id": line["order_item_id"], "quantity": line["quantity"]} for line in requested]


def _reference(tenant_id: int, order_id: int, key: idempotency.Key | None) -> str:
    """Our booking reference at the carrier: random without a key, derived from it with one."""
    if key is None:
        return f"hc-{uuid.uuid4().hex}"
    digest = hashlib.sha256(f"{tenant_id}:{order_id}:{key.value}".encode()).hexdigest()
    return f"hc-{digest[:40]}"


# -- update -------------------------------------------------------------------------------
def update_shipment(db: Database, tenant_id: int, shipment_id: int, changes: dict[str, Any], *,
                    admin_user_id: int, lang: str = "tr") -> dict[str, Any]:
    """changes: schemas.ShipmentUpdate, only the fields sent.  Setting the status it already
    has (without a time) changes nothing, so a retried update is harmless."""
    current = _existing(db.session(), tenant_id, shipment_id)
    actor = Actor.admin(admin_user_id)

    def work(uow: UnitOfWork) -> None:
        order = orders.lock_order(uow, tenant_id, current["order_id"])
        shipment = repo.lock(uow, tenant_id, shipment_id)
        assert shipment is not None  # shipments go only with their order
        before = _audited(shipment)
        columns: dict[str, Any] = {name: changes[name] for name in ("tracking_url", "estimated_delivery_at")
                                   if name in changes}
        status = changes.get("status")
        if status is not None and shipment["status"] in states.FINAL and status != shipment["status"]:
            raise ShipmentFinal(shipment["status"])
        if status is not None and (status != shipment["status"] or "occurred_at" in changes):
            event = tracking.NewEvent(status, changes.get("occurred_at") or tracking.utcnow(),
                                      changes.get("description"), changes.get("location"))
            shipment = tracking.apply(uow, order, shipment, [event], source="admin", actor=actor,
                                      extra=columns).shipment
        else:
            repo.update(uow, tenant_id, shipment_id, columns)
            shipment = {**shipment, **columns}
        audit.record(uow, tenant_id, "shipment.update", entity_type="shipment", entity_id=shipment_id,
                     before=before, after=_audited(shipment))
        uow.commit()

    db.transaction(work)
    return admin_get(db, tenant_id, shipment_id, lang)


# -- views --------------------------------------------------------------------------------
def _existing(session: Session, tenant_id: int, shipment_id: int) -> dict[str, Any]:
    row = repo.get(session, tenant_id, shipment_id)
    if row is None:
        raise NotFound("shipment_not_found")
    return row


def _views(session: Session, tenant_id: int, rows: Sequence[dict[str, Any]], lang: str, *,
           admin: bool) -> list[dict[str, Any]]:
    events: dict[int, list[dict[str, Any]]] = {}
    for event in repo.events_of(session, tenant_id, [row["id"] for row in rows]):
        events.setdefault(event["shipment_id"], []).append({
            "status": event["status"], "status_text": states.text(event["status"], lang),
            "description": event["description"], "location": event["location"],
            "occurred_at": event["occurred_at"], "source": event["source"]})
    out = []
    for row in rows:
        view = {
            "id": row["id"], "order_id": row["order_id"], "carrier": row["carrier"],
            "carrier_name": states.CARRIER_NAMES.get(row["carrier"], row["carrier"]),
            "tracking_number": row["tracking_number"], "tracking_url": row["tracking_url"],
            "status": row["status"], "status_text": states.text(row["status"], lang),
            "items": row["items"] or [], "estimated_delivery_at": row["estimated_delivery_at"],
            "shipped_at": row["shipped_at"], "delivered_at": row["delivered_at"],
            "last_event_at": row["last_event_at"], "created_at": row["created_at"],
            "events": events.get(row["id"], []),
        }
        if admin:
            view.update(label_url=row["label_url"], reference=row["reference"], poll_due_at=row["poll_due_at"],
                        updated_at=row["updated_at"])
        out.append(view)
    return out


def _audited(row: dict[str, Any]) -> dict[str, Any]:
    keep = ("id", "order_id", "carrier", "tracking_number", "tracking_url", "status", "items",
            "estimated_delivery_at", "label_url")
    return {name: (value.isoformat() if isinstance(value, dt.datetime) else value)
            for name, value in row.items() if name in keep}
