"""Messages of the accounts area that the platform catalogue does not carry.

They join `platform.i18n` when this module is imported (the pattern of
chalicelib/engagement/errors.py), so only the functions that use them load them.
"""
from __future__ import annotations

from chalicelib.platform import i18n
from chalicelib.platform.context import current
from chalicelib.platform.errors import ApiError

MESSAGES: dict[str, dict[str, str]] = {
    "verification_expired": {
        "tr": "Doğrulamanın süresi dolmuş veya kodu tükenmiş; kayda yeniden başlayın.",
        "en": "This verification has expired or is used up; start the registration again.",
    },
}

i18n.register(messages=MESSAGES)


def field_error(code: str, field: str, *, tr: str, en: str, status: int = 400) -> ApiError:
    """An error naming one field, in the one validation shape, in the caller's language."""
    return ApiError(code, status=status, details={"fields": [
        {"field": field, "message": tr if current().lang == "tr" else en, "type": code}]})


def verification_expired() -> ApiError:
    texts = MESSAGES["verification_expired"]
    return field_error("verification_expired", "verification_id", tr=texts["tr"], en=texts["en"])
