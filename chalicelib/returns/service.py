"""Returns for customers (issue 5 item 5): ask to return items of a delivered order, see one's
returns, withdraw a request; the photo upload form.  Staff decisions are in admin.py.

A request, in one transaction under the order's row lock (states.lock_order), so two
requests for the same item are checked one after the other and never together exceed it:

    1. Idempotency-Key (optional, platform/idempotency.py): the key is claimed first; a request
       already made with the key is answered again, another request under it is 409
    2. the order may take a return: delivered, returned or refunded (→ return_requested through
       lifecycle, Actor.customer), or already return_requested by another open return
    3. inside the return window: tenant setting returns.window_days after delivered_at, never
       below the 14 days Turkish distance-selling law gives (Mesafeli Sözleşmeler Yönetmeliği)
    4. per line: quantity ≤ bought − already returned − held by the order's other open returns
    5. the return, its lines, the key's answer; the order's status change and its outbox event.

The key's row is claimed before the order lock, so a concurrent retry with the same key waits
for the first's answer instead of queueing for the order.  Photos are checked against S3 before
the transaction opens (S3 is never called under a lock).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pymysql

from chalicelib.orders import api as orders
from chalicelib.orders.api import SYSTEM, Actor
from chalicelib.platform import cache, idempotency
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.text import reference_number

from . import photos, states, views
from . import repository as repo
from .errors import OrderItemNotFound, QuantityExceeded, ReturnNotFound, WindowClosed
from .settle import settle

if TYPE_CHECKING:  # typing only: nothing more to import on a cold start
    from chalicelib.platform.context import Tenant

    from .schemas import ReturnLineIn, ReturnRequestIn

DEFAULT_WINDOW_DAYS = 14
LEGAL_MINIMUM_DAYS = 14
RETURN_REQUEST = idempotency.Operation("return_request")


@dataclass
class Requested:
    return_id: int
    replayed: bool


def window_days(tenant_settings: dict[str, Any] | None) -> int:
    raw = ((tenant_settings or {}).get("returns") or {}).get("window_days", DEFAULT_WINDOW_DAYS)
    try:
        days = int(raw)
    except (TypeError, ValueError):
        days = DEFAULT_WINDOW_DAYS
    return max(days, LEGAL_MINIMUM_DAYS)


# -- request -----------------------------------------------------------------------------------
def request_return(db: Database, tenant: Tenant, user_id: int, order_id: int, body: ReturnRequestIn,
                   idempotency_key: str | None) -> Requested:
    key = idempotency.key(tenant.id, RETURN_REQUEST, user_id, idempotency_key,
                          {"order_id": order_id, **body.model_dump(mode="json")})
    earlier = idempotency.lookup(db.session(), key)  # a replay need not check photos in S3 again
    if earlier is not None:
        return Requested(int(earlier.body["id"]), replayed=True)
    photo_keys = photos.check_keys(tenant.id, user_id, body.photo_keys)
    days = window_days(tenant.settings)
    actor = Actor.customer(user_id)

    def work(uow: UnitOfWork) -> Requested:
        earlier = idempotency.claim(uow, key)
        if earlier is not None:
            return Requested(int(earlier.body["id"]), replayed=True)
        order = orders.lock_order(uow, tenant.id, order_id, user_id=user_id)
        if order["status"] != orders.RETURN_REQUESTED:
            orders.check(order["status"], orders.RETURN_REQUESTED, actor)
        _check_window(order, days)
        _check_quantities(uow, tenant.id, order_id, body.items)
        fields = {
            "tenant_id": tenant.id, "return_number": _return_number(), "order_id": order_id, "user_id": user_id,
            "status": states.REQUESTED, "reason": body.reason, "description": body.description,
            "photo_keys": cache.dumps(photo_keys) if photo_keys else None, "refund_method": body.refund_method,
        }
        return_id = _insert(uow, fields)
        repo.insert_items(uow, [(tenant.id, return_id, line.order_item_id, line.quantity, line.reason or body.reason,
                                 line.condition) for line in body.items])
        idempotency.record(uow, key, 201, {"id": return_id})
        if order["status"] != orders.RETURN_REQUESTED:
            orders.transition(uow, order, orders.RETURN_REQUESTED, actor, note=f"return {fields['return_number']}",
                              event={"return_id": return_id, "return_number": fields["return_number"]})
        uow.commit()
        return Requested(return_id, replayed=False)

    return db.transaction(work)


def _check_window(order: dict[str, Any], days: int) -> None:
    # delivered_at is stamped by lifecycle on delivery; placed_at only stands in for rows
    # delivered some other way (it is earlier, so the window can only be shorter, never longer).
    start = order["delivered_at"] or order["placed_at"]
    closes = start + dt.timedelta(days=days)
    if _utcnow() > closes:
        raise WindowClosed(days, closes)


def _check_quantities(uow: UnitOfWork, tenant_id: int, order_id: int, lines: list[ReturnLineIn]) -> None:
    items = repo.order_items(uow, tenant_id, order_id)
    missing = [line.order_item_id for line in lines if line.order_item_id not in items]
    if missing:
        raise OrderItemNotFound(missing)
    held = repo.held_quantities(uow, tenant_id, order_id, sorted(states.OPEN))
    over = []
    for line in lines:
        item = items[line.order_item_id]
        returnable = int(item["quantity"]) - int(item["returned_quantity"]) - held.get(line.order_item_id, 0)
        if line.quantity > returnable:
            over.append({"order_item_id": line.order_item_id, "requested": line.quantity,
                         "returnable": max(returnable, 0)})
    if over:
        raise QuantityExceeded(over)


def _return_number() -> str:
    """R + UTC date + 6 random characters, like order numbers (S...): unguessable, readable."""
    return reference_number("R", _utcnow())


def _insert(uow: UnitOfWork, fields: dict[str, Any]) -> int:
    for _ in range(5):
        try:
            return repo.insert_return(uow, fields)
        except pymysql.err.IntegrityError as exc:
            if "ux_return_number" not in str(exc):
                raise
            fields["return_number"] = _return_number()
    raise RuntimeError("could not allocate a return number")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


# -- reads -------------------------------------------------------------------------------------
def list_returns(db: Database, tenant_id: int, user_id: int, *, statuses: Sequence[str] | None, cursor: int | None,
                 limit: int) -> dict[str, Any]:
    session = db.session()
    rows = repo.list_for_user(session, tenant_id, user_id, statuses=statuses, before_id=cursor, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": views.build(session, tenant_id, rows, admin=False),
            "next_cursor": rows[-1]["id"] if more else None}


def get_return(db: Database, tenant_id: int, return_id: int, *, user_id: int | None = None,
               admin: bool = False) -> dict[str, Any]:
    """One return; with `user_id`, another customer's return is indistinguishable from none (404)."""
    session = db.session()
    row = repo.get_return(session, tenant_id, return_id)
    if row is None or (user_id is not None and row["user_id"] != user_id):
        raise ReturnNotFound()
    return views.build(session, tenant_id, [row], admin=admin)[0]


