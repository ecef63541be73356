"""`make ml-eval`: every model beside its baselines, from the data shipped in ml_container/data.

    python -m huglu_ml.evaluate                      # all four, the recommender on the fixed split
    python -m huglu_ml.evaluate --split 2011-10-09 --end 2011-11-09 --only recommender
    python -m huglu_ml.evaluate --json results.json  # also write the figures

The recommender is trained on the lines before --split and evaluated on [--split, --end) with
the fixed protocol (huglu_ml/recommender/protocol.py); the model must beat every baseline on
both HR@10 and NDCG@10, and the command exits 1 when it does not (or when purchase prediction
does not beat logistic regression on ROC-AUC).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import pandas as pd

from huglu_ml.config import DATA_DIR

SECTIONS = ("recommender", "purchase", "anomaly", "segments")


def recommender(split: pd.Timestamp, end: pd.Timestamp | None) -> dict[str, Any]:
    from huglu_ml.recommender import train_recommender
    from huglu_ml.recommender.baselines import baselines
    from huglu_ml.recommender.protocol import evaluate, load_online_retail, make_split

    lines = load_online_retail(DATA_DIR / "online_retail.parquet")
    cut = make_split(lines, split, end)
    rows: dict[str, dict[str, float]] = {}
    for name, top in baselines(cut.train, split).items():
        rows[name] = evaluate(cut, top)
    started = time.perf_counter()
    # the model is asked for the period it is tested on (30 days unless --end says otherwise)
    last = lines["at"].max() if end is None else end
    horizon = max(7, min(120, round((last - split).total_seconds() / 86400)))
    model = train_recommender(cut.train, split, horizon_days=horizon, validate=False)
    seconds = time.perf_counter() - started
    rows["TensorFlow ranker"] = evaluate(cut, lambda c: [i for i, _ in model.recommend(c, 10)])
    best = {m: max(v[m] for k, v in rows.items() if k != "TensorFlow ranker") for m in ("hr@10", "ndcg@10")}
    beats = all(rows["TensorFlow ranker"][m] > best[m] for m in best)
    return {"split": str(split.date()), "end": str(end.date()) if end is not None else "end of data",
            "test_customers": int(rows["popularity"]["customers"]), "rows": rows, "train_seconds": round(seconds, 1), "horizon_days": horizon,
            "beats_every_baseline": beats}


def _print_recommender(r: dict[str, Any]) -> None:
    print(f"\nRecommender — UCI Online Retail, train < {r['split']}, test [{r['split']}, {r['end']}), "
          f"{r['test_customers']} customers, full ranking")
    print(f"  {'':40s} {'HR@10':>7s} {'NDCG@10':>8s}")
    for name, m in r["rows"].items():
        print(f"  {name:40s} {m['hr@10']:7.4f} {m['ndcg@10']:8.4f}")
    print(f"  trained in {r['train_seconds']} s; beats every baseline on both: {r['beats_every_baseline']}")


def _print_purchase(r: dict[str, Any]) -> None:
    print(f"\nPurchase prediction — UCI Online Shoppers, {r['split']}, {r['test_rows']} test sessions "
          f"({r['positive_rate']:.1%} buy)")
    print(f"  {'':40s} {'ROC-AUC':>8s} {'PR-AUC':>7s} {'Brier':>7s} {'ECE':>7s}")
    for name, key in (("gradient boosting, calibrated", "model"), ("logistic regression (baseline)", "baseline_lr")):
        m = r[key]
        print(f"  {name:40s} {m['roc_auc']:8.4f} {m['pr_auc']:7.4f} {m['brier']:7.4f} {m['ece']:7.4f}")
    print(f"  beats logistic regression on ROC-AUC: {r['beats_lr_roc_auc']}, on PR-AUC: {r['beats_lr_pr_auc']}")


def _print_anomaly(r: dict[str, Any]) -> None:
    print(f"\nAnomaly detection — Isolation Forest per kind, synthetic shop with injected cases ({r['protocol']})")
    print(f"  {'pattern':32s} {'kind':8s} {'cases':>6s} {'base':>6s} {'P@n':>6s} {'P@10':>6s} {'recall':>7s} {'false+':>7s}")
    for name, p in r["patterns"].items():
        print(f"  {name:32s} {p['kind']:8s} {p['positives']:6d} {p['base_rate']:6.3f} {p['precision_at_n']:6.3f} "
              f"{p['precision_at_10']:6.3f} {p['recall_at_threshold']:7.3f} {p['false_alarm_rate']:7.3f}")
    print("  (P@n: precision at k = the number of injected cases; base: a random ranking's precision)")


def _print_segments(r: dict[str, Any]) -> None:
    st = r["stability"]
    print(f"\nSegments — RFM + K-Means on UCI Online Retail, {r['customers']} customers as of {r['as_of'][:10]}, "
          f"k = {r['k']}, silhouette {r['silhouette']:.3f}")
    for seg in r["segments"]:
        print(f"  {seg['name']:22s} {seg['size']:6d} customers   recency {seg['recency_days_avg']:6.1f} d   "
              f"orders {seg['frequency_avg']:5.2f}   spent {seg['monetary_avg']:9.2f}")
    print(f"  retrained a week later: {st['kept_label_with_previous']:.1%} keep their segment, "
          f"same names: {st['same_names']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="2011-11-09")
    parser.add_argument("--end", default=None)
    parser.add_argument("--only", choices=SECTIONS, action="append")
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args(argv)
    wanted = args.only or list(SECTIONS)
    results: dict[str, Any] = {}
    ok = True
    if "recommender" in wanted:
        results["recommender"] = recommender(pd.Timestamp(args.split), pd.Timestamp(args.end) if args.end else None)
        _print_recommender(results["recommender"])
        ok &= results["recommender"]["beats_every_baseline"]
    if "purchase" in wanted:
        from huglu_ml.purchase import evaluate_purchase

        results["purchase"] = evaluate_purchase()
        _print_purchase(results["purchase"])
        ok &= results["purchase"]["beats_lr_roc_auc"]
    if "anomaly" in wanted:
        from huglu_ml.anomaly import evaluate_anomaly

        results["anomaly"] = evaluate_anomaly()
        _print_anomaly(results["anomaly"])
    if "segments" in wanted:
        from huglu_ml.segments import evaluate_segments

        results["segments"] = evaluate_segments()
        _print_segments(results["segments"])
    if args.json_path:
        with open(args.json_path, "w") as fh:
            json.dump(results, fh, indent=2, default=str)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
