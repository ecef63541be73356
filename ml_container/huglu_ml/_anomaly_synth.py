"""A seeded synthetic shop (normal weeks) and injectors of anomalous behaviour, for evaluating anomaly detection.

Private helper of :mod:`huglu_ml.anomaly`. No public data set has labelled order / payment / login fraud for a
small shop, so the evaluation builds one: customers with their own devices, home IPs, active hours, basket sizes
and cards log in, browse, order and pay (with occasional declines and retries, password typos, new phones, a few
refunds, some brand-new accounts). Injectors add the patterns staff care about and return the ids of the events
they added, which are the positives. Events have exactly the queue's message shape (see common docs).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

START = datetime(2024, 3, 4, tzinfo=UTC)  # a Monday


@dataclass
class _Customer:
    user_id: int
    devices: list[str]
    ips: list[str]
    bins: list[str]
    peak_hour: float
    sessions_per_week: float
    basket_mu: float
    first_day: float  # day of the period the account appears


class _Emitter:
    def __init__(self, tenant_id: int, prefix: str) -> None:
        self.tenant_id, self.prefix, self.n, self.events = tenant_id, prefix, 0, []

    def emit(
        self,
        etype: str,
        at: datetime,
        user_id: int | None,
        device: str | None,
        payload: dict,
        session: str | None = None,
    ) -> str:
        self.n += 1
        event_id = f"{self.prefix}-{self.n}"
        self.events.append(
            {
                "id": event_id,
                "type": etype,
                "tenant_id": self.tenant_id,
                "at": at.isoformat().replace("+00:00", "Z"),
                "user_id": user_id,
                "device_id": device,
                "session_id": session,
                "payload": payload,
            }
        )
        return event_id


def _bin(rng: np.random.Generator) -> str:
    return str(int(rng.choice([4, 5, 9])) * 100000 + int(rng.integers(0, 100000)))


def _ip(rng: np.random.Generator) -> str:
    a, b, c = int(rng.integers(31, 223)), int(rng.integers(0, 256)), int(rng.integers(0, 256))
    return f"{a}.{b}.{c}.{int(rng.integers(1, 255))}"


def generate_events(
    *, seed: int = 0, days: int = 28, customers: int = 500, tenant_id: int = 1, start: datetime = START
) -> list[dict]:
    """A shop's normal history: ``days`` days of ``customers`` customers, sorted by time."""
    rng = np.random.default_rng(seed)
    out = _Emitter(tenant_id, f"n{seed}")
    products = [str(100 + i) for i in range(200)]
    prices = rng.lognormal(4.5, 0.8, size=len(products)).round(2)
    people = []
    for uid in range(1, customers + 1):
        n_dev = 1 + int(rng.random() < 0.3)
        people.append(
            _Customer(
                user_id=uid,
                devices=[f"dev-{uid}-{j}" for j in range(n_dev)],
                ips=[_ip(rng) for _ in range(1 + int(rng.random() < 0.4))],
                bins=[_bin(rng) for _ in range(1 + int(rng.random() < 0.25))],
                peak_hour=float(np.clip(rng.normal(19, 3.5), 7, 23.5)),
                sessions_per_week=float(rng.gamma(2.0, 1.5)),
                basket_mu=float(rng.normal(0.0, 0.4)),
                first_day=0.0 if rng.random() > 0.12 else float(rng.uniform(0, days)),
            )
        )
    for c in people:
        n_sessions = int(rng.poisson(c.sessions_per_week * days / 7.0))
        for _ in range(n_sessions):
            day = float(rng.uniform(c.first_day, days))
            hour = float(np.clip(rng.normal(c.peak_hour, 2.0), 0, 23.9))
            at = start + timedelta(days=int(day), hours=hour)
            _session(rng, out, c, at, products, prices)
    end = (start + timedelta(days=days)).isoformat().replace("+00:00", "Z")
    out.events.sort(key=lambda e: (e["at"], e["id"]))
    return [e for e in out.events if e["at"] < end]  # refunds requested after the period are not history yet


def _session(rng, out: _Emitter, c: _Customer, at: datetime, products, prices) -> None:
    device = c.devices[int(rng.integers(len(c.devices)))]
    if rng.random() < 0.02:  # a new phone
        device = f"dev-{c.user_id}-{len(c.devices)}"
        c.devices.append(device)
    ip = c.ips[int(rng.integers(len(c.ips)))] if rng.random() > 0.15 else _ip(rng)
    sess = f"s-{out.n}"
    if rng.random() < 0.05:  # password typo
        out.emit(
            "login",
            at,
            c.user_id,
            device,
            {"outcome": "failure", "ip": ip, "device_id": device, "user_id": c.user_id},
            sess,
        )
        at += timedelta(seconds=float(rng.uniform(5, 60)))
    out.emit(
        "login",
        at,
        c.user_id,
        device,
        {"outcome": "success", "ip": ip, "device_id": device, "user_id": c.user_id},
        sess,
    )
    for _ in range(int(rng.integers(1, 5))):
        at += timedelta(seconds=float(rng.uniform(10, 120)))
        out.emit("product_view", at, c.user_id, device, {"product_id": int(rng.choice(products))}, sess)
    if rng.random() > 0.3:
        return
    at += timedelta(seconds=float(rng.uniform(30, 300)))
    _order(rng, out, c, at, device, ip, sess, products, prices, refund_p=0.03)


