"""Candidates and the features of each (customer, candidate item) pair the ranking network scores.

Two stages, as in every production recommender: cheap candidate generation, then a learnt
ranker.  The candidates of a customer are the `CANDIDATES` items with the best simple score
(recency-weighted repeat purchases first, EASE co-occurrence second); the rest of the catalogue
still gets a rank (after the candidates, by popularity), so the evaluation ranks every item.
Customers are processed in chunks so memory stays at chunk × items, whatever the shop's size.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .history import NEVER_DAYS, TAUS, History

CANDIDATES = 300
CHUNK = 512
FEATURES = ("rw30", "rw120", "rw365", "lines", "orders", "last", "due", "pop", "trend", "ease",
            "customer_orders", "customer_last")


def _dense(matrix: object, rows: np.ndarray) -> np.ndarray:
    return np.asarray(matrix[rows].toarray(), dtype=np.float32)  # type: ignore[index]


def chunks(rows: np.ndarray, size: int = CHUNK) -> Iterator[np.ndarray]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def candidate_scores(history: History, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(simple score used to pick candidates, EASE scores) for customer rows, both rows × items."""
    bought = (_dense(history.orders, rows) > 0).astype(np.float32)
    ease = history.ease_scores(bought)
    simple = _dense(history.rw[120.0], rows) * 10.0 + ease + 1e-6 * np.log1p(history.pop)
    return simple, ease


def candidates(history: History, rows: np.ndarray, n: int = CANDIDATES) -> tuple[np.ndarray, np.ndarray]:
    """Candidate item indexes (rows × n) and the pair features of each (rows·n × len(FEATURES))."""
    simple, ease = candidate_scores(history, rows)
    n = min(n, history.n_items)
    if n < history.n_items:
        cand = np.argpartition(-simple, n - 1, axis=1)[:, :n]
    else:
        cand = np.tile(np.arange(history.n_items), (len(rows), 1))
    return cand, pair_features(history, rows, cand, ease)


def pair_features(history: History, rows: np.ndarray, cand: np.ndarray, ease: np.ndarray) -> np.ndarray:
    """Features of each (customer row, candidate) pair, log-scaled where counts are heavy-tailed."""
    local = np.repeat(np.arange(len(rows)), cand.shape[1])
    cols = cand.ravel()

    def take(matrix: object) -> np.ndarray:
        return _dense(matrix, rows)[local, cols]

    last = take(history.last)
    last = np.where(last > 0, last - 1.0, NEVER_DAYS)
    columns = [take(history.rw[tau]) for tau in TAUS]
    columns += [
        np.log1p(take(history.lines)),
        np.log1p(take(history.orders)),
        np.log1p(last),
        np.log1p(take(history.due)),
        np.log1p(history.pop[cols]),
        np.log1p(history.trend[cols]),
        ease[local, cols],
        np.log1p(history.customer_orders[rows][local]),
        np.log1p(history.customer_last[rows][local]),
    ]
    return np.stack(columns, axis=1).astype(np.float32)
