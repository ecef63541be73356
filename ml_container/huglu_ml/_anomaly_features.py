"""Feature builders for anomaly detection: one feature row per event, in the context of its recent history.

Private helper of :mod:`huglu_ml.anomaly` (import from there). The realtime processor keeps one
:class:`FeatureWindow` per tenant and calls ``window.add(event)`` for every event it consumes; the window
computes the event's features from the history it has seen *before* the event (plus the event itself for
"in the last N minutes" counts, so "9 declined attempts in 5 min" includes the current one), then remembers
the event. Batch training replays a tenant's history through a fresh window (``build_frame``), so training
and serving compute features with the very same code.

Design choices, and why:
- Events are the queue's JSON messages (``id``, ``type``, ``at``, ``user_id``, ``device_id``, ``payload``).
  Every field may be missing, None or of the wrong type; a bad field degrades one feature, never the event.
- The history is a handful of small time-sorted lists keyed by device / IP / user / card BIN, pruned to the
  longest horizon a feature needs (30 days for orders and refunds, 24 h for payments and logins) and capped
  per key, so a tenant's window stays small and is JSON-serialisable (``to_dict`` / ``from_dict``) for Redis.
- Per-user facts that outlive the windows (first seen, known devices, login-hour histogram) are kept as
  compact dicts; the processor can seed ``first_seen`` from the users table with ``note_user``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MIN = 60.0
HOUR = 3600.0
DAY = 86400.0

PAYMENT_FEATURES: tuple[str, ...] = (
    "declined",
    "amount_z",
    "dev_declines_5m",
    "dev_declines_1h",
    "ip_declines_5m",
    "ip_declines_1h",
    "user_declines_1h",
    "dev_attempts_5m",
    "dev_attempts_1h",
    "ip_attempts_1h",
    "dev_bins_1h",
    "ip_bins_1h",
    "user_bins_24h",
    "dev_users_24h",
    "secs_since_prev_dev",
)
ORDER_FEATURES: tuple[str, ...] = (
    "total_z",
    "total_vs_user",
    "items_count",
    "lines",
    "account_age_h",
    "user_orders_24h",
    "user_orders_30d",
    "user_refunds_30d",
    "user_refunds_7d",
    "refund_ratio_30d",
    "user_declines_24h",
)
LOGIN_FEATURES: tuple[str, ...] = (
    "failed",
    "ip_failures_10m",
    "dev_failures_10m",
    "user_failures_10m",
    "dev_accounts_24h",
    "ip_accounts_24h",
    "dev_logins_1h",
    "new_device_for_user",
    "hour_rarity",
    "account_age_h",
)
FEATURES: dict[str, tuple[str, ...]] = {"order": ORDER_FEATURES, "payment": PAYMENT_FEATURES, "login": LOGIN_FEATURES}
EVENT_KIND: dict[str, str] = {
    "order_placed": "order",
    "refund_requested": "order",
    "payment_attempt": "payment",
    "login": "login",
}
MAX_AGE_H = 30 * 24.0  # account age saturates: "new" matters, "old" vs "older" only drifts with time
_CAP_PER_KEY = 400  # most events remembered per device / IP / user list; bounds memory under a flood
_SECS_CAP = DAY


@dataclass
class FeatureRow:
    """Features of one event plus what the ml_anomalies row needs to name its subject."""

    kind: str  # order | payment | login
    features: dict[str, float]
    event_id: str
    subject_type: str  # order | user | device | ip
    subject_id: str
    user_id: int | None
    at: float  # epoch seconds
    extra: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------- tolerant field access
def _s(value: Any) -> str | None:
    """A key as a non-empty string (any Unicode kept verbatim, length-capped), or None."""
    if value is None or isinstance(value, (dict, list, tuple, set)):
        return None
    text = str(value).strip()
    return text[:128] if text else None


def _f(value: Any, default: float = 0.0) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return default
    return out if math.isfinite(out) else default


def _user(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _ts(value: Any) -> float | None:
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value) if math.isfinite(value) else None
    elif isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        try:  # pandas.Timestamp and friends
            dt = value.to_pydatetime()
        except AttributeError:
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def _count(items: list, since: float, pred=None) -> int:
    """Entries of a time-sorted list ``[(ts, ...), ...]`` with ts > since (optionally matching pred)."""
    start = _first_after(items, since)
    if pred is None:
        return len(items) - start
    return sum(1 for e in items[start:] if pred(e))


def _first_after(items: list, since: float) -> int:
    lo, hi = 0, len(items)
    while lo < hi:
        mid = (lo + hi) // 2
        if items[mid][0] > since:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _distinct(items: list, since: float, idx: int) -> int:
    return len({e[idx] for e in items[_first_after(items, since) :] if e[idx] is not None})


def _insert(table: dict[str, list], key: str | None, entry: tuple, horizon: float, now: float) -> None:
    if key is None:
        return
    items = table.setdefault(key, [])
    if not items or items[-1][0] <= entry[0]:
        items.append(entry)
    else:  # late (out-of-order) delivery: keep the list time-sorted
        pos = _first_after(items, entry[0])
        items.insert(pos, entry)
    cut = _first_after(items, now - horizon)
    if cut or len(items) > _CAP_PER_KEY:
        del items[: max(cut, len(items) - _CAP_PER_KEY)]


def _log_ratio(value: float, reference: float) -> float:
    return math.log((value + 1.0) / (reference + 1.0))


class _Running:
    """Welford mean/variance of log1p(amount): a tenant's typical amount without keeping every amount."""

    def __init__(self, n: float = 0.0, mean: float = 0.0, m2: float = 0.0) -> None:
        self.n, self.mean, self.m2 = n, mean, m2

    def z(self, value: float) -> float:
        x = math.log1p(max(value, 0.0))
        if self.n < 5:
            return 0.0
        std = math.sqrt(self.m2 / (self.n - 1)) if self.n > 1 else 0.0
        return (x - self.mean) / max(std, 0.25)

    def add(self, value: float) -> None:
        x = math.log1p(max(value, 0.0))
        self.n += 1
        delta = x - self.mean
        self.mean += delta / self.n
        self.m2 += delta * (x - self.mean)


