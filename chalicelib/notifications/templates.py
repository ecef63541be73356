"""The transactional templates, in Turkish and English, and their rendering.

Each template declares the parameters it takes; rendering rejects a missing or an unexpected
one (a typo such as `minute` for `minutes` would otherwise send a broken text).  The texts use
`str.format` fields, and `_check_catalogue()` proves at import time that every text of a
template uses exactly its declared parameters, so a template edit cannot drift from them.

Values are substituted, never re-interpreted: a `{` inside a parameter stays a `{`.
"""
from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from .errors import NotificationError

LANGUAGES = ("tr", "en")
CHANNELS = ("email", "sms")  # what notify() sends to an address it is given
# What send() reaches through the user's own addresses and devices (push: Expo, issue 13).
ALL_CHANNELS = ("email", "sms", "push")
MAX_PARAM_LENGTH = 500  # longer than any link or name we send; catches a whole object passed by mistake
# Turkey has kept UTC+3 all year since 2016 (no DST), so a fixed offset needs no tz database.
TURKEY = timezone(timedelta(hours=3))
_WHEN_FORMAT = {"tr": "%d.%m.%Y %H:%M (TSİ)", "en": "%d.%m.%Y %H:%M (Turkey time, UTC+3)"}


@dataclass(frozen=True)
class Template:
    name: str
    params: frozenset[str]
    email: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # lang → (subject, body)
    sms: Mapping[str, str] = field(default_factory=dict)  # lang → body
    push: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # lang → (title, body)
    # Parameters whose value is a code from a fixed set, shown as a localised label.
    choices: Mapping[str, Mapping[str, Mapping[str, str]]] = field(default_factory=dict)
    # A commercial message (İYS): send() takes it only as category "campaign", so it can never
    # slip past the consent check under a transactional category.
    marketing: bool = False
    # Parameters allowed longer than MAX_PARAM_LENGTH (a campaign's message, written by staff).
    max_lengths: Mapping[str, int] = field(default_factory=dict)

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(c for c in CHANNELS if getattr(self, c))

    @property
    def all_channels(self) -> tuple[str, ...]:
        """With push: what send() may use (channel_templates adds the push texts)."""
        return tuple(c for c in ALL_CHANNELS if getattr(self, c))


@dataclass(frozen=True)
class Rendered:
    subject: str | None  # None for SMS; the title of a push notification
    text: str


_IGNORE_IF_NOT_YOU = {
    "tr": "Bu isteği siz yapmadıysanız bu e-postayı dikkate almayın.",
    "en": "If you did not request this, you can ignore this e-mail.",
}
# security_alert's `event`: a code, so callers never pass free text and both languages stay in step.
_SECURITY_EVENTS = {
    "new_sign_in": {"tr": "Hesabınızda yeni bir oturum açıldı", "en": "New sign-in to your account"},
    "password_changed": {"tr": "Şifreniz değiştirildi", "en": "Your password was changed"},
    "email_changed": {"tr": "E-posta adresiniz değiştirildi", "en": "Your e-mail address was changed"},
    "two_factor_enabled": {"tr": "İki adımlı doğrulama açıldı", "en": "Two-step verification was turned on"},
    "two_factor_disabled": {"tr": "İki adımlı doğrulama kapatıldı", "en": "Two-step verification was turned off"},
    "recovery_codes_regenerated": {"tr": "Kurtarma kodlarınız yenilendi", "en": "Your recovery codes were replaced"},
    "recovery_code_used": {"tr": "Bir kurtarma kodunuzla oturum açıldı", "en": "A recovery code was used to sign in"},
    "biometric_key_added": {"tr": "Hesabınıza yeni bir biyometrik anahtar eklendi",
                            "en": "A new biometric key was added to your account"},
}

