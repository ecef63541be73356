"""Errors of the campaigns area and their messages (joined to the platform catalogue on import).

Each part of the area (pricing and claims, staff side, coupons, wheel, offers and sends) keeps its
errors in its own section below; every code has a Turkish and an English message.
"""
from __future__ import annotations

from chalicelib.platform import i18n
from chalicelib.platform.errors import ApiError, BadRequest, Conflict, NotFound

# -- pricing and claims (the checkout) ----------------------------------------------------------
MESSAGES: dict[str, dict[str, str]] = {
    "promotion_unavailable": {
        "tr": "Sepetinizdeki bir kampanya artık kullanılamıyor (kullanım hakkı veya bütçesi doldu); "
              "sepetinizi yeniden görüntüleyin.",
        "en": "A promotion in your cart is no longer available (its uses or budget ran out); view your "
              "cart again.",
    },
    "flash_deal_sold_out": {
        "tr": "Flaş fırsatın stoğu tükendi; sepetinizi yeniden görüntüleyin.",
        "en": "The flash deal sold out; view your cart again.",
    },
    "campaign_not_found": {"tr": "Kampanya bulunamadı.", "en": "Campaign not found."},
}

i18n.register(messages=MESSAGES)


class PromotionUnavailable(Conflict):
    code = "promotion_unavailable"


class FlashDealSoldOut(Conflict):
    code = "flash_deal_sold_out"


class CampaignNotFound(NotFound):
    code = "campaign_not_found"


# -- staff side: campaigns, flash deals, coupons, batches (H2) -----------------------------------
ADMIN_MESSAGES: dict[str, dict[str, str]] = {
    "campaign_deleted": {"tr": "Kampanya silinmiş; değiştirilemez.", "en": "The campaign was deleted; it cannot "
                                                                         "be changed."},
    "campaign_limit_below_use": {
        "tr": "{field} şimdiye kadar kullanılandan ({used}) aşağı indirilemez.",
        "en": "{field} cannot be lowered below what is already used ({used}).",
    },
    "campaign_takes_no_codes": {
        "tr": "Yalnızca kupon, teklif ve çark kampanyalarına kod tanımlanabilir.",
        "en": "Only coupon, offer and wheel campaigns take codes.",
    },
    "gift_variation_not_found": {
        "tr": "Hediye ürün varyasyonu bu mağazada bulunamadı.",
        "en": "The gift variation is not one of this shop's.",
    },
    "flash_deal_not_found": {"tr": "Flaş fırsat bulunamadı.", "en": "Flash deal not found."},
    "flash_deal_product_not_found": {
        "tr": "Ürün (veya bu ürünün varyasyonu) bulunamadı.",
        "en": "The product (or this variation of it) was not found.",
    },
    "deal_price_not_lower": {
        "tr": "Fırsat fiyatı ürünün güncel fiyatından ({price}) düşük olmalıdır.",
        "en": "The deal price must be below the current price ({price}).",
    },
    "flash_deal_overlaps": {
        "tr": "Aynı ürün veya varyasyon için bu zaman aralığıyla çakışan etkin bir flaş fırsat var.",
        "en": "An active flash deal on the same product or variation overlaps this window.",
    },
    "flash_deal_stock_below_sold": {
        "tr": "Stok sınırı satılan adetten ({sold}) aşağı indirilemez.",
        "en": "The stock limit cannot be lowered below the units sold ({sold}).",
    },
    "coupon_not_found": {"tr": "Kupon bulunamadı.", "en": "Coupon not found."},
    "campaign_customer_not_found": {"tr": "Müşteri bulunamadı.", "en": "Customer not found."},
    "coupon_code_taken": {"tr": "Bu kupon kodu zaten kullanılıyor.", "en": "This coupon code is already taken."},
    "coupon_usage_below_used": {
        "tr": "Kullanım sınırı şimdiye kadarki kullanımdan ({used}) aşağı indirilemez.",
        "en": "The usage limit cannot be lowered below the uses so far ({used}).",
    },
    "coupon_batch_not_found": {"tr": "Kupon grubu bulunamadı.", "en": "Coupon batch not found."},
    "coupon_batch_exported": {
        "tr": "Bu kupon grubunun kodları zaten bir kez dışa aktarıldı; yeniden gösterilmez.",
        "en": "This batch's codes were already exported once; they are not shown again.",
    },
    "preview_variation_unknown": {
        "tr": "Önizlemedeki bazı varyasyonlar bu mağazada satışta değil.",
        "en": "Some variations of the preview are not on sale in this shop.",
    },
}
ADMIN_FIELD_MESSAGES_TR: dict[str, str] = {
    "percent_range": "Yüzde 0'dan büyük ve en fazla 100 olmalıdır.",
    "amount_not_positive": "Tutar 0'dan büyük olmalıdır.",
    "catalogue_action": "Katalog düzeyindeki kampanyalar yalnızca percent_off veya fixed_off olabilir.",
    "action_incomplete": "Bu işlem türü için gereken alanlar eksik.",
    "window_order": "Bitiş zamanı başlangıçtan sonra olmalıdır.",
    "rules_required": "Bu kampanya türü kural ister.",
    "rules_not_allowed": "Flaş kampanyası kural almaz; fırsatlar kendi kayıtlarındadır.",
    "coupon_code_turkish": "Kupon kodu Türkçe harf içeremez (Ç, Ğ, İ, Ö, Ş, Ü); yalnızca A-Z, 0-9 ve '-'.",
    "coupon_code_format": "Kupon kodu 4-32 karakter olmalı: A-Z, 0-9 ve '-'.",
    "prefix_format": "Ön ek en fazla 8 karakter olmalı: A-Z, 0-9 ve '-'.",
}

