"""Errors of the media area and their messages, added to the platform catalogue on import
(the pattern of chalicelib/addresses/errors.py)."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from chalicelib.platform import i18n
from chalicelib.platform.errors import ApiError, BadRequest, Conflict

MESSAGES: dict[str, dict[str, str]] = {
    "upload_missing": {
        "tr": "Yüklenen dosya bulunamadı; yükleme süresi dolmuş olabilir. Lütfen yeniden yükleyin.",
        "en": "The uploaded file was not found; the upload may have expired. Please upload it again.",
    },
    "upload_mismatch": {
        "tr": "Yüklenen dosya bildirilen boyut veya türle eşleşmiyor.",
        "en": "The uploaded file does not match the declared size or type.",
    },
    "image_invalid": {
        "tr": "Dosya geçerli bir JPEG, PNG veya WebP görseli değil.",
        "en": "The file is not a valid JPEG, PNG or WebP image.",
    },
    "image_limit_reached": {
        "tr": "Bir ürüne en fazla {limit} görsel eklenebilir.",
        "en": "A product can have at most {limit} images.",
    },
}

FIELD_MESSAGES_TR: dict[str, str] = {
    "variation_not_of_product": "Varyasyon bu ürüne ait değil.",
    "size_mismatch": "Dosyanın boyutu bildirilen boyuttan farklı.",
    "content_type_mismatch": "Dosyanın türü bildirilen türden farklı.",
    "image_ids_mismatch": "Liste ürünün tüm görsellerini birer kez içermelidir.",
}

i18n.register(messages=MESSAGES)
i18n.register(field_messages_tr=FIELD_MESSAGES_TR)


@dataclass(frozen=True)
class Problem:
    """One bad field, found by a service rule (English message; `as_http` translates it)."""

    field: str
    type: str
    message: str
    extra: dict[str, object] = dataclass_field(default_factory=dict)


class InvalidInput(Exception):
    """Input that passed the schema but breaks a rule needing the database or the bucket."""

    def __init__(self, code: str, problems: Sequence[Problem]) -> None:
        super().__init__(", ".join(f"{p.field}:{p.type}" for p in problems))
        self.code = code
        self.problems = tuple(problems)


@contextmanager
def as_http(lang: str) -> Iterator[None]:
    """Turn `InvalidInput` into the one error shape with `details.fields[]`, in `lang`."""
    try:
        yield
    except InvalidInput as exc:
        fields = [{"field": p.field, "message": i18n.field_message(p.type, p.message, lang), "type": p.type,
                   **p.extra} for p in exc.problems]
        raise ApiError(exc.code, status=400, details={"fields": fields}) from None


class UploadMissing(BadRequest):
    code = "upload_missing"


class ImageInvalid(BadRequest):
    code = "image_invalid"


class ImageLimitReached(Conflict):
    def __init__(self, limit: int) -> None:
        super().__init__("image_limit_reached", details={"limit": limit}, params={"limit": limit})