# -- withdraw ----------------------------------------------------------------------------------
def cancel_return(db: Database, tenant_id: int, user_id: int, return_id: int) -> tuple[dict[str, Any], bool]:
    """The customer withdraws a request staff have not decided on.  Withdrawing a withdrawn
    return answers it again (a retried call must not fail).  With no other open return the
    order goes back to where its returns leave it (delivered, usually); the system makes that
    move, since lifecycle lets customers move orders only forwards."""
    found = repo.order_of(db.session(), tenant_id, return_id)
    if found is None or found["user_id"] != user_id:
        raise ReturnNotFound()

    def work(uow: UnitOfWork) -> bool:
        order = orders.lock_order(uow, tenant_id, int(found["order_id"]))
        ret = repo.lock_return(uow, tenant_id, return_id)
        if ret is None:
            raise ReturnNotFound()
        if ret["status"] == states.CANCELLED:
            return False
        states.check(ret["status"], states.CANCELLED, customer=True)
        repo.update_return(uow, tenant_id, return_id, {"status": states.CANCELLED}, resolved=True)
        settle(uow, order, SYSTEM, note=f"return {ret['return_number']} withdrawn by the customer",
               event={"return_id": ret["id"], "return_number": ret["return_number"]})
        uow.commit()
        return True

    changed = db.transaction(work)
    return get_return(db, tenant_id, return_id, user_id=user_id), changed
