"""Anomaly detection: precision@k on injected patterns, determinism, persistence, explanations, robustness."""

from __future__ import annotations

import json
import math
from datetime import timedelta

import pytest

from huglu_ml._anomaly_synth import START, generate_events
from huglu_ml.anomaly import (
    FEATURES,
    MIN_TRAIN_ROWS,
    AnomalyModel,
    FeatureWindow,
    NotEnoughDataError,
    build_frame,
    build_frames,
    evaluate_anomaly,
    login_features,
    order_features,
    payment_features,
    train_anomaly,
)

# Measured with seed 0 (see `python -m huglu_ml.anomaly`); floors sit a little under the measured values so that
# a regression fails while the numbers stay honest. Seeds 1-3 measured: card testing 0.93-0.95, refund abuse
# (refund requests) 0.78-0.89, many accounts from one device 0.78-0.85.
FLOORS = {
    "card_testing": 0.90,
    "many_accounts_one_device": 0.80,
    "refund_abuse": 0.65,
    "refund_abuse_all_events": 0.50,
}


@pytest.fixture(scope="module")
def evaluation() -> dict:
    return evaluate_anomaly(seed=0)


@pytest.fixture(scope="module")
def history() -> list[dict]:
    return generate_events(seed=7, days=14, customers=200)


@pytest.fixture(scope="module")
def payment_model(history) -> AnomalyModel:
    return train_anomaly(build_frame(history, "payment"), "payment", seed=0)


@pytest.mark.parametrize("pattern", sorted(FLOORS))
def test_precision_at_k_on_realistic_patterns(evaluation, pattern):
    report = evaluation["patterns"][pattern]
    assert report["precision_at_n"] >= FLOORS[pattern], report
    assert report["precision_at_10"] >= 0.7, report
    assert report["precision_at_n"] > 5 * report["base_rate"], report


@pytest.mark.parametrize("kind", sorted(FEATURES))
def test_random_outliers_clearly_above_chance(evaluation, kind):
    report = evaluation["patterns"][f"random_{kind}"]
    assert report["precision_at_n"] >= max(0.3, 8 * report["base_rate"]), report


def test_evaluation_is_deterministic(evaluation):
    again = evaluate_anomaly(seed=0)
    strip = lambda r: {k: v for k, v in r.items() if k not in ("train_seconds", "total_seconds")}  # noqa: E731
    assert strip(again) == strip(evaluation)


def test_training_is_deterministic_and_scores_are_in_range(history):
    frame = build_frame(history, "login")
    a, b = train_anomaly(frame, "login", seed=3), train_anomaly(frame, "login", seed=3)
    rows = frame.head(50).to_dict("records")
    assert a.score(rows) == b.score(rows)
    assert a.threshold == b.threshold
    assert all(0.0 < s <= 1.0 for s in a.score(rows))
    assert a.kind == "anomaly" and a.event_kind == "login"
    assert {"rows", "threshold", "contamination", "train_seconds"} <= set(a.metrics)


def test_save_load_round_trip_gives_identical_scores(payment_model, history, tmp_path):
    rows = build_frame(history, "payment").tail(40).to_dict("records")
    payment_model.save(tmp_path)
    loaded = AnomalyModel.load(tmp_path)
    assert loaded.score(rows) == payment_model.score(rows)
    assert loaded.threshold == payment_model.threshold and loaded.event_kind == "payment"
    assert loaded.flag(rows) == payment_model.flag(rows)
    json.loads((tmp_path / "anomaly.json").read_text())  # plain JSON next to the joblib forest


def _burst(start, n: int = 12) -> list[dict]:
    events = []
    for i in range(n):
        at = start + timedelta(seconds=15 * i)
        events.append(
            {
                "id": f"burst-{i}",
                "type": "payment_attempt",
                "at": at.isoformat(),
                "user_id": None,
                "device_id": "bot-🤖-ığüşöç",
                "payload": {
                    "outcome": "declined" if i % 6 else "succeeded",
                    "amount": "3.50",
                    "card_bin": str(400000 + 37 * i),
                    "ip": "203.0.113.9",
                    "device_id": "bot-🤖-ığüşöç",
                },
            }
        )
    return events


