"""Errors of the payments area and their tr/en messages (registered when imported, so only the
payments functions carry them)."""
from __future__ import annotations

from chalicelib.platform import i18n
from chalicelib.platform.errors import ApiError, BadRequest, Conflict, NotFound

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


# -- card payments (card.py): a decline is 402 with a code the app can act on -------------------
DECLINE_MESSAGES = {
    "card_declined": {"tr": "Kart işlemi bankanız tarafından onaylanmadı.", "en": "Your bank declined the card."},
    "card_insufficient_funds": {"tr": "Kartın bakiyesi yetersiz.", "en": "The card has insufficient funds."},
    "invalid_cvc": {"tr": "Kartın güvenlik kodu (CVC) hatalı.", "en": "The card's security code (CVC) is wrong."},
    "fraud_suspected": {"tr": "İşlem bankanız tarafından şüpheli bulundu.",
                        "en": "Your bank flagged the payment as suspicious."},
    "card_expired": {"tr": "Kartın süresi dolmuş.", "en": "The card has expired."},
    "card_lost_or_stolen": {"tr": "Kart kayıp veya çalıntı olarak bildirilmiş.",
                            "en": "The card was reported lost or stolen."},
    "card_not_permitted": {"tr": "Bu kartla bu işlem yapılamıyor.", "en": "This card cannot be used for this payment."},
    "threeds_failed": {"tr": "3-D Secure doğrulaması başarısız oldu.", "en": "3-D Secure verification failed."},
    "payment_failed": {"tr": "Ödeme alınamadı.", "en": "The payment could not be taken."},
}
i18n.register(messages={
    **DECLINE_MESSAGES,
    "card_flow_not_allowed": {"tr": "Bu mağaza bu ödeme yöntemini kabul etmiyor ({flow}).",
                              "en": "This shop does not take this kind of card payment ({flow})."},
    "card_required": {"tr": "Kart bilgisi veya kayıtlı kart gerekli.", "en": "A card or a saved card is required."},
    "installment_not_allowed": {"tr": "En fazla {max} taksit yapılabilir.", "en": "At most {max} installments."},
    "saved_card_not_found": {"tr": "Kayıtlı kart bulunamadı.", "en": "Saved card not found."},
    "payment_in_progress": {"tr": "Bu sipariş için bir ödeme sürüyor; sonucunu bekleyin.",
                            "en": "A payment of this order is in progress; wait for its result."},
    "wallet_amount_too_large": {"tr": "Cüzdandan ödenen kısım siparişin tutarından az olmalı.",
                                "en": "The wallet part must be less than the amount due."},
    "topup_amount_out_of_range": {"tr": "Yükleme tutarı {min} ile {max} arasında olmalı.",
                                  "en": "A top-up must be between {min} and {max}."},
    "payment_not_in_review": {"tr": "Ödeme incelemede değil ({status}).", "en": "The payment is not under review ({status})."},
    "webhook_signature_invalid": {"tr": "Webhook imzası doğrulanamadı.",
                                  "en": "The webhook signature could not be verified."},  # = shipping's text
    "webhook_invalid": {"tr": "Bildirim okunamadı.", "en": "The notification could not be read."},
    "payment_provider_unavailable": {"tr": "Ödeme sağlayıcısına ulaşılamadı; tekrar deneyin.",
                                     "en": "The payment provider could not be reached; try again."},
})


class PaymentDeclined(ApiError):
    """402: the bank (or 3-D Secure) said no.  The order stays payable; try another card."""

    status = 402

    def __init__(self, code: str, provider_code: str | None, provider_message: str | None, *,
                 attempt_id: int | None = None) -> None:
        super().__init__(code if code in DECLINE_MESSAGES else "payment_failed",
                         details={"attempt_id": attempt_id, "provider_code": provider_code,
                                  "provider_message": provider_message})


class CardFlowNotAllowed(BadRequest):
    def __init__(self, flow: str) -> None:
        super().__init__("card_flow_not_allowed", params={"flow": flow}, details={"flow": flow})


class CardRequired(BadRequest):
    def __init__(self) -> None:
        super().__init__("card_required")


class InstallmentNotAllowed(BadRequest):
    def __init__(self, most: int) -> None:
        super().__init__("installment_not_allowed", params={"max": most}, details={"max": most})


class SavedCardNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("saved_card_not_found")


class PaymentInProgress(Conflict):
    def __init__(self, attempt_id: int) -> None:
        super().__init__("payment_in_progress", details={"attempt_id": attempt_id})


class WalletAmountTooLarge(Conflict):
    def __init__(self) -> None:
        super().__init__("wallet_amount_too_large")


class TopupOutOfRange(BadRequest):
    def __init__(self, low: object, high: object) -> None:
        super().__init__("topup_amount_out_of_range", params={"min": low, "max": high},
                         details={"min": low, "max": high})


class NotInReview(Conflict):
    def __init__(self, status: str) -> None:
        super().__init__("payment_not_in_review", params={"status": status}, details={"status": status})


# -- card refunds and cancels (refund_routes.py) ---------------------------------------------------
i18n.register(messages={
    "payment_not_refundable": {
        "tr": "Bu ödeme karta iade edilemez ({status}).",
        "en": "This payment cannot be refunded to the card ({status}).",
    },
    "payment_nothing_to_refund": {"tr": "Bu ödemeden iade edilecek tutar kalmadı.",
                          "en": "Nothing is left to refund of this payment."},
    "refund_amount_too_large": {
        "tr": "İade tutarı kalan tutardan fazla (kalan: {left}).",
        "en": "The refund is more than is left to refund ({left}).",
    },
    "refund_items_mismatch": {
        "tr": "Kalemlerin toplamı iade tutarına eşit olmalı.",
        "en": "The items must add up to the refund amount.",
    },
    "refund_item_invalid": {
        "tr": "Sipariş kalemi bu ödemede yok ya da o kadar iade edilemez ({order_item_id}).",
        "en": "The order item is not in this payment or cannot take that much back ({order_item_id}).",
    },
    "cancel_not_possible": {
        "tr": "Ödeme iptal edilemez: {why}. Bunun yerine iade yapın.",
        "en": "The payment cannot be cancelled: {why}. Refund it instead.",
    },
    "reconciliation_range_invalid": {
        "tr": "Tarih aralığı en fazla {days} gün olabilir ve date_from date_to'dan sonra olamaz.",
        "en": "The date range may span at most {days} days, date_from not after date_to.",
    },
})


class NotRefundable(Conflict):
    def __init__(self, status: str) -> None:
        super().__init__("payment_not_refundable", params={"status": status}, details={"status": status})


class NothingToRefund(Conflict):
    def __init__(self) -> None:
        super().__init__("payment_nothing_to_refund")


class CancelNotPossible(Conflict):
    def __init__(self, why: str) -> None:
        super().__init__("cancel_not_possible", params={"why": why}, details={"why": why})
