"""Errors of wallet transfers (W7) and their tr/en messages, registered when imported."""
from __future__ import annotations

from decimal import Decimal

from chalicelib.platform import i18n
from chalicelib.platform.context import current
from chalicelib.platform.errors import BadRequest, NotFound

MESSAGES: dict[str, dict[str, str]] = {
    "recipient_not_found": {
        "tr": "Alıcı bulunamadı.",
        "en": "Recipient not found.",
    },
    "transfer_not_found": {"tr": "Transfer bulunamadı.", "en": "Transfer not found."},
}
FIELD_MESSAGES_TR: dict[str, str] = {
    "transfer_daily_limit": "Bugün en fazla {limit} daha transfer edebilirsiniz.",
}

i18n.register(messages=MESSAGES, field_messages_tr=FIELD_MESSAGES_TR)


class RecipientNotFound(NotFound):
    """No active customer of the tenant answers to the phone, e-mail or user code: one answer
    for every such case, so the route tells nothing more than that a transfer cannot go there."""

    def __init__(self) -> None:
        super().__init__("recipient_not_found")


def daily_limit_error(remaining: Decimal) -> BadRequest:
    """400 on `amount`: today's transfers and this one would pass the tenant's daily limit."""
    shown = format(max(remaining, Decimal(0)), "f")
    text = i18n.field_message("transfer_daily_limit", "At most {limit} more can be transferred today.",
                              current().lang).format(limit=shown)
    return BadRequest("validation_failed", details={"fields": [
        {"field": "amount", "message": text, "type": "transfer_daily_limit", "limit": shown}]})


class TransferNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("transfer_not_found")