class FeatureWindow:
    """A tenant's rolling event history; ``add(event)`` returns the event's :class:`FeatureRow` (or None).

    Events of other types (product_view, search, ...) return None but still count as "seen" for account age.
    """

    def __init__(self) -> None:
        self.now = 0.0  # latest event time seen (a missing ``at`` falls back to it; deterministic)
        self.pay_dev: dict[str, list] = {}  # (ts, declined, bin, user)
        self.pay_ip: dict[str, list] = {}
        self.pay_user: dict[str, list] = {}
        self.login_dev: dict[str, list] = {}  # (ts, failed, user)
        self.login_ip: dict[str, list] = {}
        self.login_user: dict[str, list] = {}
        self.orders_user: dict[str, list] = {}  # (ts, total, order_id, quantity, lines)
        self.refunds_user: dict[str, list] = {}  # (ts, amount)
        self.first_seen: dict[str, float] = {}
        self.devices: dict[str, list[str]] = {}  # user -> known devices (most recent last)
        self.hours: dict[str, list[int]] = {}  # user -> 24-bin histogram of successful login hours
        self.tenant_hours = [0] * 24
        self.pay_amounts = _Running()
        self.order_totals = _Running()

    # -------------------------------------------------------------- public
    def note_user(self, user_id: Any, first_seen: Any) -> None:
        """Seed a user's first-seen time (e.g. the account's created_at) so account age is right after a restart."""
        uid, ts = _s(user_id), _ts(first_seen)
        if uid is not None and ts is not None:
            self.first_seen[uid] = min(self.first_seen.get(uid, ts), ts)

    def add(self, event: dict) -> FeatureRow | None:
        if not isinstance(event, dict):
            return None
        payload = event.get("payload") if isinstance(event.get("payload"), dict) else {}
        at = _ts(event.get("at"))
        at = self.now if at is None else at
        self.now = max(self.now, at)
        etype = _s(event.get("type")) or ""
        user_id = _user(event.get("user_id"))
        if user_id is None:
            user_id = _user(payload.get("user_id"))
        uid = None if user_id is None else str(user_id)
        device = _s(event.get("device_id")) or _s(payload.get("device_id"))
        ip = _s(payload.get("ip")) or _s(event.get("ip"))
        event_id = _s(event.get("id")) or f"{etype}:{at}"
        age_h = self._age_h(uid, at)
        if uid is not None:
            self.first_seen.setdefault(uid, at)
            self.first_seen[uid] = min(self.first_seen[uid], at)
        if etype == "payment_attempt":
            feats = self._payment(at, payload, uid, device, ip)
            subject = ("device", device) if device else ("ip", ip) if ip else ("user", uid)
            kind = "payment"
        elif etype == "login":
            feats = self._login(at, payload, uid, device, ip, age_h)
            subject = ("device", device) if device else ("ip", ip) if ip else ("user", uid)
            kind = "login"
        elif etype in ("order_placed", "refund_requested"):
            feats = self._order(at, payload, uid, etype == "refund_requested", age_h)
            order_id = _s(payload.get("order_id"))
            subject = ("order", order_id) if order_id else ("user", uid)
            kind = "order"
        else:
            return None
        stype, sid = subject
        return FeatureRow(
            kind=kind,
            features=feats,
            event_id=event_id,
            subject_type=stype if sid else "user",
            subject_id=sid or "unknown",
            user_id=user_id,
            at=at,
            extra={"device_id": device, "ip": ip, "type": etype},
        )

    def to_dict(self) -> dict:
        """JSON-serialisable state (tuples become lists) for keeping the window in Redis."""
        out: dict[str, Any] = {k: v for k, v in vars(self).items() if not isinstance(v, _Running)}
        out["pay_amounts"] = vars(self.pay_amounts)
        out["order_totals"] = vars(self.order_totals)
        return out

    @classmethod
    def from_dict(cls, state: dict) -> FeatureWindow:
        window = cls()
        for key, value in state.items():
            if key in ("pay_amounts", "order_totals"):
                setattr(window, key, _Running(**value))
            elif isinstance(value, dict) and key not in ("first_seen", "devices", "hours"):
                setattr(window, key, {k: [tuple(e) for e in v] for k, v in value.items()})
            else:
                setattr(window, key, value)
        return window

    # -------------------------------------------------------------- per kind
    def _age_h(self, uid: str | None, at: float) -> float:
        if uid is None or uid not in self.first_seen:
            return 0.0  # never seen: as new as an account gets
        return min(max(at - self.first_seen[uid], 0.0) / HOUR, MAX_AGE_H)

    def _payment(self, at: float, p: dict, uid: str | None, device: str | None, ip: str | None) -> dict[str, float]:
        outcome = (_s(p.get("outcome")) or "").lower()
        declined = outcome != "succeeded"
        amount = _f(p.get("amount"))
        bin_ = _s(p.get("card_bin"))
        entry = (at, declined, bin_, uid)
        prev_dev = self.pay_dev.get(device or "", [])
        secs = min(at - prev_dev[-1][0], _SECS_CAP) if prev_dev else _SECS_CAP
        for table, key in ((self.pay_dev, device), (self.pay_ip, ip), (self.pay_user, uid)):
            _insert(table, key, entry, DAY, self.now)
        dev, ipl, usr = (
            self.pay_dev.get(device or "", []),
            self.pay_ip.get(ip or "", []),
            self.pay_user.get(uid or "", []),
        )
        is_declined = lambda e: e[1]  # noqa: E731
        feats = {
            "declined": float(declined),
            "amount_z": self.pay_amounts.z(amount),
            "dev_declines_5m": _count(dev, at - 5 * MIN, is_declined),
            "dev_declines_1h": _count(dev, at - HOUR, is_declined),
            "ip_declines_5m": _count(ipl, at - 5 * MIN, is_declined),
            "ip_declines_1h": _count(ipl, at - HOUR, is_declined),
            "user_declines_1h": _count(usr, at - HOUR, is_declined),
            "dev_attempts_5m": _count(dev, at - 5 * MIN),
            "dev_attempts_1h": _count(dev, at - HOUR),
            "ip_attempts_1h": _count(ipl, at - HOUR),
            "dev_bins_1h": _distinct(dev, at - HOUR, 2),
            "ip_bins_1h": _distinct(ipl, at - HOUR, 2),
            "user_bins_24h": _distinct(usr, at - DAY, 2),
            "dev_users_24h": _distinct(dev, at - DAY, 3),
            "secs_since_prev_dev": max(secs, 0.0),
        }
        if amount > 0:
            self.pay_amounts.add(amount)
        return {k: float(v) for k, v in feats.items()}

    def _order(self, at: float, p: dict, uid: str | None, is_refund: bool, age_h: float) -> dict[str, float]:
        """Orders and refund requests share one feature space: a refund row describes the refunded order (looked
        up by order_id) in the light of the customer's refund history, so that refunds as such are not outliers
        but a customer refunding most orders is."""
        items = p.get("items") if isinstance(p.get("items"), list) else []
        qty = sum(max(_f(i.get("quantity")), 0.0) for i in items if isinstance(i, dict))
        lines = len({_s(i.get("product_id")) for i in items if isinstance(i, dict)})
        total = _f(p.get("amount") if is_refund else p.get("total"))
        if total <= 0 and not is_refund:
            total = sum(_f(i.get("unit_price")) * _f(i.get("quantity")) for i in items if isinstance(i, dict))
        key = uid or ""
        order_id = _s(p.get("order_id"))
        if is_refund:
            for entry in self.orders_user.get(key, []) if order_id else []:
                if len(entry) > 4 and entry[2] == order_id:
                    qty, lines, total = entry[3], entry[4], total if total > 0 else entry[1]
            _insert(self.refunds_user, uid, (at, total), 30 * DAY, self.now)
        else:
            _insert(self.orders_user, uid, (at, total, order_id, qty, lines), 30 * DAY, self.now)
        orders, refunds = self.orders_user.get(key, []), self.refunds_user.get(key, [])
        past = [e[1] for e in orders if e[0] < at] if uid else []
        typical = sorted(past)[len(past) // 2] if past else total
        n_orders_30, n_refunds_30 = _count(orders, at - 30 * DAY), _count(refunds, at - 30 * DAY)
        feats = {
            "total_z": self.order_totals.z(total),
            "total_vs_user": _log_ratio(total, typical),
            "items_count": qty,
            "lines": float(lines),
            "account_age_h": age_h,
            "user_orders_24h": _count(orders, at - DAY) if uid else 0,
            "user_orders_30d": n_orders_30 if uid else 0,
            "user_refunds_30d": n_refunds_30 if uid else 0,
            "user_refunds_7d": _count(refunds, at - 7 * DAY) if uid else 0,
            # smoothed (+2 orders): one refund of a single order is not "100 % refunded"
            "refund_ratio_30d": n_refunds_30 / (n_orders_30 + 2) if uid else 0.0,
            "user_declines_24h": _count(self.pay_user.get(key, []), at - DAY, lambda e: e[1]) if uid else 0,
        }
        if not is_refund and total > 0:
            self.order_totals.add(total)
        return {k: float(v) for k, v in feats.items()}

    def _login(
        self, at: float, p: dict, uid: str | None, device: str | None, ip: str | None, age_h: float
    ) -> dict[str, float]:
        failed = (_s(p.get("outcome")) or "").lower() != "success"
        hour = int((at % DAY) // HOUR)
        known = self.devices.get(uid or "", [])
        new_device = float(uid is not None and device is not None and device not in known)
        hist = self.hours.get(uid or "") if uid else None
        ref = hist if hist and sum(hist) >= 5 else self.tenant_hours
        total = sum(ref)
        near = sum(ref[(hour + d) % 24] for d in (-2, -1, 0, 1, 2))
        hour_rarity = 1.0 - near / total if total >= 5 else 0.0
        entry = (at, failed, uid)
        for table, key in ((self.login_dev, device), (self.login_ip, ip), (self.login_user, uid)):
            _insert(table, key, entry, DAY, self.now)
        dev, ipl, usr = (
            self.login_dev.get(device or "", []),
            self.login_ip.get(ip or "", []),
            self.login_user.get(uid or "", []),
        )
        is_failed = lambda e: e[1]  # noqa: E731
        feats = {
            "failed": float(failed),
            "ip_failures_10m": _count(ipl, at - 10 * MIN, is_failed),
            "dev_failures_10m": _count(dev, at - 10 * MIN, is_failed),
            "user_failures_10m": _count(usr, at - 10 * MIN, is_failed),
            "dev_accounts_24h": _distinct(dev, at - DAY, 2),
            "ip_accounts_24h": _distinct(ipl, at - DAY, 2),
            "dev_logins_1h": _count(dev, at - HOUR),
            "new_device_for_user": new_device,
            "hour_rarity": hour_rarity,
            "account_age_h": age_h,
        }
        if not failed and uid is not None:
            if device is not None and device not in known:
                self.devices[uid] = (known + [device])[-20:]
            self.hours.setdefault(uid, [0] * 24)[hour] += 1
            self.tenant_hours[hour] += 1
        return {k: float(v) for k, v in feats.items()}


def _features_for(kind: str, event: dict, history: Iterable[dict] | None) -> dict[str, float]:
    window = FeatureWindow()
    for past in history or ():
        window.add(past)
    row = window.add(event)
    if row is None or row.kind != kind:
        return {name: 0.0 for name in FEATURES[kind]}
    return row.features


def order_features(event: dict, history: Iterable[dict] | None = None) -> dict[str, float]:
    """Features of one order_placed / refund_requested event given the tenant's prior events (oldest first)."""
    return _features_for("order", event, history)


def payment_features(event: dict, history: Iterable[dict] | None = None) -> dict[str, float]:
    """Features of one payment_attempt event given the tenant's prior events (oldest first)."""
    return _features_for("payment", event, history)


def login_features(event: dict, history: Iterable[dict] | None = None) -> dict[str, float]:
    """Features of one login event given the tenant's prior events (oldest first)."""
    return _features_for("login", event, history)