i18n.register(messages=ADMIN_MESSAGES, field_messages_tr=ADMIN_FIELD_MESSAGES_TR)


class CampaignDeleted(Conflict):
    code = "campaign_deleted"


class CampaignLimitBelowUse(Conflict):
    def __init__(self, field: str, used: object) -> None:
        super().__init__("campaign_limit_below_use", params={"field": field, "used": used},
                         details={"field": field, "used": str(used)})


class CampaignTakesNoCodes(Conflict):
    code = "campaign_takes_no_codes"


class GiftVariationNotFound(BadRequest):
    code = "gift_variation_not_found"


class FlashDealNotFound(NotFound):
    code = "flash_deal_not_found"


class FlashDealProductNotFound(NotFound):
    code = "flash_deal_product_not_found"


class DealPriceNotLower(BadRequest):
    def __init__(self, price: object) -> None:
        super().__init__("deal_price_not_lower", params={"price": price}, details={"price": str(price)})


class FlashDealOverlaps(Conflict):
    def __init__(self, deal_id: int) -> None:
        super().__init__("flash_deal_overlaps", details={"flash_deal_id": deal_id})


class FlashDealStockBelowSold(Conflict):
    def __init__(self, sold: int) -> None:
        super().__init__("flash_deal_stock_below_sold", params={"sold": sold}, details={"sold": sold})


class CouponNotFound(NotFound):
    code = "coupon_not_found"


class CustomerNotFound(NotFound):
    code = "campaign_customer_not_found"


class CouponCodeTaken(Conflict):
    code = "coupon_code_taken"


class CouponUsageBelowUsed(Conflict):
    def __init__(self, used: int) -> None:
        super().__init__("coupon_usage_below_used", params={"used": used}, details={"used": used})


class CouponBatchNotFound(NotFound):
    code = "coupon_batch_not_found"


class CouponBatchExported(ApiError):
    status, code = 410, "coupon_batch_exported"


class PreviewVariationUnknown(BadRequest):
    def __init__(self, variation_ids: list[int]) -> None:
        super().__init__("preview_variation_unknown", details={"variation_ids": variation_ids})


# -- customer side: applied coupon codes, the discount wheel, public lists (H3) ----------------------
CUSTOMER_MESSAGES: dict[str, dict[str, str]] = {
    "coupon_code_invalid": {
        "tr": "Kupon kodu yalnızca harf (A-Z), rakam ve '-' içerebilir.",
        "en": "A coupon code holds only letters (A-Z), digits and '-'.",
    },
    "coupon_inactive": {"tr": "Bu kupon şu anda kullanılamıyor.", "en": "This coupon cannot be used now."},
    "coupon_not_started": {"tr": "Bu kuponun geçerlilik süresi henüz başlamadı.",
                           "en": "This coupon is not valid yet."},
    "coupon_expired": {"tr": "Bu kuponun süresi doldu.", "en": "This coupon has expired."},
    "coupon_exhausted": {"tr": "Bu kuponun kullanım hakkı doldu.", "en": "This coupon has been used up."},
    "coupon_per_customer_limit": {"tr": "Bu kuponu kullanabileceğiniz kadar kullandınız.",
                                  "en": "You have used this coupon as often as allowed."},
    "coupons_too_many": {"tr": "Sepete en fazla {max} kupon kodu eklenebilir.",
                         "en": "At most {max} coupon codes can be applied."},
    "coupon_attempts": {
        "tr": "Çok fazla hatalı kupon kodu denendi. {retry_after} saniye sonra tekrar deneyin.",
        "en": "Too many wrong coupon codes. Try again in {retry_after} seconds.",
    },
    "wheel_not_found": {"tr": "Şu anda aktif bir çarkıfelek kampanyası yok.",
                        "en": "There is no discount wheel running now."},
    "wheel_already_spun": {"tr": "Çarkı bu dönem zaten çevirdiniz.",
                           "en": "You have already spun the wheel in this period."},
    "wheel_sold_out": {"tr": "Çarkın tüm ödülleri tükendi.", "en": "Every prize of the wheel is gone."},
    "prize_not_found": {"tr": "Ödül bulunamadı.", "en": "Prize not found."},
    "campaign_not_wheel": {"tr": "Ödüller yalnızca çarkıfelek kampanyalarına eklenir.",
                           "en": "Prizes belong to discount-wheel campaigns only."},
    "prize_stock_below_awarded": {
        "tr": "Stok şimdiye kadar verilen ödül sayısının ({awarded}) altına indirilemez.",
        "en": "The stock cannot be lowered below the prizes already awarded ({awarded}).",
    },
}

