"""The tenant's wallet settings (`settings.wallet`): amount limits and the bank accounts shown
for bank-transfer top-ups.  Missing or malformed values fall back to the defaults here.

    "wallet": {
      "topup_min": "10.00", "topup_max": "50000.00",           per top-up request
      "withdrawal_min": "10.00", "withdrawal_max": "50000.00", per withdrawal request
      "bank_accounts": [{"bank": "Ziraat Bankası", "iban": "TR..", "account_holder": "Huğlu ..",
                         "branch": "Hüyük"}]
    }
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import amount_error
from .iban import is_valid, normalise

DEFAULT_LIMITS = {
    "topup_min": Decimal("10.00"), "topup_max": Decimal("50000.00"),
    "withdrawal_min": Decimal("10.00"), "withdrawal_max": Decimal("50000.00"),
}
MAX_BANK_ACCOUNTS = 10


def _section(tenant_settings: dict[str, Any] | None) -> dict[str, Any]:
    section = (tenant_settings or {}).get("wallet")
    return section if isinstance(section, dict) else {}


def limit(tenant_settings: dict[str, Any] | None, name: str) -> Decimal:
    raw = _section(tenant_settings).get(name)
    try:
        value = Decimal(str(raw)).quantize(Decimal("0.01")) if raw is not None else DEFAULT_LIMITS[name]
    except (InvalidOperation, ValueError):
        value = DEFAULT_LIMITS[name]
    return value if value.is_finite() and value > 0 else DEFAULT_LIMITS[name]


def check_amount(tenant_settings: dict[str, Any] | None, kind: str, amount: Decimal) -> None:
    """400 on `amount` outside the tenant's limits for `kind` ("topup" or "withdrawal")."""
    low, high = limit(tenant_settings, f"{kind}_min"), limit(tenant_settings, f"{kind}_max")
    if amount < low:
        raise amount_error("amount_too_small", low)
    if amount > high:
        raise amount_error("amount_over_limit", high)


def bank_accounts(tenant_settings: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The shop's accounts to transfer to, as configured; entries without a bank name or a valid
    IBAN are left out (they would send money nowhere)."""
    shown = []
    for entry in _section(tenant_settings).get("bank_accounts") or []:
        if not isinstance(entry, dict):
            continue
        bank, iban, holder = entry.get("bank"), entry.get("iban"), entry.get("account_holder")
        if isinstance(bank, str) and bank.strip() and isinstance(iban, str) and is_valid(iban):
            shown.append({"bank": bank.strip(), "iban": normalise(iban),
                          "account_holder": holder.strip() if isinstance(holder, str) and holder.strip() else None,
                          "branch": entry.get("branch") if isinstance(entry.get("branch"), str) else None})
    return shown[:MAX_BANK_ACCOUNTS]
