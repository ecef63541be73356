"""Errors of the payments area and their tr/en messages (registered when imported, so only the
payments functions carry them)."""
from __future__ import annotations

from chalicelib.platform import i18n
from chalicelib.platform.errors import Conflict, NotFound

i18n.register(messages={
    "payment_attempt_not_found": {"tr": "Ödeme kaydı bulunamadı.", "en": "Payment not found."},
    "payment_task_not_found": {"tr": "Ödeme görevi bulunamadı.", "en": "Payment task not found."},
    # Same texts as the wallet's (one code, one meaning: i18n refuses two texts for a code).
    "order_not_payable": {
        "tr": "Sipariş ödenebilir durumda değil ({status}).",
        "en": "The order cannot be paid ({status}).",
    },
    "nothing_due": {"tr": "Siparişin ödenecek tutarı yok.", "en": "Nothing is due on this order."},
    "bank_transfer_not_configured": {
        "tr": "Bu mağaza havale/EFT ile ödeme almıyor (banka hesabı tanımlı değil).",
        "en": "This shop does not take bank transfers (no bank account is set up).",
    },
    "payment_attempt_not_pending": {
        "tr": "Ödeme artık beklemede değil ({status}).",
        "en": "The payment is no longer pending ({status}).",
    },
    "not_a_bank_transfer": {"tr": "Bu ödeme bir havale/EFT değil.", "en": "This payment is not a bank transfer."},
})


class AttemptNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("payment_attempt_not_found")


class TaskNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("payment_task_not_found")


class OrderNotPayable(Conflict):
    def __init__(self, status: str) -> None:
        super().__init__("order_not_payable", params={"status": status}, details={"status": status})


class AttemptNotPending(Conflict):
    def __init__(self, status: str) -> None:
        super().__init__("payment_attempt_not_pending", params={"status": status}, details={"status": status})


class NothingDue(Conflict):
    def __init__(self) -> None:
        super().__init__("nothing_due")


class BankTransferNotConfigured(Conflict):
    def __init__(self) -> None:
        super().__init__("bank_transfer_not_configured")


class NotABankTransfer(Conflict):
    def __init__(self) -> None:
        super().__init__("not_a_bank_transfer")
