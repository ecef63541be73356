"""The statuses, flows and task kinds of the payments area: one place, so that the SQL, the
services and the contract agree.

An attempt's life:
    bank_transfer   awaiting_transfer → succeeded (staff confirmed) | rejected (staff) | expired
                    (the order was cancelled or expired before the money was confirmed)
    card flows      initiated / pending_3ds / pending_form → succeeded | failed | unknown |
                    cancelled | expired  (added with the card integration)
"""
from __future__ import annotations

from typing import Final

INITIATED: Final = "initiated"
PENDING_3DS: Final = "pending_3ds"
PENDING_FORM: Final = "pending_form"
AWAITING_TRANSFER: Final = "awaiting_transfer"
SUCCEEDED: Final = "succeeded"
FAILED: Final = "failed"
UNKNOWN: Final = "unknown"
CANCELLED: Final = "cancelled"
EXPIRED: Final = "expired"
REJECTED: Final = "rejected"
STATUSES: Final = (INITIATED, PENDING_3DS, PENDING_FORM, AWAITING_TRANSFER, SUCCEEDED, FAILED, UNKNOWN, CANCELLED,
                   EXPIRED, REJECTED)

FLOWS: Final = ("card", "3ds", "checkout_form", "bank_transfer")
BANK_TRANSFER: Final = "bank_transfer"
PROVIDERS: Final = ("iyzico", "bank_transfer")

# What the customer and staff call a flow: bank transfer is "eft", every card flow "card".
METHODS: Final = ("card", "eft")
METHOD_OF_FLOW: Final = {"card": "card", "3ds": "card", "checkout_form": "card", "bank_transfer": "eft"}
EFT: Final = "eft"

# Manual work for staff
TASK_OPEN: Final = "open"
TASK_DONE: Final = "done"
LATE_TRANSFER_REFUND: Final = "late_transfer_refund"
TASK_KINDS: Final = (LATE_TRANSFER_REFUND, "card_refund_failed", "fraud_review")

# A bank transfer is awaited this long unless settings.payments.bank_transfer_hours says otherwise.
DEFAULT_TRANSFER_HOURS: Final = 48
MIN_TRANSFER_HOURS, MAX_TRANSFER_HOURS = 1, 7 * 24
