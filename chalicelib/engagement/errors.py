"""Errors of the engagement area (reviews, favourites, back-in-stock alerts) and their messages.

The messages join the platform catalogue (`platform.i18n`) when this module is imported, so
the engagement Lambda carries them without every other function loading them (the pattern of
chalicelib/addresses/errors.py).
"""
from __future__ import annotations

from chalicelib.platform import i18n
from chalicelib.platform.errors import Conflict, Forbidden

MESSAGES: dict[str, dict[str, str]] = {
    "purchase_required": {
        "tr": "Yalnızca bu ürünü satın alıp teslim almış müşteriler değerlendirme yazabilir.",
        "en": "Only customers who bought this product and received it can review it.",
    },
    "review_exists": {
        "tr": "Bu ürünü zaten değerlendirdiniz; değerlendirmenizi düzenleyebilirsiniz.",
        "en": "You have already reviewed this product; you can edit your review instead.",
    },
    "in_stock": {
        "tr": "Ürün şu anda stokta; hemen sipariş verebilirsiniz.",
        "en": "This item is in stock right now; you can order it.",
    },
    "email_required": {
        "tr": "Stok bildirimi için profilinize bir e-posta adresi ekleyin.",
        "en": "Add an e-mail address to your profile to get back-in-stock alerts.",
    },
}

# Turkish texts of the field error types this area produces (English comes with the error).
# (cursor_invalid is the platform's: platform/keyset.py)
FIELD_MESSAGES_TR: dict[str, str] = {}

i18n.register(messages=MESSAGES)
i18n.register(field_messages_tr=FIELD_MESSAGES_TR)


class PurchaseRequired(Forbidden):
    """No delivered order of this customer contains the product ("verified purchase")."""

    def __init__(self) -> None:
        super().__init__("purchase_required")


class ReviewExists(Conflict):
    def __init__(self, review_id: int) -> None:
        super().__init__("review_exists", details={"review_id": review_id})


class InStock(Conflict):
    def __init__(self) -> None:
        super().__init__("in_stock")


class EmailRequired(Conflict):
    """Back-in-stock alerts go out by e-mail; a phone-only account has nowhere to receive one."""

    def __init__(self) -> None:
        super().__init__("email_required")