CUSTOMER_FIELD_MESSAGES_TR: dict[str, str] = {
    "prize_value_unused": "Ücretsiz kargo ve boş ödüller değer almaz.",
    "prize_value_required": "Bu ödül türü 0'dan büyük bir değer ister.",
    "prize_percent_range": "Yüzde en fazla 100 olabilir.",
}

i18n.register(messages=CUSTOMER_MESSAGES, field_messages_tr=CUSTOMER_FIELD_MESSAGES_TR)


class CouponCodeInvalid(BadRequest):
    code = "coupon_code_invalid"


class CouponRefused(Conflict):
    """A known code that cannot be applied now: `code` says why (inactive, not started, expired,
    exhausted, per-customer limit)."""


class CouponsTooMany(Conflict):
    def __init__(self, most: int) -> None:
        super().__init__("coupons_too_many", params={"max": most}, details={"max": most})


def coupon_attempts(retry_after: int) -> ApiError:
    return ApiError("coupon_attempts", status=429, headers={"Retry-After": str(retry_after)},
                    params={"retry_after": retry_after}, details={"retry_after": retry_after})


class WheelNotFound(NotFound):
    code = "wheel_not_found"


class WheelAlreadySpun(Conflict):
    def __init__(self, next_spin_at: str | None) -> None:
        super().__init__("wheel_already_spun", details={"next_spin_at": next_spin_at})


class WheelSoldOut(Conflict):
    code = "wheel_sold_out"


class PrizeNotFound(NotFound):
    code = "prize_not_found"


class CampaignNotWheel(Conflict):
    code = "campaign_not_wheel"


class PrizeStockBelowAwarded(Conflict):
    def __init__(self, awarded: int) -> None:
        super().__init__("prize_stock_below_awarded", params={"awarded": awarded}, details={"awarded": awarded})


# -- personalised offers and campaign sends (offers*.py, sends*.py) ------------------------------
OFFERS_SENDS_MESSAGES: dict[str, dict[str, str]] = {
    "campaign_not_offer": {
        "tr": "Kişiye özel kodlar yalnızca 'offer' türündeki, silinmemiş kampanyalar için verilebilir.",
        "en": "Personal codes can be issued only for campaigns of type 'offer' that are not deleted.",
    },
    "send_not_found": {"tr": "Kampanya gönderimi bulunamadı.", "en": "Campaign send not found."},
    "send_status_conflict": {
        "tr": "Gönderim bu durumdayken ({status}) bu işlem yapılamaz.",
        "en": "The send cannot do that while it is {status}.",
    },
}

i18n.register(messages=OFFERS_SENDS_MESSAGES, field_messages_tr={
    "text_not_printable": "Tek satırda yazdırılabilir karakterlerden oluşmalıdır.",
    "deep_link_invalid": "Bir https:// adresi ya da uygulama bağlantısı (huglu://) olmalıdır.",
    "audience_required": "En az bir segment ya da seviye belirtin.",
    "sms_body_too_long": "SMS ile gönderilen metin en fazla 480 karakter olabilir.",
    "scheduled_at_past": "Geçmiş bir zaman olamaz.",
    "scheduled_at_too_late": "En fazla bir yıl sonrası olabilir.",
})


class CampaignNotOffer(Conflict):
    code = "campaign_not_offer"


class SendNotFound(NotFound):
    code = "send_not_found"


class SendStatusConflict(Conflict):
    def __init__(self, status: str) -> None:
        super().__init__("send_status_conflict", params={"status": status}, details={"status": status})
