"""Errors of the inventory area and their messages (registered into platform.i18n on import).

    insufficient_stock     409  a reservation short of stock (checkout)
    stock_below_reserved   409  an adjustment that would leave less on hand than open orders hold
    validation_failed      400  (OutOfRange) a stock or a product's total beyond its INT column,
                                naming the request field, type too_large
"""
from __future__ import annotations

from chalicelib.platform import i18n
from chalicelib.platform.context import current
from chalicelib.platform.errors import BadRequest, Conflict

MESSAGES: dict[str, dict[str, str]] = {
    "insufficient_stock": {
        "tr": "'{name}' için yeterli stok yok (kalan: {available}).",
        "en": "Not enough stock of '{name}' (left: {available}).",
    },
    "stock_below_reserved": {
        "tr": "Stok, siparişler için ayrılmış miktarın ({reserved}) altına düşemez.",
        "en": "Stock cannot go below the quantity reserved for orders ({reserved}).",
    },
}

i18n.register(messages=MESSAGES)


class InsufficientStock(Conflict):
    def __init__(self, variation_id: int, name: str, requested: int, available: int) -> None:
        super().__init__("insufficient_stock", params={"name": name, "available": available}, details={
            "variation_id": variation_id, "requested": requested, "available": available})


class StockBelowReserved(Conflict):
    def __init__(self, variation_id: int, stock: int, reserved: int, requested: int) -> None:
        super().__init__("stock_below_reserved", params={"reserved": reserved}, details={
            "variation_id": variation_id, "stock": stock, "reserved": reserved, "requested": requested})


class OutOfRange(BadRequest):
    """400 validation_failed naming `field`: the result would leave its INT column."""

    def __init__(self, field: str, limit: int) -> None:
        english = f"The value is too large: the result may be at most {limit}."
        super().__init__(details={"fields": [{"field": field, "type": "too_large", "limit": limit,
                                              "message": i18n.field_message("too_large", english, current().lang)}]})