def _order(
    rng,
    out: _Emitter,
    c: _Customer,
    at: datetime,
    device,
    ip,
    sess,
    products,
    prices,
    *,
    refund_p: float,
    ids: list[str] | None = None,
) -> None:
    lines = int(rng.integers(1, 4))
    chosen = rng.choice(len(products), size=lines, replace=False)
    items = [
        {
            "product_id": int(products[i]),
            "quantity": int(rng.integers(1, 3)),
            "unit_price": f"{prices[i] * np.exp(c.basket_mu):.2f}",
        }
        for i in chosen
    ]
    total = sum(float(i["unit_price"]) * i["quantity"] for i in items)
    order_id = f"o-{out.prefix}-{out.n}"
    eid = out.emit(
        "order_placed",
        at,
        c.user_id,
        device,
        {"order_id": order_id, "status": "pending", "total": f"{total:.2f}", "items": items, "user_id": c.user_id},
        sess,
    )
    if ids is not None:
        ids.append(eid)
    card = c.bins[int(rng.integers(len(c.bins)))]
    for attempt in range(3):
        at += timedelta(seconds=float(rng.uniform(5, 40) if attempt == 0 else rng.uniform(30, 150)))
        declined = rng.random() < 0.07
        out.emit(
            "payment_attempt",
            at,
            c.user_id,
            device,
            {
                "order_id": order_id,
                "outcome": "declined" if declined else "succeeded",
                "amount": f"{total:.2f}",
                "card_bin": card,
                "ip": ip,
                "device_id": device,
            },
            sess,
        )
        if not declined:
            break
        if rng.random() < 0.4 and len(c.bins) > 1:
            card = c.bins[(c.bins.index(card) + 1) % len(c.bins)]
    if rng.random() < refund_p:
        later = at + timedelta(days=float(rng.uniform(0.5, 5)))
        eid = out.emit(
            "refund_requested",
            later,
            c.user_id,
            device,
            {"order_id": order_id, "amount": f"{total:.2f}", "user_id": c.user_id},
        )
        if ids is not None:
            ids.append(eid)


# ------------------------------------------------------------------------------------------------ injectors
def inject_card_testing(
    *, seed: int, n_bursts: int, start: datetime, days: float, tenant_id: int = 1
) -> tuple[list[dict], list[str]]:
    """Bursts of many small payment attempts, most declined, many card BINs, from one device and IP each."""
    rng = np.random.default_rng(seed)
    out = _Emitter(tenant_id, f"ct{seed}")
    for b in range(n_bursts):
        at = start + timedelta(days=float(rng.uniform(0, days)))
        device, ip = f"bot-{b}-{int(rng.integers(1e6))}", _ip(rng)
        user = int(rng.integers(100000, 200000)) if rng.random() < 0.5 else None
        for _ in range(int(rng.integers(12, 30))):
            at += timedelta(seconds=float(rng.uniform(4, 30)))
            out.emit(
                "payment_attempt",
                at,
                user,
                device,
                {
                    "order_id": None,
                    "outcome": "declined" if rng.random() < 0.85 else "succeeded",
                    "amount": f"{rng.uniform(1, 25):.2f}",
                    "card_bin": _bin(rng),
                    "ip": ip,
                    "device_id": device,
                },
            )
    return out.events, [e["id"] for e in out.events]


def inject_refund_abuse(
    *, seed: int, n_customers: int, start: datetime, days: float, tenant_id: int = 1
) -> tuple[list[dict], list[str]]:
    """Customers who order repeatedly and request refunds on most of their orders within a day or two."""
    rng = np.random.default_rng(seed)
    out = _Emitter(tenant_id, f"ra{seed}")
    products = [str(100 + i) for i in range(200)]
    prices = rng.lognormal(4.5, 0.8, size=len(products)).round(2)
    ids: list[str] = []
    for k in range(n_customers):
        c = _Customer(
            user_id=300000 + k,
            devices=[f"dev-ra-{k}"],
            ips=[_ip(rng)],
            bins=[_bin(rng)],
            peak_hour=19.0,
            sessions_per_week=7.0,
            basket_mu=float(rng.normal(0.2, 0.3)),
            first_day=0.0,
        )
        for _ in range(int(rng.integers(6, 10))):
            at = start + timedelta(days=float(rng.uniform(0, days)))
            _order(rng, out, c, at, c.devices[0], c.ips[0], None, products, prices, refund_p=0.85, ids=ids)
    return out.events, ids


def inject_many_accounts(
    *, seed: int, n_devices: int, start: datetime, days: float, known_users: int, tenant_id: int = 1
) -> tuple[list[dict], list[str]]:
    """Devices that log into many different accounts (credential stuffing / account farms), mixed outcomes."""
    rng = np.random.default_rng(seed)
    out = _Emitter(tenant_id, f"ma{seed}")
    for d in range(n_devices):
        at = start + timedelta(days=float(rng.uniform(0, days)))
        device, ip = f"farm-{d}-{int(rng.integers(1e6))}", _ip(rng)
        for _ in range(int(rng.integers(10, 25))):
            at += timedelta(seconds=float(rng.uniform(20, 900)))
            user = int(rng.integers(1, known_users + 1))
            out.emit(
                "login",
                at,
                user,
                device,
                {
                    "outcome": "failure" if rng.random() < 0.6 else "success",
                    "ip": ip,
                    "device_id": device,
                    "user_id": user,
                },
            )
    return out.events, [e["id"] for e in out.events]
