"""E-mails about a return decision: approved (with the return shipping code when staff gave
one) and rejected (with staff's reason).  orders.mail mails every order status change but,
by design, not return_requested → delivered: "the returns area writes that e-mail itself with
the reason" - this module.

The templates (return_approved, return_approved_code, return_rejected) are in
chalicelib/notifications/templates.py.  The message is queued with the decision's unit of work,
so it leaves only if the decision commits.
"""
from __future__ import annotations

from typing import Any

from chalicelib.notifications.api import LANGUAGES, MAX_PARAM_LENGTH, NotificationError, notify
from chalicelib.platform import tenancy
from chalicelib.platform.db import UnitOfWork
from chalicelib.platform.logging import get_logger

log = get_logger("returns.mail")
APPROVED, APPROVED_WITH_CODE, REJECTED = "return_approved", "return_approved_code", "return_rejected"

def one_line(text: str, limit: int = MAX_PARAM_LENGTH) -> str:
    """Staff's note as a template value: one printable line, at most `limit` characters."""
    flat = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def decision(uow: UnitOfWork, ret: dict[str, Any], order: dict[str, Any], template: str,
             **params: str) -> None:
    """Queue the e-mail about `ret` for after the commit.  A missing or malformed contact
    address is logged, never allowed to undo the decision."""
    if not order.get("contact_email") or order.get("user_id") is None:
        return
    tenant_id = order["tenant_id"]
    lang = uow.scalar("SELECT language FROM users WHERE tenant_id = %s AND id = %s",
                      (tenant_id, order["user_id"])) or "tr"
    try:
        notify(uow, tenant_id, channel="email", to=order["contact_email"], template=template,
               lang=lang if lang in LANGUAGES else "tr", user_id=order["user_id"],
               params={"return_number": ret["return_number"], "order_number": order["order_number"],
                       "link": tenancy.shop_link(tenancy.shop_domain(uow, tenant_id), f"/hesabim/iadeler/{ret['id']}"), **params})
    except NotificationError:
        log.warning("return e-mail not queued", extra={"return_id": ret["id"], "template": template})
