"""Invoice use cases: issue (numbered, exactly once), store the PDF, e-mail it, hand out links.

    issue_invoice(db, tenant, order)       one transaction: order lock → sequence lock → number → row
    ensure_stored(db, tenant, invoice)     after the commit: render the PDF, put it in S3, set s3_key
    email_invoice(db, tenant, invoice)     queue the "invoice issued" e-mail, then stamp emailed_at
    process_paid_order(db, tenant, order)  the OrderPaid consumer: the three above, each idempotent
    customer_invoice / admin_invoice       a presigned link (rendering first if the PDF is missing)
    resend(db, tenant, order)              admin: the e-mail again, audited

Numbers have no gaps: the sequence row is incremented in the transaction that inserts the
invoice, so a rollback (of either) gives the number back.  Rendering and storing happen after
that commit, outside the locks: a failure leaves an invoice without s3_key, which the
consumer's retry or the next download renders.  E-mail is at-least-once: it is queued first
and emailed_at stamped after, so a crash in between sends it twice rather than never.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from chalicelib.orders import api as orders
from chalicelib.platform import audit, cache
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.errors import NotFound
from chalicelib.platform.logging import get_logger
from chalicelib.platform.text import format_try

from . import document, mail, storage
from . import repository as repo
from .errors import InvoiceNotReady, NoRecipient, OrderNotInvoiceable
from .formatting import invoice_year

log = get_logger("invoices")
SALE = "sale"
ISSUED = "issued"
_YEAR_ATTEMPTS = 3
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """Naive UTC, microseconds kept: what DATETIME(6) columns hold in sessions at +00:00."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class Issued:
    invoice: dict[str, Any]
    created: bool  # False: the order already had its invoice (a retry, a redelivery)


class _YearTurned(Exception):
    """New Year's midnight (Turkish time) passed while waiting for the sequence lock."""


# -- issuing -----------------------------------------------------------------------------------
def issue_invoice(db: Database, tenant_id: int, order_id: int, *, clock: Clock = utcnow) -> Issued:
    """The order's sale invoice, issued now if it has none.  404 order_not_found, 409
    order_not_invoiceable (not paid, or cancelled); TotalsMismatch if its lines don't add up."""
    tenant = _tenant(db, tenant_id)
    seller = document.seller_snapshot(tenant)
    prefix = document.prefix_for(tenant["slug"], document.invoice_settings(tenant))
    for _ in range(_YEAR_ATTEMPTS):
        try:
            return db.transaction(lambda uow: _issue(uow, tenant_id, order_id, seller, prefix, clock))
        except _YearTurned:
            continue  # rolled back: number the invoice in the new year's series
    raise RuntimeError("the invoice year kept changing while numbering")


def _issue(uow: UnitOfWork, tenant_id: int, order_id: int, seller: dict[str, Any], prefix: str,
           clock: Clock) -> Issued:
    # The order's row lock makes "has it an invoice yet?" and the insert one step: a second
    # issuer for the same order waits here, then finds the first one's invoice.
    order = orders.lock_order(uow, tenant_id, order_id)
    existing = repo.sale_invoice(uow, tenant_id, order_id)
    if existing is not None:
        uow.commit()
        return Issued(existing, created=False)
    if not document.invoiceable(order):
        raise OrderNotInvoiceable(order["status"], order["payment_status"])
    totals = document.checked_totals(order, repo.order_items(uow, tenant_id, order_id))
    buyer = document.buyer_snapshot(_json(order["billing_address"]), _json(order["shipping_address"]),
                                    order["contact_email"])
    # Everything slow is done: take the tenant-wide sequence lock as late, and so as briefly, as possible.
    year = invoice_year(clock())
    last = repo.lock_sequence(uow, tenant_id, year)
    issued_at = clock()  # read under the lock, so numbers and issue times rise together
    if invoice_year(issued_at) != year:
        raise _YearTurned()
    sequence = last + 1
    repo.set_sequence(uow, tenant_id, year, sequence)
    invoice_id = repo.insert_invoice(uow, tenant_id, {
        "order_id": order_id, "invoice_number": document.invoice_number(prefix, year, sequence),
        "invoice_year": year, "sequence_number": sequence, "invoice_type": SALE, "status": ISSUED,
        "seller": seller, "buyer": buyer, "currency": order["currency"], "subtotal": totals["subtotal"],
        "discount_total": totals["discount_total"], "shipping_total": totals["shipping_total"],
        "vat_total": totals["vat_total"], "grand_total": totals["grand_total"],
        "vat_breakdown": totals["vat_breakdown"], "issued_at": issued_at,
    })
    invoice = repo.get_invoice(uow, tenant_id, invoice_id)
    assert invoice is not None
    uow.commit()
    return Issued(invoice, created=True)


