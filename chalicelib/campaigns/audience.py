"""Customer segments and audiences: who a segment-only promotion, an offer or a send reaches.

**Which segment.** A shop the ML service has segmented (user_data.segment, read through
chalicelib/ml/api.py) uses the service's segments; a shop it has not (no segment written yet) gets
RFM segments computed here from its paid orders.  The switch is per shop, not per customer, so one
shop never mixes two definitions: while the ML service has segmented a shop, a customer it has not
seen yet (first order after the last training) has no segment until the next training.

**RFM (the fallback).** Per customer, from paid orders (paid_at set; cancelled, refunded and failed
orders left out):
    recency   days since the last paid order        ≤ 30 → 5, ≤ 60 → 4, ≤ 120 → 3, ≤ 240 → 2, else 1
    frequency paid orders in the last 365 days       ≥ 10 → 5, ≥ 6 → 4, ≥ 3 → 3, 2 → 2, else 1
    monetary  Σ grand_total of those orders (TRY)    ≥ 20,000 → 5, ≥ 7,500 → 4, ≥ 2,500 → 3, ≥ 750 → 2, else 1
The thresholds are fixed and the same for every shop (a shop's ranking would move every customer
whenever others buy).  Scores 1-5 map to 0, .25, .5, .75, 1 and the customer takes the name of the
nearest prototype (Euclidean) of the ML service's own table (ml_container/huglu_ml/segments.py
PROTOTYPES: champions, loyal, potential_loyalists, new, at_risk, cant_lose, hibernating, lost), the
rule the service uses to name its clusters, so a segment condition means the same before and after
a shop's first training.  A customer without a paid order has no segment.

**Cost.** `segment_for` is on the cart view of a promotion with a segment condition: one indexed
query (user_data.ux_user, or orders.ix_user for RFM), cached per customer in Redis for 10 minutes;
whether the shop has ML segments is cached per shop as long.

**Audiences.** `members` walks customers by user id (keyset: pass the last id returned): in any of
`segments`, at any of `levels` (loyalty levels, chalicelib/loyalty/api.py), both when both are given.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from decimal import Decimal

from chalicelib.platform import cache
from chalicelib.platform.db import Session

from . import audience_repository as repo

# ml_container/huglu_ml/segments.py PROTOTYPES: (recency, frequency, monetary) scores in [0, 1].
PROTOTYPES: dict[str, tuple[float, float, float]] = {
    "champions": (0.85, 0.85, 0.85),
    "loyal": (0.50, 0.75, 0.75),
    "potential_loyalists": (0.75, 0.55, 0.50),
    "new": (0.70, 0.17, 0.20),
    "at_risk": (0.25, 0.50, 0.55),
    "cant_lose": (0.15, 0.85, 0.85),
    "hibernating": (0.30, 0.20, 0.45),
    "lost": (0.10, 0.15, 0.15),
}
SEGMENTS = tuple(PROTOTYPES)
RECENCY_DAYS = (30, 60, 120, 240)  # at most this many days → score 5, 4, 3, 2; older → 1
FREQUENCY = (10, 6, 3, 2)  # at least this many paid orders in WINDOW_DAYS → 5, 4, 3, 2; fewer → 1
MONETARY = (Decimal(20000), Decimal(7500), Decimal(2500), Decimal(750))  # at least → 5, 4, 3, 2
WINDOW_DAYS = 365
CACHE_SECONDS = 600
SCAN_BATCH = 500  # customers scored per query while walking an RFM segment


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# -- RFM scoring (pure) ------------------------------------------------------------------------------
def scores(recency_days: float, frequency: int, monetary: Decimal) -> tuple[int, int, int]:
    r = 5 - next((i for i, days in enumerate(RECENCY_DAYS) if recency_days <= days), 4)
    f = 5 - next((i for i, n in enumerate(FREQUENCY) if frequency >= n), 4)
    m = 5 - next((i for i, amount in enumerate(MONETARY) if monetary >= amount), 4)
    return r, f, m


def name_of(r: int, f: int, m: int) -> str:
    """The nearest prototype's name for scores 1-5 (ties: the first in PROTOTYPES)."""
    point = ((r - 1) / 4, (f - 1) / 4, (m - 1) / 4)
    return min(PROTOTYPES, key=lambda name: math.dist(point, PROTOTYPES[name]))


