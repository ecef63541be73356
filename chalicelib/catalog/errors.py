"""Errors of the public catalogue and their messages.

Registered into the platform catalogue (`platform.i18n`) when imported, the way
`chalicelib/addresses/errors.py` does, so only functions that serve the catalogue carry them.

Bad query parameters are answered with the one validation shape (400 `validation_failed`,
`details.fields[]` naming each bad parameter); the field error types below get Turkish texts.
An unknown (or inactive) category or brand named in a filter is a 404 `not_found` whose details
name the parameter: the client asked for something the shop does not have, which is not the
same as "no products match".
"""
from __future__ import annotations

from typing import Any

from chalicelib.platform import i18n
from chalicelib.platform.errors import NotFound

# Turkish texts of the field error types this area raises (English comes with the error).
FIELD_MESSAGES_TR: dict[str, str] = {
    "sort_needs_query": "Alaka sıralaması yalnızca arama (q) ile kullanılabilir.",
    "price_range_invalid": "En yüksek fiyat en düşük fiyattan küçük olamaz.",
    "attribute_invalid": "Özellik filtresi anahtar:değer biçiminde olmalıdır (ör. renk:Haki).",
    "query_empty": "Arama metni en az bir harf veya rakam içermelidir.",
}

i18n.register(field_messages_tr=FIELD_MESSAGES_TR)


class UnknownFilterValue(NotFound):
    """A filter names a category or brand that the tenant does not have (or has hidden)."""

    def __init__(self, field: str, value: Any) -> None:
        super().__init__("not_found", details={"field": field, "value": value})
