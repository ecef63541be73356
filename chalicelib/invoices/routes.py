"""HTTP routes of the invoices area (issue 5 item 7, Y6).

    GET  /api/orders/{order_id}/invoice                 the customer's own order: a short-lived PDF link
    GET  /api/admin/orders/{order_id}/invoice           staff (orders.read): the same, with status and totals
    POST /api/admin/orders/{order_id}/invoice/resend    staff (orders.write): e-mail it again (audited)

Invoices are issued by the `invoices` queue consumer (handlers.py) on OrderPaid, not over HTTP.
An order of another user or tenant answers 404 order_not_found like a missing one; a paid
order whose invoice is not issued yet answers 404 invoice_not_ready.  A PDF that failed to
render or upload after issuing is rendered on the first download that finds it missing.
"""
from __future__ import annotations

from chalicelib.platform.db import get_db
from chalicelib.platform.permissions import ORDERS_READ, ORDERS_WRITE
from chalicelib.platform.routing import ADMIN, USER, Call, Router

from . import errors as _errors  # noqa: F401 - registers the area's messages
from . import service
from .schemas import AdminInvoiceOut, InvoiceLinkOut, ResendOut

router = Router(tag="invoices")

RESEND_LIMIT = (20, 900)  # per staff user per 15 minutes: each one is an e-mail to a customer
# Each route may render and store a missing PDF and presigns its link: S3 failing is a 503
# (storage.StorageUnavailable), documented on every route.


@router.get("/api/orders/{order_id}/invoice", auth=USER, response=InvoiceLinkOut, errors=(404, 503))
def customer_invoice(call: Call) -> InvoiceLinkOut:
    """The invoice of one of the signed-in customer's orders, as a download link valid for a few minutes."""
    result = service.customer_invoice(get_db(), call.tenant.id, call.principal.user_id, call.path["order_id"])
    return InvoiceLinkOut.model_validate(result)


@router.get("/api/admin/orders/{order_id}/invoice", auth=ADMIN, permission=ORDERS_READ, response=AdminInvoiceOut,
            errors=(404, 503))
def admin_invoice(call: Call) -> AdminInvoiceOut:
    """An order's invoice for staff: number, status, totals, e-mail time and a download link."""
    return AdminInvoiceOut.model_validate(service.admin_invoice(get_db(), call.tenant.id, call.path["order_id"]))


@router.post("/api/admin/orders/{order_id}/invoice/resend", auth=ADMIN, permission=ORDERS_WRITE, response=ResendOut,
             status=202, errors=(404, 409, 503), rate_limit=RESEND_LIMIT)
def resend_invoice(call: Call) -> ResendOut:
    """Queue the invoice e-mail to the customer again (202: it leaves through the notifications queue)."""
    return ResendOut.model_validate(service.resend(get_db(), call.tenant.id, call.path["order_id"]))
