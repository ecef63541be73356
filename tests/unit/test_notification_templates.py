"""Notification templates: both languages, Turkish characters, and the parameter contract that
`notify` enforces before anything is queued."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from chalicelib.notifications import templates
from chalicelib.notifications.errors import NotificationError
from chalicelib.notifications.handlers import mask_recipient
from chalicelib.notifications.service import build_message, check_recipient, notify
from chalicelib.notifications.templates import TEMPLATES, render

SAMPLE = {
    "code": "482913",
    "minutes": 10,
    "link": "https://shop.example.com/sifre-sifirla?token=abc",
    "event": "password_changed",
    "when": datetime(2025, 3, 21, 11, 5, tzinfo=timezone.utc),
    "product": "Şişme Yatak (Çift Kişilik)",
    "order_number": "S261125-K7M3XQ",
    "total": "1.249,90 TL",
    "pay_until": datetime(2026, 11, 25, 18, 30, tzinfo=timezone.utc),
    "status": "shipped",
    "invoice_number": "HGL2026000000123",
    "return_number": "R261125-K7M3XQ",
    "shipping_code": "YK-123456",
    "reason": "Ürün kullanılmış",
    "amount": "150.00 TRY",
    "name": "Ayşe Y.",
    # feed_sync_report (issue 13, product feeds)
    "feed": "Tedarikçi XML", "run": "42", "outcome": "succeeded", "mode": "dry_run", "seen": 100000, "valid": 99000,
    "invalid": 1000, "created": 98000, "updated": 900, "unchanged": 100,
    "report": "tenants/1/feed-runs/42/errors.csv",
}


def params_for(name: str) -> dict[str, object]:
    return {key: SAMPLE[key] for key in TEMPLATES[name].params}


def test_the_catalogue_has_the_issue_3_templates_and_channels():
    assert {name: t.channels for name, t in TEMPLATES.items()} == {
        "verification_code": ("email", "sms"),
        "password_reset": ("email", "sms"),
        "password_reset_unknown": ("email", "sms"),  # issue 9: forgot-password for no account
        "email_change": ("email",),
        "security_alert": ("email",),
        "account_exists": ("email", "sms"),
        "account_deleted": ("email",),
        "back_in_stock": ("email",),  # issue 4 (engagement, N4)
        "order_placed": ("email",),  # issue 5 (orders.mail)
        "order_status": ("email",),
        "invoice_issued": ("email",),  # issue 5 (invoices)
        "return_approved": ("email",),  # issue 5 (returns)
        "return_approved_code": ("email",),
        "return_rejected": ("email",),
        "wallet_transfer_sent": ("email",),  # issue 11 (wallet transfers)
        "wallet_transfer_received": ("email",),
        "feed_sync_report": ("email",),  # issue 13 (product feeds)
    }
    assert {name: set(t.params) for name, t in TEMPLATES.items()} == {
        "verification_code": {"code", "minutes"},
        "password_reset": {"link", "minutes"},
        "password_reset_unknown": set(),
        "email_change": {"code", "minutes"},
        "security_alert": {"event", "when"},
        "account_exists": set(),
        "account_deleted": set(),
        "back_in_stock": {"product", "link"},
        "order_placed": {"order_number", "total", "pay_until", "link"},
        "order_status": {"order_number", "status", "link"},
        "invoice_issued": {"order_number", "invoice_number", "total", "link"},
        "return_approved": {"return_number", "order_number", "link"},
        "return_approved_code": {"return_number", "order_number", "shipping_code", "link"},
        "return_rejected": {"return_number", "order_number", "reason", "link"},
        "wallet_transfer_sent": {"amount", "name"},
        "wallet_transfer_received": {"amount", "name"},
        "feed_sync_report": {"feed", "run", "outcome", "mode", "seen", "valid", "invalid", "created", "updated",
                             "unchanged", "report"},
    }


@pytest.mark.parametrize("name, channel, lang", [
    (name, channel, lang) for name, t in TEMPLATES.items() for channel in t.channels for lang in ("tr", "en")
])
def test_every_rendition_renders_with_every_parameter_in_it(name, channel, lang):
    rendered = render(name, channel, lang, params_for(name))
    assert "{" not in rendered.text and "}" not in rendered.text
    assert (rendered.subject is None) == (channel == "sms")
    for key in ("code", "link", "product", "order_number", "total", "invoice_number", "return_number",
                "shipping_code", "reason", "report"):
        if key in TEMPLATES[name].params:
            assert str(SAMPLE[key]) in rendered.text


def test_verification_sms_is_exactly_the_specified_turkish_text():
    rendered = render("verification_code", "sms", "tr", {"code": "482913", "minutes": 5})
    assert rendered.text == "Huğlu doğrulama kodunuz: 482913. 5 dakika geçerlidir."
    assert render("verification_code", "sms", "en", {"code": "482913", "minutes": 5}).text == (
        "Your Huğlu verification code: 482913. It is valid for 5 minutes.")


def test_turkish_characters_survive_in_subjects_bodies_and_parameters():
    rendered = render("password_reset", "email", "tr",
                      {"link": "https://mağaza.example/şifre?ğ=ü", "minutes": 30})
    assert rendered.subject == "Şifre sıfırlama isteğiniz"
    assert "https://mağaza.example/şifre?ğ=ü" in rendered.text
    assert "30 dakika geçerlidir" in rendered.text
    deleted = render("account_deleted", "email", "tr", {})
    assert deleted.subject == "Huğlu hesabınız silindi"
    assert "teşekkür ederiz" in deleted.text


def test_security_alert_localises_the_event_and_shows_turkish_time():
    tr = render("security_alert", "email", "tr", {"event": "two_factor_disabled", "when": SAMPLE["when"]})
    assert tr.subject == "Güvenlik uyarısı: İki adımlı doğrulama kapatıldı"
    assert "21.03.2025 14:05 (TSİ)" in tr.text  # 11:05 UTC is 14:05 in Türkiye
    en = render("security_alert", "email", "en", {"event": "new_sign_in", "when": "yesterday"})
    assert en.subject == "Security alert: New sign-in to your account" and "When: yesterday" in en.text
    naive_utc = render("security_alert", "email", "en", {"event": "new_sign_in", "when": datetime(2025, 1, 1, 21, 30)})
    assert "02.01.2025 00:30" in naive_utc.text
    with pytest.raises(NotificationError, match="event must be one of"):
        render("security_alert", "email", "tr", {"event": "şifre değişti", "when": "dün"})


def test_security_alert_events_are_codes_labelled_in_both_languages():
    events = TEMPLATES["security_alert"].choices["event"]
    assert set(events) == {"new_sign_in", "password_changed", "email_changed", "two_factor_enabled",
                           "two_factor_disabled", "recovery_codes_regenerated", "recovery_code_used",
                           "biometric_key_added"}
    for event, labels in events.items():
        for lang in ("tr", "en"):
            rendered = render("security_alert", "email", lang, {"event": event, "when": SAMPLE["when"]})
            assert rendered.subject is not None and labels[lang] in rendered.subject and labels[lang] in rendered.text


@pytest.mark.parametrize("params, message", [
    ({"code": "123456"}, r"missing parameters \['minutes'\]"),
    ({"code": "123456", "minutes": 5, "link": "https://x"}, r"unexpected \['link'\]"),
    ({"code": "123456", "minute": 5}, r"missing parameters \['minutes'\], unexpected \['minute'\]"),
    ({"code": "", "minutes": 5}, "printable"),
    ({"code": "12\n34", "minutes": 5}, "one line"),
    ({"code": "1234", "minutes": 5.5}, "str or int"),
    ({"code": "1234", "minutes": True}, "str or int"),
    ({"code": "x" * 501, "minutes": 5}, "printable"),
])
def test_bad_parameters_are_rejected(params, message):
    with pytest.raises(NotificationError, match=message):
        render("verification_code", "email", "tr", params)


def test_a_value_is_substituted_not_interpreted():
    rendered = render("verification_code", "sms", "en", {"code": "{minutes}{0}", "minutes": 5})
    assert rendered.text.startswith("Your Huğlu verification code: {minutes}{0}.")


@pytest.mark.parametrize("name, channel, lang, message", [
    ("welcome", "email", "tr", "unknown template"),
    ("email_change", "sms", "tr", "not available by 'sms'"),
    ("verification_code", "push", "tr", "not available by 'push'"),
    ("verification_code", "email", "de", "unsupported language"),
    ("verification_code", "email", "tr-TR", "unsupported language"),
])
def test_unknown_template_channel_or_language(name, channel, lang, message):
    with pytest.raises(NotificationError, match=message):
        render(name, channel, lang, {"code": "1", "minutes": 1})


@pytest.mark.parametrize("channel, to", [
    ("email", "ayse@example.com, evil@example.com"),
    ("email", "ayse@example.com\r\nBcc: evil@example.com"),
    ("email", "ayse"),
    ("email", "ayse @example.com"),
    ("sms", "05321234567"),  # national format: E.164 needs the +90
    ("sms", "+90 532 123 45 67"),
    ("sms", "+0905321234567"),
    ("fax", "+905321234567"),
])
def test_malformed_recipients_are_rejected(channel, to):
    with pytest.raises(NotificationError):
        check_recipient(channel, to)


def test_the_queued_message_carries_the_rendered_text():
    message = build_message(7, channel="sms", to="+905321234567", template="verification_code", lang="tr",
                            params={"code": "482913", "minutes": 3}, user_id=42)
    assert message == {
        "v": 1, "tenant_id": 7, "user_id": 42, "channel": "sms", "to": "+905321234567",
        "template": "verification_code", "lang": "tr", "subject": None,
        "text": "Huğlu doğrulama kodunuz: 482913. 3 dakika geçerlidir.",
    }


def test_notify_rejects_before_queueing_anything():
    # uow=None would send at once: reaching the queue here would be the bug.
    with pytest.raises(NotificationError, match="missing parameters"):
        notify(None, 1, channel="email", to="a@example.com", template="password_reset", lang="tr",
               params={"minutes": 30})
    with pytest.raises(NotificationError, match="tenant_id"):
        notify(None, 0, channel="email", to="a@example.com", template="account_deleted", lang="tr", params={})


def test_recipients_are_masked_for_logs():
    assert mask_recipient("ayse.yilmaz@example.com") == "a***@example.com"
    assert mask_recipient("+905321234567") == "+90********67"
    assert mask_recipient("+90") == "***"


def test_catalogue_check_catches_a_template_that_drifts_from_its_parameters(monkeypatch):
    broken = templates.Template("broken", frozenset({"code"}), sms={"tr": "Kod: {kod}", "en": "Code: {code}"})
    monkeypatch.setitem(TEMPLATES, "broken", broken)
    with pytest.raises(RuntimeError, match=r"broken \(sms, tr\) uses \['kod'\]"):
        templates._check_catalogue()


def test_order_mails_show_the_status_in_words_and_the_hold_in_turkish_time():
    shipped = render("order_status", "email", "tr", params_for("order_status"))
    assert shipped.subject == "S261125-K7M3XQ: Siparişiniz kargoya verildi"
    placed = render("order_placed", "email", "tr", params_for("order_placed"))
    assert "25.11.2026 21:30 (TSİ)" in placed.text and "1.249,90 TL" in placed.text
