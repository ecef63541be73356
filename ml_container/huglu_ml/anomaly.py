"""Anomaly detection for orders, payments and logins: Isolation Forest per tenant and per event kind.

Why this shape:
- Each event becomes one feature row describing it *in the context of its recent history* (declines by the
  same device in 5 min, distinct card BINs per device in 1 h, refunds per orders in 30 days, accounts per
  device in 24 h, ...). The pattern lives in the history, so the features carry it and the forest, trained
  on a tenant's own (mostly normal) past, isolates what its customers do not usually do. No rule bypasses the
  model: reasons only *explain* a score.
- Scores are ``-IsolationForest.score_samples`` = the paper's anomaly score s(x) = 2^(-E[h(x)]/c(n)) in (0, 1]:
  higher = more anomalous, ~0.5 for ordinary points, comparable across tenants and retrains because c(n)
  normalises by the sample size.
- The threshold is the (1 - contamination) quantile of the training scores with contamination = 1 % by
  default, i.e. "flag the rarest 1 % of what this tenant usually sees"; staff review the flags, so the
  quantile is a review-budget knob (``train_anomaly(..., contamination=...)``), not a fraud-rate estimate.
- Features are fed to the forest as sign(x)·log1p(|x|): counts are heavy-tailed and the forest draws split
  points uniformly between a feature's min and max, so the log keeps splits where the data are.
- A tenant with fewer than ``MIN_TRAIN_ROWS`` rows of a kind does not get a model: ``train_anomaly`` raises
  :class:`NotEnoughDataError` (a ValueError) with the counts, and the trainer records "not enough data" for
  that kind. A forest on a few dozen rows flags noise; better to flag nothing.

Realtime use (one :class:`FeatureWindow` per tenant)::

    row = window.add(event)                      # None for events that are not order / payment / login
    if row and (model := models.get(row.kind)):
        score = model.score([row.features])[0]
        if score >= model.threshold: reasons = model.explain(row.features)  # -> ml_anomalies row
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Self

import joblib
import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest

from huglu_ml._anomaly_features import (
    EVENT_KIND,
    FEATURES,
    FeatureRow,
    FeatureWindow,
    _ts,
    login_features,
    order_features,
    payment_features,
)
from huglu_ml._anomaly_reasons import REASONS, reason_text

__all__ = [
    "AnomalyModel",
    "FeatureRow",
    "FeatureWindow",
    "NotEnoughDataError",
    "build_frame",
    "build_frames",
    "evaluate_anomaly",
    "login_features",
    "order_features",
    "payment_features",
    "train_anomaly",
    "EVENT_KIND",
    "FEATURES",
    "MIN_TRAIN_ROWS",
]

MIN_TRAIN_ROWS = 50
DEFAULT_CONTAMINATION = 0.01
META_COLUMNS = ("event_id", "at", "subject_type", "subject_id", "user_id")


class NotEnoughDataError(ValueError):
    """The tenant has too little history of this kind to learn what normal looks like."""


def _sorted(events: Iterable[dict]) -> list[dict]:
    evs = [e for e in events if isinstance(e, dict)]
    keyed = [(_ts(e.get("at")), i, e) for i, e in enumerate(evs)]
    keyed.sort(key=lambda t: (t[0] if t[0] is not None else -math.inf, t[1]))
    return [e for _, _, e in keyed]


def build_frames(events: Iterable[dict], window: FeatureWindow | None = None) -> dict[str, pd.DataFrame]:
    """Replay events (sorted by time here) through one window; one frame per kind (features + META_COLUMNS)."""
    window = window or FeatureWindow()
    rows: dict[str, list[dict]] = {k: [] for k in FEATURES}
    for event in _sorted(events):
        row = window.add(event)
        if row is not None:
            rows[row.kind].append(
                {
                    **row.features,
                    "event_id": row.event_id,
                    "at": row.at,
                    "subject_type": row.subject_type,
                    "subject_id": row.subject_id,
                    "user_id": row.user_id,
                }
            )
    return {k: pd.DataFrame(v, columns=[*FEATURES[k], *META_COLUMNS]) for k, v in rows.items()}


def build_frame(events: Iterable[dict], kind: str) -> pd.DataFrame:
    """Training frame of one kind ("order" | "payment" | "login") from a tenant's history of events."""
    if kind not in FEATURES:
        raise ValueError(f"unknown anomaly kind {kind!r}; expected one of {sorted(FEATURES)}")
    return build_frames(events)[kind]


def _matrix(rows: pd.DataFrame | list[dict], names: tuple[str, ...], fill: dict[str, float]) -> np.ndarray:
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    cols = []
    for name in names:
        col = pd.to_numeric(frame[name], errors="coerce") if name in frame else pd.Series(np.nan, index=frame.index)
        cols.append(col.astype(float).replace([np.inf, -np.inf], np.nan).fillna(fill.get(name, 0.0)).to_numpy())
    x = np.column_stack(cols) if cols else np.zeros((len(frame), 0))
    return np.sign(x) * np.log1p(np.abs(x))