# Order statuses as the customer reads them (orders.states; "order_status" template).
_ORDER_STATUSES = {
    "paid": {"tr": "Ödemeniz alındı, siparişiniz onaylandı", "en": "Payment received, your order is confirmed"},
    "preparing": {"tr": "Siparişiniz hazırlanıyor", "en": "Your order is being prepared"},
    "shipped": {"tr": "Siparişiniz kargoya verildi", "en": "Your order has shipped"},
    "delivered": {"tr": "Siparişiniz teslim edildi", "en": "Your order was delivered"},
    "cancelled": {"tr": "Siparişiniz iptal edildi", "en": "Your order was cancelled"},
    "return_requested": {"tr": "İade talebiniz alındı", "en": "We received your return request"},
    "returned": {"tr": "İade ettiğiniz ürünler bize ulaştı", "en": "Your returned items have arrived"},
    "refunded": {"tr": "İadeniz tamamlandı", "en": "Your refund is complete"},
}

TEMPLATES: dict[str, Template] = {t.name: t for t in (
    Template(
        "verification_code",
        frozenset({"code", "minutes"}),
        email={
            "tr": ("Huğlu doğrulama kodunuz",
                   "Huğlu doğrulama kodunuz: {code}. {minutes} dakika geçerlidir.\n\n"
                   "Bu kodu kimseyle paylaşmayın; Huğlu çalışanları kodunuzu asla sormaz.\n"
                   + _IGNORE_IF_NOT_YOU["tr"]),
            "en": ("Your Huğlu verification code",
                   "Your Huğlu verification code: {code}. It is valid for {minutes} minutes.\n\n"
                   "Do not share this code with anyone; Huğlu staff will never ask for it.\n"
                   + _IGNORE_IF_NOT_YOU["en"]),
        },
        sms={
            "tr": "Huğlu doğrulama kodunuz: {code}. {minutes} dakika geçerlidir.",
            "en": "Your Huğlu verification code: {code}. It is valid for {minutes} minutes.",
        },
    ),
    Template(
        "password_reset",
        frozenset({"link", "minutes"}),
        sms={  # forgot-password by phone number
            "tr": "Huğlu şifrenizi sıfırlamak için: {link} ({minutes} dakika geçerlidir)",
            "en": "Reset your Huğlu password: {link} (valid for {minutes} minutes)",
        },
        email={
            "tr": ("Şifre sıfırlama isteğiniz",
                   "Huğlu hesabınızın şifresini sıfırlamak için bu bağlantıyı açın:\n{link}\n\n"
                   "Bağlantı {minutes} dakika geçerlidir. Bu isteği siz yapmadıysanız bu e-postayı "
                   "dikkate almayın; şifreniz değişmeyecek."),
            "en": ("Your password reset request",
                   "Open this link to reset the password of your Huğlu account:\n{link}\n\n"
                   "The link is valid for {minutes} minutes. If you did not request this, ignore this "
                   "e-mail; your password will not change."),
        },
    ),
    Template(
        # Forgot-password for an address / number with no active account: the same one message
        # as for an account (the API does not reveal who is registered), and the person who
        # asked learns they may have signed up with another address.
        "password_reset_unknown",
        frozenset(),
        sms={
            "tr": "Bu numara için Huğlu şifre sıfırlama istendi, ancak numaraya bağlı etkin bir hesap yok. "
                  "İsteği siz yapmadıysanız dikkate almayın.",
            "en": "A Huğlu password reset was requested for this number, but no active account uses it. "
                  "If this was not you, ignore this message.",
        },
        email={
            "tr": ("Şifre sıfırlama isteğiniz",
                   "Bu e-posta adresi için Huğlu şifre sıfırlama istendi, ancak bu adresle kullanılan etkin bir "
                   "Huğlu hesabı bulamadık. Başka bir e-posta adresi veya telefon numarasıyla kaydolmuş "
                   "olabilirsiniz; dilerseniz yeni bir hesap da açabilirsiniz.\n\n" + _IGNORE_IF_NOT_YOU["tr"]),
            "en": ("Your password reset request",
                   "Someone asked to reset the password of a Huğlu account with this e-mail address, but we "
                   "found no active Huğlu account using it. You may have signed up with another e-mail address "
                   "or phone number; you can also open a new account.\n\n" + _IGNORE_IF_NOT_YOU["en"]),
        },
    ),
    Template(
        "email_change",  # sent to the NEW address, to prove the user owns it
        frozenset({"code", "minutes"}),
        email={
            "tr": ("E-posta adresinizi doğrulayın",
                   "Huğlu hesabınızın e-posta adresini bu adresle değiştirmek için doğrulama kodunuz: "
                   "{code}. {minutes} dakika geçerlidir.\n\n" + _IGNORE_IF_NOT_YOU["tr"]),
            "en": ("Confirm your e-mail address",
                   "Your code to change the e-mail address of your Huğlu account to this address: "
                   "{code}. It is valid for {minutes} minutes.\n\n" + _IGNORE_IF_NOT_YOU["en"]),
        },
    ),
    Template(
        "security_alert",
        frozenset({"event", "when"}),
        email={
            "tr": ("Güvenlik uyarısı: {event}",
                   "Huğlu hesabınızda bir güvenlik olayı gerçekleşti.\n\nOlay: {event}\nZaman: {when}\n\n"
                   "Bu işlemi siz yaptıysanız bir şey yapmanıza gerek yok. Siz yapmadıysanız hemen "
                   "şifrenizi değiştirin ve bizimle iletişime geçin."),
            "en": ("Security alert: {event}",
                   "Something security-related happened on your Huğlu account.\n\nEvent: {event}\n"
                   "When: {when}\n\nIf this was you, there is nothing to do. If it was not, change your "
                   "password now and contact us."),
        },
        choices={"event": _SECURITY_EVENTS},
    ),
    Template(
        # Sign-up with an address / number that already has an account: the owner is told, the
        # sign-up answer stays the same, so the API does not reveal who is registered.
        "account_exists",
        frozenset(),
        email={
            "tr": ("Huğlu hesabınız zaten var",
                   "Bu e-posta adresiyle yeni bir Huğlu hesabı açılmak istendi, ancak adresinize bağlı bir "
                   "hesabınız zaten var. Şifrenizi hatırlamıyorsanız giriş ekranından sıfırlayabilirsiniz.\n\n"
                   + _IGNORE_IF_NOT_YOU["tr"]),
            "en": ("You already have a Huğlu account",
                   "Someone tried to open a new Huğlu account with this e-mail address, but it already "
                   "belongs to your account. If you forgot your password, reset it on the sign-in screen.\n\n"
                   + _IGNORE_IF_NOT_YOU["en"]),
        },
        sms={
            "tr": "Bu numarayla zaten bir Huğlu hesabınız var. Şifrenizi unuttuysanız giriş ekranından sıfırlayın.",
            "en": "You already have a Huğlu account with this number. Forgot your password? Reset it on sign-in.",
        },
    ),
    Template(
        "account_deleted",
        frozenset(),
        email={
            "tr": ("Huğlu hesabınız silindi",
                   "Huğlu hesabınız isteğiniz üzerine silindi. Bizi tercih ettiğiniz için teşekkür ederiz.\n\n"
                   "Bu işlemi siz yapmadıysanız hemen bizimle iletişime geçin."),
            "en": ("Your Huğlu account was deleted",
                   "Your Huğlu account was deleted as you asked. Thank you for shopping with us.\n\n"
                   "If you did not ask for this, contact us right away."),
        },
    ),
    Template(
        # Order placed, not yet paid (orders.mail on OrderPlaced).
        "order_placed",
        frozenset({"order_number", "total", "pay_until", "link"}),
        email={
            "tr": ("Siparişiniz alındı: {order_number}",
                   "Siparişiniz alındı. Sipariş numaranız: {order_number}\nToplam: {total}\n\n"
                   "Ürünleriniz {pay_until} saatine kadar sizin için ayrıldı; ödemeniz bu süre içinde "
                   "tamamlanmazsa sipariş iptal edilir.\n\nSiparişinizi takip etmek için: {link}"),
            "en": ("We received your order {order_number}",
                   "We received your order. Order number: {order_number}\nTotal: {total}\n\n"
                   "Your items are held for you until {pay_until}; if payment is not completed by then the "
                   "order is cancelled.\n\nFollow your order: {link}"),
        },
    ),
    Template(
        # Every later status change of an order (orders.mail on OrderStatusChanged).
        "order_status",
        frozenset({"order_number", "status", "link"}),
        email={
            "tr": ("{order_number}: {status}",
                   "{status}.\n\nSipariş numarası: {order_number}\nAyrıntılar ve takip: {link}"),
            "en": ("{order_number}: {status}",
                   "{status}.\n\nOrder number: {order_number}\nDetails and tracking: {link}"),
        },
        choices={"status": _ORDER_STATUSES},
    ),
    Template(
        # The invoice of a paid order was issued (invoices area); the PDF is on the order page.
        "invoice_issued",
        frozenset({"order_number", "invoice_number", "total", "link"}),
        email={
            "tr": ("{invoice_number} numaralı faturanız",
                   "{order_number} numaralı siparişinizin faturası düzenlendi.\n\n"
                   "Fatura numarası: {invoice_number}\nFatura tutarı: {total}\n\n"
                   "Faturanızı sipariş sayfanızdan görüntüleyip indirebilirsiniz:\n{link}\n\n"
                   "Bizi tercih ettiğiniz için teşekkür ederiz."),
            "en": ("Your invoice {invoice_number}",
                   "The invoice for your order {order_number} has been issued.\n\n"
                   "Invoice number: {invoice_number}\nInvoice total: {total}\n\n"
                   "You can view and download it on your order's page:\n{link}\n\n"
                   "Thank you for shopping with us."),
        },
    ),
    # Return decisions (returns area); the request itself is an order_status mail.
    Template(
        "return_approved",
        frozenset({"return_number", "order_number", "link"}),
        email={
            "tr": ("İade talebiniz onaylandı: {return_number}",
                   "{order_number} numaralı siparişinize ait {return_number} numaralı iade talebiniz onaylandı.\n\n"
                   "Ürünleri, iade numarasını paketin üzerine yazarak bize gönderebilirsiniz. Ürünler bize "
                   "ulaşıp kontrol edildikten sonra ödemeniz iade edilir.\n\nAyrıntılar: {link}"),
            "en": ("Your return {return_number} is approved",
                   "Your return {return_number} for order {order_number} has been approved.\n\n"
                   "Please send the items back with the return number written on the parcel. We refund "
                   "your payment once they have arrived and been checked.\n\nDetails: {link}"),
        },
    ),
    Template(
        "return_approved_code",
        frozenset({"return_number", "order_number", "shipping_code", "link"}),
        email={
            "tr": ("İade talebiniz onaylandı: {return_number}",
                   "{order_number} numaralı siparişinize ait {return_number} numaralı iade talebiniz onaylandı.\n\n"
                   "Ürünleri anlaşmalı kargo şubesine bu iade kodu ile ücretsiz gönderebilirsiniz: "
                   "{shipping_code}\nÜrünler bize ulaşıp kontrol edildikten sonra ödemeniz iade edilir.\n\n"
                   "Ayrıntılar: {link}"),
            "en": ("Your return {return_number} is approved",
                   "Your return {return_number} for order {order_number} has been approved.\n\n"
                   "Hand the items to our carrier with this return code, free of charge: {shipping_code}\n"
                   "We refund your payment once they have arrived and been checked.\n\nDetails: {link}"),
        },
    ),
    Template(
        "return_rejected",
        frozenset({"return_number", "order_number", "reason", "link"}),
        email={
            "tr": ("İade talebiniz hakkında: {return_number}",
                   "{order_number} numaralı siparişinize ait {return_number} numaralı iade talebinizi "
                   "kabul edemedik.\n\nGerekçe: {reason}\n\nSorularınız için bizimle iletişime geçebilirsiniz.\n"
                   "Ayrıntılar: {link}"),
            "en": ("About your return {return_number}",
                   "We could not accept your return {return_number} for order {order_number}.\n\n"
                   "Reason: {reason}\n\nIf you have questions, please contact us.\nDetails: {link}"),
        },
    ),
    Template(
        # The customer asked to be told when an out-of-stock item returns (engagement area, N4):
        # sent once per alert, when stock comes back.
        "back_in_stock",
        frozenset({"product", "link"}),
        email={
            "tr": ("{product} yeniden stokta",
                   "Beklediğiniz ürün yeniden stokta: {product}\n\nHemen göz atmak için: {link}\n\n"
                   "Stok sınırlı olabilir. Bu e-postayı, ürün stoğa girdiğinde haber verilmesini istediğiniz "
                   "için aldınız; bu bildirim bir kez gönderilir."),
            "en": ("{product} is back in stock",
                   "Good news: {product} is back in stock.\n\nTake a look: {link}\n\n"
                   "Stock may be limited. You are receiving this e-mail because you asked to be told when this "
                   "item returned; we send it only once."),
        },
    ),
    # Wallet transfers between customers (wallet area, W7): one to each side.
    Template(
        "wallet_transfer_sent",
        frozenset({"amount", "name"}),
        email={
            "tr": ("{amount} gönderdiniz",
                   "Cüzdanınızdan {name} adlı müşterimize {amount} gönderdiniz.\n\n"
                   "Bu transferi siz yapmadıysanız şifrenizi değiştirip bizimle hemen iletişime geçin."),
            "en": ("You sent {amount}",
                   "You sent {amount} from your wallet to {name}.\n\n"
                   "If you did not make this transfer, change your password and contact us at once."),
        },
    ),
    Template(
        "wallet_transfer_received",
        frozenset({"amount", "name"}),
        email={
            "tr": ("{amount} aldınız",
                   "{name} cüzdanınıza {amount} gönderdi. Tutar cüzdan bakiyenize eklendi."),
            "en": ("You received {amount}",
                   "{name} sent {amount} to your wallet. It has been added to your wallet balance."),
        },
    ),
    # A product-feed run ended (feeds area, issue 13): to the address its source names.
    Template(
        "feed_sync_report",
        frozenset({"feed", "run", "outcome", "mode", "seen", "valid", "invalid", "created", "updated", "unchanged",
                   "report"}),
        email={
            "tr": ("Ürün beslemesi {feed}: {outcome}",
                   "Besleme: {feed} (çalıştırma {run}, {mode})\nDurum: {outcome}\n\nOkunan ürün: {seen}\n"
                   "Geçerli: {valid}\nHatalı: {invalid}\nYeni: {created}\nGüncellenen: {updated}\n"
                   "Değişmeyen: {unchanged}\n\nHatalı satırların raporu (satır ve neden): {report}\n"
                   "Yönetim panelinde de görebilirsiniz."),
            "en": ("Product feed {feed}: {outcome}",
                   "Feed: {feed} (run {run}, {mode})\nStatus: {outcome}\n\nItems read: {seen}\nValid: {valid}\n"
                   "Invalid: {invalid}\nCreated: {created}\nUpdated: {updated}\nUnchanged: {unchanged}\n\n"
                   "Report of the bad rows (line and reason): {report}\nThe admin panel shows it too."),
        },
        choices={
            "outcome": {"succeeded": {"tr": "tamamlandı", "en": "succeeded"},
                       "failed": {"tr": "başarısız", "en": "failed"}},
            "mode": {"sync": {"tr": "senkronizasyon", "en": "sync"},
                     "dry_run": {"tr": "deneme, hiçbir şey yazılmadı", "en": "dry run, nothing written"}},
        },
    ),
)}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _check_catalogue() -> None:
    """Every rendition (template × channel × language) exists and uses exactly the declared
    parameters; choice parameters are labelled in every language."""
    for t in TEMPLATES.values():
        if not t.channels:
            raise RuntimeError(f"template {t.name} has no channel")
        renditions = {("email", lang): list(texts) for lang, texts in t.email.items()}
        renditions.update({("sms", lang): [text] for lang, text in t.sms.items()})
        for channel in t.channels:
            for lang in LANGUAGES:
                texts = renditions.get((channel, lang))
                if texts is None:
                    raise RuntimeError(f"template {t.name}: no {lang} text for {channel}")
                used = set().union(*(_fields(text) for text in texts))
                if used != t.params:
                    raise RuntimeError(f"template {t.name} ({channel}, {lang}) uses {sorted(used)}, "
                                       f"declares {sorted(t.params)}")
        if len(renditions) != len(t.channels) * len(LANGUAGES):
            raise RuntimeError(f"template {t.name}: a text in a language other than {LANGUAGES}")
        for name, labels in t.choices.items():
            if name not in t.params or any(set(v) != set(LANGUAGES) for v in labels.values()):
                raise RuntimeError(f"template {t.name}: choice {name} is not a tr/en labelled parameter")


