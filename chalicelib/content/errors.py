"""Errors of the content area and their messages (joined to the platform catalogue on import).

Rules that look at more than one field (a schedule's order, a link's target for its type) are
checked by the service on the merged row, so a partial update is judged like a create; they
answer the one validation shape (400 validation_failed, {"fields": [...]}) with the types below.
"""
from __future__ import annotations

from chalicelib.platform import i18n
from chalicelib.platform.context import current
from chalicelib.platform.errors import BadRequest, NotFound

MESSAGES: dict[str, dict[str, str]] = {
    "story_not_found": {"tr": "Hikâye bulunamadı.", "en": "Story not found."},
    "slider_not_found": {"tr": "Slayt bulunamadı.", "en": "Slider not found."},
    "popup_not_found": {"tr": "Açılır pencere bulunamadı.", "en": "Popup not found."},
    "viewer_required": {
        "tr": "Oturum açmamış istemciler X-Device-Id başlığını göndermelidir.",
        "en": "Clients that are not signed in must send the X-Device-Id header.",
    },
}

FIELD_MESSAGES_TR: dict[str, str] = {
    "schedule_order": "Bitiş zamanı başlangıçtan sonra olmalıdır.",
    "link_incomplete": "Bağlantı türü ve hedefi birlikte verilmelidir.",
    "link_target_invalid": "Bağlantı hedefi türüne uygun değil (pozitif bir kimlik ya da https adresi).",
    "media_ref_invalid": "Bir medya anahtarı ya da https adresi olmalıdır.",
}

i18n.register(messages=MESSAGES, field_messages_tr=FIELD_MESSAGES_TR)


class StoryNotFound(NotFound):
    code = "story_not_found"


class SliderNotFound(NotFound):
    code = "slider_not_found"


class PopupNotFound(NotFound):
    code = "popup_not_found"


class ViewerRequired(BadRequest):
    """Views, impressions and the popup list need to know who is looking: a token or X-Device-Id."""

    code = "viewer_required"


def invalid(field: str, error_type: str, english: str) -> BadRequest:
    """A rule over several fields broken: the one validation shape, naming the field to fix, in the
    caller's language."""
    message = i18n.field_message(error_type, english, current().lang)
    return BadRequest(details={"fields": [{"field": field, "type": error_type, "message": message}]})