class AnomalyModel:
    """An Isolation Forest over one event kind's features, with its threshold and what "normal" looks like."""

    kind = "anomaly"

    def __init__(
        self,
        forest: IsolationForest,
        event_kind: str,
        threshold: float,
        stats: dict[str, dict[str, float]],
        metrics: dict[str, float],
    ) -> None:
        self.forest, self.event_kind, self.threshold, self.stats, self.metrics = (
            forest,
            event_kind,
            threshold,
            stats,
            metrics,
        )
        self.features: tuple[str, ...] = FEATURES[event_kind]

    def _x(self, rows: pd.DataFrame | list[dict]) -> np.ndarray:
        return _matrix(rows, self.features, {k: v["fill"] for k, v in self.stats.items()})

    def score(self, rows: pd.DataFrame | list[dict]) -> list[float]:
        """Anomaly score per row in (0, 1]; higher = more anomalous; missing / bad features count as typical."""
        if len(rows) == 0:
            return []
        return [float(s) for s in -self.forest.score_samples(self._x(rows))]

    def flag(self, rows: pd.DataFrame | list[dict]) -> list[bool]:
        return [s >= self.threshold for s in self.score(rows)]

    def explain_features(self, row: dict, top: int = 3) -> list[tuple[str, float]]:
        """(feature, robust deviation) pairs in the anomalous direction, largest first (deviation >= 2 only)."""
        x = self._x([row])[0]
        out = []
        for name, value in zip(self.features, x, strict=True):
            st = self.stats[name]
            dev = (value - st["median"]) / st["scale"]
            direction = REASONS.get(name, ("both", ""))[0]
            dev = dev if direction == "high" else -dev if direction == "low" else abs(dev)
            if dev >= 2.0:
                out.append((name, float(dev)))
        out.sort(key=lambda t: (-t[1], t[0]))
        return out[:top]

    def explain(self, row: dict, top: int = 3) -> list[str]:
        """Short English reasons: the features furthest from this tenant's normal, in words."""
        named = self.explain_features(row, top)
        if not named:
            return ["an unusual combination of otherwise ordinary values"]
        return [reason_text(name, row.get(name), self.stats[name]["typical"]) for name, _ in named]

    def save(self, directory: Path) -> None:
        directory = Path(directory)
        joblib.dump(self.forest, directory / "forest.joblib")
        meta = {
            "kind": self.kind,
            "event_kind": self.event_kind,
            "threshold": self.threshold,
            "features": list(self.features),
            "stats": self.stats,
            "metrics": self.metrics,
        }
        (directory / "anomaly.json").write_text(json.dumps(meta, indent=1, sort_keys=True))

    @classmethod
    def load(cls, directory: Path) -> Self:
        directory = Path(directory)
        meta = json.loads((directory / "anomaly.json").read_text())
        if tuple(meta["features"]) != FEATURES[meta["event_kind"]]:
            raise ValueError("saved anomaly model was trained on a different feature set; retrain it")
        return cls(
            joblib.load(directory / "forest.joblib"),
            meta["event_kind"],
            float(meta["threshold"]),
            meta["stats"],
            meta["metrics"],
        )


def train_anomaly(
    frame: pd.DataFrame,
    kind: str,
    *,
    seed: int = 0,
    contamination: float = DEFAULT_CONTAMINATION,
    n_estimators: int = 200,
) -> AnomalyModel:
    """Fit an Isolation Forest on a kind's feature frame (from ``build_frame``); deterministic given ``seed``."""
    if kind not in FEATURES:
        raise ValueError(f"unknown anomaly kind {kind!r}; expected one of {sorted(FEATURES)}")
    if len(frame) < MIN_TRAIN_ROWS:
        raise NotEnoughDataError(
            f"not enough data for {kind} anomaly detection: {len(frame)} rows, need {MIN_TRAIN_ROWS}"
        )
    started = time.perf_counter()
    names = FEATURES[kind]
    raw = _matrix(frame, names, {})  # NaN-free: missing columns are 0 here, medians for scoring below
    stats: dict[str, dict[str, float]] = {}
    for j, name in enumerate(names):
        col = raw[:, j]
        q1, med, q3 = np.quantile(col, [0.25, 0.5, 0.75])
        scale = max((q3 - q1) / 1.349, float(col.std()), 0.05)
        typical = float(np.sign(med) * np.expm1(abs(med)))
        stats[name] = {"median": float(med), "scale": float(scale), "fill": typical, "typical": typical}
    forest = IsolationForest(n_estimators=n_estimators, max_samples=min(256, len(frame)), random_state=seed, n_jobs=1)
    forest.fit(raw)
    train_scores = -forest.score_samples(raw)
    threshold = float(np.quantile(train_scores, 1.0 - contamination))
    metrics = {
        "rows": float(len(frame)),
        "contamination": float(contamination),
        "threshold": threshold,
        "train_score_median": float(np.median(train_scores)),
        "train_flag_rate": float(np.mean(train_scores >= threshold)),
        "train_seconds": round(time.perf_counter() - started, 4),
    }
    return AnomalyModel(forest, kind, threshold, stats, metrics)


def evaluate_anomaly(seed: int = 0, **kwargs: Any) -> dict:
    """Train on synthetic normal history, score a test week with injected patterns; precision@k per pattern."""
    from huglu_ml._anomaly_eval import evaluate

    return evaluate(seed=seed, **kwargs)


if __name__ == "__main__":
    from huglu_ml._anomaly_eval import print_report

    print_report(evaluate_anomaly(seed=0))
