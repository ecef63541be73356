"""The wheel's draw matches the configured weights (K4): a chi-square goodness-of-fit test over
20,000 seeded draws and a shorter run with the server's SystemRandom, the same after a prize runs
out (the rest keep their relative odds), and the test's power: a wrong distribution is rejected.

Critical values of the chi-square distribution at p = 0.001 (tabulated; no scipy in the API venv).
"""
from __future__ import annotations

import random
import secrets
from collections import Counter
from collections.abc import Sequence

import pytest

from chalicelib.campaigns.wheel_draw import NothingLeft, draw

CRITICAL_001 = {1: 10.828, 2: 13.816, 3: 16.266, 4: 18.467, 5: 20.515, 6: 22.458, 7: 24.322}
PRIZES = [(11, 50, None), (12, 30, 100), (13, 15, None), (14, 4, 3), (15, 1, None)]


def chi_square(observed: Counter[int], weights: dict[int, int], n: int) -> float:
    total = sum(weights.values())
    return sum((observed.get(pid, 0) - n * w / total) ** 2 / (n * w / total) for pid, w in weights.items())


def _draws(prizes: Sequence[tuple[int, int, int | None]], rng: random.Random, n: int) -> Counter[int]:
    return Counter(draw(prizes, rng) for _ in range(n))


@pytest.mark.parametrize("seed", [1, 2024, 987654321])
def test_seeded_draws_match_the_weights(seed):
    n = 20_000
    observed = _draws(PRIZES, random.Random(seed), n)
    weights = {pid: w for pid, w, _ in PRIZES}
    assert set(observed) <= set(weights)
    assert chi_square(observed, weights, n) < CRITICAL_001[len(weights) - 1]


def test_after_a_prize_runs_out_the_others_keep_their_relative_odds():
    n = 20_000
    prizes = [(pid, w, 0 if pid == 12 else left) for pid, w, left in PRIZES]  # the 30-weight prize is gone
    observed = _draws(prizes, random.Random(7), n)
    assert observed[12] == 0
    weights = {pid: w for pid, w, _ in prizes if pid != 12}  # renormalised: 50:15:4:1 of 70
    assert chi_square(observed, weights, n) < CRITICAL_001[len(weights) - 1]


def test_system_random_draws_match_the_weights():
    n = 5_000
    observed = _draws(PRIZES, secrets.SystemRandom(), n)
    weights = {pid: w for pid, w, _ in PRIZES}
    assert chi_square(observed, weights, n) < CRITICAL_001[len(weights) - 1]


def test_the_test_rejects_a_wrong_distribution():
    """Power: draws from the real weights are far from what equal weights would give, and draws
    that ignored a sold-out prize's absence (its weight handed to one neighbour) are caught."""
    n = 20_000
    observed = _draws(PRIZES, random.Random(3), n)
    assert chi_square(observed, {pid: 1 for pid, _, _ in PRIZES}, n) > CRITICAL_001[4]
    skewed = _draws([(11, 80, None), (13, 15, None), (14, 4, None), (15, 1, None)], random.Random(3), n)
    assert chi_square(skewed, {11: 50, 13: 15, 14: 4, 15: 1}, n) > CRITICAL_001[3]


def test_every_point_of_the_range_maps_to_exactly_weight_slots():
    """Exactness without statistics: each value randrange can return picks one prize, and each
    prize is picked by exactly `weight` of them."""
    class Enumerate(random.Random):
        def __init__(self) -> None:
            super().__init__()
            self.next = 0

        def randrange(self, stop, *args, **kwargs):  # type: ignore[override]
            value, self.next = self.next, self.next + 1
            assert value < stop
            return value

    prizes = [(1, 3, None), (2, 0, None), (3, 5, 0), (4, 7, 2), (5, 1, None)]
    rng = Enumerate()
    picked = Counter(draw(prizes, rng) for _ in range(3 + 7 + 1))
    assert picked == Counter({1: 3, 4: 7, 5: 1})


def test_nothing_left_and_single_prize():
    with pytest.raises(NothingLeft):
        draw([(1, 5, 0), (2, 3, 0)], random.Random(1))
    with pytest.raises(NothingLeft):
        draw([], random.Random(1))
    assert {draw([(9, 2, None), (8, 5, 0)], random.Random(s)) for s in range(50)} == {9}
