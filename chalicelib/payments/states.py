"""The statuses, flows and task kinds of the payments area: one place, so that the SQL, the
services and the contract agree.

An attempt's life:
    bank_transfer   awaiting_transfer → succeeded (staff confirmed) | rejected (staff) | expired
                    (the order was cancelled or expired before the money was confirmed)
    card flows      initiated → succeeded | failed | unknown | review (card: settle.py)
                    initiated → pending_3ds / pending_form → the same, once the bank / hosted page
                    answered; unknown → looked up by the reconciliation; review → succeeded (staff
                    approve) | rejected (staff reject: cancelled at iyzico); succeeded for an order
                    no longer payable → cancelled (the money given back at once)
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
# review: iyzico took the money with fraudStatus 0 (under review): the order waits for staff
# (approve → paid; reject → the payment cancelled at iyzico, the attempt rejected).
REVIEW: Final = "review"
STATUSES: Final = (INITIATED, PENDING_3DS, PENDING_FORM, AWAITING_TRANSFER, SUCCEEDED, FAILED, UNKNOWN, CANCELLED,
                   EXPIRED, REJECTED, REVIEW)
# A card attempt in one of these has its outcome; settle() changes it no more.
FINAL: Final = (SUCCEEDED, FAILED, CANCELLED, EXPIRED, REJECTED)
CARD_REFUND_FAILED: Final = "card_refund_failed"
FRAUD_REVIEW: Final = "fraud_review"
IYZICO: Final = "iyzico"
CARD: Final = "card"

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
TASK_KINDS: Final = (LATE_TRANSFER_REFUND, CARD_REFUND_FAILED, FRAUD_REVIEW)

# A bank transfer is awaited this long unless settings.payments.bank_transfer_hours says otherwise.
DEFAULT_TRANSFER_HOURS: Final = 48
MIN_TRANSFER_HOURS, MAX_TRANSFER_HOURS = 1, 7 * 24
