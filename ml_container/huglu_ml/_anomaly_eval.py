"""Evaluation of anomaly detection on a synthetic shop with injected patterns (private helper of anomaly.py).

Protocol (fixed, seeded):
- 28 days of a normal shop (``generate_events``): days 0-7 only warm the feature window up (everyone's
  devices and habits are still unknown there), days 7-21 train one forest per kind, days 21-28 are the test week.
- Into the test week we inject (b) card-testing bursts, (c) refund abusers, (d) devices logging into many
  accounts, as *events*, and replay everything through one window, so the injected rows get their features
  from the same history code as in production. (a) "random" anomalies are feature-space outliers: random
  test rows with every feature ("random_<kind>") or three features ("random3_<kind>") redrawn uniformly over
  the training range (see ``_outliers``).
- "refund_abuse" counts the abusers' refund requests as positives and leaves their orders out (an order is
  ordinary when placed; the abuse is the refunds); "refund_abuse_all_events" counts every order and refund
  of the abusers as positives, including first orders that nothing distinguishes yet.
- For each pattern the candidates are the normal test rows of its kind plus that pattern's positives (the
  other patterns' rows are left out, so they are neither hits nor false alarms). We report precision@k for
  k = number of positives, 10 and 50, the base rate (positives / candidates, i.e. precision@k of a random
  ranking), and recall / false-alarm rate at the model's threshold. Every event of an injected case is a
  positive, including the first attempts of a burst that cannot yet look unusual: precision@n is honest.
"""

from __future__ import annotations

import time
from datetime import timedelta

import numpy as np
import pandas as pd

from huglu_ml._anomaly_features import FEATURES, FeatureWindow
from huglu_ml._anomaly_synth import (
    START,
    generate_events,
    inject_card_testing,
    inject_many_accounts,
    inject_refund_abuse,
)

WARMUP_DAYS, TRAIN_END_DAY, DAYS = 7, 21, 28


def _precision_at(scores: np.ndarray, labels: np.ndarray, k: int) -> float:
    k = min(k, len(scores))
    order = np.argsort(-scores, kind="stable")[:k]
    return float(labels[order].mean()) if k else 0.0


def _report(scores: np.ndarray, labels: np.ndarray, threshold: float) -> dict:
    n_pos = int(labels.sum())
    flagged = scores >= threshold
    return {
        "positives": n_pos,
        "candidates": int(len(labels)),
        "base_rate": round(float(labels.mean()), 4),
        "precision_at_n": round(_precision_at(scores, labels, n_pos), 3),
        "precision_at_10": round(_precision_at(scores, labels, 10), 3),
        "precision_at_50": round(_precision_at(scores, labels, 50), 3),
        "recall_at_threshold": round(float(flagged[labels == 1].mean()) if n_pos else 0.0, 3),
        "false_alarm_rate": round(float(flagged[labels == 0].mean()), 4),
    }


def _outliers(
    test: pd.DataFrame, train: pd.DataFrame, kind: str, n: int, rng: np.random.Generator, n_features: int | None
) -> pd.DataFrame:
    """Feature-space outliers: random test rows with features redrawn uniformly over the training range.

    ``n_features=None`` redraws every feature (uniform noise in the training box: the classic injected-anomaly
    benchmark, a sanity check that the forest knows where the data live); ``n_features=3`` redraws three, which
    breaks the features' joint structure but often stays close to normal rows (much harder). Draws happen in the
    model's input space (sign·log1p) so a count's draw is not almost always its maximum. Values *beyond* the
    training range would not be a fair test of any tree ensemble: a forest cannot extrapolate, so a point past
    the maximum scores like the most extreme training point.
    """
    names = list(FEATURES[kind])
    rows = test.sample(n=min(n, len(test)), random_state=int(rng.integers(1 << 30))).copy()

    def t(x: float) -> float:  # the model's input space (see anomaly._matrix)
        return float(np.sign(x) * np.log1p(abs(x)))

    for idx in rows.index:
        for name in rng.choice(names, size=n_features or len(names), replace=False):
            lo, hi = t(float(train[name].min())), t(float(train[name].max()))
            target = float(rng.uniform(lo, hi))
            rows.at[idx, name] = float(np.sign(target) * np.expm1(abs(target)))
    rows["event_id"] = [f"rand-{kind}-{i}" for i in range(len(rows))]
    return rows


