"""The templates send() uses: the transactional catalogue of templates.py with push texts added,
and the commercial (campaign) template.

templates.TEMPLATES stays the catalogue of notify() (e-mail and SMS to a given address); this
module adds a push rendition where a push makes sense (a short title and body, tr and en, the
same parameters) and the marketing templates, and proves at import time, as templates.py does,
that every text uses exactly its template's parameters.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from . import templates
from .errors import NotificationError
from .templates import LANGUAGES, Rendered, Template

PUSH_TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "order_status": {
        "tr": ("{order_number}", "{status}. Ayrıntılar: {link}"),
        "en": ("{order_number}", "{status}. Details: {link}"),
    },
    "order_placed": {
        "tr": ("Siparişiniz alındı", "{order_number} ({total}) - ödeme için son: {pay_until}. {link}"),
        "en": ("Order received", "{order_number} ({total}) - pay by {pay_until}. {link}"),
    },
    "back_in_stock": {
        "tr": ("Yeniden stokta", "{product} yeniden stokta: {link}"),
        "en": ("Back in stock", "{product} is back in stock: {link}"),
    },
    "security_alert": {
        "tr": ("Güvenlik uyarısı", "{event} ({when})"),
        "en": ("Security alert", "{event} ({when})"),
    },
}

# A campaign's message (commercial: İYS consent required).  The campaigns area sends it with
# notifications.api.send(..., category="campaign"); the texts say how to opt out, as commercial
# electronic messages must.
CAMPAIGN = Template(
    "campaign",
    frozenset({"headline", "message", "link"}),
    email={
        "tr": ("{headline}", "{message}\n\n{link}\n\nBu e-postayı ticari ileti izniniz olduğu için aldınız; "
               "izninizi uygulamadaki bildirim ayarlarından geri alabilirsiniz."),
        "en": ("{headline}", "{message}\n\n{link}\n\nYou receive this e-mail because you agreed to commercial "
               "messages; you can withdraw that in the app's notification settings."),
    },
    sms={
        "tr": "{headline}: {message} {link} İptal: uygulamada Bildirim Ayarları",
        "en": "{headline}: {message} {link} Opt out: Notification settings in the app",
    },
    push={"tr": ("{headline}", "{message}"), "en": ("{headline}", "{message}")},
    marketing=True,
    max_lengths={"message": 1000},  # campaign sends: body ≤ 1000 (SMS ≤ 480, checked by the sender)
)
# The campaign's link travels in the push's data (the app opens it), not in its text.
_PUSH_DATA_ONLY = {"campaign": {"link"}}

TEMPLATES: dict[str, Template] = {
    **{name: replace(t, push=PUSH_TEXTS.get(name, {})) for name, t in templates.TEMPLATES.items()},
    CAMPAIGN.name: CAMPAIGN,
}


def _check() -> None:
    for name, push_texts in PUSH_TEXTS.items():
        template = TEMPLATES[name]
        for lang in LANGUAGES:
            used = set().union(*(templates._fields(text) for text in push_texts[lang]))
            if used != template.params:
                raise RuntimeError(f"push text of {name} ({lang}) uses {sorted(used)}, declares {sorted(template.params)}")
    for lang in LANGUAGES:
        campaign = CAMPAIGN.params
        for texts in ([*CAMPAIGN.email[lang]], [CAMPAIGN.sms[lang]], [*CAMPAIGN.push[lang]]):
            used = set().union(*(templates._fields(text) for text in texts))
            if used | _PUSH_DATA_ONLY["campaign"] != campaign:
                raise RuntimeError(f"campaign ({lang}) uses {sorted(used)}, declares {sorted(campaign)}")


_check()


def get(name: str) -> Template:
    template = TEMPLATES.get(name)
    if template is None:
        raise NotificationError(f"unknown template {name!r}; known: {sorted(TEMPLATES)}")
    return template


def render(name: str, channel: str, lang: str, params: Mapping[str, object]) -> Rendered:
    """Render `name` for `channel` (email, sms or push) in `lang`; NotificationError on a mismatch."""
    template = get(name)
    if channel not in template.all_channels:
        raise NotificationError(f"template {name!r} is not available by {channel!r}; use one of {template.all_channels}")
    if lang not in LANGUAGES:
        raise NotificationError(f"unsupported language {lang!r}; use one of {LANGUAGES}")
    if channel == "push" and name in _PUSH_DATA_ONLY:
        # Checked as a whole, rendered without the data-only parameters.
        templates.render_template(replace(template, push={}, sms={}, email=template.email), "email", lang, params)
        data_only = _PUSH_DATA_ONLY[name]
        reduced = replace(template, params=template.params - data_only)
        return templates.render_template(reduced, channel, lang, {k: v for k, v in params.items() if k not in data_only})
    return templates.render_template(template, channel, lang, params)
