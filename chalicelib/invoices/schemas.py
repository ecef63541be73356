"""The invoices API contract, and the shape of a tenant's `settings.invoice` section."""
from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from chalicelib.platform.fields import Timestamp


class InvoiceLinkOut(BaseModel):
    """What the customer gets: the invoice and a short-lived link to its PDF."""

    invoice_number: str = Field(examples=["HUG2026000000123"])
    issued_at: Timestamp
    url: str = Field(description="Presigned S3 GET of the PDF; valid for `expires_in` seconds.")
    expires_in: int = Field(description="Seconds the link stays valid.")


class AdminInvoiceOut(InvoiceLinkOut):
    id: int
    order_id: int
    status: Literal["issued", "cancelled"]
    currency: str
    grand_total: Decimal
    vat_total: Decimal
    emailed_at: Timestamp | None


class ResendOut(BaseModel):
    invoice_number: str
    to: str = Field(description="The address the e-mail was queued for, masked.")
    emailed_at: Timestamp
