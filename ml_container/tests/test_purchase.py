"""Purchase prediction on the real UCI Online Shoppers data: beats LR, calibrated, round-trips, scores live sessions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from huglu_ml.purchase import (
    FEATURES,
    PurchaseModel,
    feature_frame,
    fixed_split,
    load_shoppers,
    session_features,
    train_baseline,
    train_purchase,
)


@pytest.fixture(scope="module")
def shoppers() -> pd.DataFrame:
    return load_shoppers()


@pytest.fixture(scope="module")
def model(shoppers: pd.DataFrame) -> PurchaseModel:
    return train_purchase(shoppers, seed=0)


@pytest.fixture(scope="module")
def test_rows(shoppers: pd.DataFrame) -> pd.DataFrame:
    return fixed_split(shoppers)[1]


def _y(frame: pd.DataFrame) -> np.ndarray:
    return frame["Revenue"].astype(bool).astype(int).to_numpy()


def test_fixed_split_is_stratified_80_20(shoppers: pd.DataFrame, test_rows: pd.DataFrame) -> None:
    assert len(test_rows) == round(len(shoppers) * 0.2)
    assert abs(_y(test_rows).mean() - _y(shoppers).mean()) < 0.002
    again = fixed_split(shoppers)[1]
    pd.testing.assert_frame_equal(again, test_rows)


def test_model_beats_logistic_regression(model: PurchaseModel, shoppers: pd.DataFrame, test_rows: pd.DataFrame) -> None:
    y = _y(test_rows)
    p_model = model.predict_frame(test_rows)
    baseline = train_baseline(shoppers, seed=0)
    p_lr = baseline.predict_proba(feature_frame(test_rows)[list(FEATURES)])[:, 1]
    assert roc_auc_score(y, p_model) > roc_auc_score(y, p_lr) + 0.01
    assert average_precision_score(y, p_model) > average_precision_score(y, p_lr) + 0.03
    assert model.metrics["roc_auc"] == pytest.approx(roc_auc_score(y, p_model))
    assert model.metrics["roc_auc"] > 0.92 and model.metrics["pr_auc"] > 0.70  # measured 0.928 / 0.732


def test_probabilities_are_calibrated(model: PurchaseModel, test_rows: pd.DataFrame) -> None:
    y = _y(test_rows)
    p = model.predict_frame(test_rows)
    assert brier_score_loss(y, p) < model.metrics["baseline_lr_brier"]
    assert model.metrics["ece"] < 0.03  # measured 0.008
    assert abs(p.mean() - y.mean()) < 0.02
    for row in model.reliability:
        if row["count"] >= 100:
            assert abs(row["predicted"] - row["observed"]) < 0.06, row


def test_save_load_round_trip(model: PurchaseModel, test_rows: pd.DataFrame, tmp_path) -> None:
    model.save(tmp_path)
    loaded = PurchaseModel.load(tmp_path)
    rows = test_rows.drop(columns=["Revenue"]).head(300).to_dict("records")
    assert loaded.kind == "purchase"
    assert loaded.metrics == model.metrics
    assert loaded.predict_proba(rows) == model.predict_proba(rows)


def test_predict_proba_accepts_partial_and_unknown_rows(model: PurchaseModel) -> None:
    rows = [{}, {"Month": "Jan", "VisitorType": "Bot", "Weekend": "TRUE", "ProductRelated": 3}, {"Month": "June"}]
    probabilities = model.predict_proba(rows)
    assert len(probabilities) == 3 and all(0.0 <= p <= 1.0 for p in probabilities)
    assert model.predict_proba([]) == []


def test_too_few_sessions_is_a_clear_error(shoppers: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="not enough sessions"):
        train_purchase(shoppers.head(50))
    with pytest.raises(ValueError, match="not enough sessions"):
        train_purchase(shoppers[~shoppers["Revenue"]].head(500))


START = datetime(2026, 11, 21, 11, 0, tzinfo=timezone.utc)  # a Saturday in November (14:00 in Istanbul)


def _events(*steps: tuple[int, str, str | None], user_id: int | None = None) -> list[dict]:
    return [
        {"type": kind, "at": START + timedelta(seconds=offset), "screen": screen, "user_id": user_id}
        for offset, kind, screen in steps
    ]


BUYER = _events(
    (0, "screen", "home"),
    (20, "search", None),
    (50, "product_view", None),
    (170, "product_view", None),
    (260, "add_to_cart", None),
    (270, "screen", "faq"),
    (330, "screen", "cart"),
    (360, "product_view", None),
    (420, "add_to_cart", None),
    (430, "screen", "checkout"),
    (500, "screen", "addresses"),
    user_id=42,
)
BOUNCER = _events((0, "product_view", None))
BROWSER = _events(*[(i * 40, "product_view", None) for i in range(6)])


def test_session_features_map_screens_and_durations() -> None:
    features = session_features(BUYER)
    assert set(features) == set(FEATURES)
    assert features["ProductRelated"] == 7  # home, search, 3 product views, cart, checkout
    assert features["Informational"] == 1 and features["Informational_Duration"] == 60.0
    assert features["Administrative"] == 1 and features["Administrative_Duration"] == 0.0  # exit page: no duration
    assert features["ProductRelated_Duration"] == 440.0
    assert features["PageValues"] > 0
    assert features["VisitorType"] == "Returning_Visitor"
    assert features["Month"] == "Nov" and features["Weekend"] is True and features["SpecialDay"] == 0.0
    bounce = session_features(BOUNCER)
    assert bounce["ProductRelated"] == 1 and bounce["BounceRates"] == 0.2 and bounce["ExitRates"] == 0.2
    assert bounce["PageValues"] == 0.0 and bounce["VisitorType"] == "New_Visitor"
    iso = [{**e, "at": e["at"].isoformat().replace("+00:00", "Z")} for e in reversed(BUYER)]
    assert session_features(iso) == features  # ISO strings, any order
    assert session_features([])["ProductRelated"] == 0


def test_buyer_like_session_scores_above_bouncing_one(model: PurchaseModel) -> None:
    buyer, browser, bouncer = model.predict_proba([session_features(s) for s in (BUYER, BROWSER, BOUNCER)])
    assert buyer > browser > bouncer
    assert buyer > 0.3 and bouncer < 0.05