def test_explain_names_the_card_testing_features(payment_model, history):
    window = FeatureWindow()
    for event in history:
        window.add(event)
    rows = [window.add(e) for e in _burst(START + timedelta(days=14, hours=3))]
    last = rows[-1]
    assert last.features["dev_declines_5m"] == 10 and last.features["dev_bins_1h"] == 12
    score = payment_model.score([last.features])[0]
    assert score >= payment_model.threshold
    named = [name for name, _ in payment_model.explain_features(last.features)]
    burst_features = {
        "dev_declines_5m",
        "dev_declines_1h",
        "ip_declines_5m",
        "ip_declines_1h",
        "dev_bins_1h",
        "ip_bins_1h",
        "dev_attempts_5m",
        "dev_attempts_1h",
        "ip_attempts_1h",
    }
    assert named and named[0] in burst_features, named
    reasons = payment_model.explain(last.features)
    assert any(("declined" in r or "cards" in r) and ("device" in r or "IP" in r) for r in reasons), reasons
    assert last.subject_type == "device" and last.subject_id == "bot-🤖-ığüşöç"


def test_tiny_history_reports_not_enough_data(history):
    frame = build_frame(history[:40], "order")
    assert len(frame) < MIN_TRAIN_ROWS
    with pytest.raises(NotEnoughDataError, match="not enough data"):
        train_anomaly(frame, "order")
    with pytest.raises(ValueError, match="unknown anomaly kind"):
        build_frame(history, "refunds")


GARBAGE = [
    None,
    "not a dict",
    {},
    {"type": "payment_attempt"},
    {"type": "login", "payload": None},
    {"type": "order_placed", "payload": ["a", "list"]},
    {
        "type": "payment_attempt",
        "at": "yesterday",
        "payload": {"amount": "abc", "outcome": None, "card_bin": {"x": 1}, "ip": 12345, "device_id": ["x"]},
    },
    {
        "type": "order_placed",
        "at": 1.7e9,
        "user_id": "not-a-number",
        "payload": {
            "items": [None, {"quantity": "two", "unit_price": None}, {"product_id": "ü", "quantity": 1e308 * 10}],
            "total": "NaN",
        },
    },
    {"type": "refund_requested", "user_id": True, "payload": {"order_id": "", "amount": -5}},
    {
        "type": "login",
        "at": "2024-03-05T03:00:00+03:00",
        "device_id": "\u0000\u202e📱" * 100,
        "user_id": 5,
        "payload": {"outcome": "success", "ip": "::1"},
    },
    {"type": "payment_attempt", "at": "2024-03-05T03:00:00Z", "device_id": "  ", "payload": {"amount": float("inf")}},
]


@pytest.mark.parametrize(
    "builder,kind", [(order_features, "order"), (payment_features, "payment"), (login_features, "login")]
)
def test_feature_builders_never_crash_on_bad_fields(builder, kind):
    for event in GARBAGE:
        feats = builder(event, GARBAGE)
        assert set(feats) == set(FEATURES[kind])
        assert all(isinstance(v, float) and math.isfinite(v) for v in feats.values()), (event, feats)


def test_odd_unicode_device_ids_are_counted_as_themselves():
    device = "Cihaz-İıŞğ-📱\u200d👩‍💻"
    history = [
        {
            "id": f"l{i}",
            "type": "login",
            "at": f"2024-03-05T10:0{i}:00Z",
            "device_id": device,
            "user_id": 100 + i,
            "payload": {"outcome": "failure", "ip": "198.51.100.1"},
        }
        for i in range(5)
    ]
    event = {
        "id": "l9",
        "type": "login",
        "at": "2024-03-05T10:06:00Z",
        "device_id": device,
        "user_id": 999,
        "payload": {"outcome": "failure", "ip": "198.51.100.2"},
    }
    feats = login_features(event, history)
    assert feats["dev_accounts_24h"] == 6 and feats["dev_failures_10m"] == 6 and feats["ip_failures_10m"] == 1
    other = login_features({**event, "device_id": "Cihaz-IiSg-📱"}, history)  # not folded together
    assert other["dev_accounts_24h"] == 1


def test_window_state_survives_json(history):
    window = FeatureWindow()
    for event in history[:3000]:
        window.add(event)
    restored = FeatureWindow.from_dict(json.loads(json.dumps(window.to_dict())))
    for event in history[3000:3400]:
        a, b = window.add(event), restored.add(event)
        assert (a and a.features) == (b and b.features)


def test_scoring_tolerates_missing_and_bad_features(payment_model):
    scores = payment_model.score([{}, {"dev_declines_5m": None}, {"amount_z": "x"}])
    assert len(scores) == 3 and all(math.isfinite(s) for s in scores)
    assert payment_model.score([]) == []


def test_build_frames_replays_out_of_order_input(history):
    shuffled = list(reversed(history[:2000]))
    frames = build_frames(shuffled)
    assert frames["payment"].equals(build_frames(history[:2000])["payment"])
