"""The baselines the recommender must beat (issue 14 item 3), each a full ranking over every item.

- popularity: items by distinct buyers;
- own items: the customer's past items by how many lines they bought of each, then popularity;
- EASE (λ = 200) on who-bought-what;
- recency-weighted repeat purchases: Σ exp(−age/120 days) over the customer's lines of the item,
  then popularity.
Ties are broken by popularity (distinct buyers), so every ranking is total.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .features import _dense
from .history import History, build_history

TopK = Callable[[str], list[str]]


def _ranker(history: History, row_scores: Callable[[int], np.ndarray], k: int) -> TopK:
    def top(customer: str) -> list[str]:
        row = int(history.rows([customer])[0])
        scores = row_scores(row) if row >= 0 else np.zeros(history.n_items, np.float32)
        # exact ties are common (the lines of one invoice share their age): popularity decides,
        # then the item id, so the ranking is total and the same on every run
        best = np.lexsort((np.arange(history.n_items), -history.pop, -scores.astype(np.float64)))[:k]
        return [str(history.items[i]) for i in best]

    return top


def baselines(train: pd.DataFrame, as_of: pd.Timestamp, k: int = 10) -> dict[str, TopK]:
    """name → top-k function, all from one history of `train` before `as_of`."""
    history = build_history(train, as_of)

    def popularity(_row: int) -> np.ndarray:
        return np.zeros(history.n_items, np.float32)

    def own_items(row: int) -> np.ndarray:
        return _dense(history.lines, np.array([row]))[0]

    def ease(row: int) -> np.ndarray:
        bought = (_dense(history.orders, np.array([row])) > 0).astype(np.float32)
        return history.ease_scores(bought)[0]

    def recency(row: int) -> np.ndarray:
        return _dense(history.rw[120.0], np.array([row]))[0]

    return {name: _ranker(history, fn, k) for name, fn in (
        ("popularity", popularity), ("own items by count", own_items), ("EASE (λ=200)", ease),
        ("recency-weighted repeats (τ=120 d)", recency))}
