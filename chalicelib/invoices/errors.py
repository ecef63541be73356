"""Errors of the invoices area and their tr/en messages.

Registered into the platform catalogue when imported (see chalicelib/addresses/errors.py).
`order_not_found` is the orders area's code (orders/errors.py, raised by states.lock_order);
it is registered here too with setdefault, so the invoices Lambda, which does not load the
orders area's errors, still answers it in the caller's language.
"""
from __future__ import annotations

from chalicelib.platform import i18n
from chalicelib.platform.errors import Conflict, NotFound

MESSAGES: dict[str, dict[str, str]] = {
    "order_not_found": {"tr": "Sipariş bulunamadı.", "en": "Order not found."},
    "invoice_not_ready": {
        "tr": "Bu siparişin faturası henüz düzenlenmedi; ödeme onaylandıktan kısa süre sonra hazır olur.",
        "en": "The invoice of this order has not been issued yet; it is ready shortly after the payment is confirmed.",
    },
    "order_not_invoiceable": {
        "tr": "Fatura yalnızca ödenmiş ve iptal edilmemiş siparişler için düzenlenir.",
        "en": "An invoice is issued only for a paid order that has not been cancelled.",
    },
    "invoice_no_recipient": {
        "tr": "Bu siparişin e-posta adresi yok; fatura e-postası gönderilemez.",
        "en": "This order has no e-mail address; the invoice e-mail cannot be sent.",
    },
}

i18n.register(messages=MESSAGES)


class InvoiceNotReady(NotFound):
    code = "invoice_not_ready"


class OrderNotInvoiceable(Conflict):
    """The order is not (or no longer) in a state that gets a sale invoice."""

    code = "order_not_invoiceable"

    def __init__(self, status: str, payment_status: str) -> None:
        super().__init__(details={"status": status, "payment_status": payment_status})
        self.order_status = status  # not `status`: that is the HTTP status of every ApiError
        self.payment_status = payment_status


class NoRecipient(Conflict):
    code = "invoice_no_recipient"


class TotalsMismatch(RuntimeError):
    """The order's stored lines do not add up to its stored totals.

    Never shown to a client: an invoice that does not add up must not be issued, so the
    consumer fails (SQS retries, then dead-letters the event for someone to look at)."""
