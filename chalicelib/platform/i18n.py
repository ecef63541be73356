"""Message catalogue (tr, en) and Accept-Language negotiation.

Every client-facing error message is looked up here by its error code, so the one error shape
carries a message in the caller's language.  Field-level validation messages are translated
from pydantic's error `type`.
"""
from __future__ import annotations

SUPPORTED = ("tr", "en")

MESSAGES: dict[str, dict[str, str]] = {
    "invalid_json": {
        "tr": "İstek gövdesi geçerli bir JSON değil.",
        "en": "The request body is not valid JSON.",
    },
    "json_too_deep": {
        "tr": "İstek gövdesi çok fazla iç içe düzey içeriyor (en fazla {max_depth}).",
        "en": "The request body is nested too deeply (at most {max_depth} levels).",
    },
    "invalid_text": {
        "tr": "Metinler NUL (U+0000) veya eşleşmemiş vekil karakter içeremez.",
        "en": "Text must not contain U+0000 or an unpaired surrogate.",
    },
    "idempotency_key_required": {
        "tr": "Bu istek Idempotency-Key başlığı gerektirir (1-100 yazdırılabilir ASCII karakter).",
        "en": "This request needs an Idempotency-Key header (1-100 printable ASCII characters).",
    },
    "idempotency_key_invalid": {
        "tr": "Idempotency-Key başlığı 1-100 yazdırılabilir ASCII karakter olmalıdır.",
        "en": "The Idempotency-Key header must be 1-100 printable ASCII characters.",
    },
    "validation_failed": {
        "tr": "Gönderilen veriler geçersiz.",
        "en": "The submitted data is invalid.",
    },
    "api_key_missing": {
        "tr": "X-API-Key başlığı gerekli.",
        "en": "The X-API-Key header is required.",
    },
    "api_key_invalid": {
        "tr": "API anahtarı geçersiz veya devre dışı.",
        "en": "The API key is invalid or disabled.",
    },
    "token_missing": {
        "tr": "Bu işlem için oturum açmanız gerekiyor.",
        "en": "You need to sign in for this request.",
    },
    "token_invalid": {
        "tr": "Oturum belirteci geçersiz veya süresi dolmuş.",
        "en": "The access token is invalid or has expired.",
    },
    "forbidden": {
        "tr": "Bu işlem için yetkiniz yok.",
        "en": "You do not have permission for this request.",
    },
    "rate_limited": {
        "tr": "Çok fazla istek gönderdiniz. Lütfen {retry_after} saniye sonra tekrar deneyin.",
        "en": "Too many requests. Please try again in {retry_after} seconds.",
    },
    "not_found": {
        "tr": "Kayıt bulunamadı.",
        "en": "The resource was not found.",
    },
    "route_not_found": {
        "tr": "İstenen adres bulunamadı.",
        "en": "The requested path was not found.",
    },
    "method_not_allowed": {
        "tr": "Bu adres için HTTP yöntemi desteklenmiyor.",
        "en": "The HTTP method is not supported for this path.",
    },
    "unsupported_media_type": {
        "tr": "İçerik türü desteklenmiyor; application/json gönderin.",
        "en": "Unsupported content type; send application/json.",
    },
    "conflict": {
        "tr": "İstek mevcut durumla çakışıyor.",
        "en": "The request conflicts with the current state.",
    },
    # platform/idempotency.py: one code per outcome, for every area's idempotent writes
    "idempotency_key_reused": {
        "tr": "Bu Idempotency-Key farklı bir istekle kullanılmış.",
        "en": "This Idempotency-Key was used with a different request.",
    },
    "idempotency_in_progress": {
        "tr": "Bu Idempotency-Key ile gönderilen istek hâlâ işleniyor; lütfen biraz sonra tekrar deneyin.",
        "en": "The request sent with this Idempotency-Key is still being processed; please retry shortly.",
    },
    "invalid_credentials": {
        "tr": "E-posta veya şifre hatalı.",
        "en": "The e-mail or password is incorrect.",
    },
    "refresh_token_invalid": {
        "tr": "Yenileme belirteci geçersiz; lütfen tekrar giriş yapın.",
        "en": "The refresh token is invalid; please sign in again.",
    },
    "session_revoked": {
        "tr": "Oturumunuz sonlandırıldı; lütfen tekrar giriş yapın.",
        "en": "Your session has ended; please sign in again.",
    },
    "mfa_required": {
        "tr": "Yönetim paneli için iki adımlı doğrulama gerekli.",
        "en": "Two-factor authentication is required for the admin panel.",
    },
    # -- two-factor and biometric sign-in (accounts/mfa.py, accounts/biometric.py) --
    "mfa_already_enabled": {
        "tr": "İki adımlı doğrulama zaten açık.",
        "en": "Two-factor authentication is already on.",
    },
    "mfa_not_enabled": {
        "tr": "İki adımlı doğrulama açık değil.",
        "en": "Two-factor authentication is not on.",
    },
    "mfa_setup_required": {
        "tr": "Önce kurulumu başlatın; kurulumun süresi dolmuş olabilir.",
        "en": "Start the setup first; it may have expired.",
    },
    "mfa_code_invalid": {
        "tr": "Doğrulama kodu hatalı veya daha önce kullanılmış.",
        "en": "The code is incorrect or has already been used.",
    },
    "mfa_token_invalid": {
        "tr": "Giriş denemesinin süresi doldu; lütfen tekrar giriş yapın.",
        "en": "This sign-in attempt has expired; please sign in again.",
    },
    "biometric_invalid": {
        "tr": "Biyometrik giriş doğrulanamadı; lütfen şifrenizle giriş yapın.",
        "en": "Biometric sign-in could not be verified; please sign in with your password.",
    },
    "biometric_key_exists": {
        "tr": "Bu anahtar zaten kayıtlı; cihazda yeni bir anahtar oluşturun.",
        "en": "This key is already registered; create a new key on the device.",
    },
    "biometric_key_limit": {
        "tr": "Çok fazla cihaz kayıtlı; önce birini kaldırın.",
        "en": "Too many devices are registered; remove one first.",
    },
    "weak_password": {
        "tr": "Şifre yeterince güçlü değil.",
        "en": "The password is not strong enough.",
    },
    "login_locked": {
        "tr": "Çok fazla hatalı deneme. Lütfen {minutes} dakika sonra tekrar deneyin.",
        "en": "Too many failed attempts. Please try again in {minutes} minutes.",
    },
    "code_invalid": {
        "tr": "Doğrulama kodu hatalı veya süresi dolmuş.",
        "en": "The verification code is wrong or has expired.",
    },
    "reset_token_invalid": {
        "tr": "Şifre sıfırlama bağlantısı geçersiz veya süresi dolmuş.",
        "en": "The password reset link is invalid or has expired.",
    },
    "password_incorrect": {
        "tr": "Mevcut şifre hatalı.",
        "en": "The current password is incorrect.",
    },
    "identifier_taken": {
        "tr": "Bu e-posta adresi veya telefon numarası başka bir hesapta kullanılıyor.",
        "en": "This e-mail address or phone number is used by another account.",
    },
    "tenant_mismatch": {
        "tr": "Belirteç bu mağazaya ait değil.",
        "en": "The token does not belong to this store.",
    },
    "service_unavailable": {
        "tr": "Hizmet şu anda kullanılamıyor.",
        "en": "The service is currently unavailable.",
    },
    "internal_error": {
        "tr": "Beklenmeyen bir hata oluştu.",
        "en": "An unexpected error occurred.",
    },
}

