"""What each permission lets a staff member do, in Turkish and English, for the admin panel's
role editor.  Kept beside the routes that serve it rather than in platform/permissions.py, which
every Lambda imports and which only needs the names.  tests/unit/test_admin_access_rules.py
fails when a permission is added to the catalogue without a description here.
"""
from __future__ import annotations

from chalicelib.platform import permissions as perm

DESCRIPTIONS: dict[str, dict[str, str]] = {
    perm.ALL: {"tr": "Tüm yetkiler (süper yönetici).", "en": "Everything (super administrator)."},
    perm.SETTINGS_READ: {"tr": "Mağaza ayarlarını görüntüleme.", "en": "View store settings."},
    perm.SETTINGS_WRITE: {"tr": "Mağaza ayarlarını değiştirme.", "en": "Change store settings."},
    perm.AUDIT_READ: {"tr": "Yönetim işlem kayıtlarını görüntüleme.", "en": "View the admin audit log."},
    perm.USERS_READ: {"tr": "Kullanıcıları ve personeli görüntüleme.", "en": "View users and staff."},
    perm.USERS_WRITE: {"tr": "Personel ekleme, rollerini ve durumunu değiştirme.",
                       "en": "Create staff, change their roles and status."},
    perm.ROLES_READ: {"tr": "Rolleri ve yetki kataloğunu görüntüleme.", "en": "View roles and the permission catalogue."},
    perm.ROLES_WRITE: {"tr": "Rol oluşturma, değiştirme ve silme.", "en": "Create, change and delete roles."},
    perm.API_KEYS_READ: {"tr": "API anahtarlarını görüntüleme (gizli değerleri hariç).",
                         "en": "View API keys (never their secrets)."},
    perm.API_KEYS_WRITE: {"tr": "API anahtarı oluşturma, yenileme ve iptal etme.",
                          "en": "Create, rotate and revoke API keys."},
    perm.PRODUCTS_READ: {"tr": "Ürünleri ve stokları görüntüleme.", "en": "View products and stock."},
    perm.PRODUCTS_WRITE: {"tr": "Ürün, kategori ve stok düzenleme.", "en": "Edit products, categories and stock."},
    perm.ORDERS_READ: {"tr": "Siparişleri görüntüleme.", "en": "View orders."},
    perm.ORDERS_WRITE: {"tr": "Siparişleri güncelleme, iptal ve iade işlemleri.",
                        "en": "Update, cancel and refund orders."},
    perm.FINANCE_READ: {"tr": "Ödemeleri, cüzdanları ve raporları görüntüleme.",
                        "en": "View payments, wallets and reports."},
    perm.FINANCE_WRITE: {"tr": "Finansal düzeltmeler ve mutabakat.", "en": "Financial adjustments and reconciliation."},
    perm.CAMPAIGNS_READ: {"tr": "Kampanyaları, kuponları, flaş fırsatları ve kampanya performansını görüntüleme.",
                          "en": "View campaigns, coupons, flash deals and campaign performance."},
    perm.CAMPAIGNS_WRITE: {"tr": "Kampanya, kupon, flaş fırsat, çark, seviye ve kampanya gönderimi yönetimi.",
                           "en": "Manage campaigns, coupons, flash deals, the wheel, levels and campaign sends."},
    perm.CONTENT_READ: {"tr": "Hikaye, slider ve popup içeriklerini görüntüleme.",
                        "en": "View stories, sliders and popups."},
    perm.CONTENT_WRITE: {"tr": "Hikaye, slider ve popup yönetimi.", "en": "Manage stories, sliders and popups."},
    perm.SUPPORT_WRITE: {"tr": "Müşteri destek taleplerini yanıtlama.", "en": "Answer customer support requests."},
    perm.ML_READ: {"tr": "Makine öğrenmesi modellerini, segmentleri ve anomalileri görüntüleme.",
                   "en": "View machine-learning models, segments and anomalies."},
    perm.ML_WRITE: {"tr": "Model eğitme, etkinleştirme, geri alma ve anomali inceleme.",
                    "en": "Train, activate and roll back models; review anomalies."},
}

GRANTABLE = frozenset([perm.ALL, *perm.CATALOGUE])


def catalogue() -> list[dict[str, object]]:
    """'*' first, then the catalogue in name order; an undescribed permission shows its name."""
    names = [perm.ALL, *perm.CATALOGUE]
    return [{"name": n, "description": DESCRIPTIONS.get(n, {"tr": n, "en": n})} for n in names]
