"""The fixed evaluation protocol on UCI Online Retail (issue 14 item 3), one function per step.

1. Clean lines: a known customer, not a cancellation (InvoiceNo starting with "C"), positive
   quantity and price.
2. Train on the lines before the split (default 2011-11-09); test on each customer's items in
   [split, end) (default: to the end of the data).
3. Test customers are those present in both; test items are those seen in training.
4. Full ranking over every training item; HR@10 (any hit in the top 10) and NDCG@10 with binary
   relevance (DCG over the top 10 divided by the ideal DCG of min(10, |test items|) hits),
   averaged over the test customers.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_SPLIT = pd.Timestamp("2011-11-09")
K = 10


def load_online_retail(path: Path) -> pd.DataFrame:
    """Clean purchase lines as the recommender's frame: customer, item, order, quantity, price, at."""
    raw = pd.read_parquet(path, columns=["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"])
    keep = (raw["CustomerID"].notna() & ~raw["InvoiceNo"].astype(str).str.startswith("C")
            & (raw["Quantity"] > 0) & (raw["UnitPrice"] > 0))
    raw = raw[keep]
    return pd.DataFrame({
        "customer": raw["CustomerID"].astype("int64").astype(str),
        "item": raw["StockCode"].astype(str),
        "order": raw["InvoiceNo"].astype(str),
        "quantity": raw["Quantity"].astype(float),
        "price": raw["UnitPrice"].astype(float),
        "at": pd.to_datetime(raw["InvoiceDate"]),
    }).reset_index(drop=True)


@dataclass(frozen=True)
class Split:
    train: pd.DataFrame
    truth: dict[str, set[str]]  # test customer → the training items they bought in the test period
    split: pd.Timestamp
    end: pd.Timestamp | None

    @property
    def customers(self) -> list[str]:
        return sorted(self.truth)


def make_split(lines: pd.DataFrame, split: pd.Timestamp = DEFAULT_SPLIT, end: pd.Timestamp | None = None) -> Split:
    train = lines[lines["at"] < split]
    test = lines[(lines["at"] >= split) & ((lines["at"] < end) if end is not None else True)]
    test = test[test["customer"].isin(set(train["customer"])) & test["item"].isin(set(train["item"]))]
    truth = {c: set(g["item"]) for c, g in test.groupby("customer")}
    return Split(train=train, truth=truth, split=split, end=end)


def hr_ndcg(ranked: list[str], relevant: set[str], k: int = K) -> tuple[float, float]:
    hits = [item in relevant for item in ranked[:k]]
    dcg = sum(1.0 / np.log2(pos + 2) for pos, hit in enumerate(hits) if hit)
    ideal = sum(1.0 / np.log2(pos + 2) for pos in range(min(k, len(relevant))))
    return float(any(hits)), float(dcg / ideal)


def evaluate(split: Split, top_k: Callable[[str], list[str]]) -> dict[str, float]:
    """Mean HR@10 and NDCG@10 of `top_k(customer)` (the customer's ten best items) over the test customers."""
    results = [hr_ndcg(top_k(c), split.truth[c]) for c in split.customers]
    hr, ndcg = np.mean(results, axis=0) if results else (0.0, 0.0)
    return {"hr@10": round(float(hr), 4), "ndcg@10": round(float(ndcg), 4), "customers": float(len(results))}