# pydantic v2 error types → Turkish field messages (English uses pydantic's own text).
FIELD_MESSAGES_TR: dict[str, str] = {
    "missing": "Bu alan zorunludur.",
    "string_type": "Metin olmalıdır.",
    "string_too_short": "Çok kısa.",
    "string_too_long": "Çok uzun.",
    "string_pattern_mismatch": "Biçimi geçersiz.",
    "int_type": "Tam sayı olmalıdır.",
    "int_parsing": "Tam sayı olmalıdır.",
    "decimal_type": "Sayı olmalıdır.",
    "decimal_parsing": "Sayı olmalıdır.",
    "decimal_max_places": "Çok fazla ondalık basamak.",
    "bool_type": "true veya false olmalıdır.",
    "bool_parsing": "true veya false olmalıdır.",
    "greater_than": "Daha büyük bir değer girin.",
    "greater_than_equal": "Daha büyük bir değer girin.",
    "less_than": "Daha küçük bir değer girin.",
    "less_than_equal": "Daha küçük bir değer girin.",
    "value_error": "Değer geçersiz.",
    "enum": "İzin verilen değerlerden biri olmalıdır.",
    "literal_error": "İzin verilen değerlerden biri olmalıdır.",
    "extra_forbidden": "Bu alana izin verilmiyor.",
    "list_type": "Liste olmalıdır.",
    "dict_type": "Nesne olmalıdır.",
    "model_type": "Nesne olmalıdır.",
    "url_parsing": "Geçerli bir adres olmalıdır.",
    "url_scheme": "Adres http veya https ile başlamalıdır.",
    "date_out_of_range": "1000 ile 9998 yılları arasında bir tarih girin.",
    "too_short": "Çok az öğe.",
    "too_long": "Çok fazla öğe.",
    # platform/fields.py
    "money_invalid": "Tutar olmalıdır; ondalık ayırıcı nokta (örn. 1249.90).",
    "too_large": "Değer çok büyük.",
    "negative": "Negatif olamaz.",
    "too_many_decimals": "En fazla iki ondalık basamak.",
    "text_forbidden_character": "Kontrol karakteri veya yön değiştirme karakteri içeremez.",
    "json_too_deep": "Çok fazla iç içe düzey.",
    "json_too_large": "Çok büyük.",
    "null_not_allowed": "null olamaz.",
    # platform/keyset.py
    "cursor_invalid": "Sayfa imleci geçersiz; ilk sayfadan başlayın.",
}


def register(messages: dict[str, dict[str, str]] | None = None,
             field_messages_tr: dict[str, str] | None = None) -> None:
    """The one way an area adds its error messages (tr/en) and Turkish field messages to the
    catalogue.  A code registered twice must mean the same thing: different texts for one code
    are a bug (two areas answering one code differently), refused at import."""
    for code, texts in (messages or {}).items():
        if MESSAGES.setdefault(code, texts) != texts:
            raise ValueError(f"error code {code!r} registered twice with different texts")
    for error_type, text in (field_messages_tr or {}).items():
        if FIELD_MESSAGES_TR.setdefault(error_type, text) != text:
            raise ValueError(f"field message {error_type!r} registered twice with different texts")


def negotiate(accept_language: str | None, default: str = "tr") -> str:
    """Pick tr or en from an Accept-Language header, honouring q-values."""
    if not accept_language:
        return default
    best, best_q = default, -1.0
    for part in accept_language.split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        lang = tag.strip().lower()[:2]
        if lang in SUPPORTED and q > best_q:
            best, best_q = lang, q
    return best


def message(code: str, lang: str, **params: object) -> str:
    entry = MESSAGES.get(code) or MESSAGES["internal_error"]
    text = entry.get(lang) or entry["en"]
    return text.format(**params) if params else text


def field_message(error_type: str, english: str, lang: str) -> str:
    if lang == "tr":
        return FIELD_MESSAGES_TR.get(error_type, english)
    return english
