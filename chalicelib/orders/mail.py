"""Customer e-mails that follow an order's events (the order-events queue consumer).

OrderPlaced → "order_placed" (number, total, how long the items are held); OrderStatusChanged
→ "order_status" with the new status in the customer's language.  A return request rejected
(return_requested → delivered) sends nothing here: the returns area writes that e-mail itself
with the reason.  The order row is read when the event is handled, so the e-mail has the
current contact address; a deleted account (no e-mail) is skipped, and so is "preparing" once
the order has already shipped.
"""
from __future__ import annotations

from typing import Any

from chalicelib.notifications.api import notify
from chalicelib.platform import tenancy
from chalicelib.platform.db import get_db
from chalicelib.platform.text import format_try

from . import repository as repo
from . import states

_STATUS_MAILS = {states.PAID, states.PREPARING, states.SHIPPED, states.DELIVERED, states.CANCELLED,
                 states.RETURN_REQUESTED, states.RETURNED, states.REFUNDED}


def handle_event(message: dict[str, Any]) -> None:
    kind, payload, tenant_id = message.get("type"), message.get("payload") or {}, int(message["tenant_id"])
    if kind == "OrderPlaced":
        template = "order_placed"
    elif kind == "OrderStatusChanged" and payload.get("to") in _STATUS_MAILS \
            and not (payload.get("from") == states.RETURN_REQUESTED and payload.get("to") == states.DELIVERED):
        template = "order_status"
    else:
        return  # RefundRequested etc.: nothing to tell the customer beyond the status mails
    session = get_db().session()
    order = repo.get_order(session, tenant_id, int(payload["order_id"]))
    if order is None or not order["contact_email"] or order["user_id"] is None:
        return
    contact = repo.user_contact(session, tenant_id, order["user_id"]) or {}
    link = tenancy.shop_link(tenancy.shop_domain(session, tenant_id), f"/hesabim/siparisler/{order['id']}")
    params: dict[str, Any] = {"order_number": order["order_number"], "link": link}
    if template == "order_status" and payload["to"] == states.PREPARING and order["status"] != states.PREPARING:
        return  # already moved on (a shipment makes paid → preparing → shipped at once): one mail, not two
    if template == "order_placed":
        if order["status"] != states.PENDING_PAYMENT or order["reserved_until"] is None:
            return  # paid (or cancelled) before this was handled: the status mail says it all
        params.update(total=format_try(order["grand_total"], order["currency"]), pay_until=order["reserved_until"])
    else:
        params["status"] = payload["to"]
    notify(None, tenant_id, channel="email", to=order["contact_email"], template=template,
           lang=contact.get("language") or "tr", params=params, user_id=order["user_id"])
