"""Shipping methods a tenant offers, with their fees (issue 5 item 1 "shipping" in the totals).

Defaults below; a tenant replaces them through its settings (PUT /api/admin/settings with
{"shipping": {"methods": [{"code": "standard", "name": "...", "price": "49.90",
"free_over": "750", "min_days": 2, "max_days": 4}, ...]}}).  The first method is the default.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from chalicelib.platform import i18n
from chalicelib.platform.errors import BadRequest

from .totals import ShippingMethod

i18n.register(messages={"unknown_shipping_method": {
    "tr": "Bu kargo seçeneği sunulmuyor.", "en": "This shipping method is not offered."}})

DEFAULT_METHODS = (
    ShippingMethod("standard", "Standart Kargo", Decimal("49.90"), Decimal("750.00"), 2, 4),
    ShippingMethod("express", "Hızlı Kargo", Decimal("99.90"), None, 1, 2),
)


def methods(tenant_settings: dict[str, Any] | None) -> list[ShippingMethod]:
    configured = ((tenant_settings or {}).get("shipping") or {}).get("methods")
    if not configured:
        return list(DEFAULT_METHODS)
    out = []
    for m in configured:
        free_over = m.get("free_over")
        out.append(ShippingMethod(str(m["code"]), str(m.get("name") or m["code"]), Decimal(str(m.get("price", "0"))),
                                  Decimal(str(free_over)) if free_over not in (None, "") else None,
                                  int(m.get("min_days", 1)), int(m.get("max_days", 3))))
    return out


def method(tenant_settings: dict[str, Any] | None, code: str | None) -> ShippingMethod:
    """The method called `code` (the default when None); 400 unknown_shipping_method otherwise."""
    available = methods(tenant_settings)
    if code is None:
        return available[0]
    for m in available:
        if m.code == code:
            return m
    raise BadRequest("unknown_shipping_method", details={"shipping_method": code,
                                                         "available": [m.code for m in available]})
