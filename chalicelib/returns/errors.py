"""Errors of the returns area and their tr/en messages.

Registered into the platform catalogue when imported (the pattern of chalicelib/addresses/errors.py),
so the returns Lambda carries them without every other function loading them.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from chalicelib.orders.api import register_messages as register_order_messages
from chalicelib.platform import i18n
from chalicelib.platform.errors import BadRequest, Conflict, NotFound

register_order_messages()  # order_not_found, illegal_transition: raised through chalicelib.orders.api

MESSAGES: dict[str, dict[str, str]] = {
    "return_not_found": {"tr": "İade talebi bulunamadı.", "en": "Return not found."},
    "order_item_not_found": {"tr": "Sipariş kalemi bulunamadı.", "en": "Order item not found."},
    "illegal_return_transition": {
        "tr": "İade talebi '{from}' durumundan '{to}' durumuna geçemez.",
        "en": "The return cannot go from '{from}' to '{to}'.",
    },
    "return_quantity_exceeded": {
        "tr": "İade edilebilecek adetten fazlasını istediniz.",
        "en": "You asked to return more units than can be returned.",
    },
    "return_window_closed": {
        "tr": "Bu sipariş için iade süresi ({days} gün) doldu.",
        "en": "The return period for this order ({days} days) has ended.",
    },
    "refund_amount_too_high": {
        "tr": "İade tutarı, siparişte iade edilebilecek tutarı ({refundable}) aşıyor.",
        "en": "The refund is more than the order has left to refund ({refundable}).",
    },
    "nothing_to_refund": {
        "tr": "Bu sipariş için iade edilecek ödeme kalmadı.",
        "en": "Nothing paid on this order is left to refund.",
    },
}

# Turkish texts of the field error types this area produces (English comes with the error).
FIELD_MESSAGES_TR: dict[str, str] = {
    "photo_not_found": "Fotoğraf bulunamadı; önce yükleyin.",
    "photo_not_yours": "Bu fotoğraf anahtarı size ait değil.",
    "photo_invalid": "Dosya JPEG, PNG veya WebP biçiminde bir fotoğraf olmalı (en fazla 10 MB).",
    "duplicate": "Aynı değer birden fazla kez gönderildi.",
    "items_mismatch": "Listede iadedeki her kalem bir kez yer almalı.",
}

i18n.register(messages=MESSAGES)
i18n.register(field_messages_tr=FIELD_MESSAGES_TR)


def problem(field: str, type_: str, message: str) -> dict[str, Any]:
    """One `details.fields[]` entry, shaped like pydantic's (message in English until localised)."""
    return {"field": field, "message": message, "type": type_}


def invalid(problems: list[dict[str, Any]]) -> BadRequest:
    return BadRequest("validation_failed", details={"fields": problems})


@contextmanager
def localised(lang: str) -> Iterator[None]:
    """Field messages of this area's 400s in the caller's language (pydantic's get theirs in
    platform.http); the service raises them with English texts and their types."""
    try:
        yield
    except BadRequest as exc:
        for entry in (exc.details or {}).get("fields") or []:
            entry["message"] = i18n.field_message(entry["type"], entry["message"], lang)
        raise


class ReturnNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("return_not_found")


class OrderItemNotFound(NotFound):
    def __init__(self, order_item_ids: list[int]) -> None:
        super().__init__("order_item_not_found", details={"order_item_ids": order_item_ids})


class QuantityExceeded(Conflict):
    def __init__(self, items: list[dict[str, int]]) -> None:
        super().__init__("return_quantity_exceeded", details={"items": items})


class WindowClosed(Conflict):
    def __init__(self, days: int, closed_at: dt.datetime) -> None:
        super().__init__("return_window_closed", params={"days": days},
                         details={"window_days": days, "closed_at": closed_at})


class RefundTooHigh(Conflict):
    def __init__(self, amount: Decimal, refundable: Decimal) -> None:
        super().__init__("refund_amount_too_high", params={"refundable": refundable},
                         details={"amount": amount, "refundable": refundable})


class NothingToRefund(Conflict):
    def __init__(self) -> None:
        super().__init__("nothing_to_refund")
