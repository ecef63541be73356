"""The discount wheel's draw: one prize by weight among those still in stock (standard library only).

    draw([(prize_id, weight, left), ...], rng) -> prize_id

`left` is the stock still to give (None: unlimited); a prize with nothing left takes no part, and
the others keep their configured weights: each wins with weight / (sum of the remaining weights),
so the odds between them stay as staff set them.  `rng` is the caller's random source:
`secrets.SystemRandom()` on the server (a cryptographic source the client cannot predict), a
seeded `random.Random` in the statistical tests.  The draw is an integer one - `randrange` over
the total weight - so no floating-point rounding favours any slot.
"""
from __future__ import annotations

import random
from collections.abc import Sequence

Candidate = tuple[int, int, int | None]  # (prize id, weight > 0, units left or None)


class NothingLeft(Exception):
    """No prize with a positive weight and stock left."""


def draw(prizes: Sequence[Candidate], rng: random.Random) -> int:
    """The id of the prize drawn, each eligible prize with probability weight / total weight."""
    eligible = [(pid, weight) for pid, weight, left in prizes if weight > 0 and (left is None or left > 0)]
    total = sum(weight for _, weight in eligible)
    if total <= 0:
        raise NothingLeft()
    point = rng.randrange(total)
    for pid, weight in eligible:
        if point < weight:
            return pid
        point -= weight
    raise AssertionError("unreachable: point < total")  # pragma: no cover
