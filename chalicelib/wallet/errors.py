"""Errors of the wallet area and their tr/en messages (registered into the platform catalogue
when imported, so only the wallet's functions carry them)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from chalicelib.platform import i18n
from chalicelib.platform.context import current
from chalicelib.platform.errors import BadRequest, Conflict, NotFound

MESSAGES: dict[str, dict[str, str]] = {
    "insufficient_funds": {
        "tr": "Cüzdan bakiyesi yetersiz (kullanılabilir: {available}).",
        "en": "The wallet balance is not enough (available: {available}).",
    },
    "transfer_id_reused": {
        "tr": "Bu işlem kimliği farklı bir hareket için kullanılmış.",
        "en": "This transfer id was used for a different movement.",
    },
    "hold_not_pending": {
        "tr": "Bloke tutar artık beklemede değil ({status}).",
        "en": "The hold is no longer pending ({status}).",
    },
    "hold_expired": {
        "tr": "Bloke tutarın süresi doldu.",
        "en": "The hold has expired.",
    },
    "hold_not_found": {"tr": "Bloke tutar bulunamadı.", "en": "Hold not found."},
    "topup_not_found": {"tr": "Para yükleme talebi bulunamadı.", "en": "Top-up request not found."},
    "withdrawal_not_found": {"tr": "Para çekme talebi bulunamadı.", "en": "Withdrawal request not found."},
    "illegal_wallet_transition": {
        "tr": "Talep '{from}' durumundan '{to}' durumuna geçemez.",
        "en": "The request cannot go from '{from}' to '{to}'.",
    },
    "bank_transfer_unavailable": {
        "tr": "Bu mağaza havale ile para yüklemeyi henüz açmadı (banka hesabı tanımlı değil).",
        "en": "This shop does not take bank-transfer top-ups yet (no bank account is set up).",
    },
    "self_transfer": {
        "tr": "Kendinize transfer yapamazsınız.",
        "en": "You cannot transfer to yourself.",
    },
}

# Turkish texts of the field error types this area produces (English comes with the error).
FIELD_MESSAGES_TR: dict[str, str] = {
    "amount_too_small": "Tutar en az {limit} olmalıdır.",
    "amount_over_limit": "Tutar en fazla {limit} olabilir.",
    "iban_invalid": "Geçerli bir Türkiye IBAN'ı olmalıdır (TR ile başlayan 26 karakter, kontrol basamakları doğru).",
}

i18n.register(messages=MESSAGES, field_messages_tr=FIELD_MESSAGES_TR)


class LedgerError(ValueError):
    """A malformed movement (unbalanced lines, a non-positive amount, an unknown purpose or
    user): a bug in the caller, never a client's input."""


def _money(value: Decimal) -> str:
    return format(value, "f")


def amount_error(type_: str, limit: Decimal) -> BadRequest:
    """400 naming `amount`, in the one validation shape and the caller's language: a tenant
    limit (wallet settings) the amount is outside of."""
    english = {"amount_too_small": "Must be at least {limit}.",
               "amount_over_limit": "Must be at most {limit}."}[type_]
    text = i18n.field_message(type_, english, current().lang).format(limit=_money(limit))
    return BadRequest("validation_failed", details={"fields": [
        {"field": "amount", "message": text, "type": type_, "limit": _money(limit)}]})


class InsufficientFunds(Conflict):
    def __init__(self, available: Decimal, requested: Decimal) -> None:
        super().__init__("insufficient_funds", params={"available": _money(available)},
                         details={"available": _money(available), "requested": _money(requested)})


class TransferIdReused(Conflict):
    def __init__(self, transfer_id: str) -> None:
        super().__init__("transfer_id_reused", details={"transfer_id": transfer_id})


class HoldNotPending(Conflict):
    def __init__(self, status: str) -> None:
        super().__init__("hold_not_pending", params={"status": status}, details={"status": status})


class HoldExpired(Conflict):
    def __init__(self) -> None:
        super().__init__("hold_expired")


class HoldNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("hold_not_found")


class TopupNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("topup_not_found")


class WithdrawalNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("withdrawal_not_found")


class IllegalTransition(Conflict):
    def __init__(self, current_status: str, target: str, allowed: Any) -> None:
        super().__init__("illegal_wallet_transition", params={"from": current_status, "to": target},
                         details={"from": current_status, "to": target, "allowed": sorted(allowed)})


class BankTransferUnavailable(Conflict):
    def __init__(self) -> None:
        super().__init__("bank_transfer_unavailable")


class SelfTransfer(BadRequest):
    def __init__(self) -> None:
        super().__init__("self_transfer")
