"""Errors of the catalogue-admin area and their messages.

The messages join the platform catalogue (`platform.i18n`) when this module is imported, as in
chalicelib/addresses/errors.py, so only the functions that load this area carry them.

Shapes:
- a field that needs the database to check (unknown category, bad barcode checksum, ...) is a
  400 `validation_failed` with `details.fields[]`, exactly like pydantic's own errors;
- a uniqueness clash is a 409 whose code names the field (`sku_taken`, `barcode_taken`, ...)
  and whose details carry `field` (the request path, e.g. `variations.1.sku`) and `value`;
- a spreadsheet import with bad rows is one 400 `import_invalid` listing every bad row.
"""
from __future__ import annotations

from typing import Any

from chalicelib.platform import i18n
from chalicelib.platform.context import current
from chalicelib.platform.errors import ApiError, BadRequest, Conflict

MESSAGES: dict[str, dict[str, str]] = {
    "category_has_children": {
        "tr": "Alt kategorileri olan bir kategori silinemez; önce alt kategorileri taşıyın veya silin.",
        "en": "A category with sub-categories cannot be deleted; move or delete them first.",
    },
    "category_in_use": {
        "tr": "Bu kategoride {count} ürün var; önce ürünleri başka bir kategoriye taşıyın.",
        "en": "{count} products are in this category; move them to another category first.",
    },
    "brand_in_use": {
        "tr": "Bu marka {count} üründe kullanılıyor; önce ürünlerin markasını değiştirin.",
        "en": "{count} products use this brand; change their brand first.",
    },
    "slug_taken": {
        "tr": "'{value}' adresi (slug) başka bir kayıtta kullanılıyor.",
        "en": "The slug '{value}' is already used by another record.",
    },
    "sku_taken": {
        "tr": "'{value}' stok kodu (SKU) başka bir varyantta kullanılıyor.",
        "en": "The SKU '{value}' is already used by another variation.",
    },
    "barcode_taken": {
        "tr": "'{value}' barkodu başka bir varyantta kullanılıyor.",
        "en": "The barcode '{value}' is already used by another variation.",
    },
    "nfc_tag_taken": {
        "tr": "'{value}' NFC etiketi başka bir varyantta kullanılıyor.",
        "en": "The NFC tag '{value}' is already used by another variation.",
    },
    "bulk_invalid": {
        "tr": "Toplu işlem uygulanamadı; hiçbir değişiklik yapılmadı.",
        "en": "The bulk change cannot be applied; nothing was changed.",
    },
    "bulk_too_large": {
        "tr": "Tek seferde en fazla {limit} ürün değiştirilebilir; seçimi daraltın.",
        "en": "At most {limit} products can be changed at once; narrow the selection.",
    },
    "import_invalid": {
        "tr": "Dosyada {count} hatalı satır var; hiçbir değişiklik uygulanmadı.",
        "en": "The file has {count} invalid rows; nothing was applied.",
    },
    "import_too_large": {
        "tr": "Dosya çok büyük (en fazla {limit}); dosyayı bölerek yükleyin.",
        "en": "The file is too large (at most {limit}); split it and upload the parts.",
    },
    "import_unreadable": {
        "tr": "Dosya okunamadı; biçimin ({format}) doğru olduğundan emin olun.",
        "en": "The file could not be read; check that it really is {format}.",
    },
    "export_too_large": {
        "tr": "Dışa aktarım tek yanıt için çok büyük; durum, kategori veya marka ile filtreleyin.",
        "en": "The export is too large for one response; filter by status, category or brand.",
    },
    "export_not_acceptable": {
        "tr": "XLSX indirmek için Accept başlığında {media_type} (veya */*) gönderin.",
        "en": "To download XLSX, send Accept: {media_type} (or */*).",
    },
}

