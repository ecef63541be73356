"""What the ML area publishes to other areas: the events the ML service learns from.

    record_event(tenant_id, type, payload, *, user_id, device_id, session_id, at, uow)
    record_events(tenant_id, events)             a batch of Event (the app's activity log)
    order_changed(uow, tenant_id, order=..., status=..., items=..., placed=...)   orders' state machine
    payment_attempt(uow, tenant_id, ...)         payments' settle path: outcome, amount, card BIN only
    login(tenant_id, outcome=..., user_id=..., ip=..., device_id=...)            accounts' sign-in

Segments (user_data.segment, written back by the ML service), read in the caller's session:
    segment_of(session, tenant_id, user_id) → str | None     one customer's segment (ux_user)
    has_segments(session, tenant_id) → bool                  whether the service segmented this shop
    segment_members(session, tenant_id, segments, after_user_id, limit) → [user id]   keyset by user id

Messages go to the "events" queue (chalicelib/ml/events.py has the format); with `uow` they
leave after the commit.  Sending never raises: an ML event lost is harmless, a checkout failed by
it is not.  Importing this module loads only the platform (queue, cache), so a producer's cold
start pays nothing for the ML area's HTTP client or schemas.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from chalicelib.platform.db import Session, UnitOfWork

from . import events as _events

__all__ = ["Event", "has_segments", "login", "order_changed", "payment_attempt", "record_event", "record_events",
           "segment_members", "segment_of"]


@dataclass(frozen=True)
class Event:
    type: str  # product_view | search | add_to_cart | screen (the app's), or a server event type
    at: dt.datetime | None = None
    user_id: int | None = None
    device_id: str | None = None
    session_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)


def record_event(tenant_id: int, event_type: str, payload: dict[str, Any], *, user_id: int | None = None,
                 device_id: str | None = None, session_id: str | None = None, at: dt.datetime | None = None,
                 uow: UnitOfWork | None = None) -> None:
    _events.publish([_events.message(tenant_id, event_type, payload, user_id=user_id, device_id=device_id,
                                     session_id=session_id, at=at)], uow)


def record_events(tenant_id: int, events: Sequence[Event], uow: UnitOfWork | None = None) -> None:
    _events.publish([_events.message(tenant_id, e.type, e.payload, user_id=e.user_id, device_id=e.device_id,
                                     session_id=e.session_id, at=e.at) for e in events], uow)


def order_changed(uow: UnitOfWork, tenant_id: int, *, order_id: int, user_id: int | None, status: str,
                  total: Decimal | None, items: Sequence[dict[str, Any]], placed: bool) -> None:
    """order_placed (the first status) or order_status_changed; items: product_id, quantity, unit_price."""
    payload = {"order_id": order_id, "status": status, "total": None if total is None else str(total),
               "items": [{"product_id": int(i["product_id"]), "quantity": int(i["quantity"]),
                          "unit_price": str(i["unit_price"])} for i in items],
               "user_id": user_id}
    record_event(tenant_id, "order_placed" if placed else "order_status_changed", payload, user_id=user_id,
                 uow=uow)


def payment_attempt(uow: UnitOfWork | None, tenant_id: int, *, order_id: int | None, user_id: int | None,
                    outcome: str, amount: Decimal | None, card_bin: str | None, ip: str | None,
                    device_id: str | None) -> None:
    """outcome: succeeded | declined | error.  The card's BIN (first 6-8 digits) only, never more."""
    digits = "".join(ch for ch in (card_bin or "") if ch.isdigit())[:8] or None
    payload = {"order_id": order_id, "outcome": outcome, "amount": None if amount is None else str(amount),
               "card_bin": digits, "ip": ip or None, "device_id": device_id}
    record_event(tenant_id, "payment_attempt", payload, user_id=user_id, device_id=device_id, uow=uow)


def login(tenant_id: int, *, outcome: str, user_id: int | None, ip: str | None, device_id: str | None,
          uow: UnitOfWork | None = None) -> None:
    """outcome: success | failure (a failure names the account only when it exists)."""
    payload = {"outcome": outcome, "ip": ip or None, "device_id": device_id, "user_id": user_id}
    record_event(tenant_id, "login", payload, user_id=user_id, device_id=device_id, uow=uow)


def segment_of(session: Session, tenant_id: int, user_id: int) -> str | None:
    from . import repository  # lazy: the event producers above never need it

    return repository.user_segment(session, tenant_id, user_id)


def has_segments(session: Session, tenant_id: int) -> bool:
    from . import repository

    return repository.has_segments(session, tenant_id)


def segment_members(session: Session, tenant_id: int, segments: list[str], after_user_id: int,
                    limit: int) -> list[int]:
    from . import repository

    return repository.segment_members(session, tenant_id, segments, after_user_id, limit)