def evaluate(seed: int = 0, *, customers: int = 500, contamination: float = 0.01, n_estimators: int = 200) -> dict:
    from huglu_ml.anomaly import build_frames, train_anomaly  # late import: anomaly imports this module lazily

    started = time.perf_counter()
    test_start = START + timedelta(days=TRAIN_END_DAY)
    span = DAYS - TRAIN_END_DAY - 1
    events = generate_events(seed=seed, days=DAYS, customers=customers)
    injected = {
        "card_testing": ("payment", *inject_card_testing(seed=seed + 1, n_bursts=4, start=test_start, days=span)),
        "refund_abuse": ("order", *inject_refund_abuse(seed=seed + 2, n_customers=4, start=test_start, days=span)),
        "many_accounts_one_device": (
            "login",
            *inject_many_accounts(seed=seed + 3, n_devices=4, start=test_start, days=span, known_users=customers),
        ),
    }
    for _, extra, _ in injected.values():
        events = events + extra
    frames = build_frames(events, FeatureWindow())
    t_train = (START + timedelta(days=WARMUP_DAYS)).timestamp()
    t_test = test_start.timestamp()
    positive_ids = {eid for _, _, ids in injected.values() for eid in ids}
    models, result = (
        {},
        {
            "seed": seed,
            "protocol": "train days 7-21 (after 7 warm-up days), test days 21-28",
            "train_rows": {},
            "train_seconds": {},
            "thresholds": {},
            "patterns": {},
        },
    )
    tests = {}
    for kind, frame in frames.items():
        train = frame[(frame["at"] >= t_train) & (frame["at"] < t_test) & ~frame["event_id"].isin(positive_ids)]
        t0 = time.perf_counter()
        models[kind] = train_anomaly(train, kind, seed=seed, contamination=contamination, n_estimators=n_estimators)
        result["train_seconds"][kind] = round(time.perf_counter() - t0, 3)
        result["train_rows"][kind] = len(train)
        result["thresholds"][kind] = round(models[kind].threshold, 4)
        test = frame[frame["at"] >= t_test].copy()
        test["score"] = models[kind].score(test)
        tests[kind] = (train, test)
    refund_ids = {e["id"] for e in injected["refund_abuse"][1] if e["type"] == "refund_requested"}
    cases = {name: (kind, set(ids), set()) for name, (kind, _, ids) in injected.items()}
    # the abuse is the refund requests; the abusers' orders are ordinary purchases when placed: leave them out
    # of "refund_abuse", and count every one of them as a positive in "refund_abuse_all_events"
    cases["refund_abuse_all_events"] = cases["refund_abuse"]
    cases["refund_abuse"] = ("order", refund_ids, set(injected["refund_abuse"][2]) - refund_ids)
    for name in ("card_testing", "refund_abuse", "refund_abuse_all_events", "many_accounts_one_device"):
        kind, own, ignored = cases[name]
        _, test = tests[kind]
        cand = test[~test["event_id"].isin((positive_ids - own) | ignored)]
        labels = cand["event_id"].isin(own).to_numpy().astype(int)
        result["patterns"][name] = {"kind": kind, **_report(cand["score"].to_numpy(), labels, models[kind].threshold)}
    rng = np.random.default_rng(seed + 4)
    for kind, (train, test) in tests.items():
        normal = test[~test["event_id"].isin(positive_ids)]
        for label, n_features in (("random", None), ("random3", 3)):
            outl = _outliers(normal, train, kind, 20, rng, n_features)
            outl["score"] = models[kind].score(outl)
            cand = pd.concat([normal, outl], ignore_index=True)
            labels = cand["event_id"].str.startswith("rand-").to_numpy().astype(int)
            result["patterns"][f"{label}_{kind}"] = {
                "kind": kind,
                **_report(cand["score"].to_numpy(), labels, models[kind].threshold),
            }
    card = tests["payment"][1]
    burst = card[card["event_id"].isin(injected["card_testing"][2])].sort_values("score", ascending=False)
    result["example_reasons"] = {
        "card_testing": models["payment"].explain(burst.iloc[0].to_dict()) if len(burst) else []
    }
    result["total_seconds"] = round(time.perf_counter() - started, 2)
    return result


def print_report(result: dict) -> None:
    print(f"Anomaly detection (Isolation Forest), seed {result['seed']}: {result['protocol']}")
    print("training rows:", result["train_rows"], " train seconds:", result["train_seconds"])
    print(
        f"{'pattern':28} {'kind':8} {'pos':>4} {'cand':>5} {'base':>6} {'P@n':>6} {'P@10':>6} {'P@50':>6} "
        f"{'recall@thr':>10} {'false alarms':>12}"
    )
    for name, r in result["patterns"].items():
        print(
            f"{name:28} {r['kind']:8} {r['positives']:>4} {r['candidates']:>5} {r['base_rate']:>6.3f} "
            f"{r['precision_at_n']:>6.3f} {r['precision_at_10']:>6.3f} {r['precision_at_50']:>6.3f} "
            f"{r['recall_at_threshold']:>10.3f} {r['false_alarm_rate']:>12.4f}"
        )
    print("example reasons (top card-testing event):", result["example_reasons"]["card_testing"])
    print(f"total {result['total_seconds']} s")
