"""Errors of the shipping area and their tr/en messages.

Registered into the platform catalogue when imported (see chalicelib/addresses/errors.py).
`order_not_found` and `illegal_transition` are the orders area's codes (raised by
orders.states); they are registered here too with setdefault, so the shipping Lambda, which
does not load the orders area's errors, still answers them in the caller's language.
"""
from __future__ import annotations

from chalicelib.platform import i18n
from chalicelib.platform.context import current
from chalicelib.platform.errors import ApiError, BadRequest, Conflict, ServiceUnavailable, Unauthorized

MESSAGES: dict[str, dict[str, str]] = {
    "order_not_found": {"tr": "Sipariş bulunamadı.", "en": "Order not found."},
    "illegal_transition": {
        "tr": "Sipariş '{from}' durumundan '{to}' durumuna geçemez.",
        "en": "The order cannot go from '{from}' to '{to}'.",
    },
    "shipment_not_found": {"tr": "Gönderi bulunamadı.", "en": "Shipment not found."},
    "carrier_not_integrated": {
        "tr": "Bu kargo firmasıyla otomatik gönderi oluşturulamıyor; takip numarasını girin.",
        "en": "Shipments cannot be booked with this carrier automatically; enter the tracking number.",
    },
    "carrier_rejected": {
        "tr": "Kargo firması gönderiyi kabul etmedi: {reason}.",
        "en": "The carrier refused the shipment: {reason}.",
    },
    "carrier_unavailable": {
        "tr": "Kargo firmasına şu anda ulaşılamıyor; lütfen biraz sonra tekrar deneyin.",
        "en": "The carrier cannot be reached right now; please try again shortly.",
    },
    "tracking_number_taken": {
        "tr": "Bu takip numarası bu kargo firmasında başka bir gönderiye ait.",
        "en": "This tracking number already belongs to another shipment of this carrier.",
    },
    "shipment_quantity_exceeded": {
        "tr": "Gönderilecek adet, siparişte gönderilmeyi bekleyen adedi aşıyor.",
        "en": "The quantity to ship is more than what is still waiting to be shipped.",
    },
    "nothing_to_ship": {
        "tr": "Bu siparişin gönderilmeyi bekleyen ürünü kalmadı.",
        "en": "Everything in this order has already been shipped.",
    },
    "shipment_final": {
        "tr": "Gönderi '{status}' durumunda; durumu artık değiştirilemez.",
        "en": "The shipment is '{status}'; its status can no longer change.",
    },
    "webhook_signature_invalid": {
        "tr": "Webhook imzası doğrulanamadı.",
        "en": "The webhook signature could not be verified.",
    },
    "carrier_unknown": {"tr": "Bu kargo firması için webhook alınmıyor.", "en": "No webhooks are taken for this carrier."},
}

FIELD_MESSAGES_TR: dict[str, str] = {
    "order_item_unknown": "Bu sipariş kalemi siparişte yok.",
    "duplicate_item": "Aynı sipariş kalemi bir kez yazılmalıdır.",
    "in_future": "Gelecekte bir zaman olamaz.",
    "needs_status": "Bu alan yalnızca durumla birlikte gönderilebilir.",
    "nothing_to_change": "Değiştirilecek bir alan gönderin.",
    "needs_tracking_number": "Takip adresi yalnızca takip numarasıyla birlikte gönderilebilir.",
}

i18n.register(messages=MESSAGES)
i18n.register(field_messages_tr=FIELD_MESSAGES_TR)


class CarrierNotIntegrated(Conflict):
    def __init__(self, carrier: str) -> None:
        super().__init__("carrier_not_integrated", details={"carrier": carrier})


class CarrierRejected(Conflict):
    def __init__(self, reason: str, fields: list[dict[str, str]]) -> None:
        super().__init__("carrier_rejected", details={"reason": reason, "fields": fields}, params={"reason": reason})


class CarrierUnavailable(ServiceUnavailable):
    def __init__(self, reason: str) -> None:
        super().__init__("carrier_unavailable", details={"reason": reason}, headers={"Retry-After": "30"})


class ShipmentFinal(Conflict):
    def __init__(self, status: str) -> None:
        super().__init__("shipment_final", details={"status": status}, params={"status": status})


class WebhookSignatureInvalid(Unauthorized):
    def __init__(self, reason: str) -> None:
        super().__init__("webhook_signature_invalid", details={"reason": reason})


def unknown_items(problems: list[tuple[int, int]]) -> ApiError:
    """400 in the one validation shape for (index, order_item_id) pairs the order does not
    have, each message in the caller's language like pydantic's own field errors."""
    lang = current().lang
    english = "This order item is not part of the order."
    return BadRequest(details={"fields": [
        {"field": f"items.{index}.order_item_id", "message": i18n.field_message("order_item_unknown", english, lang),
         "type": "order_item_unknown"} for index, _ in problems]})


def quantity_exceeded(lines: list[dict[str, int]]) -> ApiError:
    """409: lines of {order_item_id, requested, remaining}."""
    return Conflict("shipment_quantity_exceeded", details={"items": lines})