def _rfm_segment(row: dict[str, object], now: dt.datetime) -> str:
    last = row["last_paid_at"]
    assert isinstance(last, dt.datetime)
    days = max((now - last).total_seconds(), 0.0) / 86400
    return name_of(*scores(days, int(row["frequency"] or 0), Decimal(str(row["monetary"] or 0))))  # type: ignore[call-overload]


# -- one customer --------------------------------------------------------------------------------------
def uses_ml(session: Session, tenant_id: int) -> bool:
    """Whether the ML service has segmented this shop (cached 10 minutes)."""
    from chalicelib.ml import api as ml

    found = cache.get_or_load(cache.tenant_key(tenant_id, "campaigns", "ml-segments"), CACHE_SECONDS,
                              lambda: {"ml": ml.has_segments(session, tenant_id)})
    return bool(found and found["ml"])


def segment_for(session: Session, tenant_id: int, user_id: int) -> str | None:
    """The customer's segment (ML when the shop has ML segments, else RFM), cached 10 minutes."""
    def load() -> dict[str, str | None]:
        return {"segment": compute_segment(session, tenant_id, user_id)}

    found = cache.get_or_load(cache.tenant_key(tenant_id, "campaigns", "segment", user_id), CACHE_SECONDS, load)
    return None if not found else found.get("segment")


def compute_segment(session: Session, tenant_id: int, user_id: int) -> str | None:
    """segment_for without the customer's cache."""
    if uses_ml(session, tenant_id):
        from chalicelib.ml import api as ml

        return ml.segment_of(session, tenant_id, user_id)
    now = _now()
    row = repo.rfm_of(session, tenant_id, user_id, now - dt.timedelta(days=WINDOW_DAYS))
    return None if row is None else _rfm_segment(row, now)


# -- audiences -------------------------------------------------------------------------------------------
def members(session: Session, tenant_id: int, segments: Sequence[str], levels: Sequence[str],
            after_user_id: int, limit: int) -> list[int]:
    """Up to `limit` customers after `after_user_id`, by user id: in any of `segments` and at any
    of `levels` (either list empty: that filter is off; both empty: nobody)."""
    if segments:
        found = _segment_members(session, tenant_id, list(segments), after_user_id, limit, list(levels))
        return found
    if levels:
        from chalicelib.loyalty import api as loyalty

        return list(loyalty.members_at_levels(session, tenant_id, list(levels), after_user_id, limit))
    return []


def everyone(session: Session, tenant_id: int, after_user_id: int, limit: int) -> list[int]:
    """Every active customer (staff left out), by user id."""
    return repo.customers_after(session, tenant_id, after_user_id, limit)


def _segment_members(session: Session, tenant_id: int, segments: list[str], after: int, limit: int,
                     levels: list[str]) -> list[int]:
    picked: list[int] = []
    ml_shop = uses_ml(session, tenant_id)
    while len(picked) < limit:
        if ml_shop:
            from chalicelib.ml import api as ml

            batch = ml.segment_members(session, tenant_id, segments, after, limit)
            scanned = batch
        else:
            scanned, batch = _rfm_batch(session, tenant_id, set(segments), after)
        if not scanned:
            break
        after = scanned[-1]
        picked.extend(_at_levels(session, tenant_id, batch, levels))
    return picked[:limit]


def _rfm_batch(session: Session, tenant_id: int, segments: set[str], after: int) -> tuple[list[int], list[int]]:
    """(every customer scanned, those in `segments`) of the next SCAN_BATCH customers with orders."""
    now = _now()
    rows = repo.rfm_after(session, tenant_id, now - dt.timedelta(days=WINDOW_DAYS), after, SCAN_BATCH)
    scanned = [int(r["user_id"]) for r in rows]
    return scanned, [int(r["user_id"]) for r in rows if _rfm_segment(r, now) in segments]


def _at_levels(session: Session, tenant_id: int, user_ids: list[int], levels: list[str]) -> list[int]:
    if not levels or not user_ids:
        return user_ids
    from chalicelib.loyalty import api as loyalty

    wanted = set(levels)
    return [u for u in user_ids if loyalty.level_code(session, tenant_id, u) in wanted]
