"""settings.payments of a tenant, read with safe fallbacks (the settings route validates what is
stored; these readers still never trust it, so a hand-edited row cannot break a payment):

    card_flow         "checkout_form" (default: the card is typed at iyzico's hosted page, never on
                      our servers) or "direct" (the app sends the card to POST /api/payment/process)
    require_3ds       default True: a direct card payment always goes through 3-D Secure
    max_installments  1-12, default 1
    bank_transfer_hours  1-168, default 48 (bank_transfer.transfer_window reads it)
"""
from __future__ import annotations

from typing import Any, Final

CHECKOUT_FORM: Final = "checkout_form"
DIRECT: Final = "direct"
DEFAULT_MAX_INSTALLMENTS: Final = 1
MAX_INSTALLMENTS: Final = 12


def _section(tenant_settings: dict[str, Any] | None) -> dict[str, Any]:
    section = (tenant_settings or {}).get("payments")
    return section if isinstance(section, dict) else {}


def card_flow(tenant_settings: dict[str, Any] | None) -> str:
    value = _section(tenant_settings).get("card_flow")
    return value if value in (CHECKOUT_FORM, DIRECT) else CHECKOUT_FORM


def require_3ds(tenant_settings: dict[str, Any] | None) -> bool:
    value = _section(tenant_settings).get("require_3ds")
    return value if isinstance(value, bool) else True


def max_installments(tenant_settings: dict[str, Any] | None) -> int:
    value = _section(tenant_settings).get("max_installments")
    return value if type(value) is int and 1 <= value <= MAX_INSTALLMENTS else DEFAULT_MAX_INSTALLMENTS


def default_flow(tenant_settings: dict[str, Any] | None) -> str:
    """The attempt flow a request without `flow` gets: checkout_form, else 3ds or (only when the
    tenant switched 3-D Secure off) the direct non-3DS card flow."""
    if card_flow(tenant_settings) == CHECKOUT_FORM:
        return "checkout_form"
    return "3ds" if require_3ds(tenant_settings) else "card"


def allowed_flows(tenant_settings: dict[str, Any] | None) -> tuple[str, ...]:
    """What a client may ask for.  The hosted form is always allowed (it is the safest); a direct
    card only when the tenant chose direct, and without 3-D Secure only when require_3ds is off."""
    if card_flow(tenant_settings) == CHECKOUT_FORM:
        return ("checkout_form",)
    return ("checkout_form", "3ds") if require_3ds(tenant_settings) else ("checkout_form", "3ds", "card")