# Turkish texts of the field error types this area produces (English comes with the error).
FIELD_MESSAGES_TR: dict[str, str] = {
    "category_unknown": "Kategori bulunamadı.",
    "category_ambiguous": "Bu adla birden fazla kategori var; tam yolu yazın (Kamp > Uyku).",
    "category_cycle": "Bir kategori kendisinin veya alt kategorilerinden birinin altına taşınamaz.",
    "category_too_deep": "Kategori ağacı bu kadar derin olamaz.",
    "brand_unknown": "Marka bulunamadı.",
    "barcode_invalid": "Geçerli bir EAN-13 barkodu girin (13 hane, doğru kontrol hanesi).",
    "sku_invalid": "Stok kodu harf, rakam ve . _ - / karakterlerinden oluşmalıdır (en fazla 64).",
    "slug_invalid": "Adres (slug) yalnızca küçük harf, rakam ve tire içerebilir.",
    "number_invalid": "Geçerli bir sayı girin (ör. 1.249,90 veya 1249.90).",
    "integer_invalid": "Tam sayı girin.",
    "negative": "Negatif olamaz.",
    "too_large": "Değer çok büyük.",
    "required": "Bu alan zorunludur.",
    "status_unknown": "Durum aktif, taslak veya arşiv olmalıdır.",
    "duplicate_in_file": "Bu değer dosyada daha önce kullanılmış.",
    "conflicting_values": "Aynı ürünün satırlarında farklı değerler var.",
    "column_unknown": "Bilinmeyen sütun; yok sayıldı.",
    "column_duplicate": "Bu sütun dosyada birden fazla kez var.",
    "column_missing": "Zorunlu sütun eksik.",
    "stock_below_reserved": "Stok, siparişler için ayrılmış miktarın altına düşemez.",
    "price_negative": "İşlem sonucunda fiyat negatif olur.",
    "compare_at_below_price": "İndirim öncesi fiyat, satış fiyatının altında olamaz.",
    "option_value_invalid": "1 ile 100 karakter arasında bir metin veya bir sayı girin.",
    "base64_invalid": "İçerik geçerli bir base64 metni değil.",
    "empty_file": "Dosyada veri satırı yok.",
    "selection_empty": "Seçimde hiç kayıt yok.",
    "selection_required": "product_ids, variation_ids veya filter alanlarından tam olarak biri gerekli.",
    "not_for_this_action": "Bu alan bu işlemde kullanılamaz.",
    "delta_or_set": "delta veya set alanlarından tam olarak biri gönderilmelidir.",
}

i18n.register(messages=MESSAGES)
i18n.register(field_messages_tr=FIELD_MESSAGES_TR)


def field_problem(field: str, error_type: str, english: str, **extra: Any) -> dict[str, Any]:
    """One entry of `details.fields[]`, in the caller's language."""
    return {"field": field, "message": i18n.field_message(error_type, english, current().lang),
            "type": error_type, **extra}


def invalid(field: str, error_type: str, english: str, **extra: Any) -> BadRequest:
    """A 400 `validation_failed` naming one field, the same shape as pydantic's errors."""
    return BadRequest(details={"fields": [field_problem(field, error_type, english, **extra)]})


def compare_at_below_price(price: object) -> BadRequest:
    """compare_at_price (the 'was' price a sale shows struck through) below the price."""
    return invalid("compare_at_price", "compare_at_below_price", f"Must not be below the price ({price}).",
                   price=str(price))


def unknown_category(field: str = "category_id") -> BadRequest:
    return invalid(field, "category_unknown", "The category does not exist.")


def unknown_brand(field: str = "brand_id") -> BadRequest:
    return invalid(field, "brand_unknown", "The brand does not exist.")


def bad_barcode(field: str) -> BadRequest:
    return invalid(field, "barcode_invalid", "Not a valid EAN-13 barcode (13 digits with a correct check digit).")


class Taken(Conflict):
    """409 for a unique value already in use: code `<what>_taken`, details {field, value}."""

    def __init__(self, what: str, field: str, value: object) -> None:
        super().__init__(f"{what}_taken", details={"field": field, "value": value}, params={"value": value})


class InUse(Conflict):
    def __init__(self, code: str, count: int, **details: Any) -> None:
        super().__init__(code, details={"count": count, **details}, params={"count": count})


class ImportInvalid(ApiError):
    status, code = 400, "import_invalid"

    def __init__(self, errors: list[dict[str, Any]], rows: int) -> None:
        super().__init__(details={"errors": errors, "error_count": len(errors), "rows": rows},
                         params={"count": len({e["row"] for e in errors})})


# Unique keys of product_variations / products / categories / brands → (what, field) for a 409
# when a concurrent writer won the race between our check and our INSERT / UPDATE.
_UNIQUE_KEYS = {"ux_sku": "sku", "ux_barcode": "barcode", "ux_nfc_tag": "nfc_tag", "ux_slug": "slug"}


def translate_duplicate(exc: BaseException, field_prefix: str = "") -> ApiError | None:
    """A pymysql IntegrityError as our 409 (1062 duplicate key; 1451/1452 a foreign key that a
    concurrent request changed under us), else None."""
    args: tuple[Any, ...] = getattr(exc, "args", ())
    if len(args) >= 1 and args[0] in (1451, 1452):  # a referenced row vanished / is still referenced
        return Conflict(details={"reason": "concurrent_change"})
    if len(args) < 2 or args[0] != 1062:
        return None
    text = str(args[1])
    for key, what in _UNIQUE_KEYS.items():
        if f".{key}'" in text or f"'{key}'" in text:
            # "Duplicate entry '<tenant_id>-<value>' for key '[table.]ux_sku'"
            entry = text.split("'")[1] if text.count("'") >= 2 else ""
            return Taken(what, f"{field_prefix}{what}", entry.split("-", 1)[-1] or None)
    return Conflict(details={"reason": "duplicate"})