# -- the PDF -----------------------------------------------------------------------------------
def ensure_stored(db: Database, tenant_id: int, invoice: dict[str, Any]) -> dict[str, Any]:
    """The invoice with its PDF in S3: rendered and uploaded now when s3_key is still empty.

    Two callers racing here (the consumer's retry and a download) both upload the same bytes
    (rendering is deterministic) to the same key of the versioned bucket; nothing is lost."""
    if invoice["s3_key"]:
        return invoice
    from .render import render_pdf  # lazy: fpdf2 is ~0.5 s of import (see render.py)

    session = db.session()
    order = repo.order_for_print(session, tenant_id, invoice["order_id"])
    assert order is not None  # invoices.order_id is a foreign key
    items = repo.order_items(session, tenant_id, invoice["order_id"])
    shipping_name = _shipping_name(_tenant(db, tenant_id), order["shipping_method"])
    body = render_pdf(document.printable(invoice, order, items, shipping_name))
    key = storage.pdf_key(tenant_id, invoice["invoice_year"], invoice["invoice_number"])
    storage.put_pdf(key, body, invoice["invoice_number"])
    repo.set_s3_key(session, tenant_id, invoice["id"], key)
    return {**invoice, "s3_key": key}


def _shipping_name(tenant: Mapping[str, Any], code: str | None) -> str | None:
    from chalicelib.cart.api import shipping_methods

    return next((m.name for m in shipping_methods(tenant.get("settings")) if m.code == code), code)


# -- e-mail --------------------------------------------------------------------------------------
def email_invoice(db: Database, tenant_id: int, invoice: Mapping[str, Any], *,
                  audit_action: str | None = None) -> tuple[str, datetime]:
    """Queue the "invoice issued" e-mail, then stamp emailed_at (with an audit row in the same
    transaction when staff asked for it); returns (address, emailed_at).  409
    invoice_no_recipient when the order has no usable e-mail address."""
    to = _queue_email(db, tenant_id, invoice)
    when = utcnow()

    def work(uow: UnitOfWork) -> None:
        repo.mark_emailed(uow, tenant_id, invoice["id"], when)
        if audit_action:
            audit.record(uow, tenant_id, audit_action, entity_type="invoice", entity_id=invoice["id"],
                         before={"emailed_at": invoice["emailed_at"]}, after={"emailed_at": when, "to": mask_email(to)})
        uow.commit()

    db.transaction(work)
    return to, when


def _queue_email(db: Database, tenant_id: int, invoice: Mapping[str, Any]) -> str:
    from chalicelib.notifications.api import LANGUAGES, NotificationError

    contact = repo.recipient(db.session(), tenant_id, invoice["order_id"])
    assert contact is not None  # invoices.order_id is a foreign key
    to = contact["contact_email"] or (contact["user_email"] if contact["user_status"] == "active" else None)
    if not to:
        raise NoRecipient()
    tenant = _tenant(db, tenant_id)
    lang = next((x for x in (contact["language"], tenant["default_language"]) if x in LANGUAGES), "tr")
    params = {"order_number": contact["order_number"], "invoice_number": invoice["invoice_number"],
              "total": format_try(invoice["grand_total"], invoice["currency"]),
              "link": mail.order_link(tenant, invoice["order_id"])}
    try:
        mail.send(tenant_id, to=to, lang=lang, user_id=contact["user_id"], params=params)
    except NotificationError as exc:  # e.g. a contact e-mail SES would never accept
        log.warning("invoice e-mail not sendable", extra={"invoice_id": invoice["id"], "reason": str(exc)})
        raise NoRecipient() from None
    return str(to)


