"""Errors of the cart area and their tr/en messages.

Registered into the platform catalogue when imported (see chalicelib/addresses/errors.py), so
the cart Lambda carries them without every other function loading them.
`unknown_shipping_method` is registered by cart/shipping.py itself, which the orders Lambda
imports without this module.
"""
from __future__ import annotations

from chalicelib.platform import i18n
from chalicelib.platform.errors import BadRequest, Conflict, NotFound

MESSAGES: dict[str, dict[str, str]] = {
    "cart_owner_missing": {
        "tr": "Sepet için oturum açın veya X-Device-Id başlığı gönderin.",
        "en": "Sign in or send an X-Device-Id header to use the cart.",
    },
    "device_id_invalid": {
        "tr": "X-Device-Id başlığı geçersiz (8-64 karakter: harf, rakam, . _ : -).",
        "en": "The X-Device-Id header is invalid (8-64 characters: letters, digits, . _ : -).",
    },
    "cart_item_not_found": {
        "tr": "Sepetinizde bu ürün bulunamadı.",
        "en": "This item is not in your cart.",
    },
    "variation_not_found": {
        "tr": "Ürün seçeneği bulunamadı.",
        "en": "The product option was not found.",
    },
    "product_unavailable": {
        "tr": "Bu ürün şu anda satışta değil.",
        "en": "This product is not for sale at the moment.",
    },
    "out_of_stock": {
        "tr": "Bu ürün tükendi.",
        "en": "This item is sold out.",
    },
    "quantity_exceeds_stock": {
        "tr": "Bu üründen stokta yalnızca {available} adet var.",
        "en": "Only {available} of this item are in stock.",
    },
    "cart_quantity_limit": {
        "tr": "Bir üründen sepete en fazla {limit} adet eklenebilir.",
        "en": "At most {limit} of one item can be in the cart.",
    },
    "cart_line_limit": {
        "tr": "Sepette en fazla {limit} farklı ürün olabilir.",
        "en": "The cart can hold at most {limit} different items.",
    },
}

i18n.register(messages=MESSAGES)


class CartOwnerMissing(BadRequest):
    def __init__(self) -> None:
        super().__init__("cart_owner_missing")


class DeviceIdInvalid(BadRequest):
    def __init__(self) -> None:
        super().__init__("device_id_invalid", details={"header": "X-Device-Id", "pattern": "^[A-Za-z0-9._:-]{8,64}$"})


class CartItemNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("cart_item_not_found")


class VariationNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("variation_not_found")


class ProductUnavailable(Conflict):
    def __init__(self, variation_id: int) -> None:
        super().__init__("product_unavailable", details={"variation_id": variation_id})


class OutOfStock(Conflict):
    def __init__(self, variation_id: int) -> None:
        super().__init__("out_of_stock", details={"variation_id": variation_id, "available": 0})


class QuantityExceedsStock(Conflict):
    def __init__(self, variation_id: int, requested: int, in_cart: int, available: int) -> None:
        available = max(available, 0)
        super().__init__("quantity_exceeds_stock", params={"available": available}, details={
            "variation_id": variation_id, "requested": requested, "in_cart": in_cart, "available": available})


class QuantityLimit(Conflict):
    def __init__(self, variation_id: int, limit: int, in_cart: int) -> None:
        super().__init__("cart_quantity_limit", params={"limit": limit},
                         details={"variation_id": variation_id, "limit": limit, "in_cart": in_cart})


class LineLimit(Conflict):
    def __init__(self, limit: int) -> None:
        super().__init__("cart_line_limit", params={"limit": limit}, details={"limit": limit})
