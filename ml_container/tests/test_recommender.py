"""The recommender: the protocol's arithmetic, the baselines reproducing the issue's figures, the
TensorFlow ranker beating all of them on the fixed split, and serving on a small shop."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from huglu_ml.config import DATA_DIR
from huglu_ml.recommender import Recommender, train_recommender
from huglu_ml.recommender.baselines import baselines
from huglu_ml.recommender.protocol import DEFAULT_SPLIT, evaluate, hr_ndcg, load_online_retail, make_split


@pytest.fixture(scope="module")
def retail() -> pd.DataFrame:
    return load_online_retail(DATA_DIR / "online_retail.parquet")


@pytest.fixture(scope="module")
def split(retail: pd.DataFrame):  # type: ignore[no-untyped-def]
    return make_split(retail, DEFAULT_SPLIT)


@pytest.fixture(scope="module")
def measured(split) -> dict[str, dict[str, float]]:  # type: ignore[no-untyped-def]
    return {name: evaluate(split, top) for name, top in baselines(split.train, DEFAULT_SPLIT).items()}


def test_hr_and_ndcg_with_binary_relevance() -> None:
    assert hr_ndcg(["a", "b", "c"], {"z"}) == (0.0, 0.0)
    assert hr_ndcg(["a", "b"], {"a"}) == (1.0, 1.0)
    hr, ndcg = hr_ndcg(["x", "a"], {"a"})  # a hit at rank 2: 1/log2(3) over the ideal 1
    assert hr == 1.0 and ndcg == pytest.approx(1 / np.log2(3))
    # the ideal counts min(10, |relevant|) hits
    _, two_of_two = hr_ndcg(["a", "b", "x"], {"a", "b"})
    _, one_of_two = hr_ndcg(["a", "x", "y"], {"a", "b"})
    assert two_of_two == pytest.approx(1.0) and one_of_two < 1.0


def test_clean_lines_follow_the_protocol(retail: pd.DataFrame, split) -> None:  # type: ignore[no-untyped-def]
    assert not retail["order"].str.startswith("C").any()
    assert (retail["quantity"] > 0).all() and (retail["price"] > 0).all()
    assert retail["customer"].str.fullmatch(r"\d+").all()
    assert (split.train["at"] < DEFAULT_SPLIT).all()
    train_items = set(split.train["item"])
    assert all(items <= train_items for items in split.truth.values())
    assert len(split.customers) == 1395


def test_baselines_reproduce_the_issue_figures(measured: dict[str, dict[str, float]]) -> None:
    expected = {"popularity": (0.449, 0.081), "EASE (λ=200)": (0.728, 0.267),
                "recency-weighted repeats (τ=120 d)": (0.851, 0.350)}
    for name, (hr, ndcg) in expected.items():
        assert measured[name]["hr@10"] == pytest.approx(hr, abs=0.002), name
        assert measured[name]["ndcg@10"] == pytest.approx(ndcg, abs=0.002), name


def test_the_ranker_beats_every_baseline_on_the_fixed_split(split, measured) -> None:  # type: ignore[no-untyped-def]
    model = train_recommender(split.train, DEFAULT_SPLIT, validate=False)
    assert not model.fallback
    ours = evaluate(split, lambda c: [i for i, _ in model.recommend(c, 10)])
    for name, theirs in measured.items():
        assert ours["hr@10"] > theirs["hr@10"], (name, ours, theirs)
        assert ours["ndcg@10"] > theirs["ndcg@10"], (name, ours, theirs)
    assert len(measured) == 4


def _shop(customers: int = 60, days: int = 200, seed: int = 1) -> pd.DataFrame:
    """A small shop: each customer has a few favourite items they re-order, plus the odd other one."""
    rng = np.random.default_rng(seed)
    items = [f"P{i}" for i in range(40)]
    start = pd.Timestamp("2026-01-01")
    rows = []
    for c in range(customers):
        favourites = rng.choice(items, size=3, replace=False)
        for order in range(int(rng.integers(3, 9))):
            at = start + pd.Timedelta(days=float(rng.uniform(0, days)))
            basket = list(rng.choice(favourites, size=2, replace=False)) + [str(rng.choice(items))]
            rows += [{"customer": f"u{c}", "item": str(i), "order": f"o{c}-{order}", "at": at} for i in basket]
    return pd.DataFrame(rows)


def test_a_small_shop_trains_serves_and_round_trips(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lines = _shop()
    model = train_recommender(lines, seed=3)
    assert not model.fallback and model.primary_metric == "holdout_ndcg@10"
    assert 0.0 <= model.metrics["holdout_ndcg@10"] <= 1.0
    mine = model.recommend("u0", 5)
    assert len(mine) == 5 and len({i for i, _ in mine}) == 5
    bought = set(lines.loc[lines["customer"] == "u0", "item"])
    assert mine[0][0] in bought  # a re-order first
    assert all(i not in {"P1", "P2"} for i, _ in model.recommend("u0", 10, exclude={"P1", "P2"}))
    # a guest: what this session viewed pulls co-purchased items up; never the viewed item itself
    guest = model.recommend(None, 5, recent=["P3"])
    assert "P3" not in [i for i, _ in guest] and len(guest) == 5
    assert model.knows("P3") and not model.knows("nope")
    assert model.similar("nope", 3) == model.popular(3)
    model.save(tmp_path)
    again = Recommender.load(tmp_path)
    for customer in ("u0", "u7", "stranger"):
        assert again.recommend(customer, 10) == model.recommend(customer, 10)
    assert again.similar("P3", 5) == model.similar("P3", 5)
    assert again.complements(["P3", "P4"], 5) == model.complements(["P3", "P4"], 5)


def test_too_little_history_falls_back_to_popularity() -> None:
    lines = _shop(customers=5)
    model = train_recommender(lines)
    assert model.fallback and model.primary_metric is None
    top = model.recommend("u0", 3)
    assert len(top) == 3
    empty = train_recommender(pd.DataFrame(columns=["customer", "item", "order", "at"]))
    assert empty.fallback and empty.recommend("anyone", 5) == [] and empty.popular(5) == []
