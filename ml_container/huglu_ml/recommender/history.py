"""What a shop's order history says about each customer and item at one moment (`as_of`).

Everything the recommender and its baselines score with is built here once, from the purchased
lines before `as_of`, as sparse customer × item matrices (a customer buys a few dozen of the
catalogue's thousands of items) and per-item / per-customer vectors:

- recency-weighted repeat counts `rw<τ>` = Σ exp(−age/τ days) over the customer's lines of the item,
  for τ = 30, 120 and 365 (the strongest single signal in retail: people re-buy what they bought,
  the more so the more recently);
- `lines` / `orders`: how many lines of the item the customer bought, in how many distinct orders the customer bought the item; `last`: days since the last
  one; `due`: days since the last one over the customer's mean gap between them (an item bought
  every 20 days and last bought 25 days ago is due);
- item popularity: distinct customers (`pop`) and 30-day recency-weighted lines (`trend`);
- EASE (Steck 2019, λ = 200): an item-item weight matrix learnt in closed form from who bought
  what, giving "customers who bought these also buy" scores for items the customer never bought;
- per customer: distinct orders and days since the last order.

The EASE matrix is items × items, so it is learnt over the `EASE_MAX_ITEMS` most popular items only
(3,624 items here take 52 MB; a catalogue of 50,000 would take 10 GB): rarer items get no
co-occurrence score and are still found by repeat purchase and popularity.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.sparse as sp

TAUS = (30.0, 120.0, 365.0)
EASE_LAMBDA = 200.0
EASE_MAX_ITEMS = 8000
NEVER_DAYS = 400.0  # "last bought" of an item never bought: older than any history we weigh
DAY = 86400.0


@dataclass
class History:
    as_of: pd.Timestamp
    items: pd.Index  # item ids (str), the columns
    customers: pd.Index  # customer ids (str), the rows
    rw: dict[float, sp.csr_matrix]  # τ → recency-weighted line counts
    lines: sp.csr_matrix  # purchased lines per customer × item
    orders: sp.csr_matrix  # distinct orders per customer × item
    last: sp.csr_matrix  # days since the last purchase + 1 (0 = never: sparse)
    due: sp.csr_matrix  # days since last / mean gap, for items bought in ≥ 2 orders
    pop: np.ndarray  # distinct customers per item
    trend: np.ndarray  # 30-day recency-weighted lines per item
    customer_orders: np.ndarray  # distinct orders per customer
    customer_last: np.ndarray  # days since the customer's last order
    ease: np.ndarray | None  # items × items (float32), None when too few items
    ease_items: np.ndarray  # column indexes (into items) the EASE matrix covers

    @property
    def n_items(self) -> int:
        return len(self.items)

    def rows(self, customers: list[str] | np.ndarray) -> np.ndarray:
        """Row indexes of customers (−1 for a customer with no history)."""
        return np.asarray(self.customers.get_indexer(pd.Index(customers)))

    def ease_scores(self, bought: np.ndarray) -> np.ndarray:
        """EASE scores of every item for customers whose bought-item indicator rows are `bought`
        (n × items, dense); zeros where the matrix does not reach."""
        out = np.zeros(bought.shape, dtype=np.float32)
        if self.ease is not None:
            out[:, self.ease_items] = bought[:, self.ease_items] @ self.ease
        return out


def _age_days(at: pd.Series, as_of: pd.Timestamp) -> np.ndarray:
    return np.asarray((as_of - at).dt.total_seconds().to_numpy() / DAY, dtype=np.float64)


def build_history(lines: pd.DataFrame, as_of: pd.Timestamp, *, items: pd.Index | None = None) -> History:
    """The history of `lines` strictly before `as_of` (columns customer, item, order, at)."""
    h = lines[lines["at"] < as_of]
    items = items if items is not None else pd.Index(np.sort(h["item"].unique()))
    h = h[h["item"].isin(items)]
    customers = pd.Index(np.sort(h["customer"].unique()))
    r = customers.get_indexer(h["customer"])
    c = items.get_indexer(h["item"])
    age = _age_days(h["at"], as_of)
    shape = (len(customers), len(items))

    def matrix(values: np.ndarray, rows: np.ndarray = r, cols: np.ndarray = c) -> sp.csr_matrix:
        m = sp.csr_matrix((values.astype(np.float32), (rows, cols)), shape=shape)
        m.sum_duplicates()
        return m

    rw = {tau: matrix(np.exp(-age / tau)) for tau in TAUS}
    line_counts = matrix(np.ones(len(h)))
    per_order = h.drop_duplicates(["customer", "item", "order"])
    orders = matrix(np.ones(len(per_order)), customers.get_indexer(per_order["customer"]),
                    items.get_indexer(per_order["item"]))
    span = h.groupby(["customer", "item"], sort=False)["at"].agg(["min", "max"])
    pr = customers.get_indexer(span.index.get_level_values(0))
    pc = items.get_indexer(span.index.get_level_values(1))
    last_days = _age_days(span["max"], as_of)
    bought_span = (span["max"] - span["min"]).dt.total_seconds().to_numpy() / DAY
    n_orders = per_order.groupby(["customer", "item"], sort=False).size().reindex(span.index).to_numpy(np.float64)
    mean_gap = np.where(n_orders > 1, bought_span / np.maximum(n_orders - 1, 1), 0.0)
    due = np.where(n_orders > 1, last_days / np.maximum(mean_gap, 1.0), 0.0)
    last = matrix(last_days + 1.0, pr, pc)
    due_m = matrix(due + 1e-6 * (n_orders > 1), pr, pc)

    first_per_customer = h.drop_duplicates(["customer", "item"])
    pop = np.bincount(items.get_indexer(first_per_customer["item"]), minlength=len(items)).astype(np.float32)
    trend = np.bincount(c, weights=np.exp(-age / 30.0), minlength=len(items)).astype(np.float32)
    cust_orders = h.groupby("customer")["order"].nunique().reindex(customers).to_numpy(dtype=np.float32)
    cust_last = _age_days(h.groupby("customer")["at"].max().reindex(customers), as_of).astype(np.float32)
    ease, ease_items = _ease(orders, pop)
    return History(as_of=as_of, items=items, customers=customers, rw=rw, lines=line_counts, orders=orders, last=last, due=due_m,
                   pop=pop, trend=trend, customer_orders=cust_orders, customer_last=cust_last,
                   ease=ease, ease_items=ease_items)


def _ease(orders: sp.csr_matrix, pop: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """EASE's closed form B = I − P·diag(1/diag(P)), P = (XᵀX + λI)⁻¹, zero diagonal; in float32
    and in place (λ = 200 keeps the system well conditioned), so the peak is two items² matrices."""
    covered = np.sort(np.argsort(-pop, kind="stable")[:EASE_MAX_ITEMS])
    if len(covered) < 2:
        return None, covered
    x = (orders[:, covered] > 0).astype(np.float32)
    gram = np.asarray(x.T @ x.toarray())  # sparse × dense: no dense-as-sparse intermediate
    gram[np.diag_indices_from(gram)] += EASE_LAMBDA
    # scipy's LAPACK inverse keeps float32 and works in place (numpy's inverts a float64 copy
    # against a float64 identity: four times the memory)
    b = scipy.linalg.inv(gram, overwrite_a=True, check_finite=False)
    del gram
    b /= -np.diag(b).copy()
    b[np.diag_indices_from(b)] = 0.0
    return b, covered