# -- the OrderPaid consumer ------------------------------------------------------------------------
def process_paid_order(db: Database, tenant_id: int, order_id: int) -> dict[str, Any] | None:
    """Issue, store and e-mail the order's invoice; every step skips what is already done, so a
    redelivered or replayed event does nothing more.  None when the order was cancelled before
    its invoice (nothing to issue).  Raises on anything worth a retry (S3, SQS, the database)."""
    try:
        issued = issue_invoice(db, tenant_id, order_id)
    except OrderNotInvoiceable as exc:
        if exc.order_status == orders.CANCELLED:
            log.info("order cancelled before its invoice; none issued", extra={"order_id": order_id})
            return None
        raise  # e.g. not paid yet: let SQS retry, then dead-letter it for a look
    invoice = ensure_stored(db, tenant_id, issued.invoice)
    if invoice["emailed_at"] is None:
        try:
            email_invoice(db, tenant_id, invoice)
        except NoRecipient:
            log.warning("invoice issued but not e-mailed: no address", extra={"invoice_id": invoice["id"]})
    log.info("invoice ready", extra={"invoice_id": invoice["id"], "order_id": order_id, "newly_issued": issued.created})
    return invoice


# -- reading --------------------------------------------------------------------------------------
def customer_invoice(db: Database, tenant_id: int, user_id: int, order_id: int) -> dict[str, Any]:
    """The signed-in customer's invoice of their own order; another user's or tenant's order is
    404 order_not_found, exactly like a missing one."""
    order = repo.order_ref(db.session(), tenant_id, order_id)
    if order is None or order["user_id"] != user_id:
        raise NotFound("order_not_found")
    return _with_link(db, tenant_id, _sale_invoice(db, tenant_id, order_id))


def admin_invoice(db: Database, tenant_id: int, order_id: int) -> dict[str, Any]:
    if repo.order_ref(db.session(), tenant_id, order_id) is None:
        raise NotFound("order_not_found")
    return _with_link(db, tenant_id, _sale_invoice(db, tenant_id, order_id))


def resend(db: Database, tenant_id: int, order_id: int) -> dict[str, Any]:
    """E-mail the invoice again (staff, on the customer's request); audited."""
    if repo.order_ref(db.session(), tenant_id, order_id) is None:
        raise NotFound("order_not_found")
    invoice = ensure_stored(db, tenant_id, _sale_invoice(db, tenant_id, order_id))
    to, when = email_invoice(db, tenant_id, invoice, audit_action="invoice.resend")
    return {"invoice_number": invoice["invoice_number"], "to": mask_email(to), "emailed_at": when}


def _sale_invoice(db: Database, tenant_id: int, order_id: int) -> dict[str, Any]:
    invoice = repo.sale_invoice(db.session(), tenant_id, order_id)
    if invoice is None:
        raise InvoiceNotReady()
    return invoice


def _with_link(db: Database, tenant_id: int, invoice: dict[str, Any]) -> dict[str, Any]:
    invoice = ensure_stored(db, tenant_id, invoice)
    return {**invoice, "url": storage.download_url(invoice["s3_key"], invoice["invoice_number"]),
            "expires_in": storage.LINK_SECONDS}


def _tenant(db: Database, tenant_id: int) -> dict[str, Any]:
    tenant = repo.tenant(db.session(), tenant_id)
    if tenant is None:
        raise NotFound()
    return tenant


def _json(value: Any) -> Any:
    return cache.loads(value) if isinstance(value, (str, bytes)) else value


def mask_email(address: str) -> str:
    """'ayse@example.com' → 'a***@example.com' (as notifications' logs show recipients)."""
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}***@{domain}"
