"""Errors of gift cards (W6) and their tr/en messages, registered when imported."""
from __future__ import annotations

from chalicelib.platform import i18n
from chalicelib.platform.errors import ApiError, Conflict, NotFound

MESSAGES: dict[str, dict[str, str]] = {
    "gift_card_not_found": {"tr": "Hediye kartı bulunamadı.", "en": "Gift card not found."},
    "gift_card_not_active": {
        "tr": "Hediye kartı artık kullanılamaz durumda ({status}).",
        "en": "The gift card can no longer be used ({status}).",
    },
    "gift_card_attempts": {
        "tr": "Çok fazla hatalı kod denendi. {retry_after} saniye sonra tekrar deneyin.",
        "en": "Too many wrong codes. Try again in {retry_after} seconds.",
    },
}
FIELD_MESSAGES_TR: dict[str, str] = {
    "expiry_in_past": "Son kullanma tarihi bugünden sonra olmalıdır.",
}

i18n.register(messages=MESSAGES, field_messages_tr=FIELD_MESSAGES_TR)


class GiftCardNotFound(NotFound):
    """One answer for an unknown, used, voided or expired code, and for another tenant's card:
    a guesser learns nothing but that this code does not credit a wallet."""

    def __init__(self) -> None:
        super().__init__("gift_card_not_found")


class GiftCardNotActive(Conflict):
    """Staff void a card that is already redeemed or voided."""

    def __init__(self, status: str) -> None:
        super().__init__("gift_card_not_active", params={"status": status}, details={"status": status})


def too_many_attempts(retry_after: int) -> ApiError:
    return ApiError("gift_card_attempts", status=429, headers={"Retry-After": str(retry_after)},
                    params={"retry_after": retry_after}, details={"retry_after": retry_after})
