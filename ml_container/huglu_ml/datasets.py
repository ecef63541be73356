"""Per-tenant training frames, read from MySQL (tenant-scoped), in the shapes the model modules take.

- recommender: ``lines`` (customer, item, order, quantity, price, at) from purchased order lines;
- segments: ``orders`` (customer, order_id, amount, at);
- anomaly: raw server events (order_placed, payment_attempt, login) that the realtime processor stored;
- purchase: the public UCI Online Shoppers sessions (app sessions carry no purchase label of their own).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd

from huglu_ml import db
from huglu_ml.config import get_settings

# Replayed together: order features look at the user's declined payments, and so on.
ANOMALY_EVENT_TYPES = ("order_placed", "refund_requested", "payment_attempt", "login")
ANOMALY_WINDOW_DAYS = 90


@dataclass(frozen=True)
class Sufficiency:
    rows: int
    customers: int
    enough: bool


def _naive_utc(values: pd.Series) -> pd.Series:
    at = pd.to_datetime(values, utc=True)
    return at.dt.tz_convert(None).astype("datetime64[ns]")


def recommender_lines(tenant_id: int) -> pd.DataFrame:
    rows = db.order_lines(tenant_id)
    frame = pd.DataFrame(rows, columns=["order_id", "user_id", "product_id", "quantity", "unit_price", "placed_at"])
    frame = frame[frame["quantity"].astype(float) > 0] if len(frame) else frame
    return pd.DataFrame(
        {
            "customer": frame["user_id"].astype("int64").astype(str) if len(frame) else pd.Series(dtype=str),
            "item": frame["product_id"].astype("int64").astype(str) if len(frame) else pd.Series(dtype=str),
            "order": frame["order_id"].astype("int64").astype(str) if len(frame) else pd.Series(dtype=str),
            "quantity": frame["quantity"].astype(float),
            "price": frame["unit_price"].astype(float),
            "at": _naive_utc(frame["placed_at"]) if len(frame) else pd.Series(dtype="datetime64[ns]"),
        }
    ).reset_index(drop=True)


def segment_orders(tenant_id: int) -> pd.DataFrame:
    rows = db.orders(tenant_id)
    frame = pd.DataFrame(rows, columns=["id", "user_id", "amount", "placed_at"])
    return pd.DataFrame(
        {
            "customer": frame["user_id"].astype("int64").astype(str) if len(frame) else pd.Series(dtype=str),
            "order_id": frame["id"].astype("int64").astype(str) if len(frame) else pd.Series(dtype=str),
            "amount": frame["amount"].astype(float),
            "at": _naive_utc(frame["placed_at"]) if len(frame) else pd.Series(dtype="datetime64[ns]"),
        }
    ).reset_index(drop=True)


def anomaly_events(tenant_id: int, days: int = ANOMALY_WINDOW_DAYS) -> list[dict]:
    """The tenant's server events of the last ``days`` days, oldest first, in the queue message shape."""
    since = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=days)
    return db.events(tenant_id, ANOMALY_EVENT_TYPES, since=since)


def purchase_sessions() -> pd.DataFrame:
    from huglu_ml.purchase import load_shoppers

    return load_shoppers(get_settings().data_dir / "online_shoppers_intention.csv")


def sufficiency(frame: pd.DataFrame) -> Sufficiency:
    """The rule that decides whether a tenant gets a learned recommender or the popularity fallback."""
    s = get_settings()
    rows = len(frame)
    customers = int(frame["customer"].nunique()) if rows else 0
    return Sufficiency(rows, customers, rows >= s.min_lines and customers >= s.min_customers)
