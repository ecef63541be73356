"""Errors of the addresses area and their messages.

The area's messages are added to the platform catalogue (`platform.i18n`) when this module is
imported, so the addresses Lambda carries them without every other function loading them and
without several areas editing one shared file at once.  (They can move into i18n.py itself at
any time; nothing else changes.)
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from chalicelib.platform import i18n
from chalicelib.platform.errors import BadRequest, Conflict

from .rules import Problem

MESSAGES: dict[str, dict[str, str]] = {
    "address_limit_reached": {
        "tr": "En fazla {limit} adres kaydedebilirsiniz; yenisini eklemek için birini silin.",
        "en": "You can keep at most {limit} addresses; delete one to add another.",
    },
}

# Turkish texts of the field error types this area produces (English comes with the error).
FIELD_MESSAGES_TR: dict[str, str] = {
    "phone_invalid": "Geçerli bir cep telefonu numarası girin (5XX XXX XX XX).",
    "province_unknown": "Geçerli bir il adı girin.",
    "postcode_invalid": "Posta kodu 5 haneli olmalıdır.",
    "postcode_province_mismatch": "Posta kodu seçilen ile ait değil.",
    "tax_number_invalid": "Vergi kimlik numarası geçersiz.",
    "national_id_invalid": "T.C. kimlik numarası geçersiz.",
    "not_applicable": "Bu alan bu adres türünde kullanılamaz.",
    "coordinates_incomplete": "Enlem ve boylam birlikte gönderilmelidir.",
}

i18n.register(messages=MESSAGES)
i18n.register(field_messages_tr=FIELD_MESSAGES_TR)


class AddressRuleError(Exception):
    """The address breaks rules that span fields (checked on the merged record in the service)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__(", ".join(f"{p.field}:{p.type}" for p in self.problems))


class AddressLimitReached(Conflict):
    def __init__(self, limit: int) -> None:
        super().__init__("address_limit_reached", details={"limit": limit}, params={"limit": limit})


@contextmanager
def rules_as_http(lang: str) -> Iterator[None]:
    """Turn an AddressRuleError into the one validation error shape, in the caller's language,
    with the same `details.fields[]` entries pydantic's errors get."""
    try:
        yield
    except AddressRuleError as exc:
        fields = [{"field": p.field, "message": i18n.field_message(p.type, p.message, lang), "type": p.type}
                  for p in exc.problems]
        raise BadRequest(details={"fields": fields}) from None
