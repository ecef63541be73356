"""Human wording of anomaly features (private helper of :mod:`huglu_ml.anomaly`).

Each feature has the direction in which it is suspicious ("high", "low" or "both") and a sentence template
for staff; ``{v}`` is the event's value, ``{t}`` the tenant's typical (median) value.
"""

from __future__ import annotations

import math
from typing import Any

REASONS: dict[str, tuple[str, str]] = {
    # payments
    "declined": ("high", "the payment was declined"),
    "amount_z": ("both", "amount is {v:+.1f} standard deviations from this shop's typical payment"),
    "dev_declines_5m": ("high", "{v:.0f} declined payment attempts from this device in 5 min"),
    "dev_declines_1h": ("high", "{v:.0f} declined payment attempts from this device in 1 h"),
    "ip_declines_5m": ("high", "{v:.0f} declined payment attempts from this IP in 5 min"),
    "ip_declines_1h": ("high", "{v:.0f} declined payment attempts from this IP in 1 h"),
    "user_declines_1h": ("high", "{v:.0f} declined payment attempts by this customer in 1 h"),
    "dev_attempts_5m": ("high", "{v:.0f} payment attempts from this device in 5 min"),
    "dev_attempts_1h": ("high", "{v:.0f} payment attempts from this device in 1 h"),
    "ip_attempts_1h": ("high", "{v:.0f} payment attempts from this IP in 1 h"),
    "dev_bins_1h": ("high", "{v:.0f} different cards (BINs) used from this device in 1 h"),
    "ip_bins_1h": ("high", "{v:.0f} different cards (BINs) used from this IP in 1 h"),
    "user_bins_24h": ("high", "{v:.0f} different cards (BINs) used by this customer in 24 h"),
    "dev_users_24h": ("high", "{v:.0f} different accounts used this device in 24 h"),
    "secs_since_prev_dev": ("low", "only {v:.0f} s since the previous payment attempt from this device"),
    # orders and refunds
    "is_refund": ("high", "a refund request"),
    "total_z": ("both", "order total is {v:+.1f} standard deviations from this shop's typical order"),
    "total_vs_user": ("both", "order total is {r:.1f}x this customer's usual"),
    "items_count": ("high", "{v:.0f} items in the order (typically {t:.0f})"),
    "lines": ("high", "{v:.0f} different products in the order (typically {t:.0f})"),
    "account_age_h": ("low", "account first seen {v:.1f} h ago"),
    "user_orders_24h": ("high", "{v:.0f} orders by this customer in 24 h"),
    "user_orders_30d": ("high", "{v:.0f} orders by this customer in 30 days"),
    "user_refunds_30d": ("high", "{v:.0f} refunds requested by this customer in 30 days"),
    "user_refunds_7d": ("high", "{v:.0f} refunds requested by this customer in 7 days"),
    "refund_ratio_30d": ("high", "refund rate {p:.0f}% (refunds per order in 30 days, smoothed)"),
    "user_declines_24h": ("high", "{v:.0f} declined payments by this customer in 24 h"),
    # logins
    "failed": ("high", "the login failed"),
    "ip_failures_10m": ("high", "{v:.0f} failed logins from this IP in 10 min"),
    "dev_failures_10m": ("high", "{v:.0f} failed logins from this device in 10 min"),
    "user_failures_10m": ("high", "{v:.0f} failed logins to this account in 10 min"),
    "dev_accounts_24h": ("high", "{v:.0f} different accounts logged in from this device in 24 h"),
    "ip_accounts_24h": ("high", "{v:.0f} different accounts logged in from this IP in 24 h"),
    "dev_logins_1h": ("high", "{v:.0f} login attempts from this device in 1 h"),
    "new_device_for_user": ("high", "first login of this account from this device"),
    "hour_rarity": ("high", "unusual hour for this account ({p:.0f}% of its logins are at other times)"),
}


def reason_text(name: str, value: Any, typical: float) -> str:
    """The sentence for one feature; never raises (a wording bug must not lose a flag)."""
    template = REASONS.get(name, ("both", name + " = {v}"))[1]
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = 0.0
    ratio = math.exp(v) if name == "total_vs_user" else 0.0
    try:
        return template.format(v=v, t=typical, p=100.0 * v, r=ratio)
    except (ValueError, KeyError, IndexError):
        return f"{name} = {value}"
