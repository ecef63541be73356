"""Errors of the orders area (checkout, lifecycle, cancel, the admin panel) and their tr/en
messages.

Registered into the platform catalogue when imported (see chalicelib/addresses/errors.py).
states.py raises illegal_transition; checkout.py the customer side's codes; admin_service.py
and admin_schemas.py the admin panel's codes and field messages.
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
    "cart_changed": {
        "tr": "Sepetiniz sipariş verilirken değişti; sepetinizi kontrol edip yeniden deneyin.",
        "en": "Your cart changed while the order was being placed; check your cart and try again.",
    },
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
    # the admin panel (admin_service.py)
    "order_version_conflict": {
        "tr": "Sipariş siz bakarken değişti (şimdiki durum: {status}); sayfayı yenileyip tekrar deneyin.",
        "en": "The order changed while you were looking at it (now: {status}); reload and try again.",
    },
    "use_mark_paid": {
        "tr": "Bir siparişi ödendi yapmak için ödeme onayını kullanın (mark-paid): ödeme kaydı ve stok onunla işlenir.",
        "en": "Use the payment confirmation (mark-paid) to make an order paid: it records the payment and the stock.",
    },
    "status_managed_by_returns": {
        "tr": "İade durumları iade talepleri ekranından yönetilir.",
        "en": "Return statuses are managed from the returns queue.",
    },
}

# The admin list's query validation (admin_schemas.py).
FIELD_MESSAGES_TR: dict[str, str] = {
    "cursor_invalid": "Sayfa imleci geçersiz; ilk sayfadan başlayın.",
    "date_range_invalid": "Bitiş tarihi başlangıç tarihinden önce olamaz.",
    "amount_range_invalid": "En yüksek tutar en düşük tutardan küçük olamaz.",
    "query_too_short": "Arama metni en az 2 karakter olmalıdır.",
    "datetime_invalid": "Bir tarih (2025-01-31) ya da ISO 8601 zamanı (2025-01-31T09:30:00+03:00) girin.",
}

i18n.register(messages=MESSAGES)
i18n.register(field_messages_tr=FIELD_MESSAGES_TR)
