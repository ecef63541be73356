"""Errors of the orders area (checkout, lifecycle, cancel) and their tr/en messages.

Registered into the platform catalogue when imported (see chalicelib/addresses/errors.py).
lifecycle.py raises illegal_transition; checkout.py the rest.
"""
from __future__ import annotations

from chalicelib.platform import i18n

MESSAGES: dict[str, dict[str, str]] = {
    "order_not_found": {"tr": "Sipariş bulunamadı.", "en": "Order not found."},
    "illegal_transition": {
        "tr": "Sipariş '{from}' durumundan '{to}' durumuna geçemez.",
        "en": "The order cannot go from '{from}' to '{to}'.",
    },
    # idempotency_key_required / _invalid / _reused / idempotency_in_progress: the platform's
    # (platform/idempotency.py)
    "cart_empty": {"tr": "Sepetiniz boş.", "en": "Your cart is empty."},
    "cart_item_unavailable": {
        "tr": "Sepetinizdeki bazı ürünler artık satışta değil; sepetinizi güncelleyin.",
        "en": "Some items in your cart are no longer for sale; please update your cart.",
    },
    "insufficient_stock": {
        "tr": "'{name}' için yeterli stok yok (kalan: {available}).",
        "en": "Not enough stock of '{name}' (left: {available}).",
    },
    "price_changed": {
        "tr": "Sepet tutarı değişti; yeni tutarı kontrol edip siparişi yeniden onaylayın.",
        "en": "The cart total has changed; check the new total and confirm the order again.",
    },
    "address_not_found": {"tr": "Adres bulunamadı.", "en": "Address not found."},
    "order_not_paid": {
        "tr": "Bu işlem yalnızca ödenmiş siparişlerde yapılabilir.",
        "en": "This is only possible for a paid order.",
    },
    "amount_mismatch": {
        "tr": "Ödeme tutarı sipariş tutarıyla eşleşmiyor.",
        "en": "The payment amount does not match the order total.",
    },
    "refund_not_found": {"tr": "İade kaydı bulunamadı.", "en": "Refund not found."},
}

i18n.register(messages=MESSAGES)