_check_catalogue()


def get(name: str, channel: str, lang: str) -> Template:
    """The template `name`, checked to exist for `channel` and `lang`."""
    template = TEMPLATES.get(name)
    if template is None:
        raise NotificationError(f"unknown template {name!r}; known: {sorted(TEMPLATES)}")
    if channel not in template.channels:
        raise NotificationError(f"template {name!r} is not available by {channel!r}; use one of {template.channels}")
    if lang not in LANGUAGES:
        raise NotificationError(f"unsupported language {lang!r}; use one of {LANGUAGES}")
    return template


def _value(template: Template, key: str, value: object, lang: str) -> str:
    """One parameter as text: choices localised, datetimes in Turkish time, str/int as given."""
    if key in template.choices:
        labels = template.choices[key].get(value) if isinstance(value, str) else None
        if labels is None:
            raise NotificationError(f"{template.name}: {key} must be one of {sorted(template.choices[key])}")
        return labels[lang]
    if isinstance(value, datetime):
        # Naive datetimes are UTC, as everywhere in this code base (sessions run at +00:00).
        aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return aware.astimezone(TURKEY).strftime(_WHEN_FORMAT[lang])
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise NotificationError(f"{template.name}: {key} must be a str or int, not {type(value).__name__}")
    text = str(value)
    # One line, printable: a newline in a subject is header injection, and in an SMS it is noise.
    longest = template.max_lengths.get(key, MAX_PARAM_LENGTH)
    if not text or len(text) > longest or not text.isprintable():
        raise NotificationError(f"{template.name}: {key} must be 1-{longest} printable characters on one line")
    return text


def render(name: str, channel: str, lang: str, params: Mapping[str, object]) -> Rendered:
    """Render template `name` for `channel` in `lang`; NotificationError on any mismatch."""
    return render_template(get(name, channel, lang), channel, lang, params)


def render_template(template: Template, channel: str, lang: str, params: Mapping[str, object]) -> Rendered:
    """Render `template` (checked to have `channel` and `lang`) with exactly its parameters."""
    name = template.name
    missing, unexpected = template.params - set(params), set(params) - template.params
    if missing or unexpected:
        raise NotificationError(
            f"{name}: missing parameters {sorted(missing)}, unexpected {sorted(unexpected)}; "
            f"it takes {sorted(template.params)}"
        )
    values = {key: _value(template, key, value, lang) for key, value in params.items()}
    if channel == "sms":
        return Rendered(None, template.sms[lang].format(**values))
    if channel == "push":
        title, body = template.push[lang]
        return Rendered(title.format(**values), body.format(**values))
    subject, body = template.email[lang]
    return Rendered(subject.format(**values), body.format(**values))
