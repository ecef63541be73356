"""Errors of the admin order panel and their tr/en messages.

Registered into the platform catalogue when imported (see chalicelib/addresses/errors.py).
The orders area's own codes (order_not_found, illegal_transition, amount_mismatch) come from
chalicelib/orders/errors.py, registered here through chalicelib.orders.api so this Lambda carries them too.
"""
from __future__ import annotations

from chalicelib.orders.api import register_messages as register_order_messages
from chalicelib.platform import i18n

register_order_messages()  # order_not_found, illegal_transition, amount_mismatch, ...

MESSAGES: dict[str, dict[str, str]] = {
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

FIELD_MESSAGES_TR: dict[str, str] = {
    "cursor_invalid": "Sayfa imleci geçersiz; ilk sayfadan başlayın.",
    "date_range_invalid": "Bitiş tarihi başlangıç tarihinden önce olamaz.",
    "amount_range_invalid": "En yüksek tutar en düşük tutardan küçük olamaz.",
    "query_too_short": "Arama metni en az 2 karakter olmalıdır.",
    "datetime_invalid": "Bir tarih (2025-01-31) ya da ISO 8601 zamanı (2025-01-31T09:30:00+03:00) girin.",
}

i18n.register(messages=MESSAGES)
i18n.register(field_messages_tr=FIELD_MESSAGES_TR)
