"""The "invoice issued" e-mail (template "invoice_issued" in notifications/templates.py),
queued through notifications.notify.

The e-mail carries a link to the customer's order page, where the app fetches the PDF
(GET /api/orders/{order_id}/invoice → presigned S3 URL), not the PDF itself: SES SendEmail
(what adapters/mail.py speaks) has no attachments, only SendRawEmail has, and a link keeps the
invoice behind the customer's sign-in.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.notifications.api import notify
from chalicelib.platform import tenancy

TEMPLATE = "invoice_issued"


def order_link(tenant: Mapping[str, Any], order_id: int) -> str:
    """The customer's order page on the tenant's shop (the app opens the invoice from there)."""
    return tenancy.shop_link(tenant.get("domain"), f"/hesabim/siparisler/{order_id}")


def send(tenant_id: int, *, to: str, lang: str, user_id: int | None, params: Mapping[str, Any]) -> str:
    """Queue the e-mail now (not on a transaction's commit: see service.email_invoice); returns
    the notification id.  Raises NotificationError for a malformed address."""
    return notify(None, tenant_id, channel="email", to=to, template=TEMPLATE, lang=lang, params=params,
                  user_id=user_id)
